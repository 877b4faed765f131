"""Mapped entities as an rdflib graph: for whole-graph validation with user shapes, and for
library users who want rdflib's API. Builds themselves stream and never hold one."""

from __future__ import annotations

from collections.abc import Iterable

from rdflib import Graph, Namespace

from kg.batches import Entity, Shard, entities
from kg.corpus import Corpus
from kg.mapping import IriScheme
from kg.namespaces import new_graph


def corpus_graph(corpus: Corpus, iris: IriScheme, shard: Shard | None = None) -> Graph:
    """The corpus (or only the entities of ``shard``) as a graph."""
    return entities_graph(entities(corpus, iris, shard), iris)


def entities_graph(selected: Iterable[Entity], iris: IriScheme) -> Graph:
    """The ``selected`` entities' own triples as a graph, with ``paper:``, ``person:`` and
    ``list:`` prefixes under the base IRI so the Turtle reads well."""
    graph = new_graph()
    for name, namespace in iris.prefixes().items():
        graph.bind(name, Namespace(namespace))
    for entity in selected:
        for triple in entity.own:
            graph.add(triple)
    return graph
