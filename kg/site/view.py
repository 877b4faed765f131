"""The graph as the site shows it: papers with their authors in order, persons, lists, and
the venues (journals, books) the papers appear in.

Publishing reads the graph, never the input files (design.md §2), through a handful of
SPARQL queries: all of the graph for a whole site, or one paper or person and its
neighbours for a single page. Every collection comes out ordered (by author position,
list line or IRI), so the pages are the same bytes whatever Python's hash seed.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from itertools import combinations

import pyoxigraph as ox

from kg.namespaces import OX_BIBO, OX_KG, OX_RDF, OX_RDFS, OX_SCHEMA, sparql_prologue

SCHEMA_NS = "http://schema.org/"
TYPE, NAME, ABSTRACT, SAME_AS = OX_RDF.type, OX_SCHEMA.name, OX_SCHEMA.abstract, OX_SCHEMA.sameAs
GIVEN_NAME, FAMILY_NAME = OX_SCHEMA.givenName, OX_SCHEMA.familyName
ALTERNATE_NAME, SEE_ALSO = OX_SCHEMA.alternateName, OX_RDFS.seeAlso
DATE_PUBLISHED, IDENTIFIER, IS_PART_OF = (
    OX_SCHEMA.datePublished,
    OX_SCHEMA.identifier,
    OX_SCHEMA.isPartOf,
)
PAGINATION, KEYWORDS, URL = OX_SCHEMA.pagination, OX_SCHEMA.keywords, OX_SCHEMA.url
IN_SUPPORT_OF, TRUNCATED = OX_SCHEMA.inSupportOf, OX_KG.authorListTruncated
DOI, VOLUME, ISSUE = OX_BIBO.doi, OX_BIBO.volume, OX_BIBO.issue
_PAPER = OX_BIBO.Document.value
_AGENTS = (OX_SCHEMA.Person.value, OX_SCHEMA.Organization.value)
"""What the site pages as people: persons, and organisations that author works."""
_SHOWN = (
    TYPE,
    NAME,
    ABSTRACT,
    GIVEN_NAME,
    FAMILY_NAME,
    ALTERNATE_NAME,
    SAME_AS,
    SEE_ALSO,
    DATE_PUBLISHED,
    IDENTIFIER,
    IS_PART_OF,
    PAGINATION,
    KEYWORDS,
    URL,
    IN_SUPPORT_OF,
    TRUNCATED,
    DOI,
    VOLUME,
    ISSUE,
)

Value = ox.NamedNode | ox.Literal
_Bound = ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple

# ``#VALUES`` is replaced by a VALUES block when only part of the graph is read.
_PAPERS = "SELECT ?paper WHERE { #VALUES ?paper a bibo:Document FILTER isIRI(?paper) }"
_AUTHORS = """
SELECT ?paper ?person (MIN(?pos) AS ?position) WHERE {
  #VALUES
  ?paper a bibo:Document ; schema:author ?person .
  FILTER isIRI(?person)
  OPTIONAL { ?paper prov:qualifiedAttribution ?a . ?a prov:agent ?person ; schema:position ?pos }
} GROUP BY ?paper ?person
"""
_SOURCES = """
SELECT ?paper ?list ?line WHERE {
  #VALUES
  ?paper a bibo:Document ; prov:wasDerivedFrom ?record .
  ?record dcterms:isPartOf ?list ; kg:line ?line .
}
"""
_LISTS = """
SELECT ?list ?owner WHERE {
  ?list a schema:Dataset . FILTER isIRI(?list)
  OPTIONAL { ?list schema:about ?owner FILTER isIRI(?owner) }
}
"""
_LIST_PAPERS = """
SELECT ?list ?paper WHERE { #VALUES ?list a schema:Dataset ; schema:hasPart ?paper }
"""
_PERSONS = (
    "SELECT ?person WHERE { VALUES ?kind { schema:Person schema:Organization }"
    " ?person a ?kind FILTER isIRI(?person) }"
)
_VALUES = (
    "SELECT ?s ?p ?o WHERE { #VALUES ?s ?p ?o FILTER(isIRI(?s) && !isBlank(?o)) "
    f"VALUES ?p {{ {' '.join(str(term) for term in _SHOWN)} }} }}"
)
_PAPERS_OF = "SELECT ?paper ?person WHERE { ?paper a bibo:Document ; schema:author ?person }"
_PAPERS_IN = "SELECT ?paper ?venue WHERE { ?paper a bibo:Document ; schema:isPartOf ?venue }"
_OWNER_NAMES = """
SELECT ?owner (MIN(?name) AS ?label) WHERE {
  ?list a schema:Dataset ; schema:about ?owner . FILTER isIRI(?owner)
  OPTIONAL { ?owner schema:name ?name }
} GROUP BY ?owner
"""


@dataclass(frozen=True)
class Node:
    """One subject with its values of the properties the site shows (:data:`_SHOWN`)."""

    iri: str
    values: Mapping[str, tuple[Value, ...]]

    def get(self, prop: ox.NamedNode) -> tuple[Value, ...]:
        return self.values.get(prop.value, ())

    def texts(self, prop: ox.NamedNode) -> list[str]:
        return [value.value for value in self.get(prop) if isinstance(value, ox.Literal)]

    def iris(self, prop: ox.NamedNode) -> list[str]:
        return [value.value for value in self.get(prop) if isinstance(value, ox.NamedNode)]

    @property
    def label(self) -> str:
        """The name (or title) to show; the IRI when it has none."""
        names = self.texts(NAME)
        return names[0] if names else self.iri

    def has_type(self, iri: str) -> bool:
        return iri in self.iris(TYPE)


@dataclass(frozen=True)
class PublicationList:
    iri: str
    owners: tuple[str, ...]
    papers: tuple[str, ...]


class GraphView:
    """Papers (in reading order), persons, lists and the nodes that describe them."""

    def __init__(
        self,
        nodes: Mapping[str, Node],
        papers: Sequence[str],
        persons: Iterable[str],
        authors: Mapping[str, tuple[str, ...]],
        lists: Sequence[PublicationList],
        venues: Iterable[str],
    ) -> None:
        self.nodes = nodes
        self.papers = tuple(papers)
        """In the order of the lists that print them, then by title."""
        self.persons = tuple(sorted(persons))
        self.authors = authors
        """Each paper's authors (persons or not) in author order."""
        self.lists = tuple(lists)
        self.venues = tuple(sorted(venues))
        """What the papers are part of (``schema:isPartOf``) that the graph describes and
        that is no work or person: the journals and books, each with a page."""

    def node(self, iri: str) -> Node:
        return self.nodes.get(iri) or Node(iri, {})

    @cached_property
    def _person_set(self) -> frozenset[str]:
        return frozenset(self.persons)

    def is_person(self, iri: str) -> bool:
        return iri in self._person_set

    @cached_property
    def _venue_set(self) -> frozenset[str]:
        return frozenset(self.venues)

    def is_venue(self, iri: str) -> bool:
        return iri in self._venue_set

    def venues_of(self, paper: str) -> list[str]:
        """The venues ``paper`` is part of, by IRI."""
        return [iri for iri in self.node(paper).iris(IS_PART_OF) if self.is_venue(iri)]

    @cached_property
    def _papers_in(self) -> Mapping[str, tuple[str, ...]]:
        held: dict[str, list[str]] = defaultdict(list)
        for paper in self.papers:
            for venue in self.venues_of(paper):
                held[venue].append(paper)
        return {venue: tuple(papers) for venue, papers in held.items()}

    def papers_in(self, venue: str) -> tuple[str, ...]:
        """The papers that are part of ``venue``, in reading order."""
        return self._papers_in.get(venue, ())

    @cached_property
    def owners(self) -> tuple[str, ...]:
        """The persons whose lists these are, by IRI."""
        return tuple(sorted({owner for item in self.lists for owner in item.owners}))

    @cached_property
    def _papers_of(self) -> Mapping[str, tuple[str, ...]]:
        made: dict[str, list[str]] = defaultdict(list)
        for paper in self.papers:
            for author in self.authors.get(paper, ()):
                made[author].append(paper)
        return {author: tuple(papers) for author, papers in made.items()}

    def papers_of(self, person: str) -> tuple[str, ...]:
        return self._papers_of.get(person, ())

    @cached_property
    def _lists_of(self) -> Mapping[str, tuple[PublicationList, ...]]:
        printed: dict[str, list[PublicationList]] = defaultdict(list)
        for item in self.lists:
            for paper in item.papers:
                printed[paper].append(item)
        return {paper: tuple(items) for paper, items in printed.items()}

    def lists_of(self, paper: str) -> tuple[PublicationList, ...]:
        """The lists that print ``paper``, by IRI."""
        return self._lists_of.get(paper, ())

    def coauthors(self, person: str) -> list[tuple[str, int]]:
        """The persons who share papers with ``person`` and how many, most papers first."""
        together = Counter(
            author
            for paper in self.papers_of(person)
            for author in self.authors[paper]
            if author != person and self.is_person(author)
        )
        return sorted(together.items(), key=lambda item: (-item[1], self._sort_key(item[0])))

    @cached_property
    def coauthor_pairs(self) -> Counter[tuple[str, str]]:
        """Papers shared by each pair of persons (pairs in IRI order, each counted once)."""
        pairs: Counter[tuple[str, str]] = Counter()
        for paper in self.papers:
            persons = sorted({author for author in self.authors[paper] if self.is_person(author)})
            pairs.update(combinations(persons, 2))
        return pairs

    def _sort_key(self, iri: str) -> tuple[str, str]:
        return self.node(iri).label.casefold(), iri


def _is_agent(node: Node) -> bool:
    return any(node.has_type(kind) for kind in _AGENTS)


def read_view(
    store: ox.Store, papers: Sequence[str] | None = None, persons: Sequence[str] = ()
) -> GraphView:
    """The whole graph (``papers`` None) or only ``papers`` with their authors and lists,
    plus ``persons``."""
    paper_iris = [row["paper"].value for row in select(store, _PAPERS, "paper", papers)]
    focus = None if papers is None else paper_iris
    ranked: dict[str, list[tuple[bool, int, str]]] = defaultdict(list)
    for row in select(store, _AUTHORS, "paper", focus):
        position = _integer(row["position"])  # authors without one come last, by IRI
        person = row["person"].value
        ranked[row["paper"].value].append((position is None, position or 0, person))
    authors = {paper: tuple(row[2] for row in sorted(ranked[paper])) for paper in paper_iris}
    lists = _read_lists(store, focus)
    people = {author for names in authors.values() for author in names}
    people.update(owner for item in lists for owner in item.owners)
    people.update(persons)
    if papers is None:
        people.update(row["person"].value for row in select(store, _PERSONS))
    subjects = None if papers is None else [*paper_iris, *people, *(i.iri for i in lists)]
    nodes = _read_nodes(store, subjects)
    # What the papers are part of; a single page's subjects did not include them yet.
    containers = {iri for paper in paper_iris for iri in nodes[paper].iris(IS_PART_OF)}
    if papers is not None and containers - nodes.keys():
        nodes.update(_read_nodes(store, sorted(containers - nodes.keys())))
    persons_found = [iri for iri in people if iri in nodes and _is_agent(nodes[iri])]
    venues = [
        iri
        for iri in containers
        if iri in nodes and not (nodes[iri].has_type(_PAPER) or _is_agent(nodes[iri]))
    ]
    order = _reading_order(store, paper_iris, focus, nodes)
    return GraphView(nodes, order, persons_found, authors, lists, venues)


def papers_in(store: ox.Store, venue: str) -> list[str]:
    """The papers that are part of ``venue`` (any text: none when it is no IRI)."""
    try:
        node = ox.NamedNode(venue)
    except ValueError:
        return []
    rows = select(store, _PAPERS_IN, substitutions={ox.Variable("venue"): node})
    return sorted(row["paper"].value for row in rows if isinstance(row["paper"], ox.NamedNode))


def papers_of(store: ox.Store, person: str) -> list[str]:
    """The papers of which ``person`` is an author."""
    rows = select(store, _PAPERS_OF, substitutions={ox.Variable("person"): ox.NamedNode(person)})
    return sorted(row["paper"].value for row in rows if isinstance(row["paper"], ox.NamedNode))


def owner_names(store: ox.Store) -> list[str]:
    """The names of the lists' owners, in the IRI order of the owners."""
    rows = sorted(
        (row["owner"].value, row["label"].value if row["label"] else row["owner"].value)
        for row in select(store, _OWNER_NAMES)
    )
    return [name for _, name in rows]


def has_type(store: ox.Store, iri: str, kind: ox.NamedNode) -> bool:
    """Whether ``iri`` (any text) names an instance of ``kind`` in the graph."""
    try:
        node = ox.NamedNode(iri)
    except ValueError:
        return False
    return bool(store.query(f"ASK {{ ?s a {kind} }}", substitutions={ox.Variable("s"): node}))


def _read_lists(store: ox.Store, papers: Sequence[str] | None) -> list[PublicationList]:
    owners: dict[str, set[str]] = defaultdict(set)
    for row in select(store, _LISTS):
        owners[row["list"].value].update([row["owner"].value] if row["owner"] else [])
    parts: dict[str, set[str]] = defaultdict(set)
    for row in select(store, _LIST_PAPERS, "paper", papers):
        parts[row["list"].value].add(row["paper"].value)
    wanted = owners if papers is None else parts
    return [
        PublicationList(iri, tuple(sorted(owners[iri])), tuple(sorted(parts[iri])))
        for iri in sorted(wanted)
        if iri in owners
    ]


def _read_nodes(store: ox.Store, subjects: Sequence[str] | None) -> dict[str, Node]:
    values: dict[str, dict[str, list[Value]]] = defaultdict(lambda: defaultdict(list))
    for row in select(store, _VALUES, "s", subjects):
        value = row["o"]
        if isinstance(value, ox.NamedNode | ox.Literal):
            values[row["s"].value][row["p"].value].append(value)
    return {
        iri: Node(iri, {prop: tuple(sorted(found, key=_term_key)) for prop, found in props.items()})
        for iri, props in values.items()
    }


def _reading_order(
    store: ox.Store, papers: Sequence[str], focus: Sequence[str] | None, nodes: Mapping[str, Node]
) -> list[str]:
    """Papers in the order their lists print them (first list by IRI, then line), then the
    papers no list records, by title."""
    first: dict[str, tuple[str, int]] = {}
    for row in select(store, _SOURCES, "paper", focus):
        line = _integer(row["line"])
        if line is not None:
            place = (row["list"].value, line)
            paper = row["paper"].value
            first[paper] = min(first.get(paper, place), place)

    def key(paper: str) -> tuple[int, str, int, str, str]:
        place = first.get(paper)
        title = nodes[paper].label if paper in nodes else paper
        if place is None:
            return 1, "", 0, title.casefold(), paper
        return 0, place[0], place[1], title.casefold(), paper

    return sorted(papers, key=key)


def select(
    store: ox.Store,
    query: str,
    variable: str | None = None,
    only: Sequence[str] | None = None,
    substitutions: dict[ox.Variable, _Bound] | None = None,
) -> list[ox.QuerySolution]:
    """The rows of SELECT ``query`` (kg's prefixes declared); with ``only``, restricted to
    those IRIs for ``variable``, whose ``#VALUES`` mark says where."""
    values = ""
    if only is not None:
        terms = " ".join(str(ox.NamedNode(iri)) for iri in sorted(set(only)))
        values = f"VALUES ?{variable} {{ {terms} }}"
    result = store.query(
        sparql_prologue() + query.replace("#VALUES", values), substitutions=substitutions
    )
    if not isinstance(result, ox.QuerySolutions):
        raise TypeError(f"not a SELECT query: {query}")
    return list(result)


def _integer(term: object) -> int | None:
    if isinstance(term, ox.Literal):
        try:
            return int(term.value)
        except ValueError:
            return None
    return None


def _term_key(term: Value) -> tuple[int, str]:
    return (0 if isinstance(term, ox.NamedNode) else 1), str(term)
