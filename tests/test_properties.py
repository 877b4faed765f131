"""Property tests over the hard cases of real bibliographies (issue 15): generated works
(tests/strategies.py) are written in each input format by writers of this module, built
with kg, and the graph kg wrote (graph.nt, read with rdflib) must hold exactly the
generated values; ``kg export`` to BibTeX and CSL-JSON must give them back too.

Expected values come from the generated data and the normalisations the README documents
(DOIs in lower case, page ranges with "-", particles and suffixes in the family name, NFC),
never from kg's own reading of the input.
"""

from __future__ import annotations

import html
import json
import re
import tempfile
import unicodedata
from collections.abc import Callable
from functools import cache
from pathlib import Path
from urllib.parse import quote

import pytest
from bibtexparser.entrypoint import parse_string
from bibtexparser.middlewares.names import (
    parse_single_name_into_parts,
    split_multiple_persons_names,
)
from csl_processors import shown
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pylatexenc.latex2text import LatexNodes2Text, MacroTextSpec, get_default_latex_context_db
from rdflib import Graph, Literal, Node, URIRef
from rdflib.collection import Collection
from rdflib.namespace import RDF, RDFS
from strategies import Author, Kind, Work, corpora

from kg.bibliography.export import export_bibliography
from kg.iris import IriScheme
from kg.namespaces import BIBO, FOAF, PROV, SCHEMA
from kg.pipeline import build, load_corpus
from kg.sources.csljson import read_csl_json

# --- the writers ---------------------------------------------------------------------------


def text_list(works: list[Work], decompose: bool) -> str:
    """kg's text list (README "Plain-text publication lists"). It holds titles, authors
    and abstracts only, and no organisation: an organisation is written as a person known
    by one name ("World Health Organization,"). Names hold no comma: it separates names."""
    lines = [_listed(works[0].authors[0])]
    for work in works:
        authors = ", ".join(_listed(author) for author in work.authors)
        lines += ["", work.title, authors, work.abstract or ""]
    text = "\n".join(lines) + "\n"
    return unicodedata.normalize("NFD", text) if decompose else text


def _listed(author: Author) -> str:
    return f"{author.full_family}, {author.given}"


_TEX_SPECIALS = {
    "\\": "{\\textbackslash}",
    "{": "\\{",
    "}": "\\}",
    "&": "\\&",
    "%": "\\%",
    "$": "\\$",
    "#": "\\#",
    "_": "\\_",
    "~": "{\\textasciitilde}",
    "^": "{\\textasciicircum}",
}
_ACCENTS = {
    "é": "{\\'e}",
    "è": "{\\`e}",
    "ü": '{\\"u}',
    "ö": '{\\"o}',
    "ñ": "{\\~n}",
    "ç": "{\\c{c}}",
    "Š": "{\\v{S}}",
    "š": "{\\v{s}}",
    "ø": "{\\o}",
    "ß": "{\\ss}",
    "å": "{\\aa}",
    "ł": "{\\l}",
    "Ł": "{\\L}",
}
# TeX's ligatures ("--" is an en dash, "``" and "''" are curly quotes, "!`" is ¡): a brace
# group between the characters keeps them apart, as a BibTeX author writes "-{}-".
_LIGATURE = re.compile(r"-(?=-)|`(?=`)|'(?=')|[!?](?=`)")


def latex(text: str, accents: bool) -> str:
    """``text`` as LaTeX that means ``text``: TeX's special characters escaped, ligatures
    broken, and (with ``accents``) accented letters as accent macros."""
    text = _LIGATURE.sub(lambda m: m.group() + "\x00", text)
    out = []
    for char in text:
        if char in _TEX_SPECIALS:
            out.append(_TEX_SPECIALS[char])
        elif accents and char in _ACCENTS:
            out.append(_ACCENTS[char])
        else:
            out.append(char)
    return "".join(out).replace("\x00", "{}")


_AND = re.compile(r"\band\b", re.IGNORECASE)


def _name_part(text: str, accents: bool) -> str:
    """A part holding the word "and" is braced, or BibTeX splits the name list there."""
    escaped = latex(text, accents)
    return "{" + escaped + "}" if _AND.search(text) else escaped


def bibtex_name(author: Author, form: int, accents: bool) -> str:
    """One of BibTeX's name forms: "von Last, Jr, First", "von Last, First" or, when the
    parts allow it, "First von Last" (a one-word last name, no Jr part)."""
    if author.organization:
        return "{" + latex(author.family, accents) + "}"
    von = f"{author.particle} " if author.particle else ""
    last = von + _name_part(author.family, accents)
    given = _name_part(author.given, accents)
    if author.suffix:
        return f"{last}, {author.suffix}, {given or '{}'}"
    # "First von Last" tells the parts apart by case. bibtexparser 2.1 reads "de Gaulle" as
    # first name "de" and "{\L}a A. Aa" as von "{\L}a" (BibTeX reads a von part and a first
    # name): that form is written only with a first name and without accent macros.
    if form == 0 and " " not in author.family and author.given and not accents:
        return f"{given} {last}"
    return f"{last}, {given or '{}'}"


_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_FULL_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August")
_FULL_MONTHS += ("September", "October", "November", "December")


def _bibtex_date(date: tuple[int, ...], form: int) -> list[str]:
    if form == 0:
        return ["date = {" + "-".join(f"{p:02d}" for p in date) + "}"]
    fields = [f"year = {date[0]}" if form == 1 else f"year = {{{date[0]}}}"]
    if len(date) > 1:
        month = (_MONTHS[date[1] - 1], f"{{{date[1]}}}", f"{{{_FULL_MONTHS[date[1] - 1]}}}")
        fields.append(f"month = {month[form % 3]}")
    if len(date) > 2:
        fields.append(f"day = {{{date[2]}}}")
    return fields


_BIBTEX_TYPES = {
    Kind.JOURNAL_ARTICLE: ("article", "misc"),
    Kind.PROCEEDINGS_PAPER: ("inproceedings", "conference"),
    Kind.CHAPTER: ("incollection", "inbook"),
    Kind.PREPRINT: ("misc", "unpublished", "online", "article"),
    Kind.BOOK: ("book", "proceedings"),
    Kind.REPORT: ("techreport", "report"),
}
_THESIS_TYPES = {
    "PhD": ("phdthesis", "PhD thesis", "Ph.D. dissertation", "Doctoral thesis"),
    "Master's": ("mastersthesis", "Master's thesis", "MSc thesis", "M.Sc. thesis"),
}
_DASHES = ("--", "-", "–", " -- ", "—", "{\\textendash}")


def doi_link(doi: str) -> str:
    """A DOI as a resolver link, percent-encoded per the DOI Handbook (RFC 3986 ``pchar``)."""
    return "https://doi.org/" + quote(doi, safe="/!$&'()*+,;=:@-._~")


def _written_doi(doi: str, form: int) -> str:
    return (doi, f"doi:{doi}", doi_link(doi), "http://dx." + doi_link(doi)[8:])[form % 4]


def bibtex_entry(work: Work, key: str, draw: Callable[[st.SearchStrategy[int]], int]) -> str:
    """``work`` as one BibTeX entry, each field in one of the forms exporters write."""
    accents = bool(draw(st.integers(0, 1)))
    pick = lambda n: draw(st.integers(0, n - 1))  # noqa: E731
    fields = [
        "author = {" + " and ".join(bibtex_name(a, pick(2), accents) for a in work.authors) + "}",
        ("title = {{{}}}" if pick(2) else "title = {{{{{}}}}}").format(latex(work.title, accents)),
    ]
    if work.kind is Kind.THESIS:
        entry_type = "thesis"
        if work.degree is not None:
            names = _THESIS_TYPES[work.degree]
            choice = pick(len(names))
            if choice == 0:
                entry_type = names[0]
            else:
                fields.append(f"type = {{{names[choice]}}}")
    else:
        types = _BIBTEX_TYPES[work.kind]
        entry_type = types[pick(len(types))]
    if work.venue is not None:
        name = "journal" if work.kind is Kind.JOURNAL_ARTICLE else "booktitle"
        fields.append(f"{name} = {{{latex(work.venue, accents)}}}")
    if work.volume is not None:
        fields.append(f"volume = {{{work.volume}}}")
    if work.issue is not None:
        fields.append(f"number = {work.issue}" if pick(2) else f"number = {{{work.issue}}}")
    if work.pages is not None:
        written = work.pages if isinstance(work.pages, str) else _DASHES[pick(6)].join(work.pages)
        fields.append(f"pages = {{{written}}}")
    if work.date is not None:
        fields += _bibtex_date(work.date, pick(3))
    doi_in_url = work.doi is not None and work.url is None and pick(3) == 0
    if work.doi is not None and not doi_in_url:
        written = _written_doi(work.doi, pick(4))
        if pick(2):  # dblp escapes underscores
            written = written.replace("_", "\\_")
        fields.append(f"doi = {{{written}}}")
    if work.url is not None or doi_in_url:
        fields.append(f"url = {{{work.url or doi_link(work.doi or '')}}}")
    if work.abstract is not None:
        fields.append(f"abstract = {{{latex(work.abstract, accents)}}}")
    return f"@{entry_type}{{{key},\n  " + ",\n  ".join(fields) + "\n}\n"


_CSL_TYPES = {
    Kind.JOURNAL_ARTICLE: ("article-journal", "article-magazine", "article-newspaper", "review"),
    Kind.PROCEEDINGS_PAPER: ("paper-conference",),
    Kind.CHAPTER: ("chapter", "entry-encyclopedia", "entry-dictionary"),
    Kind.PREPRINT: ("article", "manuscript", "post"),
    Kind.BOOK: ("book",),
    Kind.THESIS: ("thesis", "dissertation"),
    Kind.REPORT: ("report",),
}
_GENRES = {
    "PhD": ("PhD thesis", "Doctoral dissertation", "Ph.D. thesis"),
    "Master's": ("Master's thesis", "MSc thesis"),
}


def rich_text(text: str) -> str:
    """CSL-JSON titles and abstracts are rich text (HTML-like tags, entities): ``&``, ``<``
    and ``>`` stand for themselves only as entities."""
    return html.escape(text, quote=False)


def csl_name(author: Author, form: int) -> dict[str, str]:
    if author.organization:
        return {"literal": author.family}
    name: dict[str, str] = {}
    if author.particle and form % 3 == 1:
        name["non-dropping-particle"] = author.particle
        name["family"] = author.family
    elif author.particle and form % 3 == 2:
        name["dropping-particle"] = author.particle
        name["family"] = author.family
    else:
        name["family"] = f"{author.particle} {author.family}".strip()
    if author.suffix:
        name["suffix"] = author.suffix
    if author.given or form % 2:
        name["given"] = author.given
    return name


def csl_item(work: Work, key: str, draw: Callable[[st.SearchStrategy[int]], int]) -> object:
    pick = lambda n: draw(st.integers(0, n - 1))  # noqa: E731
    types = _CSL_TYPES[work.kind]
    item: dict[str, object] = {
        "id": key,
        "type": types[pick(len(types))],
        "title": rich_text(work.title),
        "author": [csl_name(a, pick(6)) for a in work.authors],
    }
    if work.degree is not None:
        item["genre"] = _GENRES[work.degree][pick(len(_GENRES[work.degree]))]
    if work.venue is not None:
        item["container-title"] = rich_text(work.venue)
    for name, value in (("volume", work.volume), ("issue", work.issue)):
        if value is not None:
            item[name] = int(value) if pick(2) else value
    if work.pages is not None:
        item["page"] = (
            work.pages
            if isinstance(work.pages, str)
            else ("-", "–", "--")[pick(3)].join(work.pages)
        )
    if work.date is not None:
        parts: list[object] = list(work.date) if pick(2) else [str(p) for p in work.date]
        raw = "-".join(f"{p:02d}" for p in work.date)
        item["issued"] = {"raw": raw} if pick(3) == 0 else {"date-parts": [parts]}
    doi_in_url = work.doi is not None and work.url is None and pick(3) == 0
    if work.doi is not None and not doi_in_url:
        item["DOI"] = _written_doi(work.doi, pick(4))
    if work.url is not None or doi_in_url:
        item["URL"] = work.url or doi_link(work.doi or "")
    if work.abstract is not None:
        item["abstract"] = rich_text(work.abstract)
    return item


# --- reading the graph ---------------------------------------------------------------------

WORK_CLASSES = {
    SCHEMA.ScholarlyArticle,
    SCHEMA.Chapter,
    SCHEMA.Book,
    SCHEMA.Thesis,
    SCHEMA.Report,
}
_KIND_CLASSES = {
    Kind.JOURNAL_ARTICLE: SCHEMA.ScholarlyArticle,
    Kind.PROCEEDINGS_PAPER: SCHEMA.ScholarlyArticle,
    Kind.PREPRINT: SCHEMA.ScholarlyArticle,
    Kind.CHAPTER: SCHEMA.Chapter,
    Kind.BOOK: SCHEMA.Book,
    Kind.THESIS: SCHEMA.Thesis,
    Kind.REPORT: SCHEMA.Report,
}
_XSD = "http://www.w3.org/2001/XMLSchema#"
_DATE_TYPES = {n: URIRef(_XSD + name) for n, name in ((1, "gYear"), (2, "gYearMonth"), (3, "date"))}
"""pytest inspects module globals; rdflib's closed XSD namespace warns when it does."""


def values(graph: Graph, subject: Node, predicate: URIRef) -> set[Node]:
    return set(graph.objects(subject, predicate))


def expected_pages(work: Work) -> str | None:
    """README: "`--` and dashes become `-`"."""
    if work.pages is None or isinstance(work.pages, str):
        return work.pages
    return "-".join(work.pages)


def check_graph(graph: Graph, works: list[Work], rich: bool) -> None:
    """Every generated work is one paper holding exactly the generated values; ``rich``:
    the format holds more than title, authors and abstract (not a text list)."""
    papers = {
        str(t): p
        for p, t in graph.subject_objects(SCHEMA.name)
        if (p, RDF.type, BIBO.Document) in graph
    }
    assert len(papers) == len(works), sorted(papers)
    for work in works:
        assert work.title in papers, (work.title, sorted(papers))
        paper = papers[work.title]
        check_paper(graph, paper, work, rich)


def check_paper(graph: Graph, paper: Node, work: Work, rich: bool) -> None:
    kind = _KIND_CLASSES[work.kind] if rich else SCHEMA.ScholarlyArticle
    assert values(graph, paper, RDF.type) == {BIBO.Document, kind}
    assert values(graph, paper, SCHEMA.name) == {Literal(work.title)}
    abstract = {Literal(work.abstract)} if work.abstract is not None else set()
    assert values(graph, paper, SCHEMA.abstract) == abstract
    check_authors(graph, paper, work.authors, rich)
    see_also = {URIRef(url) for url in work.abstract_urls}
    if not rich:
        for name, predicate in [("date", SCHEMA.datePublished), ("doi", BIBO.doi)]:
            assert values(graph, paper, predicate) == set(), name
        assert values(graph, paper, RDFS.seeAlso) == see_also
        return
    date = work.iso_date
    assert values(graph, paper, SCHEMA.datePublished) == (
        {Literal(date, datatype=_DATE_TYPES[len(work.date or ())])} if date else set()
    )
    doi = work.doi.lower() if work.doi is not None else None
    assert values(graph, paper, BIBO.doi) == ({Literal(doi)} if doi else set())
    assert values(graph, paper, SCHEMA.identifier) == ({Literal(f"doi:{doi}")} if doi else set())
    assert values(graph, paper, SCHEMA.sameAs) == ({URIRef(doi_link(doi))} if doi else set())
    assert values(graph, paper, RDFS.seeAlso) == see_also
    pages = expected_pages(work)
    assert values(graph, paper, SCHEMA.pagination) == ({Literal(pages)} if pages else set())
    assert values(graph, paper, SCHEMA.url) == ({URIRef(work.url)} if work.url else set())
    assert values(graph, paper, BIBO.volume) == ({Literal(work.volume)} if work.volume else set())
    assert values(graph, paper, BIBO.issue) == ({Literal(work.issue)} if work.issue else set())
    degree = {Literal(work.degree)} if work.degree else set()
    assert values(graph, paper, SCHEMA.inSupportOf) == degree
    venues = values(graph, paper, SCHEMA.isPartOf)
    if work.venue is None:
        assert venues == set()
    else:
        venue_class = SCHEMA.Periodical if work.kind is Kind.JOURNAL_ARTICLE else SCHEMA.Book
        [venue] = venues
        assert values(graph, venue, SCHEMA.name) == {Literal(work.venue)}
        assert values(graph, venue, RDF.type) == {venue_class}


def check_authors(graph: Graph, paper: Node, authors: tuple[Author, ...], rich: bool) -> None:
    """The author list and the authorship nodes in the generated order, each person with
    the generated given and family names (or, when kg merged spellings of one person, the
    generated spelling among its names), each authorship with the name as printed."""
    [head] = values(graph, paper, BIBO.authorList)
    people = list(Collection(graph, head))
    assert len(people) == len(authors)
    nodes = {
        int(next(iter(values(graph, node, SCHEMA.position)))): node
        for node in values(graph, paper, PROV.qualifiedAttribution)
    }
    assert sorted(nodes) == list(range(1, len(authors) + 1))
    for position, (person, author) in enumerate(zip(people, authors, strict=True), 1):
        node = nodes[position]
        assert values(graph, node, PROV.agent) == {person}
        assert Literal(author.printed) in values(graph, node, SCHEMA.name)
        organization = author.organization and rich
        kinds = (
            {SCHEMA.Organization, FOAF.Organization}
            if organization
            else {
                SCHEMA.Person,
                FOAF.Person,
            }
        )
        assert values(graph, person, RDF.type) == kinds
        display = f"{author.given} {author.full_family}".strip()
        names = values(graph, person, SCHEMA.name) | values(graph, person, SCHEMA.alternateName)
        assert Literal(display) in names, (display, names)
        if organization:
            continue
        given = {Literal(author.given)} if author.given else set()
        split = (values(graph, person, SCHEMA.givenName), values(graph, person, SCHEMA.familyName))
        if Literal(display) in values(graph, person, SCHEMA.name):
            assert split == (given, {Literal(author.full_family)})


# --- the exports ---------------------------------------------------------------------------


@cache
def _decoder() -> LatexNodes2Text:
    """pylatexenc, but with ``\\textasciicircum`` as LaTeX prints it, a caret (pylatexenc
    gives the modifier letter U+02C6)."""
    context = get_default_latex_context_db()
    context.add_context_category(
        "caret", prepend=True, macros=[MacroTextSpec("textasciicircum", "^")]
    )
    return LatexNodes2Text(latex_context=context)


def from_latex(text: str) -> str:
    """What LaTeX makes of a field's text, read by pylatexenc (kg reads BibTeX with its own
    converter, ``kg.text``)."""
    return _decoder().latex_to_text(text)


_EXPORTED_BIBTEX_TYPES = {
    Kind.JOURNAL_ARTICLE: "article",
    Kind.PROCEEDINGS_PAPER: "inproceedings",
    Kind.CHAPTER: "incollection",
    Kind.PREPRINT: "misc",
    Kind.BOOK: "book",
    Kind.REPORT: "techreport",
}
_EXPORTED_THESES = {"PhD": "phdthesis", "Master's": "mastersthesis", None: "thesis"}


def check_bibtex_export(text: str, works: list[Work], rich: bool) -> None:
    library = parse_string(text)
    assert not library.failed_blocks
    entries = {from_latex(e.fields_dict["title"].value): e for e in library.entries}
    assert len(entries) == len(works)
    for work in works:
        entry = entries[work.title]
        fields = {k.lower(): f.value for k, f in entry.fields_dict.items()}
        if not rich:
            assert entry.entry_type == "misc"
        elif work.kind is Kind.THESIS:
            assert entry.entry_type == _EXPORTED_THESES[work.degree]
        else:
            assert entry.entry_type == _EXPORTED_BIBTEX_TYPES[work.kind]
        names = split_multiple_persons_names(fields.pop("author"))
        assert len(names) == len(work.authors)
        for name, author in zip(names, work.authors, strict=True):
            parts = parse_single_name_into_parts(name)
            family = from_latex(" ".join(parts.von + parts.last + parts.jr))
            if author.organization and rich:
                assert name.startswith("{") and name.endswith("}")
            assert (from_latex(" ".join(parts.first)), family) == (
                author.given,
                author.full_family,
            )
        expected: dict[str, str] = {"title": work.title}
        if work.abstract is not None:
            expected["abstract"] = work.abstract
        if rich:
            expected |= bibtex_fields(work)
        fields.pop("title")
        decoded = {
            name: value if name in ("doi", "url", "month", "date", "year") else from_latex(value)
            for name, value in fields.items()
        }
        decoded["title"] = from_latex(entry.fields_dict["title"].value)
        assert decoded == expected


def bibtex_fields(work: Work) -> dict[str, str]:
    """README "BibTeX and CSL-JSON out": venue, volume, number, pages with "--", year,
    month as the macro, date for a full date, DOI and URL verbatim."""
    fields: dict[str, str] = {}
    if work.venue is not None:
        fields["journal" if work.kind is Kind.JOURNAL_ARTICLE else "booktitle"] = work.venue
    if work.volume is not None:
        fields["volume"] = work.volume
    if work.issue is not None:
        fields["number"] = work.issue
    pages = expected_pages(work)
    if pages is not None:
        fields["pages"] = from_latex(pages.replace("-", "--"))
    if work.date is not None:
        fields["year"] = str(work.date[0])
        if len(work.date) > 1:
            fields["month"] = _MONTHS[work.date[1] - 1]
        if len(work.date) > 2:
            fields["date"] = work.iso_date or ""
    if work.doi is not None:
        fields["doi"] = work.doi.lower()
    if work.url is not None:
        fields["url"] = work.url
    return fields


_EXPORTED_CSL_TYPES = {
    Kind.JOURNAL_ARTICLE: "article-journal",
    Kind.PROCEEDINGS_PAPER: "paper-conference",
    Kind.CHAPTER: "chapter",
    Kind.PREPRINT: "article",
    Kind.BOOK: "book",
    Kind.THESIS: "thesis",
    Kind.REPORT: "report",
}


def check_csl_export(text: str, works: list[Work], rich: bool) -> None:
    """The items hold the generated values, as a CSL processor shows their rich text."""
    items = {shown(item["title"]): item for item in json.loads(text)}
    assert len(items) == len(works)
    for work in works:
        item = dict(items[work.title])
        del item["id"]
        for field in ("title", "abstract", "container-title"):
            if field in item:
                item[field] = shown(item[field])
        expected: dict[str, object] = {
            "type": _EXPORTED_CSL_TYPES[work.kind] if rich else "article",
            "title": work.title,
            "author": [exported_csl_name(a, rich) for a in work.authors],
        }
        if work.abstract is not None:
            expected["abstract"] = work.abstract
        if rich:
            optional = {
                "genre": f"{work.degree} thesis" if work.degree else None,
                "container-title": work.venue,
                "volume": work.volume,
                "issue": work.issue,
                "page": expected_pages(work),
                "issued": {"date-parts": [list(work.date)]} if work.date else None,
                "DOI": work.doi.lower() if work.doi else None,
                "URL": work.url,
            }
            expected |= {k: v for k, v in optional.items() if v is not None}
        assert item == expected


def exported_csl_name(author: Author, rich: bool) -> dict[str, str]:
    if author.organization and rich:
        return {"literal": author.family}
    name = {"family": author.full_family}
    if author.given:
        name["given"] = author.given
    return name


def check_csl_read_back(exported: Path, works: list[Work], rich: bool) -> None:
    """kg reads its CSL-JSON export back as the generated text: titles, abstracts, venues."""
    back = read_csl_json(exported)
    assert back.skipped == ()
    assert {
        paper.title: (paper.abstract, paper.venue.name if paper.venue is not None else None)
        for paper in back.papers
    } == {work.title: (work.abstract, work.venue if rich else None) for work in works}


# --- the properties ------------------------------------------------------------------------


def build_and_check(folder: Path, name: str, text: str, works: list[Work], rich: bool) -> None:
    source = folder / name
    source.write_text(text, encoding="utf-8")
    build([source], folder / "exports", IriScheme())
    nt = folder / "exports" / "graph.nt"
    graph = Graph()
    graph.parse(nt, format="nt")
    check_graph(graph, works, rich)
    check_bibtex_export(export_bibliography([nt], "bibtex").text, works, rich)
    csl = export_bibliography([nt], "csl-json").text
    check_csl_export(csl, works, rich)
    check_csl_read_back(_written(folder / "works-out.json", csl), works, rich)


_SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@_SETTINGS
@given(works=corpora, decompose=st.booleans())
def test_text_lists(works: list[Work], decompose: bool) -> None:
    with tempfile.TemporaryDirectory() as folder:
        build_and_check(Path(folder), "works.txt", text_list(works, decompose), works, False)


@_SETTINGS
@given(works=corpora, data=st.data())
def test_bibtex(works: list[Work], data: st.DataObject) -> None:
    text = "".join(bibtex_entry(w, f"w{i}", data.draw) for i, w in enumerate(works))
    with tempfile.TemporaryDirectory() as folder:
        build_and_check(Path(folder), "works.bib", text, works, True)


@_SETTINGS
@given(works=corpora, data=st.data())
def test_csl_json(works: list[Work], data: st.DataObject) -> None:
    items = [csl_item(w, f"w{i}", data.draw) for i, w in enumerate(works)]
    with tempfile.TemporaryDirectory() as folder:
        text = json.dumps(items, ensure_ascii=False, indent=1)
        build_and_check(Path(folder), "works.json", text, works, True)


# --- the bugs these properties found, as fixed examples --------------------------------------

WILEY_DOI = "10.1002/(sici)1097-4571(199806)49:8<693::aid-asi4>3.0.co;2-0"


@pytest.mark.parametrize("field", ["doi", "url"])
def test_a_percent_encoded_doi_link_gives_the_doi(tmp_path: Path, field: str) -> None:
    """A doi.org link is a URL: ``<`` in the DOI is ``%3C`` there (kg's own sameAs link
    writes it so), and reading the link back must give the DOI, not ``…%3c693…``."""
    link = doi_link(WILEY_DOI.upper())
    assert "%3C" in link
    source = tmp_path / "wiley.bib"
    source.write_text(
        f"@article{{w, title = {{T}}, author = {{Doe, Jane}}, {field} = {{{link}}}}}\n", "utf-8"
    )
    [paper] = load_corpus([source]).papers
    assert paper.doi == WILEY_DOI


def test_exported_bibtex_keeps_two_hyphens_and_two_quotes(tmp_path: Path) -> None:
    """``--`` in a title is an en dash to LaTeX and ``''`` a closing quote: the export breaks
    the ligatures (``-{}-``) so LaTeX and any BibTeX reader see what the graph holds."""
    title = "BERT -- pre-training, ``deep'' and ---more?`"
    source = tmp_path / "one.txt"
    source.write_text(f"Doe, Jane\n{title}\nDoe, Jane\n\n", "utf-8")
    build([source], tmp_path / "exports", IriScheme())
    text = export_bibliography([tmp_path / "exports" / "graph.nt"], "bibtex").text
    [entry] = parse_string(text).entries
    assert from_latex(entry.fields_dict["title"].value) == title
    assert [p.title for p in load_corpus([_written(tmp_path / "back.bib", text)]).papers] == [title]


def _written(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path
