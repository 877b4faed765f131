"""``kg query`` loads only the triples a query can read from a graph.nt its build recorded:
every answer must be the answer on the whole graph, and anything else is loaded whole."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
from pathlib import Path

import pyoxigraph as ox
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
from conftest import RICH_INPUTS
from corpus import write_corpus

from kg.batches import Shard
from kg.bibliography.export import export_bibliography
from kg.bibliography.works import QUERIES as WORK_QUERIES
from kg.cachefile import CACHE_FOLDER
from kg.iris import IriScheme
from kg.partial_load import RECORD_FILE, load_for_queries, load_part
from kg.pipeline import build
from kg.queries import (
    CannedQuery,
    list_canned_queries,
    name_check_queries,
    page_query,
    parse_params,
    predeclared_prefixes,
    run_local,
    unknown_names,
)
from kg.query_scope import joined_scope, predicates_read
from kg.rdfio import load_store
from kg.resources import sample_list
from kg.wikidata.local import QUERIES as LOCAL_QUERIES
from kg.wikidata.local import read_local_graph

PREFIXES = predeclared_prefixes()

SCOPED = [
    "SELECT ?s ?o WHERE { ?s schema:name ?o } ORDER BY ?s ?o",
    "SELECT ?s WHERE { ?s a schema:Person FILTER NOT EXISTS { ?s schema:alternateName ?n } }"
    " ORDER BY ?s",
    "SELECT ?s WHERE { ?s a schema:Person FILTER EXISTS { [] schema:author ?s, ?t . ?t"
    " schema:familyName ?f } } ORDER BY ?s",
    "SELECT ?person ?title WHERE { ?person ^schema:author/schema:name ?title }"
    " ORDER BY ?person ?title",
    "SELECT ?s ?o WHERE { ?s (schema:hasPart|schema:about)+ ?o } ORDER BY ?s ?o",
    "SELECT ?s ?o WHERE { ?s schema:hasPart/schema:author ?o } ORDER BY ?s ?o",
    "ASK { ?s schema:abstract ?a }",
    "ASK { ?s schema:sameAs ?a }",
    "CONSTRUCT { ?s schema:name ?n } WHERE { ?s a schema:Person ; schema:name ?n }",
    "SELECT ?s ?n WHERE { VALUES ?p { schema:givenName schema:familyName } ?s ?p ?n }"
    " ORDER BY ?s ?n",
    "SELECT ?g ?s WHERE { GRAPH ?g { ?s schema:name ?n } }",
    "SELECT ?list (COUNT(?paper) AS ?n) WHERE { ?list schema:hasPart ?paper } GROUP BY ?list"
    " ORDER BY ?list",
    "SELECT ?s WHERE { <https://example.org/nothing> schema:author* ?s }",
    "SELECT ?x WHERE { { SELECT ?x WHERE { ?x schema:position 1 } } ?x prov:agent ?a } ORDER BY ?x",
    # blank nodes (the author lists) joined across lines far apart in the file
    "SELECT ?paper ?second WHERE { ?paper bibo:authorList ?list . ?list rdf:rest ?rest ."
    " ?rest rdf:first ?second } ORDER BY ?paper ?second",
    # rdf:type with a fixed class: only those classes' typing triples are loaded...
    "SELECT ?s ?n WHERE { ?s a schema:Person ; schema:name ?n } ORDER BY ?s ?n",
    "SELECT ?s WHERE { ?s a bibo:Document FILTER NOT EXISTS { ?s a schema:Person } } ORDER BY ?s",
    "SELECT ?s WHERE { schema:Person ^rdf:type ?s } ORDER BY ?s",
    # ...and with a class left open anywhere, all of them
    "SELECT ?s ?c WHERE { ?s a schema:Person . OPTIONAL { ?s a ?c } } ORDER BY ?s ?c",
    "SELECT ?s ?c WHERE { ?s a schema:Person . ?c ^rdf:type ?s } ORDER BY ?s ?c",
]
"""Queries that name every predicate they read: loaded in part, answered the same."""

WHOLE = [
    "SELECT ?p (COUNT(*) AS ?n) WHERE { ?s ?p ?o } GROUP BY ?p ORDER BY ?p",
    # length zero between two variables: every node of the graph, whatever its predicates
    "SELECT ?x WHERE { ?x schema:author* ?x } ORDER BY ?x",
    "SELECT (COUNT(*) AS ?n) WHERE { ?x schema:sameAs? ?y }",
    "SELECT ?s ?o WHERE { ?s !schema:name ?o } ORDER BY ?s ?o",
    "SELECT ?s WHERE { ?s schema:name ?n FILTER EXISTS { ?s ?p ?v } } ORDER BY ?s",
    "SELECT ?s ?v WHERE { ?s schema:name ?n OPTIONAL { ?s ?p ?v } VALUES ?p { schema:givenName }"
    " } ORDER BY ?s ?v",
    "SELECT ?s ?n WHERE { VALUES ?p { schema:givenName UNDEF } ?s ?p ?n } ORDER BY ?s ?n",
    "DESCRIBE ?s WHERE { ?s a schema:Person } LIMIT 2",
]
"""Queries that may read any triple: loaded whole."""


def built(inputs: list[Path], out: Path, cache: bool = True) -> Path:
    build(inputs, out, IriScheme(), cache_dir=out / CACHE_FOLDER if cache else None)
    return out / "graph.nt"


@pytest.fixture(scope="module")
def corpus_graph(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("corpus")
    write_corpus(folder / "lists", 300, seed=11)
    return built([folder / "lists"], folder / "out")


@pytest.fixture(scope="module")
def sample_graph(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return built([sample_list()], tmp_path_factory.mktemp("sample") / "out")


def bindings_for(query: CannedQuery, store: ox.Store) -> dict[str, ox.Literal]:
    """A name for each parameter: the author of most papers."""
    ranking = run_local(page_query(_named("papers-per-author").text, 1), store)
    return {param.name: ranking.rows[0][0] for param in query.params}  # type: ignore[misc]


def _named(name: str) -> CannedQuery:
    return next(query for query in list_canned_queries() if query.name == name)


@pytest.mark.parametrize("graph_name", ["sample_graph", "corpus_graph"])
def test_every_canned_query_answers_as_on_the_whole_graph(
    graph_name: str, request: pytest.FixtureRequest
) -> None:
    graph: Path = request.getfixturevalue(graph_name)
    whole = load_store([graph])
    for query in list_canned_queries():
        bindings = bindings_for(query, whole)
        texts = [query.text, *name_check_queries(query)]
        part = load_for_queries([graph], texts, PREFIXES)
        assert len(part) < len(whole), query.name  # every canned query names its predicates
        expected = run_local(query.text, whole, bindings, prefixes=PREFIXES)
        assert run_local(query.text, part, bindings, prefixes=PREFIXES) == expected, query.name
        if query.params:
            unknown = parse_params([f"{query.params[0].name}=Nobody Known"], query.params)
            assert unknown_names(query, unknown, part) == unknown_names(query, unknown, whole)


@pytest.mark.parametrize("text", SCOPED)
def test_queries_naming_their_predicates_load_part(text: str, corpus_graph: Path) -> None:
    assert predicates_read(text, PREFIXES) is not None
    whole = load_store([corpus_graph])
    part = load_for_queries([corpus_graph], [text], PREFIXES)
    assert len(part) < len(whole)
    assert run_local(text, part, prefixes=PREFIXES) == run_local(text, whole, prefixes=PREFIXES)


@pytest.mark.parametrize("text", WHOLE)
def test_queries_that_may_read_any_triple_load_whole(text: str, corpus_graph: Path) -> None:
    whole = load_store([corpus_graph])
    assert predicates_read(text, PREFIXES) is None
    assert len(load_for_queries([corpus_graph], [text], PREFIXES)) == len(whole)


def test_a_wrong_scope_would_change_these_answers(corpus_graph: Path) -> None:
    """The zero-length and negated queries above are not loaded whole for nothing: on the
    triples of their named predicates alone they would answer otherwise."""
    whole = load_store([corpus_graph])
    author = "http://schema.org/author"
    name = "http://schema.org/name"
    for text, named in [
        (WHOLE[1], {author: None}),
        (WHOLE[3], {name: None}),
        (WHOLE[2], {author: None}),
    ]:
        part = load_part([corpus_graph], named)
        assert part is not None
        assert run_local(text, part, prefixes=PREFIXES) != run_local(text, whole, prefixes=PREFIXES)


def test_the_build_records_the_graph_it_wrote(tmp_path: Path) -> None:
    graph = built([sample_list()], tmp_path / "cached")
    record = tmp_path / "cached" / CACHE_FOLDER / RECORD_FILE
    assert (
        record.read_text(encoding="ascii") == hashlib.sha256(graph.read_bytes()).hexdigest() + "\n"
    )
    uncached = built([sample_list()], tmp_path / "uncached", cache=False)
    assert not (tmp_path / "uncached" / CACHE_FOLDER).exists()
    assert load_part([uncached], {"http://schema.org/name": None}) is None


def test_a_changed_file_is_loaded_whole(tmp_path: Path) -> None:
    graph = built([sample_list()], tmp_path / "out")
    name = "http://schema.org/name"
    assert load_part([graph], {name: None}) is not None
    lines = graph.read_bytes().splitlines(keepends=True)
    kept = [line for line in lines if f" <{name}> ".encode() not in line or b"Peyrard" not in line]
    graph.write_bytes(b"".join(kept))  # a valid graph, but not the one the build wrote
    assert load_part([graph], {name: None}) is None
    text = "SELECT ?n WHERE { ?s schema:name ?n FILTER(CONTAINS(?n, 'Peyrard')) }"
    assert (
        run_local(text, load_for_queries([graph], [text], PREFIXES), prefixes=PREFIXES).rows == ()
    )


def test_a_malformed_line_no_query_reads_is_still_reported(tmp_path: Path) -> None:
    """Lines are left out unparsed only from the very bytes kg wrote: a line added by hand
    is parsed with all the others, and its fault named by file and line."""
    graph = built([sample_list()], tmp_path / "out")
    lines = graph.read_bytes().count(b"\n")
    with graph.open("ab") as stream:
        stream.write(b'<https://example.org/a> <https://example.org/unread> "unterminated .\n')
    done = subprocess.run(
        [sys.executable, "-m", "kg", "query", "papers-per-year", "--data", str(graph)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 2, done.stderr
    assert f"graph.nt:{lines + 1}" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_graph_no_build_recorded_is_loaded_whole(tmp_path: Path) -> None:
    source = tmp_path / "foreign.nt"
    source.write_text(
        '<https://example.org/a> <http://schema.org/name> "A" .\n'
        '<https://example.org/a> <http://schema.org/about> "B" .\n',
        encoding="utf-8",
    )
    text = "SELECT ?n WHERE { ?s schema:name ?n }"
    assert len(load_for_queries([source], [text], PREFIXES)) == 2


HOSTILE_LIST = """\
Owner, Quoted
A title that quotes <http://schema.org/name> and " <http://schema.org/name> "
Owner, Quoted, Other, Al
An abstract with <http://schema.org/name> inside, and _:b <http://schema.org/name> too.
"""
"""Literals that hold a predicate as N-Triples writes it, which must not pick their line."""


def test_the_part_is_exactly_the_triples_of_those_predicates(tmp_path: Path) -> None:
    (tmp_path / "hostile.txt").write_text(HOSTILE_LIST, encoding="utf-8")
    graph = built([tmp_path / "hostile.txt"], tmp_path / "out")
    whole = set(load_store([graph]))
    name, kind = "http://schema.org/name", "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
    person, document = "http://schema.org/Person", "http://purl.org/ontology/bibo/Document"
    scopes: list[dict[str, frozenset[str] | None]] = [
        {name: None},
        {"http://schema.org/abstract": None},
        {},
        {kind: frozenset({person})},
        {kind: frozenset({person, document}), name: None},
    ]
    for scope in scopes:
        part = load_part([graph], scope)
        assert part is not None
        assert set(part) == {
            quad
            for quad in whole
            if quad.predicate.value in scope
            and (
                scope[quad.predicate.value] is None
                or quad.object.value in (scope[quad.predicate.value] or ())
            )
        }
    assert len(load_part([graph], {kind: frozenset({person})}) or []) > 1


def test_kg_export_writes_the_same_bibliography_from_the_part(tmp_path: Path) -> None:
    """``kg export`` loads only what its queries read from a build's own graph.nt: the
    bibliography is the one written from the whole graph (dates, venues, identifiers,
    keywords, authors in order)."""
    graph = built(RICH_INPUTS, tmp_path / "out")
    elsewhere = tmp_path / "copy" / "graph.nt"  # the same bytes, but no build recorded them
    elsewhere.parent.mkdir()
    shutil.copyfile(graph, elsewhere)
    scope = joined_scope(predicates_read(query, {}) for query in WORK_QUERIES)
    assert scope is not None
    part = load_part([graph], scope)
    assert part is not None and len(part) < len(load_store([graph]))
    for format_name in ("bibtex", "csl-json"):
        from_part = export_bibliography([graph], format_name)
        assert from_part == export_bibliography([elsewhere], format_name)
        assert from_part.works > 20


def test_the_parts_of_a_sharded_build_load_in_part_together(tmp_path: Path) -> None:
    """``--data part-1/graph.nt --data part-2/graph.nt``: each part picked from its own
    recorded bytes, the answers those of both parts loaded whole."""
    write_corpus(tmp_path / "lists", 120, seed=5)
    parts = []
    for index in (1, 2):
        out = tmp_path / f"part-{index}"
        shard = Shard.parse(f"{index}/2")
        build([tmp_path / "lists"], out, IriScheme(), shard=shard, cache_dir=out / CACHE_FOLDER)
        parts.append(out / "graph.nt")
    whole = load_store(parts)
    for query in list_canned_queries():
        bindings = bindings_for(query, whole)
        part = load_for_queries(parts, [query.text, *name_check_queries(query)], PREFIXES)
        assert len(part) < len(whole), query.name
        expected = run_local(query.text, whole, bindings, prefixes=PREFIXES)
        assert run_local(query.text, part, bindings, prefixes=PREFIXES) == expected, query.name


def test_a_build_with_a_store_records_the_digest_the_store_took(tmp_path: Path) -> None:
    """With ``--store`` the record is the digest the store computed while loading (afresh)
    or while comparing with the previous exports (by difference): both must be the file's."""
    write_corpus(tmp_path / "lists", 60, seed=3)
    lists = sorted((tmp_path / "lists").glob("*.txt"))
    out = tmp_path / "out"
    record = out / CACHE_FOLDER / RECORD_FILE
    for inputs, reloaded in [(lists[:-1], True), (lists, False)]:
        result = build(
            inputs, out, IriScheme(), store=tmp_path / "store", cache_dir=out / CACHE_FOLDER
        )
        assert result.store is not None and result.store.reloaded == reloaded
        expected = hashlib.sha256((out / "graph.nt").read_bytes()).hexdigest()
        assert record.read_text(encoding="ascii") == expected + "\n"


def test_kg_align_reads_the_same_papers_and_persons_from_the_part(tmp_path: Path) -> None:
    """``kg align wikidata`` loads only what its local queries read: the papers (authors in
    order, dates, identifiers, kinds) and persons (spellings, ORCID iDs) it aligns are those
    of the whole graph."""
    graph = built(RICH_INPUTS, tmp_path / "out")
    part = load_for_queries([graph], LOCAL_QUERIES, {})
    whole = load_store([graph])
    assert len(part) < len(whole)
    local = read_local_graph(part)
    assert local == read_local_graph(whole)
    assert len(local.papers) > 20 and any(paper.doi for paper in local.papers)
