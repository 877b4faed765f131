"""One schema.org namespace: every output, and web-page JSON-LD, expand to http://schema.org/."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from rdflib import Graph, URIRef

from kg.namespaces import SCHEMA, jsonld_context, new_graph, prefixes
from kg.rdfio import load_graph

REPO = Path(__file__).resolve().parent.parent
EXPORTS = REPO / "exports"
PAPER = "https://example.org/kg/paper/fly-swat-or-cannon-cost-effective-language-model-choice-via-meta-modeling"


def test_prefix_map_says_http_schema_org() -> None:
    assert prefixes()["schema"] == "http://schema.org/" == str(SCHEMA)
    assert jsonld_context()["@vocab"] == "http://schema.org/"
    assert dict(new_graph().namespaces())["schema"] == URIRef("http://schema.org/")


@pytest.mark.parametrize("name", ["graph.ttl", "graph.nt", "graph.jsonld"])
def test_exports_never_use_https_schema_org(name: str) -> None:
    graph = load_graph([EXPORTS / name])
    iris = {str(term) for triple in graph for term in triple if isinstance(term, URIRef)}
    assert not any(iri.startswith("https://schema.org/") for iri in iris)
    assert any(iri.startswith("http://schema.org/") for iri in iris)
    assert "https://schema.org/" not in (EXPORTS / name).read_text(encoding="utf-8")


def test_web_page_jsonld_with_conventional_context_matches_the_graph(tmp_path: Path) -> None:
    """What a publisher embeds in a page says the same triples as kg's own exports."""
    page = {
        "@context": "https://schema.org",
        "@type": "ScholarlyArticle",
        "@id": PAPER,
        "name": "Fly-Swat or Cannon? Cost-Effective Language Model Choice via Meta-Modeling",
        "author": [
            {"@id": "https://example.org/kg/person/marija-sakota"},
            {"@id": "https://example.org/kg/person/maxime-peyrard"},
        ],
    }
    path = tmp_path / "page.jsonld"
    path.write_text(json.dumps(page), encoding="utf-8")
    from_page = load_graph([path])
    assert len(from_page) == 4
    exported = Graph()
    exported.parse(EXPORTS / "graph.nt", format="nt")
    for triple in from_page:
        assert triple in exported, triple
