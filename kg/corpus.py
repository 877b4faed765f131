"""Merge publication lists into one corpus: one paper per paper, one person per person.

A paper listed by several sources becomes one paper that remembers every list and line it
came from; spellings of a name that differ only by accents, case, hyphens or spacing become
one person who keeps every spelling. Every choice here (which spelling is the name, which
value of a field wins, which slug an IRI gets) depends only on the set of inputs, never on
their order.

Identity: a work with a DOI is its DOI, so two versions with different DOIs (a preprint and
its published version) stay two works. A record without a DOI is its title and authors; it
joins the one work with a DOI that has the same title and authors, and stays apart (and is
reported) when two such works exist. Where sources disagree on a field, the richer value is
kept and the disagreement is reported as a :class:`MergeNote`.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import PurePath
from typing import TypeVar

from kg.compression import plain_name
from kg.fields import date_precision
from kg.identity import PaperKey, PersonKey, assign_slugs, fold, paper_key, person_key, slug
from kg.records import (
    InputNote,
    PaperRecord,
    PersonName,
    PublicationList,
    SkippedEntry,
    SourceLocation,
    Venue,
    VenueKind,
    WorkType,
)

T = TypeVar("T")
VenueKey = tuple[str, str]
"""A venue's kind and folded name."""


@dataclass(frozen=True, slots=True)
class Person:
    key: PersonKey
    slug: str
    name: PersonName
    spellings: tuple[PersonName, ...]
    """Every printed spelling, the chosen ``name`` included, sorted."""
    organization: bool = False
    """Some source named it as an organisation (a braced BibTeX name, a CSL literal)."""


@dataclass(frozen=True, slots=True)
class Authorship:
    position: int
    person: PersonKey
    printed: tuple[str, ...]
    """The name exactly as each source printed it at this position, sorted."""


@dataclass(frozen=True, slots=True)
class VenueInfo:
    key: VenueKey
    slug: str
    venue: Venue
    """The kind and the most trusted spelling of the name."""


@dataclass(frozen=True, slots=True)
class Paper:
    key: PaperKey
    slug: str
    title: str
    other_titles: tuple[str, ...]
    abstract: str | None
    authorships: tuple[Authorship, ...]
    sources: tuple[SourceLocation, ...]
    work_type: WorkType = WorkType.ARTICLE
    date: str | None = None
    doi: str | None = None
    arxiv: str | None = None
    venue: VenueKey | None = None
    volume: str | None = None
    issue: str | None = None
    pages: str | None = None
    keywords: tuple[str, ...] = ()
    url: str | None = None
    degree: str | None = None
    authors_truncated: bool = False


@dataclass(frozen=True, slots=True)
class ListInfo:
    file_name: str
    slug: str
    owner: PersonKey | None
    papers: tuple[PaperKey, ...]


@dataclass(frozen=True, order=True)
class MergeNote:
    """Sources that disagree about one work, and what the merge kept."""

    sources: tuple[SourceLocation, ...]
    title: str
    message: str

    def __str__(self) -> str:
        where = ", ".join(map(str, self.sources))
        return f"{where}: {self.title!r}: {self.message}"


@dataclass(frozen=True)
class Corpus:
    persons: dict[PersonKey, Person]
    papers: tuple[Paper, ...]
    lists: tuple[ListInfo, ...]
    venues: dict[VenueKey, VenueInfo] = field(default_factory=dict)
    notes: tuple[MergeNote, ...] = ()
    """Disagreements between sources, sorted; the build reports them as warnings."""
    skipped: tuple[SkippedEntry, ...] = ()
    """Entries the readers could not take, sorted; the build refuses them unless told to
    keep going."""
    input_notes: tuple[InputNote, ...] = ()
    """What the readers noticed in entries they did take (names that look swapped), sorted;
    the build prints them."""
    _papers_by_key: dict[PaperKey, Paper] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_papers_by_key", {paper.key: paper for paper in self.papers})

    def person(self, key: PersonKey) -> Person:
        return self.persons[key]

    def paper(self, key: PaperKey) -> Paper:
        return self._papers_by_key[key]


_FIELDS = ("work_type", "date", "arxiv", "venue", "volume", "issue", "pages", "url", "degree")
"""Single-valued fields a source may state: where sources disagree, one value is kept."""


@dataclass(slots=True)
class _AuthorList:
    """One way sources listed a work's authors (the same persons in the same order), with
    every spelling printed at each position."""

    persons: tuple[PersonKey, ...]
    truncated: bool
    spellings: list[Counter[PersonName]]
    sources: set[SourceLocation] = field(default_factory=set)

    @classmethod
    def of(cls, persons: tuple[PersonKey, ...], truncated: bool) -> _AuthorList:
        return cls(persons, truncated, [Counter() for _ in persons])

    def printed(self, position: int) -> tuple[str, ...]:
        return tuple(sorted({name.printed for name in self.spellings[position - 1]}))


_Sighting = tuple[str, PaperKey, tuple[PersonName, ...], bool, SourceLocation]
"""One record of a work, as its merge needs it: the title, the title and authors' key, the
names as printed, whether "and others" followed them, and where the record is."""


@dataclass(slots=True)
class _PaperSightings:
    """Every record of one work, kept small until the work is resolved.

    Counting (titles, spellings per position, sources per author list) waits for
    :meth:`author_lists` and :meth:`titles`, one work at a time: counters and sets made per
    record as it arrived took most of the merge's memory (100k papers: 520 MB, now 190 MB).
    Equal titles and name tuples of one work's records share one object, mostly.
    """

    sightings: list[_Sighting] = field(default_factory=list)
    abstracts: list[str] = field(default_factory=list)
    """The distinct abstracts."""
    values: dict[str, dict[object, set[SourceLocation]]] | None = None
    keywords: set[str] | None = None

    def see(self, record: PaperRecord, title_key: PaperKey, names: tuple[PersonName, ...]) -> None:
        """Take in one record; ``title_key`` is its title and authors' key, ``names`` its
        authors as printed."""
        title = record.title
        for seen in self.sightings[:1] + self.sightings[-1:]:  # not all: a work in every list
            if seen[0] == title:
                title = seen[0]
            if seen[2] == names:
                names = seen[2]
        self.sightings.append((title, title_key, names, record.authors_truncated, record.source))
        if record.abstract and record.abstract not in self.abstracts:
            self.abstracts.append(record.abstract)
        for name in _FIELDS:
            value = getattr(record, name)
            if value is not None:
                if self.values is None:
                    self.values = {}
                self.values.setdefault(name, {}).setdefault(value, set()).add(record.source)
        if record.keywords:
            if self.keywords is None:
                self.keywords = set()
            self.keywords.update(record.keywords)

    def absorb(self, other: _PaperSightings) -> None:
        """Take in the sightings of a record found to be the same work."""
        self.sightings += other.sightings
        self.abstracts += [a for a in other.abstracts if a not in self.abstracts]
        for name, values in (other.values or {}).items():
            if self.values is None:
                self.values = {}
            for value, sources in values.items():
                self.values.setdefault(name, {}).setdefault(value, set()).update(sources)
        if other.keywords:
            self.keywords = (self.keywords or set()) | other.keywords

    def titles(self) -> Counter[str]:
        return Counter(sighting[0] for sighting in self.sightings)

    def title_keys(self) -> set[PaperKey]:
        return {sighting[1] for sighting in self.sightings}

    def sources(self) -> tuple[SourceLocation, ...]:
        """Sorted."""
        return tuple(sorted(sighting[4] for sighting in self.sightings))

    def author_lists(self) -> list[_AuthorList]:
        """Each way the sources listed the authors, with every spelling counted."""
        lists: dict[tuple[PersonKey, ...], _AuthorList] = {}
        for _, (_, persons), names, truncated, source in self.sightings:
            found = lists.get(persons)
            if found is None:
                found = lists[persons] = _AuthorList.of(persons, truncated)
            found.truncated &= truncated
            for spellings, name in zip(found.spellings, names, strict=True):
                spellings[name] += 1
            found.sources.add(source)
        return list(lists.values())


class CorpusBuilder:
    """Accumulates lists one at a time; ``finish`` resolves identities, names and slugs."""

    def __init__(self) -> None:
        self._owners: Counter[PersonName] = Counter()
        self._papers: dict[PaperKey, _PaperSightings] = defaultdict(_PaperSightings)
        self._lists: list[tuple[str, PersonKey | None, set[PaperKey]]] = []
        self._skipped: list[SkippedEntry] = []
        self._input_notes: list[InputNote] = []
        self._paper_keys: dict[PaperKey, PaperKey] = {}
        self._person_keys: dict[PersonKey, PersonKey] = {}
        self._names: dict[PersonName, PersonName] = {}
        """One object per distinct printed name, shared by every record that prints it."""

    def add(self, publication_list: PublicationList) -> None:
        owner = publication_list.owner
        if owner is not None:
            self._owners[owner] += 1
        paper_keys = {self._see_paper(record) for record in publication_list.papers}
        owner_key = person_key(owner) if owner is not None else None
        self._lists.append((publication_list.file_name, owner_key, paper_keys))
        self._skipped += publication_list.skipped
        self._input_notes += publication_list.notes

    def _see_paper(self, record: PaperRecord) -> PaperKey:
        title_key = self._interned(paper_key(record.title, record.authors))
        key = self._interned(doi_key(record.doi)) if record.doi else title_key
        names = tuple(self._names.setdefault(name, name) for name in record.authors)
        self._papers[key].see(record, title_key, names)
        return key

    def _interned(self, key: PaperKey) -> PaperKey:
        """One tuple per distinct key: otherwise every sighting of a paper (one per list it
        is in) and every paper of a person would hold a copy of the same key, a tenth of
        the corpus's memory."""
        found = self._paper_keys.get(key)
        if found is None:
            title, persons = key
            found = (title, tuple(self._person_keys.setdefault(p, p) for p in persons))
            self._paper_keys[key] = found
        return found

    def finish(self) -> Corpus:
        merged_into, notes = _join_records_to_dois(self._papers)
        for key, into in merged_into.items():
            self._papers[into].absorb(self._papers.pop(key))
        spellings: dict[PersonKey, Counter[PersonName]] = defaultdict(Counter)
        for owner, count in self._owners.items():
            spellings[person_key(owner)][owner] += count
        venues_named: list[Venue] = []
        papers = _resolve_papers(self._papers, spellings, venues_named, notes)
        persons = _resolve_persons(spellings)
        venues = _resolve_venues(venues_named)
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
                        papers=tuple(
                            sorted(
                                {merged_into.get(key, key) for key in keys},
                                key=paper_order.__getitem__,
                            )
                        ),
                    )
                    for file_name, owner, keys in self._lists
                ),
                key=lambda info: info.slug,
            )
        )
        return Corpus(
            persons,
            papers,
            lists,
            venues,
            tuple(sorted(notes)),
            tuple(sorted(self._skipped)),
            tuple(sorted(self._input_notes)),
        )


def doi_key(doi: str) -> PaperKey:
    """The identity of a work with a DOI. Folded titles hold only letters and digits, so
    the ``doi:`` prefix never meets a title key."""
    return (f"doi:{doi}", ())


def build_corpus(lists: Iterable[PublicationList]) -> Corpus:
    builder = CorpusBuilder()
    for publication_list in lists:
        builder.add(publication_list)
    return builder.finish()


def _join_records_to_dois(
    papers: dict[PaperKey, _PaperSightings],
) -> tuple[dict[PaperKey, PaperKey], list[MergeNote]]:
    """Which works without a DOI are a work with one: the only DOI'd work with the same
    title and authors. Where there are two (a preprint and its published version), the
    record could be either, so it stays apart and is reported."""
    with_doi: dict[PaperKey, set[PaperKey]] = defaultdict(set)
    for key, sightings in papers.items():
        if key[0].startswith("doi:"):
            for title_key in sightings.title_keys():
                with_doi[title_key].add(key)
    merged_into: dict[PaperKey, PaperKey] = {}
    notes = []
    for key, sightings in papers.items():
        candidates = with_doi.get(key, set()) if not key[0].startswith("doi:") else set()
        if len(candidates) == 1:
            merged_into[key] = next(iter(candidates))
        elif candidates:
            dois = ", ".join(sorted(candidate[0].removeprefix("doi:") for candidate in candidates))
            notes.append(
                MergeNote(
                    sightings.sources(),
                    _most_trusted(sightings.titles(), str),
                    f"kept apart: the same title and authors have several DOIs ({dois})",
                )
            )
    return merged_into, notes


@dataclass(frozen=True)
class _ResolvedFields:
    title: str
    authors: _AuthorList
    values: dict[str, object]
    venue: Venue | None
    notes: list[MergeNote]


def _richness(authors: _AuthorList) -> tuple[object, ...]:
    """Which author list to keep: complete before "and others", then more authors, then
    fuller names (given names over initials), then the most sources, then a fixed order."""
    letters = sum(len(family) + len(given) for family, given in authors.persons)
    return (
        authors.truncated,
        -len(authors.persons),
        -letters,
        -len(authors.sources),
        authors.persons,
    )


def _resolve_fields(
    sightings: _PaperSightings, titles: Counter[str], sources: tuple[SourceLocation, ...]
) -> _ResolvedFields:
    """One value of each field (and the notes on where sources disagree); ``titles`` and
    ``sources`` are the sightings', counted once by the caller."""
    title = _most_trusted(titles, str)
    notes = []
    # Titles that differ beyond case, accents and punctuation under one DOI: one source may
    # give the wrong DOI.
    by_fold: dict[str, str] = {}
    for text in sorted(titles):
        by_fold.setdefault(fold(text), text)
    other_titles = [text for folded, text in sorted(by_fold.items()) if folded != fold(title)]
    if other_titles:
        notes.append(
            MergeNote(
                sources,
                title,
                "sources give different titles for one DOI; other sources say "
                + ", ".join(repr(t) for t in other_titles),
            )
        )
    lists = sorted(sightings.author_lists(), key=_richness)
    if len(lists) > 1:
        kept = "; ".join(
            _most_trusted(names, lambda n: n.printed).printed for names in lists[0].spellings
        )
        notes.append(
            MergeNote(
                sources,
                title,
                f"sources list different authors; kept {kept!r} "
                f"(from {', '.join(map(str, sorted(lists[0].sources)))})",
            )
        )
    values: dict[str, object] = {}
    for name, seen in (sightings.values or {}).items():
        chosen = _choose_date(seen) if name == "date" else _choose(seen)
        values[name] = chosen
        if _disagree(name, seen):
            others = ", ".join(sorted(str(value) for value in seen if value != chosen))
            notes.append(
                MergeNote(
                    tuple(sorted(source for sources in seen.values() for source in sources)),
                    title,
                    f"{name}: kept {_shown(chosen)}, other sources say {others}",
                )
            )
    venue = values.get("venue")
    return _ResolvedFields(
        title, lists[0], values, venue if isinstance(venue, Venue) else None, notes
    )


def _shown(value: object) -> str:
    return value.name if isinstance(value, Venue) else str(value)


def _disagree(name: str, seen: dict[object, set[SourceLocation]]) -> bool:
    """Whether the values of one field contradict each other; dates of different
    precision that agree as far as both go ("2023" and "2023-05") do not."""
    if name != "date":
        return len(seen) > 1
    dates = sorted(map(str, seen), key=len)
    return any(not longer.startswith(shorter) for shorter, longer in pairwise(dates))


def _choose(seen: dict[object, set[SourceLocation]]) -> object:
    """The value most sources state, then the one sorting first as text."""
    return min(seen, key=lambda value: (-len(seen[value]), str(value)))


def _choose_date(seen: dict[object, set[SourceLocation]]) -> object:
    """The most precise date among those most sources agree on (by year)."""
    years: Counter[str] = Counter()
    for value, sources in seen.items():
        years[str(value)[:4]] += len(sources)
    year = min(years, key=lambda y: (-years[y], y))
    agreeing = [str(value) for value in seen if str(value).startswith(year)]
    return max(agreeing, key=lambda date: (date_precision(date), date))


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
            spellings=tuple(sorted(counts, key=lambda n: (n.printed, n.display, n.organization))),
            organization=any(name.organization for name in counts),
        )
        for key, counts in spellings.items()
    )
    return {person.key: person for person in sorted(persons, key=lambda p: p.slug)}


def venue_key(venue: Venue) -> VenueKey:
    return (venue.kind.value, fold(venue.name))


def _resolve_venues(venues: Iterable[Venue]) -> dict[VenueKey, VenueInfo]:
    names: dict[VenueKey, Counter[str]] = defaultdict(Counter)
    for venue in venues:
        names[venue_key(venue)][venue.name] += 1
    slugs = assign_slugs({key: _preferred_slug(counts) for key, counts in names.items()})
    infos = (
        VenueInfo(key, slugs[key], Venue(VenueKind(key[0]), _most_trusted(counts, str)))
        for key, counts in names.items()
    )
    return {info.key: info for info in sorted(infos, key=lambda info: info.slug)}


def _resolve_papers(
    sightings_by_key: dict[PaperKey, _PaperSightings],
    spellings: dict[PersonKey, Counter[PersonName]],
    venues: list[Venue],
    notes: list[MergeNote],
) -> tuple[Paper, ...]:
    """The papers, one at a time, emptying ``sightings_by_key`` as it goes: each paper's
    sightings are counted and freed as its ``Paper`` is made, so the corpus takes their
    memory instead of growing beside them. Adds the spellings of the kept author lists to
    ``spellings``, the venues named to ``venues`` and the disagreements to ``notes``."""
    slugs = assign_slugs({key: _preferred_slug(s.titles()) for key, s in sightings_by_key.items()})
    papers = []
    printings: dict[tuple[str, ...], tuple[str, ...]] = {}  # one copy of each, as for keys
    for key in list(sightings_by_key):
        sightings = sightings_by_key.pop(key)
        titles, sources = sightings.titles(), sightings.sources()
        fields = _resolve_fields(sightings, titles, sources)
        authors = fields.authors
        for person, counts in zip(authors.persons, authors.spellings, strict=True):
            spellings[person].update(counts)
        if fields.venue is not None:
            venues.append(fields.venue)
        notes += fields.notes
        title = fields.title
        abstract = min(sightings.abstracts, key=lambda a: (-len(a), a), default=None)
        authorships = []
        for position, person in enumerate(authors.persons, start=1):
            printed = authors.printed(position)
            authorships.append(Authorship(position, person, printings.setdefault(printed, printed)))
        values = fields.values
        papers.append(
            Paper(
                key=key,
                slug=slugs[key],
                title=title,
                other_titles=tuple(sorted(t for t in titles if t != title)),
                abstract=abstract,
                authorships=tuple(authorships),
                sources=sources,
                work_type=WorkType(str(values.get("work_type", WorkType.ARTICLE))),
                date=_text(values.get("date")),
                doi=key[0].removeprefix("doi:") if key[0].startswith("doi:") else None,
                arxiv=_text(values.get("arxiv")),
                venue=venue_key(fields.venue) if fields.venue is not None else None,
                volume=_text(values.get("volume")),
                issue=_text(values.get("issue")),
                pages=_text(values.get("pages")),
                keywords=tuple(sorted(sightings.keywords or (), key=lambda k: (k.casefold(), k))),
                url=_text(values.get("url")),
                degree=_text(values.get("degree")),
                authors_truncated=authors.truncated,
            )
        )
    return tuple(sorted(papers, key=lambda paper: paper.slug))


def _text(value: object) -> str | None:
    return None if value is None else str(value)
