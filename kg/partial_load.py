"""A build's own ``graph.nt`` loaded in part: only the triples a query can read.

Loading a whole 10k-paper ``graph.nt`` into an in-memory Oxigraph store takes 1.4 s on two
cores, while a canned query reads a third of its triples or fewer (:mod:`kg.query_scope`).
Lines are picked by their predicate without being parsed, which is safe only in a file
whose every line kg wrote: one triple on a line, its subject first and one space after it.
A line left out is never parsed, so a malformed one would go unreported; kg therefore picks
lines only from a file whose SHA-256 the build that wrote it recorded in its cache folder
(:func:`remember_graph`). Any other file, or a query that may read any triple, is loaded
whole, and so parsed whole, with errors named by file and line.

The file is read in blocks (memory holds the picked lines, not the file); each block is
hashed, its wanted lines picked and loaded, leniently (IRIs and language tags are not
checked again: a third faster), while the next block is read; the store is used only once
the digest is the recorded one.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import suppress
from pathlib import Path
from typing import IO

import pyoxigraph as ox

from kg.cachefile import CACHE_FOLDER
from kg.errors import ExportError
from kg.query_scope import Scope, joined_scope, predicates_read
from kg.rdfio import load_store
from kg.staging import Staging

RECORD_FILE = "graph.nt.sha256"
"""In the build's cache folder: the SHA-256 of the ``graph.nt`` the build wrote, as hex."""

BLOCK_BYTES = 2**20
"""Bytes read at a time."""


def remember_graph(graph: Path, cache_dir: Path, digest: str | None = None) -> None:
    """Record ``graph``'s SHA-256 (``digest``, or read from the file) in ``cache_dir``
    (atomically), once the build wrote it."""
    try:
        digest = digest or _digest(graph)
        cache_dir.mkdir(parents=True, exist_ok=True)
        with Staging(cache_dir) as staging:
            staged = staging.path / RECORD_FILE
            staged.write_text(f"{digest}\n", encoding="ascii")
            os.replace(staged, cache_dir / RECORD_FILE)
    except OSError as error:
        raise ExportError(f"cannot write the build cache {cache_dir}: {error}") from None


def load_for_queries(
    paths: Sequence[Path], queries: Sequence[str], prefixes: dict[str, str]
) -> ox.Store:
    """A store holding what ``queries`` (run with ``prefixes``) can read of ``paths``: the
    lines of those predicates (and objects) when every path is a ``graph.nt`` its build
    recorded (a whole build's, or a sharded build's parts); else every file, parsed whole
    (:func:`kg.rdfio.load_store`)."""
    if paths and all(path.suffix == ".nt" for path in paths):
        scope = joined_scope(predicates_read(query, prefixes) for query in queries)
        if scope is not None:
            part = load_part(paths, scope)
            if part is not None:
                return part
    return load_store(paths)


def load_part(graphs: Sequence[Path], scope: Scope) -> ox.Store | None:
    """The triples of ``graphs`` that ``scope`` names (by predicate, and object where it
    names objects), in a new store; ``None`` when one of them is not the file that the build
    whose cache folder is beside it recorded (or an IRI could be written otherwise than as
    itself in N-Triples)."""
    iris = [*scope, *(iri for objects in scope.values() for iri in objects or ())]
    if not all(_plain(iri) for iri in iris):
        return None
    needles = sorted(
        f" <{predicate}> ".encode() if objects is None else f" <{predicate}> <{obj}> .\n".encode()
        for predicate, objects in scope.items()
        for obj in (objects or [None])
    )
    store = ox.Store()
    with ThreadPoolExecutor(1) as loader:
        for graph in graphs:
            if not _load_picked(graph, needles, store, loader):
                return None
    return store


def _load_picked(
    graph: Path, needles: Sequence[bytes], store: ox.Store, loader: ThreadPoolExecutor
) -> bool:
    """Load the lines of ``graph`` with one of ``needles`` into ``store``; False when its
    bytes are not those its build recorded (``store`` is then to be dropped).

    A block's lines load in ``loader`` while the next block is read (Oxigraph and hashlib
    release the GIL), as long as they hold no blank node: Oxigraph gives a blank node label
    a fresh node per load, so once a line may hold one (``_:`` anywhere in it), that block
    and all later ones load together, as one document, as a whole load reads the file.
    """
    recorded = _recorded(graph.parent / CACHE_FOLDER)
    if recorded is None:
        return False
    digest = hashlib.sha256()
    together: list[bytes] = []
    loading: Future[None] | None = None
    try:
        with graph.open("rb") as stream:
            for block in _blocks(stream):
                digest.update(block)
                lines = b"".join(_lines_with(block, needles))
                if together or b"_:" in lines:
                    together.append(lines)
                    continue
                if loading is not None:
                    loading.result()
                loading = loader.submit(_load, store, lines)
        if loading is not None:
            loading.result()
        if digest.hexdigest() != recorded:
            return False
        _load(store, b"".join(together))
    except (OSError, SyntaxError, ValueError):  # loaded whole instead, which names the fault
        return False
    return True


def _load(store: ox.Store, lines: bytes) -> None:
    store.load(lines, format=ox.RdfFormat.N_TRIPLES, lenient=True)


def _recorded(cache_dir: Path) -> str | None:
    with suppress(OSError, UnicodeDecodeError):
        return (cache_dir / RECORD_FILE).read_text(encoding="ascii").strip()
    return None


def _plain(iri: str) -> bool:
    """An IRI that N-Triples writes as itself (kg's writer escapes no printable ASCII)."""
    return iri.isascii() and iri.isprintable() and not any(c in iri for c in ' <>"{}|^`\\')


def _digest(path: Path) -> str:
    with path.open("rb") as stream:
        return hashlib.file_digest(stream, "sha256").hexdigest()


def _blocks(stream: IO[bytes]) -> Iterator[bytes]:
    """Blocks of whole lines (the last may lack its line end)."""
    rest = b""
    while block := stream.read(BLOCK_BYTES):
        block = rest + block
        end = block.rfind(b"\n") + 1
        rest = block[end:]
        if end:
            yield block[:end]
    if rest:
        yield rest


def _lines_with(block: bytes, needles: Sequence[bytes]) -> Iterator[bytes]:
    """The lines of ``block`` with one of ``needles``, a predicate (`` <IRI> ``) or a
    predicate and the object that ends the line (`` <IRI> <IRI> .\n``), after the subject:
    the needle's space is the line's first."""
    find, rfind = block.find, block.rfind
    for needle in needles:
        at = find(needle)
        while at != -1:
            start = rfind(b"\n", 0, at) + 1
            end = find(b"\n", at) + 1
            if find(b" ", start, at) == -1:
                yield block[start:end] if end else block[start:] + b"\n"
            if not end:
                break
            at = find(needle, end)
