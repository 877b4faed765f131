"""Kept answers: the ranking queries' first rows, counted by the build into the store, must be
exactly the rows the queries give when run on the store, page by page."""

from __future__ import annotations

import gc
import subprocess
import sys
import unicodedata
from pathlib import Path

import pyoxigraph as ox
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
from conftest import RICH_INPUTS
from corpus import write_corpus

from kg import aggregates, queries
from kg.aggregates import AGGREGATES, ANSWERED, BY_PERSON, RANKINGS, kept_page, query_digest
from kg.iris import IriScheme
from kg.namespaces import OX_KG
from kg.pipeline import build
from kg.queries import page_query, resolve_query, run_local
from kg.resources import sample_list
from kg.results import QueryResult
from kg.store import StoreUpdate, open_store, write_store

RANKED = [ranking.query for ranking in RANKINGS]
REVIEWS = ["spellings", "likely-duplicates", "same-title-different-authors"]
"""The rankings whose answers are short lists to review: empty on the random corpora."""
KEPT = [*RANKED, *ANSWERED, *BY_PERSON]
"""Every query whose first rows a store keeps: counted, run at build time, or run at build
time for the persons named first."""

PAGES = [(None, None), (1, None), (2, 0), (1, 1), (5, 0), (3, 2), (100, 7), (4, 10_000), (None, 3)]
"""(limit, offset) pairs: the whole answer, first rows, pages inside and past the end."""

HOSTILE_LIST = """\
Owner, Quoted
A paper on "quotes" and back\\slashes
Owner, Quoted, D"Arcy, Jo\\e, Ünïcødé, 𝔐athilde, Zed, Al, Ｆullwidth, Ｚoe
An abstract.
Another paper
Owner, Quoted, D"Arcy, Jo\\e, Zed, Al
An abstract.
A third paper
Ünïcødé, 𝔐athilde, Zed, Al, D"Arcy, Jo\\e
An abstract.
"""
"""Names whose N-Triples carry escapes (a quote, a backslash) and characters beyond the
Basic Multilingual Plane, which order differently in UTF-16 than by code point."""


def live(store: ox.Store, name: str, limit: int | None, offset: int | None) -> QueryResult:
    return run_local(page_query(resolve_query(name).text, limit, offset), store)


def check_every_page(store: ox.Store, served_somewhere: bool = True) -> int:
    """Compare each ranking's kept pages with the query run on the store; the number of
    pages served from kept rows."""
    served = 0
    for name in KEPT:
        text = resolve_query(name).text
        for limit, offset in PAGES:
            page = kept_page(store, text, limit, offset)
            if page is not None:
                served += 1
                assert page == live(store, name, limit, offset), (name, limit, offset)
    assert served > 0 or not served_somewhere
    return served


def built_store(tmp_path: Path, lists: list[Path]) -> ox.Store:
    build(lists, tmp_path / "exports", IriScheme(), store=tmp_path / "store")
    return open_store(tmp_path / "store")


def test_each_ranking_is_tied_to_its_query_text() -> None:
    tied = {ranking.query: ranking.digest for ranking in RANKINGS}
    tied.update((name, digest) for name, (_, digest) in BY_PERSON.items())
    for name, digest in tied.items():
        assert query_digest(resolve_query(name).text) == digest, (
            f"queries/{name}.rq changed: change kg/aggregates.py's counting with it, "
            "then its digest"
        )


@pytest.mark.parametrize("seed", [3, 11, 29])
@pytest.mark.parametrize("kept_rows", [10_000, 7, 1])
def test_kept_pages_are_the_query_pages_on_random_corpora(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, seed: int, kept_rows: int
) -> None:
    """With every row kept, and with so few kept that most pages run as written (ties at
    the cut included: the first rows of many counts are equal)."""
    monkeypatch.setattr(aggregates, "KEPT_ROWS", kept_rows)
    write_corpus(tmp_path / "lists", 150, seed=seed)
    store = built_store(tmp_path, sorted((tmp_path / "lists").glob("*.txt")))
    served = check_every_page(store)
    if kept_rows == 10_000:
        assert served == len(KEPT) * len(PAGES)


def test_names_with_escapes_and_astral_characters(tmp_path: Path) -> None:
    source = tmp_path / "hostile.txt"
    source.write_text(HOSTILE_LIST, encoding="utf-8")
    store = built_store(tmp_path, [source])
    assert check_every_page(store) == len(KEPT) * len(PAGES)
    pairs = kept_page(store, resolve_query("collaboration-pairs").text, None, None)
    assert pairs is not None and len(pairs.rows) == 10  # five persons
    names = {term.value for row in pairs.rows for term in row[:2] if isinstance(term, ox.Literal)}
    assert {'Jo\\e D"Arcy', "𝔐athilde Ünïcødé", "Ｚoe Ｆullwidth"} <= names


def crafted_graph() -> str:
    """Sorted N-Triples no kg build writes but the queries define answers for: homonyms
    (ties broken by IRI), a person with two names and one with none, a work that is not a
    ``bibo:Document``, list owners and an ``about`` that is not a list's, a list with two
    names and two owners, a list without papers."""
    schema, bibo = "http://schema.org/", "http://purl.org/ontology/bibo/"
    kind = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
    names = {"a": ["Kim Lee"], "b": ["Kim Lee"], "c": ["Ana", "Anna"], "d": [], "e": ["Bo"]}
    papers = {"p1": "abc", "p2": "abcd", "p3": "bce", "p4": "ab", "w1": "ade"}
    lines = []
    for person, spelled in names.items():
        lines += [f'<urn:x:{person}> <{schema}name> "{name}" .' for name in spelled]
        lines.append(f"<urn:x:{person}> <{kind}> <{schema}Person> .")
    for paper, authors in papers.items():
        lines += [f"<urn:x:{paper}> <{schema}author> <urn:x:{person}> ." for person in authors]
        if paper.startswith("p"):
            lines.append(f"<urn:x:{paper}> <{kind}> <{bibo}Document> .")
    lines += [
        f"<urn:x:list1> <{kind}> <{schema}Dataset> .",
        f"<urn:x:list1> <{schema}about> <urn:x:a> .",
        f"<urn:x:list2> <{kind}> <{schema}Dataset> .",
        f"<urn:x:list2> <{schema}about> <urn:x:b> .",
        f"<urn:x:list2> <{schema}about> <urn:x:c> .",
        f"<urn:x:note> <{schema}about> <urn:x:e> .",
        f'<urn:x:list1> <{schema}name> "a.txt" .',
        f"<urn:x:list1> <{schema}hasPart> <urn:x:p1> .",
        f"<urn:x:list1> <{schema}hasPart> <urn:x:p2> .",
        f'<urn:x:list2> <{schema}name> "b.txt" .',
        f'<urn:x:list2> <{schema}name> "b2.txt" .',
        f"<urn:x:list2> <{schema}hasPart> <urn:x:p3> .",
        f"<urn:x:list3> <{kind}> <{schema}Dataset> .",
        f'<urn:x:list3> <{schema}name> "c.txt" .',
        f"<urn:x:list3> <{schema}about> <urn:x:e> .",
    ]
    return "".join(f"{line}\n" for line in sorted(lines))


@pytest.mark.parametrize("kept_rows", [10_000, 2])
def test_crafted_corner_cases(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kept_rows: int
) -> None:
    monkeypatch.setattr(aggregates, "KEPT_ROWS", kept_rows)
    (tmp_path / "graph.nt").write_text(crafted_graph(), encoding="utf-8")
    write_store(tmp_path / "graph.nt", tmp_path / "store")
    served = check_every_page(open_store(tmp_path / "store"))
    if kept_rows == 10_000:
        assert served == len(KEPT) * len(PAGES)


def test_an_author_without_a_type_leaves_the_rankings_unkept(tmp_path: Path) -> None:
    """The counting holds the names of typed persons only: a named author that is not a
    ``schema:Person`` (kg writes none) would lose its rows, so nothing counted is kept and
    the rankings run as written."""
    person = "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <http://schema.org/Person>"
    untyped = crafted_graph().replace(f"<urn:x:a> {person} .\n", "")
    assert untyped != crafted_graph()
    (tmp_path / "graph.nt").write_text(untyped, encoding="utf-8")
    write_store(tmp_path / "graph.nt", tmp_path / "store")
    store = open_store(tmp_path / "store")
    check_every_page(store)
    for name in RANKED:
        assert kept_page(store, resolve_query(name).text, None, None) is None, name
    assert live(store, "papers-per-author", None, None).rows  # the query still answers


def attributed_graph(authorship: str, padded: bool) -> str:
    """Sorted N-Triples of four works (one with two titles) whose authorships are
    ``<WORK`` + ``authorship`` + ``N>``, one printed twice, two sharing the last position,
    by persons whose names sort against their IRIs (one with two names, two with one name);
    with ``padded``,
    positions written ``"01"`` (equal to 1 in SPARQL, not as kg writes them)."""
    schema, prov = "http://schema.org/", "http://www.w3.org/ns/prov#"
    integer = "http://www.w3.org/2001/XMLSchema#integer"
    kind = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
    names = {"a": ["Zed"], "b": ["Amy", "Zoe"], "c": ["Kim"], "d": ["Kim"]}
    lines = []
    for person, spelled in names.items():
        lines += [f'<urn:x:{person}> <{schema}name> "{name}" .' for name in spelled]
        lines.append(f"<urn:x:{person}> <{kind}> <{schema}Person> .")
    works = (
        ("w", ["B", "A"], "ab", (1, 2)),
        ("v", ["A"], "ba", (1, 2)),
        ("u", ["A"], "cab", (1, 2, 2)),
        ("t", ["0"], "d", (1,)),
    )
    for work, titles, people, positions in works:
        lines += [f'<urn:x:{work}> <{schema}name> "{title}" .' for title in titles]
        for number, (person, position) in enumerate(zip(people, positions, strict=True), 1):
            node = f"<urn:x:{work}{authorship}{number}>"
            written = f"0{position}" if padded else str(position)
            lines += [
                f"<urn:x:{work}> <{prov}qualifiedAttribution> {node} .",
                f'{node} <{schema}position> "{written}"^^<{integer}> .',
                f'{node} <{schema}name> "{person.upper()}." .',
                f"{node} <{prov}agent> <urn:x:{person}> .",
            ]
        lines.append(f'<urn:x:{work}{authorship}1> <{schema}name> "Printed Otherwise" .')
    return "".join(f"{line}\n" for line in sorted(lines))


@pytest.mark.parametrize("kept_rows", [10_000, 2, 1])
@pytest.mark.parametrize(
    ("authorship", "padded", "kept"), [("#", False, True), ("#", True, False), ("-", False, False)]
)
def test_authorship_rows_are_kept_for_a_works_own_authorships(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    authorship: str,
    padded: bool,
    kept: bool,
    kept_rows: int,
) -> None:
    """``authors-as-printed`` and ``last-authors`` read authorships with their work only
    when they are its ``#`` IRIs with positions as kg writes them; otherwise the queries run
    as written. With few rows kept, the cut falls inside a work's rows."""
    monkeypatch.setattr(aggregates, "KEPT_ROWS", kept_rows)
    (tmp_path / "graph.nt").write_text(attributed_graph(authorship, padded), encoding="utf-8")
    write_store(tmp_path / "graph.nt", tmp_path / "store")
    store = open_store(tmp_path / "store")
    check_every_page(store)
    counted = (("authors-as-printed", 15), ("last-authors", 9), ("last-author-papers", 9))
    for name, rows in (*counted, ("first-author-papers", 6)):
        whole = kept_page(store, resolve_query(name).text, None, None)
        assert (whole is not None) == (kept and kept_rows == 10_000), name
        assert len(live(store, name, None, None).rows) == rows, name


def review_graph(odd_title: str = "") -> str:
    """Sorted N-Triples whose persons and titles hold what the review queries compare:
    printed spellings (repeated, astral, with escapes), alternate names (one also printed),
    family names in several cases and with a final sigma, given names with dots, hyphens,
    no-break and em spaces, a control character Python's ``\\s`` matches and SPARQL's does
    not, none at all, two of them; co-authors (also of a work that is not a document);
    titles of one key in three spellings, one work titled twice, a title of a work that is
    not a ``bibo:Document``, titles whose keys keep letters and digits beyond ASCII; and
    ``odd_title`` as one more work's title. Names sort against their persons' IRIs."""
    schema, prov, bibo = (
        "http://schema.org/",
        "http://www.w3.org/ns/prov#",
        "http://purl.org/ontology/bibo/",
    )
    kind = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")

    def node(name: str) -> ox.NamedNode:
        return ox.NamedNode(f"urn:x:{name}")

    triples = []
    persons = {
        # person: (names, family names, given names, alternate names, printed as)
        "a": (
            ["Zoë Šakota"],
            ["Šakota"],
            ["Zoë"],
            [],
            ["Šakota, Zoë", "Sakota, Zoë", "Sakota, Zoë"],
        ),
        "b": (["Bo \\ B", "𝔅o"], ["B"], ["Bo"], ["Bo B", 'B. "B"'], ["B, Bo"]),
        "c": (["Al Smith"], ["Smith"], ["Tim R."], ["Smith, Al"], ["Smith, Al"]),
        "d": (["Tim Smith"], ["SMITH", "smith"], ["Tim", "T-i m"], [], ["Smith, Tim"]),
        "e": (["Tom Smith"], ["Smith"], ["Tom"], [], ["Smith, Tom"]),
        "f": (["Smith"], ["smith"], [], [], ["Smith"]),
        "g": (["T. Smith"], ["Smith"], ["T.\u00a0\u2003"], [], ["Smith, T."]),
        "h": (["T. Smith"], ["Smith"], ["Ti\x1cm"], [], ["Smith, T"]),
        "i": (["Odysseus"], ["ΟΔΥΣΣΕΥΣ"], ["O"], [], []),
        "j": (["Odysseus Two"], ["οδυσσευς"], ["O."], [], []),
        "k": (["Odysseus Three"], ["οδυσσευσ"], ["O"], [], []),
        "l": (["Ann Lee", "A. Lee"], ["Lee"], ["Ann"], [], ["Lee, Ann", "Lee, A."]),
        "m": (["A. Lee"], ["Lee"], ["A."], [], ["Lee, A.", "Lee, A."]),
    }
    for person, (names, families, givens, alternates, _) in persons.items():
        subject = node(person)
        triples.append(ox.Triple(subject, kind, ox.NamedNode(f"{schema}Person")))
        for predicate, values in (
            ("name", names),
            ("familyName", families),
            ("givenName", givens),
            ("alternateName", alternates),
        ):
            triples += [
                ox.Triple(subject, ox.NamedNode(f"{schema}{predicate}"), ox.Literal(value))
                for value in values
            ]
    works = {
        # work: (titles, is a document, authors)
        "w1": (["A Title."], True, "ac"),
        "w2": (["a title", "A-TITLE"], True, "lm"),
        "w3": (["A title"], True, "d"),
        "w4": (["a title"], False, "ef"),
        "w5": (["Σοφος!", "Éclair ǅ½٣™𝔐"], True, "a"),
        "w6": (["σοφος", "eclair ǆ½٣𝔐"], True, "b"),
        "w7": (["Unique", odd_title] if odd_title else ["Unique"], True, "eg"),
        "w8": (["ÉCLAIR  Ǆ ½ ٣ 𝔐"], True, "h"),
    }
    for work, (titles, is_document, authors) in works.items():
        subject = node(work)
        if is_document:
            triples.append(ox.Triple(subject, kind, ox.NamedNode(f"{bibo}Document")))
        triples += [
            ox.Triple(subject, ox.NamedNode(f"{schema}name"), ox.Literal(title)) for title in titles
        ]
        triples += [
            ox.Triple(subject, ox.NamedNode(f"{schema}author"), node(author)) for author in authors
        ]
    for person, (*_, printed) in persons.items():
        for number, spelling in enumerate(printed):
            authorship = node(f"w1#{person}{number}")
            triples += [
                ox.Triple(authorship, ox.NamedNode(f"{prov}agent"), node(person)),
                ox.Triple(authorship, ox.NamedNode(f"{schema}name"), ox.Literal(spelling)),
            ]
    written = ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES).decode()
    return "".join(f"{line}\n" for line in sorted(written.splitlines()))


@pytest.mark.parametrize("collide", [False, True])
@pytest.mark.parametrize("kept_rows", [10_000, 3, 1])
def test_review_queries_on_names_and_titles_that_differ_in_little(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kept_rows: int, collide: bool
) -> None:
    """The kept rows of ``spellings``, ``likely-duplicates`` and
    ``same-title-different-authors`` are the queries' rows, where keys depend on case,
    white space as SPARQL means it, letters and digits beyond ASCII and a final sigma;
    also when every title key's hash is the same."""
    monkeypatch.setattr(aggregates, "KEPT_ROWS", kept_rows)
    if collide:
        monkeypatch.setattr(aggregates, "hash", lambda key: 0, raising=False)
    (tmp_path / "graph.nt").write_text(review_graph(), encoding="utf-8")
    write_store(tmp_path / "graph.nt", tmp_path / "store")
    store = open_store(tmp_path / "store")
    check_every_page(store)
    answers = {name: live(store, name, None, None).rows for name in REVIEWS}
    assert [len(answers[name]) for name in REVIEWS] == [14, 18, 7]
    for name in REVIEWS:
        whole = kept_page(store, resolve_query(name).text, None, None)
        assert (whole is not None) == (kept_rows == 10_000), name


@pytest.mark.parametrize("odd", ["\u0378", "\U0001e030"])
def test_a_title_with_a_character_python_does_not_know_is_not_keyed(
    tmp_path: Path, odd: str
) -> None:
    """A character this Python's Unicode database does not have (U+1E030 is a letter since
    Unicode 15, which Oxigraph keeps in a key) leaves ``same-title-different-authors``
    unkept; the other queries are still kept."""
    (tmp_path / "graph.nt").write_text(review_graph(f"A title{odd}"), encoding="utf-8")
    write_store(tmp_path / "graph.nt", tmp_path / "store")
    store = open_store(tmp_path / "store")
    check_every_page(store)
    unknown = unicodedata.category(odd) == "Cn"
    titles = resolve_query("same-title-different-authors").text
    assert (kept_page(store, titles, None, None) is None) == unknown
    assert kept_page(store, resolve_query("spellings").text, None, None) is not None


@pytest.mark.parametrize("kept_rows", [10_000, 3, 1])
def test_answers_run_at_build_time_with_dates_and_venues(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kept_rows: int
) -> None:
    """``papers-per-year``, ``venues`` and ``papers-without-abstract`` are run as written
    when the store is filled: on a graph with dates (years, months, days), journals and
    proceedings and works without an abstract, their kept pages are the pages the queries
    give, the unbound year of undated works included."""
    monkeypatch.setattr(aggregates, "KEPT_ROWS", kept_rows)
    store = built_store(tmp_path, RICH_INPUTS)
    check_every_page(store)
    for name in ANSWERED:
        whole = kept_page(store, resolve_query(name).text, None, None)
        assert (whole is not None) == (kept_rows == 10_000), name
    years = live(store, "papers-per-year", None, None).rows
    assert len(years) > 3 and years[-1][0] is None  # undated works: the last row
    assert len(live(store, "venues", None, None).rows) > 3
    assert len(live(store, "papers-without-abstract", None, None).rows) > 3


def test_a_rebuild_by_difference_counts_again(tmp_path: Path) -> None:
    write_corpus(tmp_path / "lists", 120, seed=5)
    lists = sorted((tmp_path / "lists").glob("*.txt"))
    build(lists[:-1], tmp_path / "before", IriScheme())
    build(lists, tmp_path / "after", IriScheme())
    before, after = tmp_path / "before" / "graph.nt", tmp_path / "after" / "graph.nt"
    write_store(before, tmp_path / "store")
    with StoreUpdate(after, tmp_path / "store", previous=before) as update:
        assert not update.commit().reloaded
    store = open_store(tmp_path / "store")
    assert check_every_page(store) == len(KEPT) * len(PAGES)


def test_kept_rows_stay_out_of_the_graph(tmp_path: Path) -> None:
    """The default graph is the exports' triples; the counting is in its own named graph."""
    write_corpus(tmp_path / "lists", 60, seed=2)
    store = built_store(tmp_path, sorted((tmp_path / "lists").glob("*.txt")))
    exported = (tmp_path / "exports" / "graph.nt").read_bytes()
    in_default = store.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=ox.DefaultGraph())
    assert sorted(in_default.splitlines()) == exported.splitlines()
    assert list(store.named_graphs()) == [ox.NamedNode(AGGREGATES)]
    assert "aggregates" not in exported.decode()


def test_another_text_runs_as_written(tmp_path: Path) -> None:
    write_corpus(tmp_path / "lists", 60, seed=2)
    store = built_store(tmp_path, sorted((tmp_path / "lists").glob("*.txt")))
    text = resolve_query("papers-per-author").text
    assert kept_page(store, text, 5, 0) is not None
    assert kept_page(store, text + " ", 5, 0) is None
    assert kept_page(store, resolve_query("coauthors").text, 5, 0) is None


def test_rows_counted_by_another_kg_are_not_served(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_corpus(tmp_path / "lists", 60, seed=2)
    store = built_store(tmp_path, sorted((tmp_path / "lists").glob("*.txt")))
    text = resolve_query("papers-per-author").text
    assert kept_page(store, text, 5, 0) is not None
    monkeypatch.setattr(aggregates, "COUNTED_BY", "kg 99.0")
    assert kept_page(store, text, 5, 0) is None


def test_kg_query_serves_kept_rows_as_the_query_would_answer(tmp_path: Path) -> None:
    write_corpus(tmp_path / "lists", 80, seed=4)
    store = tmp_path / "store"
    command = [sys.executable, "-m", "kg", "query"]
    subprocess.run(
        [sys.executable, "-m", "kg", "build", "lists", "--store", "store"],
        cwd=tmp_path,
        check=True,
        capture_output=True,
    )
    for name in RANKED:
        text = resolve_query(name).text
        paged = ["--limit", "4", "--offset", "3", "--format", "csv", "--store", str(store)]
        canned = subprocess.run(
            [*command, name, *paged], capture_output=True, text=True, check=True
        )
        # The same query with a comment added is another text: it runs as written.
        written = subprocess.run(
            [*command, "-q", text + "\n# as written", *paged],
            capture_output=True,
            text=True,
            check=True,
        )
        assert canned.stdout == written.stdout
        assert canned.stdout.count("\n") == (1 if name in REVIEWS else 5), name


def test_keeping_the_answers_leaves_no_reference_to_the_store(tmp_path: Path) -> None:
    """A build pauses the cycle collector; if keeping the answers left the store in a
    reference cycle, RocksDB would stay open on a folder the build then swaps, and write
    into it (debris in the staging folder, seen in the crash tests)."""
    build([sample_list()], tmp_path / "exports", IriScheme())
    graph = tmp_path / "exports" / "graph.nt"
    queries._parse.cache_clear()  # a first parse is the one whose parser makes cycles
    collecting = gc.isenabled()
    gc.disable()
    try:
        store = ox.Store(str(tmp_path / "store"))
        store.load(path=graph, format=ox.RdfFormat.N_TRIPLES)
        aggregates.keep_aggregates(store, graph)
        del store
        ox.Store(str(tmp_path / "store"))  # closed: RocksDB lets this process open it again
    finally:
        if collecting:
            gc.enable()


def test_a_kept_row_reads_back_term_for_term() -> None:
    """A row is kept as one string; every kind of term, and an unbound value, reads back
    as it was (escapes, line breaks and tabs, characters beyond the BMP included)."""
    row = (
        ox.NamedNode("https://example.org/a#b"),
        ox.Literal('a "quoted"\tline\nbreak \\ 𝔐'),
        ox.Literal("7", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer")),
        ox.Literal("été", language="fr"),
        ox.BlankNode("b0"),
        None,
    )
    texts = [aggregates._row_text(row), aggregates._row_text((None,) * 6)]
    assert aggregates._rows_of(texts) == [row, (None,) * 6]


def test_rows_kept_in_another_form_are_not_served(tmp_path: Path) -> None:
    """A store whose kept answers lack their rows (an earlier kg kept a quad per column)
    answers as written."""
    write_corpus(tmp_path / "lists", 60, seed=2)
    lists = sorted((tmp_path / "lists").glob("*.txt"))
    build(lists, tmp_path / "exports", IriScheme(), store=tmp_path / "store")
    store = ox.Store(str(tmp_path / "store"))
    text = resolve_query("papers-per-author").text
    assert kept_page(store, text, 5, 0) is not None
    graph = ox.NamedNode(AGGREGATES)
    for quad in list(store.quads_for_pattern(None, OX_KG.row, None, graph)):
        store.remove(quad)
    assert kept_page(store, text, 5, 0) is None
    assert kept_page(store, text, 0, 0) is not None  # an empty page needs no row
