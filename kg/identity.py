"""Identity keys and IRI slugs, derived from content only.

Two spellings are one person when their keys are equal: keys fold accents, case, Unicode
form, hyphens, spacing and punctuation ("Šakota" = "Sakota", "Gisserot-Boukhlef" =
"Gisserot Boukhlef"), but never the letters themselves, so different given names never merge
and initials ("Tim R." vs "Tim") stay apart. Only Latin letters are transliterated: folding
other scripts to ASCII would merge different names that sound alike.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Mapping
from functools import cache, lru_cache
from typing import TypeVar

from anyascii import anyascii
from slugify import slugify

from kg.records import PersonName

K = TypeVar("K")
PersonKey = tuple[str, str]
PaperKey = tuple[str, tuple[PersonKey, ...]]

SLUG_MAX_LENGTH = 80
_HASH_LENGTH = 8


@cache
def _is_latin(char: str) -> bool:
    return unicodedata.name(char, "").startswith("LATIN ")


_NOT_ASCII_ALNUM = re.compile(r"[^0-9a-z]+")


@lru_cache(maxsize=1 << 16)
def fold(text: str) -> str:
    """The comparison form of ``text``: Latin letters as lower-case ASCII, no marks, no
    separators. Cached: the same names come back in every list."""
    if text.isascii():
        return _NOT_ASCII_ALNUM.sub("", text.lower())
    decomposed = unicodedata.normalize("NFKD", text)
    kept = []
    for char in decomposed:
        if unicodedata.combining(char):
            continue
        if _is_latin(char):
            char = anyascii(char)
        kept.append(char.casefold())
    return "".join(char for char in "".join(kept) if char.isalnum())


def person_key(name: PersonName) -> PersonKey:
    return (fold(name.family), fold(name.given))


def paper_key(title: str, authors: Iterable[PersonName]) -> PaperKey:
    """A paper is its folded title and its ordered authors (same title, other authors: another
    paper)."""
    return (fold(title), tuple(person_key(author) for author in authors))


def short_hash(key: object) -> str:
    """A stable short digest of a key of strings and tuples.

    JSON, not ``repr``: how ``repr`` escapes a character depends on the Unicode version of
    the Python running it, and IRIs must not change with the interpreter.
    """
    canonical = json.dumps(key, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:_HASH_LENGTH]


def slug(text: str) -> str:
    """A readable ASCII slug: "Maxime Peyrard" -> "maxime-peyrard"."""
    made: str = slugify(
        anyascii(unicodedata.normalize("NFC", text)),
        max_length=SLUG_MAX_LENGTH,
        word_boundary=True,
    )
    return made or "untitled"


def assign_slugs(wanted: Mapping[K, str]) -> dict[K, str]:
    """Give each key its wanted slug, adding a short hash only where distinct keys collide.

    The result depends only on the set of keys, never on their order.
    """
    by_slug: dict[str, list[K]] = defaultdict(list)
    for key, wanted_slug in wanted.items():
        by_slug[wanted_slug].append(key)
    assigned: dict[K, str] = {}
    for wanted_slug, keys in by_slug.items():
        for key in keys:
            assigned[key] = wanted_slug if len(keys) == 1 else f"{wanted_slug}-{short_hash(key)}"
    return assigned
