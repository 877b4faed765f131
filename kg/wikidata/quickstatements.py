"""QuickStatements V1 for what Wikidata lacks, never a duplicate.

* An ``unmatched`` paper gets a ``CREATE`` block: P31 its class (scholarly article, chapter,
  book, thesis, report), an English (or the configured language's) label, the P1476 title,
  P577 the date at the precision the sources gave, DOI and arXiv ID, and every author in
  order, as P50 when the person is matched, otherwise as a P2093 name string, each with its
  P1545 series ordinal.
  Papers that matched or wait for review get none: creating them could duplicate an item.
* A paper whose CREATE would name two authors by the same value is left out and reported:
  QuickStatements would merge the two into one statement.
* A ``matched`` paper gets only the author statements Wikidata lacks: P50 for a matched
  person whose authorship the item records only as a P2093 string (with P1932 "stated as"
  keeping the printed name), and nothing the item already states.

QuickStatements V1 does not escape: a tab, newline or ``|`` inside a value would break the
command, so values are flattened to single spaces. A string is everything between its first
and its last double quote, so inner quotes need no escaping.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Final

from kg.wikidata.local import LocalPaper
from kg.wikidata.lookup import SCHOLARLY_ARTICLE, Work
from kg.wikidata.matching import Alignment, name_agrees

_CLASSES: Final = {
    "Chapter": "Q1980247",
    "Book": "Q571",
    "Thesis": "Q1266946",
    "Report": "Q10870555",
}
"""Wikidata's class for each schema.org class of work other than ScholarlyArticle."""
_PRECISIONS: Final = {1: 9, 2: 10, 3: 11}
"""Wikidata's time precision for a date of 1 (year), 2 (month) or 3 (day) parts."""

_BREAKS: Final = re.compile(r"[\t\n\r\v\f|\u0085\u2028\u2029]+")


def quick_string(value: str) -> str:
    """``value`` as a QuickStatements string: quoted, on one line, without ``|`` or tabs."""
    return '"' + " ".join(_BREAKS.sub(" ", value).split()) + '"'


@dataclass(frozen=True)
class QuickStatements:
    text: str
    left_out: tuple[tuple[str, str], ...] = ()
    """(paper IRI, why) for papers that V1 cannot create faithfully: add those by hand."""


def quickstatements(
    papers: Sequence[LocalPaper],
    alignment: Mapping[str, Alignment],
    works: Mapping[str, Work],
    language: str = "en",
) -> QuickStatements:
    """The commands for every paper, in the order of ``papers`` (sorted by IRI)."""
    person_items = {
        iri: row.qid
        for iri, row in alignment.items()
        if row.kind == "person" and row.status == "matched" and row.qid
    }
    lines: list[str] = []
    left_out: list[tuple[str, str]] = []
    for paper in papers:
        row = alignment.get(paper.iri)
        if row is None or row.status == "review":
            continue
        if row.status == "unmatched":
            block = list(_create(paper, person_items, language))
            repeated = _repeated_value(block)
            if repeated:
                left_out.append((paper.iri, f"two authors would both be {repeated}"))
            else:
                lines.extend(block)
        elif row.qid is not None and row.qid in works:
            lines.extend(_missing_authors(paper, works[row.qid], person_items))
    return QuickStatements("".join(line + "\n" for line in lines), tuple(left_out))


def _repeated_value(block: Sequence[str]) -> str | None:
    """An author value that two lines of ``block`` share. QuickStatements merges a statement
    whose value exists into the existing one, so two authors printed alike ("Wei Wang",
    "Wei Wang") would become one author with two ordinals."""
    seen: set[tuple[str, str]] = set()
    for line in block:
        fields = line.split("\t")
        if len(fields) > 2 and fields[1] in ("P50", "P2093"):
            if (fields[1], fields[2]) in seen:
                return f"{fields[1]} {fields[2]}"
            seen.add((fields[1], fields[2]))
    return None


def _quick_time(date: str) -> str:
    """An ISO date at its precision as a QuickStatements time: "2023-05" is
    ``+2023-05-00T00:00:00Z/10``, unknown parts zero, as Wikidata writes them."""
    parts = [int(part) for part in date.split("-")]
    year, month, day = (*parts, 0, 0)[:3]
    return f"+{year:04d}-{month:02d}-{day:02d}T00:00:00Z/{_PRECISIONS[len(parts)]}"


def _create(paper: LocalPaper, person_items: Mapping[str, str], language: str) -> Iterable[str]:
    title = quick_string(paper.title)
    yield "CREATE"
    yield f"LAST\tP31\t{_CLASSES.get(paper.kind, SCHOLARLY_ARTICLE)}"
    yield f"LAST\tL{language}\t{title}"
    yield f"LAST\tP1476\t{language}:{title}"
    if paper.date is not None:
        yield f"LAST\tP577\t{_quick_time(paper.date)}"
    if paper.doi:
        yield f"LAST\tP356\t{quick_string(paper.doi.upper())}"
    if paper.arxiv:
        yield f"LAST\tP818\t{quick_string(paper.arxiv)}"
    for author in paper.authors:
        ordinal = quick_string(str(author.position))
        item = person_items.get(author.person.iri)
        if item is not None:
            yield f"LAST\tP50\t{item}\tP1545\t{ordinal}"
        else:
            name = quick_string(f"{author.person.given} {author.person.family}")
            yield f"LAST\tP2093\t{name}\tP1545\t{ordinal}"


def _missing_authors(
    paper: LocalPaper, work: Work, person_items: Mapping[str, str]
) -> Iterable[str]:
    """P50 statements for matched persons that ``work`` names only as P2093 strings."""
    stated = {a.item for a in work.authors if a.item is not None}
    for author in paper.authors:
        item = person_items.get(author.person.iri)
        if item is None or item in stated:
            continue
        as_string = [
            a
            for a in work.authors
            if a.item is None
            and a.ordinal == author.position
            and a.name
            and name_agrees(author.person, a.name)
        ]
        if len(as_string) != 1:
            continue  # the item does not record this authorship where we expect it: leave it
        ordinal = quick_string(str(author.position))
        yield (
            f"{work.qid}\tP50\t{item}\tP1545\t{ordinal}\tP1932\t{quick_string(as_string[0].name)}"
        )
