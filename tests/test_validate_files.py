"""``kg validate`` reads files straight into the SPARQL checks' store (kg.validation.validate_files)
instead of building rdflib's graph first: every report must be the one the graph gives, in
every format, blank node labels included, whatever the file's syntax."""

from __future__ import annotations

from pathlib import Path

import pytest
from rdflib import Graph, Literal, URIRef
from test_shapes import CASES, P1, Case, example

from kg.namespaces import SCHEMA
from kg.rdfio import load_graph
from kg.validation import REPORT_FORMATS, format_report, validate, validate_files

XSD_DECIMAL = URIRef("http://www.w3.org/2001/XMLSchema#decimal")
SAMPLE_TTL = Path(__file__).resolve().parent.parent / "exports" / "graph.ttl"


def assert_same_reports(paths: list[Path], extra_shapes: tuple[Path, ...] = ()) -> None:
    direct = validate_files(paths, extra_shapes)
    through_graph = validate(load_graph(paths), extra_shapes)
    assert direct.results == through_graph.results
    for fmt in REPORT_FORMATS:
        assert format_report(direct, fmt) == format_report(through_graph, fmt)


@pytest.mark.parametrize("case", [c.param() for c in CASES])
def test_every_broken_graph_is_reported_as_from_its_graph(tmp_path: Path, case: Case) -> None:
    graph = example()
    case.mutate(graph)
    path = tmp_path / "broken.nt"  # rdflib's Turtle writer never ends on a cyclic list
    graph.serialize(path, format="nt", encoding="utf-8")
    assert_same_reports([path])


def test_blank_nodes_keep_their_content_labels_across_files_and_syntaxes(tmp_path: Path) -> None:
    """Results on blank nodes (author list cells) in N-Triples, Turtle, TriG and JSON-LD files
    read together: one label per node, from its own triples, however the file named it."""
    graph = example()
    next(c for c in CASES if c.id == "authorship-blank-node").mutate(graph)
    triples = sorted(graph)
    parts = [triples[i::4] for i in range(4)]
    paths = []
    for part, (name, fmt) in zip(
        parts,
        [("a.nt", "nt"), ("b.ttl", "turtle"), ("c.trig", "trig"), ("d.jsonld", "json-ld")],
        strict=True,
    ):
        piece = Graph()
        for triple in part:
            piece.add(triple)
        piece.serialize(tmp_path / name, format=fmt, encoding="utf-8")
        paths.append(tmp_path / name)
    assert_same_reports(paths)
    assert any(r.focus_node.startswith("_:b") for r in validate_files(paths).results)


def test_the_sample_export_and_user_shapes(tmp_path: Path) -> None:
    assert_same_reports([SAMPLE_TTL])
    shapes = tmp_path / "mine.ttl"
    shapes.write_text(
        "@prefix sh: <http://www.w3.org/ns/shacl#> .\n"
        "@prefix schema: <http://schema.org/> .\n"
        "<urn:x:PaperDate> a sh:NodeShape ; sh:targetClass schema:ScholarlyArticle ;\n"
        "  sh:property [ sh:path schema:datePublished ; sh:minCount 1 ] .\n",
        encoding="utf-8",
    )
    assert_same_reports([SAMPLE_TTL], (shapes,))
    assert not validate_files([SAMPLE_TTL], (shapes,)).passes


def test_terms_oxigraph_would_merge_take_the_graph(tmp_path: Path) -> None:
    graph = example()
    for lexical in ("1.0", "1.00"):
        graph.add(
            (URIRef(f"{P1}#author-1"), SCHEMA.position, Literal(lexical, datatype=XSD_DECIMAL))
        )
    path = tmp_path / "merged.nt"
    graph.serialize(path, format="nt", encoding="utf-8")
    assert_same_reports([path])
    assert any(r.source_shape == "kg:AuthorshipPosition" for r in validate_files([path]).results)
