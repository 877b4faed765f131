"""Works as CSL-JSON, the citation data of Zotero, pandoc/citeproc and Better BibTeX.

The inverse of ``kg.sources.csljson``: ``type`` says the kind of work (and of venue),
``container-title`` names the venue, ``issued`` holds the date at the precision the graph
knows, ``number`` the arXiv identifier as Zotero writes a preprint's ("arXiv:2301.01234"),
``genre`` a thesis's degree ("PhD thesis"), ``keyword`` the keywords comma-separated. A
truncated author list ends in ``{"literal": "others"}``, which pandoc writes for BibTeX's
"and others" and citeproc prints as "et al.". Items carry the BibTeX export's cite keys as
``id``, so a document can cite the same keys from either file.

Titles, abstracts and venues are rich text (:func:`rich_text`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence

from markupsafe import Markup

from kg.bibliography.keys import cite_keys
from kg.records import PaperRecord, PersonName, VenueKind, WorkType
from kg.sources.csljson import MARKUP_START

_OTHERS = {"literal": "others"}
_TYPES = {
    WorkType.CHAPTER: "chapter",
    WorkType.BOOK: "book",
    WorkType.THESIS: "thesis",
    WorkType.REPORT: "report",
}
_ARTICLE_TYPES = {VenueKind.PERIODICAL: "article-journal", VenueKind.BOOK: "paper-conference"}
_PREPRINT = "article"
"""CSL's type for an article that appeared nowhere (yet): a preprint."""
_LITERAL = '<span class="nocase">{}</span>'
"""A character that must not start markup or an entity: CSL processors drop the span (it
only keeps a style from changing case), kg's reader ends the run of text at its tags."""
_AMPERSAND_RUN = re.compile(r"&[^&<]*")
"""An ``&`` and what an entity name could follow it with (names hold neither)."""
_SPECIAL = re.compile(r"[<&]")


def to_csl_json(records: Sequence[PaperRecord]) -> str:
    """``records`` as a CSL-JSON array sorted by ``id``: same records, same bytes (keys in a
    fixed order, UTF-8 as is, two-space indent, a final newline)."""
    keyed = sorted(zip(cite_keys(records), records, strict=True), key=lambda pair: pair[0])
    items = [_item(key, record) for key, record in keyed]
    return json.dumps(items, ensure_ascii=False, indent=2) + "\n"


def _item(key: str, record: PaperRecord) -> dict[str, object]:
    item: dict[str, object] = {"id": key, "type": _type(record), "title": rich_text(record.title)}
    names = [_name(author) for author in record.authors]
    item["author"] = [*names, _OTHERS] if record.authors_truncated else names
    if record.date is not None:
        item["issued"] = {"date-parts": [[int(part) for part in record.date.split("-")]]}
    optional = {
        "container-title": rich_text(record.venue.name) if record.venue is not None else None,
        "volume": record.volume,
        "issue": record.issue,
        "page": record.pages,
        "DOI": record.doi,
        "number": f"arXiv:{record.arxiv}" if record.arxiv is not None else None,
        "URL": record.url,
        "genre": f"{record.degree} thesis" if record.degree is not None else None,
        "keyword": ", ".join(record.keywords) or None,
        "abstract": rich_text(record.abstract) if record.abstract is not None else None,
    }
    item.update((name, value) for name, value in optional.items() if value is not None)
    return item


def _type(record: PaperRecord) -> str:
    if record.work_type in _TYPES:
        return _TYPES[record.work_type]
    return _ARTICLE_TYPES[record.venue.kind] if record.venue is not None else _PREPRINT


def _name(person: PersonName) -> dict[str, str]:
    """A person by family and given name (a person known by one name has no given); an
    organisation as a ``literal``, which styles never abbreviate or invert."""
    if person.organization:
        return {"literal": person.family}
    if not person.given:
        return {"family": person.family}
    return {"family": person.family, "given": person.given}


def rich_text(text: str) -> str:
    """``text`` as CSL-JSON rich text that kg's reader, citeproc-js and pandoc all read
    back as ``text``.

    CSL processors read a fixed set of HTML-like tags (``<i>``, ``<b>``, ``<sup>``,
    ``<span class="nocase">``, ...) and no entities: ``&amp;`` is five characters to them.
    kg's reader takes titles as HTML (Crossref's are), so it would drop ``<b>`` and
    read ``&amp;`` as ``&``. Entity escaping cannot serve both, so the few characters
    that would start markup or an entity are wrapped in a ``nocase`` span, which every
    reader drops: a ``<`` before a letter, ``/`` or ``!`` with a ``>`` after it, and an
    ``&`` that MarkupSafe would unescape. ``R&D``, ``AT&T;``, ``a < b`` and ``a > b`` stay
    as written.
    """
    wrapped = {
        match.start()
        for match in _AMPERSAND_RUN.finditer(text)
        if Markup(match.group()).unescape() != match.group()
    }
    # A "<" opens markup only if a ">" follows it: in the text, or in a span written after.
    closing = max([text.rfind(">"), *wrapped])
    wrapped.update(
        match.start() for match in MARKUP_START.finditer(text) if match.start() < closing
    )
    return _SPECIAL.sub(
        lambda match: _LITERAL.format(match.group()) if match.start() in wrapped else match.group(),
        text,
    )
