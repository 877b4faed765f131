"""kg serve under heavy answers and greedy clients: answers capped in rows and bytes and
said to be, memory bounded whatever the clients do, stalled clients cut off at the deadline,
and each client's share of the workers.

The servers are real (on loopback, their workers real processes); memory is read from
``/proc/PID/status`` of a server started in its own process.
"""

from __future__ import annotations

import csv
import io
import json
import os
import queue
import re
import select
import signal
import socket
import subprocess
import sys
import threading
import urllib.parse
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pyoxigraph as ox
import pytest
from conftest import first_line, wait_for
from test_serve import COUNT, CROSS_PRODUCT, GRAPH, get_query, graph_triples, running

from kg.errors import ConfigError
from kg.rdfio import load_store
from kg.serve import DEFAULT_MAX_BYTES, DEFAULT_MAX_ROWS, WAITING_PER_CLIENT, make_server
from kg.serve.fairness import QueueFull, Shares

# The issue's query: on the sample, 600,000 rows of ~140 bytes, 84 MB of SPARQL JSON.
HUGE = "SELECT ?c WHERE { ?a ?b ?c . ?d ?e ?f } LIMIT 600000"
HUGE_GRAPH = "CONSTRUCT { ?a ?b ?f } WHERE { ?a ?b ?c . ?d ?e ?f }"
# Rows of long abstracts (10 abstracts of 1-2 kB, times every triple of the graph); the
# template's blank node makes every solution a new triple.
LONG_ROWS = "SELECT ?text WHERE { ?p <http://schema.org/abstract> ?text . ?s ?q ?o }"
LONG_TRIPLES = (
    "CONSTRUCT { [] <https://example.org/says> ?text } "
    "WHERE { ?p <http://schema.org/abstract> ?text . ?s ?q ?o }"
)
RESULT_TYPES = [
    "application/sparql-results+json",
    "application/sparql-results+xml",
    "text/csv",
    "text/tab-separated-values",
]
GRAPH_TYPES = ["text/turtle", "application/n-triples", "application/ld+json"]


def rows_in(body: bytes, media_type: str) -> int:
    """The rows (or triples) of a results document, read by a parser of its format: the
    document must be complete and valid."""
    if media_type == "application/sparql-results+json":
        return len(json.loads(body)["results"]["bindings"])
    if media_type == "application/sparql-results+xml":
        namespace = "{http://www.w3.org/2005/sparql-results#}"
        return len(ET.fromstring(body).findall(f"{namespace}results/{namespace}result"))
    if media_type == "text/csv":
        return len(list(csv.reader(io.StringIO(body.decode("utf-8"), newline="")))) - 1
    if media_type == "text/tab-separated-values":
        assert body.endswith(b"\n")
        return body.count(b"\n") - 1
    fmt = {
        "text/turtle": ox.RdfFormat.TURTLE,
        "application/n-triples": ox.RdfFormat.N_TRIPLES,
        "application/ld+json": ox.RdfFormat.JSON_LD,
    }[media_type]
    return len(list(ox.parse(body, format=fmt)))


@pytest.fixture(scope="module")
def store() -> ox.Store:
    return load_store([GRAPH])


# --- caps ----------------------------------------------------------------------------------


def test_the_issues_query_is_capped_at_the_default_with_the_header_and_a_valid_body(
    store: ox.Store,
) -> None:
    with running(make_server(store, port=0, workers=1)) as server:
        status, headers, body = get_query(server.url + "sparql", HUGE)
    assert status == 200
    assert headers["X-SPARQL-MaxRows"] == str(DEFAULT_MAX_ROWS) == "100000"
    assert "X-KG-Max-Bytes" not in headers
    assert "X-SPARQL-MaxRows" in headers["Access-Control-Expose-Headers"]
    assert rows_in(body, "application/sparql-results+json") == DEFAULT_MAX_ROWS


@pytest.fixture(scope="module")
def capped_endpoint(store: ox.Store) -> Iterator[str]:
    with running(make_server(store, port=0, max_rows=700)) as server:
        yield server.url + "sparql"


@pytest.mark.parametrize(
    ("query", "media_type"),
    [(HUGE, media_type) for media_type in RESULT_TYPES]
    + [(HUGE_GRAPH, media_type) for media_type in GRAPH_TYPES],
)
def test_every_format_is_cut_at_max_rows_and_stays_a_valid_document(
    capped_endpoint: str, query: str, media_type: str
) -> None:
    status, headers, body = get_query(capped_endpoint, query, accept=media_type)
    assert (status, headers["Content-Type"]) == (200, f"{media_type}; charset=utf-8")
    assert headers["X-SPARQL-MaxRows"] == "700"
    assert int(headers["Content-Length"]) == len(body)
    assert rows_in(body, media_type) == 700


@pytest.mark.parametrize("media_type", ["application/sparql-results+json", "text/csv"])
def test_an_answer_of_exactly_max_rows_is_not_said_to_be_cut(
    capped_endpoint: str, media_type: str
) -> None:
    exactly = HUGE.replace("600000", "700")
    status, headers, body = get_query(capped_endpoint, exactly, accept=media_type)
    assert status == 200
    assert "X-SPARQL-MaxRows" not in headers
    assert rows_in(body, media_type) == 700
    # One row, the count of the whole graph: capped in rows, not in what a row says.
    status, headers, body = get_query(capped_endpoint, COUNT, accept=media_type)
    assert status == 200 and "X-SPARQL-MaxRows" not in headers
    triples = len(graph_triples())
    assert triples > 700
    if media_type == "text/csv":
        assert body == f"n\r\n{triples}\r\n".encode()
    else:
        assert json.loads(body)["results"]["bindings"] == [
            {
                "n": {
                    "type": "literal",
                    "datatype": "http://www.w3.org/2001/XMLSchema#integer",
                    "value": str(triples),
                }
            }
        ]


@pytest.fixture(scope="module")
def small_endpoint(store: ox.Store) -> Iterator[str]:
    with running(make_server(store, port=0, max_bytes=64 << 10)) as server:
        yield server.url + "sparql"


@pytest.mark.parametrize(
    ("query", "media_type"),
    [(LONG_ROWS, media_type) for media_type in RESULT_TYPES]
    + [(LONG_TRIPLES, media_type) for media_type in GRAPH_TYPES],
)
def test_long_rows_are_cut_at_max_bytes_and_the_answer_says_how_many_fit(
    small_endpoint: str, query: str, media_type: str
) -> None:
    status, headers, body = get_query(small_endpoint, query, accept=media_type)
    assert status == 200
    assert len(body) <= 64 << 10
    assert headers["X-KG-Max-Bytes"] == str(64 << 10)
    rows = rows_in(body, media_type)
    assert headers["X-SPARQL-MaxRows"] == str(rows)
    assert 10 < rows < 11_580  # some long rows fit; far from all of them
    assert len(body) > (64 << 10) // 3  # cut near the ceiling, not long before


def test_caps_are_checked(store: ox.Store) -> None:
    with pytest.raises(ConfigError, match="at least one row"):
        make_server(store, port=0, max_rows=0)
    with pytest.raises(ConfigError, match="bytes"):
        make_server(store, port=0, max_bytes=1000)
    with pytest.raises(ConfigError, match="send an answer"):
        make_server(store, port=0, send_timeout=0)
    assert DEFAULT_MAX_BYTES == 64 << 20


def test_kg_serve_max_rows_option(tmp_path: Path) -> None:
    bad = subprocess.run(
        [sys.executable, "-m", "kg", "serve", "--data", str(GRAPH), "--max-rows", "0"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert bad.returncode == 2 and "--max-rows" in bad.stderr
    with served(tmp_path, "--max-rows", "42") as line:
        url = line.split()[1]
        status, headers, body = get_query(url + "sparql", HUGE, accept="text/csv")
        assert (status, headers["X-SPARQL-MaxRows"], rows_in(body, "text/csv")) == (200, "42", 42)
        # kg's own client reads the header: a cut answer is an error, never a short table.
        endpoint = url + "sparql"
        cut = subprocess.run(
            [sys.executable, "-m", "kg", "query", "-q", HUGE, "--endpoint", endpoint],
            capture_output=True,
            text=True,
            check=False,
        )
        assert (cut.returncode, cut.stdout) == (3, "")
        assert f"{endpoint} capped its answer at 42 rows (X-SPARQL-MaxRows: 42)" in cut.stderr
        whole = subprocess.run(
            [sys.executable, "-m", "kg", "query", "-q", HUGE.replace("LIMIT 600000", "LIMIT 42"),
             "--endpoint", endpoint, "--format", "csv"],
            capture_output=True,
            text=True,
            check=False,
        )  # fmt: skip
        assert whole.returncode == 0, whole.stderr
        assert len(whole.stdout.splitlines()) == 43


# --- memory, stalled clients and the deadline ------------------------------------------------

_SERVER_SCRIPT = """
import os
import sys
from pathlib import Path
from kg.errors import ConfigError
from kg.rdfio import load_store
from kg.serve import serve

if __name__ == "__main__":
    def ready(server):
        print(os.getpid(), server.local_url, Path(server._scratch.name) / "answers", flush=True)
    serve(load_store([Path(sys.argv[1])]), port=int(sys.argv[2]), send_timeout=float(sys.argv[3]),
          query_timeout=120, ready=ready)
"""


_WITH_CTRL_C = (
    "import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL);"
    " os.execv(sys.executable, [sys.executable, *sys.argv[1:]])"
)
"""Runs Python with the arguments given after it, Ctrl+C (SIGINT) at its default as in a
terminal: a suite started in the background (``cmd &``) ignores SIGINT, and a process
that starts with it ignored never hears the Ctrl+C these tests send."""


@contextmanager
def served(tmp_path: Path, *options: str, script: bool = False) -> Iterator[str]:
    """``kg serve --data GRAPH OPTIONS`` (or the script above) in its own process; yields
    the first line it prints, once it answers."""
    if script:
        path = tmp_path / "serve_script.py"
        path.write_text(_SERVER_SCRIPT)
        command = [str(path), str(GRAPH), "0", *options]
    else:
        command = ["-m", "kg", "serve", "--data", str(GRAPH), "--port", "0", *options]
    command = [sys.executable, "-c", _WITH_CTRL_C, *command]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    try:
        yield first_line(process)  # printed once it listens, with the port it bound
    finally:
        process.send_signal(signal.SIGINT)  # Ctrl+C: the server removes its temporary folder
        process.wait(timeout=30)


def rss_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status") as status:
        line = next(line for line in status if line.startswith("VmRSS:"))
    return int(line.split()[1])


def children(pid: int) -> list[int]:
    with open(f"/proc/{pid}/task/{pid}/children") as listing:
        return [int(child) for child in listing.read().split()]


def total_rss_kib(pid: int) -> int:
    """The resident memory of the server and its query workers."""
    return rss_kib(pid) + sum(rss_kib(child) for child in children(pid))


def ask(port: int, source: str, query: str) -> socket.socket:
    """A client at ``source`` that sends ``query`` and then reads nothing."""
    client = socket.create_connection(("127.0.0.1", port), source_address=(source, 0))
    client.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # a small window
    target = "/sparql?" + urllib.parse.urlencode({"query": query})
    client.sendall(
        f"GET {target} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
        "Accept: application/sparql-results+json\r\n\r\n".encode()
    )
    return client


def read_until_closed(client: socket.socket, limit: float) -> bytes:
    """Everything the server sent until it closed the connection (a reset counts)."""
    client.settimeout(limit)
    received = bytearray()
    try:
        while chunk := client.recv(1 << 16):
            received += chunk
    except ConnectionResetError:
        pass
    return bytes(received)


def test_stalled_clients_cost_no_memory_and_are_cut_off_at_the_deadline(tmp_path: Path) -> None:
    """14 clients that never read and one that reads a byte at a time, each asking for the
    issue's 14 MB answer. Held in memory, as before, the answers took 3.4 GB; streamed from
    spool files, the server and its workers grow by less than the size of a few answers:
    the bound, 3 answers' bytes (42 MB), leaves room for 15 threads, 64 kB chunks and the
    allocator, and is far below the 15 answers (210 MB of bytes alone) that holding them
    would cost. After the send deadline the server closes every such connection, and the
    spool files are gone."""
    deadline = 30.0
    with served(tmp_path, str(deadline), script=True) as line:
        pid, url, spool = line.split()
        server_pid, spool_dir = int(pid), Path(spool)
        port = int(url.rsplit(":", 1)[1].strip("/"))
        status, headers, body = get_query(url + "sparql", HUGE)  # warm: workers import rdflib
        assert status == 200 and headers["X-SPARQL-MaxRows"] == "100000"
        answer_size = len(body)
        assert answer_size > 13_000_000
        baseline = total_rss_kib(server_pid)

        # From 15 addresses, so that both workers serve them (one address gets one).
        stalled = [ask(port, f"127.0.0.{10 + index}", HUGE) for index in range(14)]
        slow = ask(port, "127.0.0.30", HUGE)
        received = bytearray()
        clients = [*stalled, slow]
        started: set[socket.socket] = set()
        grown = 0  # the most the server and its workers grew, read as each answer begins
        while len(started) < len(clients):
            readable, _, _ = select.select([c for c in clients if c not in started], [], [], 120)
            assert readable, "the answers did not all begin within 120 s"
            for client in readable:
                started.add(client)
                if client is slow:
                    received += slow.recv(1)
            grown = max(grown, total_rss_kib(server_pid) - baseline)
        for _ in range(2000):  # the slow client reads one byte at a time
            received += slow.recv(1)
        grown = max(grown, total_rss_kib(server_pid) - baseline)
        assert grown * 1024 < 3 * answer_size, f"the server grew by {grown} KiB"
        assert received.startswith(b"HTTP/1.1 200 OK\r\n")

        # The deadline closes the stalled connections, each short of its answer.
        for client in clients:
            data = read_until_closed(client, deadline + 60)
            if client is slow:
                data = bytes(received) + data
            length = re.search(rb"Content-Length: (\d+)", data)
            assert length is not None
            assert len(data) < int(length.group(1)), "an answer was sent whole"
            client.close()
        assert list(spool_dir.iterdir()) == []
        fds = Path(f"/proc/{server_pid}/fd")
        assert not [fd for fd in fds.iterdir() if str(spool_dir) in os.readlink(fd)]
        # ...and the server still answers.
        status, _, body = get_query(url + "sparql", COUNT, accept="text/csv")
        assert (status, body) == (200, f"n\r\n{len(graph_triples())}\r\n".encode())


# --- fairness ------------------------------------------------------------------------------


def test_a_cheap_query_from_another_client_is_answered_while_50_heavy_ones_wait(
    store: ox.Store,
) -> None:
    """50 concurrent heavy queries from 127.0.0.1 take one worker, one at a time, and keep
    16 waiting (the rest are told 429, Retry-After); a cheap query from 127.0.0.2 is
    answered 200 while every heavy one is still pending."""
    server = make_server(store, port=0, workers=2, query_timeout=300)
    answers: queue.Queue[tuple[str, int, str]] = queue.Queue()
    sockets: list[socket.socket] = []

    def heavy() -> None:
        client = socket.create_connection(server.server_address, source_address=("127.0.0.1", 0))
        sockets.append(client)
        target = "/sparql?" + urllib.parse.urlencode({"query": CROSS_PRODUCT})
        client.sendall(f"GET {target} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
        try:
            head = client.recv(4096).decode("iso-8859-1")
        except OSError:
            head = ""
        status = int(head.split()[1]) if head.startswith("HTTP/") else 0
        answers.put(("heavy", status, head))

    with running(server):
        threads = [threading.Thread(target=heavy, daemon=True) for _ in range(50)]
        for thread in threads:
            thread.start()
        refused = [answers.get(timeout=120) for _ in range(50 - 1 - WAITING_PER_CLIENT)]
        assert {status for _, status, _ in refused} == {429}
        assert all("Retry-After: 300" in head for _, _, head in refused)

        cheap = socket.create_connection(server.server_address, source_address=("127.0.0.2", 0))
        target = "/sparql?" + urllib.parse.urlencode({"query": COUNT})
        cheap.sendall(
            f"GET {target} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/csv\r\n"
            "Connection: close\r\n\r\n".encode()
        )
        cheap.settimeout(120)
        reply = cheap.makefile("rb").read()  # "Connection: close" below: to the end
        cheap.close()
        assert reply.startswith(b"HTTP/1.1 200 OK")
        assert reply.endswith(f"n\r\n{len(graph_triples())}\r\n".encode())
        assert answers.empty(), "a heavy query was answered before the cheap one"
    for client in sockets:
        client.close()


def test_a_clients_waiting_queries_take_their_turns_in_order() -> None:
    shares = Shares(share=1, queue=2)
    order: list[str] = []
    admitted = threading.Event()

    def query(name: str, entered: threading.Event) -> None:
        with shares.turn("client"):
            order.append(name)
            entered.set()

    with shares.turn("client"):  # the running query
        waiting = [threading.Event() for _ in range(2)]
        threads = []
        for index, name in enumerate(("second", "third")):
            threads.append(threading.Thread(target=query, args=(name, waiting[index])))
            threads[-1].start()
            queued = index + 1  # queued, in order
            assert wait_for(lambda n=queued: len(shares._clients["client"].waiting) == n)
        with pytest.raises(QueueFull), shares.turn("client"):
            pass
        with shares.turn("another client"):  # others have their own share
            admitted.set()
        assert order == []
    for thread in threads:
        thread.join(10)
    assert order == ["second", "third"]
    assert admitted.is_set()
    assert shares._clients == {}
