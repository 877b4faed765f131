"""One file of a build cache: text values by key, kept from one build to the next.

A cache file is SQLite, opened read-only for what the last build left, and replaced
atomically by :meth:`CacheFile.save` with exactly the keys this build used, so it never
grows with stale entries. Values the last build stored and this one reused are not held in
memory: only their keys are, and ``save`` copies the values over from the old file. A file
that cannot be read (damaged, or written by another kg) counts as empty: the build then
does the work instead of trusting it.
"""

from __future__ import annotations

import heapq
import os
import sqlite3
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

from kg.errors import ExportError
from kg.staging import Staging

CACHE_FOLDER = ".kg-cache"
"""The build cache's folder inside the output folder, unless ``kg build --cache`` names
another."""


class CacheFile:
    """Values by key: read from the last build's file, written anew by ``save``."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fresh: dict[str, str] = {}
        self._kept: set[str] = set()
        """Keys whose value the last build's file holds and this build used."""
        self.hits = 0
        """How many lookups the last build's file answered."""
        self._previous: sqlite3.Connection | None = None
        if path.is_file():
            try:
                self._previous = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
                self._previous.execute("SELECT key, value FROM entries LIMIT 1").fetchall()
            except sqlite3.Error:
                self._previous = None

    def __contains__(self, key: str) -> bool:
        """Whether the last build stored a value under ``key`` (not counted as a hit)."""
        return self._previous_value(key) is not None

    def get(self, key: str) -> str | None:
        """The value the last build stored under ``key``, if any; kept for ``save``."""
        value = self._previous_value(key)
        if value is not None:
            self._kept.add(key)
            self.hits += 1
        return value

    def put(self, key: str, value: str) -> None:
        self._fresh[key] = value
        self._kept.discard(key)

    def _previous_value(self, key: str) -> str | None:
        if self._previous is None:
            return None
        row = self._previous.execute("SELECT value FROM entries WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def _entries(self) -> Iterator[tuple[str, str]]:
        """This build's entries by key: the fresh ones, and the kept ones read back one by
        one from the last build's file."""
        kept = ((key, None) for key in sorted(self._kept))
        fresh = sorted(self._fresh.items())
        for key, value in heapq.merge(fresh, kept):
            yield key, value if value is not None else self._previous_value(key) or ""

    def save(self) -> None:
        """Replace the file with this build's entries, atomically (staged in the cache
        folder, see :mod:`kg.staging`)."""
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with Staging(self.path.parent) as staging:
                staged = staging.path / self.path.name
                staged.touch(exist_ok=False)  # by kg, so with the mode the umask gives
                with closing(sqlite3.connect(staged)) as database:
                    database.execute("CREATE TABLE entries (key TEXT PRIMARY KEY, value TEXT)")
                    database.executemany("INSERT INTO entries VALUES (?, ?)", self._entries())
                    database.commit()
                if self._previous is not None:
                    self._previous.close()
                    self._previous = None
                os.replace(staged, self.path)
        except (OSError, sqlite3.Error) as error:
            raise ExportError(f"cannot write the build cache {self.path}: {error}") from None
