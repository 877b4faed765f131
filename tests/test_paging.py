"""``kg query --limit/--offset``: pages cut from the query's own slice, on local data, the
on-disk store and a real Oxigraph server, and canned queries whose order makes pages exact
(a total order, biggest counts first where they rank)."""

from __future__ import annotations

import csv
import io
import subprocess
import sys
from collections.abc import Iterator
from itertools import pairwise
from pathlib import Path

import pyoxigraph as ox
import pytest
from conftest import RICH_INPUTS, read_only_oxigraph
from rdflib.plugins.sparql.parser import parseQuery
from rdflib.term import Variable
from test_serve import running

from kg.errors import QueryError
from kg.queries import (
    MAX_SLICE,
    BoundTerm,
    CannedQuery,
    list_canned_queries,
    page_query,
    parse_params,
    resolve_query,
    run_local,
    run_remote,
)
from kg.rdfio import load_store
from kg.results import QueryResult
from kg.serve import make_server

BENCH = Path(__file__).resolve().parent.parent / "bench"
sys.path.insert(0, str(BENCH))
from corpus import write_corpus  # noqa: E402

# A list for the cases the bench corpus lacks: titles shared by separate papers (in two and in
# three spellings), papers without abstract, and a person printed with an initial only.
EXTRAS = """Quarry, Ann
Paging Through Answers at Scale
Quarry, Ann, Ledger, Bo

Paging through answers at scale.
Ledger, Bo, Quarry, Ann
A second printing, in another order.
Paging Through Answers At Scale!
Quarry, Ann, Stone, Cy

Ties Broken by Names
Quarry, A., Vale, Dee

Ordered Pages of a Graph
Quarry, Ann, Vale, Dee, Ledger, Bo
Abstract here.
"""

#: Canned queries that rank, and the count column their rows go down by.
RANKED = {
    "coauthors": "papers",
    "collaboration-pairs": "papers",
    "owner-coauthors": "papers",
    "papers-per-author": "papers",
    "papers-per-list": "papers",
    "venues": "papers",
}
CANNED = [query.name for query in list_canned_queries()]


def kg(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "kg", *args], capture_output=True, text=True, cwd=cwd, check=False
    )


@pytest.fixture(scope="module")
def bench_build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A build of a 300-paper bench corpus, the rich inputs and EXTRAS, with its store."""
    folder = tmp_path_factory.mktemp("bench")
    lists = write_corpus(folder / "lists", 300)
    (folder / "lists" / "zz-extras.txt").write_text(EXTRAS, encoding="utf-8")
    inputs = [str(folder / "lists"), *map(str, RICH_INPUTS)]
    built = kg("build", *inputs, "-o", "out", "--store", "store", "--no-cache", cwd=folder)
    assert built.returncode == 0, built.stderr
    assert len(lists) > 50
    return folder


@pytest.fixture(scope="module", params=["sample", "bench"])
def graph(request: pytest.FixtureRequest, example_graph_path: Path) -> Path:
    if request.param == "sample":
        return example_graph_path
    return request.getfixturevalue("bench_build") / "out" / "graph.nt"


@pytest.fixture(scope="module")
def local(graph: Path) -> ox.Store:
    return load_store([graph])


@pytest.fixture(scope="module")
def on_disk(graph: Path, tmp_path_factory: pytest.TempPathFactory) -> ox.Store:
    """The graph in an on-disk (RocksDB) Oxigraph store, as `kg build --store` writes."""
    store = ox.Store(str(tmp_path_factory.mktemp("store") / "store"))
    store.extend(load_store([graph]))
    store.flush()
    return store


@pytest.fixture(scope="module")
def endpoint(graph: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with read_only_oxigraph([graph], tmp_path_factory.mktemp("oxigraph")) as url:
        yield url


def params_for(query: CannedQuery, store: ox.Store) -> dict[str, BoundTerm]:
    """The most prolific author's name for queries that take a name."""
    if not query.params:
        return {}
    top = run_local(resolve_query("papers-per-author").text, store).rows[0]
    assert isinstance(top[0], ox.Literal)
    return parse_params([f"name={top[0].value}"], query.declared_params)


def order_variables(query: str) -> list[str]:
    """The variables the query's own ORDER BY reads, as rdflib's parser sees them."""
    found: list[str] = []
    pending: list[object] = [parseQuery(query)[1]["orderby"]]
    while pending:
        item = pending.pop()
        if isinstance(item, Variable):
            found.append(str(item))
        elif isinstance(item, dict):
            pending.extend(item.values())
        elif isinstance(item, list | tuple) or type(item).__name__ == "ParseResults":
            pending.extend(item)
    return sorted(set(found))


# --- every canned query, paged -------------------------------------------------------------


@pytest.mark.parametrize("engine", ["in memory", "on-disk store", "oxigraph server"])
@pytest.mark.parametrize("name", CANNED)
def test_pages_of_every_canned_query_make_up_its_answer(
    name: str, engine: str, local: ox.Store, request: pytest.FixtureRequest
) -> None:
    query = resolve_query(name)
    bindings = params_for(query, local)
    url = request.getfixturevalue("endpoint") if engine == "oxigraph server" else ""
    store = request.getfixturevalue("on_disk") if engine == "on-disk store" else local

    def run(text: str) -> QueryResult:
        if url:
            return run_remote(text, url, bindings, timeout=60)
        return run_local(text, store, bindings)

    whole = run(query.text)
    if request.node.callspec.params["graph"] == "bench":
        assert whole.rows, f"{name} answers nothing here: its pages would prove nothing"
    for size in sorted({1, len(whole.rows) // 3 + 1}):
        paged: list[tuple[BoundTerm | None, ...]] = []
        for offset in range(0, len(whole.rows) + size, size):
            if size == 1 and offset >= 4 and offset < len(whole.rows) - 1:
                continue  # single rows: the first few and the last two are enough
            page = run(page_query(query.text, limit=size, offset=offset))
            assert page.variables == whole.variables
            assert page.rows == whole.rows[offset : offset + size], (name, size, offset)
            paged += page.rows
        if size > 1:
            assert paged == list(whole.rows)


@pytest.mark.parametrize("name", CANNED)
def test_every_canned_query_orders_its_rows_totally(name: str, local: ox.Store) -> None:
    """Rows that agree on every variable of ORDER BY are the same row: no two different rows
    tie, so every engine gives one order and pages neither repeat nor skip a row."""
    query = resolve_query(name)
    result = run_local(query.text, local, params_for(query, local))
    keys = order_variables(query.text)
    assert set(keys) <= set(result.variables), keys
    where = [result.variables.index(key) for key in keys]
    rows = set(result.rows)
    assert len({tuple(row[i] for i in where) for row in rows}) == len(rows)


@pytest.mark.parametrize("name", sorted(RANKED))
def test_ranked_queries_give_the_biggest_counts_first(name: str, local: ox.Store) -> None:
    query = resolve_query(name)
    result = run_local(query.text, local, params_for(query, local))
    column = result.variables.index(RANKED[name])
    counts = [int(row[column].value) for row in result.rows if row[column] is not None]
    assert counts == sorted(counts, reverse=True)
    assert len(counts) == len(result.rows)


def test_owner_coauthors_rank_across_owners(bench_build: Path) -> None:
    """The strongest ties first, whoever the owner (not one owner's co-authors after another)."""
    store = load_store([bench_build / "out" / "graph.nt"])
    result = run_local(resolve_query("owner-coauthors").text, store)
    owners = [row[3] for row in result.rows]
    switches = sum(1 for before, after in pairwise(owners) if before != after)
    assert switches > len(set(owners)) - 1  # an owner's rows are not all in one run


# --- page_query ----------------------------------------------------------------------------

NUMBERS = "SELECT ?n WHERE { VALUES ?n { " + " ".join(map(str, range(1, 21))) + " } } ORDER BY ?n"


@pytest.fixture(scope="module")
def empty() -> ox.Store:
    return ox.Store()


def numbers(result: QueryResult) -> list[int]:
    return [int(row[0].value) for row in result.rows if row[0] is not None]


@pytest.mark.parametrize(
    "own", ["", "LIMIT 10", "OFFSET 4", "LIMIT 10 OFFSET 4", "OFFSET 4 LIMIT 0"]
)
@pytest.mark.parametrize(
    ("limit", "offset"),
    [(None, 0), (3, None), (3, 0), (3, 2), (3, 8), (3, 9), (100, 1), (0, 0), (None, 7), (5, 30)],
)
def test_a_page_is_cut_from_the_query_s_own_slice(
    own: str, limit: int | None, offset: int | None, empty: ox.Store
) -> None:
    """The engine's answer to the paged query is Python's slice of the query's own answer:
    never a row the query itself would not give."""
    query = f"{NUMBERS} {own}"
    whole = numbers(run_local(query, empty))
    expected = whole[offset or 0 :][:limit] if limit is not None else whole[offset or 0 :]
    assert numbers(run_local(page_query(query, limit, offset), empty)) == expected


def test_only_the_query_s_own_limit_and_offset_are_replaced(empty: ox.Store) -> None:
    query = (
        "SELECT ?n ?s WHERE {\n"
        "  { SELECT ?n WHERE { VALUES ?n { 1 2 3 4 5 6 } } ORDER BY ?n LIMIT 5 OFFSET 0 }\n"
        '  BIND ("LIMIT 1 OFFSET 9" AS ?s)\n'
        "} ORDER BY ?n # LIMIT 2\n"
        "LIMIT\n# the page size\n4 OFFSET 1\n"
        'VALUES ?s { "LIMIT 1 OFFSET 9" }'
    )
    paged = page_query(query, limit=2, offset=1)
    assert paged.count("LIMIT 5 OFFSET 0") == 1 and paged.count('"LIMIT 1 OFFSET 9"') == 2
    assert "# LIMIT 2\n" in paged  # a comment is not a clause
    assert numbers(run_local(query, empty)) == [2, 3, 4, 5]
    assert numbers(run_local(paged, empty)) == [3, 4]
    assert paged.rstrip().endswith('VALUES ?s { "LIMIT 1 OFFSET 9" }')


def test_no_page_leaves_the_query_as_it_is() -> None:
    assert page_query(NUMBERS) == NUMBERS


def test_construct_is_paged_by_solutions(empty: ox.Store) -> None:
    """A solution of the WHERE pattern gives two triples here: a limit of 3 gives six."""
    query = (
        "CONSTRUCT { ?s <https://example.org/n> ?n ; <https://example.org/m> ?n } "
        "WHERE { VALUES ?n { 1 2 3 4 5 } BIND (IRI(CONCAT('https://example.org/', STR(?n))) "
        "AS ?s) } ORDER BY ?n"
    )
    result = run_local(page_query(query, limit=3, offset=1), empty)
    subjects = sorted({triple.subject.value for triple in result.triples})
    assert len(result.triples) == 6
    assert subjects == [f"https://example.org/{n}" for n in (2, 3, 4)]


@pytest.mark.parametrize(
    ("query", "limit", "offset", "message"),
    [
        ("ASK { }", 1, None, "an ASK query answers yes or no"),
        ("ASK { }", None, 0, "an ASK query answers yes or no"),
        (NUMBERS, -1, None, "the limit must be an integer from 0 to"),
        (NUMBERS, None, -3, "the offset must be an integer from 0 to"),
        (NUMBERS, MAX_SLICE + 1, None, "the limit must be an integer from 0 to"),
        (f"{NUMBERS} OFFSET {MAX_SLICE}", None, 1, "OFFSET plus --offset is over"),
        ("DELETE WHERE { ?s ?p ?o }", 1, None, "updates"),
    ],
)
def test_pages_that_cannot_be_are_refused(
    query: str, limit: int | None, offset: int | None, message: str
) -> None:
    with pytest.raises(QueryError, match=message):
        page_query(query, limit, offset)


# --- kg query --limit --offset -------------------------------------------------------------


def csv_rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline="")))


def test_kg_query_pages_on_data_store_and_endpoint(bench_build: Path, tmp_path: Path) -> None:
    data = str(bench_build / "out" / "graph.nt")
    whole = kg("query", "collaboration-pairs", "--data", data, "--format", "csv")
    assert whole.returncode == 0, whole.stderr
    header, *rows = csv_rows(whole.stdout)
    with read_only_oxigraph([Path(data)], tmp_path) as url:
        for source in (["--data", data], ["--store", "store"], ["--endpoint", url]):
            page = kg(
                "query", "collaboration-pairs", *source, "--format", "csv",
                "--limit", "25", "--offset", "40", cwd=bench_build,
            )  # fmt: skip
            assert page.returncode == 0, page.stderr
            assert csv_rows(page.stdout) == [header, *rows[40:65]], source
            assert int(rows[40][2]) >= int(rows[64][2])  # biggest counts first


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--limit", "-1"], "Invalid value for '--limit': -1 is negative; give 0 or more"),
        (["--offset", "-5"], "Invalid value for '--offset': -5 is negative; give 0 or more"),
        (["--limit", "ten"], "Invalid value for '--limit': 'ten' is not a valid integer."),
        (["--offset", "1.5"], "Invalid value for '--offset': '1.5' is not a valid integer."),
        (["--limit", str(MAX_SLICE + 1)], f"the limit must be an integer from 0 to {MAX_SLICE}"),
        (["-q", "ASK { ?s ?p ?o }", "--limit", "1"], "an ASK query answers yes or no"),
    ],
)
def test_bad_pages_exit_2_with_a_message(
    options: list[str], message: str, example_graph_path: Path
) -> None:
    query = [] if "-q" in options else ["papers-per-author"]
    answered = kg("query", *query, *options, "--data", str(example_graph_path))
    assert answered.returncode == 2
    assert answered.stdout == ""
    assert message in answered.stderr
    assert "Traceback" not in answered.stderr


def test_a_limit_within_the_server_s_cap_is_a_complete_answer(example_graph_path: Path) -> None:
    """kg serve caps answers at 3 rows here (authors-as-printed has 5): a page of 3 is whole,
    a page of 4 (or the whole answer) is cut, exit 3, nothing printed."""
    with running(make_server(load_store([example_graph_path]), port=0, max_rows=3)) as server:
        url = server.url + "sparql"

        def query(*options: str) -> subprocess.CompletedProcess[str]:
            return kg("query", "authors-as-printed", "--endpoint", url, "--format", "csv", *options)

        whole = kg(
            "query", "authors-as-printed", "--data", str(example_graph_path), "--format", "csv"
        )
        header, *rows = csv_rows(whole.stdout)
        assert len(rows) == 5
        for options, expected in [
            (["--limit", "3"], rows[:3]),
            (["--limit", "3", "--offset", "2"], rows[2:]),
            (["--limit", "2", "--offset", "4"], rows[4:]),
            (["--offset", "3"], rows[3:]),
        ]:
            page = query(*options)
            assert page.returncode == 0, (options, page.stderr)
            assert csv_rows(page.stdout) == [header, *expected]
        for options in (["--limit", "4"], ["--offset", "1"]):
            cut = query(*options)
            assert cut.returncode == 3, (options, cut.stderr)
            assert cut.stdout == ""
            assert "capped its answer at 3 rows (X-SPARQL-MaxRows: 3)" in cut.stderr


def test_a_limit_on_a_capped_construct_does_not_hide_the_cut(example_graph_path: Path) -> None:
    """A CONSTRUCT's LIMIT counts solutions, the server's cap triples: two solutions of two
    triples each, cut at 3 triples, are an incomplete answer although 2 <= 3."""
    construct = (
        "CONSTRUCT { ?p schema:name ?t ; schema:about ?p } "
        "WHERE { ?p a bibo:Document ; schema:name ?t } ORDER BY ?p"
    )
    with running(make_server(load_store([example_graph_path]), port=0, max_rows=3)) as server:
        url = server.url + "sparql"
        options = ["query", "-q", construct, "--endpoint", url, "--format", "ntriples"]
        whole = kg(*options, "--limit", "1")
        assert whole.returncode == 0, whole.stderr
        assert len(whole.stdout.splitlines()) == 2
        cut = kg(*options, "--limit", "2")
        assert cut.returncode == 3, cut.stderr
        assert cut.stdout == ""
        assert "capped its answer at 3 triples" in cut.stderr
