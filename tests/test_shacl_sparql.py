"""The bundled shapes compiled to set-based SPARQL (kg.shacl_sparql) report what pySHACL, the
reference, reports: on the sample, on random corpora and on every broken graph of
test_shapes.py, loaded both ways the engine loads data (an rdflib graph for ``kg validate``,
N-Triples text for a build's batches). These call the engine directly, so a fallback to the
general engine cannot hide a difference.
"""

from __future__ import annotations

import re
from functools import partial
from pathlib import Path

import pyoxigraph as ox
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rdflib import Graph, Literal, URIRef
from strategies import abstracts
from test_engine import random_corpus, reference
from test_shapes import BOOK, CASES, EX, P1, WEST, Case, example

import kg.validation
from kg.errors import ConfigError
from kg.graph import corpus_graph
from kg.iris import IriScheme
from kg.namespaces import FOAF, RDF, RDFS, SCHEMA
from kg.pipeline import load_corpus
from kg.results import term_to_sparql
from kg.shacl_sparql import SH, LoadedData, NotRepresentable, _rust_regex, compile_checks
from kg.validation import ValidationResult, _read_report

XSD = "http://www.w3.org/2001/XMLSchema#"


def compiled(graph: Graph, text: bool = False) -> tuple[ValidationResult, ...]:
    """The SPARQL engine's results, the data loaded as a graph or as N-Triples."""
    checks = compile_checks(kg.validation._shapes_graph())
    if text:
        data = LoadedData.from_ntriples(graph.serialize(format="nt", encoding="utf-8"))
        labelled = Graph(bind_namespaces="none")
        labelled.parse(data=graph.serialize(format="nt"), format="nt")
        graph = labelled  # blank labels as in the text (rdflib keeps them on parse)
    else:
        data = LoadedData.from_graph(graph)
    report = checks.report(data)
    return _read_report(report, partial(kg.validation._blank_label, data=graph)).results


@pytest.mark.parametrize("case", [c.param() for c in CASES])
def test_sparql_checks_agree_with_pyshacl_on_every_broken_graph(case: Case) -> None:
    graph = example()
    case.mutate(graph)
    expected = reference(graph)
    assert compiled(graph) == expected
    assert any(r.source_shape == case.shape for r in expected)


@pytest.mark.parametrize(
    "case_id", ["authorship-position-decimal", "paper-date-impossible", "paper-truncated-string"]
)
def test_sparql_checks_read_n_triples_as_pyshacl_reads_the_graph(case_id: str) -> None:
    """Typed literals that Oxigraph stores in another form, or finds ill-typed."""
    graph = example()
    next(c for c in CASES if c.id == case_id).mutate(graph)
    assert compiled(graph, text=True) == reference(graph)


def test_sparql_checks_agree_with_pyshacl_on_the_sample() -> None:
    graph = corpus_graph(load_corpus([]), IriScheme())
    found = compiled(graph)
    assert found == reference(graph) and found  # the sample has a cut-off abstract
    assert compiled(graph, text=True) == found


@pytest.mark.parametrize("seed", range(3))
def test_sparql_checks_agree_with_pyshacl_on_random_corpora(tmp_path: Path, seed: int) -> None:
    graph = corpus_graph(random_corpus(tmp_path, 100 + seed, papers=15), IriScheme())
    found = compiled(graph)
    assert found == reference(graph)
    assert compiled(graph, text=True) == found


@pytest.mark.parametrize("subclassed", [True, False], ids=["subclass", "unrelated-class"])
def test_classes_follow_the_data_s_subclasses_as_in_pyshacl(subclassed: bool) -> None:
    """sh:class, sh:or of classes and sh:targetClass accept instances of subclasses declared in
    the data (two levels here), and nothing else: an author, a venue and a maker typed only
    by such a class."""
    graph = example()
    researcher, scholar = URIRef(EX + "Researcher"), URIRef(EX + "Scholar")
    proceedings = URIRef(EX + "Proceedings")
    for node, cls in ((WEST, SCHEMA.Person), (WEST, FOAF.Person), (BOOK, SCHEMA.Book)):
        graph.remove((node, RDF.type, cls))
    graph.add((WEST, RDF.type, scholar))
    graph.add((BOOK, RDF.type, proceedings))
    if subclassed:
        graph.add((scholar, RDFS.subClassOf, researcher))
        graph.add((researcher, RDFS.subClassOf, SCHEMA.Person))
        graph.add((researcher, RDFS.subClassOf, FOAF.Person))
        graph.add((proceedings, RDFS.subClassOf, SCHEMA.Book))
    expected = reference(graph)
    assert compiled(graph) == expected
    assert compiled(graph, text=True) == expected
    components = {r.constraint_component for r in expected}
    if subclassed:
        assert not expected
    else:
        assert components == {"sh:OrConstraintComponent", "sh:ClassConstraintComponent"}


def test_terms_that_oxigraph_would_merge_are_refused() -> None:
    """ "1.0" and "1.00" as xsd:decimal are two terms for pySHACL, one in Oxigraph's store."""
    graph = example()
    decimal = URIRef(XSD + "decimal")
    for lexical in ("1.0", "1.00"):
        graph.add((URIRef(f"{P1}#author-1"), SCHEMA.position, Literal(lexical, datatype=decimal)))
    with pytest.raises(NotRepresentable):
        LoadedData.from_graph(graph)
    # validate() then uses the general engine, and still agrees with pySHACL
    found = kg.validation.validate(graph).results
    assert found == reference(graph)
    assert any(r.source_shape == "kg:AuthorshipPosition" for r in found)


def test_an_unsupported_constraint_is_refused_when_the_shapes_load() -> None:
    shapes = Graph()
    for triple in kg.validation._shapes_graph():
        shapes.add(triple)
    shapes.add((URIRef("https://w3id.org/kg-tool/vocab#PaperTitle"), SH.maxLength, Literal(300)))
    with pytest.raises(ConfigError, match=r"PaperTitle.*maxLength"):
        compile_checks(shapes)


def test_every_bundled_shape_and_constraint_becomes_a_check() -> None:
    shapes = kg.validation._shapes_graph()
    checks = compile_checks(shapes).checks
    sources = {c.shape for c in checks}
    assert {
        s for s in shapes.subjects(SH.message, None) if (s, SH.select, None) not in shapes
    } <= sources
    assert {c.constraint for c in checks if c.constraint is not None} == set(
        shapes.objects(None, SH.sparql)
    )


def _patterns() -> list[tuple[str, str]]:
    shapes = kg.validation._shapes_graph()
    return sorted(
        {
            (str(p), str(shapes.value(s, SH.flags) or ""))
            for s, p in shapes.subject_objects(SH.pattern)
        }
    )


_STORE = ox.Store()

texts = st.one_of(
    st.text(),
    st.text(alphabet=" \t\n\r\x0b\x0c\x1c\x1d\x1e\x1f\x85\xa0\u2028\u3000.!?…。\"')]}»A-Za1"),
    abstracts().map(lambda drawn: drawn[0]),
)


@settings(max_examples=300, deadline=None)
@given(text=texts)
def test_patterns_match_in_oxigraph_as_in_python(text: str) -> None:
    """pySHACL matches sh:pattern with Python's re; the checks with Oxigraph's REGEX."""
    for pattern, flags in _patterns():
        python = re.search(pattern, text, re.IGNORECASE if "i" in flags else 0) is not None
        rust = _rust_regex(pattern)
        assert rust is not None
        text_term, regex, options = (term_to_sparql(ox.Literal(t)) for t in (text, rust, flags))
        query = f"ASK {{ FILTER (REGEX({text_term}, {regex}, {options})) }}"
        assert bool(_STORE.query(query)) is python, (pattern, text)
