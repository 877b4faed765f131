"""Reader for BibTeX and biblatex files, as Google Scholar, dblp, Zotero (Better BibTeX),
the ACL Anthology, arXiv and DataCite export them.

bibtexparser splits the file into blocks, substitutes ``@string`` macros and splits names
into BibTeX's first, von, last and jr parts; pylatexenc (``kg.text``) turns LaTeX into
Unicode. A broken entry becomes a ``SkippedEntry`` naming its line and what is wrong, so the
build can decide whether to go on; only a file that cannot be read at all raises
``InputError``.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from bibtexparser.entrypoint import parse_string
from bibtexparser.library import Library
from bibtexparser.middlewares import (
    LibraryMiddleware,
    RemoveEnclosingMiddleware,
    ResolveStringReferencesMiddleware,
)
from bibtexparser.middlewares.names import (
    InvalidNameError,
    parse_single_name_into_parts,
    split_multiple_persons_names,
)
from bibtexparser.model import (
    Block,
    DuplicateBlockKeyBlock,
    DuplicateFieldKeyBlock,
    Entry,
    Field,
    ParsingFailedBlock,
    String,
)

from kg.errors import InputError
from kg.fields import (
    MONTHS,
    arxiv_from_doi,
    arxiv_in_venue,
    degree,
    doi_and_web_page,
    is_repository,
    iso_date,
    month_number,
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
from kg.text import latex_to_unicode, nfc

# bibtexparser logs each broken block as a warning; they come back as SkippedEntry, so
# without logging configured they must not also reach stderr through logging's last resort.
logging.getLogger("bibtexparser").addHandler(logging.NullHandler())

_BOOK_TYPES = frozenset({"book", "proceedings", "collection"})
"""Entry types that are a venue, not a work, when another entry points at them by
``crossref``."""
_IN_BOOK_TYPES = frozenset({"inproceedings", "conference", "incollection", "inbook"})
_WORK_TYPES = {
    "article": WorkType.ARTICLE,
    "inproceedings": WorkType.ARTICLE,
    "conference": WorkType.ARTICLE,
    "incollection": WorkType.CHAPTER,
    "inbook": WorkType.CHAPTER,
    "book": WorkType.BOOK,
    "proceedings": WorkType.BOOK,
    "collection": WorkType.BOOK,
    "phdthesis": WorkType.THESIS,
    "mastersthesis": WorkType.THESIS,
    "thesis": WorkType.THESIS,
    "techreport": WorkType.REPORT,
    "report": WorkType.REPORT,
}
"""Every other type (misc, unpublished, online, preprint, ...) is an article."""
_DEGREES = {"phdthesis": "PhD", "mastersthesis": "Master's"}

_INHERITED = (
    ("booktitle",),
    ("journal",),
    ("journaltitle",),
    ("volume",),
    ("year", "month", "day", "date"),
)
"""What an entry takes from its ``crossref`` target: the container's title, volume and
date, each group only when the entry has none of it (no month of one year joins another
year); never the container's own DOI, URL, pages or authors."""

_COMMENT_LINE = re.compile(r"^[ \t]*%.*$", re.MULTILINE)
"""A line starting with % is a comment, as biber reads it (BibTeX would still find an entry
commented out that way); blanked, so line numbers stay."""
_MONTH_MACROS = {name[:3]: name.capitalize() for name in MONTHS}
"""BibTeX's predefined ``jan`` .. ``dec``, as the standard styles define them."""
_MACRO_NAME = re.compile(r"[^\d\s\"#%'(),={}][^\s\"#%'(),={}]*")
_OPERATOR = re.compile(r'(?<!\\)[{}"#]')
_TIE = re.compile(r"(?<!\\)~")
_ESCAPED = re.compile(r"\\([_%&#$~])")
_UNESCAPED_BRACE = re.compile(r"(?<!\\)[{}]")
# Stand-ins for \{ and \} while braces, which only protect case in BibTeX, are dropped.
_OPEN, _CLOSE = "\ue000", "\ue001"
_BLOCK_START = re.compile(r"@\s*(\w+)\s*[{(]\s*([^,\s]*)")

_YEAR = re.compile(r"\d{4}")
_ISO_DATE = re.compile(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?(?:/.*)?")
"""biblatex ``date``: "2023", "2023-05", "2023-05-17"; a range "a/b" is dated by its start."""
_DAY = re.compile(r"\d{1,2}")
_URL_COMMAND = re.compile(r"\\url\{([^{}]*)\}")
_KEYWORD_SEPARATOR = re.compile(r"[,;]")


class _Defect(ValueError):
    """What is wrong with one entry, as the end of "entry 'key' ..."."""


def read_bibtex(path: Path) -> PublicationList:
    """Read one ``.bib`` file (or ``.bib.gz``): works in file order, broken entries as
    ``SkippedEntry``. Bytes that are not UTF-8, or no entry at all, raise ``InputError``."""
    library = _parse(_COMMENT_LINE.sub("", read_utf8(path)))
    if not library.entries and not library.failed_blocks:
        raise InputError("no entries: expected BibTeX entries such as @article{key, ...}", path)
    results = list(_read_blocks(library, path.name))
    return PublicationList(
        file_name=path.name,
        owner=None,
        papers=tuple(result for result in results if isinstance(result, PaperRecord)),
        skipped=tuple(result for result in results if isinstance(result, SkippedEntry)),
    )


def _parse(text: str) -> Library:
    return parse_string(
        text,
        parse_stack=[
            _ConcatenationMiddleware(),
            ResolveStringReferencesMiddleware(),
            RemoveEnclosingMiddleware(),
        ],
    )


class _ConcatenationMiddleware(LibraryMiddleware):
    """Evaluates ``#`` concatenations (``booktitle = acl # " 2021"``), which bibtexparser 2.1
    leaves as written (python-bibtexparser issue #396).

    As in BibTeX, an operand macro must be defined by an ``@string`` above its use; a value
    naming an undefined macro stays as it is, and reading the entry then reports it.
    """

    def transform(self, library: Library) -> Library:
        macros: dict[str, str] = {}
        for block in library.blocks:
            if isinstance(block, String):
                text = _evaluate(block.value, macros)
                if text is not None:
                    macros[block.key.lower()] = text
                    block.value = "{" + text + "}"
            elif isinstance(block, Entry):
                for field in block.fields:
                    if len(_operands(field.value)) > 1:
                        text = _evaluate(field.value, macros)
                        if text is not None:
                            field.value = "{" + text + "}"
        return library


def _operands(value: str) -> list[str]:
    """The ``#``-separated operands of a raw field value, each as written."""
    operands: list[str] = []
    start, depth, quoted = 0, 0, False
    for match in _OPERATOR.finditer(value):
        char = match.group()
        if char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
        elif depth == 0 and char == '"':
            quoted = not quoted
        elif depth == 0 and not quoted:
            operands.append(value[start : match.start()].strip())
            start = match.end()
    operands.append(value[start:].strip())
    return operands


def _evaluate(value: str, macros: Mapping[str, str]) -> str | None:
    """The text of a raw value; None if an operand is neither a literal nor a known macro."""
    texts = []
    for operand in _operands(value):
        name = operand.lower()
        if len(operand) >= 2 and operand[0] + operand[-1] in ("{}", '""'):
            texts.append(operand[1:-1])
        elif operand.isdigit():
            texts.append(operand)
        elif name in macros or name in _MONTH_MACROS:
            texts.append(macros[name] if name in macros else _MONTH_MACROS[name])
        else:
            return None
    return "".join(texts)


def _read_blocks(library: Library, file_name: str) -> Iterator[PaperRecord | SkippedEntry]:
    """A record or a skipped entry per entry, in file order; crossref venues yield none."""
    by_key: dict[str, Entry] = {}
    for entry in library.entries:
        by_key.setdefault(entry.key.lower(), entry)
    venues = _crossref_venues(library.entries, by_key)
    for block in library.blocks:
        source = SourceLocation(file_name, _line(block))
        if isinstance(block, ParsingFailedBlock):
            yield SkippedEntry(source, _failure(block))
        elif isinstance(block, Entry) and block.key.lower() not in venues:
            try:
                yield _paper(_EntryView.of(block, by_key), source)
            except _Defect as defect:
                yield SkippedEntry(source, f"entry '{block.key}' {defect}")


def _line(block: Block) -> int:
    """bibtexparser counts lines from 0."""
    return (block.start_line or 0) + 1


def _crossref_target(entry: Entry) -> str | None:
    """The key ``crossref`` names; BibTeX matches it to entry keys ignoring case."""
    for field in entry.fields:
        if field.key.lower() == "crossref":
            return _verbatim(field.value)
    return None


def _crossref_venues(entries: list[Entry], by_key: Mapping[str, Entry]) -> set[str]:
    """Keys (lower case) of the books and proceedings that entries point at by crossref."""
    targets = {(_crossref_target(entry) or "").lower() for entry in entries}
    return {key for key in targets if key in by_key and by_key[key].entry_type in _BOOK_TYPES}


def _failure(block: ParsingFailedBlock) -> str:
    """Why bibtexparser could not take ``block``, in the file's terms."""
    if isinstance(block, DuplicateBlockKeyBlock):
        return (
            f"entry '{block.key}' has the same key as the entry on line "
            f"{_line(block.previous_block)}; keys must be unique"
        )
    start = _BLOCK_START.match(block.raw or "")
    kind, key = start.groups() if start is not None else ("", "")
    is_entry = key and kind.lower() not in ("string", "preamble", "comment")
    subject = f"entry '{key}'" if is_entry else f"@{kind} block" if kind else "a block"
    if isinstance(block, DuplicateFieldKeyBlock):
        fields = ", ".join(sorted(block.duplicate_keys))
        return f"{subject} has the field {fields} more than once"
    reason = (getattr(block.error, "abort_reason", None) or str(block.error)).strip()
    return f"{subject} is not valid BibTeX: {reason}"


@dataclass(frozen=True)
class _EntryView:
    """One entry's fields by lower-case name, with those it inherits through crossref."""

    entry_type: str
    fields: Mapping[str, Field]

    @classmethod
    def of(cls, entry: Entry, by_key: Mapping[str, Entry]) -> _EntryView:
        fields: dict[str, Field] = {}
        for field in entry.fields:
            name = field.key.lower()
            if name in fields:
                raise _Defect(f"has the field {name} more than once")
            fields[name] = field
        target = _crossref_target(entry)
        if target is not None:
            parent = by_key.get(target.lower())
            if parent is None:
                raise _Defect(f"has crossref '{target}', but no entry has that key")
            fields = _inherit(fields, parent)
        return cls(entry.entry_type, fields)

    def raw(self, name: str) -> str | None:
        """The field's value after macro substitution, still LaTeX."""
        field = self.fields.get(name)
        if field is None:
            return None
        value: str = field.value
        month_macro = name == "month" and value.lower() in _MONTH_MACROS
        if field.enclosing != "no-enclosing" or month_macro:
            return value
        if _MACRO_NAME.fullmatch(value):
            raise _Defect(f"has {name} = {value}, but no @string defines {value}")
        shown = " ".join(value.split())
        if len(_operands(value)) > 1:
            raise _Defect(f"has {name} = {shown}, which concatenates an undefined @string macro")
        raise _Defect(f"has {name} = {shown}, which is not one BibTeX value (a missing comma?)")

    def text(self, name: str) -> str | None:
        """The field as plain Unicode text; None when absent or blank."""
        value = self.raw(name)
        if value is None:
            return None
        return _plain(value) or None

    def verbatim(self, name: str) -> str | None:
        """An identifier or URL field: only BibTeX's escapes and braces removed."""
        value = self.raw(name)
        if value is None:
            return None
        return _verbatim(value) or None


def _inherit(fields: Mapping[str, Field], parent: Entry) -> dict[str, Field]:
    """``fields`` completed from the crossref target, whose title is the book title."""
    inherited = {field.key.lower(): field for field in parent.fields}
    if parent.entry_type in _BOOK_TYPES and "title" in inherited:
        inherited.setdefault("booktitle", inherited["title"])
    merged = dict(fields)
    for group in _INHERITED:
        if not any(name in fields for name in group):
            merged.update((name, inherited[name]) for name in group if name in inherited)
    return merged


@lru_cache(maxsize=1 << 16)
def _plain(value: str) -> str:
    """LaTeX to Unicode; braces, which only protect case in BibTeX, and ties go too.
    Cached: the same names and venues come back in entry after entry."""
    protected = value.replace("\\{", _OPEN).replace("\\}", _CLOSE)
    text = latex_to_unicode(_TIE.sub(" ", protected))
    text = _UNESCAPED_BRACE.sub("", text).replace(_OPEN, "{").replace(_CLOSE, "}")
    return " ".join(nfc(text).split())


def _verbatim(value: str) -> str:
    """``10.1162/tacl\\_a\\_00001`` as dblp escapes it: ``10.1162/tacl_a_00001``."""
    return _UNESCAPED_BRACE.sub("", _ESCAPED.sub(r"\1", value)).strip()


def _paper(entry: _EntryView, source: SourceLocation) -> PaperRecord:
    title = entry.text("title")
    if title is None:
        raise _Defect("has no title")
    authors, truncated = _authors(entry)
    doi, url = _doi_and_url(entry)
    periodical = entry.text("journal") or entry.text("journaltitle")
    on_repository = periodical is not None and is_repository(periodical)
    venue = _venue(entry, periodical)
    pages = entry.text("pages")
    return PaperRecord(
        title=title,
        authors=authors,
        abstract=entry.text("abstract"),
        source=source,
        work_type=_work_type(entry),
        date=_date(entry),
        doi=doi,
        arxiv=_arxiv(entry, periodical, doi, url),
        venue=venue,
        volume=None if on_repository else entry.text("volume"),
        issue=entry.text("number") if venue and venue.kind is VenueKind.PERIODICAL else None,
        pages=normalise_pages(pages) if pages is not None else None,
        keywords=_keywords(entry),
        url=url,
        degree=_degree(entry),
        authors_truncated=truncated,
    )


def _authors(entry: _EntryView) -> tuple[tuple[PersonName, ...], bool]:
    """The authors in order, and whether the list ended in "and others"."""
    value = entry.raw("author")
    names = split_multiple_persons_names(value) if value is not None else []
    truncated = bool(names) and names[-1].strip() == "others"
    if truncated:
        names = names[:-1]
    if not names:
        raise _Defect("has no author")
    return tuple(_person(name, position) for position, name in enumerate(names, 1)), truncated


def _person(name: str, position: int) -> PersonName:
    """A BibTeX name: the von part joins the family name ("van Gogh"), the jr part
    follows it ("King Jr."); a braced name ("{World Health Organization}") is all family."""
    try:
        parts = parse_single_name_into_parts(name)
    except InvalidNameError as error:
        raise _Defect(
            f"has author {position} {name!r}, which is not a name: {error.reason}"
        ) from None
    family = _plain(" ".join(parts.von + parts.last))
    if not family:
        raise _Defect(f"has author {position} {name!r} without a last name")
    suffix = _plain(" ".join(parts.jr))
    return PersonName(
        family=f"{family} {suffix}" if suffix else family,
        given=_plain(" ".join(parts.first)),
        organization=_is_one_group(name.strip()),
    )


def _is_one_group(name: str) -> bool:
    """Whether the whole name is one brace group, BibTeX's way to write an organisation
    ("{World Health Organization}", not "{\\v{S}}akota")."""
    if not (name.startswith("{") and name.endswith("}")):
        return False
    depth = 0
    for index, char in enumerate(name):
        depth += {"{": 1, "}": -1}.get(char, 0) if name[index - 1 : index] != "\\" else 0
        if depth == 0:
            return index == len(name) - 1
    return False


def _work_type(entry: _EntryView) -> WorkType:
    """An ``@inbook`` without ``booktitle`` cites part of a book by the book's own title."""
    if entry.entry_type == "inbook" and entry.text("booktitle") is None:
        return WorkType.BOOK
    return _WORK_TYPES.get(entry.entry_type, WorkType.ARTICLE)


def _venue(entry: _EntryView, periodical: str | None) -> Venue | None:
    """The book of a contribution to one, else the periodical; a preprint server, a URL
    or a book-length work has none."""
    if entry.entry_type in _IN_BOOK_TYPES:
        name, kind = entry.text("booktitle"), VenueKind.BOOK
    elif entry.entry_type in _WORK_TYPES and entry.entry_type != "article":
        return None
    else:
        name, kind = periodical or entry.text("howpublished"), VenueKind.PERIODICAL
    if name is None:
        return None
    if kind is VenueKind.PERIODICAL and (is_repository(name) or _is_link(name)):
        return None
    return Venue(kind, name)


def _is_link(text: str) -> bool:
    return "://" in text or text.lower().startswith("www.")


def _degree(entry: _EntryView) -> str | None:
    """``@phdthesis``, ``@mastersthesis``, or biblatex's ``@thesis`` with a ``type``."""
    if entry.entry_type != "thesis":
        return _DEGREES.get(entry.entry_type)
    return degree(entry.text("type") or "")


def _date(entry: _EntryView) -> str | None:
    """biblatex ``date``, else ``year`` with ``month`` and ``day``, at their precision."""
    date = entry.verbatim("date")
    if date is not None:
        match = _ISO_DATE.fullmatch(date)
        if match is None:
            raise _Defect(f"has date {date!r}, which is not an ISO 8601 date")
        parts = [int(part) for part in match.groups() if part is not None]
    else:
        year = entry.verbatim("year")
        if year is None:
            return None
        if not _YEAR.fullmatch(year):
            raise _Defect(f"has year {year!r}, which is not a four-digit year")
        parts = [int(year), *_month_and_day(entry)]
    try:
        return iso_date(*parts)
    except ValueError as error:
        raise _Defect(f"has an impossible date: {error}") from None


def _month_and_day(entry: _EntryView) -> list[int]:
    month = entry.verbatim("month")
    if month is None:
        return []
    try:
        parts = [month_number(month)]
    except ValueError:
        raise _Defect(f"has month {month!r}, which is not a month") from None
    day = entry.verbatim("day")
    if day is not None:
        if not _DAY.fullmatch(day):
            raise _Defect(f"has day {day!r}, which is not a day of the month")
        parts.append(int(day))
    return parts


def _doi_and_url(entry: _EntryView) -> tuple[str | None, str | None]:
    """The DOI, and the URL unless it is only a DOI link (which gives the DOI when ``doi``
    is missing). Only http(s) URLs that are valid IRIs are kept: they become IRIs."""
    doi_text = entry.verbatim("doi")
    doi = _normalised(normalise_doi, doi_text, "doi") if doi_text is not None else None
    return doi_and_web_page(doi, entry.verbatim("url") or _howpublished_url(entry))


def _howpublished_url(entry: _EntryView) -> str | None:
    """``howpublished = {\\url{https://...}}``, the BibTeX way to cite a web page."""
    value = entry.raw("howpublished")
    match = _URL_COMMAND.fullmatch(value.strip()) if value is not None else None
    return _verbatim(match.group(1)) if match is not None else None


def _arxiv(
    entry: _EntryView, periodical: str | None, doi: str | None, url: str | None
) -> str | None:
    """The arXiv identifier from ``eprint`` (arXiv's and dblp's exports), Google Scholar's
    journal "arXiv preprint arXiv:…", dblp's CoRR volume "abs/…", an arXiv DOI or URL."""
    eprint = entry.verbatim("eprint")
    archive = entry.verbatim("archiveprefix") or entry.verbatim("eprinttype")
    if eprint is not None and archive is not None and archive.lower() == "arxiv":
        return _normalised(normalise_arxiv, eprint, "eprint")
    try:
        hidden = arxiv_in_venue(periodical, entry.verbatim("volume"))
    except ValueError as error:
        raise _Defect(f"has an unreadable arXiv identifier in journal or volume: {error}") from None
    if hidden is not None:
        return hidden
    from_doi = arxiv_from_doi(doi) if doi is not None else None
    if from_doi is not None:
        return from_doi
    for text in (eprint if archive is None else None, url):
        if text is not None:
            try:
                return normalise_arxiv(text)
            except ValueError:
                continue
    return None


def _normalised(normalise: Callable[[str], str], text: str, name: str) -> str:
    try:
        return normalise(text)
    except ValueError as error:
        raise _Defect(f"has an unreadable {name}: {error}") from None


def _keywords(entry: _EntryView) -> tuple[str, ...]:
    """``keywords`` separated by commas or semicolons; each keyword once, in order."""
    text = entry.text("keywords")
    if text is None:
        return ()
    parts = (part.strip() for part in _KEYWORD_SEPARATOR.split(text))
    return tuple(dict.fromkeys(part for part in parts if part))
