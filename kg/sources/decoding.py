"""Input bytes to text, the same way for every reader: UTF-8 (a byte-order mark allowed),
and bytes that are not UTF-8 named by line and column so the user can find them."""

from __future__ import annotations

from pathlib import Path

from kg.compression import read_input
from kg.errors import InputError


def read_utf8(path: Path) -> str:
    """The text of ``path`` (decompressed when ``.gz``), with ``\n`` for every line ending,
    so that line numbers agree whatever wrote the file."""
    raw = read_input(path)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        column = error.start - (raw.rfind(b"\n", 0, error.start) + 1) + 1
        raise InputError(
            f"not valid UTF-8 (byte 0x{raw[error.start]:02x} at column {column}); "
            "save the file as UTF-8",
            path,
            line,
        ) from None
    return text.replace("\r\n", "\n").replace("\r", "\n")
