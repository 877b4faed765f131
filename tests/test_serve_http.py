"""kg serve's HTTP hygiene, over raw sockets: what a proxy in front could be tricked with
(two Content-Length headers, chunked bodies, bodies left unread), HTTP/0.9, the Server
header, the Host guard against DNS rebinding on loopback, and ``--public-url``.
"""

from __future__ import annotations

import re
import socket
import subprocess
import sys
import urllib.parse
from collections.abc import Iterator

import pyoxigraph as ox
import pytest
from conftest import first_line
from test_serve import COUNT, GRAPH, request, running

from kg import __version__
from kg.errors import ConfigError
from kg.rdfio import load_store
from kg.serve import KgServer, make_server

SMUGGLED = b"GET /void.ttl HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"


@pytest.fixture(scope="module")
def store() -> ox.Store:
    return load_store([GRAPH])


@pytest.fixture(scope="module")
def server(store: ox.Store) -> Iterator[KgServer]:
    with running(make_server(store, port=0, workers=1)) as started:
        yield started


def exchange(server: KgServer, data: bytes, source: str = "127.0.0.1") -> bytes:
    """Send ``data`` raw, then read until the server closes the connection (or is silent
    for 10 s): every byte it answered."""
    with socket.create_connection(server.server_address[:2], source_address=(source, 0)) as raw:
        raw.sendall(data)
        raw.settimeout(10)
        answer = bytearray()
        try:
            while chunk := raw.recv(65536):
                answer += chunk
        except TimeoutError:
            answer += b"<still open>"
        return bytes(answer)


def statuses(answer: bytes) -> list[int]:
    """The status codes of the responses in ``answer``, in order."""
    return [int(line.split()[1]) for line in answer.split(b"\r\n") if line.startswith(b"HTTP/")]


def query_line(query: str = COUNT) -> bytes:
    return f"/sparql?{urllib.parse.urlencode({'query': query})}".encode()


# --- request smuggling ---------------------------------------------------------------------


@pytest.mark.parametrize("second", [b"5", b"46"], ids=["equal", "different"])
def test_two_content_lengths_are_refused_and_the_connection_closed(
    server: KgServer, second: bytes
) -> None:
    body = b"query" + SMUGGLED[: int(second) - 5] if second == b"46" else b"query"
    answer = exchange(
        server,
        b"POST /sparql HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        b"Content-Type: application/sparql-query\r\n"
        b"Content-Length: 5\r\nContent-Length: " + second + b"\r\n\r\n" + body + SMUGGLED,
    )
    assert statuses(answer) == [400]  # nothing after: the smuggled request is never read
    assert b"Connection: close" in answer
    assert b"one Content-Length" in answer
    assert not answer.endswith(b"<still open>")


def test_a_chunked_body_is_refused_and_the_connection_closed(server: KgServer) -> None:
    answer = exchange(
        server,
        b"POST /sparql HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n"
        b"Content-Type: application/sparql-query\r\n\r\n0\r\n\r\n" + SMUGGLED,
    )
    assert statuses(answer) == [411]
    assert not answer.endswith(b"<still open>")


@pytest.mark.parametrize(
    "head",
    [
        b"GET / HTTP/1.1",  # a body on a GET is never read...
        b"POST /void.ttl HTTP/1.1",  # ...nor on a refused POST
        b"DELETE /sparql HTTP/1.1",
    ],
)
def test_a_body_left_unread_is_never_taken_for_the_next_request(
    server: KgServer, head: bytes
) -> None:
    body = SMUGGLED
    answer = exchange(
        server,
        head
        + b"\r\nHost: 127.0.0.1\r\nContent-Length: "
        + str(len(body)).encode()
        + b"\r\n\r\n"
        + body,
    )
    assert len(statuses(answer)) == 1
    assert b"void#" not in answer  # void.ttl was not answered
    assert not answer.endswith(b"<still open>")


def test_a_bad_content_length_is_refused(server: KgServer) -> None:
    answer = exchange(server, b"POST /sparql HTTP/1.1\r\nHost: x\r\nContent-Length: 1,1\r\n\r\n")
    assert statuses(answer)[:1] in ([400], [403])
    answer = exchange(
        server, b"POST /sparql HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: +5\r\n\r\nquery"
    )
    assert statuses(answer) == [400]


def test_keep_alive_still_works_for_well_formed_requests(server: KgServer) -> None:
    one = b"GET " + query_line() + b" HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/csv\r\n\r\n"
    last = one.replace(b"\r\n\r\n", b"\r\nConnection: close\r\n\r\n")
    answer = exchange(server, one + one + last)
    assert statuses(answer) == [200, 200, 200]
    assert answer.count(b"n\r\n1158\r\n") == 3


# --- HTTP/0.9 and the Server header ----------------------------------------------------------


@pytest.mark.parametrize("line", [b"GET /\r\n", b"GET /void.ttl\r\n", b"POST /sparql\r\n"])
def test_http_09_is_refused(server: KgServer, line: bytes) -> None:
    answer = exchange(server, line)
    assert answer.startswith(b"HTTP/1.1 400 ")
    assert b"HTTP/0.9" in answer
    assert b"<html" not in answer.lower() and b"void#" not in answer
    assert not answer.endswith(b"<still open>")


@pytest.mark.parametrize(
    "data",
    [
        b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
        b"GET /sparql HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",  # an error of kg serve
        b"GARBAGE\r\n\r\n",  # one of http.server itself
        b"GET / HTTP/2.0\r\n\r\n",
    ],
)
def test_the_server_header_names_kg_serve_and_not_python(server: KgServer, data: bytes) -> None:
    answer = exchange(server, data)
    headers = answer.split(b"\r\n\r\n", 1)[0].decode("iso-8859-1")
    (server_line,) = [line for line in headers.split("\r\n") if line.startswith("Server:")]
    assert server_line == f"Server: kg-serve/{__version__}"
    assert "python" not in answer.decode("utf-8", "replace").lower()


# --- Host: DNS rebinding -------------------------------------------------------------------


def get_with_host(server: KgServer, host: bytes | None, version: bytes = b"HTTP/1.1") -> bytes:
    header = b"Host: " + host + b"\r\n" if host is not None else b""
    return exchange(
        server, b"GET /void.ttl " + version + b"\r\n" + header + b"Connection: close\r\n\r\n"
    )


@pytest.mark.parametrize(
    "host",
    [
        b"127.0.0.1",
        b"127.0.0.1:8000",
        b"localhost",
        b"LOCALHOST:1",
        b"kg.localhost",
        b"[::1]:80",
        b"127.9.9.9",
        b"localhost.",
    ],
)
def test_loopback_names_are_answered(server: KgServer, host: bytes) -> None:
    assert statuses(get_with_host(server, host)) == [200]


@pytest.mark.parametrize(
    "host",
    [
        b"attacker.example",
        b"attacker.example:8000",
        b"localhost.attacker.example",
        b"10.0.0.1",
        b"127.0.0.1.attacker.example",
        b"[::ffff:10.0.0.1]",
    ],
)
def test_other_names_are_refused_on_loopback(server: KgServer, host: bytes) -> None:
    answer = get_with_host(server, host)
    assert statuses(answer) == [403]
    assert b"DNS rebinding" in answer


def test_http_11_needs_one_host_http_10_may_send_none(server: KgServer) -> None:
    assert statuses(get_with_host(server, None)) == [400]
    assert statuses(get_with_host(server, None, b"HTTP/1.0")) == [200]
    double = b"GET /void.ttl HTTP/1.1\r\nHost: 127.0.0.1\r\nHost: attacker.example\r\n\r\n"
    assert statuses(exchange(server, double)) == [400]


def test_the_public_urls_host_is_answered_on_loopback(store: ox.Store) -> None:
    public = make_server(store, port=0, workers=1, public_url="https://KG.example.org")
    with running(public) as server:
        assert server.url == "https://KG.example.org/"
        assert server.local_url.startswith("http://127.0.0.1:")
        assert statuses(get_with_host(server, b"kg.example.org")) == [200]
        assert statuses(get_with_host(server, b"other.example.org")) == [403]
        status, _, body = request(server.local_url + "void.ttl")
    assert status == 200
    void = ox.Store()
    void.load(body, format=ox.RdfFormat.TURTLE)
    endpoint = ox.NamedNode("http://rdfs.org/ns/void#sparqlEndpoint")
    (found,) = [quad.object for quad in void.quads_for_pattern(None, endpoint, None)]
    assert found == ox.NamedNode("https://KG.example.org/sparql")


def test_every_name_is_answered_off_loopback(store: ox.Store) -> None:
    """Served on all addresses (behind a proxy), the server cannot know its names."""
    with running(make_server(store, "0.0.0.0", 0, workers=1)) as server:
        assert statuses(get_with_host(server, b"kg.example.org")) == [200]


# --- --public-url ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "kg.example.org",
        "ftp://kg.example.org/",
        "https://kg.example.org/?x=1",
        "/sparql",
        "https://",
        "https://kg.example.org/#top",
        "javascript:alert(1)//",
    ],
)
def test_a_bad_public_url_is_refused(store: ox.Store, url: str) -> None:
    with pytest.raises(ConfigError, match="public URL"):
        make_server(store, port=0, public_url=url)


def test_kg_serve_public_url(tmp_path: object) -> None:
    bad = subprocess.run(
        [sys.executable, "-m", "kg", "serve", "--data", str(GRAPH), "--public-url", "ftp://x/"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert bad.returncode == 2
    assert "public URL 'ftp://x/'" in bad.stderr and "Traceback" not in bad.stderr
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "kg",
            "serve",
            "--data",
            str(GRAPH),
            "--host",
            "0.0.0.0",
            "--port",
            "0",
            "--public-url",
            "https://kg.example.org/graph",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        line = first_line(process)
        said = re.match(
            r"serving http://0\.0\.0\.0:(\d+)/ as https://kg\.example\.org/graph/ "
            r"\(SPARQL endpoint https://kg\.example\.org/graph/sparql\)",
            line,
        )
        assert said, line
        # --port 0: the port it printed is the one it listens on.
        status, _, body = request(f"http://127.0.0.1:{said[1]}/void.ttl")
    finally:
        process.terminate()
        process.wait(30)
    assert status == 200 and b"<https://kg.example.org/graph/sparql>" in body
