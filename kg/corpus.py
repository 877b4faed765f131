"""Merge publication lists into one corpus: one paper per paper, one person per person.

A paper listed by several co-authors becomes one paper that remembers every list and line it
came from; spellings of a name that differ only by accents, case, hyphens or spacing become
one person who keeps every spelling. Every choice here (which spelling is the name, which
slug an IRI gets) depends only on the set of inputs, never on their order.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import TypeVar

from kg.compression import plain_name
from kg.identity import PaperKey, PersonKey, assign_slugs, paper_key, person_key, slug
from kg.records import PaperRecord, PersonName, PublicationList, SourceLocation

T = TypeVar("T")


@dataclass(frozen=True)
class Person:
    key: PersonKey
    slug: str
    name: PersonName
    spellings: tuple[PersonName, ...]
    """Every printed spelling, the chosen ``name`` included, sorted."""


@dataclass(frozen=True)
class Authorship:
    position: int
    person: PersonKey
    printed: tuple[str, ...]
    """The name exactly as each source printed it at this position, sorted."""


@dataclass(frozen=True)
class Paper:
    key: PaperKey
    slug: str
    title: str
    other_titles: tuple[str, ...]
    abstract: str | None
    authorships: tuple[Authorship, ...]
    sources: tuple[SourceLocation, ...]


@dataclass(frozen=True)
class ListInfo:
    file_name: str
    slug: str
    owner: PersonKey
    papers: tuple[PaperKey, ...]


@dataclass(frozen=True)
class Corpus:
    persons: dict[PersonKey, Person]
    papers: tuple[Paper, ...]
    lists: tuple[ListInfo, ...]
    _papers_by_key: dict[PaperKey, Paper] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_papers_by_key", {paper.key: paper for paper in self.papers})

    def person(self, key: PersonKey) -> Person:
        return self.persons[key]

    def paper(self, key: PaperKey) -> Paper:
        return self._papers_by_key[key]


@dataclass
class _PaperSightings:
    titles: Counter[str] = field(default_factory=Counter)
    abstracts: set[str] = field(default_factory=set)
    printed: dict[int, set[str]] = field(default_factory=lambda: defaultdict(set))
    persons: tuple[PersonKey, ...] = ()
    sources: set[SourceLocation] = field(default_factory=set)


class CorpusBuilder:
    """Accumulates lists one at a time; ``finish`` resolves names and slugs."""

    def __init__(self) -> None:
        self._spellings: dict[PersonKey, Counter[PersonName]] = defaultdict(Counter)
        self._papers: dict[PaperKey, _PaperSightings] = defaultdict(_PaperSightings)
        self._lists: list[tuple[str, PersonKey, set[PaperKey]]] = []

    def add(self, publication_list: PublicationList) -> None:
        owner = self._see_person(publication_list.owner)
        paper_keys = {self._see_paper(record) for record in publication_list.papers}
        self._lists.append((publication_list.file_name, owner, paper_keys))

    def _see_person(self, name: PersonName) -> PersonKey:
        key = person_key(name)
        self._spellings[key][name] += 1
        return key

    def _see_paper(self, record: PaperRecord) -> PaperKey:
        key = paper_key(record.title, record.authors)
        sightings = self._papers[key]
        sightings.titles[record.title] += 1
        if record.abstract:
            sightings.abstracts.add(record.abstract)
        sightings.persons = tuple(self._see_person(author) for author in record.authors)
        for position, author in enumerate(record.authors, start=1):
            sightings.printed[position].add(author.printed)
        sightings.sources.add(record.source)
        return key

    def finish(self) -> Corpus:
        persons = _resolve_persons(self._spellings)
        papers = _resolve_papers(self._papers)
        paper_order = {paper.key: paper.slug for paper in papers}
        list_slugs = assign_slugs(
            {
                file_name: slug(PurePath(plain_name(PurePath(file_name))).stem)
                for file_name, _, _ in self._lists
            }
        )
        lists = tuple(
            sorted(
                (
                    ListInfo(
                        file_name=file_name,
                        slug=list_slugs[file_name],
                        owner=owner,
                        papers=tuple(sorted(keys, key=paper_order.__getitem__)),
                    )
                    for file_name, owner, keys in self._lists
                ),
                key=lambda info: info.slug,
            )
        )
        return Corpus(persons=persons, papers=papers, lists=lists)


def build_corpus(lists: Iterable[PublicationList]) -> Corpus:
    builder = CorpusBuilder()
    for publication_list in lists:
        builder.add(publication_list)
    return builder.finish()


def _diacritics(text: str) -> int:
    return sum(1 for char in text if not char.isascii())


def _most_trusted(counts: Counter[T], text: Callable[[T], str]) -> T:
    """Accented forms first (ASCII forms are usually the lossy ones), then the most
    frequent, then code-point order: a choice that depends only on what was seen."""
    return min(counts, key=lambda item: (-_diacritics(text(item)), -counts[item], text(item)))


def _preferred_slug(texts: Iterable[str]) -> str:
    """The slug with the most word breaks ("el-haddad" over "elhaddad"), then the smallest."""
    return min({slug(text) for text in texts}, key=lambda s: (-s.count("-"), s))


def _resolve_persons(spellings: dict[PersonKey, Counter[PersonName]]) -> dict[PersonKey, Person]:
    slugs = assign_slugs(
        {key: _preferred_slug(name.display for name in counts) for key, counts in spellings.items()}
    )
    persons = (
        Person(
            key=key,
            slug=slugs[key],
            name=_most_trusted(counts, lambda name: name.printed),
            spellings=tuple(sorted(counts, key=lambda n: (n.printed, n.display))),
        )
        for key, counts in spellings.items()
    )
    return {person.key: person for person in sorted(persons, key=lambda p: p.slug)}


def _resolve_papers(sightings_by_key: dict[PaperKey, _PaperSightings]) -> tuple[Paper, ...]:
    slugs = assign_slugs({key: _preferred_slug(s.titles) for key, s in sightings_by_key.items()})
    papers = []
    for key, sightings in sightings_by_key.items():
        titles = sightings.titles
        title = _most_trusted(titles, str)
        abstract = min(sightings.abstracts, key=lambda a: (-len(a), a), default=None)
        authorships = tuple(
            Authorship(
                position=position, person=person, printed=tuple(sorted(sightings.printed[position]))
            )
            for position, person in enumerate(sightings.persons, start=1)
        )
        papers.append(
            Paper(
                key=key,
                slug=slugs[key],
                title=title,
                other_titles=tuple(sorted(t for t in titles if t != title)),
                abstract=abstract,
                authorships=authorships,
                sources=tuple(sorted(sightings.sources)),
            )
        )
    return tuple(sorted(papers, key=lambda paper: paper.slug))
