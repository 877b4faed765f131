"""Assemble mapped triples into an rdflib graph (the in-memory store of a build)."""

from __future__ import annotations

from rdflib import Graph, Namespace

from kg.batches import Shard, entities
from kg.corpus import Corpus
from kg.mapping import IriScheme, corpus_triples
from kg.namespaces import new_graph


def corpus_graph(corpus: Corpus, iris: IriScheme, shard: Shard | None = None) -> Graph:
    """The corpus (or only the entities of ``shard``) as a graph, with ``paper:``,
    ``person:`` and ``list:`` prefixes under the base IRI so the Turtle reads well."""
    graph = new_graph()
    for name, namespace in iris.prefixes().items():
        graph.bind(name, Namespace(namespace))
    if shard is None:
        for triple in corpus_triples(corpus, iris):
            graph.add(triple)
    else:
        for entity in entities(corpus, iris, shard):
            for triple in entity.own:
                graph.add(triple)
    return graph
