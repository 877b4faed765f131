"""An on-disk Oxigraph store of the built graph, for queries on graphs too big to reload.

``kg build --store DIR`` writes the validated graph into an Oxigraph store (RocksDB) in DIR;
``kg query --store DIR`` opens it read-only.

A store is never changed in place. The new one is prepared in the build's staging folder
beside it (:mod:`kg.staging`) and swapped in by one atomic exchange of the two folders, so a
build that fails, or is killed at any moment, leaves the previous store whole, and the next
run removes what it left. A rebuild that changed little (one list added to hundreds) does
not load the graph again: the store records the SHA-256 of the N-Triples it holds, and when
those are the previous build's exports, the new store is a checkpoint of the old one
(RocksDB hard-links its files: instant) with only the lines that differ between the
previous and the new (both sorted) N-Triples removed and added. Blank nodes keep their
labels in the store (``_:authors-…-1``), which is what makes a removed line name the very
triple the store holds. Either way the store's named graph of kept rows is counted afresh
from the new N-Triples (:mod:`kg.aggregates`).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import chain, islice
from pathlib import Path
from types import TracebackType
from typing import IO, TypeVar, cast

import pyoxigraph as ox

from kg import line_difference
from kg.aggregates import keep_aggregates
from kg.compression import open_input
from kg.errors import ExportError, InputError
from kg.staging import Staging, exchange, new_mode

T = TypeVar("T")

DIGEST_FILE = "kg-graph.sha256"
"""In the store folder: the SHA-256 of the N-Triples the store holds, as hex."""

QUADS_PER_LOAD = 100_000
"""Oxigraph's bulk loader holds what one call gives it: loading 100k papers' 7M triples in one
call took 1.7 GB, in calls of this many 160 MB, in the same time (and the store answers as
fast)."""

MOST_CHANGES_APPLIED = 500_000
"""Beyond this many changed lines, loading afresh is quicker than removing and adding each
(about 14 µs per removed triple, against about 6 µs per triple for a whole load)."""


@dataclass(frozen=True)
class StoreChange:
    """What a build did to its store."""

    added: int
    """Triples added: all of them when the store was loaded afresh."""
    removed: int
    reloaded: bool
    """Loaded afresh, rather than updated by difference."""
    digest: str
    """The SHA-256 of the N-Triples the store now holds, as hex."""


class StoreUpdate:
    """The store at ``path`` brought to the triples of the sorted N-Triples file
    ``ntriples`` (a build's export, gzipped or not), prepared beside it; :meth:`commit` swaps
    it in. Leaving the ``with`` block without committing leaves the store as it was.

    When the store holds exactly the triples of ``previous`` (the exports ``ntriples``
    replaces), only the difference is applied; otherwise the new store is loaded afresh.
    """

    def __init__(self, ntriples: Path, path: Path, previous: Path | None = None) -> None:
        self.path = path.resolve()
        if self.path.exists() and not _is_store(self.path):
            raise ExportError(f"{self.path} exists and is not a kg store: refusing to replace it")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._staging = Staging(self.path.parent).open()
        except OSError as error:
            raise ExportError(f"cannot write the store {self.path}: {error}") from None
        self._staged = self._staging.path / "store"
        try:
            self.change = self._prepare(ntriples, previous)
        except (OSError, ValueError, SyntaxError) as error:
            self._staging.close()
            raise ExportError(f"cannot write the store {self.path}: {error}") from None
        except BaseException:
            self._staging.close()
            raise

    def _prepare(self, ntriples: Path, previous: Path | None) -> StoreChange:
        recorded = _recorded_digest(self.path)
        if previous is not None and recorded is not None:
            difference = line_difference.difference(previous, ntriples, MOST_CHANGES_APPLIED)
            if difference is not None and difference.previous_digest == recorded:
                _checkpoint(self.path, self._staged)
                _apply(difference, self._staged, ntriples)
                _record_digest(self._staged, difference.current_digest)
                return StoreChange(
                    len(difference.added), len(difference.removed), False, difference.current_digest
                )
        self._staged.mkdir()  # by kg, so with the mode the umask gives
        store = ox.Store(str(self._staged))
        digest = hashlib.sha256()
        with open_input(ntriples) as source:
            quads = _parsed(cast(IO[bytes], _Hashing(source, digest)))
            for part in lazy_chunks(quads, QUADS_PER_LOAD):
                store.bulk_extend(part)
        triples = len(store)
        keep_aggregates(store, ntriples)
        store.flush()
        del store  # closes the database before it moves
        _record_digest(self._staged, digest.hexdigest())
        return StoreChange(triples, 0, reloaded=True, digest=digest.hexdigest())

    def commit(self) -> StoreChange:
        """Swap the prepared store in; the previous one goes with the staging folder."""
        try:
            if self.path.exists():
                exchange(self._staged, self.path)
            else:
                self._staged.rename(self.path)
            _fsync_dir(self.path.parent)
        except OSError as error:
            raise ExportError(f"cannot write the store {self.path}: {error}") from None
        finally:
            self._staging.close()
        return self.change

    def __enter__(self) -> StoreUpdate:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._staging.close()


def write_store(ntriples: Path, path: Path) -> int:
    """Replace the store at ``path`` by one holding the triples of the N-Triples file
    ``ntriples`` (one kg wrote: it is parsed leniently); returns how many it holds."""
    with StoreUpdate(ntriples, path) as update:
        return update.commit().added


def open_store(path: Path) -> ox.Store:
    """The store at ``path``, read-only: queries can never change it."""
    if not _is_store(path):
        raise InputError(f"no kg store in {path}: build one with `kg build --store {path}`")
    try:
        return ox.Store.read_only(str(path))
    except OSError as error:
        raise InputError(f"cannot open the store: {error}", path) from None


def _checkpoint(source: Path, target: Path) -> None:
    """A copy of the store at ``source`` in ``target`` (which must not exist), sharing its
    immutable files through hard links; the store at ``source`` is only read."""
    store = ox.Store.read_only(str(source))
    store.backup(str(target))
    del store
    target.chmod(new_mode(directory=True))  # RocksDB makes it 0755 whatever the umask


def _apply(difference: line_difference.Difference, path: Path, ntriples: Path) -> None:
    """Remove and add ``difference``'s triples in the (staged) store at ``path``, and keep
    the answers counted from ``ntriples``, the triples it then holds."""
    store = ox.Store(str(path))
    for quad in _parsed(b"".join(difference.removed)):
        store.remove(quad)
    store.extend(_parsed(b"".join(difference.added)))
    keep_aggregates(store, ntriples)
    store.flush()
    del store


def lazy_chunks(items: Iterator[T], size: int) -> Iterator[Iterator[T]]:
    """``items`` in consecutive runs of ``size`` (the last may be shorter), each taken lazily:
    a run must be consumed before the next is asked for. Not lists (as
    :func:`kg.wikidata.lookup.chunks` makes for its VALUES blocks): Oxigraph's loader takes a
    run while it is being parsed, and loading 100k papers' store took 18 s so, 22 s from
    lists of the same size."""
    for first in items:
        yield chain((first,), islice(items, size - 1))


def _parsed(source: bytes | IO[bytes]) -> Iterator[ox.Quad]:
    """N-Triples as default-graph quads, blank node labels kept.

    Parsed leniently (IRIs and language tags not checked again), which makes loading a
    store about a tenth faster: everything parsed here is N-Triples kg wrote from terms Oxigraph
    had checked (a build's staged export, or the previous exports when their digest is the
    one the store recorded)."""
    return ox.parse(source, format=ox.RdfFormat.N_TRIPLES, rename_blank_nodes=False, lenient=True)


class _Hashing:
    """A binary stream that adds what is read from it to ``digest``."""

    def __init__(self, stream: IO[bytes], digest: hashlib._Hash) -> None:
        self._stream = stream
        self._digest = digest

    def read(self, size: int = -1) -> bytes:
        chunk = self._stream.read(size)
        self._digest.update(chunk)
        return chunk


def _recorded_digest(path: Path) -> str | None:
    """The digest a kg store at ``path`` recorded, if it is one and recorded one."""
    if not _is_store(path):
        return None
    try:
        return (path / DIGEST_FILE).read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError):
        return None


def _record_digest(path: Path, digest: str) -> None:
    with (path / DIGEST_FILE).open("w", encoding="ascii") as stream:
        stream.write(f"{digest}\n")
        stream.flush()
        os.fsync(stream.fileno())


def _fsync_dir(folder: Path) -> None:
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _is_store(path: Path) -> bool:
    """A folder Oxigraph (RocksDB) made: it has a CURRENT file."""
    return (path / "CURRENT").is_file()
