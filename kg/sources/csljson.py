"""Reader for CSL-JSON, the citation data of Zotero, pandoc/citeproc and Better BibTeX.

A file holds an array of items, or one item object (what Crossref and DataCite return for
``application/vnd.citationstyles.csl+json``). A file that is not JSON raises ``InputError``;
one broken item becomes a ``SkippedEntry`` so the build can decide whether to go on.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import TypeVar

from markupsafe import Markup

from kg.errors import InputError
from kg.fields import (
    arxiv_from_doi,
    arxiv_in_venue,
    degree,
    doi_and_web_page,
    is_repository,
    iso_date,
    normalise_arxiv,
    normalise_doi,
    normalise_pages,
)
from kg.records import (
    PaperRecord,
    PersonName,
    PublicationList,
    SkippedEntry,
    SourceLocation,
    Venue,
    VenueKind,
    WorkType,
)
from kg.sources.decoding import read_utf8
from kg.text import nfc

Item = Mapping[str, object]
_T = TypeVar("_T")

_KINDS: dict[str, tuple[WorkType, VenueKind | None]] = {
    "article-journal": (WorkType.ARTICLE, VenueKind.PERIODICAL),
    "article-magazine": (WorkType.ARTICLE, VenueKind.PERIODICAL),
    "article-newspaper": (WorkType.ARTICLE, VenueKind.PERIODICAL),
    "review": (WorkType.ARTICLE, VenueKind.PERIODICAL),
    "paper-conference": (WorkType.ARTICLE, VenueKind.BOOK),
    "chapter": (WorkType.CHAPTER, VenueKind.BOOK),
    "entry-encyclopedia": (WorkType.CHAPTER, VenueKind.BOOK),
    "entry-dictionary": (WorkType.CHAPTER, VenueKind.BOOK),
    "book": (WorkType.BOOK, None),
    "thesis": (WorkType.THESIS, None),
    "dissertation": (WorkType.THESIS, None),  # Crossref's name for a thesis
    "report": (WorkType.REPORT, None),
}
_DEFAULT_KIND = (WorkType.ARTICLE, VenueKind.PERIODICAL)
"""Preprints (``article``, ``posted-content``), manuscripts and every other type."""

_JSON_SPACE = re.compile(r"[ \t\n\r]*")
_ISO_DATE = re.compile(r"(\d{4})(?:[-/](\d{1,2})(?:[-/](\d{1,2}))?)?")
_SEASONS = range(21, 25)
"""CSL writes spring to winter as months 21 to 24: the date is then only a year."""

# Rich text: CSL's <i>, <sup>, <span class="nocase"> in titles, JATS in Crossref abstracts.
_ABSTRACT_HEADING = re.compile(r"^\s*<(?:jats:)?title>\s*abstract\s*</(?:jats:)?title>", re.I)
_BLOCK_END = re.compile(r"</(?:jats:)?(?:p|title|sec|li|list-item|div)>|<br\s*/?>", re.I)
MARKUP_START = re.compile(r"<(?=[A-Za-z/!])")
"""A ``<`` that opens a tag or comment when a ``>`` follows; any other ``<`` is text."""
_LONE_ANGLE = re.compile(r"<(?![A-Za-z/!])")
_MARKUP = re.compile(r"<!--.*?-->|<[^>]*>", re.DOTALL)


def read_csl_json(path: Path) -> PublicationList:
    """Read one CSL-JSON file; a file that is not a CSL-JSON document raises ``InputError``
    naming the file and line, a broken item becomes a ``SkippedEntry``."""
    text = read_utf8(path)
    entries = [
        _read_item(value, SourceLocation(path.name, line))
        for line, value in _top_level_items(text, path)
    ]
    return PublicationList(
        file_name=path.name,
        owner=None,
        papers=tuple(entry for entry in entries if isinstance(entry, PaperRecord)),
        skipped=tuple(entry for entry in entries if isinstance(entry, SkippedEntry)),
    )


def _top_level_items(text: str, path: Path) -> list[tuple[int, object]]:
    """Each item with the line its value starts on.

    ``json.loads`` checks the whole document first, so its error names the line; the array
    is then walked item by item with ``raw_decode`` only to learn where each item starts.
    """
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise InputError(
            f"not valid JSON: {error.msg} (column {error.colno})", path, error.lineno
        ) from None
    start = _skip_space(text, 0)
    if isinstance(document, list):
        return list(_array_items(text, start))
    line = text.count("\n", 0, start) + 1
    if isinstance(document, dict) and _is_item(document):
        return [(line, document)]
    raise InputError(
        f"expected a CSL-JSON array of items or one item object, found {_kind(document)}",
        path,
        line,
    )


def _array_items(text: str, bracket: int) -> Iterator[tuple[int, object]]:
    """The values of the (already validated) array whose ``[`` is at ``bracket``."""
    decoder = json.JSONDecoder()
    index = _skip_space(text, bracket + 1)
    line, counted_to = 1, 0
    while text[index] != "]":
        line += text.count("\n", counted_to, index)
        counted_to = index
        value, end = decoder.raw_decode(text, index)
        yield line, value
        index = _skip_space(text, end)
        if text[index] == ",":
            index = _skip_space(text, index + 1)


def _skip_space(text: str, index: int) -> int:
    match = _JSON_SPACE.match(text, index)
    assert match is not None  # the pattern also matches the empty string
    return match.end()


def _is_item(value: Item) -> bool:
    """CSL requires ``type``; Crossref's items have no ``id``, so ``title`` counts too. A
    wrapper such as a Crossref REST response (``status``, ``message``) has neither."""
    return "type" in value or "title" in value


def _read_item(value: object, source: SourceLocation) -> PaperRecord | SkippedEntry:
    if not isinstance(value, dict):
        return SkippedEntry(source, f"expected an item object, found {_kind(value)}")
    try:
        return _paper(value, source)
    except ValueError as error:
        item_id = value.get("id")
        named = isinstance(item_id, str | int)
        return SkippedEntry(source, f"item {item_id!r}: {error}" if named else str(error))


def _paper(item: Item, source: SourceLocation) -> PaperRecord:
    title = _rich_text(item, "title")
    if title is None:
        raise ValueError("no title")
    work_type, venue_kind = _work_kind(item)
    container = _rich_text(item, "container-title")
    doi, url = _doi_and_url(item)
    volume = _text(item, "volume", numbers=True)
    pages = _text(item, "page", numbers=True)
    authors, truncated = _authors(item.get("author"))
    return PaperRecord(
        title=title,
        authors=authors,
        abstract=_rich_text(item, "abstract"),
        source=source,
        work_type=work_type,
        date=_date(item.get("issued")),
        doi=doi,
        arxiv=_arxiv(item, container, volume, doi, url),
        venue=_venue(container, venue_kind),
        volume=volume,
        issue=_text(item, "issue", numbers=True),
        pages=normalise_pages(pages) if pages is not None else None,
        keywords=_keywords(item),
        url=url,
        degree=_degree(item) if work_type is WorkType.THESIS else None,
        authors_truncated=truncated,
    )


def _text(item: Item, key: str, *, numbers: bool = False) -> str | None:
    """``item[key]`` as NFC text with whitespace collapsed; None when absent or blank.

    CSL allows numbers for fields such as ``volume`` and ``page``; ``numbers`` accepts them.
    """
    return _as_text(item.get(key), key, numbers=numbers)


def _as_text(value: object, key: str, *, numbers: bool = False) -> str | None:
    if value is None:
        return None
    if numbers and isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        expected = "text or a number" if numbers else "text"
        raise ValueError(f"{key} should be {expected}, found {_kind(value)}")
    return _collapse(value) or None


def _rich_text(item: Item, key: str) -> str | None:
    """A title or abstract as plain text: markup stripped, entities unescaped.

    Crossref's REST API gives titles as lists of strings; the first is the title.
    """
    value = item.get(key)
    if isinstance(value, list):
        value = value[0] if value else None
    text = _as_text(value, key)
    if text is None:
        return None
    return _strip_markup(text) or None


def _strip_markup(text: str) -> str:
    """Tags and comments removed, entities unescaped by MarkupSafe; a JATS "Abstract"
    heading is dropped, paragraphs stay apart, and a ``<`` that opens no tag ("p < 0.05")
    is kept.

    Each run of text between two tags is unescaped on its own, as in HTML: a tag ends an
    entity, so ``<span class="nocase">&</span>amp;`` is the text "&amp;". That is how
    ``kg export`` writes an entity or a tag as text, which CSL processors (they read no
    entities) must show as written too (``kg.bibliography.csljson.rich_text``).
    """
    text = _ABSTRACT_HEADING.sub("", text)
    text = _BLOCK_END.sub(lambda end: end.group() + " ", text)
    text = _LONE_ANGLE.sub("&lt;", text)
    return _collapse("".join(Markup(run).unescape() for run in _MARKUP.split(text)))


def _collapse(text: str) -> str:
    return " ".join(nfc(text).split())


def _authors(value: object) -> tuple[tuple[PersonName, ...], bool]:
    """The authors in order, and whether the list ended in ``{"literal": "others"}``: the
    pandoc convention for "and others", which citeproc prints as "et al."."""
    if value is None or value == []:
        raise ValueError("no author")
    if not isinstance(value, list):
        raise ValueError(f"author should be an array of names, found {_kind(value)}")
    truncated = len(value) > 1 and value[-1] == {"literal": "others"}
    names = value[:-1] if truncated else value
    people = tuple(_person(entry, position) for position, entry in enumerate(names, start=1))
    return people, truncated


def _person(entry: object, position: int) -> PersonName:
    """One CSL name: particles join the family name ("van Gogh"), a suffix follows it
    ("King Jr."), a ``literal`` (an organisation) is all family name."""
    if not isinstance(entry, dict):
        raise ValueError(f"author {position} should be a name object, found {_kind(entry)}")
    try:
        parts = [
            _text(entry, key)
            for key in ("dropping-particle", "non-dropping-particle", "family", "suffix")
        ]
        given = _text(entry, "given") or ""
        literal = _text(entry, "literal")
    except ValueError as error:
        raise ValueError(f"author {position}: {error}") from None
    if parts[2] is not None:
        return PersonName(family=" ".join(part for part in parts if part), given=given)
    if literal is not None:
        return PersonName(family=literal, given="", organization=True)
    raise ValueError(f"author {position} has neither a family name nor a literal name")


def _work_kind(item: Item) -> tuple[WorkType, VenueKind | None]:
    return _KINDS.get(_text(item, "type") or "", _DEFAULT_KIND)


def _venue(name: str | None, kind: VenueKind | None) -> Venue | None:
    """The container a work appeared in; a preprint server is not a periodical."""
    if kind is None or name is None:
        return None
    if kind is VenueKind.PERIODICAL and is_repository(name):
        return None
    return Venue(kind, name)


def _degree(item: Item) -> str | None:
    return degree(_text(item, "genre") or "")


def _date(value: object) -> str | None:
    """``issued`` as ISO 8601 at its own precision, from ``date-parts`` or ``raw`` text.

    Free-text ``literal`` dates ("in press") are no date; Crossref's ``[[null]]`` neither.
    """
    if value is None:
        return None
    if not isinstance(value, dict):
        raise ValueError(f"issued should be a date object, found {_kind(value)}")
    if "date-parts" in value:
        return _date_from_parts(value["date-parts"])
    for key in ("raw", "literal"):
        text = _text(value, key)
        if text is None:
            continue
        match = _ISO_DATE.fullmatch(text)
        if match is None:
            if key == "raw":
                raise ValueError(f"issued: cannot read the date {text!r}")
            return None
        return _iso_date([int(part) for part in match.groups() if part is not None])
    return None


def _date_from_parts(parts: object) -> str | None:
    if not isinstance(parts, list) or not parts or not isinstance(parts[0], list):
        raise ValueError("issued: date-parts should be [[year, month, day]]")
    first = parts[0]
    while first and first[-1] in (None, ""):
        first = first[:-1]  # Crossref writes an unknown date as [[null]]
    if not first:
        return None
    numbers = []
    for part in first[:3]:
        if isinstance(part, str) and part.strip().isascii() and part.strip().isdigit():
            numbers.append(int(part))
        elif isinstance(part, int) and not isinstance(part, bool):
            numbers.append(part)
        else:
            raise ValueError(f"issued: date part {part!r} is not a number")
    return _iso_date(numbers)


def _iso_date(numbers: list[int]) -> str:
    if len(numbers) > 1 and numbers[1] in _SEASONS:
        numbers = numbers[:1]
    try:
        return iso_date(*numbers)
    except ValueError as error:
        raise ValueError(f"issued: {error}") from None


def _doi_and_url(item: Item) -> tuple[str | None, str | None]:
    """The DOI, and the URL unless it is only a DOI link (then it gives the DOI if ``DOI``
    is missing). Only http(s) URLs that are valid IRIs are kept: they become IRIs."""
    doi_text = _text(item, "DOI")
    doi = _normalised(normalise_doi, doi_text, "DOI") if doi_text is not None else None
    return doi_and_web_page(doi, _text(item, "URL"))


def _arxiv(
    item: Item, container: str | None, volume: str | None, doi: str | None, url: str | None
) -> str | None:
    """The arXiv identifier from an arXiv DOI, ``number`` ("arXiv:2301.01234", as Zotero
    writes it), ``archive_location`` in archive "arXiv", Google Scholar's container
    "arXiv preprint arXiv:…", dblp's CoRR volume "abs/…", or an arxiv.org URL."""
    from_doi = _normalised(arxiv_from_doi, doi, "DOI") if doi is not None else None
    if from_doi is not None:
        return from_doi
    number = _text(item, "number", numbers=True)
    if number is not None and number.lower().startswith("arxiv:"):
        return _normalised(normalise_arxiv, number, "number")
    archive = _text(item, "archive") or ""
    location = _text(item, "archive_location", numbers=True)
    if location is not None and archive.lower().startswith("arxiv"):
        return _normalised(normalise_arxiv, location, "archive_location")
    try:
        hidden = arxiv_in_venue(container, volume)
    except ValueError as error:
        raise ValueError(f"container-title or volume: {error}") from None
    if hidden is not None:
        return hidden
    try:
        return normalise_arxiv(url) if url is not None else None
    except ValueError:
        return None


def _normalised(normalise: Callable[[str], _T], text: str, key: str) -> _T:
    try:
        return normalise(text)
    except ValueError as error:
        raise ValueError(f"{key}: {error}") from None


def _keywords(item: Item) -> tuple[str, ...]:
    """``keyword`` is one comma-separated string in CSL; each keyword once, in order."""
    text = _text(item, "keyword")
    if text is None:
        return ()
    return tuple(dict.fromkeys(part.strip() for part in text.split(",") if part.strip()))


def _kind(value: object) -> str:
    """What a JSON value is, in the words of an error message."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "text"
    return "an array" if isinstance(value, list) else "an object"
