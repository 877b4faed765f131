"""The first rows of the canned queries that read the whole graph, kept in the store.

``papers-per-author``, ``collaboration-pairs``, ``owner-coauthors`` and ``papers-per-list``
count every paper before their first row can come: on the on-disk store of 100k papers
Oxigraph takes from 3 s to 150 s for them, however few rows are asked for. The build has
just written the graph as sorted N-Triples; one pass over that file counts the same things,
and each query's first :data:`KEPT_ROWS` rows, in the query's own order, are kept in the
store's named graph :data:`AGGREGATES` (never in the exports: it is not part of the graph).
``kg query --store`` answers a page that lies within them from that graph; a later page, or
a query whose text is not the text the counting was written for, runs as written.

The counting here is a second statement of those queries, so it is tied to their exact
text: each :class:`Ranking` names the SHA-256 of the query it answers, rows are kept only
when the bundled query still has that text, and a page is served only for that text. The
tests compare every kept page with the query run on the store.

``papers-per-year``, ``venues`` and ``papers-without-abstract`` read every work too, but take
only seconds even on a million-paper store (4.4 s, 3.6 s and 6.6 s): the build runs them as
written on the store it has just filled and keeps their first rows the same way
(:data:`ANSWERED`), so nothing states them twice. Every kept answer names the SHA-256 of its
text and its columns, and a page is found by that digest.

The queries that list a row per authorship take minutes on a million-paper store. Those
ordered by title first (``authors-as-printed``, ``last-authors``) are stated again in the
same pass, which reads each work with its authorships and holds only the first rows as it
goes (:class:`_FirstRows`). Those ordered by person name first (:data:`BY_PERSON`) are
counted per person in the pass, then run as written for the persons named first only.

The three review queries (``spellings``, ``likely-duplicates``,
``same-title-different-authors``) compare every person or every title with the others, over
a minute on a million-paper store, for answers that are short. The pass keeps what they
compare (each person's printed and alternate names, family and given names, and the works
by their titles' keys) and their rows are made from it; the keys are SPARQL's ``LCASE`` and
``REPLACE`` as Oxigraph computes them (:func:`_lower`).
"""

from __future__ import annotations

import hashlib
import heapq
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import combinations
from pathlib import Path
from typing import Any, cast

import orjson
import pyoxigraph as ox

from kg import __version__
from kg.compression import open_input
from kg.errors import QueryError
from kg.namespaces import OX_BIBO, OX_KG, OX_PROV, OX_RDF, OX_SCHEMA, OX_XSD
from kg.queries import list_canned_queries
from kg.results import QueryResult, Term

AGGREGATES = "https://w3id.org/kg-tool/aggregates"
"""The store's named graph of kept answers; each query's rows are under ``AGGREGATES/NAME``."""

COUNTED_BY = f"kg {__version__}"
"""Rows are served only by the kg that counted them: another version may count otherwise
(a fixed counting, the same query text), so its store's queries run as written until it is
built again."""

KEPT_ROWS = 10_000
"""Rows kept per query: a hundred pages of a hundred rows."""

ANSWERED = ("papers-per-year", "venues", "papers-without-abstract")
"""Canned queries that aggregate the whole graph cheaply enough to run at build time: their
first rows are kept as the query itself gives them."""

Row = tuple[Term, ...]
SortKey = tuple[object, ...]


class _Unrankable(Exception):
    """A term the counting cannot order as SPARQL would (kg never writes one): the query's
    rows are then not kept, and it runs as written."""


class _FirstRows:
    """The first :data:`KEPT_ROWS` rows, by key, of rows offered a work at a time, without
    holding every row: once more than twice that many are held they are sorted and cut,
    and a work whose every row would sort after the cut is not even made into rows.

    With ``whole``, rows whose keys share their first ``whole`` parts are kept or dropped
    together: they are not final rows yet, and their final order within the group is not
    known until the pass has read what completes them."""

    def __init__(self, whole: int | None = None) -> None:
        self.whole = whole
        self.keyed: list[tuple[SortKey, Row]] = []
        self.cut: SortKey | None = None
        """The key of the last row kept at the latest cut; None before any cut."""
        self.complete = True
        """Whether no row has been dropped."""

    def passes(self, prefix: SortKey) -> bool:
        """Whether rows whose keys start with ``prefix`` may still be among the first; when
        not, they are dropped unmade, so the rows are no longer complete."""
        if self.cut is None or prefix <= self.cut[: len(prefix)]:
            return True
        self.complete = False
        return False

    def offer(self, keyed: Iterable[tuple[SortKey, Row]]) -> None:
        self.keyed.extend(keyed)
        if len(self.keyed) > 2 * KEPT_ROWS:
            self._trim()

    def _trim(self) -> None:
        self.keyed.sort(key=lambda item: item[0])
        end = KEPT_ROWS
        if self.whole is not None:
            whole = self.whole
            while (
                end < len(self.keyed)
                and self.keyed[end][0][:whole] == self.keyed[end - 1][0][:whole]
            ):
                end += 1
        if len(self.keyed) > end:
            self.complete = False
            del self.keyed[end:]
            self.cut = self.keyed[-1][0]

    def first(self) -> tuple[list[Row], bool]:
        self._trim()
        return [row for _, row in self.keyed], self.complete


@dataclass
class Facts:
    """What the rankings need from the graph, gathered in one pass.

    Persons (every author and list owner) are numbered in the code point order of their
    IRIs, which is the order ``STR(?a) < STR(?b)`` and ``ORDER BY`` give them; their names
    stay N-Triples terms until a row needs them. Of the names of authorships (six million
    at a million papers, gigabytes as Python objects) only each person's distinct ones are
    held, and of works' titles one per title key (its work and title as one bytes object).
    At 100k papers the pass holds 195 MB, 148 MB before the review queries' names and
    titles were kept."""

    persons: list[bytes] = field(default_factory=list)
    """The N-Triples term of each person, by number."""
    papers: list[tuple[bool, list[int]]] = field(default_factory=list)
    """Each subject with authors: whether it is a ``bibo:Document``, its authors' numbers."""
    owners: set[int] = field(default_factory=set)
    """The persons a ``schema:Dataset`` (a list) is ``schema:about``."""
    lists: list[tuple[bytes, list[bytes], int]] = field(default_factory=list)
    """Each ``schema:Dataset``: its term, what it is ``schema:about``, how many parts it has."""
    names: dict[bytes, list[bytes]] = field(default_factory=dict)
    """The ``schema:name`` terms of each ``schema:Person`` and ``schema:Dataset``."""
    rankable: bool = True
    """False when a person is not an IRI or not typed ``schema:Person`` (kg writes neither):
    nothing is ranked then, as the names of untyped persons are not held."""
    typed_persons: set[bytes] = field(default_factory=set)
    """Every subject typed ``schema:Person``."""
    own_authorships: bool = True
    """False when a work's authorships are not its own ``#`` IRIs, or a title, printed name,
    position or person is not written as kg writes it: the queries that list authorships
    are then not kept."""
    printed: _FirstRows = field(default_factory=lambda: _FirstRows())
    """The first rows of ``authors-as-printed``, gathered work by work."""
    at_position: dict[str, Counter[bytes]] = field(
        default_factory=lambda: {"first": Counter(), "last": Counter()}
    )
    """For each person (N-Triples term), the rows they make in ``first-author-papers`` and
    ``last-author-papers``: a work's titles, for each work they are first or last author of."""
    last: _FirstRows = field(default_factory=lambda: _FirstRows(whole=2))
    """The first works' last authorships for ``last-authors``: (title, work, position,
    person) keyed by title, work and person, named once the pass is over."""
    printed_names: dict[bytes, list[bytes]] = field(default_factory=dict)
    """For each ``prov:agent``, the distinct ``schema:name`` terms of the subjects naming it
    (its authorships: the names it was printed under)."""
    alternate_names: dict[bytes, list[bytes]] = field(default_factory=dict)
    """The ``schema:alternateName`` terms of each ``schema:Person`` that has one."""
    family_names: dict[bytes, tuple[list[bytes], list[bytes]]] = field(default_factory=dict)
    """The ``schema:familyName`` and ``schema:givenName`` terms of each ``schema:Person``
    with a family name."""
    titled: dict[int, bytes] = field(default_factory=dict)
    """The first ``bibo:Document`` title read under each title key's hash, as the work's
    term, a space and the title's term: a million of them at a million papers, so neither
    the keys nor pairs of terms are held."""
    shared_titles: dict[int, list[bytes]] = field(default_factory=dict)
    """Every title read under a hash that an earlier title has, the first included."""
    titles_keyed: bool = True
    """False when a work's title is not a plain string whose key is known
    (:func:`_title_key`): ``same-title-different-authors`` is then not kept."""

    def name_terms(self, person: int) -> list[bytes]:
        return self.names.get(self.persons[person], [])


@dataclass(frozen=True)
class Ranking:
    """A canned query and its rows counted from :class:`Facts`, in the query's order."""

    query: str
    digest: str
    """SHA-256 of the query text the counting states again."""
    variables: tuple[str, ...]
    rows: Callable[[Facts], tuple[list[Row], bool]]
    """The answer's first rows (at most :data:`KEPT_ROWS`), and whether they are all of it."""


# Where a kept answer lies in the named graph: written by the build, read by queries.


def _answer_node(query: str) -> ox.NamedNode:
    return ox.NamedNode(f"{AGGREGATES}/{query}")


def _row_node(answer: ox.NamedNode, rank: int) -> ox.NamedNode:
    return ox.NamedNode(f"{answer.value}/{rank}")


def _row_text(row: Sequence[Term | None]) -> str:
    """A row as one string: a JSON array of its terms in N-Triples (null when unbound).
    One quad per row, not one per column: a rebuild removes the last build's rows, at about
    13 µs a quad, and reads a page with one lookup per row."""
    return orjson.dumps([None if term is None else str(term) for term in row]).decode()


def _rows_of(texts: Sequence[str]) -> list[tuple[Term | None, ...]]:
    """The rows :func:`_row_text` wrote, their terms parsed back by Oxigraph at once."""
    cells = [orjson.loads(text) for text in texts]
    lines = "".join(
        f"<urn:r:{row}> <urn:c:{column}> {term} .\n"
        for row, terms in enumerate(cells)
        for column, term in enumerate(terms)
        if term is not None
    )
    parsed = {
        (quad.subject.value, quad.predicate.value): quad.object
        for quad in ox.parse(
            lines.encode(), format=ox.RdfFormat.N_TRIPLES, rename_blank_nodes=False
        )
    }
    return [
        tuple(parsed.get((f"urn:r:{row}", f"urn:c:{column}")) for column in range(len(terms)))
        for row, terms in enumerate(cells)
    ]


def _integer(value: int) -> ox.Literal:
    return ox.Literal(str(value), datatype=OX_XSD.integer)


def _iri(term: bytes) -> str:
    """An IRI's value; only IRIs without escapes are ordered (kg writes no other)."""
    if not (term.startswith(b"<") and term.endswith(b">")) or b"\\" in term:
        raise _Unrankable(term)
    return term[1:-1].decode()


def _name(term: bytes) -> str:
    """A plain string's value (plain strings compare by code point in SPARQL and in Python);
    other literals are not ordered here."""
    if not (term.startswith(b'"') and term.endswith(b'"')):
        raise _Unrankable(term)
    if b"\\" not in term:
        return term[1:-1].decode()
    quad = next(ox.parse(b"<urn:s> <urn:p> " + term + b" .\n", format=ox.RdfFormat.N_TRIPLES))
    return cast(ox.Literal, quad.object).value


_WHITE_SPACE = "\t\n\x0b\x0c\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
"""Unicode's White_Space property, which ``\\s`` matches in Oxigraph's regular expressions
(Python's ``\\s`` matches four control characters more)."""
_DOTS_SPACES_HYPHENS = re.compile(f"[.{_WHITE_SPACE}-]")
_NOT_ASCII_LETTER_OR_DIGIT = re.compile("[^A-Za-z0-9]")


def _known(text: str) -> str:
    """``text``, when this Python's Unicode database knows each of its characters: a
    character assigned since may be a letter or have a lowercase form in Oxigraph's newer
    tables, so text holding one is not keyed here."""
    if not text.isascii() and any(unicodedata.category(char) == "Cn" for char in text):
        raise _Unrankable(text.encode())
    return text


def _lower(text: str) -> str:
    """SPARQL's ``LCASE`` as Oxigraph computes it: Unicode's full lowercase mapping, final
    sigma included, which is also Python's ``str.lower``."""
    return _known(text).lower()


def _title_key(title: str) -> str:
    """``LCASE(REPLACE(STR(?title), "[^\\p{L}\\p{N}]", ""))``: the title's letters and
    digits (Unicode general categories L and N), lowercased."""
    if _known(title).isascii():
        return _NOT_ASCII_LETTER_OR_DIGIT.sub("", title).lower()
    return "".join(char for char in title if unicodedata.category(char)[0] in "LN").lower()


def _given_key(given: str) -> str:
    """``LCASE(REPLACE(given, "[.\\s-]", ""))``: the given name without dots, white space
    and hyphens, lowercased."""
    return _lower(_DOTS_SPACES_HYPHENS.sub("", given))


Counted = Callable[[], Iterator[tuple[Any, int]]]
"""Each counted item with its count; callable again for a second pass."""


def _top(
    counted: Counted, rows: Callable[[Any, int], Iterator[tuple[SortKey, Row]]]
) -> tuple[list[Row], bool]:
    """The first :data:`KEPT_ROWS` rows in key order, of the rows ``rows`` makes for each
    counted item, and whether they are all rows. Every query here orders by the count first,
    so only items counted at least as often as the one in :data:`KEPT_ROWS`-th place can
    make those rows: a first pass finds that count, the second makes only their rows (the
    other items, most of them, are never held)."""
    items = 0

    def counts() -> Iterator[int]:
        nonlocal items
        for _, count in counted():
            items += 1
            yield count

    largest = heapq.nlargest(KEPT_ROWS, counts())
    threshold = largest[-1] if len(largest) == KEPT_ROWS else 0
    candidates = [(item, count) for item, count in counted() if count >= threshold]
    keyed = sorted(
        (keyed for item, count in candidates for keyed in rows(item, count)),
        key=lambda keyed: keyed[0],
    )
    complete = len(candidates) == items and len(keyed) <= KEPT_ROWS
    return [row for _, row in keyed[:KEPT_ROWS]], complete


def _papers_of(facts: Facts) -> list[list[int]]:
    """Each person's papers (positions in ``facts.papers``), by person number."""
    papers: list[list[int]] = [[] for _ in facts.persons]
    for paper, (_, authors) in enumerate(facts.papers):
        for author in authors:
            papers[author].append(paper)
    return papers


def _with_each(facts: Facts, people: Iterable[int], later_only: bool) -> Counted:
    """For each person of ``people`` in turn, each other author of their papers (or only
    those numbered after them) with the number of papers they share: one person's counts
    at a time, never all pairs at once (tens of millions at a million papers)."""
    papers_of = _papers_of(facts)

    def counted() -> Iterator[tuple[tuple[int, int], int]]:
        for person in people:
            shared: Counter[int] = Counter()
            for paper in papers_of[person]:
                authors = facts.papers[paper][1]
                shared.update(
                    other
                    for other in authors
                    if (other > person if later_only else other != person)
                )
            for other, count in shared.items():
                yield (person, other), count

    return counted


def _papers_per_author(facts: Facts) -> tuple[list[Row], bool]:
    papers: Counter[int] = Counter()
    for is_document, authors in facts.papers:
        if is_document:
            papers.update(authors)

    def rows(person: int, count: int) -> Iterator[tuple[SortKey, Row]]:
        iri = _iri(facts.persons[person])
        for name in facts.name_terms(person):
            value = _name(name)
            yield (-count, value, iri), (ox.Literal(value), _integer(count), ox.NamedNode(iri))

    return _top(lambda: iter(papers.items()), rows)


def _collaboration_pairs(facts: Facts) -> tuple[list[Row], bool]:
    def rows(pair: tuple[int, int], count: int) -> Iterator[tuple[SortKey, Row]]:
        for key, row in _pair_rows(facts, pair, count):
            yield (key[0], key[1], key[3], key[2], key[4]), row  # both names, then both IRIs

    return _top(_with_each(facts, range(len(facts.persons)), later_only=True), rows)


def _owner_coauthors(facts: Facts) -> tuple[list[Row], bool]:
    def rows(tie: tuple[int, int], count: int) -> Iterator[tuple[SortKey, Row]]:
        return _pair_rows(facts, tie, count)

    return _top(_with_each(facts, sorted(facts.owners), later_only=False), rows)


def _pair_rows(facts: Facts, pair: tuple[int, int], count: int) -> Iterator[tuple[SortKey, Row]]:
    """The rows ``(name, name, count, person, person)`` of two persons counted together, one
    per pair of their names, keyed by the count (most first), then name and IRI of the first
    person, then of the second."""
    first, second = (_iri(facts.persons[person]) for person in pair)
    for first_name in facts.name_terms(pair[0]):
        for second_name in facts.name_terms(pair[1]):
            name1, name2 = _name(first_name), _name(second_name)
            row = (ox.Literal(name1), ox.Literal(name2), _integer(count))
            yield (
                (-count, name1, first, name2, second),
                (*row, ox.NamedNode(first), ox.NamedNode(second)),
            )


def _papers_per_list(facts: Facts) -> tuple[list[Row], bool]:
    def counted() -> Iterator[tuple[int, int]]:
        for index, (_, _, parts) in enumerate(facts.lists):
            yield index, parts

    def rows(index: int, count: int) -> Iterator[tuple[SortKey, Row]]:
        subject, about, _ = facts.lists[index]
        iri = _iri(subject)
        for file in facts.names.get(subject, []):
            for owner in about:
                for owner_name in facts.names.get(owner, []):
                    value1, value2 = _name(file), _name(owner_name)
                    yield (
                        (-count, value1, value2, iri),
                        (
                            ox.NamedNode(iri),
                            ox.Literal(value1),
                            ox.Literal(value2),
                            _integer(count),
                        ),
                    )

    return _top(counted, rows)


def _authors_as_printed(facts: Facts) -> tuple[list[Row], bool]:
    if not facts.own_authorships:
        raise _Unrankable(b"")
    return facts.printed.first()


def _last_authors(facts: Facts) -> tuple[list[Row], bool]:
    """The last authorships of the first works, each with its person's names, in the
    query's order (title, work, name, person)."""
    if not facts.own_authorships:
        raise _Unrankable(b"")
    works, complete = facts.last.first()
    keyed: list[tuple[SortKey, Row]] = []
    for title, position, person, work in works:
        term = str(person).encode()  # as N-Triples writes it: no escapes in kg's IRIs
        if term not in facts.typed_persons:  # its names, if any, were not held
            raise _Unrankable(term)
        for name in map(_name, facts.names.get(term, [])):
            row = (title, position, ox.Literal(name), work, person)
            key = (
                cast(ox.Literal, title).value,
                cast(ox.NamedNode, work).value,
                name,
                cast(ox.NamedNode, person).value,
            )
            keyed.append((key, row))
    first, all_kept = _first_of(keyed)
    return first, complete and all_kept


def _first_of(keyed: list[tuple[SortKey, Row]]) -> tuple[list[Row], bool]:
    """The first :data:`KEPT_ROWS` rows by key, and whether they are all of them."""
    keyed.sort(key=lambda item: item[0])
    return [row for _, row in keyed[:KEPT_ROWS]], len(keyed) <= KEPT_ROWS


def _spellings(facts: Facts) -> tuple[list[Row], bool]:
    """Each spelling of the persons printed in more than one spelling or with an
    alternate name, with each of their names, in the query's order (name, person,
    spelling, source)."""
    listed = {person for person, printed in facts.printed_names.items() if len(printed) > 1}
    listed.update(facts.alternate_names)
    if not facts.typed_persons.issuperset(listed):
        raise _Unrankable(b"")  # their names were not held
    keyed: list[tuple[SortKey, Row]] = []
    for person in listed:
        iri = _iri(person)
        spellings = [
            (_name(term), source)
            for source, terms in (
                ("printed", facts.printed_names.get(person, [])),
                ("alternateName", facts.alternate_names.get(person, [])),
            )
            for term in terms
        ]
        for name in map(_name, facts.names.get(person, [])):
            keyed += (
                (
                    (name, iri, spelling, source),
                    (ox.Literal(name), ox.Literal(spelling), ox.Literal(source), ox.NamedNode(iri)),
                )
                for spelling, source in spellings
            )
    return _first_of(keyed)


def _likely_duplicates(facts: Facts) -> tuple[list[Row], bool]:
    """Pairs of persons with the same family key and compatible given keys who share no
    work, once per pair of their (family name, given name) solutions and of their names,
    as the query joins them, in its order (name1, name2, person1, person2)."""
    by_family: dict[str, list[tuple[str, str, bytes]]] = {}
    for person, (families, givens) in facts.family_names.items():
        iri = _iri(person)
        given_keys = [_given_key(_name(given)) for given in givens] or [""]  # OPTIONAL
        for family in families:
            by_family.setdefault(_lower(_name(family)), []).extend(
                (given, iri, person) for given in given_keys
            )
    number = {term: index for index, term in enumerate(facts.persons)}
    papers_of = _papers_of(facts)

    def share_a_work(one: bytes, other: bytes) -> bool:
        if one not in number or other not in number:
            return False
        return not set(papers_of[number[one]]).isdisjoint(papers_of[number[other]])

    rows = _FirstRows()
    for solutions in by_family.values():
        # Sorted, the given keys that start with a key follow it: each compatible pair
        # is met once, from its shorter key.
        solutions.sort()
        for index, (given, iri, person) in enumerate(solutions):
            for other_given, other_iri, other in solutions[index + 1 :]:
                if not other_given.startswith(given):
                    break
                if iri == other_iri or share_a_work(person, other):
                    continue
                (iri1, person1), (iri2, person2) = sorted(((iri, person), (other_iri, other)))
                rows.offer(
                    (
                        (name1, name2, iri1, iri2),
                        (
                            ox.Literal(name1),
                            ox.Literal(name2),
                            ox.NamedNode(iri1),
                            ox.NamedNode(iri2),
                        ),
                    )
                    for name1 in map(_name, facts.names.get(person1, []))
                    for name2 in map(_name, facts.names.get(person2, []))
                )
    return rows.first()


def _same_titles(facts: Facts) -> tuple[list[Row], bool]:
    """Every two works whose titles have the same key, once per pair of such titles, in
    the query's order (title1, paper1, title2, paper2)."""
    if not facts.titles_keyed:
        raise _Unrankable(b"")
    rows = _FirstRows()
    for read in facts.shared_titles.values():
        by_key: dict[str, list[tuple[str, str]]] = {}  # hashes may collide: keys do not
        for entry in read:
            work, title = entry.split(b" ", 1)
            value = _name(title)
            by_key.setdefault(_title_key(value), []).append((value, _iri(work)))
        for titles in by_key.values():
            for one, other in combinations(titles, 2):
                if one[1] == other[1]:
                    continue
                (title1, paper1), (title2, paper2) = sorted((one, other), key=lambda pair: pair[1])
                rows.offer(
                    [
                        (
                            (title1, paper1, title2, paper2),
                            (
                                ox.Literal(title1),
                                ox.Literal(title2),
                                ox.NamedNode(paper1),
                                ox.NamedNode(paper2),
                            ),
                        )
                    ]
                )
    return rows.first()


RANKINGS = (
    Ranking(
        "collaboration-pairs",
        "eff52ee83a6df9b19da7a96223078ed4d208f795059b6ccfa4f53374a20f1ef1",
        ("name1", "name2", "papers", "person1", "person2"),
        _collaboration_pairs,
    ),
    Ranking(
        "owner-coauthors",
        "0637fbdbb678a80e43ad56913957dbe17ca5712bf7876ca5e58be89a53ddb2ed",
        ("ownerName", "coauthorName", "papers", "owner", "coauthor"),
        _owner_coauthors,
    ),
    Ranking(
        "papers-per-list",
        "e724bb27e0c87e9783fc646f46d21a6a5f61f6bbbcba4ee0bce3d2f6a456176a",
        ("list", "file", "owner", "papers"),
        _papers_per_list,
    ),
    Ranking(
        "papers-per-author",
        "b4d7098eb4bed56819ca26388ffd341b04ef483f37d2389d9d060bdb0ff020d4",
        ("name", "papers", "person"),
        _papers_per_author,
    ),
    Ranking(
        "authors-as-printed",
        "54ae17822c6dddcb9ac12d9bbaf57ebf2bb3d194a4342f7812a4ffebbb73478f",
        ("title", "position", "printedName", "person", "paper"),
        _authors_as_printed,
    ),
    Ranking(
        "last-authors",
        "ba4e1358fab706be7a3f5a6396e110f9780cd68014f5705abc34dd7a63f1d834",
        ("title", "position", "name", "paper", "person"),
        _last_authors,
    ),
    Ranking(
        "spellings",
        "334d9d2d118861635b960e34fd70c93dd8a3bda02a565eaa605e0e4fb093083d",
        ("name", "spelling", "source", "person"),
        _spellings,
    ),
    Ranking(
        "likely-duplicates",
        "61d7336179e311ba799166911d77ab670b1b6cf6f53e418e9cfd82f79113711f",
        ("name1", "name2", "person1", "person2"),
        _likely_duplicates,
    ),
    Ranking(
        "same-title-different-authors",
        "d1776cad741533e8c3aac0f56ff4bdaaa45773515674922f6ce1f8001fe27714",
        ("title1", "title2", "paper1", "paper2"),
        _same_titles,
    ),
)


def query_digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# --- counting, at build time ---------------------------------------------------------------

_AUTHOR, _ABOUT, _NAME, _HAS_PART, _DATASET, _PERSON, _TYPE, _DOCUMENT = (
    str(term).encode()  # as N-Triples writes it: <IRI>
    for term in (
        OX_SCHEMA.author,
        OX_SCHEMA.about,
        OX_SCHEMA.name,
        OX_SCHEMA.hasPart,
        OX_SCHEMA.Dataset,
        OX_SCHEMA.Person,
        OX_RDF.type,
        OX_BIBO.Document,
    )
)
_POSITION, _AGENT, _ATTRIBUTION = (
    str(term).encode() for term in (OX_SCHEMA.position, OX_PROV.agent, OX_PROV.qualifiedAttribution)
)
_ALTERNATE, _FAMILY, _GIVEN = (
    str(term).encode()
    for term in (OX_SCHEMA.alternateName, OX_SCHEMA.familyName, OX_SCHEMA.givenName)
)
_INTEGER = b"^^" + str(OX_XSD.integer).encode()
_WANTED = frozenset(
    (
        *(_AUTHOR, _ABOUT, _NAME, _TYPE, _HAS_PART, _POSITION, _AGENT, _ATTRIBUTION),
        *(_ALTERNATE, _FAMILY, _GIVEN),
    )
)
"""The predicates of the lines :func:`gather_facts` reads."""


def gather_facts(ntriples: Path) -> Facts:
    """What the rankings count, from the sorted N-Triples file a build wrote (gzipped or not).

    The lines are kg's own canonical N-Triples, so a line splits at its first two spaces
    into subject, predicate and the object before `` .``; a subject's lines are
    contiguous (the file is sorted), so each subject is settled when the next one starts.
    """
    facts = Facts()
    numbers: dict[bytes, int] = {}
    owners: list[bytes] = []
    typed_persons = facts.typed_persons
    authorships: dict[bytes, _Authorship] = {}
    """Authorships read but not yet their work's (a work sorts after its own ``#`` IRIs)."""
    subject = b""
    read: dict[bytes, list[bytes]] = {}
    """The subject's objects by predicate, ``rdf:type`` included."""

    def settle() -> None:
        def objects(predicate: bytes) -> list[bytes]:
            return read.get(predicate, [])

        kinds = objects(_TYPE)
        is_document, is_dataset, is_person = (
            kind in kinds for kind in (_DOCUMENT, _DATASET, _PERSON)
        )
        authors, names, agents = objects(_AUTHOR), objects(_NAME), objects(_AGENT)
        if authors:
            facts.papers.append(
                (is_document, [numbers.setdefault(author, len(numbers)) for author in authors])
            )
        if is_dataset:
            owners.extend(objects(_ABOUT))
            facts.lists.append((subject, objects(_ABOUT), len(objects(_HAS_PART))))
        if is_person:
            typed_persons.add(subject)
            if _ALTERNATE in read:
                facts.alternate_names[subject] = read[_ALTERNATE]
            if _FAMILY in read:
                facts.family_names[subject] = (read[_FAMILY], objects(_GIVEN))
        if names and (is_person or is_dataset):
            facts.names[subject] = names
        if _POSITION in read or agents:
            authorships[subject] = (objects(_POSITION), names, agents)
            for agent in agents:
                printed = facts.printed_names.setdefault(agent, [])
                printed += (name for name in names if name not in printed)
        if _ATTRIBUTION in read:
            _offer_work(facts, subject, names, read[_ATTRIBUTION], authorships)
        if is_document and facts.titles_keyed:
            _key_titles(facts, subject, names)

    with open_input(ntriples) as stream:
        for line in stream:
            head, predicate, rest = line.split(b" ", 2)
            if predicate not in _WANTED:
                continue
            if head != subject:
                settle()
                subject, read = head, {}
            read.setdefault(predicate, []).append(rest[:-3])  # the object, without " .\n"
        settle()
    for owner in owners:
        numbers.setdefault(owner, len(numbers))
    facts.rankable = typed_persons.issuperset(numbers)
    renumbered = _number_in_iri_order(facts, numbers)
    facts.owners = {renumbered[owner] for owner in owners}
    return facts


_Authorship = tuple[list[bytes], list[bytes], list[bytes]]
"""An authorship's ``schema:position``, ``schema:name`` and ``prov:agent`` terms."""


def _key_titles(facts: Facts, work: bytes, titles: list[bytes]) -> None:
    """File a ``bibo:Document``'s titles under their keys' hashes; a title that cannot be
    keyed here leaves ``same-title-different-authors`` unkept, and nothing more is filed."""
    try:
        for title in titles:
            key = hash(_title_key(_name(title)))
            entry = work + b" " + title
            first = facts.titled.setdefault(key, entry)
            if first is not entry:
                facts.shared_titles.setdefault(key, [first]).append(entry)
    except _Unrankable:
        facts.titles_keyed = False
        facts.titled.clear()
        facts.shared_titles.clear()


def _offer_work(
    facts: Facts,
    work: bytes,
    titles: list[bytes],
    attributions: list[bytes],
    authorships: dict[bytes, _Authorship],
) -> None:
    """Offer one work's rows to ``authors-as-printed`` (each title with each authorship's
    position, printed name and person) and to ``last-authors`` (each title with the persons
    at its highest position). kg's authorships are the work's own ``#`` IRIs, so each is
    read (just) before its work and belongs to it alone; any other graph is not ranked."""
    own = work[:-1] + b"#"
    parts = [authorships.pop(attribution, None) for attribution in attributions]
    if not facts.own_authorships:  # nothing of them will be kept: no rows to make
        return
    if not all(attribution.startswith(own) for attribution in attributions):
        facts.own_authorships = False
        return
    found = [part for part in parts if part is not None]
    try:
        iri = _iri(work)
        positioned = [([_position(term) for term in part[0]], part) for part in found]
        last = max((value for values, _ in positioned for value in values), default=None)
        for values, (_, _, agents) in positioned:
            for agent in agents:
                if 1 in values:
                    facts.at_position["first"][agent] += len(titles)
                if last in values:
                    facts.at_position["last"][agent] += len(titles)
        for title in map(_name, titles):
            if facts.printed.passes((title, iri)):
                facts.printed.offer(
                    (
                        (title, iri, position, printed, person),
                        (
                            ox.Literal(title),
                            _integer(position),
                            ox.Literal(printed),
                            ox.NamedNode(person),
                            ox.NamedNode(iri),
                        ),
                    )
                    for values, (_, printings, agents) in positioned
                    for position in values
                    for printed in map(_name, printings)
                    for person in map(_iri, agents)
                )
            if last is not None and facts.last.passes((title, iri)):
                facts.last.offer(
                    (
                        (title, iri, person),
                        (
                            ox.Literal(title),
                            _integer(last),
                            ox.NamedNode(person),
                            ox.NamedNode(iri),
                        ),
                    )
                    for values, (_, _, agents) in positioned
                    if last in values
                    for person in map(_iri, agents)
                )
    except _Unrankable:
        facts.own_authorships = False


def _position(term: bytes) -> int:
    """An ``xsd:integer`` in its canonical form (as kg writes positions), which orders
    by its value."""
    digits = term[1 : -len(_INTEGER) - 1]
    if (
        not (term.endswith(b'"' + _INTEGER) and digits.isdigit())
        or str(int(digits)) != digits.decode()
    ):
        raise _Unrankable(term)
    return int(digits)


def _number_in_iri_order(facts: Facts, numbers: dict[bytes, int]) -> dict[bytes, int]:
    """Renumber the persons (and their papers' authors) so that numbers compare as their
    IRIs do; the new numbers."""
    try:
        ordered = sorted(numbers, key=_iri)
    except _Unrankable:
        facts.rankable = False
        ordered = sorted(numbers)
    renumbered = {term: number for number, term in enumerate(ordered)}
    old_to_new = [0] * len(numbers)
    for term, number in numbers.items():
        old_to_new[number] = renumbered[term]
    facts.persons = ordered
    facts.papers = [
        (is_document, [old_to_new[author] for author in authors])
        for is_document, authors in facts.papers
    ]
    return renumbered


def aggregate_quads(facts: Facts, texts: Mapping[str, str]) -> Iterator[ox.Quad]:
    """The named graph of kept answers: for each ranking whose query (in ``texts``, by name)
    still has the text it was written for, its first rows and whether they are all."""
    for ranking in RANKINGS if facts.rankable else ():
        text = texts.get(ranking.query)
        if text is None or query_digest(text) != ranking.digest:
            continue
        try:
            first, complete = ranking.rows(facts)
        except _Unrankable:
            continue
        yield from _answer_quads(ranking.query, ranking.digest, ranking.variables, first, complete)


def answered_quads(store: ox.Store, texts: Mapping[str, str]) -> list[ox.Quad]:
    """The kept answers of the :data:`ANSWERED` queries (in ``texts``, by name), run as
    written on ``store``'s default graph.

    They are bundled queries without a slice, so their first rows are asked for by adding
    ``LIMIT``, not through :func:`kg.queries.page_query` or ``run_local``: those parse the
    text with rdflib, whose parser leaves reference cycles that hold every calling frame,
    and so this store, open until the cycle collector runs, which a build pauses; the
    store's folder is then swapped while RocksDB still writes into it.
    """
    quads: list[ox.Quad] = []
    for name in ANSWERED:
        text = texts.get(name)
        if text is None:
            continue
        try:
            solutions = store.query(f"{text}\nLIMIT {KEPT_ROWS + 1}")
        except SyntaxError:  # an edited query with a slice of its own: it runs as written
            continue
        answer = QueryResult.from_oxigraph(solutions)
        complete = len(answer.rows) <= KEPT_ROWS
        rows = list(answer.rows[:KEPT_ROWS])
        quads += _answer_quads(name, query_digest(text), answer.variables, rows, complete)
    return quads


BY_PERSON = {
    "first-author-papers": (
        "first",
        "60fbe617529de0ede1b9d2f1f0e8c578e5db775785b14a501397c5acd56c9f02",
    ),
    "last-author-papers": (
        "last",
        "f7280d397888d59c01b1411c00f4ad400e9ec2838d2fcda4d6fda7490e34b89d",
    ),
}
"""Canned queries ordered by person name that list rows: each query and the
:attr:`Facts.at_position` count of its rows, with the SHA-256 of the text they were written
for. Their first rows are found by running the query itself for the first persons only."""


def by_person_quads(store: ox.Store, facts: Facts, texts: Mapping[str, str]) -> list[ox.Quad]:
    """The kept answers of the :data:`BY_PERSON` queries (in ``texts``, by name).

    Each orders by person name first, and the pass counted each person's rows. The persons
    whose names come first, up to :data:`KEPT_ROWS` rows and every person of the last name
    taken, are bound with ``VALUES ?person`` at the start of the query's ``WHERE``: every
    solution binds ``?person``, so the query then gives exactly its rows for those persons,
    in its own order, which are all its rows up to that name. On the million-paper store the
    whole query takes minutes; for the first persons, seconds."""
    quads: list[ox.Quad] = []
    for name, (position, digest) in BY_PERSON.items():
        text = texts.get(name)
        if text is None or query_digest(text) != digest:
            continue
        try:
            first, complete = _first_persons_rows(store, facts, text, facts.at_position[position])
        except _Unrankable:
            continue
        quads += _answer_quads(name, digest, ("name", "title", "person", "paper"), first, complete)
    return quads


def _first_persons_rows(
    store: ox.Store, facts: Facts, text: str, rows_of: Counter[bytes]
) -> tuple[list[tuple[Term | None, ...]], bool]:
    """The first rows of by-person query ``text``: its rows for the persons named first,
    up to the last name taken, and whether they are all its rows."""
    if not facts.own_authorships or not facts.typed_persons.issuperset(rows_of):
        raise _Unrankable(b"")  # authorships kg does not write, or names not held
    named = sorted(
        (_name(name), _iri(person), count)
        for person, count in rows_of.items()
        for name in facts.names.get(person, [])
    )
    total, end = 0, len(named)
    for index, (person_name, _, count) in enumerate(named):
        total += count
        if total >= KEPT_ROWS:
            end = index + 1
            while end < len(named) and named[end][0] == person_name:
                end += 1
            break
    persons = " ".join(sorted({f"<{iri}>" for _, iri, _ in named[:end]}))
    where = text.index("WHERE {") + len("WHERE {")
    bound = f"{text[:where]}\n  VALUES ?person {{ {persons} }}{text[where:]}"
    # The counts are the query's rows exactly, so the rows of the persons taken reach
    # KEPT_ROWS unless they are all of it; their later names' rows sort after the cut.
    rows = QueryResult.from_oxigraph(store.query(bound)).rows
    return list(rows[:KEPT_ROWS]), end == len(named) and len(rows) <= KEPT_ROWS


def _answer_quads(
    query: str,
    digest: str,
    variables: Sequence[str],
    rows: Sequence[tuple[Term | None, ...]],
    complete: bool,
) -> Iterator[ox.Quad]:
    graph = ox.NamedNode(AGGREGATES)
    answer = _answer_node(query)
    yield ox.Quad(answer, OX_KG.answers, ox.Literal(digest), graph)
    yield ox.Quad(answer, OX_KG.countedBy, ox.Literal(COUNTED_BY), graph)
    yield ox.Quad(answer, OX_KG.variables, ox.Literal(" ".join(variables)), graph)
    yield ox.Quad(answer, OX_KG.keptRows, _integer(len(rows)), graph)
    yield ox.Quad(answer, OX_KG.complete, ox.Literal(complete), graph)
    for rank, row in enumerate(rows, start=1):
        yield ox.Quad(_row_node(answer, rank), OX_KG.row, ox.Literal(_row_text(row)), graph)


def keep_aggregates(store: ox.Store, ntriples: Path) -> None:
    """Replace the store's kept answers by those counted from ``ntriples``, the triples the
    store holds, those of the :data:`ANSWERED` queries run on it and those of the
    :data:`BY_PERSON` queries run for their first persons, for the bundled queries."""
    graph = ox.NamedNode(AGGREGATES)
    if store.contains_named_graph(graph):
        store.remove_graph(graph)
    texts = _bundled_texts()
    facts = gather_facts(ntriples)
    store.bulk_extend(aggregate_quads(facts, texts))
    store.bulk_extend(answered_quads(store, texts))
    store.bulk_extend(by_person_quads(store, facts, texts))


def _bundled_texts() -> dict[str, str]:
    """The text of each ranking's query as kg ships it, as ``kg query NAME`` reads it."""
    try:
        return {query.name: query.text for query in list_canned_queries()}
    except QueryError:  # no queries folder in this installation: nothing is kept
        return {}


# --- answering, at query time --------------------------------------------------------------


def kept_page(
    store: ox.Store, text: str, limit: int | None, offset: int | None
) -> QueryResult | None:
    """The page of ``text``'s answer from the store's kept rows, or None when the store keeps
    no rows for exactly this text or the page goes past them."""
    digest = query_digest(text)
    graph = ox.NamedNode(AGGREGATES)
    answer = next(
        (
            quad.subject
            for quad in store.quads_for_pattern(None, OX_KG.answers, ox.Literal(digest), graph)
        ),
        None,
    )
    if not isinstance(answer, ox.NamedNode):
        return None
    sizes = {
        quad.predicate: quad.object for quad in store.quads_for_pattern(answer, None, None, graph)
    }
    if sizes.get(OX_KG.countedBy) != ox.Literal(COUNTED_BY) or OX_KG.variables not in sizes:
        return None
    kept = int(cast(ox.Literal, sizes[OX_KG.keptRows]).value)
    complete = sizes.get(OX_KG.complete) == ox.Literal(True)
    start = offset or 0
    end = start + limit if limit is not None else None
    if (end is None or end > kept) and not complete:
        return None
    end = kept if end is None else min(end, kept)
    variables = tuple(cast(ox.Literal, sizes[OX_KG.variables]).value.split())
    texts = []
    for rank in range(start + 1, end + 1):
        found = next(store.quads_for_pattern(_row_node(answer, rank), OX_KG.row, None, graph), None)
        if found is None:  # not a store kg filled: ask the store itself
            return None
        texts.append(cast(ox.Literal, found.object).value)
    return QueryResult(kind="select", variables=variables, rows=tuple(_rows_of(texts)))
