"""Works as BibTeX, for LaTeX (BibTeX or biber) and every reference manager.

bibtexparser's writer lays the entries out; this module only chooses the entry types and
fields, the inverse of ``kg.sources.bibtex``:

- entry type: an article in a periodical is ``@article`` (``journal``), in a book of
  proceedings ``@inproceedings`` (``booktitle``), with no venue ``@misc``; a chapter is
  ``@incollection``, a book ``@book``, a report ``@techreport``, a thesis ``@phdthesis``,
  ``@mastersthesis`` or, for any other degree, biblatex's ``@thesis`` with ``type``;
- text is LaTeX (:func:`latex_escape`); the title is braced twice (``title = {{…}}``) so
  styles keep its capitalisation; a corporate author is braced (``{World Health
  Organization}``) and "and others" ends a truncated author list;
- ``year`` always, ``month`` as BibTeX's macro (``may``, unbraced), and biblatex's ``date``
  (``2023-05-17``) only for a full date, which year and month cannot hold;
- ``doi``, ``url`` and ``eprint`` (with ``archivePrefix = {arXiv}``, as arXiv exports it)
  verbatim, ``pages`` with ``--``, ``keywords`` comma-separated.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator, Sequence
from functools import cache

from bibtexparser.entrypoint import write_string
from bibtexparser.library import Library
from bibtexparser.middlewares.parsestack import default_unparse_stack
from bibtexparser.model import Entry, Field
from bibtexparser.writer import BibtexFormat
from pylatexenc.latex2text import LatexNodes2Text
from pylatexenc.latexencode import UnicodeToLatexEncoder

from kg.bibliography.keys import cite_keys
from kg.fields import MONTHS, date_precision
from kg.records import PaperRecord, PersonName, VenueKind, WorkType
from kg.text import latex_to_unicode

_MAYBE_LATEX = re.compile(r"[^A-Za-z0-9 !'()*+,\-./:;=?@\[\]`|]")
"""Characters that may need LaTeX: everything but ASCII letters, digits, space and the
punctuation that means nothing special to TeX or BibTeX."""
_LATEX_SCRIPTS = ("LATIN ", "GREEK ")
_LATEX_OVERRIDES = {"^": r"{\textasciicircum}", "{": r"\{", "}": r"\}"}
"""``^`` in LaTeX's one text-mode form, although pylatexenc decodes it to U+02C6 (a raw
``^`` stops LaTeX with "Missing $ inserted"); braces unbraced, because a brace group with
no macro in it would stay a group to ``kg.text`` and read back wrong after a backslash
(``{\\textbackslash}{\\{}``)."""
_LIGATURE = re.compile(r"-(?=-)|`(?=`)|'(?=')|[!?](?=`)")
"""The first character of a TeX ligature: ``--`` is an en dash to LaTeX, ``\'\'`` a closing
quote, ``!`` followed by a backquote an inverted exclamation mark; ``{}`` after it keeps the
characters as written (``-{}-``), and kg's reader drops the empty group."""
_NAME_SEPARATOR = re.compile(r",|\band\b", re.IGNORECASE)
_THESES = {"PhD": "phdthesis", "Master's": "mastersthesis"}
_VENUE_FIELDS = {VenueKind.PERIODICAL: "journal", VenueKind.BOOK: "booktitle"}


def to_bibtex(records: Sequence[PaperRecord]) -> str:
    """``records`` as a BibTeX file, one entry each, sorted by cite key."""
    keyed = sorted(zip(cite_keys(records), records, strict=True), key=lambda pair: pair[0])
    library = Library([_entry(key, record) for key, record in keyed])
    layout = BibtexFormat()  # type: ignore[no-untyped-call]
    layout.indent = "  "
    layout.block_separator = "\n"
    # The library is made only to be written: no middleware needs to copy its entries.
    stack = default_unparse_stack(allow_inplace_modification=True)
    text: str = write_string(library, unparse_stack=stack, bibtex_format=layout)
    return text


def _entry(key: str, record: PaperRecord) -> Entry:
    return Entry(_entry_type(record), key, list(_fields(record)))


def _entry_type(record: PaperRecord) -> str:
    if record.work_type is WorkType.THESIS:
        return _THESES.get(record.degree or "", "thesis")
    if record.work_type is WorkType.REPORT:
        return "techreport"
    if record.work_type is WorkType.BOOK:
        return "book"
    if record.work_type is WorkType.CHAPTER:
        return "incollection"
    if record.venue is None:
        return "misc"
    return "article" if record.venue.kind is VenueKind.PERIODICAL else "inproceedings"


def _fields(record: PaperRecord) -> Iterator[Field]:
    """The entry's fields, each value as it goes between the braces the writer adds."""
    names = [_name(author) for author in record.authors]
    authors = [*names, "others"] if record.authors_truncated else names
    yield Field("author", " and ".join(authors))
    yield Field("title", "{" + latex_escape(record.title) + "}")
    if record.venue is not None:
        yield Field(_VENUE_FIELDS[record.venue.kind], latex_escape(record.venue.name))
    if record.degree is not None and _entry_type(record) == "thesis":
        yield Field("type", latex_escape(record.degree))
    for name, value in (("volume", record.volume), ("number", record.issue)):
        if value is not None:
            yield Field(name, latex_escape(value))
    if record.pages is not None:
        yield Field("pages", latex_escape(record.pages).replace("-", "--"))
    if record.date is not None:
        yield from _date_fields(record.date)
    if record.doi is not None:
        yield Field("doi", record.doi)
    if record.arxiv is not None:
        yield Field("eprint", record.arxiv)
        yield Field("archivePrefix", "arXiv")
    if record.url is not None:
        yield Field("url", record.url)
    if record.keywords:
        yield Field("keywords", ", ".join(map(latex_escape, record.keywords)))
    if record.abstract is not None:
        yield Field("abstract", latex_escape(record.abstract))


def _date_fields(date: str) -> Iterator[Field]:
    """``year``, ``month`` as BibTeX's own macro (every style knows ``may``, and prints it
    in the document's language), and ``date`` when there is a day, which only biblatex's
    ``date`` holds."""
    yield Field("year", date[:4])
    if date_precision(date) >= 2:
        month = MONTHS[int(date[5:7]) - 1][:3]
        yield Field("month", month, enclosing="no-enclosing")
    if date_precision(date) == 3:
        yield Field("date", date)


def _name(person: PersonName) -> str:
    """The name as "Family, Given"; a part holding a comma or the word "and" is braced so
    BibTeX does not split there. An organisation is braced whole; a person known by one
    name gets an empty given name ("Sukarno, {}"), so BibTeX reads all of it as the family
    name and kg does not read it back as an organisation."""
    if person.organization:
        return "{" + latex_escape(person.family) + "}"
    return f"{_name_part(person.family)}, {_name_part(person.given) or '{}'}"


def _name_part(text: str) -> str:
    escaped = latex_escape(text)
    return "{" + escaped + "}" if _NAME_SEPARATOR.search(text) else escaped


def latex_escape(text: str) -> str:
    """``text`` as LaTeX that reads back as ``text``, for classic BibTeX as well as biber.

    TeX's special characters are escaped (``{\\&}``, ``{\\%}``, ``{\\$}``, ``{\\_}``,
    ``\\{``, ``{\\textbackslash}``) and TeX's ligatures broken (``-{}-``, so two hyphens
    are not an en dash), accented Latin letters, Greek letters and symbols are
    written in LaTeX (``{\\"u}``, ``{\\v{S}}``, ``{\\ensuremath{\\alpha}}``, ``{\\textendash}``),
    each braced as classic BibTeX wants special characters. A character gets its LaTeX form
    (pylatexenc's) only when both pylatexenc's decoder and kg's own
    (``kg.text.latex_to_unicode``, which the BibTeX reader uses) give the character back;
    otherwise it stays UTF-8, which LaTeX reads by default since 2018 and biber always
    has: ``"``, a no-break space, Greek capitals that look Latin, and letters of every
    other script (Cyrillic, CJK, ...), whose LaTeX forms need font encodings a document may
    not load.
    """
    escaped = _MAYBE_LATEX.sub(lambda match: _latex(match.group()), text)
    return _LIGATURE.sub(lambda match: match.group() + "{}", escaped)


@cache
def _latex(char: str) -> str:
    if char in _LATEX_OVERRIDES:
        return _LATEX_OVERRIDES[char]
    if char.isalpha() and not unicodedata.name(char, "").startswith(_LATEX_SCRIPTS):
        return char
    latex: str = _encoder().unicode_to_latex(char)
    if latex_to_unicode(latex) == char and _decoder().latex_to_text(latex) == char:
        return latex
    return char


@cache
def _encoder() -> UnicodeToLatexEncoder:
    return UnicodeToLatexEncoder(
        non_ascii_only=False,
        replacement_latex_protection="braces-all",
        unknown_char_policy="keep",
        unknown_char_warning=False,
    )


@cache
def _decoder() -> LatexNodes2Text:
    return LatexNodes2Text()
