"""Query results written as Oxigraph gives them, up to the server's caps.

A query worker never holds a whole answer: solutions (triples for CONSTRUCT and DESCRIBE)
are pulled from Oxigraph one at a time and written to a :class:`Spill`, which keeps a small
answer in memory (sent back through the worker's pipe) and puts a big one in its spool file
(which the request thread then streams to the client). Writing stops after ``max_rows``
rows, or before the body would pass ``max_bytes`` (rows of long abstracts), and the
document is still complete in its format; :class:`Written` says whether and why it was cut,
so that the answer can say so (``X-SPARQL-MaxRows``).
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING, BinaryIO, Final, Literal

import pyoxigraph as ox

from kg.namespaces import prefixes
from kg.results import BlankNodeLabels, SolutionWriter
from kg.serve.answers import jsonld

if TYPE_CHECKING:
    from _typeshed import ReadableBuffer

DEFAULT_MAX_ROWS: Final = 100_000
"""Rows (triples for CONSTRUCT and DESCRIBE) an answer holds at most, by default."""
DEFAULT_MAX_BYTES: Final = 64 << 20
"""Bytes an answer's body holds at most, by default, whatever its rows."""
SPILL_AT: Final = 256 << 10
"""Bytes of an answer a worker keeps in memory; a bigger answer goes to its spool file."""
_TAIL_ROOM: Final = 64  # bytes kept for the end of a results document (XML's is 23)
_RDF_FORMATS: Final = {"turtle": ox.RdfFormat.TURTLE, "ntriples": ox.RdfFormat.N_TRIPLES}


@dataclass(frozen=True)
class Limits:
    """How much one answer may hold."""

    max_rows: int = DEFAULT_MAX_ROWS
    max_bytes: int = DEFAULT_MAX_BYTES


class Spill(io.BytesIO):
    """An answer's body as a worker writes it: in memory up to :data:`SPILL_AT` bytes, then
    in the file ``path``, created only then. Most answers are small, and creating a file
    costs more than answering most queries."""

    def __init__(self, path: str) -> None:
        super().__init__()
        self.path = path
        self.file: BinaryIO | None = None
        """The spool file, once the answer has outgrown memory."""

    def write(self, data: ReadableBuffer, /) -> int:
        if self.file is None and self.tell() + memoryview(data).nbytes > SPILL_AT:
            self.file = open(self.path, "wb")  # noqa: SIM115 (closed by close)
            self.file.write(self.getvalue())
            self.seek(0)
            self.truncate()
        return self.file.write(data) if self.file is not None else super().write(data)

    def close(self) -> None:
        if self.file is not None:
            self.file.close()
        super().close()


@dataclass(frozen=True)
class Written:
    """What went into an answer: its rows (or triples), and what cut it short, if anything."""

    rows: int
    cut: Literal["rows", "bytes"] | None = None


def write_solutions(
    solutions: ox.QuerySolutions, fmt: str, output: IO[bytes], limits: Limits
) -> Written:
    """A SELECT result as ``fmt`` (csv, tsv, json, xml) into ``output``, row by row, pulling
    at most one solution past ``limits.max_rows``."""
    variables = [variable.value for variable in solutions.variables]
    writer = SolutionWriter(fmt, variables)
    head = writer.head().encode("utf-8")
    output.write(head)
    size, rows = len(head), 0
    cut: Literal["rows", "bytes"] | None = None
    for solution in solutions:
        if rows == limits.max_rows:
            cut = "rows"
            break
        row = writer.row([solution[name] for name in variables], first=rows == 0)
        piece = row.encode("utf-8")
        if size + len(piece) + _TAIL_ROOM > limits.max_bytes:
            cut = "bytes"
            break
        output.write(piece)
        size, rows = size + len(piece), rows + 1
    output.write(writer.tail(empty=rows == 0).encode("utf-8"))
    return Written(rows, cut)


def write_triples(
    triples: Iterable[ox.Triple], fmt: str, output: IO[bytes], limits: Limits
) -> Written:
    """A CONSTRUCT or DESCRIBE result as ``fmt`` (turtle, ntriples, jsonld) into ``output``.

    Turtle and N-Triples stream through Oxigraph's serializer. Their size is counted as
    N-Triples, which Turtle never exceeds (prefixed names and ``;`` only shorten it). JSON-LD
    groups triples by subject, so it is made whole from the triples that fit the caps, and
    halved until it fits ``max_bytes``.
    """
    labels = BlankNodeLabels()
    relabelled = (
        ox.Triple(labels(triple.subject), triple.predicate, labels(triple.object))
        for triple in triples
    )
    used = dict(sorted(prefixes().items())) if fmt == "turtle" else {}
    header = sum(len(f"@prefix {name}: <{iri}> .\n".encode()) for name, iri in used.items())
    capped = _Capped(relabelled, limits.max_rows, limits.max_bytes - header)
    if fmt != "jsonld":
        ox.serialize(capped, output, format=_RDF_FORMATS[fmt], prefixes=used or None)
        return Written(capped.rows, capped.cut)
    kept = list(capped)
    body = jsonld(kept)
    cut = capped.cut
    while len(body) > limits.max_bytes and kept:
        kept, cut = kept[: len(kept) // 2], "bytes"
        body = jsonld(kept)
    output.write(body)
    return Written(len(kept), cut)


class _Capped:
    """The triples that fit ``max_rows`` and, written as N-Triples, ``max_bytes``; iterated
    once, it then tells how many passed and what cut them short."""

    def __init__(self, triples: Iterable[ox.Triple], max_rows: int, max_bytes: int) -> None:
        self._triples = triples
        self._max_rows = max_rows
        self._max_bytes = max_bytes
        self.rows = 0
        self.cut: Literal["rows", "bytes"] | None = None

    def __iter__(self) -> Iterator[ox.Triple]:
        size = 0
        for triple in self._triples:
            if self.rows == self._max_rows:
                self.cut = "rows"
                return
            size += len(f"{triple} .\n".encode())
            if size > self._max_bytes:
                self.cut = "bytes"
                return
            self.rows += 1
            yield triple
