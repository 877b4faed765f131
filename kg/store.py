"""An on-disk Oxigraph store of the built graph, for queries on graphs too big to reload.

``kg build --store DIR`` writes the validated graph into an Oxigraph store (RocksDB) in DIR;
``kg query --store DIR`` opens it read-only.

A store is loaded afresh in a temporary sibling folder and swapped into place only when
complete, so a failed load leaves the previous store. A rebuild that changed little (one
list added to hundreds) does not load it again: the store records the SHA-256 of the
N-Triples it holds, and when those are the previous build's exports, only the lines that
differ between the previous and the new (both sorted) N-Triples are removed and added.
Blank nodes keep their labels in the store (``_:authors-…-1``), which is what makes a
removed line name the very triple the store holds.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, cast

import pyoxigraph as ox

from kg.compression import open_input
from kg.errors import ExportError, InputError

DIGEST_FILE = "kg-graph.sha256"
"""In the store folder: the SHA-256 of the N-Triples the store holds, as hex."""

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


def update_store(ntriples: Path, path: Path, previous: Path | None = None) -> StoreChange:
    """Bring the store at ``path`` to the triples of the sorted N-Triples file ``ntriples``
    (a build's export, gzipped or not).

    When the store holds exactly the triples of ``previous`` (the exports ``ntriples``
    replaced), only the difference is applied; otherwise the store is replaced by one loaded
    afresh.
    """
    path = path.resolve()
    recorded = _recorded_digest(path)
    if previous is not None and recorded is not None:
        difference = _difference(previous, ntriples)
        if difference is not None and difference.previous_digest == recorded:
            _apply(difference, path)
            return StoreChange(len(difference.added), len(difference.removed), reloaded=False)
    return StoreChange(write_store(ntriples, path), 0, reloaded=True)


def write_store(ntriples: Path, path: Path) -> int:
    """Replace the store at ``path`` by one holding the triples of the N-Triples file
    ``ntriples``; returns how many it holds."""
    path = path.resolve()
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists() and not _is_store(path):
        raise ExportError(f"{path} exists and is not a kg store: refusing to replace it")
    staging = Path(tempfile.mkdtemp(dir=path.parent, prefix=f".{path.name}.", suffix=".new"))
    backup = path.parent / f".{path.name}.old"
    try:
        store = ox.Store(str(staging))
        digest = hashlib.sha256()
        with open_input(ntriples) as source:
            store.bulk_extend(_parsed(cast(IO[bytes], _Hashing(source, digest))))
        store.flush()
        triples = len(store)
        del store  # closes the database before it moves
        _record_digest(staging, digest.hexdigest())
        shutil.rmtree(backup, ignore_errors=True)
        if path.exists():
            path.rename(backup)
        staging.rename(path)
    except (OSError, ValueError, SyntaxError) as error:
        shutil.rmtree(staging, ignore_errors=True)
        if backup.exists() and not path.exists():
            backup.rename(path)
        raise ExportError(f"cannot write the store {path}: {error}") from None
    shutil.rmtree(backup, ignore_errors=True)
    return triples


def open_store(path: Path) -> ox.Store:
    """The store at ``path``, read-only: queries can never change it."""
    if not _is_store(path):
        raise InputError(f"no kg store in {path}: build one with `kg build --store {path}`")
    try:
        return ox.Store.read_only(str(path))
    except OSError as error:
        raise InputError(f"cannot open the store: {error}", path) from None


@dataclass
class _Difference:
    previous_digest: str = ""
    current_digest: str = ""
    removed: list[bytes] = field(default_factory=list)
    added: list[bytes] = field(default_factory=list)


def _difference(previous: Path, current: Path) -> _Difference | None:
    """The lines only in ``previous`` and only in ``current`` (both sorted), with both
    files' digests; None when more than :data:`MOST_CHANGES_APPLIED` lines differ, or
    ``previous`` cannot be read."""
    found = _Difference()
    before, after = hashlib.sha256(), hashlib.sha256()
    try:
        with open_input(previous) as old, open_input(current) as new:
            old_lines, new_lines = _lines(old, before), _lines(new, after)
            old_line, new_line = next(old_lines, None), next(new_lines, None)
            while old_line is not None or new_line is not None:
                if new_line is None or (old_line is not None and old_line < new_line):
                    found.removed.append(old_line)  # type: ignore[arg-type]
                    old_line = next(old_lines, None)
                elif old_line is None or new_line < old_line:
                    found.added.append(new_line)
                    new_line = next(new_lines, None)
                else:
                    old_line, new_line = next(old_lines, None), next(new_lines, None)
                if len(found.removed) + len(found.added) > MOST_CHANGES_APPLIED:
                    return None
    except InputError:
        return None
    found.previous_digest, found.current_digest = before.hexdigest(), after.hexdigest()
    return found


def _lines(stream: IO[bytes], digest: hashlib._Hash) -> Iterator[bytes]:
    """The lines of ``stream`` (byte order is code point order, as the export sorts them),
    each added to ``digest`` as it is read."""
    for line in stream:
        digest.update(line)
        yield line


def _apply(difference: _Difference, path: Path) -> None:
    """Remove and add ``difference``'s triples in the store at ``path``. The digest goes
    first, so a store left half-way is loaded afresh by the next build."""
    (path / DIGEST_FILE).unlink()
    try:
        store = ox.Store(str(path))
        for quad in _parsed(b"".join(difference.removed)):
            store.remove(quad)
        store.extend(_parsed(b"".join(difference.added)))
        store.flush()
        del store
    except (OSError, ValueError, SyntaxError) as error:
        raise ExportError(f"cannot update the store {path}: {error}") from None
    _record_digest(path, difference.current_digest)


def _parsed(source: bytes | IO[bytes]) -> Iterator[ox.Quad]:
    """N-Triples as default-graph quads, blank node labels kept."""
    return ox.parse(source, format=ox.RdfFormat.N_TRIPLES, rename_blank_nodes=False)


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
    temp = path / f".{DIGEST_FILE}.tmp"
    with temp.open("w", encoding="ascii") as stream:
        stream.write(f"{digest}\n")
        stream.flush()
        os.fsync(stream.fileno())
    os.replace(temp, path / DIGEST_FILE)


def _is_store(path: Path) -> bool:
    """A folder Oxigraph (RocksDB) made: it has a CURRENT file."""
    return (path / "CURRENT").is_file()
