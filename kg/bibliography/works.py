"""The works of a built graph, read back into the records the readers produce.

A bibliography is written from the graph, not from the input files: what it holds is the
merged, de-duplicated list the exports hold. A few SPARQL queries read every work at once,
however many the graph has: one row per work for the single-valued fields, then the
identifiers and keywords, the venues, the authorships and the persons, joined here (on a
50k-work graph, joining authorships to persons in SPARQL takes twice as long).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Mapping

import pyoxigraph as ox

from kg.fields import is_iso_date
from kg.mapping import VENUE_CLASSES, WORK_CLASSES
from kg.namespaces import sparql_prologue
from kg.records import PaperRecord, PersonName, SourceLocation, Venue, WorkType

_SINGLE = (
    "kind",
    "title",
    "abstract",
    "date",
    "doi",
    "venue",
    "volume",
    "issue",
    "pages",
    "url",
    "degree",
    "truncated",
)
_WORKS = (
    sparql_prologue()
    + """
SELECT ?work ?kind ?title ?abstract ?date ?doi ?venue ?volume ?issue ?pages ?url ?degree
       ?truncated WHERE {
  ?work a bibo:Document ; schema:name ?title .
  OPTIONAL {
    VALUES ?kind { schema:ScholarlyArticle schema:Chapter schema:Book schema:Thesis
                   schema:Report }
    ?work a ?kind .
  }
  OPTIONAL { ?work schema:abstract ?abstract }
  OPTIONAL { ?work schema:datePublished ?date }
  OPTIONAL { ?work bibo:doi ?doi }
  OPTIONAL { ?work schema:isPartOf ?venue }
  OPTIONAL { ?work bibo:volume ?volume }
  OPTIONAL { ?work bibo:issue ?issue }
  OPTIONAL { ?work schema:pagination ?pages }
  OPTIONAL { ?work schema:url ?url }
  OPTIONAL { ?work schema:inSupportOf ?degree }
  OPTIONAL { ?work kg:authorListTruncated ?truncated }
}"""
)
_IDENTIFIERS_AND_KEYWORDS = (
    sparql_prologue()
    + """
SELECT ?work ?identifier ?keyword WHERE {
  ?work a bibo:Document .
  { ?work schema:identifier ?identifier } UNION { ?work schema:keywords ?keyword }
}"""
)
_VENUES = (
    sparql_prologue()
    + """
SELECT ?venue ?kind ?name WHERE {
  VALUES ?kind { schema:Periodical schema:Book }
  ?venue a ?kind ; schema:name ?name .
}"""
)
_AUTHORSHIPS = (
    sparql_prologue()
    + """
SELECT ?work ?position ?person WHERE {
  ?work a bibo:Document ; prov:qualifiedAttribution ?authorship .
  ?authorship schema:position ?position ; prov:agent ?person .
}"""
)
_PERSONS = (
    sparql_prologue()
    + """
SELECT ?person ?family ?given ?organization WHERE {
  { ?person schema:familyName ?family . OPTIONAL { ?person schema:givenName ?given } }
  UNION
  { ?person a schema:Organization ; schema:name ?family . BIND (true AS ?organization) }
}"""
)

QUERIES = (_WORKS, _IDENTIFIERS_AND_KEYWORDS, _VENUES, _AUTHORSHIPS, _PERSONS)
"""Every query :func:`read_works` runs: what it can read of a graph is all it needs loaded."""

_WORK_TYPES = {iri.value: work_type for work_type, iri in WORK_CLASSES.items()}
_VENUE_KINDS = {iri.value: kind for kind, iri in VENUE_CLASSES.items()}
_ARXIV_PREFIX = "arXiv:"

Values = dict[str, set[str]]
"""One work's values by field name (a set: a graph made elsewhere may state several)."""


def read_works(store: ox.Store, source_name: str) -> list[PaperRecord]:
    """Every work of ``store`` (a titled ``bibo:Document``) as a record, sorted by IRI.

    The records are what a reader would have produced for the merged work: authors in
    position order under their person's family and given names, every optional field as
    ``kg.fields`` normalises it, keywords sorted as ``kg.corpus`` sorts them. Where a
    graph made elsewhere states a single-valued field twice, the smallest value is taken.
    ``source`` is ``source_name`` (the graph's file name) at line 0: a graph has no lines,
    and a merged work no single source.
    """
    works: dict[str, Values] = defaultdict(lambda: defaultdict(set))
    for work, *cells in _select(store, _WORKS):  # rows unpack faster than names look up
        values = works[work.value]
        for name, term in zip(_SINGLE, cells, strict=True):
            if term is not None:
                values[name].add(term.value)
    for work, identifier, keyword in _select(store, _IDENTIFIERS_AND_KEYWORDS):
        values = works[work.value]
        if identifier is not None:
            values["identifier"].add(identifier.value)
        else:
            values["keyword"].add(keyword.value)
    source = SourceLocation(source_name, 0)
    venues, authors = _venues(store), _authors(store)
    return [
        _record(works[iri], venues, authors.get(iri, {}), source)
        for iri in sorted(works)
        if works[iri]["title"]  # an untitled document (the shapes refuse it) is left out
    ]


def _select(store: ox.Store, query: str) -> Iterator[ox.QuerySolution]:
    result = store.query(query)
    assert isinstance(result, ox.QuerySolutions)  # every query here is a SELECT
    yield from result


def _venues(store: ox.Store) -> dict[str, Venue]:
    found: dict[str, set[Venue]] = defaultdict(set)
    for venue, kind, name in _select(store, _VENUES):
        found[venue.value].add(Venue(_VENUE_KINDS[kind.value], name.value))
    return {iri: min(venues) for iri, venues in found.items()}


def _authors(store: ox.Store) -> dict[str, dict[int, PersonName]]:
    """Each work's authors by position."""
    names: dict[str, tuple[str, str, bool]] = {}
    for person, family, given, organization in _select(store, _PERSONS):
        name = (family.value, given.value if given is not None else "", organization is not None)
        names[person.value] = min(names.get(person.value, name), name)
    people: dict[str, dict[int, str]] = defaultdict(dict)
    for work, position, person in _select(store, _AUTHORSHIPS):
        at, number = people[work.value], int(position.value)
        at[number] = min(at.get(number, person.value), person.value)
    return {
        work: {n: PersonName(*names[person]) for n, person in at.items() if person in names}
        for work, at in people.items()
    }


def _record(
    values: Values,
    venues: Mapping[str, Venue],
    authors: Mapping[int, PersonName],
    source: SourceLocation,
) -> PaperRecord:
    def one(name: str) -> str | None:
        return min(values[name], default=None)

    kinds = [_WORK_TYPES[kind] for kind in values["kind"]]
    date = one("date")
    arxiv = (
        i.removeprefix(_ARXIV_PREFIX) for i in values["identifier"] if i.startswith(_ARXIV_PREFIX)
    )
    venue = one("venue")
    return PaperRecord(
        title=min(values["title"]),
        authors=tuple(name for _, name in sorted(authors.items())),
        abstract=one("abstract"),
        source=source,
        work_type=min(kinds, key=list(WorkType).index, default=WorkType.ARTICLE),
        date=date if date is not None and is_iso_date(date) else None,
        doi=one("doi"),
        arxiv=min(arxiv, default=None),
        venue=venues.get(venue) if venue is not None else None,
        volume=one("volume"),
        issue=one("issue"),
        pages=one("pages"),
        keywords=tuple(sorted(values["keyword"], key=lambda k: (k.casefold(), k))),
        url=one("url"),
        degree=one("degree"),
        authors_truncated=one("truncated") in ("true", "1"),
    )
