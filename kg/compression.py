"""gzip for inputs and exports: big lists and graphs travel compressed.

Compressed files are named by their plain name plus ``.gz`` (``peyrard.txt.gz``,
``graph.nt.gz``); everything that decides by file type looks at the plain name.
"""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path, PurePath
from typing import IO, cast

from kg.errors import InputError

GZIP_SUFFIX = ".gz"


def is_compressed(path: PurePath) -> bool:
    return path.name.lower().endswith(GZIP_SUFFIX)


def plain_name(path: PurePath) -> str:
    """``peyrard.txt.gz`` -> ``peyrard.txt``; other names unchanged."""
    return path.name[: -len(GZIP_SUFFIX)] if is_compressed(path) else path.name


def plain_suffix(path: PurePath) -> str:
    """The lower-case type suffix under any ``.gz``: ``.txt``, ``.nt``, ``.ttl``…"""
    return PurePath(plain_name(path)).suffix.lower()


@contextmanager
def open_input(path: Path) -> Iterator[IO[bytes]]:
    """``path`` opened for reading bytes, decompressed when it ends in ``.gz``.

    A missing or unreadable file is an InputError naming it; so is a damaged gzip stream,
    whenever the reader runs into it.
    """
    try:
        raw: IO[bytes] = path.open("rb")
    except FileNotFoundError:
        raise InputError("no such file", path) from None
    except IsADirectoryError:
        raise InputError("is a directory, not a file", path) from None
    except OSError as error:
        raise InputError(f"cannot read: {error.strerror or error}", path) from None
    with raw:
        stream = (
            cast(IO[bytes], gzip.GzipFile(fileobj=raw, mode="rb")) if is_compressed(path) else raw
        )
        try:
            yield stream
        except (gzip.BadGzipFile, EOFError) as error:
            raise InputError(f"not a valid gzip file: {error or 'truncated'}", path) from None


def read_input(path: Path) -> bytes:
    """All bytes of ``path``, decompressed when it ends in ``.gz``."""
    with open_input(path) as stream:
        try:
            return stream.read()
        except OSError as error:
            raise InputError(f"cannot read: {error.strerror or error}", path) from None


@contextmanager
def gzip_output(raw: IO[bytes]) -> Iterator[IO[bytes]]:
    """A stream that gzips into ``raw`` with no timestamp and no file name in the header:
    same input, same bytes."""
    with gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=6, mtime=0, filename="") as stream:
        yield cast(IO[bytes], stream)
