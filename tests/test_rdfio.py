"""kg.rdfio: every format loads, nothing is fetched, bad input is an InputError with file:line."""

from __future__ import annotations

import json
import re
import socket
import urllib.request
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rdflib import BNode, Dataset, Graph, Literal, URIRef
from rdflib.compare import isomorphic

from kg.errors import InputError
from kg.namespaces import SCHEMA
from kg.rdfio import (
    KG_CONTEXT_URLS,
    SCHEMA_ORG_CONTEXT_URLS,
    load_graph,
    load_store,
    rdf_format_for,
)
from kg.resources import context_path

S = "http://schema.org/"
XSD_INTEGER = ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer")


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any attempt to open a connection fails the test: kg must never fetch."""

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError(f"network access attempted: {args!r}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(urllib.request, "urlopen", refuse)


@pytest.fixture
def example_graph(example_graph_path: Path) -> Graph:
    graph = Graph()
    graph.parse(example_graph_path, format="turtle")
    return graph


def write(path: Path, text: str | bytes) -> Path:
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def store_triples(store: ox.Store) -> set[str]:
    """Triples of a store as N-Triples lines, blank nodes blanked out, for comparisons."""
    return {
        " ".join(
            "_:" if isinstance(term, ox.BlankNode) else str(term)
            for term in (quad.subject, quad.predicate, quad.object)
        )
        for quad in store
    }


def graph_triples(graph: Graph) -> set[str]:
    return {
        " ".join("_:" if isinstance(term, BNode) else term.n3() for term in triple)
        for triple in graph
    }


# --- formats -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("a.ttl", "turtle"),
        ("a.nt", "ntriples"),
        ("a.nq", "nquads"),
        ("a.trig", "trig"),
        ("a.jsonld", "json-ld"),
        ("a.json-ld", "json-ld"),
        ("a.rdf", "rdf/xml"),
        ("a.owl", "rdf/xml"),
        ("a.xml", "rdf/xml"),
        ("A.TTL", "turtle"),
    ],
)
def test_format_by_extension(name: str, expected: str) -> None:
    assert rdf_format_for(Path(name)) == expected


@pytest.mark.parametrize("name", ["data.csv", "data", "data.ttl.bak", "data.json"])
def test_unknown_extension_names_the_file(name: str) -> None:
    with pytest.raises(InputError) as caught:
        rdf_format_for(Path("/somewhere") / name)
    assert str(caught.value).startswith(f"{name}: unknown RDF file extension")


def _serialisations(graph: Graph) -> dict[str, bytes]:
    """The example graph in every format kg reads (quads formats put it in a named graph)."""
    dataset = Dataset()
    named = dataset.graph(URIRef("https://example.org/kg/graph/g"))
    for triple in graph:
        named.add(triple)
    return {
        "example.ttl": graph.serialize(format="turtle", encoding="utf-8"),
        "example.nt": graph.serialize(format="nt", encoding="utf-8"),
        "example.nq": dataset.serialize(format="nquads", encoding="utf-8"),
        "example.trig": dataset.serialize(format="trig", encoding="utf-8"),
        "example.jsonld": graph.serialize(format="json-ld", encoding="utf-8"),
        "example.rdf": graph.serialize(format="xml", encoding="utf-8"),
    }


@pytest.mark.parametrize(
    "name",
    ["example.ttl", "example.nt", "example.nq", "example.trig", "example.jsonld", "example.rdf"],
)
def test_each_format_loads(name: str, example_graph: Graph, tmp_path: Path) -> None:
    path = write(tmp_path / name, _serialisations(example_graph)[name])

    graph = load_graph([path])
    assert isomorphic(graph, example_graph)

    store = load_store([path])
    assert len(store) == len(example_graph)
    assert store_triples(store) == graph_triples(example_graph)
    # Named graphs are merged into the default graph, which queries read.
    answer = store.query("SELECT (COUNT(*) AS ?n) WHERE { ?s a <http://schema.org/Person> }")
    assert isinstance(answer, ox.QuerySolutions)
    assert [row["n"] for row in answer] == [ox.Literal("3", datatype=XSD_INTEGER)]


def test_several_files_make_one_graph(example_graph: Graph, tmp_path: Path) -> None:
    extra = write(
        tmp_path / "extra.nt",
        f'<https://example.org/kg/person/x> <{S}name> "X" .\n',
    )
    graph = load_graph([Path("tests/data/example.ttl"), extra])
    assert len(graph) == len(example_graph) + 1
    store = load_store([Path("tests/data/example.ttl"), extra])
    assert len(store) == len(example_graph) + 1


def test_blank_nodes_of_different_files_stay_apart(tmp_path: Path) -> None:
    files = [
        write(tmp_path / "a.jsonld", '{"@id": "_:b0", "http://x.org/p": "1"}'),
        write(tmp_path / "b.jsonld", '{"@id": "_:b0", "http://x.org/p": "2"}'),
        write(tmp_path / "c.ttl", '_:b0 <http://x.org/p> "3" .'),
        write(tmp_path / "d.ttl", '_:b0 <http://x.org/p> "4" .'),
        write(tmp_path / "e.nq", '_:b0 <http://x.org/p> "5" <http://x.org/g> .\n'),
        write(tmp_path / "f.nq", '_:b0 <http://x.org/p> "6" <http://x.org/g> .\n'),
    ]
    assert len(set(load_graph(files).subjects())) == 6
    assert len({quad.subject for quad in load_store(files)}) == 6


def test_schema_prefix_stays_http(tmp_path: Path) -> None:
    path = write(
        tmp_path / "https.ttl",
        '@prefix schema: <https://schema.org/> .\n<http://x.org/a> schema:name "a" .\n',
    )
    graph = load_graph([path])
    assert dict(graph.namespaces())["schema"] == URIRef(S)
    # the data itself is kept as written
    assert (URIRef("http://x.org/a"), URIRef("https://schema.org/name"), Literal("a")) in graph


# --- JSON-LD without network ---------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "https://schema.org",
        "https://schema.org/",
        "http://schema.org",
        "http://schema.org/",
        "https://schema.org/docs/jsonldcontext.jsonld",
        "http://schema.org/docs/jsonldcontext.jsonld",
    ],
)
def test_schema_org_context_is_pinned(url: str, tmp_path: Path) -> None:
    document = {
        "@context": url,
        "@id": "https://example.org/kg/paper/p",
        "@type": "ScholarlyArticle",
        "name": "A title",
        "sameAs": "https://www.wikidata.org/entity/Q1",
        "author": {"@id": "https://example.org/kg/person/a", "@type": "Person", "name": "A"},
    }
    path = write(tmp_path / "paper.jsonld", json.dumps(document))
    paper = URIRef("https://example.org/kg/paper/p")
    expected = {
        (paper, URIRef(S + "name"), Literal("A title")),
        (paper, URIRef(S + "sameAs"), URIRef("https://www.wikidata.org/entity/Q1")),
        (paper, URIRef("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"), SCHEMA.ScholarlyArticle),
        (paper, URIRef(S + "author"), URIRef("https://example.org/kg/person/a")),
    }
    graph = load_graph([path])
    assert expected <= set(graph)
    assert len(graph) == 6
    assert not [t for t in graph if any("https://schema.org" in str(term) for term in t)]
    store = load_store([path])
    assert len(store) == 6


def test_pinned_schema_org_context_maps_to_http_schema_org() -> None:
    context = json.loads(context_path("schema.org.jsonld").read_text(encoding="utf-8"))["@context"]
    assert context["@vocab"] == S
    assert context["schema"] == S
    assert context["id"] == "@id"
    assert context["type"] == "@type"
    assert context["sameAs"] == {"@id": "schema:sameAs", "@type": "@id"}
    assert context["url"] == {"@id": "schema:url", "@type": "@id"}
    assert {"https://schema.org", "http://schema.org/"} <= SCHEMA_ORG_CONTEXT_URLS


def test_kg_context_is_pinned(tmp_path: Path) -> None:
    (url,) = sorted(KG_CONTEXT_URLS)[:1]
    document = {"@context": url, "@id": "https://example.org/kg/person/a", "foaf:name": "A"}
    graph = load_graph([write(tmp_path / "a.jsonld", json.dumps(document))])
    assert set(graph) == {
        (
            URIRef("https://example.org/kg/person/a"),
            URIRef("http://xmlns.com/foaf/0.1/name"),
            Literal("A"),
        )
    }


def test_nested_contexts_are_resolved(tmp_path: Path) -> None:
    document = {
        "@context": [
            "https://schema.org",
            {"ex": "https://example.org/ns#"},
            {
                "cites": {
                    "@id": "ex:cites",
                    "@context": ["http://schema.org/", {"label": "ex:label"}],
                },
                "knows": {"@id": "ex:knows", "@context": {"@import": "https://schema.org"}},
            },
        ],
        "@id": "https://example.org/a",
        "name": "A",
        "cites": {"@id": "https://example.org/b", "label": "B", "name": "B"},
        "knows": {"@id": "https://example.org/c", "name": "C"},
        "@graph": [{"@context": "http://schema.org", "@id": "https://example.org/d", "name": "D"}],
    }
    graph = load_graph([write(tmp_path / "nested.jsonld", json.dumps(document))])
    names = {str(o) for o in graph.objects(None, URIRef(S + "name"))}
    assert {"B", "C", "D"} <= names
    assert (
        URIRef("https://example.org/b"),
        URIRef("https://example.org/ns#label"),
        Literal("B"),
    ) in graph


@pytest.mark.parametrize(
    "context",
    [
        "https://evil.example/context.jsonld",
        ["https://schema.org", "https://evil.example/context.jsonld"],
        {"p": {"@id": "http://x.org/p", "@context": "https://evil.example/context.jsonld"}},
        {"@import": "https://evil.example/context.jsonld"},
        [{"p": {"@id": "http://x.org/p", "@context": ["https://evil.example/context.jsonld"]}}],
    ],
)
def test_unknown_remote_context_is_refused(context: Any, tmp_path: Path) -> None:
    path = write(tmp_path / "evil.jsonld", json.dumps({"@context": context, "@id": "http://x/a"}))
    for load in (load_graph, load_store):
        with pytest.raises(InputError) as caught:
            load([path])
        assert str(caught.value) == (
            "evil.jsonld: remote JSON-LD context https://evil.example/context.jsonld "
            "is not allowed: kg never fetches"
        )


def test_context_in_a_nested_node_is_refused(tmp_path: Path) -> None:
    document = {
        "@context": "https://schema.org",
        "@id": "http://x.org/a",
        "author": {"@context": "http://evil.example/c", "name": "B"},
    }
    with pytest.raises(InputError, match=r"remote JSON-LD context http://evil\.example/c"):
        load_graph([write(tmp_path / "n.jsonld", json.dumps(document))])


def test_relative_context_reference_is_refused(tmp_path: Path) -> None:
    write(tmp_path / "context.jsonld", json.dumps({"@context": {"@vocab": "http://x.org/"}}))
    path = write(tmp_path / "r.jsonld", json.dumps({"@context": "context.jsonld", "a": "1"}))
    with pytest.raises(InputError, match=r"'context\.jsonld' is not allowed"):
        load_graph([path])


@pytest.mark.parametrize(
    ("text", "line"),
    [('{"@id": "http://x.org/a",\n  "http://x.org/p": }', 2), ("[1, 2", 1)],
)
def test_broken_json_names_file_and_line(text: str, line: int, tmp_path: Path) -> None:
    with pytest.raises(InputError) as caught:
        load_graph([write(tmp_path / "broken.jsonld", text)])
    assert caught.value.line == line
    assert str(caught.value).startswith(f"broken.jsonld:{line}: not valid JSON")


def test_json_that_is_not_json_ld(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="must be an object or an array"):
        load_graph([write(tmp_path / "n.jsonld", "42")])


# --- RDF/XML entity declarations -----------------------------------------------------------

BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE rdf:RDF [
  <!ENTITY lol "lol">
  <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
  <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"
         xmlns:s="http://schema.org/">
  <rdf:Description rdf:about="http://x.org/a"><s:name>&lol3;</s:name></rdf:Description>
</rdf:RDF>
"""


@pytest.mark.parametrize("name", ["laughs.rdf", "laughs.owl", "laughs.xml"])
@pytest.mark.parametrize("encoding", ["utf-8", "utf-16"])
def test_doctype_in_rdf_xml_is_refused(name: str, encoding: str, tmp_path: Path) -> None:
    path = write(tmp_path / name, BILLION_LAUGHS.replace("UTF-8", encoding).encode(encoding))
    for load in (load_graph, load_store):
        with pytest.raises(InputError, match="DOCTYPE or ENTITY declaration is refused"):
            load([path])


def test_rdf_xml_without_doctype_loads(tmp_path: Path) -> None:
    text = BILLION_LAUGHS.split("]>\n", 1)[1].replace("&lol3;", "ok")
    path = write(tmp_path / "fine.rdf", '<?xml version="1.0"?>\n' + text)
    assert len(load_graph([path])) == 1
    assert len(load_store([path])) == 1


# --- errors name the file and the line -----------------------------------------------------

BROKEN_TURTLE = """@prefix schema: <http://schema.org/> .

<http://x.org/a> schema:name "fine" .
<http://x.org/b> schema:name "never closed .
<http://x.org/c> schema:name "fine" .
"""


def test_broken_turtle_names_file_and_line(tmp_path: Path) -> None:
    path = write(tmp_path / "broken.ttl", BROKEN_TURTLE)
    for load in (load_graph, load_store):
        with pytest.raises(InputError) as caught:
            load([path])
        error = caught.value
        assert error.path == path
        assert error.line == 4
        assert str(error).startswith("broken.ttl:4: not valid Turtle: ")


def test_broken_ntriples_names_file_and_line(tmp_path: Path) -> None:
    text = "<http://x.org/a> <http://x.org/p> <http://x.org/b> .\n<http://x.org/a> <p> .\n"
    path = write(tmp_path / "broken.nt", text)
    for load in (load_graph, load_store):
        with pytest.raises(InputError) as caught:
            load([path])
        assert caught.value.line == 2
        assert str(caught.value).startswith("broken.nt:2: not valid N-Triples: ")


def test_broken_rdf_xml_names_file(tmp_path: Path) -> None:
    path = write(tmp_path / "broken.rdf", "<?xml version='1.0'?>\n<rdf:RDF>\n<a></b>\n")
    for load in (load_graph, load_store):
        with pytest.raises(InputError, match=r"^broken\.rdf(:\d+)?: not valid RDF/XML"):
            load([path])


@pytest.mark.parametrize("name", ["missing.ttl", "missing.jsonld", "missing.rdf", "missing.nq"])
def test_missing_file(name: str, tmp_path: Path) -> None:
    for load in (load_graph, load_store):
        with pytest.raises(InputError) as caught:
            load([tmp_path / name])
        assert str(caught.value) == f"{name}: no such file"


def test_directory_is_not_a_file(tmp_path: Path) -> None:
    folder = tmp_path / "folder.ttl"
    folder.mkdir()
    with pytest.raises(InputError, match=r"folder\.ttl: is a directory"):
        load_graph([folder])


def test_not_utf8(tmp_path: Path) -> None:
    path = write(
        tmp_path / "latin1.ttl", '<http://x.org/a> <http://x.org/p> "caf\xe9" .'.encode("latin-1")
    )
    for load in (load_graph, load_store):
        with pytest.raises(InputError, match=r"^latin1\.ttl"):
            load([path])


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    data=st.one_of(st.binary(max_size=200), st.text(max_size=200).map(str.encode)),
    suffix=st.sampled_from([".ttl", ".nt", ".nq", ".trig", ".jsonld", ".rdf"]),
)
def test_garbage_is_an_input_error_or_a_graph(data: bytes, suffix: str, tmp_path: Path) -> None:
    """Whatever the bytes, loading gives a graph or an InputError, never another exception."""
    path = write(tmp_path / f"garbage{suffix}", data)
    for load in (load_graph, load_store):
        try:
            load([path])
        except InputError as error:
            assert str(error).startswith(f"garbage{suffix}")


def test_the_network_guard_works() -> None:
    """rdflib on its own would fetch the context: the guard above must catch that."""
    with pytest.raises(Exception) as caught:  # rdflib may wrap the error
        Graph().parse(data='{"@context": "https://schema.org", "name": "x"}', format="json-ld")
    chain: list[BaseException] = []
    error: BaseException | None = caught.value
    while error is not None:
        chain.append(error)
        error = error.__cause__ or error.__context__
    assert any("network access attempted" in str(e) for e in chain)


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("bad-iri.ttl", '<http://x.org/a b> <http://x.org/p> "x" .\n'),
        ("bad-iri.nt", '<http://x.org/a> <http//x.org/p> "x" .\n'),
        ("bad-iri.jsonld", '{"@id": "http://x.org/a", "http://x.org/p": {"@id": "http://x/{b}"}}'),
    ],
)
def test_invalid_iris_are_refused(name: str, text: str, tmp_path: Path) -> None:
    """rdflib alone accepts them with a logged warning, and exports then break."""
    path = write(tmp_path / name, text)
    for load in (load_graph, load_store):
        with pytest.raises(InputError, match=rf"^{re.escape(name)}(:1)?: .*(IRI|scheme)"):
            load([path])
