"""Where each entity's Turtle and JSON-LD sit in the last exports, so a rebuild copies them.

An entity's Turtle and its JSON-LD nodes depend only on its own triples (and on the
prefixes, the context and the writers, which the index's fingerprint covers). A rebuild
after one list was added maps every entity again, but most entities' triples are what they
were: their text is then copied from the exports the rebuild replaces instead of being
written again, which was most of a rebuild's writing.

The index lives in the build cache (``exports.sqlite``) and names, for each entity, the
SHA-256 of its own N-Triples and where its text lies in ``graph.ttl`` and ``graph.jsonld``
with a CRC-32 of each part. It is trusted only for the very files it was written with (their
size, modification time and inode, recorded after they moved into place), and a part is
copied only when the bytes read have the recorded CRC: exports edited or replaced since
are written afresh, never copied from. Gzipped exports keep no index.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import zlib
from contextlib import suppress
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path

from kg import __version__
from kg.errors import ExportError
from kg.jsonld import JsonLdItems
from kg.staging import Staging

INDEX_FILE = "exports.sqlite"
"""In the cache folder: where the last build's exports hold each entity's text."""

INDEXED = ("graph.ttl", "graph.jsonld")
"""The exports whose parts a rebuild may copy."""

_ROWS_PER_INSERT = 10_000


@dataclass(frozen=True, slots=True)
class EntityText:
    """An entity's text in the exports: its Turtle, and its JSON-LD items (None when it has
    no node)."""

    turtle: bytes
    jsonld: JsonLdItems | None


def fingerprint(prefixes: dict[str, str], context: dict[str, object]) -> str:
    """What an entity's text depends on besides its triples: kg's and the writers' versions,
    the Turtle prefixes and the JSON-LD context."""
    writers = {name: version(name) for name in ("pyoxigraph", "orjson")}
    described = [__version__, writers, sorted(prefixes.items()), context]
    return hashlib.sha256(json.dumps(described, sort_keys=True).encode()).hexdigest()


def own_digest(ntriples: bytes) -> bytes:
    return hashlib.sha256(ntriples).digest()


class ExportIndex:
    """The last build's index, read while this build writes its own beside its exports
    (in ``staging``); :meth:`save` puts the new one in the cache once the exports are in
    place."""

    def __init__(self, cache_dir: Path, out_dir: Path, staging: Path, written_with: str) -> None:
        """``written_with`` is this build's :func:`fingerprint`."""
        self._path = cache_dir / INDEX_FILE
        self._out_dir = out_dir
        self._fingerprint = written_with
        self.copied = 0
        """Entities whose text was copied from the last exports."""
        self._staged = staging / INDEX_FILE
        self._staged.touch(exist_ok=False)  # by kg, so with the mode the umask gives
        self._new = sqlite3.connect(self._staged)
        self._new.execute(
            "CREATE TABLE parts (iri TEXT PRIMARY KEY, digest BLOB, turtle_at INTEGER,"
            " turtle_length INTEGER, turtle_crc INTEGER, jsonld_at INTEGER,"
            " jsonld_length INTEGER, jsonld_crc INTEGER, first BLOB, last BLOB) WITHOUT ROWID"
        )
        self._new.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT)")
        self._rows: list[tuple[object, ...]] = []
        self._previous: sqlite3.Connection | None = None
        self._sources: dict[str, int] = {}
        self._open_previous()

    def _open_previous(self) -> None:
        """The last index, if it describes the exports ``out_dir`` holds now."""
        if not self._path.is_file():
            return
        try:
            previous = sqlite3.connect(f"{self._path.resolve().as_uri()}?mode=ro", uri=True)
        except sqlite3.Error:
            return
        try:
            meta = dict(previous.execute("SELECT key, value FROM meta").fetchall())
        except sqlite3.Error:
            meta = {}
        if meta.get("fingerprint") != self._fingerprint or any(
            meta.get(name) != _identity(self._out_dir / name) for name in INDEXED
        ):
            previous.close()
            return
        for name in INDEXED:
            try:
                self._sources[name] = os.open(self._out_dir / name, os.O_RDONLY)
            except OSError:
                self._close_sources()
                previous.close()
                return
        self._previous = previous

    def copy(self, iri: str, digest: bytes) -> EntityText | None:
        """The entity's text as the last exports hold it, if its own triples are the same
        and the bytes are intact."""
        if self._previous is None:
            return None
        try:
            row = self._previous.execute(
                "SELECT digest, turtle_at, turtle_length, turtle_crc, jsonld_at, jsonld_length,"
                " jsonld_crc, first, last FROM parts WHERE iri = ?",
                (iri,),
            ).fetchone()
        except sqlite3.Error:
            return None
        if row is None or row[0] != digest:
            return None
        turtle = self._read("graph.ttl", *row[1:4])
        jsonld = self._read("graph.jsonld", *row[4:7])
        if turtle is None or jsonld is None:
            return None
        self.copied += 1
        return EntityText(turtle, JsonLdItems(jsonld, row[7], row[8]) if jsonld else None)

    def _read(self, name: str, at: int, length: int, crc: int) -> bytes | None:
        try:
            data = os.pread(self._sources[name], length, at)
        except OSError:
            return None
        return data if len(data) == length and zlib.crc32(data) == crc else None

    def record(
        self, iri: str, digest: bytes, text: EntityText, turtle_at: int, jsonld_at: int
    ) -> None:
        """Where this build wrote an entity's text."""
        items = text.jsonld
        self._rows.append(
            (
                iri,
                digest,
                turtle_at,
                len(text.turtle),
                zlib.crc32(text.turtle),
                jsonld_at,
                len(items.text) if items else 0,
                zlib.crc32(items.text) if items else 0,
                items.first if items else b"",
                items.last if items else b"",
            )
        )
        if len(self._rows) >= _ROWS_PER_INSERT:
            self._flush()

    def _flush(self) -> None:
        try:
            self._new.executemany(
                "INSERT INTO parts VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", self._rows
            )
        except sqlite3.Error as error:
            raise ExportError(f"cannot write the build cache {self._staged}: {error}") from None
        self._rows.clear()

    def save(self) -> None:
        """Put this build's index in the cache, naming the exports just moved into place."""
        try:
            self._flush()
            meta: dict[str, str | None] = {"fingerprint": self._fingerprint}
            meta.update((name, _identity(self._out_dir / name)) for name in INDEXED)
            self._new.executemany("INSERT INTO meta VALUES (?, ?)", meta.items())
            self._new.commit()
            self.close()
            self._path.parent.mkdir(parents=True, exist_ok=True)
            with Staging(self._path.parent) as staging:
                moved = staging.path / INDEX_FILE
                shutil.move(self._staged, moved)
                os.replace(moved, self._path)
        except (OSError, sqlite3.Error) as error:
            raise ExportError(f"cannot write the build cache {self._path}: {error}") from None

    def close(self) -> None:
        """Let go of both indexes and the last exports (the staged index goes with its
        staging folder)."""
        self._close_sources()
        for database in (self._previous, self._new):
            if database is not None:
                with suppress(sqlite3.Error):
                    database.close()
        self._previous = None

    def _close_sources(self) -> None:
        for source in self._sources.values():
            with suppress(OSError):
                os.close(source)
        self._sources = {}


def _identity(path: Path) -> str | None:
    """A file's size, modification time and inode, which change when it is written or
    replaced."""
    try:
        status = path.stat()
    except OSError:
        return None
    return f"{status.st_size} {status.st_mtime_ns} {status.st_ino}"
