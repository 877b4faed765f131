"""Batch, parallel, shard and incremental validation report exactly what whole-graph
validation (and pySHACL) reports, on a graph that breaks every constraint of the shapes.

The graph (``equivalence.broken_entities``) holds every broken example of test_shapes.py,
so its report has results of every constraint component, every SHACL-SPARQL constraint and
every severity, within one entity and across entities; the tests compare reports result by
result, every field. ``test_validation_mutants.py`` shows that each comparison fails when
kg drops any kind of result.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import RICH_INPUTS
from equivalence import (
    LEFT_OUT,
    Coverage,
    assert_same_results,
    broken_copy,
    broken_entities,
    check_batches,
    check_coverage,
    check_incremental,
    check_shards,
    expected_coverage,
    graph_entities,
    moved,
    shapes_with_info,
    without_context,
)
from rdflib import Graph
from rdflib.compare import isomorphic
from test_engine import random_corpus, reference
from test_shapes import CASES

from kg.batches import batched, entities
from kg.corpus import Corpus
from kg.graph import corpus_graph, entities_graph
from kg.iris import IriScheme
from kg.pipeline import load_corpus
from kg.terms import parse_ntriples
from kg.validation import ValidationReport, format_report, validate, validate_batches


@pytest.fixture
def info_shapes(tmp_path: Path) -> Iterator[Path]:
    """The bundled shapes plus one of severity sh:Info, for this test."""
    with shapes_with_info(tmp_path / "shapes") as folder:
        yield folder


def whole_graph() -> Graph:
    return entities_graph(broken_entities(), IriScheme())


def whole_report() -> ValidationReport:
    """The broken graph validated at once, with the shapes in force."""
    return validate(whole_graph())


# --- the cut of a graph into entities is kg's -----------------------------------------


def assert_kgs_cut(corpus: Corpus) -> None:
    iris = IriScheme()
    theirs = {e.iri: e for e in entities(corpus, iris)}
    mine = {e.iri: e for e in graph_entities(corpus_graph(corpus, iris))}
    assert sorted(mine) == sorted(theirs)
    for iri, entity in mine.items():
        kgs = theirs[iri]
        assert set(entity.owned) == set(kgs.owned), iri
        assert isomorphic(parse_ntriples(entity.own_ntriples), parse_ntriples(kgs.own_ntriples))
        context = set(entity.context_ntriples.split(b"\n"))
        assert context == set(kgs.context_ntriples.split(b"\n")), iri


def test_graphs_are_cut_into_kgs_entities_with_kgs_context(tmp_path: Path) -> None:
    """On valid corpora (every input format, venues, lists without owners) the cut of the
    graph alone is the cut kg makes from the corpus, so the broken graph's batches are the
    batches kg would make of it."""
    assert_kgs_cut(load_corpus(RICH_INPUTS))
    assert_kgs_cut(random_corpus(tmp_path, 21, papers=30))


# --- the data -------------------------------------------------------------------------


def test_the_graph_breaks_every_constraint_of_the_shapes(info_shapes: Path) -> None:
    whole = whole_report()
    check_coverage(whole)
    assert {"Violation", "Warning", "Info"} <= expected_coverage().severities
    assert len(expected_coverage().components) >= 13 and len(expected_coverage().sparql_shapes) == 7
    # Each case's own result is there: shape by shape, not only component by component.
    found = {(r.source_shape, r.constraint_component, r.severity) for r in whole.results}
    for case in CASES:
        if case.id not in LEFT_OUT:
            assert (case.shape, case.component, case.severity) in found, case.id


def test_the_graph_has_results_across_entities(info_shapes: Path) -> None:
    """Results whose value is another entity's node (a person's foaf:made that the paper
    does not mirror, a paper missing from its list's schema:hasPart, a list part that is
    not a paper), Core and SHACL-SPARQL, violations and warnings; and without their
    neighbours' triples, entities report otherwise."""
    chosen = broken_entities()
    owner = {iri: entity.iri for entity in chosen for iri in entity.owned}
    whole = whole_report()
    across = [
        r
        for r in whole.results
        if r.value in owner and owner[r.value] != owner.get(r.focus_node, r.focus_node)
    ]
    shapes = {r.source_shape for r in across}
    assert {"kg:PersonMadeInverse", "kg:ListPart", "kg:PaperInSourceListShape"} <= shapes
    assert {"kg:PaperSourceInListShape", "kg:PaperListOwnerShape"} <= shapes
    kinds = Coverage.of(across)
    assert "sh:SPARQLConstraintComponent" in kinds.components and len(kinds.components) > 3
    assert {"Violation", "Warning"} <= kinds.severities
    alone = validate_batches(batched(without_context(chosen), 64), workers=1)
    assert alone.results != whole.results


# --- the equivalences -----------------------------------------------------------------


def covering_cases() -> list[str]:
    """A few cases whose copies together have every kind of result (greedy cover), for
    pySHACL, which takes about a minute on the whole graph."""
    kinds = {}
    for case in CASES:
        if case.id not in LEFT_OUT:
            found = Coverage.of(validate(broken_copy(case.id)).results)
            kinds[case.id] = (
                {("component", c) for c in found.components}
                | {("sparql", s) for s in found.sparql_shapes}
                | {("severity", s) for s in found.severities}
            )
    needed = set().union(*kinds.values())
    chosen: list[str] = []
    while needed:
        best = max(kinds, key=lambda case_id: len(kinds[case_id] & needed))
        chosen.append(best)
        needed -= kinds[best]
    return chosen


def test_whole_graph_validation_agrees_with_pyshacl(info_shapes: Path) -> None:
    graph = Graph(bind_namespaces="none")
    for case_id in covering_cases():
        for triple in broken_copy(case_id):
            graph.add(triple)
    data = entities_graph(graph_entities(graph), IriScheme())
    found = validate(data)
    check_coverage(found)
    assert_same_results(found.results, reference(data), "pySHACL")


def test_batches_of_every_size_give_the_whole_graph_report(info_shapes: Path) -> None:
    chosen = broken_entities()
    whole = whole_report()
    for size in (64, 7):
        check_batches(chosen, whole, size)
    one_by_one = check_batches(chosen, whole, 1)
    for fmt in ("text", "json", "turtle"):
        assert format_report(one_by_one, fmt) == format_report(whole, fmt)


def test_batches_in_parallel_processes_give_the_whole_graph_report() -> None:
    """Worker processes start afresh and read the bundled shapes, so this test does too."""
    whole = whole_report()
    check_coverage(whole)
    assert expected_coverage().severities == {"Violation", "Warning"}
    check_batches(broken_entities(), whole, 64, workers=2)


def test_shards_together_give_the_whole_graph_report(info_shapes: Path) -> None:
    check_shards(broken_entities(), whole_report())


def test_an_incremental_rebuild_gives_the_whole_graph_report(
    info_shapes: Path, tmp_path: Path
) -> None:
    check_incremental(broken_entities(), whole_report(), tmp_path / "cache")


@pytest.mark.parametrize("case_id", sorted(LEFT_OUT))
def test_batches_do_differ_on_the_cases_left_out(case_id: str) -> None:
    """The cases left out of the graph are ones that batches cannot report as the whole
    graph does (what kg builds never looks like them): none is left out for nothing."""
    graph = broken_copy(case_id)
    batches = validate_batches(batched(graph_entities(graph), 1), workers=1)
    assert batches.results != validate(graph).results


def test_a_merged_report_writes_each_shapes_path_once_as_the_engine_does() -> None:
    """Results with a blank path (a sequence, an inverse) in several entities: each entity's
    report brings a copy of the path, the whole graph's report has one per shape; the
    Turtle reports must still be the same bytes."""
    graph = Graph(bind_namespaces="none")
    for case_id in ("paper-list-member-not-person", "person-made-not-inverse"):
        for copy in (case_id, f"{case_id}-again"):
            for triple in moved(broken_copy(case_id), copy):
                graph.add(triple)
    whole = validate(graph)
    paths = {r.path for r in whole.results}
    assert {"bibo:authorList/rdf:rest*/rdf:first", "^foaf:maker"} <= paths
    batches = validate_batches(batched(graph_entities(graph), 1), workers=1)
    assert_same_results(batches.results, whole.results, "batches of 1")
    assert format_report(batches, "turtle") == format_report(whole, "turtle")
