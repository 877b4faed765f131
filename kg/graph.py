"""Assemble mapped triples into an rdflib graph (the in-memory store of a build)."""

from __future__ import annotations

from rdflib import Graph, Namespace

from kg.corpus import Corpus
from kg.mapping import IriScheme, corpus_triples
from kg.namespaces import new_graph


def corpus_graph(corpus: Corpus, iris: IriScheme) -> Graph:
    """The corpus as a graph, with ``paper:``, ``person:`` and ``list:`` prefixes under the base
    IRI so the Turtle reads well."""
    graph = new_graph()
    for kind in ("paper", "person", "list"):
        graph.bind(kind, Namespace(f"{iris.base}{kind}/"))
    for triple in corpus_triples(corpus, iris):
        graph.add(triple)
    return graph
