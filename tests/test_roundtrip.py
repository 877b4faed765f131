"""Property-based round trips: list text -> graph -> each format -> parsed back, isomorphic,
author order intact, titles exact."""

from __future__ import annotations

import tempfile
import unicodedata
from io import BytesIO
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rdflib import Graph, URIRef
from rdflib.collection import Collection
from rdflib.compare import isomorphic, to_isomorphic

from kg.batches import Entity, entities
from kg.export import EXPORT_NAMES, write_exports
from kg.graph import entities_graph
from kg.iris import IriScheme
from kg.namespaces import BIBO, SCHEMA
from kg.pipeline import load_corpus

FORMATS = {"graph.ttl": "turtle", "graph.jsonld": "json-ld", "graph.nt": "nt"}

# Printable text without line breaks, commas (they separate names) or control characters.
_chars = st.characters(
    blacklist_categories=("Cc", "Cs", "Zl", "Zp"), blacklist_characters=",\u0085"
)
_word = st.text(_chars, min_size=1, max_size=12).filter(lambda w: any(c.isalnum() for c in w))
_tricky = st.sampled_from(
    [
        '"',
        "\\",
        "\\u0022",
        "'",
        "$\\Sigma$",
        "\\textit{x}",
        "63%",
        "&",
        "~",
        "_",
        "#",
        "{}",
        "Šakota",
        "Ame\u0301lie",
        "🙂",
        "<script>",
        "https://example.org/x.",
        "\\n",
    ]
)
_phrase = st.lists(st.one_of(_word, _tricky), min_size=1, max_size=8).map(" ".join)


@st.composite
def names(draw: st.DrawFn) -> tuple[str, str]:
    family = draw(_word)
    given = draw(st.one_of(st.just(""), _word))
    return family.strip(), given.strip()


@st.composite
def publication_lists(draw: st.DrawFn) -> str:
    owner = draw(names())
    lines = [f"{owner[0]}, {owner[1]}"]
    for _ in range(draw(st.integers(1, 4))):
        authors = draw(st.lists(names(), min_size=1, max_size=5))
        title = draw(_phrase.filter(lambda t: any(c.isalnum() for c in t)))
        lines.append(title.strip())
        lines.append(", ".join(f"{family}, {given}" for family, given in authors))
        lines.append(draw(st.one_of(st.just(""), _phrase)))
    return "\n".join(lines) + "\n"


def exported(selected: list[Entity]) -> dict[str, bytes]:
    with tempfile.TemporaryDirectory() as folder:
        write_exports(selected, IriScheme(), Path(folder))
        return {name: (Path(folder) / name).read_bytes() for name in EXPORT_NAMES}


def _author_orders(graph: Graph) -> dict[URIRef, list[str]]:
    orders = {}
    for paper, head in graph.subject_objects(BIBO.authorList):
        orders[paper] = [str(person) for person in Collection(graph, head)]
    return orders


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(publication_lists())
def test_every_format_round_trips(text: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "random.txt"
        path.write_text(text, encoding="utf-8")
        corpus = load_corpus([path])
    selected = list(entities(corpus, IriScheme()))
    graph = entities_graph(selected, IriScheme())
    expected_orders = _author_orders(graph)
    for paper in corpus.papers:
        assert unicodedata.is_normalized("NFC", paper.title)
    for name, data in exported(selected).items():
        parsed = Graph()
        parsed.parse(BytesIO(data), format=FORMATS[name])
        assert isomorphic(parsed, graph), name
        assert _author_orders(parsed) == expected_orders, name
        titles = {str(t) for t in parsed.objects(None, SCHEMA.name)}
        assert {paper.title for paper in corpus.papers} <= titles


def test_canonical_forms_match_for_a_known_list() -> None:
    """A fixed example, so a failure here is readable without shrinking."""
    text = 'Doe, Jane\nA "quoted" \\ title\nDoe, Jane, Roe, R.\nMath $\\alpha$ and 5% \\u0022.\n'
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "fixed.txt"
        path.write_text(text, encoding="utf-8")
        selected = list(entities(load_corpus([path]), IriScheme()))
    graph = entities_graph(selected, IriScheme())
    for name, data in exported(selected).items():
        parsed = Graph()
        parsed.parse(BytesIO(data), format=FORMATS[name])
        assert to_isomorphic(parsed) == to_isomorphic(graph), name
    assert 'A "quoted" \\ title' in {str(t) for t in graph.objects(None, SCHEMA.name)}
    abstracts = {str(a) for a in graph.objects(None, SCHEMA.abstract)}
    assert abstracts == {"Math α and 5% \\u0022."}
