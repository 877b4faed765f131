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
    for name, namespace in iris.prefixes().items():
        graph.bind(name, Namespace(namespace))
    for triple in corpus_triples(corpus, iris):
        graph.add(triple)
    return graph
