"""Cite keys: readable, unique, and derived from the works' content only.

A key is the first author's family name, the year and the first word of the title that
is not a function word, folded to ASCII: ``peyrard2023flyswat``, the form Google Scholar
made familiar. Works whose keys would collide get ``a``, ``b``, ... in an order fixed by
their content, so the same works get the same keys whatever order they come in.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import fields
from itertools import count, product
from string import ascii_lowercase
from typing import Any

from anyascii import anyascii

from kg.records import PaperRecord

_FUNCTION_WORDS = frozenset(
    ("a", "an", "the", "on", "of", "in", "at", "to", "for", "and", "or", "with", "from", "by")
)
"""Words that start titles without saying what they are about."""
_NOT_KEY = re.compile(r"[^a-z0-9]+")
_CONTENT_FIELDS = [field.name for field in fields(PaperRecord) if field.name != "source"]
_ANONYMOUS = "anon"
"""The name part of a work without authors."""


def cite_keys(records: Sequence[PaperRecord]) -> list[str]:
    """One distinct key per record, in the records' order."""
    by_key: dict[str, list[int]] = defaultdict(list)
    for index, record in enumerate(records):
        by_key[_base_key(record)].append(index)
    keys: dict[int, str] = {}
    taken = {key for key, indices in by_key.items() if len(indices) == 1}
    for key, indices in sorted(by_key.items()):
        if len(indices) == 1:
            keys[indices[0]] = key
            continue
        free = (key + suffix for suffix in _suffixes() if key + suffix not in taken)
        for index in sorted(indices, key=lambda i: _content_order(records[i])):
            keys[index] = next(free)
            taken.add(keys[index])
    return [keys[index] for index in range(len(records))]


def _base_key(record: PaperRecord) -> str:
    """``family`` + ``year`` + ``word``, before any suffix; parts the record lacks are left
    out (a work without authors is ``anon``)."""
    family = _ascii(record.authors[0].family) if record.authors else ""
    year = record.date[:4] if record.date else ""
    return (family or _ANONYMOUS) + year + _title_word(record.title)


def _title_word(title: str) -> str:
    words = [word for word in map(_ascii, title.split()) if word]
    return next((word for word in words if word not in _FUNCTION_WORDS), words[0] if words else "")


def _ascii(text: str) -> str:
    """``text`` as lower-case ASCII letters and digits: "Šakota" -> "sakota", "Fly-Swat" ->
    "flyswat", "王" -> "wang". Transliterated as ``kg.identity.slug`` does, by anyascii,
    since BibTeX keys must be ASCII."""
    return _NOT_KEY.sub("", anyascii(text).lower())


def _suffixes() -> Iterator[str]:
    """a, b, ..., z, aa, ab, ...: as many as colliding works need."""
    for length in count(1):
        for letters in product(ascii_lowercase, repeat=length):
            yield "".join(letters)


def _fields_of(value: Any) -> dict[str, Any]:
    """A record's nested dataclass (a name, a venue) as JSON sees it: its fields in order."""
    return {spec.name: getattr(value, spec.name) for spec in fields(value)}


def _content_order(record: PaperRecord) -> tuple[str, str]:
    """Earlier works first, then an order that depends on nothing but the fields (JSON,
    not ``repr``, whose escapes change with Python's Unicode version)."""
    values = [getattr(record, name) for name in _CONTENT_FIELDS]
    return record.date or "", json.dumps(values, ensure_ascii=False, default=_fields_of)
