"""Plain records that readers produce: no RDF, no identity decisions.

Readers turn input files into these; ``kg.corpus`` merges them and ``kg.mapping`` turns the
merged result into triples. Every optional field is already normalised (see ``kg.fields``),
so records from a BibTeX file, a CSL-JSON file and a text list compare as equals.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from enum import StrEnum
from operator import attrgetter
from typing import Any, TypeVar

import orjson

_Record = TypeVar("_Record", bound=type)


def _pickled_by_fields(cls: _Record) -> _Record:
    """Pickle ``cls`` (a frozen dataclass with slots) as its class and field values.

    Readers send every record to the build's process; the state functions that dataclasses
    give such classes look their fields up again for each object, and took two thirds of
    that time (10k papers: 0.57 s to pickle, 0.61 s to unpickle, against 0.20 and 0.26)."""
    values = attrgetter(*(each.name for each in fields(cls)))

    def __reduce__(self: object) -> tuple[type, tuple[object, ...]]:
        return cls, values(self)

    cls.__reduce__ = __reduce__  # type: ignore[assignment,method-assign]
    return cls


@_pickled_by_fields
@dataclass(frozen=True, order=True, slots=True)
class SourceLocation:
    """Where a record came from: the file name (not its folder) and the 1-based line."""

    file_name: str
    line: int

    def __str__(self) -> str:
        return f"{self.file_name}:{self.line}"


@_pickled_by_fields
@dataclass(frozen=True, slots=True)
class PersonName:
    """A name exactly as one source printed it (NFC), split into family and given parts.

    An organisation ("{World Health Organization}" in BibTeX, a ``literal`` name in
    CSL-JSON) is all ``family`` with an empty ``given`` and ``organization`` set.
    """

    family: str
    given: str
    organization: bool = False

    @property
    def display(self) -> str:
        """Natural order, "Given Family", as people read it."""
        return f"{self.given} {self.family}" if self.given else self.family

    @property
    def printed(self) -> str:
        """The source's own form, "Family, Given"."""
        return f"{self.family}, {self.given}" if self.given else self.family


class WorkType(StrEnum):
    """What kind of work a record is; each maps to one schema.org class.

    Sources with finer kinds fold into these (BibTeX ``@inproceedings`` is an article in a
    book of proceedings; ``@mastersthesis`` a thesis with ``degree`` "Master's").
    """

    ARTICLE = "article"
    CHAPTER = "chapter"
    BOOK = "book"
    THESIS = "thesis"
    REPORT = "report"


class VenueKind(StrEnum):
    """A journal (or other periodical) or a book a work appears in (proceedings, a
    collection)."""

    PERIODICAL = "periodical"
    BOOK = "book"


@_pickled_by_fields
@dataclass(frozen=True, order=True, slots=True)
class Venue:
    """Where a work appeared: "Nature" (a periodical), "Proceedings of ACL 2023" (a book)."""

    kind: VenueKind
    name: str


@_pickled_by_fields
@dataclass(frozen=True, slots=True)
class PaperRecord:
    """One work as one source states it.

    ``abstract`` is already cleaned of LaTeX markup. Optional fields are normalised by the
    reader with ``kg.fields``: ``date`` is ISO 8601 at the precision the source gives
    ("2023", "2023-05" or "2023-05-17"), ``doi`` lower-case without resolver ("10.1/x"),
    ``arxiv`` the bare identifier without version ("2301.01234", "hep-th/9901001"),
    ``pages`` with "-" between first and last page.
    """

    title: str
    authors: tuple[PersonName, ...]
    abstract: str | None
    source: SourceLocation
    work_type: WorkType | None = None
    """None when the source does not say (a text list): an article, unless another source
    of the same work says otherwise."""
    date: str | None = None
    doi: str | None = None
    arxiv: str | None = None
    venue: Venue | None = None
    volume: str | None = None
    issue: str | None = None
    pages: str | None = None
    keywords: tuple[str, ...] = ()
    url: str | None = None
    degree: str | None = None
    """For a thesis: "PhD" or "Master's", as ``schema:inSupportOf`` states it."""
    authors_truncated: bool = False
    """The source printed "and others" / "et al." after ``authors``."""


@dataclass(frozen=True, order=True)
class SkippedEntry:
    """An entry a reader could not take (with ``--keep-going``, the build goes on without
    it); ``reason`` says what is wrong with it."""

    source: SourceLocation
    reason: str

    def __str__(self) -> str:
        return f"{self.source}: {self.reason}"


@dataclass(frozen=True, order=True)
class InputNote:
    """Something a reader noticed in a valid entry that the file's author may not have
    meant (a text list's names in "Given Family" order); the build prints it."""

    source: SourceLocation
    message: str

    def __str__(self) -> str:
        return f"{self.source}: {self.message}"


@dataclass(frozen=True)
class PublicationList:
    """One input file: its owner (a text list's line 1; BibTeX and CSL-JSON files have
    none), its works in file order, the entries that could not be read, and notes on
    entries that were read but may not mean what their author meant."""

    file_name: str
    owner: PersonName | None
    papers: tuple[PaperRecord, ...]
    skipped: tuple[SkippedEntry, ...] = field(default=())
    notes: tuple[InputNote, ...] = field(default=())


RECORDS_FORMAT = 4
"""Bumped whenever the records change shape, so a build cache of lists read by an older kg
is read again instead of misread."""


def list_to_json(publication_list: PublicationList) -> str:
    """``publication_list`` as JSON, for the build cache of lists already read. orjson
    writes dataclasses and enumerations itself (10k papers' lists: 0.2 s, against 0.5 s for
    the standard library's encoder and 1.6 s with ``asdict``)."""
    return orjson.dumps(publication_list).decode("utf-8")


def list_from_json(text: str) -> PublicationList:
    """The list :func:`list_to_json` wrote."""
    data = orjson.loads(text)
    owner = data["owner"]
    return PublicationList(
        file_name=data["file_name"],
        owner=PersonName(**owner) if owner is not None else None,
        papers=tuple(_paper_from_json(paper) for paper in data["papers"]),
        skipped=tuple(
            SkippedEntry(SourceLocation(**entry["source"]), entry["reason"])
            for entry in data["skipped"]
        ),
        notes=tuple(
            InputNote(SourceLocation(**note["source"]), note["message"]) for note in data["notes"]
        ),
    )


def _paper_from_json(paper: dict[str, Any]) -> PaperRecord:
    venue = paper["venue"]
    return PaperRecord(
        **{
            **paper,
            "authors": tuple(PersonName(**name) for name in paper["authors"]),
            "source": SourceLocation(**paper["source"]),
            "work_type": WorkType(paper["work_type"]) if paper["work_type"] else None,
            "venue": Venue(VenueKind(venue["kind"]), venue["name"]) if venue else None,
            "keywords": tuple(paper["keywords"]),
        }
    )
