"""The SPARQL kg sends to Wikidata, and what comes back, as plain records.

Queries use only standard SPARQL 1.1 over Wikidata's RDF shape (``wdt:`` truthy
statements, ``p:``/``ps:``/``pq:`` statement nodes, ``rdfs:label``/``skos:altLabel``), so
they run on the public service, a mirror, another Wikibase or a test server alike. Every
lookup is batched with ``VALUES`` (at most :data:`BATCH` values a request), and every value
is written by :func:`kg.results.term_to_sparql`, escaped per the SPARQL grammar.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import islice
from typing import Final, TypeVar

import pyoxigraph as ox

from kg.results import Term, term_to_sparql
from kg.wikidata.endpoint import Row, WikidataEndpoint, literal_text

ENTITY: Final = "http://www.wikidata.org/entity/"
BATCH: Final = 200
"""Values in one VALUES block: small enough for a GET-sized POST, large enough for few calls."""

SCHOLARLY_ARTICLE: Final = "Q13442814"
PREPRINT: Final = "Q580922"
HUMAN: Final = "Q5"
#: Classes of items kg may link a paper to; anything else (a film, a song) never is.
PUBLICATION_CLASSES: Final = frozenset(
    {
        SCHOLARLY_ARTICLE,
        PREPRINT,
        "Q18918145",  # academic journal article
        "Q23927052",  # conference paper
        "Q191067",  # article
        "Q7318358",  # review article
        "Q1266946",  # thesis
        "Q187685",  # doctoral thesis
        "Q1907875",  # master's thesis
        "Q571",  # book
        "Q1980247",  # chapter
        "Q10870555",  # report
        "Q13136",  # reference work
        "Q47461344",  # written work
    }
)

_PREFIXES: Final = """PREFIX wd: <http://www.wikidata.org/entity/>
PREFIX wdt: <http://www.wikidata.org/prop/direct/>
PREFIX p: <http://www.wikidata.org/prop/>
PREFIX ps: <http://www.wikidata.org/prop/statement/>
PREFIX pq: <http://www.wikidata.org/prop/qualifier/>
PREFIX wikibase: <http://wikiba.se/ontology#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
"""
T = TypeVar("T")


@dataclass(frozen=True)
class WorkAuthor:
    """One author statement of a work: P50 (``item`` set) or P2093 (name string only)."""

    ordinal: int | None
    name: str
    """The P2093 string, P1932 "stated as", or the P50 item's label; '' when unknown."""
    item: str | None = None


@dataclass(frozen=True)
class Work:
    """A Wikidata item that a paper may be, with what matching compares."""

    qid: str
    classes: frozenset[str]
    titles: tuple[str, ...]
    authors: tuple[WorkAuthor, ...]
    year: int | None = None
    doi: str | None = None
    arxiv: str | None = None

    @property
    def is_publication(self) -> bool:
        return bool(self.classes & PUBLICATION_CLASSES)

    @property
    def is_preprint(self) -> bool:
        return PREPRINT in self.classes


@dataclass(frozen=True)
class Human:
    qid: str
    names: tuple[str, ...]
    """Labels first, then aliases."""
    orcid: str | None = None
    is_human: bool = True


def qid(term: Term | str | None) -> str:
    """``Q42`` from ``http://www.wikidata.org/entity/Q42`` (a term or its text)."""
    text = term if isinstance(term, str) else literal_text(term)
    return text.removeprefix(ENTITY)


def chunks(values: Iterable[T], size: int = BATCH) -> Iterator[list[T]]:
    """``values`` in lists of at most ``size``, one VALUES block each."""
    remaining = iter(values)
    while batch := list(islice(remaining, size)):
        yield batch


def _packed(groups: Iterable[Iterable[str]], size: int = BATCH) -> Iterator[list[ox.Literal]]:
    """Plain literals of the groups' strings, whole groups per batch (a string shared by
    groups in two batches is in both)."""
    batch: set[str] = set()
    for group in groups:
        wanted = set(group) - batch
        if batch and len(batch) + len(wanted) > size:
            yield [ox.Literal(text) for text in sorted(batch)]
            batch = set()
            wanted = set(group)
        batch |= wanted
    if batch:
        yield [ox.Literal(text) for text in sorted(batch)]


def _values(variable: str, terms: Iterable[ox.NamedNode | ox.Literal]) -> str:
    return f"VALUES ?{variable} {{ " + " ".join(term_to_sparql(t) for t in terms) + " }"


def _items(qids: Iterable[str]) -> list[ox.NamedNode]:
    return [ox.NamedNode(ENTITY + value) for value in sorted(set(qids))]


def _select(endpoint: WikidataEndpoint, queries: Iterable[str]) -> list[Row]:
    rows: list[Row] = []
    for query in queries:
        rows.extend(endpoint.select(query))
    return rows


def find_by_title(
    endpoint: WikidataEndpoint, titles: Iterable[str], languages: Sequence[str]
) -> dict[str, set[str]]:
    """Items whose title (P1476) or label is one of ``titles``: QIDs by matched title."""
    terms = [ox.Literal(t, language=lang) for t in sorted(set(titles)) for lang in languages]
    queries = (
        _PREFIXES
        + "SELECT DISTINCT ?item ?title WHERE {\n  "
        + _values("title", batch)
        + "\n  { ?item wdt:P1476 ?title } UNION { ?item rdfs:label ?title }\n}"
        for batch in chunks(terms)
    )
    found: dict[str, set[str]] = defaultdict(set)
    for row in _select(endpoint, queries):
        found[literal_text(row["title"])].add(qid(row["item"]))
    return found


def find_by_author_strings(
    endpoint: WikidataEndpoint, name_groups: Iterable[Iterable[str]]
) -> dict[str, set[str]]:
    """Items naming at least two names of one group (a paper's authors) as P2093 author
    strings: QIDs by name. A group is never split over two requests."""
    queries = (
        _PREFIXES
        + "SELECT ?item ?name WHERE {\n  "
        + _values("name", batch)
        + "\n  ?item wdt:P2093 ?name .\n"
        + "  { SELECT ?item WHERE { "
        + _values("other", batch)
        + " ?item wdt:P2093 ?other }\n"
        + "    GROUP BY ?item HAVING (COUNT(DISTINCT ?other) >= 2) }\n}"
        for batch in _packed(name_groups)
    )
    found: dict[str, set[str]] = defaultdict(set)
    for row in _select(endpoint, queries):
        found[literal_text(row["name"])].add(qid(row["item"]))
    return found


def find_by_identifier(
    endpoint: WikidataEndpoint, dois: Iterable[str], arxiv_ids: Iterable[str]
) -> dict[str, set[str]]:
    """Items with one of these DOIs (P356, upper-case) or arXiv IDs (P818), by identifier."""
    terms = [("doi", d) for d in sorted(set(dois))] + [("arxiv", a) for a in sorted(set(arxiv_ids))]
    found: dict[str, set[str]] = defaultdict(set)
    for batch in chunks(terms):
        values = " ".join(
            f"(wdt:{'P356' if kind == 'doi' else 'P818'} {term_to_sparql(ox.Literal(v))})"
            for kind, v in batch
        )
        query = (
            _PREFIXES
            + "SELECT ?item ?id WHERE {\n  VALUES (?property ?id) { "
            + values
            + " }\n  ?item ?property ?id .\n}"
        )
        for row in endpoint.select(query):
            found[literal_text(row["id"])].add(qid(row["item"]))
    return found


def find_by_author_items(
    endpoint: WikidataEndpoint, persons: Iterable[str]
) -> dict[str, list[tuple[str, str]]]:
    """Works with one of these P50 authors: (QID, title) pairs by author QID."""
    queries = (
        _PREFIXES
        + "SELECT ?person ?item ?title WHERE {\n  "
        + _values("person", batch)
        + "\n  ?item wdt:P50 ?person .\n"
        + "  OPTIONAL { ?item wdt:P1476 ?title }\n}"
        for batch in chunks(_items(persons))
    )
    found: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for row in _select(endpoint, queries):
        found[qid(row["person"])].append((qid(row["item"]), literal_text(row.get("title"))))
    return found


def fetch_works(
    endpoint: WikidataEndpoint, qids: Iterable[str], languages: Sequence[str]
) -> dict[str, Work]:
    """Classes, titles, date, identifiers and ordered authors of these items."""
    langs = ", ".join(term_to_sparql(ox.Literal(lang)) for lang in languages)
    queries = (
        _PREFIXES
        + "SELECT ?item ?class ?title ?label ?date ?doi ?arxiv ?statement ?author ?name"
        + " ?ordinal ?statedAs WHERE {\n  "
        + _values("item", batch)
        + "\n  { ?item wdt:P31 ?class }\n"
        + "  UNION { ?item wdt:P1476 ?title }\n"
        + f"  UNION {{ ?item rdfs:label ?label FILTER(LANG(?label) IN ({langs})) }}\n"
        + "  UNION { ?item wdt:P577 ?date }\n"
        + "  UNION { ?item wdt:P356 ?doi }\n"
        + "  UNION { ?item wdt:P818 ?arxiv }\n"
        + "  UNION { ?item p:P50 ?statement . ?statement ps:P50 ?author .\n"
        + "          OPTIONAL { ?statement pq:P1545 ?ordinal }\n"
        + "          OPTIONAL { ?statement pq:P1932 ?statedAs } }\n"
        + "  UNION { ?item p:P2093 ?statement . ?statement ps:P2093 ?name .\n"
        + "          OPTIONAL { ?statement pq:P1545 ?ordinal } }\n"
        + "}"
        for batch in chunks(_items(qids))
    )
    parts: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    authors: dict[str, dict[str, WorkAuthor]] = defaultdict(dict)
    for row in _select(endpoint, queries):
        item = qid(row["item"])
        for field in ("class", "title", "label", "date", "doi", "arxiv"):
            if field in row:
                parts[item][field].add(literal_text(row[field]))
        if "statement" in row:
            ordinal = literal_text(row.get("ordinal"))
            author = row.get("author")
            authors[item][literal_text(row["statement"])] = WorkAuthor(
                int(ordinal) if ordinal.isdigit() else None,
                literal_text(row.get("statedAs")) or literal_text(row.get("name")),
                qid(author) if author is not None else None,
            )
    works = {}
    for item, fields in parts.items():
        years = sorted(int(d[:4]) for d in fields["date"] if d[:4].isdigit())
        works[item] = Work(
            item,
            frozenset(qid(c) for c in fields["class"]),
            tuple(sorted(fields["title"])) + tuple(sorted(fields["label"] - fields["title"])),
            tuple(
                sorted(
                    authors[item].values(),
                    key=lambda a: (a.ordinal is None, a.ordinal or 0, a.name, a.item or ""),
                )
            ),
            years[0] if years else None,
            min(fields["doi"], default=None),
            min(fields["arxiv"], default=None),
        )
    return works


def fetch_humans(
    endpoint: WikidataEndpoint, qids: Iterable[str], languages: Sequence[str]
) -> dict[str, Human]:
    """Labels, aliases, ORCID and whether each item is a human (P31 Q5)."""
    langs = ", ".join(term_to_sparql(ox.Literal(lang)) for lang in languages)
    queries = (
        _PREFIXES
        + "SELECT ?person ?label ?alias ?orcid ?class WHERE {\n  "
        + _values("person", batch)
        + f"\n  {{ ?person rdfs:label ?label FILTER(LANG(?label) IN ({langs})) }}\n"
        + f"  UNION {{ ?person skos:altLabel ?alias FILTER(LANG(?alias) IN ({langs})) }}\n"
        + "  UNION { ?person wdt:P496 ?orcid }\n"
        + "  UNION { ?person wdt:P31 ?class }\n}"
        for batch in chunks(_items(qids))
    )
    fields: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for row in _select(endpoint, queries):
        person = fields[qid(row["person"])]
        for field in ("label", "alias", "orcid", "class"):
            if field in row:
                person[field].add(literal_text(row[field]))
    return {
        item: Human(
            item,
            tuple(sorted(f["label"])) + tuple(sorted(f["alias"] - f["label"])),
            min(f["orcid"], default=None),
            HUMAN in {qid(c) for c in f["class"]},
        )
        for item, f in fields.items()
    }


def find_humans(
    endpoint: WikidataEndpoint,
    names: Iterable[str],
    orcids: Iterable[str],
    languages: Sequence[str],
) -> dict[str, set[str]]:
    """Humans whose label or alias is one of ``names``, or whose ORCID is one of ``orcids``:
    QIDs by name or ORCID."""
    terms = [ox.Literal(n, language=lang) for n in sorted(set(names)) for lang in languages]
    queries = [
        _PREFIXES
        + "SELECT DISTINCT ?person ?name WHERE {\n  "
        + _values("name", batch)
        + "\n  { ?person rdfs:label ?name } UNION { ?person skos:altLabel ?name }\n"
        + "  ?person wdt:P31 wd:Q5 .\n}"
        for batch in chunks(terms)
    ]
    queries += [
        _PREFIXES
        + "SELECT DISTINCT ?person ?name WHERE {\n  "
        + _values("name", [ox.Literal(o) for o in batch])
        + "\n  ?person wdt:P496 ?name .\n}"
        for batch in chunks(sorted(set(orcids)))
    ]
    found: dict[str, set[str]] = defaultdict(set)
    for row in _select(endpoint, queries):
        found[literal_text(row["name"])].add(qid(row["person"]))
    return found
