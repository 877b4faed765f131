"""kg against Virtuoso 7 as people run it: Debian's package, its shipped virtuoso.ini.

The server is started once for the module on loopback, with Debian's default configuration
(``/usr/share/virtuoso-opensource-7/virtuoso.ini``) changed only where it must be: the
database files go to a temporary folder and the two ports to free ones on 127.0.0.1. So the
limits kg must live with are Virtuoso's own defaults: ``ResultSetMaxRows = 10000`` and
``MaxQueryCostEstimationTime = 400``, Digest authentication on ``/sparql-auth`` and
``/sparql-graph-crud-auth``, and no default graph of its own (a query without FROM reads
every graph). ``.ci/run`` installs the package when the machine lacks it.

The graph is a synthetic corpus of 2,000 papers (about 138,000 triples, over 10,000 co-author
pairs) with a few papers that share titles spelled three ways. What the tests check on the
server goes through ``isql-vt`` or plain HTTP, not through kg, so they do not trust what they
test.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox
import pytest
from conftest import refusing_port, start_on_free_ports, stop, wait_until_answering

from kg.errors import IncompleteAnswer
from kg.queries import BoundTerm, parse_params, resolve_query, run_local, run_remote
from kg.rdfio import load_store

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
from corpus import write_corpus

SHIPPED_INI = Path("/usr/share/virtuoso-opensource-7/virtuoso.ini")
SHIPPED_DB = "/var/lib/virtuoso-opensource-7/db"
SHIPPED_VSP = "/var/lib/virtuoso-opensource-7/vsp"
GRAPH = "https://example.org/kg/graph"
CANNED = sorted(path.stem for path in (Path(__file__).parent.parent / "queries").glob("*.rq"))
CAP = 10000

_NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))

#: Three spellings of one title by different authors: the same-title query's both branches.
SHARED_TITLES = """Owner, Sam
Graphs of Everything
Owner, Sam, Doe, Jane
We study graphs.
Graphs of everything!
Owner, Sam, Roe, Rita
We study graphs again.
GRAPHS OF EVERYTHING
Owner, Sam, Poe, Paul
And once more.
A Title Seen Twice
Owner, Sam
First.
A title seen twice
Doe, Jane
Second.
"""


@dataclass(frozen=True)
class Virtuoso:
    """A running Virtuoso: its HTTP base URL and its SQL port (for isql-vt)."""

    http: str
    sql_port: int

    @property
    def sparql(self) -> str:
        return f"{self.http}/sparql"

    @property
    def crud_auth(self) -> str:
        return f"{self.http}/sparql-graph-crud-auth"

    def isql(self, statement: str) -> str:
        """Run one SQL statement as dba through Virtuoso's own client."""
        done = subprocess.run(
            ["isql-vt", str(self.sql_port), "dba", "dba", f"exec={statement}"],
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        )
        return done.stdout

    def count(self, graph: str) -> int:
        out = self.isql(f"SPARQL SELECT COUNT(*) WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }};")
        return int(re.findall(r"^\s*(\d+)\s*$", out, re.MULTILINE)[0])

    def graphs(self) -> set[str]:
        """Every graph that holds a triple, as the open /sparql endpoint lists them."""
        query = "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }"
        url = self.sparql + "?" + urllib.parse.urlencode({"query": query})
        request = urllib.request.Request(url, headers={"Accept": "application/sparql-results+json"})
        with _NO_PROXY.open(request, timeout=60) as response:
            answer = json.load(response)
        return {row["g"]["value"] for row in answer["results"]["bindings"]}


def _start(folder: Path, ports: tuple[int, ...]) -> tuple[subprocess.Popen[bytes], Virtuoso]:
    """Virtuoso in ``folder`` on HTTP and SQL ``ports``, once it answers; raises PortTaken
    if either port is taken."""
    http_port, sql_port = ports
    ini = SHIPPED_INI.read_text(encoding="utf-8")
    ini = ini.replace(SHIPPED_DB, str(folder)).replace(SHIPPED_VSP, str(folder / "vsp"))
    ini = re.sub(r"(?m)^(ServerPort\s*=\s*)1111\b", rf"\g<1>127.0.0.1:{sql_port}", ini)
    ini = re.sub(r"(?m)^(ServerPort\s*=\s*)8890\b", rf"\g<1>127.0.0.1:{http_port}", ini)
    (folder / "virtuoso.ini").write_text(ini, encoding="utf-8")
    log = folder / "server.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            ["virtuoso-t", "+foreground", "+configfile", str(folder / "virtuoso.ini")],
            cwd=folder,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    server = Virtuoso(f"http://127.0.0.1:{http_port}", sql_port)
    probe = server.sparql + "?" + urllib.parse.urlencode({"query": "ASK {}"})
    try:
        wait_until_answering(probe, process, log, timeout=120)
    except BaseException:
        stop(process, grace=60)
        raise
    return process, server


@pytest.fixture(scope="module")
def virtuoso(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Virtuoso]:
    for binary in ("virtuoso-t", "isql-vt"):
        if shutil.which(binary) is None or not SHIPPED_INI.is_file():
            pytest.fail(
                f"{binary} or {SHIPPED_INI} is missing: install Debian's virtuoso-opensource-7 "
                "(.ci/run does)"
            )
    process, server = start_on_free_ports(
        lambda ports: _start(tmp_path_factory.mktemp("virtuoso"), ports), count=2
    )
    try:
        yield server
    finally:
        stop(process, grace=60)


@pytest.mark.parametrize("which", [0, 1], ids=["HTTP", "SQL"])
def test_virtuoso_on_a_taken_port_is_started_again_on_others(
    tmp_path_factory: pytest.TempPathFactory, which: int
) -> None:
    """Virtuoso exits when its HTTP or SQL port is taken; the start is tried again."""
    logs: list[Path] = []

    def start(ports: tuple[int, ...]) -> tuple[subprocess.Popen[bytes], Virtuoso]:
        folder = tmp_path_factory.mktemp("virtuoso-taken")
        logs.append(folder / "server.log")
        given = list(ports)
        if len(logs) == 1:
            given[which] = taken
        return _start(folder, tuple(given))

    with refusing_port() as taken:
        process, _ = start_on_free_ports(start, count=2)
    stop(process, grace=60)
    assert len(logs) == 2
    assert f"127.0.0.1:{taken}" in logs[0].read_text()


def _kg(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "kg", *args],
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )


@pytest.fixture(scope="module")
def big_graph(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """graph.nt of 2,000 synthetic papers plus a list of papers sharing titles."""
    folder = tmp_path_factory.mktemp("big")
    write_corpus(folder / "lists", 2000)
    (folder / "lists" / "shared-titles.txt").write_text(SHARED_TITLES, encoding="utf-8")
    built = _kg("build", str(folder / "lists"), "-o", str(folder / "out"))
    assert built.returncode == 0, built.stderr
    return folder / "out" / "graph.nt"


@pytest.fixture(scope="module")
def loaded(virtuoso: Virtuoso, big_graph: Path) -> Path:
    """The big graph pushed into GRAPH with Digest authentication, the way a user would."""
    pushed = _kg(
        "push", str(big_graph), "--endpoint", virtuoso.crud_auth, "--auth", "dba:dba",
        "--graph", GRAPH,
    )  # fmt: skip
    assert pushed.returncode == 0, pushed.stderr
    return big_graph


def _lines(path: Path) -> int:
    return sum(1 for line in path.read_bytes().split(b"\n") if line.strip())


def test_a_graph_over_the_row_cap_is_pushed_whole(virtuoso: Virtuoso, loaded: Path) -> None:
    """138k triples through Digest auth: counted with COUNT(*), not downloaded (capped)."""
    triples = _lines(loaded)
    assert triples > 10 * CAP
    assert virtuoso.count(GRAPH) == triples
    assert {g for g in virtuoso.graphs() if g.startswith("urn:kg:staging:")} == set()


def test_pushing_again_replaces_the_graph(virtuoso: Virtuoso, loaded: Path) -> None:
    """Into a second graph, twice: the second push replaces (MOVE onto an existing graph)."""
    other = "https://example.org/kg/other"
    small = Path(__file__).parent.parent / "exports" / "graph.nt"
    try:
        for _ in range(2):
            pushed = _kg(
                "push", str(small), "--endpoint", virtuoso.crud_auth, "--auth", "dba:dba",
                "--graph", other,
            )  # fmt: skip
            assert pushed.returncode == 0, pushed.stderr
            assert virtuoso.count(other) == _lines(small)
    finally:
        virtuoso.isql(f"SPARQL CLEAR GRAPH <{other}>;")
    assert virtuoso.count(GRAPH) == _lines(loaded)


def test_pushing_to_the_default_graph_says_to_pass_graph(virtuoso: Virtuoso, loaded: Path) -> None:
    """Virtuoso refuses ``MOVE … TO DEFAULT``: kg finds out before uploading anything."""
    before = virtuoso.graphs()
    pushed = _kg("push", str(loaded), "--endpoint", virtuoso.crud_auth, "--auth", "dba:dba")
    assert pushed.returncode == 2
    assert "pass --graph IRI" in pushed.stderr
    assert "nothing was uploaded" in pushed.stderr
    assert "Traceback" not in pushed.stderr
    assert virtuoso.graphs() == before


@pytest.mark.parametrize(
    ("auth", "told"),
    [
        (None, 'it asks for HTTP Digest (realm "SPARQL") authentication; no credentials were '
         "sent: give --auth USER"),
        ("dba:wrong", 'it asks for HTTP Digest (realm "SPARQL") authentication; the '
         "credentials sent were refused"),
    ],
)  # fmt: skip
def test_refused_credentials_name_the_scheme(
    virtuoso: Virtuoso, loaded: Path, auth: str | None, told: str
) -> None:
    small = Path(__file__).parent.parent / "exports" / "graph.nt"
    before = virtuoso.graphs()
    args = ["push", str(small), "--endpoint", virtuoso.crud_auth, "--graph", GRAPH]
    pushed = _kg(*args, *(["--auth", auth] if auth else []))
    assert pushed.returncode == 2
    assert "HTTP 401 Unauthorized" in pushed.stderr
    assert told in pushed.stderr
    assert virtuoso.graphs() == before
    assert virtuoso.count(GRAPH) == _lines(loaded)


@pytest.fixture(scope="module")
def local_store(loaded: Path) -> ox.Store:
    return load_store([loaded])


def _params(name: str, store: ox.Store) -> dict[str, BoundTerm]:
    """The canned query's parameters: the most prolific author of the graph."""
    query = resolve_query(name)
    if not query.params:
        return {}
    top = run_local(resolve_query("papers-per-author").text, store).rows[0]
    author = next(cell for cell in top if isinstance(cell, ox.Literal))
    return parse_params([f"name={author.value}"], query.declared_params)


@pytest.mark.parametrize("name", CANNED)
def test_canned_queries_answer_as_oxigraph_does(
    name: str, virtuoso: Virtuoso, local_store: ox.Store
) -> None:
    """Every canned query runs within Virtuoso's default cost limit and gives Oxigraph's rows;
    one whose answer is over Virtuoso's 10,000-row cap is refused as incomplete instead."""
    params = _params(name, local_store)
    text = resolve_query(name).text
    local = run_local(text, local_store, params)
    if len(local.rows) > CAP:
        with pytest.raises(IncompleteAnswer, match=rf"X-SPARQL-MaxRows: {CAP}"):
            run_remote(text, virtuoso.sparql, params, timeout=120)
        return
    remote = run_remote(text, virtuoso.sparql, params, timeout=120)
    assert remote.variables == local.variables
    assert sorted(map(str, remote.rows)) == sorted(map(str, local.rows))
    assert remote.rows == local.rows


def test_canned_queries_meet_both_cases(local_store: ox.Store) -> None:
    """The graph is big enough for the cap and holds shared titles, so neither case is idle."""
    counts = {
        name: len(run_local(resolve_query(name).text, local_store, _params(name, local_store)).rows)
        for name in ("collaboration-pairs", "same-title-different-authors")
    }
    assert counts["collaboration-pairs"] > CAP
    assert counts["same-title-different-authors"] == 4  # 3 spellings: 3 pairs, and 1 pair


def test_a_capped_answer_exits_3_and_names_the_limit(loaded: Path, virtuoso: Virtuoso) -> None:
    answered = _kg("query", "collaboration-pairs", "--endpoint", virtuoso.sparql)
    assert answered.returncode == 3
    assert answered.stdout == ""
    assert (
        f"{virtuoso.sparql} capped its answer at {CAP} rows (X-SPARQL-MaxRows: {CAP}): the "
        "answer is incomplete"
    ) in answered.stderr
    assert "Traceback" not in answered.stderr


def test_a_limit_of_the_cap_is_a_complete_answer(loaded: Path, virtuoso: Virtuoso) -> None:
    """A query that itself asks for 10,000 rows gets them: nothing was cut."""
    query = "SELECT ?s ?o WHERE { ?s <http://schema.org/name> ?o } ORDER BY ?s ?o LIMIT 10000"
    answered = _kg("query", "-q", query, "--endpoint", virtuoso.sparql, "--format", "csv")
    assert answered.returncode == 0, answered.stderr
    assert len(answered.stdout.splitlines()) == CAP + 1


def test_a_page_within_the_cap_is_a_complete_answer(loaded: Path, virtuoso: Virtuoso) -> None:
    """Virtuoso sends its cap header with a page of exactly 10,000 rows: that page is whole.
    A sorted page that ends past the cap is refused by Virtuoso itself (SR353), exit 2."""
    page = ["query", "collaboration-pairs", "--endpoint", virtuoso.sparql, "--format", "csv"]
    local = ["query", "collaboration-pairs", "--data", str(loaded), "--format", "csv"]
    for options in (["--limit", str(CAP)], ["--limit", "100", "--offset", str(CAP - 100)]):
        answered = _kg(*page, *options)
        assert answered.returncode == 0, answered.stderr
        assert answered.stdout == _kg(*local, *options).stdout
    assert len(answered.stdout.splitlines()) == 100 + 1
    over = _kg(*page, "--limit", str(CAP + 1))
    assert over.returncode == 2
    assert over.stdout == ""
    assert "Only 10000 are allowed" in over.stderr and "Traceback" not in over.stderr


def test_a_capped_construct_is_refused(loaded: Path, virtuoso: Virtuoso) -> None:
    """Virtuoso caps CONSTRUCT answers at 10,001 triples without saying so."""
    query = "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }"
    answered = _kg("query", "-q", query, "--endpoint", virtuoso.sparql, "--format", "ntriples")
    assert answered.returncode == 3
    assert answered.stdout == ""
    assert "sent exactly 10001 triples" in answered.stderr


def test_virtuoso_blank_node_labels_are_read(loaded: Path, virtuoso: Virtuoso) -> None:
    """Virtuoso labels blank nodes ``nodeID://b…``, which SPARQL results parsers refuse: kg
    gives them labels the grammar accepts, distinct labels staying distinct."""
    query = (
        "SELECT ?paper ?list WHERE { ?paper <http://purl.org/ontology/bibo/authorList> ?list }"
        " ORDER BY ?paper LIMIT 50"
    )
    result = run_remote(query, virtuoso.sparql, timeout=60)
    lists = [row[1] for row in result.rows]
    assert len(lists) == 50
    assert all(isinstance(cell, ox.BlankNode) for cell in lists)
    assert len(set(lists)) == 50
