"""kg.push against a real ``oxigraph serve`` on loopback: staged, verified, moved, or untouched.

Every test starts its own empty server in a temporary folder, so graphs never leak between
tests; failures are real ones (a server that answers 404, dies, never answers, redirects,
or has its staging graph changed by another client), never mocks.
"""

from __future__ import annotations

import base64
import json
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from conftest import PortTaken, start_on_free_ports, start_oxigraph, stop
from rdflib import BNode, Graph, URIRef
from rdflib.compare import isomorphic

from kg.errors import ConfigError, EndpointError, InputError
from kg.push import STAGING_PREFIX, PushReport, default_query_url, default_update_url, push
from kg.queries import USER_AGENT
from kg.rdfio import load_graph, load_store

REPO = Path(__file__).resolve().parent.parent
GRAPH_NT = REPO / "exports" / "graph.nt"
GRAPH_JSONLD = REPO / "exports" / "graph.jsonld"
EXAMPLE = Path(__file__).resolve().parent / "data" / "example.ttl"
TARGET = "https://example.org/kg/graph"
OTHER = "https://example.org/other"

_NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))

AUTHOR_LIST_LENGTHS = """
PREFIX bibo: <http://purl.org/ontology/bibo/>
PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
SELECT ?paper (COUNT(?cell) AS ?n) WHERE {
  ?paper bibo:authorList ?list .
  ?list rdf:rest* ?cell .
  ?cell rdf:first ?author .
  FILTER EXISTS { ?list rdf:rest* rdf:nil }
} GROUP BY ?paper
"""


class Server:
    """An ``oxigraph serve`` process on 127.0.0.1 with its store in a folder; restartable.

    A socket of the test holds the server's port from before it starts until it starts
    again, bound and never listening: stopped, the server's address refuses connections
    (for kg in the middle of a push) rather than being free for another server to take.
    Both sockets allow address reuse, so the server can bind it meanwhile; a third socket
    can only if it allows reuse too and asks for this very port.
    """

    def __init__(self, location: Path, log: Path) -> None:
        self.location = location
        self.log = log
        self.process: subprocess.Popen[bytes] | None = None
        self.port = 0
        self._holder: socket.socket | None = None

    def start(self) -> None:
        self.release()
        self.process, self.port, self._holder = start_on_free_ports(self._start)

    def _start(self, ports: tuple[int, ...]) -> tuple[subprocess.Popen[bytes], int, socket.socket]:
        holder = socket.socket()
        try:
            holder.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                holder.bind(("127.0.0.1", ports[0]))
            except OSError as exc:
                raise PortTaken(str(exc)) from exc
            return start_oxigraph("serve", self.location, ports[0], self.log), ports[0], holder
        except BaseException:
            holder.close()
            raise

    def stop(self) -> None:
        """Stop the server; its port stays held, refusing connections."""
        if self.process is not None:
            stop(self.process)
            self.process = None

    def release(self) -> None:
        """Let go of the stopped server's port."""
        if self._holder is not None:
            self._holder.close()
            self._holder = None

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    @property
    def store(self) -> str:
        return self.url("/store")

    @property
    def update(self) -> str:
        return self.url("/update")

    @property
    def query(self) -> str:
        return self.url("/query")

    # Reading and seeding the server without kg.push, so the tests do not trust what they test.

    def select(self, query: str) -> list[dict[str, str]]:
        request = urllib.request.Request(
            self.url("/query"),
            data=urllib.parse.urlencode({"query": query}).encode(),
            headers={"Accept": "application/sparql-results+json"},
        )
        with _NO_PROXY.open(request, timeout=30) as response:
            answer: dict[str, Any] = json.load(response)
        return [
            {name: cell["value"] for name, cell in row.items()}
            for row in answer["results"]["bindings"]
        ]

    def ask(self, query: str) -> bool:
        request = urllib.request.Request(
            self.url("/query"),
            data=urllib.parse.urlencode({"query": query}).encode(),
            headers={"Accept": "application/sparql-results+json"},
        )
        with _NO_PROXY.open(request, timeout=30) as response:
            return bool(json.load(response)["boolean"])

    def graph(self, name: str | None) -> Graph:
        """The triples of a named graph (or the default graph), found by a SPARQL query."""
        where = "{ ?s ?p ?o }" if name is None else f"{{ GRAPH <{name}> {{ ?s ?p ?o }} }}"
        request = urllib.request.Request(
            self.url("/query"),
            data=urllib.parse.urlencode(
                {"query": f"CONSTRUCT {{ ?s ?p ?o }} WHERE {where}"}
            ).encode(),
            headers={"Accept": "application/n-triples"},
        )
        with _NO_PROXY.open(request, timeout=30) as response:
            data = response.read()
        return Graph().parse(data=data.decode("utf-8"), format="nt")

    def named_graphs(self) -> set[str]:
        return {row["g"] for row in self.select("SELECT DISTINCT ?g WHERE { GRAPH ?g {} }")}

    def put(self, name: str | None, path: Path) -> None:
        """Replace a graph by a Turtle file with a plain GSP PUT."""
        where = "default" if name is None else "graph=" + urllib.parse.quote(name, safe="")
        request = urllib.request.Request(
            f"{self.store}?{where}",
            data=path.read_bytes(),
            headers={"Content-Type": "text/turtle; charset=utf-8"},
            method="PUT",
        )
        with _NO_PROXY.open(request, timeout=30) as response:
            assert response.status in (200, 201, 204)

    def insert(self, update: str) -> None:
        request = urllib.request.Request(
            self.update, data=urllib.parse.urlencode({"update": update}).encode()
        )
        with _NO_PROXY.open(request, timeout=30) as response:
            assert response.status in (200, 204)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    """A fresh, empty, read-write Oxigraph server for one test."""
    running = Server(tmp_path / "store", tmp_path / "server.log")
    running.start()
    try:
        yield running
    finally:
        running.stop()
        running.release()


@pytest.fixture
def seeded(server: Server) -> Server:
    """The server with a live graph (example.ttl in TARGET), the default graph and OTHER."""
    server.put(TARGET, EXAMPLE)
    server.put(None, EXAMPLE)
    server.put(OTHER, EXAMPLE)
    return server


@pytest.fixture
def dead_url(dead_endpoint: str) -> str:
    """A GSP URL whose port refuses connections: any request to it fails at once."""
    return dead_endpoint + "/store"


def assert_untouched(server: Server) -> None:
    """The seeded graphs are exactly as seeded, and no staging graph is left."""
    example = load_graph([EXAMPLE])
    for name in (TARGET, None, OTHER):
        assert isomorphic(server.graph(name), example), name
    assert server.named_graphs() == {TARGET, OTHER}


# Success: the server holds exactly the file's triples, in the right graph, nothing else.


@pytest.mark.parametrize("path", [GRAPH_NT, GRAPH_JSONLD], ids=["nt", "jsonld"])
@pytest.mark.parametrize("target", [TARGET, None], ids=["named", "default"])
def test_push_loads_exactly_the_files_triples(
    server: Server, path: Path, target: str | None
) -> None:
    report = push([path], server.store, server.update, graph=target, timeout=30)

    local = load_graph([path])
    assert isomorphic(server.graph(target), local)
    assert report == PushReport(
        triples=len(local),
        chunks=1,
        bytes=report.bytes,
        graph=target,
        staging=report.staging,
    )
    assert report.bytes > len(local) * 50
    assert report.staging.startswith(STAGING_PREFIX)
    # Nothing else: no staging graph, and the other graph (default or named) stays empty.
    assert server.named_graphs() == ({target} if target else set())
    assert len(server.graph(None if target else TARGET)) == 0
    # UTF-8 survived: the accented name is the same string on the server.
    scope = f"GRAPH <{target}>" if target else ""
    assert server.ask(f'ASK {{ {scope} {{ ?p <http://schema.org/name> "Marija Šakota" }} }}')


def test_small_chunks_keep_author_lists_whole(server: Server) -> None:
    report = push([GRAPH_NT], server.store, server.update, graph=TARGET, chunk_bytes=2048)

    assert report.chunks >= GRAPH_NT.stat().st_size // 2048
    local = load_graph([GRAPH_NT])
    assert report.triples == len(local)
    assert isomorphic(server.graph(TARGET), local)
    # Each paper's rdf:List still runs from its first cell to rdf:nil, with every author.
    expected = {
        (str(row["paper"].value), int(row["n"].value))
        for row in load_store([GRAPH_NT]).query(AUTHOR_LIST_LENGTHS)  # type: ignore[union-attr]
    }
    remote = AUTHOR_LIST_LENGTHS.replace("WHERE {", f"WHERE {{ GRAPH <{TARGET}> {{", 1)
    remote = remote.replace("} GROUP BY", "} } GROUP BY")
    found = {(row["paper"], int(row["n"])) for row in server.select(remote)}
    assert len(expected) >= 10  # every paper of the sample
    assert found == expected
    assert server.named_graphs() == {TARGET}


def test_blank_node_groups_larger_than_a_chunk_stay_whole(server: Server, tmp_path: Path) -> None:
    """A 60-author list (and a blank node shared by two subjects) outgrows a 256-byte chunk."""
    authors = " ".join(f"<https://example.org/person/p{n}>" for n in range(60))
    data = tmp_path / "long.ttl"
    data.write_text(
        "@prefix bibo: <http://purl.org/ontology/bibo/> .\n"
        "@prefix ex: <https://example.org/> .\n"
        f"ex:paper bibo:authorList ( {authors} ) .\n"
        'ex:a ex:shares _:shared . ex:z ex:shares _:shared . _:shared ex:name "Ødegård" .\n'
        + "".join(f'ex:s{n} ex:name "plain {n}" .\n' for n in range(40)),
        encoding="utf-8",
    )
    report = push([data], server.store, server.update, graph=TARGET, chunk_bytes=256)

    assert report.chunks >= 10  # the 40 plain triples alone need 10 or more
    remote = server.graph(TARGET)
    assert isomorphic(remote, load_graph([data]))
    rows = server.select(
        "SELECT (COUNT(DISTINCT ?x) AS ?n) WHERE { GRAPH <" + TARGET + "> {"
        " ?s <https://example.org/shares> ?x } }"
    )
    assert rows == [{"n": "1"}]


def test_chunk_of_one_byte_sends_every_unit_alone(server: Server) -> None:
    report = push([EXAMPLE], server.store, server.update, graph=TARGET, chunk_bytes=1)

    local = load_graph([EXAMPLE])
    assert isomorphic(server.graph(TARGET), local)
    lists = len(set(local.objects(None, URIRef("http://purl.org/ontology/bibo/authorList"))))
    # One chunk per triple without blank nodes, one per author list.
    plain = sum(1 for triple in local if not any(isinstance(term, BNode) for term in triple))
    assert report.chunks == plain + lists


def test_push_again_replaces_the_graph(seeded: Server) -> None:
    push([GRAPH_NT], seeded.store, seeded.update, graph=TARGET)
    push([GRAPH_NT], seeded.store, seeded.update, graph=TARGET, chunk_bytes=4096)

    local = load_graph([GRAPH_NT])
    remote = seeded.graph(TARGET)
    assert len(remote) == len(local)  # author lists are blank nodes: not duplicated either
    assert isomorphic(remote, local)

    push([EXAMPLE], seeded.store, seeded.update, graph=TARGET)
    assert_untouched(seeded)


def test_push_into_the_default_graph_replaces_only_it(seeded: Server) -> None:
    report = push([GRAPH_NT], seeded.store, seeded.update)

    assert report.graph is None
    assert isomorphic(seeded.graph(None), load_graph([GRAPH_NT]))
    example = load_graph([EXAMPLE])
    assert isomorphic(seeded.graph(TARGET), example)
    assert isomorphic(seeded.graph(OTHER), example)
    assert seeded.named_graphs() == {TARGET, OTHER}


def test_progress_is_reported_per_accepted_chunk(server: Server) -> None:
    seen: list[tuple[int, int]] = []
    report = push(
        [EXAMPLE],
        server.store,
        server.update,
        graph=TARGET,
        chunk_bytes=1024,
        on_chunk=lambda sent, total: seen.append((sent, total)),
    )
    assert seen == [(n, report.chunks) for n in range(1, report.chunks + 1)]
    assert report.chunks > 1


# Failures: the live graph is exactly as it was, and no staging graph is left behind.


def test_failed_move_leaves_the_live_graph(seeded: Server) -> None:
    """Every chunk is staged and counted, then the update endpoint answers 404."""
    wrong = seeded.url("/no-such-update")
    with pytest.raises(EndpointError) as caught:
        push([GRAPH_NT], seeded.store, wrong, graph=TARGET, chunk_bytes=8192)

    message = str(caught.value)
    assert wrong in message
    assert "HTTP 404" in message
    assert "live graph is untouched" in message
    assert "staging graph was dropped" in message
    assert_untouched(seeded)


def test_staging_graph_changed_by_another_client_is_not_moved(seeded: Server) -> None:
    """Another client writes into the staging graph mid-upload: the count check catches it."""

    def intruder(sent: int, total: int) -> None:
        if sent == 2:
            (staging,) = seeded.named_graphs() - {TARGET, OTHER}
            seeded.insert(
                f"INSERT DATA {{ GRAPH <{staging}> {{ <urn:x:a> <urn:x:b> <urn:x:c> }} }}"
            )

    with pytest.raises(EndpointError) as caught:
        push(
            [GRAPH_NT],
            seeded.store,
            seeded.update,
            graph=TARGET,
            chunk_bytes=16384,
            on_chunk=intruder,
        )

    local = len(load_graph([GRAPH_NT]))
    message = str(caught.value)
    assert f"sent {local} triples, but {seeded.query} counts {local + 1}" in message
    assert_untouched(seeded)


def test_server_dying_mid_upload_leaves_the_live_graph(seeded: Server) -> None:
    """The server stops after chunk 3; restarted on the same store, the live graph is intact.

    The staging graph cannot be dropped on a dead server: the error names it, and it is the
    only graph left over.
    """

    def crash(sent: int, total: int) -> None:
        if sent == 3:
            assert total > 3
            seeded.stop()

    store_url = seeded.store
    with pytest.raises(EndpointError) as caught:
        push(
            [GRAPH_NT],
            store_url,
            seeded.update,
            graph=TARGET,
            chunk_bytes=8192,
            on_chunk=crash,
            timeout=10,
        )

    message = str(caught.value)
    assert "uploading chunk 4 of" in message
    assert f"{store_url} refused the connection" in message
    assert "the live graph is untouched" in message
    assert "could not be dropped" in message

    seeded.start()
    example = load_graph([EXAMPLE])
    for name in (TARGET, None, OTHER):
        assert isomorphic(seeded.graph(name), example), name
    (leftover,) = seeded.named_graphs() - {TARGET, OTHER}
    assert leftover.startswith(STAGING_PREFIX)
    assert f"DROP SILENT GRAPH <{leftover}>" in message
    assert 0 < len(seeded.graph(leftover)) < len(load_graph([GRAPH_NT]))


def test_store_url_that_404s(seeded: Server) -> None:
    wrong = seeded.url("/no-such-store")
    with pytest.raises(EndpointError) as caught:
        push([GRAPH_NT], wrong, seeded.update, graph=TARGET)

    message = str(caught.value)
    assert "uploading chunk 1 of 1" in message
    assert f"{wrong} answered HTTP 404" in message
    assert_untouched(seeded)


def test_dead_endpoint_fails_on_the_refusal_not_on_a_timeout(dead_url: str) -> None:
    """With an hour to wait, kg still stops at the first request and says the connection
    was refused: it failed on the refusal, not by waiting out its timeout (the subprocess's
    own timeout only guards against a hang; it is no assertion of speed)."""
    refused = f"{dead_url} refused the connection (is the server running?)"
    with pytest.raises(EndpointError) as caught:
        push([EXAMPLE], dead_url, dead_url.replace("/store", "/update"), timeout=30)
    assert str(caught.value) == f"clearing the staging graph failed: {refused}"
    command = ["push", str(EXAMPLE), "--endpoint", dead_url, "--timeout", "3600"]
    result = subprocess.run(
        [sys.executable, "-m", "kg", *command], capture_output=True, text=True, timeout=300
    )
    assert (result.returncode, result.stdout, result.stderr) == (
        2,
        "",
        f"kg: error: clearing the staging graph failed: {refused}\n",
    )


def test_silent_server_times_out() -> None:
    """A socket that accepts connections but never answers: the timeout ends the wait."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        url = f"http://127.0.0.1:{listener.getsockname()[1]}/store"
        with pytest.raises(EndpointError, match=r"did not answer within 0\.5 s") as caught:
            push([EXAMPLE], url, url + "/update", timeout=0.5)
    assert url in str(caught.value)


class _Recorded(ThreadingHTTPServer):
    """A loopback HTTP server that keeps every request it gets."""

    def __init__(self, handler: type[BaseHTTPRequestHandler]) -> None:
        super().__init__(("127.0.0.1", 0), handler)
        self.requests: list[tuple[str, str, dict[str, str], bytes]] = []
        self.graph = b""
        self.redirect_to = ""

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _Handler(BaseHTTPRequestHandler):
    server: _Recorded

    def _record(self) -> bytes:
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        self.server.requests.append((self.command, self.path, dict(self.headers), body))
        return body

    def _answer(self, status: int, body: bytes = b"", **headers: str) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name.replace("_", "-"), value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


class _MiniStore(_Handler):
    """Just enough of a graph store to watch what kg sends: one staging graph, kept as bytes,
    counted by the query endpoint; every request needs HTTP Basic credentials."""

    def _refused(self) -> bool:
        if "Authorization" in self.headers:
            return False
        self._answer(401, WWW_Authenticate='Basic realm="mini"')
        return True

    def do_DELETE(self) -> None:
        self._record()
        if not self._refused():
            self._answer(404)

    def do_POST(self) -> None:
        body = self._record()
        if self._refused():
            return
        if self.path.startswith("/store"):
            self.server.graph += body
            self._answer(201)
        elif self.path.startswith("/query"):
            count = self.server.graph.count(b"\n")
            answer = {
                "head": {"vars": ["n"]},
                "results": {
                    "bindings": [
                        {
                            "n": {
                                "type": "literal",
                                "value": str(count),
                                "datatype": "http://www.w3.org/2001/XMLSchema#integer",
                            }
                        }
                    ]
                },
            }
            self._answer(
                200, json.dumps(answer).encode(), Content_Type="application/sparql-results+json"
            )
        else:
            self._answer(204)


class _Redirecting(_Handler):
    """A store that says the staging graph is absent, then redirects every upload."""

    def do_DELETE(self) -> None:
        self._record()
        self._answer(404)

    def _redirect(self) -> None:
        self._record()
        self._answer(302, Location=self.server.redirect_to)

    do_POST = do_GET = do_PUT = _redirect


@pytest.fixture
def recorded() -> Iterator[Any]:
    """Start loopback servers with a handler class; all are stopped after the test."""
    started: list[_Recorded] = []

    def start(handler: type[BaseHTTPRequestHandler]) -> _Recorded:
        server = _Recorded(handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.shutdown()
        server.server_close()


def test_requests_carry_charset_user_agent_and_credentials(recorded: Any) -> None:
    store = recorded(_MiniStore)
    report = push(
        [GRAPH_NT],
        store.url + "/store",
        store.url + "/update",
        graph=TARGET,
        auth=("user", "sécret"),
        chunk_bytes=65536,
    )

    token = base64.b64encode("user:sécret".encode()).decode()
    staging = urllib.parse.quote(report.staging, safe="")
    methods = [(method, path) for method, path, _, _ in store.requests]
    assert methods == [
        ("DELETE", f"/store?graph={staging}"),  # refused: the server asks for Basic
        ("DELETE", f"/store?graph={staging}"),
        *[("POST", f"/store?graph={staging}")] * report.chunks,
        ("POST", "/query"),
        ("POST", "/update"),
    ]
    assert report.chunks == -(-report.bytes // 65536)  # full chunks: 3 for 183 KiB
    assert "Authorization" not in store.requests[0][2]  # sent only once a server asks
    for _, _, headers, _ in store.requests:
        assert headers["User-Agent"] == USER_AGENT
    for _, _, headers, _ in store.requests[1:]:
        assert headers["Authorization"] == f"Basic {token}"
    chunks = [body for method, _, _, body in store.requests[2:-2]]
    assert all(len(body) <= 65536 for body in chunks)
    assert all(
        headers["Content-Type"] == "application/n-triples; charset=utf-8"
        for _, _, headers, _ in store.requests[2:-2]
    )
    assert "Šakota".encode() in b"".join(chunks)  # raw UTF-8, declared as such
    _, _, headers, body = store.requests[-2]
    count = urllib.parse.parse_qs(body.decode("ascii"))["query"]
    assert count == [f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{report.staging}> {{ ?s ?p ?o }} }}"]
    assert headers["Accept"] == "application/sparql-results+json"
    _, _, headers, body = store.requests[-1]
    assert headers["Content-Type"].startswith("application/x-www-form-urlencoded")
    update = urllib.parse.parse_qs(body.decode("ascii"))["update"]
    assert update == [f"MOVE GRAPH <{report.staging}> TO <{TARGET}>"]


class _SlowDrop(_Handler):
    """A store that refuses the upload, then takes longer than kg's timeout to drop the
    staging graph; its query endpoint says whether the graph still holds triples."""

    def do_DELETE(self) -> None:
        self._record()
        if sum(method == "DELETE" for method, _, _, _ in self.server.requests) > 1:
            time.sleep(1.5)  # the drop, done after kg stopped waiting
        self._answer(204)

    def do_POST(self) -> None:
        self._record()
        if self.path.startswith("/store"):
            self._answer(500, b"disk full")
        else:
            answer = {"head": {}, "boolean": self.server.redirect_to == "left"}
            self._answer(200, json.dumps(answer).encode())


@pytest.mark.parametrize("left", [False, True])
def test_a_drop_that_outlasts_the_timeout_is_checked(recorded: Any, left: bool) -> None:
    """With a short --timeout the drop may finish after kg stopped waiting: kg asks the server
    instead of claiming the graph was left behind."""
    store = recorded(_SlowDrop)
    store.redirect_to = "left" if left else ""
    with pytest.raises(EndpointError) as caught:
        push([EXAMPLE], store.url + "/store", store.url + "/update", graph=TARGET, timeout=0.5)
    message = str(caught.value)
    assert "HTTP 500" in message and "the live graph is untouched" in message
    ask = [body for method, path, _, body in store.requests if path == "/query"]
    assert len(ask) == 1 and b"ASK" in ask[0]
    if left:
        assert "still finds triples in it" in message
        assert "DROP SILENT GRAPH <urn:kg:staging:" in message
    else:
        assert "the staging graph was dropped (its drop outlasted the timeout" in message
        assert "could not be dropped" not in message


def test_redirects_are_refused(recorded: Any) -> None:
    """The data and the credentials never follow a redirect to another host."""
    elsewhere = recorded(_MiniStore)
    redirecting = recorded(_Redirecting)
    redirecting.redirect_to = elsewhere.url + "/store?graph=urn%3Ax%3Astolen"
    url = redirecting.url + "/store"
    with pytest.raises(EndpointError, match="HTTP 302") as caught:
        push([EXAMPLE], url, url, graph=TARGET, auth=("user", "secret"))

    assert f"redirect to {redirecting.redirect_to} not followed" in str(caught.value)
    assert elsewhere.requests == []
    # The failed upload was followed by the clean-up DELETE on the same server only.
    assert [method for method, *_ in redirecting.requests] == ["DELETE", "POST", "DELETE"]


@pytest.mark.parametrize(
    "iri",
    [
        "",
        "graph",
        "relative/path",
        "https://example.org/a b",
        "https://example.org/a>",
        "https://example.org/a> } ; DROP ALL ; #",
        'https://example.org/"',
        "https://example.org/{x}",
        "https://example.org/a\\b",
        "https://example.org/a\nb",
    ],
)
def test_bad_graph_iri_is_refused_before_any_request(iri: str, dead_url: str) -> None:
    with pytest.raises(ConfigError, match="graph name"):  # a request would raise EndpointError
        push([EXAMPLE], dead_url, dead_url, graph=iri)


@pytest.mark.parametrize(
    ("store_url", "chunk_bytes", "timeout", "auth"),
    [
        ("ftp://127.0.0.1/store", 1024, 10.0, None),
        ("file:///etc/passwd", 1024, 10.0, None),
        ("http://user:pw@127.0.0.1/store", 1024, 10.0, None),
        # Refused before any connection (one would end in EndpointError): port 1 is not asked.
        ("http://127.0.0.1:1/store", 0, 10.0, None),
        ("http://127.0.0.1:1/store", 1024, 0.0, None),
        ("http://127.0.0.1:1/store", 1024, 10.0, ("a:b", "c")),
    ],
)
def test_bad_options_are_config_errors(
    store_url: str, chunk_bytes: int, timeout: float, auth: tuple[str, str] | None, dead_url: str
) -> None:
    with pytest.raises(ConfigError):
        push([EXAMPLE], store_url, dead_url, chunk_bytes=chunk_bytes, timeout=timeout, auth=auth)


def test_unreadable_inputs_are_input_errors(tmp_path: Path, dead_url: str) -> None:
    broken = tmp_path / "broken.ttl"
    broken.write_text("<https://example.org/a> <https://example.org/b> .\n", encoding="utf-8")
    empty = tmp_path / "empty.nt"
    empty.write_bytes(b"")
    folder = tmp_path / "folder.nt"
    folder.mkdir()
    cases = [
        (tmp_path / "missing.nt", "missing.nt: no such file"),
        (folder, "folder.nt: is a directory"),
        (broken, "broken.ttl:1: not valid Turtle"),
    ]
    for path, message in cases:
        with pytest.raises(InputError, match=message):
            push([EXAMPLE, path], dead_url, dead_url)
    with pytest.raises(InputError, match=r"nothing to push: no triples in empty\.nt"):
        push([empty], dead_url, dead_url)


def test_default_update_url() -> None:
    assert default_update_url("http://127.0.0.1:7878/store") == "http://127.0.0.1:7878/update"
    assert default_update_url("https://kg.example.org/oxigraph/store/") == (
        "https://kg.example.org/oxigraph/update"
    )
    assert default_update_url("http://localhost:3030/papers/data") == (
        "http://localhost:3030/papers/update"
    )
    assert default_update_url("http://localhost:3030/papers/data?default") == (
        "http://localhost:3030/papers/update"
    )
    assert default_update_url("http://localhost:8890/sparql-graph-crud") == (
        "http://localhost:8890/sparql"
    )
    assert default_update_url("http://localhost:8890/sparql-graph-crud-auth") == (
        "http://localhost:8890/sparql-auth"
    )
    assert (
        default_query_url(
            "http://localhost:8890/sparql-graph-crud-auth", "http://localhost:8890/sparql-auth"
        )
        == "http://localhost:8890/sparql-auth"
    )
    assert default_query_url("http://127.0.0.1:7878/store", "http://127.0.0.1:7878/update") == (
        "http://127.0.0.1:7878/query"
    )
    assert default_query_url("https://db.example.org/gsp", "https://db.example.org/sparql") == (
        "https://db.example.org/sparql"
    )
    for unknown in (
        "http://localhost:7200/repositories/kg/rdf-graphs/service",
        "http://localhost:3030/data",
        "http://localhost:3030/",
    ):
        with pytest.raises(ConfigError, match="give --update-endpoint"):
            default_update_url(unknown)
    with pytest.raises(ConfigError):
        default_update_url("localhost:7878/store")


# The command: same guarantees through `kg push`, exit 2 with a message on failure.


def _kg(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "kg", *args], capture_output=True, text=True, cwd=cwd, check=False
    )


def test_push_command_replaces_the_graph(seeded: Server) -> None:
    result = _kg(
        "push", str(GRAPH_NT), "--endpoint", seeded.store, "--graph", TARGET, "--chunk-size", "4K"
    )
    assert result.returncode == 0, result.stderr
    assert "pushed" in result.stdout and "chunk(s)" in result.stdout
    assert isomorphic(seeded.graph(TARGET), load_graph([GRAPH_NT]))
    assert seeded.named_graphs() == {TARGET, OTHER}


def test_push_command_defaults_to_the_last_build(server: Server, tmp_path: Path) -> None:
    assert _kg("build", cwd=tmp_path).returncode == 0
    result = _kg("push", "--endpoint", server.store, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert isomorphic(server.graph(None), load_graph([tmp_path / "exports" / "graph.nt"]))


def test_push_command_failures_exit_2_and_leave_the_graph(seeded: Server) -> None:
    failed = _kg(
        "push",
        str(GRAPH_NT),
        "--endpoint",
        seeded.store,
        "--graph",
        TARGET,
        "--update-endpoint",
        seeded.store.replace("/store", "/no-such-update"),
    )
    assert failed.returncode == 2 and "no-such-update" in failed.stderr
    assert "Traceback" not in failed.stderr
    assert_untouched(seeded)
    bad_size = _kg("push", str(GRAPH_NT), "--endpoint", seeded.store, "--chunk-size", "lots")
    assert bad_size.returncode == 2 and "lots" in bad_size.stderr
    # Refused before any connection: no update endpoint can be told from a /sparql URL.
    unknown = _kg("push", str(GRAPH_NT), "--endpoint", "http://127.0.0.1:9/sparql")
    assert unknown.returncode == 2 and "--update-endpoint" in unknown.stderr
