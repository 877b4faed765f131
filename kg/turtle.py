"""Readable Turtle: each list with its source records, each paper with its authorships.

rdflib's Turtle writer sorts subjects by IRI, which scatters a paper's authorship nodes and
source records far from the paper. This writer keeps rdflib's syntax (prefixes, lists as
``( … )``, one block per subject) and only chooses the order of the blocks; the order
depends on the graph alone, so the bytes stay the same run after run.
"""

from __future__ import annotations

from collections.abc import Mapping
from io import BytesIO

from rdflib import Graph, Literal, URIRef
from rdflib.plugins.serializers.turtle import TurtleSerializer
from rdflib.term import Node

from kg.namespaces import DCTERMS, FOAF, KG, PROV, RDF, SCHEMA


class _GroupedTurtleSerializer(TurtleSerializer):
    """rdflib's Turtle serializer with kg's reading order of subjects."""

    def __init__(self, store: Graph) -> None:
        super().__init__(store)
        self._pnames: dict[tuple[Node, bool], str | None] = {}
        self._bound = sorted((str(ns) for _, ns in store.namespaces()), key=len, reverse=True)

    def get_pname(self, uri: Node, gen_prefix: bool = True) -> str | None:
        """rdflib's answer, remembered, and found without rdflib for IRIs that have none.

        rdflib caches only the IRIs that have a prefixed name. For the others (every
        authorship ``paper/x#author-1`` and source record ``list/y#line-2``) it searches
        again each time and adds ``paper/x#`` to a namespace index it scans linearly, so
        writing took time quadratic in the number of papers. Below a bound namespace, a
        local part with ``#`` is never a prefixed name: those IRIs are answered here.
        """
        key = (uri, gen_prefix)
        if key not in self._pnames:
            self._pnames[key] = (
                None if self._hash_below_namespace(uri) else super().get_pname(uri, gen_prefix)
            )
        return self._pnames[key]

    def _hash_below_namespace(self, uri: Node) -> bool:
        if not isinstance(uri, URIRef) or "#" not in uri:
            return False
        text = str(uri)
        namespace = next((ns for ns in self._bound if text.startswith(ns)), None)
        return namespace is not None and "#" in text[len(namespace) :]

    def orderSubjects(self) -> list[Node]:
        graph = self.store
        ordered: list[Node] = []
        for publication_list in sorted(
            graph.subjects(RDF.type, FOAF.PersonalProfileDocument), key=str
        ):
            ordered.append(publication_list)
            records = graph.subjects(DCTERMS.isPartOf, publication_list)
            ordered.extend(
                sorted(records, key=lambda r: (_number(graph.value(r, KG.line)), str(r)))
            )
        for paper in sorted(graph.subjects(RDF.type, SCHEMA.ScholarlyArticle), key=str):
            ordered.append(paper)
            authorships = graph.objects(paper, PROV.qualifiedAttribution)
            ordered.extend(sorted(authorships, key=self._by_position))
        ordered.extend(sorted(graph.subjects(RDF.type, SCHEMA.Person), key=str))
        placed = set(ordered)
        ordered = list(dict.fromkeys(ordered))
        rest = [s for s in super().orderSubjects() if s not in placed]
        for subject in ordered:
            self._topLevels[subject] = True
        return ordered + rest

    def sortProperties(self, properties: Mapping[Node, list[Node]]) -> list[Node]:
        """rdflib's order, except a paper's authorships, which follow their positions."""
        ordered: list[Node] = super().sortProperties(properties)
        authorships = properties.get(PROV.qualifiedAttribution)
        if authorships:
            authorships.sort(key=self._by_position)
        return ordered

    def _by_position(self, authorship: Node) -> tuple[int, str]:
        return _number(self.store.value(authorship, SCHEMA.position)), str(authorship)


def _number(value: Node | None) -> int:
    """An integer literal's value, or a large number for anything else (sorted last)."""
    if isinstance(value, Literal) and isinstance(value.toPython(), int):
        return int(value.toPython())
    return 1 << 62


def to_grouped_turtle(graph: Graph) -> bytes:
    """``graph`` as Turtle, grouped for people to read."""
    stream = BytesIO()
    _GroupedTurtleSerializer(graph).serialize(stream, encoding="utf-8")
    return stream.getvalue()
