"""Turtle of the site's small documents, declaring only the prefixes they use."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pyoxigraph as ox

from kg.namespaces import OX_RDF
from kg.turtle import laid_out


def small_turtle(
    triples: Sequence[ox.Triple], candidates: Mapping[str, str], *, relative_to: str | None = None
) -> bytes:
    """``triples`` as Turtle with those ``candidates`` prefixes that they use.

    With ``relative_to``, IRIs under it are written relative and no ``@base`` is declared,
    so they resolve against wherever the file is read from (any folder, ``file://``).
    """
    iris = {term.value for triple in triples for term in _written(triple)}
    used = {
        name: namespace
        for name, namespace in candidates.items()
        if any(iri.startswith(namespace) for iri in iris)
    }
    text = ox.serialize(triples, format=ox.RdfFormat.TURTLE, prefixes=used, base_iri=relative_to)
    if relative_to is not None:
        text = (text or b"").split(b"\n", 1)[1]  # the @base line
    header, body = laid_out(text or b"", len(used))
    return (header + body).removeprefix(b"\n")


def _written(triple: ox.Triple) -> list[ox.NamedNode]:
    """The IRIs Turtle writes for ``triple`` (``rdf:type`` is written ``a``)."""
    terms = [triple.subject, triple.object]
    if triple.predicate != OX_RDF.type:
        terms.append(triple.predicate)
    return [term for term in terms if isinstance(term, ox.NamedNode)]
