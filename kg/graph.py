"""Mapped entities as an rdflib graph: for whole-graph validation with user shapes, and for
library users who want rdflib's API. Builds themselves stream and never hold one."""

from __future__ import annotations

from collections.abc import Iterable

from rdflib import Graph, Namespace

from kg.batches import Entity, Shard, entities
from kg.corpus import Corpus
from kg.iris import IriScheme
from kg.namespaces import new_graph
from kg.terms import same_label, to_rdflib


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
            s, p, o = (to_rdflib(term, same_label) for term in triple)
            graph.add((s, p, o))
    return graph
