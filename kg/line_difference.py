"""The lines only in one of two sorted N-Triples files, and both files' SHA-256.

A rebuild that added one list changes a few hundred of a graph's seven million lines. Read
line by line, the two files took 5 s to compare at 100k papers; here runs of identical
bytes are skipped whole (compared in C, up to a mebibyte at a time, cut at a line's end),
and only where the files differ are lines compared one by one, as a sorted merge.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from kg.compression import open_input
from kg.errors import InputError

_READ = 1 << 20
_LONGEST_RUN = 1 << 20
_SHORTEST_RUN = 1 << 12


@dataclass
class Difference:
    previous_digest: str = ""
    current_digest: str = ""
    removed: list[bytes] = field(default_factory=list)
    added: list[bytes] = field(default_factory=list)


class _Lines:
    """A binary stream read ahead into a buffer, every byte read added to a digest."""

    def __init__(self, stream: IO[bytes]) -> None:
        self._stream = stream
        self.digest = hashlib.sha256()
        self._buffer = b""
        self._at = 0
        self._ended = False

    def ahead(self, size: int) -> memoryview:
        """Up to ``size`` bytes from the current position (fewer only at the end)."""
        while len(self._buffer) - self._at < size and not self._ended:
            self._fill()
        return memoryview(self._buffer)[self._at : self._at + size]

    def line(self) -> bytes | None:
        """The line at the current position, with its line feed; None at the end."""
        while (end := self._buffer.find(b"\n", self._at)) < 0 and not self._ended:
            self._fill()
        if end < 0:
            end = len(self._buffer) - 1  # a last line without a line feed
        return self._buffer[self._at : end + 1] or None

    def whole_lines(self, size: int) -> int:
        """How many of the next ``size`` bytes make whole lines."""
        return self._buffer.rfind(b"\n", self._at, self._at + size) + 1 - self._at if size else 0

    def skip(self, size: int) -> None:
        self._at += size

    def _fill(self) -> None:
        chunk = self._stream.read(_READ)
        self.digest.update(chunk)
        self._buffer = self._buffer[self._at :] + chunk
        self._at = 0
        self._ended = not chunk


def difference(previous: Path, current: Path, most: int) -> Difference | None:
    """The lines only in ``previous`` and only in ``current`` (both sorted by byte), with
    both files' digests; None when more than ``most`` lines differ, or ``previous`` cannot
    be read."""
    found = Difference()
    try:
        with open_input(previous) as old_stream, open_input(current) as new_stream:
            old, new = _Lines(old_stream), _Lines(new_stream)
            run = _LONGEST_RUN
            aligned = True  # at the same line in both: runs of the same bytes may follow
            while True:
                if aligned and (same := _same_lines(old, new, run)):
                    old.skip(same)
                    new.skip(same)
                    run = min(run * 2, _LONGEST_RUN)
                    continue
                run = max(run // 2, _SHORTEST_RUN)
                old_line, new_line = old.line(), new.line()
                if old_line is None and new_line is None:
                    break
                aligned = False
                if new_line is None or (old_line is not None and old_line < new_line):
                    found.removed.append(old_line)  # type: ignore[arg-type]
                    old.skip(len(old_line))  # type: ignore[arg-type]
                elif old_line is None or new_line < old_line:
                    found.added.append(new_line)
                    new.skip(len(new_line))
                else:
                    old.skip(len(old_line))
                    new.skip(len(new_line))
                    aligned = True
                if len(found.removed) + len(found.added) > most:
                    return None
            found.previous_digest = old.digest.hexdigest()
            found.current_digest = new.digest.hexdigest()
    except InputError:
        return None
    return found


def _same_lines(old: _Lines, new: _Lines, size: int) -> int:
    """How many bytes of whole lines, at most ``size``, both streams hold alike from here."""
    ahead_old, ahead_new = old.ahead(size), new.ahead(size)
    length = min(len(ahead_old), len(ahead_new))
    if length == 0 or ahead_old[:length] != ahead_new[:length]:
        return 0
    return max(old.whole_lines(length), 0)
