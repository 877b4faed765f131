"""The one prefix map of kg, read from the bundled JSON-LD context.

Turtle prefixes, the JSON-LD context and the SPARQL prefixes all come from
``kg/data/contexts/kg.jsonld`` so they cannot drift apart. schema.org is
``http://schema.org/`` everywhere: it is what ``"@context": "https://schema.org"``
expands to, and what Wikidata and most published data use.
"""

from __future__ import annotations

import json
from functools import cache

import pyoxigraph as ox
from rdflib import Graph, Namespace, URIRef
from rdflib.namespace import RDF, RDFS, XSD, DefinedNamespace

from kg.resources import context_path


class _Vocabulary(Namespace):
    """An rdflib namespace that makes each term once.

    rdflib builds and checks a new ``URIRef`` on every ``SCHEMA.author``; mapping a corpus
    asks for the same few dozen terms millions of times, and that was half its time.
    """

    def term(self, name: str) -> URIRef:
        return _term(str(self), name)


@cache
def _term(namespace: str, name: str) -> URIRef:
    return URIRef(namespace + name)


class OxVocabulary:
    """The pyoxigraph terms of one namespace, each made on first use and then kept as a
    plain attribute (``OxVocabulary(SCHEMA).name``): the build's hot path names the same few
    dozen terms millions of times."""

    def __init__(self, namespace: str | type[DefinedNamespace]) -> None:
        self._namespace = str(namespace)

    def __getattr__(self, name: str) -> ox.NamedNode:
        if name.startswith("_"):
            raise AttributeError(name)
        term = ox.NamedNode(self._namespace + name)
        setattr(self, name, term)
        return term


SCHEMA = _Vocabulary("http://schema.org/")
FOAF = _Vocabulary("http://xmlns.com/foaf/0.1/")
BIBO = _Vocabulary("http://purl.org/ontology/bibo/")
DCTERMS = _Vocabulary("http://purl.org/dc/terms/")
PROV = _Vocabulary("http://www.w3.org/ns/prov#")
VOID = _Vocabulary("http://rdfs.org/ns/void#")
KG = _Vocabulary("https://w3id.org/kg-tool/vocab#")

# The same vocabularies as pyoxigraph terms, for the build's hot path (mapping, batches,
# JSON-LD), each made once for the whole process.
OX_RDF, OX_RDFS, OX_XSD = (OxVocabulary(ns) for ns in (RDF, RDFS, XSD))
OX_SCHEMA, OX_FOAF, OX_BIBO = (OxVocabulary(ns) for ns in (SCHEMA, FOAF, BIBO))
OX_DCTERMS, OX_PROV, OX_KG = (OxVocabulary(ns) for ns in (DCTERMS, PROV, KG))

__all__ = [
    "BIBO",
    "DCTERMS",
    "FOAF",
    "KG",
    "OX_BIBO",
    "OX_DCTERMS",
    "OX_FOAF",
    "OX_KG",
    "OX_PROV",
    "OX_RDF",
    "OX_RDFS",
    "OX_SCHEMA",
    "OX_XSD",
    "PROV",
    "RDF",
    "RDFS",
    "SCHEMA",
    "VOID",
    "XSD",
    "jsonld_context",
    "new_graph",
    "prefixes",
    "sparql_prologue",
]


@cache
def jsonld_context() -> dict[str, object]:
    """The ``@context`` object of kg's JSON-LD files (a fresh parse, cached)."""
    with context_path().open(encoding="utf-8") as stream:
        document = json.load(stream)
    context: dict[str, object] = document["@context"]
    return context


def prefixes() -> dict[str, str]:
    """Prefix name to namespace IRI, sorted by prefix."""
    return {
        name: iri
        for name, iri in sorted(jsonld_context().items())
        if not name.startswith("@") and isinstance(iri, str)
    }


def new_graph() -> Graph:
    """An empty rdflib graph bound to kg's prefixes and nothing else.

    rdflib binds ``schema:`` to ``https://schema.org/`` by default; kg's graphs must not.
    """
    graph = Graph(bind_namespaces="none")
    for name, iri in prefixes().items():
        graph.bind(name, Namespace(iri), override=True, replace=True)
    return graph


def sparql_prologue() -> str:
    """``PREFIX`` lines for every kg prefix, for queries and SHACL-SPARQL constraints."""
    return "".join(f"PREFIX {name}: <{iri}>\n" for name, iri in prefixes().items())
