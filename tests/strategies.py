"""Hypothesis strategies for publication records as plain Python data (issue 15): the hard
cases of real bibliographies, generated independently of kg so tests can compare kg's
graph and exports with what was generated, not with kg's own reading of it.

A ``Work`` is what a source means, not how it spells it: each test writes it in a format
of its own choosing (the writers live in the tests) and derives the expected graph from
these values and the normalisations the README documents.
"""

from __future__ import annotations

import datetime
import unicodedata
from dataclasses import dataclass
from enum import Enum

from hypothesis import strategies as st


class Kind(Enum):
    """Every kind of work kg models (README "Works: kinds, dates, identifiers, venues"),
    with the venue each kind has: a periodical, a book, or none."""

    JOURNAL_ARTICLE = "journal article"
    PROCEEDINGS_PAPER = "proceedings paper"
    CHAPTER = "chapter"
    PREPRINT = "preprint"
    BOOK = "book"
    THESIS = "thesis"
    REPORT = "report"


WITH_PERIODICAL = frozenset({Kind.JOURNAL_ARTICLE})
WITH_BOOK = frozenset({Kind.PROCEEDINGS_PAPER, Kind.CHAPTER})


@dataclass(frozen=True)
class Author:
    """A name as its parts: ``family`` is the core ("Berg"), ``particle`` ("van der") and
    ``suffix`` ("Jr.") are apart so each format can place them its own way."""

    given: str
    family: str
    particle: str = ""
    suffix: str = ""
    organization: bool = False

    @property
    def full_family(self) -> str:
        """The family name kg documents for every reader: particle and suffix kept in it."""
        return " ".join(part for part in (self.particle, self.family, self.suffix) if part)

    @property
    def printed(self) -> str:
        """ "Family, Given" (only the family name when there is no given name)."""
        return f"{self.full_family}, {self.given}" if self.given else self.full_family


@dataclass(frozen=True)
class Work:
    kind: Kind
    title: str
    authors: tuple[Author, ...]
    abstract: str | None
    abstract_urls: tuple[str, ...]
    """The web URLs written in ``abstract``, as they should come out (no trailing
    punctuation)."""
    date: tuple[int, ...] | None
    """(year,), (year, month) or (year, month, day)."""
    doi: str | None
    """As the registrant printed it, mixed case; kg stores it in lower case."""
    pages: tuple[str, str] | str | None
    """A range (first, last) or one page or article number."""
    url: str | None
    venue: str | None
    volume: str | None
    issue: str | None
    degree: str | None
    """For a thesis: "PhD", "Master's" or None (a thesis of unstated degree)."""

    @property
    def iso_date(self) -> str | None:
        if self.date is None:
            return None
        return "-".join(
            f"{part:04d}" if i == 0 else f"{part:02d}" for i, part in enumerate(self.date)
        )


# --- text ----------------------------------------------------------------------------------

_LOWER = "abcdefghijklmnopqrstuvwxyzéèêëàâäåçñóòôöøúùûüýÿíìîïšžčćłßæœ"
_UPPER = "ABCDEFGHIJKLMNOPRSTUVWZÉÀÅÇÑÖØÜŠŽČĆŁÆ"
_GREEK_AND_MORE = "αβγΣΩλ日本語中文Ж"
_letters = st.text(st.sampled_from(_LOWER + _UPPER + _GREEK_AND_MORE), min_size=1, max_size=9)
_number = st.integers(0, 2100).map(str)
_tricky_token = st.sampled_from(
    [
        ",",
        ", and",
        "'s",
        "O'Neil's",
        "l'été",
        "-",
        "--",
        "---",
        "``quoted''",
        '"quoted"',
        "(parenthesised)",
        "[bracketed]",
        "{braced}",
        "&",
        "63%",
        "#1",
        "snake_case",
        "x^2",
        "~",
        "C++",
        "a/b",
        "@handle",
        "!`",
        "¿Qué?",
        "→",
        "😀",
        "e\u0301",  # NFD: kg stores NFC
        "Ame\u0301lie",
        # Markup and entities to an HTML or CSL-JSON reader, text here:
        "<",
        ">",
        "a<b",
        "<b>",
        "</i>",
        "<i>x</i>",
        "<!--",
        "-->",
        '<span class="nocase">',
        "&amp;",
        "&lt;",
        "&#38;",
        "&copy2",
        "AT&T;",
        "R&D",
    ]
)
_word = st.one_of(_letters, _letters, _letters, _number, _tricky_token)


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


titles = (
    st.lists(_word, min_size=1, max_size=10)
    .map(" ".join)
    .map(_nfc)
    .filter(lambda t: any(c.isalnum() for c in t))
)
"""Titles with commas, apostrophes, dashes, quotes, LaTeX's special characters, HTML's
(tags, comments, entities), other scripts and emoji. No backslash or dollar: see
``title_specials``."""
title_specials = st.sampled_from(["\\", "$x$", "50$", "a\\b"])
"""Backslashes and dollars, which a text list's title keeps as written (only abstracts are
LaTeX there); BibTeX escapes them."""

_alnum_run = st.text(st.sampled_from("abcxyz019"), min_size=1, max_size=4)
_url_part = st.builds(
    lambda first, rest: first + "".join(rest),
    _alnum_run,
    st.lists(st.tuples(st.sampled_from("-_.~"), _alnum_run).map("".join), max_size=2),
)
"""Letters and digits with single punctuation marks between them: in prose, a URL ends
before trailing punctuation, and a run of it ("a#.._a") is where readers end it."""


@st.composite
def web_urls(draw: st.DrawFn) -> str:
    """An http(s) URL that is a valid IRI: path, query (with ``&``), fragment,
    percent-encoding."""
    scheme = draw(st.sampled_from(["https", "http"]))
    host = draw(st.sampled_from(["example.org", "github.com", "www.aclweb.org", "x.y.dev"]))
    path = "/".join(draw(st.lists(_url_part, min_size=1, max_size=3)))
    url = f"{scheme}://{host}/{path}"
    if draw(st.booleans()):
        url += f"?q={draw(_url_part)}&lang=en%2Dgb"
    if draw(st.booleans()):
        url += f"#{draw(_url_part)}"
    return url


@st.composite
def abstracts(draw: st.DrawFn) -> tuple[str, tuple[str, ...]]:
    """An abstract with commas and URLs (some followed by punctuation that is not part of
    them), and the URLs it holds. No backslash or dollar: a text list's abstract is LaTeX,
    so it cannot hold them as themselves (``x\\.y`` reads as ``xẏ`` by design)."""
    pieces: list[str] = []
    urls: list[str] = []
    for _ in range(draw(st.integers(1, 4))):
        if draw(st.integers(0, 3)) == 0:
            url = draw(web_urls())
            urls.append(url)
            wrap = draw(st.sampled_from(["{}", "{}.", "{},", "({})", "<{}>", "{};"]))
            pieces.append(wrap.format(url))
        else:
            pieces.append(draw(titles))
    # URLs are followed by a space or the end: "https://x.org/a" + "b" would be one URL.
    return _nfc(" ".join(pieces)), tuple(urls)


# --- LaTeX -----------------------------------------------------------------------------------

_LATEX_PIECES = [
    "\\",
    "$",
    "$$",
    "{",
    "}",
    "%",
    "\\%",
    "\\$",
    " ",
    "  ",
    "\n",
    "\t",
    "~",
    "&",
    "--",
    "-",
    "'",
    "`",
    "!",
    "?",
    "[",
    "]",
    "a",
    "é",
    "x y",
    "\\textit",
    "\\emph",
    "\\'",
    '\\"',
    "\\^",
    "\\c",
    "\\Sigma",
    "\\alpha",
    "\\frac",
    "\\foo",
    "\\(",
    "\\)",
    "\\[",
    "\\]",
    "\\begin{itemize}",
    "\\end{itemize}",
    "\\item",
    "\\\\",
    "\\textasciicircum",
    "\\url",
    "e",
    "{}",
    "\\href",
    "{https://x.org/a}",
    "\\input",
    "\\sqrt",
    "\\cite",
    "\\today",
    "\\end{x}",
    "\\footnote",
    "\\textcolor",
    "\\[",
    "\\begin{equation}",
    "\\end{equation}",
    "word",
    "Ölçü",
    "42",
]
latex_markup = st.lists(st.sampled_from(_LATEX_PIECES), max_size=14).map("".join)
"""Text made of LaTeX's pieces, well-formed or broken: macros known to pylatexenc's converter
and unknown, accents, math, environments, braces, stray closers, a final backslash, words."""


# --- names ---------------------------------------------------------------------------------

_capitalised = st.builds(
    lambda first, rest: first + rest,
    st.sampled_from(_UPPER),
    st.text(st.sampled_from(_LOWER), min_size=1, max_size=7),
)
_family_core = st.one_of(
    _capitalised,
    _capitalised,
    st.builds("{}-{}".format, _capitalised, _capitalised),  # Smith-Jones
    st.builds("O'{}".format, _capitalised),
    st.builds("d'{}".format, _capitalised),
    st.builds("Mc{}".format, _capitalised),
    st.sampled_from(["Šakota", "Sakota", "Müller", "Mueller", "Nguyễn", "Ødegård", "Καλλιγάς"]),
)
_two_word_family = st.builds("{} {}".format, _capitalised, _capitalised)  # García Márquez
_given = st.one_of(
    _capitalised,
    _capitalised,
    st.builds("{}-{}".format, _capitalised, _capitalised),  # Jean-Pierre
    st.builds("{} {}".format, _capitalised, _capitalised),  # Jan Willem
    st.builds("{}.".format, st.sampled_from(_UPPER)),  # J.
    st.builds("{} {}.".format, _capitalised, st.sampled_from(_UPPER)),  # Tim R.
    st.sampled_from(["Marija", "Zoë", "Seán", "Ægir", "Łukasz", "Ясна"]),
)
PARTICLES = ("van", "van der", "von", "de", "de la", "di", "da", "du", "le", "ten", "dos")
SUFFIXES = ("Jr.", "Sr.", "II", "III")
_ORGANISATIONS = (
    "World Health Organization",
    "The ATLAS Collaboration",
    "Institut für Äpfel & Birnen",
    "OpenAI",
)


@st.composite
def authors(draw: st.DrawFn) -> Author:
    if draw(st.integers(0, 14)) == 0:
        return Author(given="", family=draw(st.sampled_from(_ORGANISATIONS)), organization=True)
    family = draw(st.one_of(_family_core, _family_core, _family_core, _two_word_family))
    particle = draw(st.sampled_from(PARTICLES)) if draw(st.integers(0, 3)) == 0 else ""
    suffix = draw(st.sampled_from(SUFFIXES)) if draw(st.integers(0, 5)) == 0 else ""
    given = "" if draw(st.integers(0, 12)) == 0 else draw(_given)  # "Sukarno": one name
    return Author(given=given, family=family, particle=particle, suffix=suffix)


# --- identifiers, dates, pages, venues -----------------------------------------------------

_doi_suffix_char = st.sampled_from(
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789" + "-._;()/:<>"
)


@st.composite
def dois(draw: st.DrawFn) -> str:
    """``10.<registrant>/<suffix>`` in mixed case, with the punctuation real DOIs hold
    (old Wiley DOIs: ``(sici)1097-4571(199806)49:8<693::aid-asi4>3.0.co;2-0``). Not the
    arXiv registrant 10.48550, whose DOIs kg reads as arXiv identifiers."""
    registrant = draw(st.integers(1000, 999_999_999).filter(lambda r: r != 48550))
    middle = draw(st.text(_doi_suffix_char, max_size=20))
    first = draw(st.sampled_from("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"))
    last = draw(st.sampled_from("abcdefghijklmnopqrstuvwxyz0123456789XYZ"))
    return f"10.{registrant}/{first}{middle}{last}"


@st.composite
def dates(draw: st.DrawFn) -> tuple[int, ...]:
    day = draw(st.dates(datetime.date(1000, 1, 1), datetime.date(9999, 12, 31)))
    precision = draw(st.integers(1, 3))
    return (day.year, day.month, day.day)[:precision]


_page = st.one_of(st.integers(1, 99999).map(str), st.builds("e{}".format, st.integers(1, 9999)))
pages = st.one_of(st.tuples(_page, _page), _page)

PERIODICALS = (
    "Nature",
    "Transactions of the Association for Computational Linguistics",
    "Revue d'Économie Politique",
    "Journal of Physics: Conference Series, Vol. 2",
    "Zeitschrift für Naturforschung A",
    "Data & Knowledge Engineering",
    "Journal of <Angle> Brackets &amp; Entities",
    "Ἑλληνικὰ Γράμματα",
)
BOOKS = (
    "Proceedings of the 61st Annual Meeting of the Association for Computational Linguistics "
    "(Volume 1: Long Papers)",
    "Findings of the Association for Computational Linguistics: EMNLP 2023",
    "Handbook of Natural Language Processing, 2nd Edition",
    "Advances in Neural Information Processing Systems 36",
    "Actes de la 30e Conférence sur le Traitement Automatique des Langues Naturelles",
)
"""Venue names that are no preprint server (kg documents that a "journal" such as arXiv,
CoRR or SSRN is not a venue)."""


@st.composite
def works(draw: st.DrawFn) -> Work:
    kind = draw(st.sampled_from(Kind))
    title = draw(titles)
    if draw(st.integers(0, 5)) == 0:
        title = f"{title} {draw(title_specials)}"
    text_urls = draw(st.one_of(st.none(), abstracts()))
    abstract, urls = text_urls if text_urls is not None else (None, ())
    return Work(
        kind=kind,
        title=title,
        authors=tuple(draw(st.lists(authors(), min_size=1, max_size=5))),
        abstract=abstract,
        abstract_urls=urls,
        date=draw(st.one_of(st.none(), dates())),
        doi=draw(st.one_of(st.none(), dois())),
        pages=draw(st.one_of(st.none(), pages)),
        url=draw(st.one_of(st.none(), web_urls())),
        venue=(
            draw(st.sampled_from(PERIODICALS))
            if kind in WITH_PERIODICAL
            else draw(st.sampled_from(BOOKS))
            if kind in WITH_BOOK
            else None
        ),
        volume=draw(st.one_of(st.none(), _number)) if kind in WITH_PERIODICAL else None,
        issue=draw(st.one_of(st.none(), _number)) if kind in WITH_PERIODICAL else None,
        degree=draw(st.sampled_from(["PhD", "Master's", None])) if kind is Kind.THESIS else None,
    )


def _folded(text: str) -> str:
    """Letters and digits only, without accents or case: two titles equal under this are
    kept apart, so kg's merge of same-title works never joins two generated works."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed.casefold() if c.isalnum())


corpora = st.lists(
    works(),
    min_size=1,
    max_size=4,
    unique_by=(lambda w: _folded(w.title), lambda w: (w.doi or w.title).lower()),
)
"""Works that are different works: distinct titles (so none merges with another by title
and authors) and distinct DOIs."""
