"""Readable Turtle, written by Oxigraph one entity at a time.

Entities come in IRI order (lists, then papers, then persons); inside an entity each subject
is one block (a list, then its source records; a paper, then its author list cells and
authorships), in the order the mapping gives them (each subject's triples together,
``rdf:type`` first, each property's values together), so a paper's authors read in author
order. Oxigraph does the grouping, the escaping and the prefixed names; nothing here holds
more than one entity, so the cost is linear.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import IO

import pyoxigraph as ox

from kg.batches import Entity


class TurtleWriter:
    """Writes entities as Turtle with ``prefixes`` (sorted by name), one at a time."""

    def __init__(self, output: IO[bytes], prefixes: Mapping[str, str]) -> None:
        self._output = output
        self._prefixes = dict(sorted(prefixes.items()))
        self._started = False

    def add(self, entity: Entity) -> None:
        header = len(self._prefixes)  # Oxigraph starts every document with the @prefix lines
        triples = ox.parse(
            entity.own_ntriples.encode("utf-8"), ox.RdfFormat.N_TRIPLES, rename_blank_nodes=False
        )
        lines = _serialize(triples, self._prefixes).split(b"\n")
        if not self._started:
            self._output.write(b"".join(line + b"\n" for line in sorted(lines[:header])))
            self._started = True
        for line in lines[header:]:
            if line and not line.startswith(b"\t"):  # a new subject: a blank line before it
                self._output.write(b"\n")
            self._output.write(line + b"\n" if line else b"")


def _serialize(triples: Iterable[ox.Triple], prefixes: dict[str, str]) -> bytes:
    text = ox.serialize(triples, format=ox.RdfFormat.TURTLE, prefixes=prefixes)
    return text if text is not None else b""
