"""Hostile text (issue 14): line and paragraph separators, bidi controls and zero-width
characters in titles, names and abstracts survive every format byte for byte.

``str.splitlines`` breaks at U+2028, U+2029 and U+0085 (and at \\x0b, \\x0c, \\x1c-\\x1e),
which N-Triples keeps unescaped inside literals: a writer or reader that splits N-Triples
that way cuts a triple in two. The inputs below are built with ``kg build`` (text list,
BibTeX and CSL-JSON at once) and every output is read back and compared with the input text
exactly: graph.nt, graph.ttl, graph.jsonld, the store, ``kg query`` in every data format, the
published site, ``kg serve``'s entity answers, ``kg export`` and the QuickStatements.
Terminal messages show the same characters escaped (``\\u202e``).
"""

from __future__ import annotations

import csv
import html.parser
import io
import json
import shutil
import subprocess
import sys
import tempfile
import threading
import urllib.request
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kg.batches import entities
from kg.export import write_exports
from kg.iris import IriScheme
from kg.ntriples import lf_lines
from kg.pipeline import load_corpus
from kg.serve import make_server
from kg.store import open_store
from kg.terminal import for_terminal
from kg.wikidata.local import read_local_graph
from kg.wikidata.matching import Alignment
from kg.wikidata.quickstatements import quickstatements

SEPARATORS = {"LINE SEPARATOR": "\u2028", "PARAGRAPH SEPARATOR": "\u2029"}
BIDI = {
    "LRE": "\u202a",
    "RLE": "\u202b",
    "PDF": "\u202c",
    "LRO": "\u202d",
    "RLO": "\u202e",
    "LRI": "\u2066",
    "RLI": "\u2067",
    "FSI": "\u2068",
    "PDI": "\u2069",
    "LRM": "\u200e",
    "RLM": "\u200f",
    "ALM": "\u061c",
}
ZERO_WIDTH = {"ZWSP": "\u200b", "ZWNJ": "\u200c", "ZWJ": "\u200d", "WJ": "\u2060", "BOM": "\ufeff"}
NEL = "\u0085"
INVISIBLE = "".join(BIDI.values()) + "".join(ZERO_WIDTH.values())
EVERY = "".join(SEPARATORS.values()) + INVISIBLE + NEL
"""The characters under test (U+0085, a C1 control, only where a reader accepts it)."""

SCHEMA = "http://schema.org/"
TEXT_PROPERTIES = ("name", "abstract", "givenName", "familyName", "alternateName")

# A text list: separators and invisible characters inside titles and abstracts, invisible
# characters inside names (a text list collapses whitespace in names, U+2028 included).
LS, PS, RLO = "\u2028", "\u2029", "\u202e"
LIST_TITLE = f"Crossref{LS}abstracts {RLO}evil{BIDI['PDF']} and {INVISIBLE}hidden"
LIST_ABSTRACT = (
    f"First paragraph.{PS}@prefix of a second{LS}line, "  # no Turtle header line, either
    f"an {BIDI['RLI']}isolate{BIDI['PDI']}, a zero{ZERO_WIDTH['ZWSP']}width space and {INVISIBLE}."
)
FAMILY = f"Ro{BIDI['RLO']}ssi{ZERO_WIDTH['ZWJ']}"
GIVEN = f"An{ZERO_WIDTH['BOM']}na{BIDI['LRM']}"
CO_FAMILY = f"Wa{ZERO_WIDTH['ZWNJ']}ng"
CO_GIVEN = f"Li{BIDI['ALM']}"
# BibTeX and CSL-JSON: every character; their readers read U+2028, U+2029 and U+0085 as
# whitespace, as they do line breaks, and collapse whitespace runs into one space.
BIB_TITLE = f"BibTeX title{EVERY}with every character"
BIB_ABSTRACT = f"A BibTeX abstract{EVERY}ends here."
BIB_FAMILY = f"Bi{INVISIBLE}bfamily"
CSL_TITLE = f"CSL title {NEL}{INVISIBLE} and {SEPARATORS['PARAGRAPH SEPARATOR']}more"
CSL_ABSTRACT = f"A CSL abstract{EVERY}ends here."
CSL_GIVEN = f"Cs{INVISIBLE}l"


def collapsed(text: str) -> str:
    """What the BibTeX and CSL-JSON readers make of whitespace: one space per run."""
    return " ".join(text.split())


EXPECTED_TITLES = {LIST_TITLE, collapsed(BIB_TITLE), collapsed(CSL_TITLE)}
EXPECTED_ABSTRACTS = {LIST_ABSTRACT, collapsed(BIB_ABSTRACT), collapsed(CSL_ABSTRACT)}
EXPECTED_NAMES = {
    f"{GIVEN} {FAMILY}",
    f"{CO_GIVEN} {CO_FAMILY}",
    f"Maria {BIB_FAMILY}",
    f"{CSL_GIVEN} Novak",
}
EXPECTED = EXPECTED_TITLES | EXPECTED_ABSTRACTS | EXPECTED_NAMES


def write_inputs(folder: Path) -> list[Path]:
    text_list = folder / "hostile.txt"
    text_list.write_text(
        f"{FAMILY}, {GIVEN}\n\n"
        f"{LIST_TITLE}\n{FAMILY}, {GIVEN}, {CO_FAMILY}, {CO_GIVEN}\n{LIST_ABSTRACT}\n",
        encoding="utf-8",
    )
    bibtex = folder / "hostile.bib"
    bibtex.write_text(
        f"@article{{bib1,\n  title = {{{BIB_TITLE}}},\n  author = {{{BIB_FAMILY}, Maria}},\n"
        f"  abstract = {{{BIB_ABSTRACT}}},\n  journal = {{Journal}},\n  year = {{2021}}\n}}\n",
        encoding="utf-8",
    )
    csl = folder / "hostile.json"
    item = {
        "id": "csl1",
        "type": "article-journal",
        "title": CSL_TITLE,
        "abstract": CSL_ABSTRACT,
        "author": [{"family": "Novak", "given": CSL_GIVEN}],
        "issued": {"date-parts": [[2022]]},
    }
    csl.write_text(json.dumps([item], ensure_ascii=False), encoding="utf-8")
    return [text_list, bibtex, csl]


def kg(*args: str, cwd: Path) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "kg", *args], capture_output=True, cwd=cwd, check=False
    )


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("hostile")
    inputs = write_inputs(folder)
    result = kg("build", *(p.name for p in inputs), "--store", "store", cwd=folder)
    assert result.returncode == 0, result.stderr.decode()
    return folder


def texts(triples: Iterator[ox.Triple] | list[ox.Triple]) -> set[str]:
    """The values of every string literal of the text properties."""
    return {
        t.object.value
        for t in triples
        if isinstance(t.object, ox.Literal) and t.predicate.value[len(SCHEMA) :] in TEXT_PROPERTIES
    }


def parsed(data: bytes, fmt: ox.RdfFormat) -> list[ox.Triple]:
    return [q.triple for q in ox.parse(data, fmt)]


def graph_nt(built: Path) -> bytes:
    return (built / "exports" / "graph.nt").read_bytes()


# --- the exports and the store ------------------------------------------------------------


def test_the_inputs_hold_every_character_under_test(built: Path) -> None:
    """A guard for the test itself: a character dropped from the inputs tests nothing."""
    inputs = "".join(p.read_text(encoding="utf-8") for p in sorted(built.glob("hostile.*")))
    assert all(char in inputs for char in EVERY)
    assert all(char in "".join(EXPECTED) for char in INVISIBLE + "\u2028\u2029")


def test_graph_nt_keeps_every_triple_on_its_line(built: Path) -> None:
    data = graph_nt(built)
    lines = lf_lines(data.decode("utf-8"))
    for line in lines:  # each line alone is one whole triple
        assert len(parsed(line.encode(), ox.RdfFormat.N_TRIPLES)) == 1, line
    assert lines == sorted(lines)
    assert texts(parsed(data, ox.RdfFormat.N_TRIPLES)) >= EXPECTED


@pytest.mark.skipif(shutil.which("rapper") is None, reason="raptor2-utils (rapper) is missing")
@pytest.mark.parametrize(("name", "syntax"), [("graph.nt", "ntriples"), ("graph.ttl", "turtle")])
def test_an_independent_parser_reads_the_exports(built: Path, name: str, syntax: str) -> None:
    """raptor's rapper, which no one on the project wrote, reads the same triples."""
    lines = len(lf_lines(graph_nt(built).decode("utf-8")))
    result = subprocess.run(
        ["rapper", "-q", "-i", syntax, "-o", "ntriples", str(built / "exports" / name)],
        capture_output=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr.decode()
    assert texts(parsed(result.stdout, ox.RdfFormat.N_TRIPLES)) >= EXPECTED
    assert len(lf_lines(result.stdout.decode("utf-8"))) == lines


@pytest.mark.parametrize(
    ("name", "fmt"), [("graph.ttl", ox.RdfFormat.TURTLE), ("graph.jsonld", ox.RdfFormat.JSON_LD)]
)
def test_turtle_and_json_ld_hold_the_same_text(built: Path, name: str, fmt: ox.RdfFormat) -> None:
    data = (built / "exports" / name).read_bytes()
    assert texts(parsed(data, fmt)) == texts(parsed(graph_nt(built), ox.RdfFormat.N_TRIPLES))
    assert texts(parsed(data, fmt)) >= EXPECTED


def test_the_store_holds_the_exported_lines(built: Path) -> None:
    store = open_store(built / "store")
    dumped = store.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=ox.DefaultGraph())
    del store
    assert sorted(lf_lines(dumped.decode("utf-8"))) == lf_lines(graph_nt(built).decode("utf-8"))


# --- kg query ------------------------------------------------------------------------------

SELECT = (
    "SELECT ?v WHERE { ?s ?p ?v VALUES ?p { "
    + " ".join(f"<{SCHEMA}{name}>" for name in TEXT_PROPERTIES)
    + " } }"
)
CONSTRUCT = SELECT.replace("SELECT ?v WHERE", "CONSTRUCT { ?s ?p ?v } WHERE")


def _from_tsv(body: str) -> set[str]:
    rows = lf_lines(body)[1:]
    return {ox.Literal(json.loads(row)).value if row.startswith('"') else row for row in rows}


def _from_xml(body: str) -> set[str]:
    namespace = "{http://www.w3.org/2005/sparql-results#}"
    return {element.text or "" for element in ET.fromstring(body).iter(f"{namespace}literal")}


@pytest.mark.parametrize("fmt", ["csv", "tsv", "json", "xml"])
@pytest.mark.parametrize("source", ["--store", "--data"])
def test_query_answers_keep_the_text(built: Path, fmt: str, source: str) -> None:
    where = "store" if source == "--store" else "exports/graph.nt"
    result = kg("query", "-q", SELECT, source, where, "--format", fmt, cwd=built)
    assert result.returncode == 0, result.stderr.decode()
    body = result.stdout.decode("utf-8")
    if fmt == "csv":
        values = {row[0] for row in list(csv.reader(io.StringIO(body, newline="")))[1:]}
    elif fmt == "tsv":
        values = _from_tsv(body)
    elif fmt == "json":
        values = {b["v"]["value"] for b in json.loads(body)["results"]["bindings"]}
    else:
        values = _from_xml(body)
    assert values >= EXPECTED


@pytest.mark.parametrize(
    ("fmt", "syntax"), [("turtle", ox.RdfFormat.TURTLE), ("ntriples", ox.RdfFormat.N_TRIPLES)]
)
def test_graph_answers_keep_the_text(built: Path, fmt: str, syntax: ox.RdfFormat) -> None:
    result = kg("query", "-q", CONSTRUCT, "--store", "store", "--format", fmt, cwd=built)
    assert result.returncode == 0, result.stderr.decode()
    assert texts(parsed(result.stdout, syntax)) == texts(
        parsed(graph_nt(built), ox.RdfFormat.N_TRIPLES)
    )


# --- the site and kg serve -----------------------------------------------------------------


class _Scripts(html.parser.HTMLParser):
    """The JSON-LD of a page's ``<script type="application/ld+json">``."""

    def __init__(self) -> None:
        super().__init__()
        self.inside = False
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.inside = tag == "script" and ("type", "application/ld+json") in attrs

    def handle_endtag(self, tag: str) -> None:
        self.inside = False

    def handle_data(self, data: str) -> None:
        if self.inside:
            self.found.append(data)


def page_jsonld(page: str) -> dict[str, object]:
    scripts = _Scripts()
    scripts.feed(page)
    assert len(scripts.found) == 1
    document: dict[str, object] = json.loads(scripts.found[0])
    return document


def jsonld_texts(document: object) -> set[str]:
    """Every string value of ``name``, ``abstract``, ``givenName``, ``familyName``."""
    if isinstance(document, list):
        return set().union(*map(jsonld_texts, document)) if document else set()
    if not isinstance(document, dict):
        return set()
    found = {v for k, v in document.items() if k in TEXT_PROPERTIES and isinstance(v, str)}
    for value in document.values():
        found |= jsonld_texts(value)
    return found


def test_the_published_site_keeps_the_text(built: Path) -> None:
    result = kg("publish", "--data", "exports/graph.nt", "-o", "site", cwd=built)
    assert result.returncode == 0, result.stderr.decode()
    papers = sorted((built / "site" / "paper").glob("*.html"))
    assert len(papers) == 3
    in_pages: set[str] = set()
    for page in papers:
        embedded = page_jsonld(page.read_text(encoding="utf-8"))
        beside = json.loads(page.with_suffix(".jsonld").read_text(encoding="utf-8"))
        assert embedded == beside
        in_pages |= jsonld_texts(embedded)
        turtle = texts(parsed(page.with_suffix(".ttl").read_bytes(), ox.RdfFormat.TURTLE))
        assert turtle == jsonld_texts(embedded) - {""}
    assert in_pages >= EXPECTED


@pytest.fixture(scope="module")
def served(built: Path) -> Iterator[str]:
    store = ox.Store()
    store.load(graph_nt(built), ox.RdfFormat.N_TRIPLES)
    server = make_server(store, port=0, workers=1)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.url
    finally:
        server.shutdown()
        server.server_close()
        thread.join(10)


def _get(url: str, accept: str) -> bytes:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(urllib.request.Request(url, headers={"Accept": accept}), timeout=30) as r:
        body: bytes = r.read()
        return body


@pytest.mark.parametrize(
    ("accept", "syntax"),
    [
        ("application/n-triples", ox.RdfFormat.N_TRIPLES),
        ("text/turtle", ox.RdfFormat.TURTLE),
        ("application/ld+json", ox.RdfFormat.JSON_LD),
        ("text/html", None),
    ],
)
def test_served_entities_keep_the_text(
    built: Path, served: str, accept: str, syntax: ox.RdfFormat | None
) -> None:
    documents = {
        t.subject.value
        for t in parsed(graph_nt(built), ox.RdfFormat.N_TRIPLES)
        if t.object == ox.NamedNode("http://purl.org/ontology/bibo/Document")
    }
    assert len(documents) == 3
    found: set[str] = set()
    for iri in documents:
        body = _get(served + iri.removeprefix("https://example.org/kg/"), accept)
        if syntax is None:
            found |= jsonld_texts(page_jsonld(body.decode("utf-8")))
        else:
            found |= texts(parsed(body, syntax))
    assert found >= EXPECTED_TITLES | EXPECTED_ABSTRACTS


# --- kg export and the QuickStatements -----------------------------------------------------


def test_csl_json_export_keeps_the_text(built: Path) -> None:
    result = kg("export", "--to", "csl-json", "--data", "exports/graph.nt", "-o", "-", cwd=built)
    assert result.returncode == 0, result.stderr.decode()
    items = json.loads(result.stdout.decode("utf-8"))
    assert {item["title"] for item in items} == EXPECTED_TITLES
    assert {item["abstract"] for item in items} == EXPECTED_ABSTRACTS
    names = {f"{a['given']} {a['family']}" for item in items for a in item["author"]}
    assert names == EXPECTED_NAMES


@pytest.mark.parametrize(("fmt", "suffix"), [("bibtex", "bib"), ("csl-json", "json")])
def test_exported_bibliographies_read_back_to_the_same_text(
    built: Path, fmt: str, suffix: str
) -> None:
    """Read back by kg's own readers, which collapse whitespace in BibTeX and CSL-JSON: the
    separators become spaces, every other character survives."""
    target = built / f"works.{suffix}"
    result = kg("export", "--to", fmt, "--data", "exports/graph.nt", "-o", target.name, cwd=built)
    assert result.returncode == 0, result.stderr.decode()
    corpus = load_corpus([target])
    assert {p.title for p in corpus.papers} == {collapsed(t) for t in EXPECTED_TITLES}
    assert {p.abstract for p in corpus.papers} == {collapsed(a) for a in EXPECTED_ABSTRACTS}
    names = {f"{p.name.given} {p.name.family}" for p in corpus.persons.values()}
    assert names == EXPECTED_NAMES


def test_quickstatements_keep_the_text_on_one_line(built: Path) -> None:
    """QuickStatements V1 is one command per line: values are flattened (whitespace runs,
    separators included, become one space); every other character survives."""
    store = open_store(built / "store")
    papers = read_local_graph(store).papers
    del store
    rows = {p.iri: Alignment(p.iri, "paper", p.title, "unmatched") for p in papers}
    text = quickstatements(papers, rows, {}).text
    assert len(text.split("\n")) == len(text.splitlines()) + 1  # no other line breaks
    for title in EXPECTED_TITLES:
        assert f'\tP1476\ten:"{collapsed(title)}"\n' in text
    for name in EXPECTED_NAMES:
        assert f'\tP2093\t"{name}"\t' in text


# --- the text-list reader ------------------------------------------------------------------


def test_a_separator_inside_an_abstract_does_not_split_the_block(tmp_path: Path) -> None:
    path = tmp_path / "one.txt"
    path.write_text(
        "Doe, Jane\nTitle\nDoe, Jane\nOne\u2028two\u2029three.\nSecond paper\nDoe, Jane\n\n",
        encoding="utf-8",
    )
    corpus = load_corpus([path])
    assert sorted((p.title, p.abstract) for p in corpus.papers) == [
        ("Second paper", None),
        ("Title", "One\u2028two\u2029three."),
    ]


def test_a_next_line_control_is_refused_with_file_and_line(tmp_path: Path) -> None:
    (tmp_path / "nel.txt").write_text(f"Doe, Jane\nTitle\nDoe, Jane\nOne{NEL}two.\n", "utf-8")
    result = kg("build", "nel.txt", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.decode() == "kg: error: nel.txt:4: control character U+0085 at column 4\n"
    assert not (tmp_path / "exports").exists()


# --- property: any text of these characters survives --------------------------------------

# No backslash or dollar: a text list's abstracts are LaTeX, converted on reading (`\.y` is ẏ).
_hostile_alphabet = st.sampled_from(list(INVISIBLE + "\u2028\u2029") + list("ab Z.é😀\"'<&%#_"))
_text = st.text(_hostile_alphabet, min_size=1, max_size=30).map(lambda t: f"x{t}y")


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(title=_text, abstract=_text)
def test_any_title_and_abstract_survive_the_exports(title: str, abstract: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "random.txt"
        path.write_text(f"Doe, Jane\n{title}\nDoe, Jane\n{abstract}\n", encoding="utf-8")
        corpus = load_corpus([path])
        write_exports(entities(corpus, IriScheme()), IriScheme(), Path(folder) / "out")
        for name, fmt in [
            ("graph.nt", ox.RdfFormat.N_TRIPLES),
            ("graph.ttl", ox.RdfFormat.TURTLE),
            ("graph.jsonld", ox.RdfFormat.JSON_LD),
        ]:
            found = texts(parsed((Path(folder) / "out" / name).read_bytes(), fmt))
            assert {title, abstract} <= found, name


# --- terminal messages ---------------------------------------------------------------------


def test_for_terminal_escapes_what_hides_or_reorders_and_nothing_else() -> None:
    readable = "Šakota, Zoë 😀 Ame\u0301lie\ttab\nnext"
    assert for_terminal(readable) == readable
    assert for_terminal(f"a{BIDI['RLO']}b") == "a\\u202eb"
    assert for_terminal(EVERY + "\x1b[2J\U000e0001") == (
        "".join(f"\\u{ord(c):04x}" for c in EVERY) + "\\u001b[2J\\U000e0001"
    )
    assert for_terminal(for_terminal(EVERY)) == for_terminal(EVERY)


def test_build_messages_show_hostile_characters_escaped(tmp_path: Path) -> None:
    """Merge notes, skipped entries, validation warnings and errors name data from the
    inputs: none of them prints a reordering or invisible character raw."""
    evil = f"Evil {BIDI['RLO']}title{ZERO_WIDTH['ZWSP']}{SEPARATORS['LINE SEPARATOR']}x"
    (tmp_path / "refs.bib").write_text(
        f"@article{{a,\n title = {{{evil}}},\n author = {{Doe, Jane}},\n year = {{2020}}\n}}\n"
        f"@article{{b,\n title = {{{evil}}},\n author = {{Doe, Jane}},\n year = {{2021}}\n}}\n"
        f"@article{{k{BIDI['RLO']},\n author = {{Doe, Jane}},\n year = {{2021}}\n}}\n",
        encoding="utf-8",
    )
    (tmp_path / "owner.txt").write_text(
        f"Ow{BIDI['RLO']}ner, Olga\nA paper\nDoe, Jane\nCut off {BIDI['RLI']}mid\n", "utf-8"
    )
    built = kg("build", "refs.bib", "owner.txt", "--keep-going", cwd=tmp_path)
    assert built.returncode == 0, built.stderr.decode()
    failed = kg("build", "refs.bib", cwd=tmp_path)
    assert failed.returncode == 2
    messages = built.stderr.decode("utf-8") + failed.stderr.decode("utf-8")
    assert "note: refs.bib:1, refs.bib:6: 'Evil \\u202etitle\\u200b x'" in messages
    assert "skipped refs.bib:11: entry 'k\\u202e' has no title" in messages
    assert "Cut off \\u2067mid" in messages  # a validation warning's value
    assert "refs.bib:11: entry 'k\\u202e'" in failed.stderr.decode("utf-8")  # an error
    assert not set(messages) & set(EVERY)
    graph = (tmp_path / "exports" / "graph.nt").read_text(encoding="utf-8")
    assert f"Cut off {BIDI['RLI']}mid" in graph  # the files keep them


def test_validate_text_report_shows_them_escaped(tmp_path: Path) -> None:
    (tmp_path / "owner.txt").write_text(
        f"Doe, Jane\nA paper\nDoe, Jane\nCut off {BIDI['RLO']}mid{SEPARATORS['LINE SEPARATOR']}x\n",
        "utf-8",
    )
    assert kg("build", "owner.txt", cwd=tmp_path).returncode == 0
    report = kg("validate", "exports/graph.nt", cwd=tmp_path)
    assert report.returncode == 0
    assert "Cut off \\u202emid\\u2028x" in report.stdout.decode("utf-8")
    as_json = kg("validate", "exports/graph.nt", "--format", "json", cwd=tmp_path)
    assert (
        f"Cut off {BIDI['RLO']}mid{SEPARATORS['LINE SEPARATOR']}x"
        in json.loads(as_json.stdout)["results"][0]["value"]
    )


def test_titles_that_end_alike_after_a_separator_are_validated_whole(tmp_path: Path) -> None:
    """Validation batches drop repeated lines: cut at the separator, the two titles' tails
    would be one "line" and the batch would lose half of a triple."""
    (tmp_path / "tails.txt").write_text(
        f"Doe, Jane\nOne{LS}same tail\nDoe, Jane\n\nTwo{LS}same tail\nDoe, Jane\n\n", "utf-8"
    )
    result = kg("build", "tails.txt", cwd=tmp_path)
    assert result.returncode == 0, result.stderr.decode()
    graph = parsed((tmp_path / "exports" / "graph.nt").read_bytes(), ox.RdfFormat.N_TRIPLES)
    assert {f"One{LS}same tail", f"Two{LS}same tail"} <= texts(graph)
