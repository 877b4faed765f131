"""Plain records that readers produce: no RDF, no identity decisions.

Readers turn input files into these; ``kg.corpus`` merges them and ``kg.mapping`` turns the
merged result into triples.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass


@dataclass(frozen=True, order=True)
class SourceLocation:
    """Where a record came from: the file name (not its folder) and the 1-based line."""

    file_name: str
    line: int

    def __str__(self) -> str:
        return f"{self.file_name}:{self.line}"


@dataclass(frozen=True)
class PersonName:
    """A name exactly as one source printed it (NFC), split into family and given parts."""

    family: str
    given: str

    @property
    def display(self) -> str:
        """Natural order, "Given Family", as people read it."""
        return f"{self.given} {self.family}" if self.given else self.family

    @property
    def printed(self) -> str:
        """The source's own form, "Family, Given"."""
        return f"{self.family}, {self.given}" if self.given else self.family


@dataclass(frozen=True)
class PaperRecord:
    """One paper as one list states it; ``abstract`` is already cleaned of LaTeX markup."""

    title: str
    authors: tuple[PersonName, ...]
    abstract: str | None
    source: SourceLocation


@dataclass(frozen=True)
class PublicationList:
    """One input list: its owner and its papers, in file order."""

    file_name: str
    owner: PersonName
    papers: tuple[PaperRecord, ...]


def list_to_json(publication_list: PublicationList) -> str:
    """``publication_list`` as JSON, for the build cache of lists already read."""
    return json.dumps(asdict(publication_list), ensure_ascii=False)


def list_from_json(text: str) -> PublicationList:
    """The list :func:`list_to_json` wrote."""
    data = json.loads(text)
    return PublicationList(
        file_name=data["file_name"],
        owner=PersonName(**data["owner"]),
        papers=tuple(
            PaperRecord(
                title=paper["title"],
                authors=tuple(PersonName(**name) for name in paper["authors"]),
                abstract=paper["abstract"],
                source=SourceLocation(**paper["source"]),
            )
            for paper in data["papers"]
        ),
    )
