"""A graph in kg's model that breaks every constraint of the bundled shapes, cut into kg's
entities, and the checks that batch, shard and incremental validation report on it exactly
what whole-graph validation reports.

The graph is the union of the broken copies of ``tests/data/example.ttl`` in
``test_shapes.CASES``, each copy moved under its own base IRI so that no two share a node.
kg cuts the graphs it builds into entities from its corpus (:func:`kg.batches.entities`);
a broken graph has no corpus, so :func:`graph_entities` cuts any graph by the same rules,
read from the triples: a subject belongs to the entity its IRI names without the fragment
(``<paper>#author-2`` to ``<paper>``), list cells to the entity whose triples reach them, and
an entity's context is what :mod:`kg.batches` says the shapes read of its neighbours.
``test_validation_equivalence.py`` checks that on valid corpora this cut is exactly kg's.

The checks raise AssertionError, so ``test_validation_mutants.py`` can show that each of them
fails when kg drops a kind of result.
"""

from __future__ import annotations

import importlib.resources
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib import BNode, Graph, Namespace, URIRef
from rdflib.term import Node
from test_shapes import CASES, EX, SPARQL, example

import kg.incremental
import kg.validation
from kg.batches import Entity, Shard, batched
from kg.incremental import ValidationCache, validate_entities
from kg.namespaces import BIBO, DCTERMS, FOAF, PROV, RDF, SCHEMA
from kg.resources import shapes_dir
from kg.terms import to_oxigraph
from kg.validation import ValidationReport, ValidationResult, merged_report, validate_batches

SH = Namespace("http://www.w3.org/ns/shacl#")
RdfTriple = tuple[Node, Node, Node]

LEFT_OUT = {
    "paper-blank-node": "a blank node where kg mints a paper IRI",
    "person-blank-node": "a blank node where kg mints a person IRI",
    "organization-blank-node": "a blank node where kg mints an organisation IRI",
    "authorship-blank-node": "a blank node where kg mints an authorship IRI",
    "list-blank-node": "a blank node where kg mints a list IRI",
    "record-blank-node": "a blank node where kg mints a source record IRI",
    "periodical-blank-node": "a blank node where kg mints a venue IRI",
    "paper-venue-literal": "a literal venue is a focus node (of sh:targetObjectsOf "
    "schema:isPartOf) that no entity owns",
    "authorship-two-papers": "an authorship IRI names its paper, so kg never links it from "
    "another paper, and a paper's context does not carry another paper's authorships",
}
"""Cases that batches cannot report as the whole graph does, and why: each breaks the way
kg names things, which a graph that kg builds cannot do (``test_validation_equivalence.py``
checks that batches do disagree on each)."""

# What the shapes read of a linked node that another entity owns (kg.batches' context).
_ALL_TYPES = frozenset({SCHEMA.author, FOAF.maker, PROV.agent, RDF.first, SCHEMA.about})
"""Links to persons and organisations: all their types."""
_PAPER_TYPE = frozenset({SCHEMA.hasPart, FOAF.made})
"""Links to papers: whether they are a bibo:Document."""
_TYPES = frozenset({PROV.wasDerivedFrom, SCHEMA.isPartOf, DCTERMS.isPartOf})
"""Links to source records, venues and lists: their types (and a record's list)."""

INFO_SHAPES = """\
@prefix bibo: <http://purl.org/ontology/bibo/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix schema: <http://schema.org/> .
@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix test: <https://example.org/test-shapes#> .

test:PaperKeywordsShape a sh:NodeShape ;
    rdfs:label "paper" ;
    sh:targetClass bibo:Document ;
    sh:severity sh:Info ;
    sh:property test:PaperKeywords .
test:PaperKeywords a sh:PropertyShape ;
    sh:path schema:keywords ;
    sh:minCount 1 ;
    sh:severity sh:Info ;
    sh:message "has no keywords (schema:keywords)" .
"""
"""The bundled shapes declare no sh:Info: this one makes Info results (the example's
second paper has no keywords), so the checks see all three severities."""


def shapes_graph_with_info() -> Graph:
    """The bundled shapes plus :data:`INFO_SHAPES`, without touching kg."""
    graph = Graph(bind_namespaces="none")
    for path in sorted(shapes_dir().glob("*.ttl")):
        graph.parse(path, format="turtle")
    graph.parse(data=INFO_SHAPES, format="turtle")
    return graph


@contextmanager
def shapes_with_info(folder: Path) -> Iterator[Path]:
    """kg (validation and the incremental cache key) reads the bundled shapes plus
    :data:`INFO_SHAPES`, from ``folder``, in this process; spawned workers do not."""
    folder.mkdir(parents=True, exist_ok=True)
    for path in sorted(shapes_dir().glob("*.ttl")):
        (folder / path.name).write_bytes(path.read_bytes())
    (folder / "test-info.ttl").write_text(INFO_SHAPES, encoding="utf-8")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(kg.validation, "shapes_dir", lambda: folder)
        patch.setattr(kg.incremental, "shapes_dir", lambda: folder)
        _clear_shape_caches()
        try:
            yield folder
        finally:
            patch.undo()
            _clear_shape_caches()


def _clear_shape_caches() -> None:
    for cached in (
        kg.validation._shapes_graph,
        kg.validation._compiled_shapes,
        kg.validation._shape_kinds,
        kg.incremental._fingerprint,
    ):
        cached.cache_clear()


# --- the broken graph -----------------------------------------------------------------


def moved(graph: Graph, folder: str) -> Graph:
    """``graph`` with every IRI under the example's base moved to ``<base><folder>/``."""

    def move(node: Node) -> Node:
        if isinstance(node, URIRef) and node.startswith(EX):
            return URIRef(f"{EX}{folder}/{node[len(EX) :]}")
        return node

    copy = Graph(bind_namespaces="none")
    for s, p, o in graph:
        copy.add((move(s), p, move(o)))
    return copy


def broken_copy(case_id: str) -> Graph:
    """The example broken as the case says, under its own base IRI."""
    case = next(c for c in CASES if c.id == case_id)
    graph = example()
    case.mutate(graph)
    return moved(graph, case.id)


@cache
def broken_entities() -> tuple[Entity, ...]:
    """Every case but :data:`LEFT_OUT`, in one graph, as entities (made once per process;
    tests must not change them)."""
    graph = Graph(bind_namespaces="none")
    for case in CASES:
        if case.id not in LEFT_OUT:
            for triple in broken_copy(case.id):
                graph.add(triple)
    return tuple(graph_entities(graph))


def _entity_iri(node: URIRef) -> str:
    return str(node).partition("#")[0]


def _blank_owners(graph: Graph) -> dict[Node, str]:
    """Each blank node an IRI subject leads to -> that subject's entity."""
    owners: dict[Node, str] = {}
    for subject in graph.subjects(unique=True):
        if not isinstance(subject, URIRef):
            continue
        todo = [o for o in graph.objects(subject) if isinstance(o, BNode)]
        while todo:
            node = todo.pop()
            if node not in owners:
                owners[node] = _entity_iri(subject)
                todo += [o for o in graph.objects(node) if isinstance(o, BNode)]
    return owners


def graph_entities(graph: Graph) -> Iterator[Entity]:
    """``graph`` cut into entities, in IRI order, as :func:`kg.batches.entities` cuts a
    corpus's graph: own triples by subject, context as the shapes read it. Blank subjects
    that no IRI leads to (the cells of a dropped author list) belong to no entity and are
    left out."""
    blank_owner = _blank_owners(graph)
    own: dict[str, list[RdfTriple]] = defaultdict(list)
    owned: dict[str, set[str]] = defaultdict(set)
    for s, p, o in graph:
        if isinstance(s, URIRef):
            owned[_entity_iri(s)].add(str(s))
            own[_entity_iri(s)].append((s, p, o))
        elif s in blank_owner:
            own[blank_owner[s]].append((s, p, o))
    labels: dict[Node, ox.BlankNode] = {}

    def oxigraph(triples: Iterable[RdfTriple]) -> list[tuple[object, ...]]:
        def term(node: Node) -> object:
            return to_oxigraph(node, lambda b: labels.setdefault(b, ox.BlankNode()))

        return [tuple(term(n) for n in triple) for triple in sorted(set(triples))]

    for entity in sorted(own):
        mine = own[entity]
        context = set(_context(graph, entity, mine, owned[entity])) - set(mine)
        yield Entity(
            entity,
            (entity, *sorted(owned[entity] - {entity})),
            oxigraph(mine),  # type: ignore[arg-type]
            oxigraph(context),  # type: ignore[arg-type]
        )


def _context(
    graph: Graph, entity: str, own: list[RdfTriple], owned: set[str]
) -> Iterator[RdfTriple]:
    """What the shapes read of the neighbours of ``entity`` (see :mod:`kg.batches`)."""
    for _s, p, o in own:
        if not isinstance(o, URIRef) or str(o) in owned:
            continue
        if p in _ALL_TYPES or p in _TYPES:
            yield from graph.triples((o, RDF.type, None))
        if p == PROV.wasDerivedFrom:
            yield from graph.triples((o, DCTERMS.isPartOf, None))
        if p in _PAPER_TYPE and (o, RDF.type, BIBO.Document) in graph:
            yield o, RDF.type, BIBO.Document
    node = URIRef(entity)
    for list_iri in graph.subjects(SCHEMA.hasPart, node):  # the lists that include a paper
        yield list_iri, SCHEMA.hasPart, node
        yield from graph.triples((list_iri, RDF.type, None))
        yield from graph.triples((list_iri, SCHEMA.about, None))
    for paper in graph.subjects(FOAF.maker, node):  # the papers a person made
        yield paper, FOAF.maker, node
        if (paper, RDF.type, BIBO.Document) in graph:
            yield paper, RDF.type, BIBO.Document
    linking = sorted(graph.subjects(SCHEMA.isPartOf, node))  # a venue: one paper in it
    if linking:
        yield linking[0], SCHEMA.isPartOf, node


# --- what the data must cover ---------------------------------------------------------


@dataclass(frozen=True)
class Coverage:
    """Kinds of result, as reports spell them."""

    components: frozenset[str]
    sparql_shapes: frozenset[str]
    """Shapes carrying a SHACL-SPARQL constraint."""
    severities: frozenset[str]

    @classmethod
    def of(cls, results: Iterable[ValidationResult]) -> Coverage:
        results = list(results)
        return cls(
            frozenset(r.constraint_component for r in results),
            frozenset(r.source_shape for r in results if r.constraint_component == SPARQL),
            frozenset(r.severity for r in results),
        )


@cache
def _component_of_parameter() -> dict[Node, Node]:
    """SHACL's own vocabulary (as pySHACL ships it): each parameter -> its component."""
    vocabulary = Graph(bind_namespaces="none")
    with (importlib.resources.files("pyshacl") / "assets" / "shacl.ttl").open("rb") as stream:
        vocabulary.parse(stream, format="turtle")
    found = {}
    for component, parameter in vocabulary.subject_objects(SH.parameter):
        for path in vocabulary.objects(parameter, SH.path):
            found[path] = component
    return found


def expected_coverage(shapes: Graph | None = None) -> Coverage:
    """Every constraint component, SHACL-SPARQL constraint and severity of ``shapes``, by
    default those kg validates with (the bundled ones, plus any a test swapped in)."""
    shapes = kg.validation._shapes_graph() if shapes is None else shapes
    component_of = _component_of_parameter()
    # sh:property reports nothing itself: the property shapes it names report (SHACL 4.8.1).
    components = {
        kg.validation._curie(component_of[p])
        for p in shapes.predicates(unique=True)
        if p in component_of and p != SH.property
    }
    sparql = {kg.validation._curie(s) for s in shapes.subjects(SH.sparql, unique=True)}
    severities = {"Violation"} | {
        str(s).rpartition("#")[2] for s in shapes.objects(None, SH.severity, unique=True)
    }
    return Coverage(frozenset(components), frozenset(sparql), frozenset(severities))


# --- the checks -----------------------------------------------------------------------


def assert_same_results(
    found: Sequence[ValidationResult], expected: Sequence[ValidationResult], what: str
) -> None:
    """Result by result, every field; a short diff when they differ."""
    if tuple(found) == tuple(expected):
        return
    missing = [r for r in expected if r not in found]
    extra = [r for r in found if r not in expected]
    lines = [f"{what}: {len(found)} results, whole graph {len(expected)}"]
    lines += [f"  missing: {r.source_shape} {r.focus_node}: {r.message}" for r in missing[:5]]
    lines += [f"  extra: {r.source_shape} {r.focus_node}: {r.message}" for r in extra[:5]]
    raise AssertionError("\n".join(lines))


def check_coverage(report: ValidationReport) -> None:
    """The report holds a result of every component, SHACL-SPARQL constraint and severity
    of the shapes."""
    expected, found = expected_coverage(), Coverage.of(report.results)
    assert expected.components <= found.components, expected.components - found.components
    assert expected.sparql_shapes <= found.sparql_shapes, (
        expected.sparql_shapes - found.sparql_shapes
    )
    assert expected.severities <= found.severities, expected.severities - found.severities


def check_batches(
    entities: Sequence[Entity], whole: ValidationReport, size: int, workers: int = 1
) -> ValidationReport:
    report = validate_batches(batched(entities, size), workers=workers)
    assert_same_results(report.results, whole.results, f"batches of {size}, {workers} worker(s)")
    assert (report.conforms, report.passes) == (whole.conforms, whole.passes)
    return report


def check_shards(entities: Sequence[Entity], whole: ValidationReport, count: int = 3) -> None:
    """Each shard validated on its own (as ``kg build --shard I/N`` does), then merged."""
    outcomes = {}
    for index in range(1, count + 1):
        part = [e for e in entities if Shard(index, count).owns(e.iri)]
        assert part, f"shard {index}/{count} is empty"
        found = kg.validation.batch_outcomes(batched(part, 16), workers=1)
        assert set(found) <= {e.iri for e in part}
        outcomes.update(found)
    merged = merged_report(outcomes[iri] for iri in sorted(outcomes))
    assert_same_results(merged.results, whole.results, f"{count} shards merged")


def check_incremental(entities: Sequence[Entity], whole: ValidationReport, folder: Path) -> None:
    """A cache from a build of every other entity, then a rebuild of all of them, then an
    unchanged rebuild that validates nothing."""
    folder.mkdir(parents=True, exist_ok=True)
    first = entities[::2]
    cache = ValidationCache(folder)
    validate_entities(first, cache, workers=1)
    cache.save()
    cache = ValidationCache(folder)
    rebuilt = validate_entities(entities, cache, workers=1)
    cache.save()
    assert (rebuilt.validated, rebuilt.entities) == (len(entities) - len(first), len(entities))
    assert_same_results(rebuilt.report.results, whole.results, "incremental rebuild")
    again = validate_entities(entities, ValidationCache(folder), workers=1)
    assert again.validated == 0
    assert_same_results(again.report.results, whole.results, "rebuild from the cache alone")


def without_context(entities: Sequence[Entity]) -> list[Entity]:
    """The entities with no neighbour's triple: what each says about itself alone."""
    return [replace(e, context=[]) for e in entities]
