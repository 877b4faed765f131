"""``kg align wikidata`` against two real SPARQL servers on loopback.

``oxigraph serve`` holds a Wikidata-shaped fixture (tests/data/wikidata: the scholarly graph
and the main graph, in the dump's own ``wd:``/``wdt:``/``p:``/``ps:``/``pq:`` shape) with
every trap the issue names: a preprint beside its published version, a film and a literary
work with the paper's title, same- and near-title items by other authors, three humans named
Robert West, a name-only person, two Michal Kosinskis. ``expected.tsv`` is the truth; the
run's precision and recall on it, and its request count, are printed in the "figures"
section of the test output. Faults (429, 503, cut JSON, HTML, Java error text, slow
answers, a User-Agent check) come from :class:`faults.FaultyProxy` in front of the servers.
"""

from __future__ import annotations

import csv
import subprocess
import sys
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox
import pytest
from conftest import read_only_oxigraph
from faults import Fault, FaultyProxy

from kg.config import load_settings
from kg.errors import ConfigError, EndpointError, InputError
from kg.iris import IriScheme
from kg.pipeline import build
from kg.rdfio import load_store
from kg.resources import sample_list
from kg.sources.textlist import read_text_list
from kg.wikidata import (
    AlignReport,
    ResponseCache,
    RetryPolicy,
    WikidataEndpoint,
    align_wikidata,
    check_user_agent,
    read_links,
)
from kg.wikidata.alignment_file import format_alignment, read_alignment
from kg.wikidata.local import LocalAuthor, LocalPaper, LocalPerson, read_local_graph
from kg.wikidata.lookup import _packed
from kg.wikidata.matching import Alignment, decide_person, title_variants
from kg.wikidata.quickstatements import quick_string, quickstatements

REPO = Path(__file__).resolve().parent.parent
FIXTURE = REPO / "tests" / "data" / "wikidata"
SAMPLE_GRAPH = REPO / "exports" / "graph.nt"
AGENT = "kg-tests/1.0 (https://example.org/kg-tests; tests@example.org)"
FAST = RetryPolicy(attempts=4, backoff=0.05, timeout=5.0)
EXPECTED_REQUESTS = 8
"""Requests for the 10-paper sample: a handful, whatever the number of papers and persons."""


@dataclass(frozen=True)
class Servers:
    scholarly: str
    main: str


@pytest.fixture(scope="module")
def wikidata(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Servers]:
    with (
        read_only_oxigraph([FIXTURE / "scholarly.ttl"], tmp_path_factory.mktemp("wd-s")) as s,
        read_only_oxigraph([FIXTURE / "main.ttl"], tmp_path_factory.mktemp("wd-m")) as m,
    ):
        yield Servers(s, m)


def align(
    scholarly: str,
    main: str,
    out: Path,
    cache: Path | None,
    *,
    data: Path = SAMPLE_GRAPH,
    offline: bool = False,
    retry: RetryPolicy = FAST,
) -> AlignReport:
    responses = ResponseCache(cache) if cache is not None else None
    try:
        return align_wikidata(
            load_store([data]),
            out,
            WikidataEndpoint(scholarly, AGENT, responses, offline=offline, retry=retry),
            WikidataEndpoint(main, AGENT, responses, offline=offline, retry=retry),
        )
    finally:
        if responses is not None:
            responses.close()


def expected_rows() -> dict[str, dict[str, str]]:
    with (FIXTURE / "expected.tsv").open(encoding="utf-8", newline="") as stream:
        return {row["iri"]: row for row in csv.DictReader(stream, delimiter="\t")}


def test_alignment_finds_the_right_items_and_falls_in_no_trap(
    wikidata: Servers, tmp_path: Path, report_figure: Callable[[str], None]
) -> None:
    report = align(wikidata.scholarly, wikidata.main, tmp_path / "out", tmp_path / "cache")
    truth = expected_rows()
    rows = {row.iri: row for row in report.rows}
    assert set(rows) == set(truth)

    linked = {iri: row.qid for iri, row in rows.items() if row.status == "matched"}
    should = {iri: t["qid"] for iri, t in truth.items() if t["status"] == "matched"}
    right = sum(1 for iri, item in linked.items() if should.get(iri) == item)
    precision = right / len(linked) if linked else 1.0
    recall = right / len(should) if should else 1.0
    review_right = sum(
        1
        for iri, t in truth.items()
        if t["status"] == "review"
        and rows[iri].status == "review"
        and (not t["candidate"] or t["candidate"] in {c.qid for c in rows[iri].candidates})
    )
    reviews = sum(1 for t in truth.values() if t["status"] == "review")
    report_figure(
        f"wikidata alignment on the fixture: precision {precision:.2f}, recall {recall:.2f} "
        f"({right} of {len(should)} links, {len(linked)} made); {review_right} of {reviews} "
        f"review rows right; {report.requests} requests for {len(rows)} papers and persons"
    )
    for iri, t in truth.items():
        assert rows[iri].status == t["status"], (iri, rows[iri])
        if t["status"] == "matched":
            assert rows[iri].qid == t["qid"], iri
        if t["candidate"]:
            assert rows[iri].candidates[0].qid == t["candidate"], iri
    assert precision == 1.0 and recall == 1.0
    assert report.requests <= EXPECTED_REQUESTS


def test_progress_hears_each_stage_with_the_requests_so_far(
    wikidata: Servers, tmp_path: Path
) -> None:
    heard: list[tuple[str, int, int | None]] = []
    align_wikidata(
        load_store([SAMPLE_GRAPH]),
        tmp_path / "out",
        WikidataEndpoint(wikidata.scholarly, AGENT, None, retry=FAST),
        WikidataEndpoint(wikidata.main, AGENT, None, retry=FAST),
        progress=lambda stage, done, total: heard.append((stage, done, total)),
    )
    assert [stage for stage, _, _ in heard] == [
        "reading the graph",
        "asking Wikidata about every paper and person",
        "asking about the works of the persons matched",
        "writing the alignment",
    ]
    requests = [done for _, done, _ in heard]
    assert requests == sorted(requests) and requests[0] == 0 and requests[-1] > 0


def test_the_three_files(wikidata: Servers, tmp_path: Path) -> None:
    out = tmp_path / "out"
    align(wikidata.scholarly, wikidata.main, out, tmp_path / "cache")
    assert sorted(p.name for p in out.iterdir()) == [
        "alignment.tsv",
        "quickstatements.txt",
        "sameas.ttl",
    ]
    header = (out / "alignment.tsv").read_text(encoding="utf-8").splitlines()[0]
    assert header.split("\t") == [
        "iri",
        "kind",
        "label",
        "qid",
        "score",
        "status",
        "decision",
        "candidates",
    ]
    links = {
        (str(t.subject.value), str(t.object.value))
        for t in ox.parse(path=out / "sameas.ttl", format=ox.RdfFormat.TURTLE)
    }
    assert all(
        t.predicate == ox.NamedNode("http://schema.org/sameAs")
        for t in ox.parse(path=out / "sameas.ttl", format=ox.RdfFormat.TURTLE)
    )
    matched = {
        (row["iri"], "http://www.wikidata.org/entity/" + row["qid"])
        for row in expected_rows().values()
        if row["status"] == "matched"
    }
    assert links == matched

    statements = (out / "quickstatements.txt").read_text(encoding="utf-8")
    blocks = statements.split("CREATE\n")[1:]
    created = sorted(block.splitlines()[1].split("\t")[2] for block in blocks)
    # Only the two papers that are not in Wikidata; never one that matched or is in review.
    assert created == [
        '"Exploiting Asymmetry for Synthetic Training Data Generation: SynthIE and the Case of '
        'Information Extraction"',
        '"Meta-Statistical Learning: Supervised Learning of Statistical Inference"',
    ]
    synthie = next(block for block in blocks if "SynthIE" in block).splitlines()
    assert synthie[:3] == [
        "LAST\tP31\tQ13442814",
        'LAST\tLen\t"Exploiting Asymmetry for Synthetic Training Data Generation: SynthIE and '
        'the Case of Information Extraction"',
        'LAST\tP1476\ten:"Exploiting Asymmetry for Synthetic Training Data Generation: SynthIE '
        'and the Case of Information Extraction"',
    ]
    # Authors in order: matched persons as P50 items, the others as P2093 name strings.
    assert synthie[3:] == [
        'LAST\tP2093\t"Martin Josifoski"\tP1545\t"1"',
        'LAST\tP50\tQ990000105\tP1545\t"2"',
        'LAST\tP50\tQ990000101\tP1545\t"3"',
        'LAST\tP50\tQ990000102\tP1545\t"4"',
    ]
    # A matched paper whose item names matched persons only as strings gains P50 statements;
    # items that already have the P50 get nothing.
    additions = [line for line in statements.splitlines() if not line.startswith(("CREATE", "L"))]
    assert additions == [
        'Q990000005\tP50\tQ990000101\tP1545\t"5"\tP1932\t"Maxime Peyrard"',
        'Q990000005\tP50\tQ990000102\tP1545\t"6"\tP1932\t"Robert West"',
    ]


def test_output_is_deterministic_and_a_rerun_sends_no_request(
    wikidata: Servers, tmp_path: Path, report_figure: Callable[[str], None]
) -> None:
    cache = tmp_path / "cache"
    with FaultyProxy(wikidata.scholarly) as scholarly, FaultyProxy(wikidata.main) as main:
        first = align(scholarly.url, main.url, tmp_path / "a", cache)
        sent = len(scholarly.requests) + len(main.requests)
        again = align(scholarly.url, main.url, tmp_path / "b", cache)
        assert len(scholarly.requests) + len(main.requests) == sent
        offline = align(scholarly.url, main.url, tmp_path / "c", cache, offline=True)
    assert first.requests == sent > 0 and again.requests == 0 == offline.requests
    report_figure(f"wikidata alignment re-run with the cache: {again.requests} requests")
    for name in ("alignment.tsv", "sameas.ttl", "quickstatements.txt"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    assert (tmp_path / "c" / "alignment.tsv").read_bytes() == (
        tmp_path / "a" / "alignment.tsv"
    ).read_bytes()


def test_offline_without_cached_answers_is_a_clear_error(wikidata: Servers, tmp_path: Path) -> None:
    with pytest.raises(EndpointError, match="not in the response cache and --offline"):
        align(wikidata.scholarly, wikidata.main, tmp_path / "out", tmp_path / "cache", offline=True)
    assert not (tmp_path / "out").exists()


def test_every_request_is_one_at_a_time_with_the_user_agent(
    wikidata: Servers, tmp_path: Path
) -> None:
    with (
        FaultyProxy(wikidata.scholarly, require_user_agent=AGENT) as scholarly,
        FaultyProxy(wikidata.main, require_user_agent=AGENT) as main,
    ):
        report = align(scholarly.url, main.url, tmp_path / "out", None)
        seen = scholarly.requests + main.requests
    # Both endpoints were asked (papers on the scholarly one, persons on the main one), so
    # the checks below hold for every request of the run, not for none.
    assert scholarly.requests and main.requests
    assert report.requests == len(seen) == EXPECTED_REQUESTS
    assert all(request.headers.get("User-Agent") == AGENT for request in seen)
    assert all(request.method == "POST" for request in seen)


def test_a_client_without_a_proper_user_agent_is_refused(wikidata: Servers) -> None:
    with FaultyProxy(wikidata.main, require_user_agent="kg-tests/") as main:
        bare = WikidataEndpoint(main.url, "Python-urllib/3.11 (x@example.org)", None, retry=FAST)
        with pytest.raises(EndpointError, match="403"):
            bare.select("SELECT * WHERE { ?s ?p ?o } LIMIT 1")
        assert len(main.requests) == 1  # a 403 is not worth retrying
    with pytest.raises(Exception, match="tool/version"):
        check_user_agent("kg")
    assert check_user_agent(AGENT) == AGENT


QUERY = "SELECT ?item WHERE { ?item <http://www.wikidata.org/prop/direct/P31> ?c } LIMIT 3"


@pytest.mark.parametrize(
    "fault",
    [
        Fault("503"),
        Fault("truncated"),
        Fault("html"),
        Fault("error-text"),
        Fault("slow", delay=5.0),
    ],
    ids=lambda fault: fault.kind,
)
def test_transient_faults_are_retried(wikidata: Servers, fault: Fault) -> None:
    with FaultyProxy(wikidata.scholarly) as proxy:
        proxy.script(fault)
        endpoint = WikidataEndpoint(
            proxy.url, AGENT, None, retry=RetryPolicy(attempts=3, backoff=0.05, timeout=2.0)
        )
        rows = endpoint.select(QUERY)
        assert len(rows) == 3
        assert endpoint.requests_sent == len(proxy.requests) == 2


def test_429_waits_as_long_as_retry_after_asks(wikidata: Servers) -> None:
    with FaultyProxy(wikidata.scholarly) as proxy:
        proxy.script(Fault("429", retry_after="1"))
        endpoint = WikidataEndpoint(proxy.url, AGENT, None, retry=FAST)
        assert len(endpoint.select(QUERY)) == 3
        first, second = proxy.requests
    assert second.at - first.at >= 1.0


@pytest.mark.parametrize("kind", ["truncated", "html", "error-text", "503"])
def test_a_fault_that_persists_is_a_clear_error_never_no_results(
    wikidata: Servers, kind: str
) -> None:
    with FaultyProxy(wikidata.scholarly) as proxy:
        proxy.script(*[Fault(kind)] * FAST.attempts)  # type: ignore[arg-type]
        endpoint = WikidataEndpoint(proxy.url, AGENT, None, retry=FAST)
        with pytest.raises(EndpointError, match=f"gave up after {FAST.attempts} attempts"):
            endpoint.select(QUERY)
        assert len(proxy.requests) == FAST.attempts


def test_a_failed_run_writes_nothing_and_keeps_earlier_files(
    wikidata: Servers, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    align(wikidata.scholarly, wikidata.main, out, None)
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    with FaultyProxy(wikidata.main) as main:
        main.script(*[Fault("html")] * 10)
        with pytest.raises(EndpointError, match="not SPARQL JSON results"):
            align(wikidata.scholarly, main.url, out, None)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


def test_retry_after_longer_than_kg_waits_is_an_error(wikidata: Servers) -> None:
    with FaultyProxy(wikidata.scholarly) as proxy:
        proxy.script(Fault("429", retry_after="3600"))
        endpoint = WikidataEndpoint(proxy.url, AGENT, None, retry=FAST)
        with pytest.raises(EndpointError, match="asks to wait 3600 s"):
            endpoint.select(QUERY)
        # kg gave up at once: no second request after the refusal (it did not wait, then
        # retry), and the fault was used.
        assert len(proxy.requests) == 1
        assert proxy.pending == 0


def test_decisions_survive_reruns_and_reach_the_build(wikidata: Servers, tmp_path: Path) -> None:
    out = tmp_path / "wikidata"
    align(wikidata.scholarly, wikidata.main, out, tmp_path / "cache")
    table = out / "alignment.tsv"
    rows = read_alignment(table)
    flows = next(r for r in rows if "/paper/flows-" in r.iri)
    glitch = next(r for r in rows if "/paper/a-glitch-" in r.iri)
    josifoski = next(r for r in rows if r.iri.endswith("/person/martin-josifoski"))
    edited = []
    for row in rows:
        if row is flows:  # accept the candidate kg was unsure about
            row = Alignment(**{**row.__dict__, "qid": "Q990000011", "decision": "accept"})
        elif row is glitch:  # reject what kg matched
            row = Alignment(**{**row.__dict__, "decision": "reject"})
        elif row is josifoski:  # accept a name-only candidate
            row = Alignment(**{**row.__dict__, "qid": "Q990000106", "decision": "accept"})
        edited.append(row)
    table.write_text(format_alignment(edited), encoding="utf-8")

    align(wikidata.scholarly, wikidata.main, out, tmp_path / "cache")
    again = {row.iri: row for row in read_alignment(table)}
    assert (again[flows.iri].status, again[flows.iri].qid) == ("matched", "Q990000011")
    assert again[flows.iri].decision == "accept"
    assert (again[glitch.iri].status, again[glitch.iri].qid) == ("unmatched", None)
    assert again[glitch.iri].decision == "reject"
    assert again[josifoski.iri].qid == "Q990000106"

    statements = (out / "quickstatements.txt").read_text(encoding="utf-8")
    assert '"A Glitch in the Matrix?' in statements  # rejected: nothing in Wikidata is it
    assert '"Flows: Building Blocks' not in statements
    # Josifoski is now a matched person: the new items name him by P50.
    assert 'LAST\tP50\tQ990000106\tP1545\t"1"' in statements

    links = read_links(table)
    assert links[flows.iri] == "http://www.wikidata.org/entity/Q990000011"
    assert glitch.iri not in links

    built = tmp_path / "build"
    result = subprocess.run(
        [sys.executable, "-m", "kg", "build", "-o", str(built), "--alignment", str(table)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert f"{len(links)} link(s) to Wikidata" in result.stdout
    graph = ox.Store()
    graph.load(path=built / "graph.nt", format=ox.RdfFormat.N_TRIPLES)
    same_as = {
        (row["s"].value, row["o"].value)
        for row in graph.query("SELECT ?s ?o WHERE { ?s <http://schema.org/sameAs> ?o }")  # type: ignore[union-attr]
    }
    assert same_as == set(links.items())
    jsonld = (built / "graph.jsonld").read_text(encoding="utf-8")
    assert "http://www.wikidata.org/entity/Q990000011" in jsonld


def test_a_broken_alignment_file_names_file_and_line(tmp_path: Path) -> None:
    table = tmp_path / "alignment.tsv"
    good = format_alignment(
        [Alignment("https://example.org/kg/person/x", "person", "X", "matched", "Q1", 1.0)]
    )
    table.write_text(good.replace("\t\tQ1", "\tmaybe\tQ1").replace("matched\t", "matched\tyes"))
    with pytest.raises(InputError, match=r"alignment.tsv:2: decision must be"):
        read_alignment(table)
    table.write_text(good.replace("Q1\t", "Q-one\t"))
    with pytest.raises(InputError, match=r"alignment.tsv:2: 'Q-one' is not a Wikidata QID"):
        read_alignment(table)
    out = tmp_path / "out"
    result = subprocess.run(
        [sys.executable, "-m", "kg", "build", "-o", str(out), "--alignment", str(table)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 2
    assert "alignment.tsv:2:" in result.stderr and "Traceback" not in result.stderr
    assert not out.exists()


TRICKY_TITLE = 'Quotes "inside", a back\\slash, a \\u0022 escape and\na new line'
TRICKY_LOCAL = f"""
@prefix bibo: <http://purl.org/ontology/bibo/> .
@prefix schema: <http://schema.org/> .
@prefix prov: <http://www.w3.org/ns/prov#> .
<https://example.org/kg/paper/tricky> a bibo:Document, schema:ScholarlyArticle ;
    schema:name {ox.Literal(TRICKY_TITLE)} ;
    schema:identifier "https://doi.org/10.5555/abc.def" ;
    prov:qualifiedAttribution <https://example.org/kg/paper/tricky#author-1> ,
        <https://example.org/kg/paper/tricky#author-2> .
<https://example.org/kg/paper/tricky#author-1> schema:position 1 ;
    prov:agent <https://example.org/kg/person/ada-lovelace> .
<https://example.org/kg/paper/tricky#author-2> schema:position 2 ;
    prov:agent <https://example.org/kg/person/bo-li> .
<https://example.org/kg/person/ada-lovelace> a schema:Person ; schema:name "Ada Lovelace" ;
    schema:givenName "Ada" ; schema:familyName "Lovelace" ;
    schema:sameAs <https://orcid.org/0000-0002-1825-0097> .
<https://example.org/kg/paper/notes> a bibo:Document, schema:ScholarlyArticle ;
    schema:name "Notes on the Analytical Engine" ;
    prov:qualifiedAttribution <https://example.org/kg/paper/notes#author-1> .
<https://example.org/kg/paper/notes#author-1> schema:position 1 ;
    prov:agent <https://example.org/kg/person/ada-lovelace> .
<https://example.org/kg/person/bo-li> a schema:Person ; schema:name "Bo Li" ;
    schema:givenName "Bo" ; schema:familyName "Li" .
<https://example.org/kg/paper/fresh> a bibo:Document, schema:ScholarlyArticle ;
    schema:name "A | pipe\\tand tab" ;
    schema:identifier "doi:10.5555/lower.case" ;
    prov:qualifiedAttribution <https://example.org/kg/paper/fresh#author-1> .
<https://example.org/kg/paper/fresh#author-1> schema:position 1 ;
    prov:agent <https://example.org/kg/person/bo-li> .
"""
TRICKY_WIKIDATA = f"""
@prefix wd: <http://www.wikidata.org/entity/> .
@prefix wdt: <http://www.wikidata.org/prop/direct/> .
@prefix p: <http://www.wikidata.org/prop/> .
@prefix ps: <http://www.wikidata.org/prop/statement/> .
@prefix pq: <http://www.wikidata.org/prop/qualifier/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
wd:Q990000901 wdt:P31 wd:Q13442814 ;
    wdt:P1476 {ox.Literal(TRICKY_TITLE, language="en")} ;
    wdt:P356 "10.5555/ABC.DEF" ;
    wdt:P2093 "Ada Lovelace", "Bo Li" ;
    p:P2093 wd:Q990000901-1, wd:Q990000901-2 .
wd:Q990000901-1 ps:P2093 "Ada Lovelace" ; pq:P1545 "1" .
wd:Q990000901-2 ps:P2093 "Bo Li" ; pq:P1545 "2" .
wd:Q990000902 wdt:P31 wd:Q5 ; rdfs:label "Ada Lovelace"@en ;
    wdt:P496 "0000-0002-1825-0097" .
# Found neither by title (the "!") nor by author strings (one author, as P50): only through
# the works of Ada, once her ORCID has matched her.
wd:Q990000903 wdt:P31 wd:Q13442814 ;
    wdt:P1476 "Notes on the Analytical Engine!"@en ;
    wdt:P50 wd:Q990000902 ;
    p:P50 wd:Q990000903-1 .
wd:Q990000903-1 ps:P50 wd:Q990000902 ; pq:P1545 "1" .
"""


def test_values_with_quotes_backslashes_and_newlines_are_escaped(tmp_path: Path) -> None:
    local = tmp_path / "local.ttl"
    local.write_text(TRICKY_LOCAL, encoding="utf-8")
    remote = tmp_path / "wikidata.ttl"
    remote.write_text(TRICKY_WIKIDATA, encoding="utf-8")
    with read_only_oxigraph([remote], tmp_path) as server:
        report = align(server, server, tmp_path / "out", None, data=local)
    rows = {row.iri: row for row in report.rows}
    tricky = rows["https://example.org/kg/paper/tricky"]
    assert (tricky.status, tricky.qid) == ("matched", "Q990000901")
    assert "same DOI" in tricky.candidates[0].evidence
    ada = rows["https://example.org/kg/person/ada-lovelace"]
    assert (ada.status, ada.qid, ada.candidates[0].evidence) == (
        "matched",
        "Q990000902",
        "same ORCID",
    )
    notes = rows["https://example.org/kg/paper/notes"]
    assert (notes.status, notes.qid) == ("matched", "Q990000903")
    statements = (tmp_path / "out" / "quickstatements.txt").read_text(encoding="utf-8")
    fresh = statements.split("CREATE\n")[1].splitlines()
    assert fresh[1] == 'LAST\tLen\t"A pipe and tab"'
    assert 'LAST\tP356\t"10.5555/LOWER.CASE"' in fresh
    assert all(line.count("\t") in (2, 4, 6) for line in statements.splitlines()[1:])
    # Ada is matched now, so the item that names her only as a string gains her P50.
    assert 'Q990000901\tP50\tQ990000902\tP1545\t"1"\tP1932\t"Ada Lovelace"' in statements


def test_quickstatements_values_never_break_a_line() -> None:
    assert quick_string('a\tb\nc|d "e"  f') == '"a b c d "e" f"'
    author = LocalAuthor(1, LocalPerson("https://example.org/kg/person/a", "A B", "A", "B"))
    paper = LocalPaper("https://example.org/kg/paper/p", "T\u2028itle", (author,), "2024")
    unmatched = {paper.iri: Alignment(paper.iri, "paper", "T", "unmatched")}
    assert quickstatements([paper], unmatched, {}).text == (
        'CREATE\nLAST\tP31\tQ13442814\nLAST\tLen\t"T itle"\nLAST\tP1476\ten:"T itle"\n'
        'LAST\tP577\t+2024-00-00T00:00:00Z/9\nLAST\tP2093\t"A B"\tP1545\t"1"\n'
    )
    for status in ("matched", "review"):
        row = {paper.iri: Alignment(paper.iri, "paper", "T", status, "Q1")}  # type: ignore[arg-type]
        assert "CREATE" not in quickstatements([paper], row, {}).text


def test_title_variants_cover_the_casings_wikidata_uses() -> None:
    variants = title_variants(
        "Grammar-Constrained Decoding for Structured NLP Tasks without Finetuning"
    )
    assert "Grammar-Constrained Decoding for Structured NLP Tasks Without Finetuning" in variants
    assert "Grammar-constrained decoding for structured nlp tasks without finetuning" in variants
    assert "Grammar-Constrained Decoding for Structured NLP Tasks without Finetuning." in variants


def test_orcid_and_papers_that_disagree_go_to_review() -> None:
    person = LocalPerson("https://example.org/kg/person/a", "Ada Lovelace", "Ada", "Lovelace")
    agreeing = decide_person(person, Counter({"Q2": 3}), ["Q2"], [])
    assert (agreeing.status, agreeing.qid) == ("matched", "Q2")
    conflict = decide_person(person, Counter({"Q3": 2}), ["Q2"], [])
    assert (conflict.status, conflict.qid) == ("review", None)
    assert {c.qid for c in conflict.candidates} == {"Q2", "Q3"}
    homonyms = decide_person(person, Counter({"Q3": 2, "Q4": 1}), [], [])
    assert (homonyms.status, homonyms.qid) == ("review", None)
    by_name = decide_person(person, Counter(), [], ["Q5"])
    assert (by_name.status, by_name.qid) == ("review", None)


def test_a_papers_author_names_travel_in_one_request() -> None:
    groups = [["a", "b"], ["c", "d"], ["b", "e"], ["f", "g", "h"]]
    batches = [[term.value for term in batch] for batch in _packed(groups, size=3)]
    for group in groups:
        assert any(set(group) <= set(batch) for batch in batches), group
    assert all(len(batch) <= 3 for batch in batches)
    assert all(len(set(batch)) == len(batch) for batch in batches)
    assert {name for batch in batches for name in batch} == set("abcdefgh")


def test_the_command(wikidata: Servers, tmp_path: Path, dead_endpoint: str) -> None:
    def kg(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "kg", *args], capture_output=True, text=True, check=False
        )

    common = [
        "align",
        "wikidata",
        "--data",
        str(SAMPLE_GRAPH),
        "--scholarly-endpoint",
        wikidata.scholarly,
        "--main-endpoint",
        wikidata.main,
        "--cache",
        str(tmp_path / "cache"),
        "--user-agent",
        AGENT,
    ]
    result = kg(*common, "-o", str(tmp_path / "out"))
    assert result.returncode == 0, result.stderr
    assert "10 papers: 5 matched, 3 review, 2 unmatched" in result.stdout
    assert f"{EXPECTED_REQUESTS} request(s) sent" in result.stdout
    offline = kg(*common, "-o", str(tmp_path / "again"), "--offline")
    assert offline.returncode == 0 and "0 request(s) sent" in offline.stdout

    bad_agent = kg(*common[:-1], "python", "-o", str(tmp_path / "x"))
    assert bad_agent.returncode == 2 and "tool/version" in bad_agent.stderr
    down = kg(
        "align", "wikidata", "--data", str(SAMPLE_GRAPH), "--main-endpoint",
        f"{dead_endpoint}/query", "--scholarly-endpoint",
        f"{dead_endpoint}/scholarly", "--cache", str(tmp_path / "c2"),
        "-o", str(tmp_path / "y"),
    )  # fmt: skip
    assert down.returncode == 2
    assert "refused the connection" in down.stderr and "Traceback" not in down.stderr
    assert not (tmp_path / "x").exists() and not (tmp_path / "y").exists()


def test_a_paper_with_two_authors_printed_alike_is_left_out_not_merged() -> None:
    one = LocalPerson("https://example.org/kg/person/wei-wang", "Wei Wang", "Wei", "Wang")
    other = LocalPerson("https://example.org/kg/person/wei-wang-2", "Wei Wang", "Wei", "Wang")
    paper = LocalPaper(
        "https://example.org/kg/paper/p", "T", (LocalAuthor(1, one), LocalAuthor(2, other))
    )
    result = quickstatements(
        [paper], {paper.iri: Alignment(paper.iri, "paper", "T", "unmatched")}, {}
    )
    assert result.text == ""
    assert result.left_out == ((paper.iri, 'two authors would both be P2093 "Wei Wang"'),)


def test_the_alignment_file_can_come_from_kg_toml(tmp_path: Path) -> None:
    (tmp_path / "kg.toml").write_text('alignment = "wikidata/alignment.tsv"\n', encoding="utf-8")
    assert load_settings(cwd=tmp_path).alignment == tmp_path / "wikidata" / "alignment.tsv"
    (tmp_path / "kg.toml").write_text("alignment = 3\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="alignment must be a string"):
        load_settings(cwd=tmp_path)


@pytest.mark.parametrize("policy", [{"attempts": 0}, {"backoff": -1.0}, {"timeout": 0.0}], ids=str)
def test_a_retry_policy_that_could_not_work_is_refused(policy: dict[str, float]) -> None:
    with pytest.raises(ConfigError, match="retry policy"):
        RetryPolicy(**policy)  # type: ignore[arg-type]


@pytest.mark.parametrize("eprint", ["", "  eprint = {2503.99001}, archivePrefix = {arXiv},\n"])
def test_a_doi_from_a_bibtex_file_is_used_before_the_title(
    wikidata: Servers, tmp_path: Path, eprint: str
) -> None:
    """The sample's EuroBERT, listed again in a .bib with its DOI (in lower case, as Crossref
    prints it): the two sources merge into one work, and the alignment finds its item by
    the DOI, which Wikidata stores in upper case. With the preprint's arXiv ID beside it,
    the DOI still decides: the preprint item has that arXiv ID, but not the DOI."""
    eurobert = read_text_list(sample_list()).papers[0]
    authors = " and ".join(name.printed for name in eurobert.authors)
    (tmp_path / "refs.bib").write_text(
        f"@article{{eurobert, title = {{{eurobert.title}}}, author = {{{authors}}},\n"
        "  journal = {Journal of Fixtures}, year = 2025,\n"
        f"{eprint}"
        "  doi = {https://doi.org/10.5555/kg-fixture.eurobert.2025}}\n",
        encoding="utf-8",
    )
    built = build([sample_list(), tmp_path / "refs.bib"], tmp_path / "exports", IriScheme())
    assert built.summary.papers == 10
    report = align(
        wikidata.scholarly,
        wikidata.main,
        tmp_path / "out",
        None,
        data=tmp_path / "exports" / "graph.nt",
    )
    rows = {row.iri: row for row in report.rows}
    row = rows[next(iri for iri in rows if "/paper/eurobert" in iri)]
    assert (row.status, row.qid) == ("matched", "Q990000001")
    assert "same DOI" in row.candidates[0].evidence


@pytest.mark.parametrize(
    ("date", "kind", "statements"),
    [
        ("2023", "ScholarlyArticle", ("P31\tQ13442814", "P577\t+2023-00-00T00:00:00Z/9")),
        ("2023-05", "Thesis", ("P31\tQ1266946", "P577\t+2023-05-00T00:00:00Z/10")),
        ("2023-05-17", "Chapter", ("P31\tQ1980247", "P577\t+2023-05-17T00:00:00Z/11")),
        ("2001-12", "Book", ("P31\tQ571", "P577\t+2001-12-00T00:00:00Z/10")),
        ("1999", "Report", ("P31\tQ10870555", "P577\t+1999-00-00T00:00:00Z/9")),
    ],
)
def test_a_created_item_has_the_works_class_and_date_precision(
    date: str, kind: str, statements: tuple[str, str]
) -> None:
    author = LocalAuthor(1, LocalPerson("https://example.org/kg/person/a", "A B", "A", "B"))
    paper = LocalPaper("https://example.org/kg/paper/p", "T", (author,), date, kind=kind)
    unmatched = {paper.iri: Alignment(paper.iri, "paper", "T", "unmatched")}
    lines = quickstatements([paper], unmatched, {}).text.splitlines()
    for statement in statements:
        assert f"LAST\t{statement}" in lines


def test_the_local_graph_reads_kind_date_and_identifiers_of_bibtex_works(tmp_path: Path) -> None:
    built = build([FIXTURE.parent / "bibtex" / "edge-cases.bib"], tmp_path, IriScheme())
    assert built.report.conforms
    papers = {p.title: p for p in read_local_graph(load_store([tmp_path / "graph.nt"])).papers}
    thesis = papers["Token Weights for Sparse Retrieval"]
    assert (thesis.kind, thesis.date, thesis.year) == ("Thesis", "2020-05-17", 2020)
    assert papers["The Collected Letters"].kind == "Book"
    assert papers["Names in BibTeX: A Field Guide"].kind == "ScholarlyArticle"
