"""The papers and persons of a built graph, as alignment needs them.

Alignment reads the graph, never the input files: what it links is what the exports hold.
Identifiers (DOI, arXiv ID, ORCID) are picked up wherever the graph states them as
``schema:identifier``, ``schema:sameAs`` or ``schema:url``; author order comes from the
authorship nodes' ``schema:position``.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass

import pyoxigraph as ox

from kg.fields import is_iso_date
from kg.namespaces import SCHEMA, sparql_prologue

_PREFIXES = sparql_prologue()
_PAPERS = (
    _PREFIXES
    + """
SELECT ?paper ?title ?position ?person WHERE {
  ?paper a bibo:Document ; schema:name ?title .
  OPTIONAL {
    ?paper prov:qualifiedAttribution ?authorship .
    ?authorship schema:position ?position ; prov:agent ?person .
  }
}"""
)
_PERSONS = (
    _PREFIXES
    + """
SELECT ?person ?name ?given ?family WHERE {
  ?person a schema:Person ; schema:name ?name .
  OPTIONAL { ?person schema:givenName ?given }
  OPTIONAL { ?person schema:familyName ?family }
}"""
)
_SPELLINGS = (
    _PREFIXES
    + "SELECT ?person ?spelling WHERE { ?person a schema:Person ; schema:alternateName ?spelling }"
)
_IDENTIFIERS = (
    _PREFIXES
    + """
SELECT ?entity ?value WHERE {
  ?entity schema:identifier|schema:sameAs|schema:url ?value .
}"""
)
_DATES = _PREFIXES + "SELECT ?paper ?date WHERE { ?paper schema:datePublished ?date }"

_DOI = re.compile(r"(?:doi:|https?://(?:dx\.)?doi\.org/)?(10\.\d{4,9}/\S+)", re.IGNORECASE)
_ARXIV = re.compile(
    r"(?:arxiv:|https?://arxiv\.org/abs/)(\d{4}\.\d{4,5}|[a-z][a-z.-]*/\d{7})(?:v\d+)?",
    re.IGNORECASE,
)
_ORCID = re.compile(r"(?:https?://orcid\.org/)?(\d{4}-\d{4}-\d{4}-\d{3}[\dX])")
_KINDS = (
    _PREFIXES
    + "SELECT ?paper ?kind WHERE { ?paper a bibo:Document, ?kind "
    + "VALUES ?kind { schema:Chapter schema:Book schema:Thesis schema:Report } }"
)

QUERIES = (_PAPERS, _PERSONS, _SPELLINGS, _IDENTIFIERS, _DATES, _KINDS)
"""Every query :func:`read_local_graph` runs: what it can read of a graph is all it needs."""


@dataclass(frozen=True)
class LocalPerson:
    iri: str
    name: str
    given: str
    family: str
    spellings: tuple[str, ...] = ()
    orcid: str | None = None

    @property
    def natural_names(self) -> tuple[str, ...]:
        """The name and its printed spellings in "Given Family" order, as Wikidata writes
        names (labels and P2093 strings)."""
        names = [self.name, *self.spellings]
        return tuple(dict.fromkeys(natural_name(name) for name in names))


@dataclass(frozen=True)
class LocalAuthor:
    position: int
    person: LocalPerson


@dataclass(frozen=True)
class LocalPaper:
    iri: str
    title: str
    authors: tuple[LocalAuthor, ...]
    date: str | None = None
    """ISO 8601 at the precision the sources gave: "2023", "2023-05" or "2023-05-17"."""
    doi: str | None = None
    arxiv: str | None = None
    kind: str = "ScholarlyArticle"
    """The work's schema.org class: ScholarlyArticle, Chapter, Book, Thesis or Report."""

    @property
    def year(self) -> int | None:
        return int(self.date[:4]) if self.date else None


@dataclass(frozen=True)
class LocalGraph:
    papers: tuple[LocalPaper, ...]
    persons: tuple[LocalPerson, ...]


def read_local_graph(store: ox.Store) -> LocalGraph:
    """Every paper (authors in order) and person of ``store``, sorted by IRI."""
    identifiers: dict[str, list[str]] = defaultdict(list)
    for row in store.query(_IDENTIFIERS):  # type: ignore[union-attr]
        identifiers[row["entity"].value].append(row["value"].value)
    spellings: dict[str, list[str]] = defaultdict(list)
    for row in store.query(_SPELLINGS):  # type: ignore[union-attr]
        spellings[row["person"].value].append(row["spelling"].value)
    persons: dict[str, LocalPerson] = {}
    for row in store.query(_PERSONS):  # type: ignore[union-attr]
        iri = row["person"].value
        if iri in persons:
            continue
        given, family = row["given"], row["family"]
        persons[iri] = LocalPerson(
            iri,
            row["name"].value,
            given.value if given else "",
            family.value if family else row["name"].value,
            tuple(sorted(spellings.get(iri, ()))),
            _first_match(_ORCID, identifiers.get(iri, ())),
        )
    dates = {
        row["paper"].value: row["date"].value
        for row in store.query(_DATES)  # type: ignore[union-attr]
        if is_iso_date(row["date"].value)
    }
    kinds = {
        row["paper"].value: row["kind"].value.removeprefix(str(SCHEMA))
        for row in store.query(_KINDS)  # type: ignore[union-attr]
    }
    titles: dict[str, str] = {}
    authors: dict[str, dict[int, LocalPerson]] = defaultdict(dict)
    for row in store.query(_PAPERS):  # type: ignore[union-attr]
        iri = row["paper"].value
        titles.setdefault(iri, row["title"].value)
        if row["position"] is not None and row["person"].value in persons:
            authors[iri][int(row["position"].value)] = persons[row["person"].value]
    papers = tuple(
        LocalPaper(
            iri,
            titles[iri],
            tuple(LocalAuthor(n, person) for n, person in sorted(authors[iri].items())),
            dates.get(iri),
            _doi(identifiers.get(iri, ())),
            _first_match(_ARXIV, identifiers.get(iri, ())),
            kinds.get(iri, "ScholarlyArticle"),
        )
        for iri in sorted(titles)
    )
    return LocalGraph(papers, tuple(persons[iri] for iri in sorted(persons)))


def _first_match(pattern: re.Pattern[str], values: list[str] | tuple[str, ...]) -> str | None:
    found = sorted(match.group(1) for value in values if (match := pattern.fullmatch(value)))
    return found[0] if found else None


def _doi(values: list[str] | tuple[str, ...]) -> str | None:
    """The DOI, upper-case as Wikidata stores it (DOIs are case-insensitive)."""
    doi = _first_match(_DOI, values)
    return doi.upper() if doi else None


def natural_name(name: str) -> str:
    """ "Family, Given" as "Given Family"; other forms keep their order, spaces normalised."""
    family, comma, given = name.partition(",")
    if not comma:
        return " ".join(name.split())
    return " ".join(f"{given.strip()} {family.strip()}".split())
