"""kg.serve: the SPARQL 1.1 Protocol endpoint, linked data, the query page, time limits, load.

Every test talks HTTP to a real server on loopback, holding the sample's exports/graph.nt
or (venues, DOIs, dates) the graph built from the BibTeX and CSL-JSON exporter fixtures.
"""

from __future__ import annotations

import html
import http.client
import json
import multiprocessing
import os
import re
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from html.parser import HTMLParser
from multiprocessing.connection import Connection
from pathlib import Path
from typing import cast

import pyoxigraph as ox
import pytest
from conftest import RICH_INPUTS, wait_for
from SPARQLWrapper import (
    CSV,
    GET,
    JSON,
    JSONLD,
    POST,
    POSTDIRECTLY,
    TSV,
    TURTLE,
    URLENCODED,
    XML,
    SPARQLWrapper,
)

from kg.errors import ConfigError, InputError
from kg.iris import IriScheme
from kg.namespaces import OX_BIBO, OX_SCHEMA
from kg.pipeline import build
from kg.queries import list_canned_queries, run_local
from kg.rdfio import load_store
from kg.results import format_result
from kg.serve import KgServer, ServeError, detect_base_iri, make_server, negotiate, serve
from kg.serve.workers import _Worker
from kg.site import entity_page
from kg.store import write_store

REPO = Path(__file__).resolve().parent.parent
GRAPH = REPO / "exports" / "graph.nt"
DATA = REPO / "tests" / "data"
RICH_PAPER = "paper/segmenting-speech-without-transcripts"
VENUE = "venue/trans-assoc-comput-linguistics"
BASE = "https://example.org/kg/"
PAPER = "paper/fly-swat-or-cannon-cost-effective-language-model-choice-via-meta-modeling"
PAPER_TITLE = "Fly-Swat or Cannon? Cost-Effective Language Model Choice via Meta-Modeling"
PERSON = "person/marija-sakota"
COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
CROSS_PRODUCT = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
_NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))

Response = tuple[int, dict[str, str], bytes]


# --- helpers -------------------------------------------------------------------------------


@contextmanager
def running(server: KgServer) -> Iterator[KgServer]:
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(10)


def request(
    url: str,
    *,
    accept: str | None = None,
    data: bytes | None = None,
    content_type: str | None = None,
    method: str | None = None,
) -> Response:
    headers = {"Accept": accept} if accept else {}
    if content_type:
        headers["Content-Type"] = content_type
    prepared = urllib.request.Request(url, data=data, headers=headers, method=method)
    try:
        with _NO_PROXY.open(prepared, timeout=30) as answer:
            return answer.status, dict(answer.headers), answer.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def get_query(endpoint: str, query: str, accept: str | None = None) -> Response:
    return request(f"{endpoint}?{urllib.parse.urlencode({'query': query})}", accept=accept)


def wrapper(endpoint: str, query: str, fmt: str, method: str, request_method: str) -> SPARQLWrapper:
    client = SPARQLWrapper(endpoint)
    client.setQuery(query)
    client.setReturnFormat(fmt)
    client.setMethod(method)
    client.setRequestMethod(request_method)
    client.setTimeout(30)
    return client


def graph_triples() -> list[ox.Triple]:
    return [quad.triple for quad in ox.parse(path=GRAPH, format=ox.RdfFormat.N_TRIPLES)]


def canonical(triples: Iterable[ox.Triple]) -> set[ox.Quad]:
    """The triples with blank nodes named by RDFC-1.0, so isomorphic graphs compare equal."""
    dataset = ox.Dataset(ox.Quad(t.subject, t.predicate, t.object) for t in triples)
    dataset.canonicalize(ox.CanonicalizationAlgorithm.RDFC_1_0)
    return set(dataset)


def description(iri: str) -> list[ox.Triple]:
    """What the graph says about ``iri``, computed here from graph.nt: its triples, those of
    its ``#`` parts (authorships) and of the blank nodes they reach (author list cells)."""
    triples = graph_triples()
    by_subject: dict[ox.NamedNode | ox.BlankNode, list[ox.Triple]] = defaultdict(list)
    for triple in triples:
        assert not isinstance(triple.subject, ox.Triple)
        by_subject[triple.subject].append(triple)
    chosen = [
        subject
        for subject in by_subject
        if isinstance(subject, ox.NamedNode)
        and (subject.value == iri or subject.value.startswith(iri + "#"))
    ]
    seen = set(chosen)
    found: list[ox.Triple] = []
    while chosen:
        for triple in by_subject[chosen.pop()]:
            found.append(triple)
            if isinstance(triple.object, ox.BlankNode) and triple.object not in seen:
                seen.add(triple.object)
                chosen.append(triple.object)
    return found


def parsed(body: bytes, media_type: str) -> list[ox.Triple]:
    fmt = {
        "text/turtle": ox.RdfFormat.TURTLE,
        "application/ld+json": ox.RdfFormat.JSON_LD,
        "application/n-triples": ox.RdfFormat.N_TRIPLES,
    }[media_type]
    return [quad.triple for quad in ox.parse(body, format=fmt)]


# --- fixtures ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def store() -> ox.Store:
    return load_store([GRAPH])


@pytest.fixture(scope="module")
def server(store: ox.Store) -> Iterator[KgServer]:
    with running(make_server(store, port=0, query_timeout=20)) as started:
        yield started


@pytest.fixture(scope="module")
def endpoint(server: KgServer) -> str:
    return server.url + "sparql"


@pytest.fixture(scope="module")
def rich_store(tmp_path_factory: pytest.TempPathFactory) -> ox.Store:
    """What ``kg build`` makes of the exporter fixtures and the sample list."""
    out = tmp_path_factory.mktemp("rich")
    build(RICH_INPUTS, out, IriScheme())
    return load_store([out / "graph.nt"])


@pytest.fixture(scope="module")
def rich_server(rich_store: ox.Store) -> Iterator[KgServer]:
    with running(make_server(rich_store, port=0, workers=1)) as started:
        yield started


# --- SPARQL 1.1 Protocol through SPARQLWrapper ---------------------------------------------

PROTOCOL_METHODS = [(GET, URLENCODED), (POST, URLENCODED), (POST, POSTDIRECTLY)]


@pytest.mark.parametrize(("method", "request_method"), PROTOCOL_METHODS)
def test_select_as_json_equals_the_local_run(
    endpoint: str, store: ox.Store, method: str, request_method: str
) -> None:
    query = next(q for q in list_canned_queries() if q.name == "papers-per-author").text
    result = wrapper(endpoint, query, JSON, method, request_method).queryAndConvert()
    expected = json.loads(format_result(run_local(query, store), "json"))
    assert result == expected
    assert len(result["results"]["bindings"]) == 46


@pytest.mark.parametrize(
    ("fmt", "name", "media_type"),
    [
        (XML, "xml", "application/sparql-results+xml"),
        (CSV, "csv", "text/csv"),
        (TSV, "tsv", "text/tab-separated-values"),
    ],
)
@pytest.mark.parametrize(("method", "request_method"), PROTOCOL_METHODS)
def test_select_as_xml_csv_tsv_equals_the_local_run(
    endpoint: str,
    store: ox.Store,
    fmt: str,
    name: str,
    media_type: str,
    method: str,
    request_method: str,
) -> None:
    query = next(q for q in list_canned_queries() if q.name == "authors-as-printed").text
    answer = wrapper(endpoint, query, fmt, method, request_method).query()
    assert answer.response.headers["Content-Type"] == f"{media_type}; charset=utf-8"
    assert answer.response.headers["Access-Control-Allow-Origin"] == "*"
    body = answer.response.read().decode("utf-8")
    assert body == format_result(run_local(query, store), name)
    assert "Šakota, Marija" in body


def test_ask(endpoint: str) -> None:
    yes = f"ASK {{ <{BASE}{PAPER}> a <http://schema.org/ScholarlyArticle> }}"
    no = f"ASK {{ <{BASE}{PAPER}> a <http://schema.org/Person> }}"
    for method, request_method in PROTOCOL_METHODS:
        assert wrapper(endpoint, yes, JSON, method, request_method).queryAndConvert() == {
            "head": {},
            "boolean": True,
        }
        assert (
            wrapper(endpoint, no, JSON, method, request_method).queryAndConvert()["boolean"]
            is False
        )
    status, headers, body = get_query(endpoint, yes, accept="text/csv")
    assert (status, headers["Content-Type"], body) == (
        200,
        "text/csv; charset=utf-8",
        b"_askResult\r\ntrue\r\n",
    )


@pytest.mark.parametrize(("method", "request_method"), PROTOCOL_METHODS)
def test_construct_as_turtle_and_jsonld_round_trips_the_whole_graph(
    endpoint: str, method: str, request_method: str
) -> None:
    query = "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }"
    expected = canonical(graph_triples())
    turtle = wrapper(endpoint, query, TURTLE, method, request_method).query()
    assert turtle.response.headers["Content-Type"] == "text/turtle; charset=utf-8"
    assert canonical(parsed(turtle.response.read(), "text/turtle")) == expected
    jsonld = wrapper(endpoint, query, JSONLD, method, request_method).query()
    assert jsonld.response.headers["Content-Type"] == "application/ld+json; charset=utf-8"
    body = jsonld.response.read()
    assert canonical(parsed(body, "application/ld+json")) == expected
    assert '"@list"' in body.decode("utf-8")  # author lists stay lists


def test_empty_construct_is_an_empty_graph_in_every_format(endpoint: str) -> None:
    query = "CONSTRUCT WHERE { ?s <https://example.org/no-such-property> ?o }"
    for media_type in ("text/turtle", "application/ld+json", "application/n-triples"):
        status, _, body = get_query(endpoint, query, accept=media_type)
        assert status == 200
        assert parsed(body, media_type) == []


def test_construct_as_ntriples_and_describe(endpoint: str) -> None:
    status, headers, body = get_query(
        endpoint, f"DESCRIBE <{BASE}{PERSON}>", accept="application/n-triples"
    )
    assert (status, headers["Content-Type"]) == (200, "application/n-triples; charset=utf-8")
    described = parsed(body, "application/n-triples")
    assert described and {t.subject.value for t in described} == {BASE + PERSON}


# --- content negotiation on /sparql --------------------------------------------------------


@pytest.mark.parametrize(
    ("accept", "media_type"),
    [
        (None, "application/sparql-results+json"),
        ("*/*", "application/sparql-results+json"),
        ("text/csv;q=0.5, application/sparql-results+xml;q=0.9", "application/sparql-results+xml"),
        ("*/*;q=0.1, text/tab-separated-values", "text/tab-separated-values"),
        ("text/*", "text/csv"),
        ("application/json", "application/json"),
        ("application/sparql-results+json;q=0, */*", "application/sparql-results+xml"),
    ],
)
def test_results_format_follows_accept_with_q_values(
    endpoint: str, accept: str | None, media_type: str
) -> None:
    status, headers, _ = get_query(endpoint, COUNT, accept=accept)
    assert (status, headers["Content-Type"]) == (200, f"{media_type}; charset=utf-8")
    assert headers["Vary"] == "Accept"


@pytest.mark.parametrize(
    ("query", "accept"),
    [(COUNT, "text/turtle"), (COUNT, "image/png"), ("CONSTRUCT WHERE { ?s ?p ?o }", "text/csv")],
)
def test_nothing_acceptable_is_406(endpoint: str, query: str, accept: str) -> None:
    status, headers, body = get_query(endpoint, query, accept=accept)
    assert (status, headers["Content-Type"]) == (406, "text/plain; charset=utf-8")
    assert b"ask for one of" in body


def test_negotiation_rules() -> None:
    offers = ["a/x", "a/y", "b/z"]
    assert negotiate(None, offers) == "a/x"
    assert negotiate("a/y", offers) == "a/y"
    assert negotiate("a/*;q=0.5, b/z;q=0.6", offers) == "b/z"
    assert negotiate("a/*, a/x;q=0", offers) == "a/y"  # the most specific range decides
    assert negotiate("B/Z", offers) == "b/z"
    assert negotiate("a/y;q=bad, b/z;q=0.1", offers) == "b/z"
    assert negotiate("c/w", offers) is None
    assert negotiate("*/*;q=0", offers) is None


# --- errors and the read-only rule ---------------------------------------------------------


def test_malformed_query_is_400_with_the_parsers_message(endpoint: str) -> None:
    status, headers, body = get_query(endpoint, "SELECT * WHERE { ?s ?p }")
    assert (status, headers["Content-Type"]) == (400, "text/plain; charset=utf-8")
    assert body.decode().startswith("SPARQL syntax error:")
    assert "line:1" in body.decode()
    assert headers["Access-Control-Allow-Origin"] == "*"


PLAIN_TEXT = "text/plain; charset=utf-8"


def test_protocol_mistakes_are_4xx_saying_what_was_wrong(endpoint: str) -> None:
    two = f"{endpoint}?{urllib.parse.urlencode([('query', COUNT), ('query', COUNT)])}"
    bad_graph = f"{endpoint}?{urllib.parse.urlencode({'query': COUNT, 'default-graph-uri': 'x'})}"
    mistakes: list[tuple[Response, int, bytes]] = [
        (
            request(endpoint),
            400,
            b"no query: send one as ?query=... (SPARQL 1.1 Protocol), or open / to write one\n",
        ),
        (request(two), 400, b"send one query per request, not 2\n"),
        (
            request(endpoint, data=b"x", content_type="text/plain"),
            415,
            b"send the query as application/x-www-form-urlencoded (query=...) or as "
            b"application/sparql-query\n",
        ),
        (
            request(bad_graph),
            400,
            b"graph IRI 'x': not an absolute IRI (it needs a scheme such as https:)\n",
        ),
        (request(endpoint, method="PUT", data=b""), 405, b"PUT is not allowed here\n"),
    ]
    for (status, headers, body), expected_status, expected_body in mistakes:
        assert (status, headers["Content-Type"], body) == (
            expected_status,
            PLAIN_TEXT,
            expected_body,
        )
    # A 405 names the methods that are allowed (RFC 9110, 15.5.6).
    assert request(endpoint, method="PUT", data=b"")[1]["Allow"] == "GET, HEAD, POST, OPTIONS"


def test_a_form_with_raw_utf8_is_read_as_curl_sends_it(endpoint: str) -> None:
    body = 'query=ASK { ?s ?p "Šakota, Marija" }'.encode()  # curl -d, not --data-urlencode
    status, _, answer = request(endpoint, data=body, content_type=FORM, accept="text/csv")
    assert (status, answer) == (200, b"_askResult\r\ntrue\r\n")


def test_graph_uris_select_the_dataset(endpoint: str) -> None:
    params = {"query": COUNT, "default-graph-uri": "https://example.org/no-such-graph"}
    status, _, body = request(f"{endpoint}?{urllib.parse.urlencode(params)}", accept="text/csv")
    assert (status, body) == (200, b"n\r\n0\r\n")


def test_cors_preflight(endpoint: str) -> None:
    status, headers, _ = request(endpoint, method="OPTIONS")
    assert status == 204
    assert headers["Access-Control-Allow-Origin"] == "*"
    assert "POST" in headers["Access-Control-Allow-Methods"]
    assert "Content-Type" in headers["Access-Control-Allow-Headers"]


def form(**fields: str) -> bytes:
    return urllib.parse.urlencode(fields).encode()


FORM = "application/x-www-form-urlencoded"
INSERT = "INSERT DATA { <https://example.org/x> <https://example.org/y> <https://example.org/z> }"
REFUSED: list[tuple[str, Callable[[str], Response], int, str]] = [
    ("INSERT DATA as a query", lambda e: get_query(e, INSERT), 400, "not allowed"),
    (
        "DELETE WHERE as a form query",
        lambda e: request(e, data=form(query="DELETE WHERE { ?s ?p ?o }"), content_type=FORM),
        400,
        "not allowed",
    ),
    (
        "LOAD posted directly",
        lambda e: request(
            e, data=b"LOAD <http://example.org/x.ttl>", content_type="application/sparql-query"
        ),
        400,
        "not allowed",
    ),
    (
        "SERVICE",
        lambda e: get_query(e, "SELECT * WHERE { SERVICE <http://example.org/s> { ?s ?p ?o } }"),
        400,
        "SERVICE is not allowed",
    ),
    (
        "update= in a form",
        lambda e: request(e, data=form(update=INSERT), content_type=FORM),
        403,
        "read-only",
    ),
    (
        "update= in the URL",
        lambda e: request(f"{e}?{urllib.parse.urlencode({'update': INSERT})}"),
        403,
        "read-only",
    ),
    (
        "application/sparql-update",
        lambda e: request(e, data=INSERT.encode(), content_type="application/sparql-update"),
        403,
        "read-only",
    ),
]


@pytest.mark.parametrize(
    ("send", "status", "message"), [r[1:] for r in REFUSED], ids=[r[0] for r in REFUSED]
)
def test_updates_load_and_service_are_refused(
    endpoint: str, send: Callable[[str], Response], status: int, message: str
) -> None:
    got, headers, body = send(endpoint)
    assert (got, headers["Content-Type"]) == (status, "text/plain; charset=utf-8")
    assert message in body.decode()
    _, _, count = get_query(endpoint, COUNT, accept="text/csv")
    assert count == f"n\r\n{len(graph_triples())}\r\n".encode()
    _, _, inserted = get_query(endpoint, "ASK { <https://example.org/x> ?p ?o }", accept="text/csv")
    assert inserted.endswith(b"false\r\n")


def test_sparqlwrapper_update_is_refused(endpoint: str) -> None:
    client = wrapper(endpoint, INSERT, JSON, POST, URLENCODED)
    with pytest.raises(urllib.error.HTTPError) as refused:
        client.query()
    assert (refused.value.code, refused.value.headers["Content-Type"]) == (403, PLAIN_TEXT)
    assert refused.value.read() == b"updates are not allowed: this SPARQL endpoint is read-only\n"


# --- time limit ----------------------------------------------------------------------------


def test_a_query_past_its_time_limit_is_stopped_and_the_server_stays_responsive(
    store: ox.Store,
) -> None:
    with running(make_server(store, port=0, query_timeout=1, workers=2)) as server:
        endpoint = server.url + "sparql"
        before = server.worker_pids
        assert len(before) == 2
        # Unstopped, this query runs for minutes; the answer and the killed worker below
        # show the limit stopped it.
        status, _, body = get_query(endpoint, CROSS_PRODUCT)
        assert status == 503
        assert b"time limit of 1 s" in body
        status, _, body = get_query(endpoint, COUNT, accept="text/csv")
        assert (status, body) == (200, f"n\r\n{len(graph_triples())}\r\n".encode())
        # The query was stopped, not abandoned: its worker process is gone, and replaced.
        (killed,) = set(before) - set(server.worker_pids)
        with pytest.raises(ProcessLookupError):
            os.kill(killed, 0)
        assert wait_for(lambda: len(server.worker_pids) == 2)
        pids = server.worker_pids
    for pid in pids:  # shutting down stops the workers
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)


# --- linked data ---------------------------------------------------------------------------

GRAPH_TYPES = ["text/turtle", "application/ld+json", "application/n-triples"]


@pytest.mark.parametrize("media_type", GRAPH_TYPES)
@pytest.mark.parametrize("path", [PAPER, PERSON, "list/peyrard"])
def test_entity_descriptions_by_content_negotiation(
    server: KgServer, path: str, media_type: str
) -> None:
    status, headers, body = request(server.url + path, accept=media_type)
    assert (status, headers["Content-Type"]) == (200, f"{media_type}; charset=utf-8")
    assert headers["Vary"] == "Accept"
    got = parsed(body, media_type)
    expected = description(BASE + path)
    assert canonical(got) == canonical(expected)
    assert len(got) == len(expected)


def test_a_papers_description_carries_its_author_order(server: KgServer) -> None:
    _, _, body = request(server.url + PAPER, accept="text/turtle")
    triples = parsed(body, "text/turtle")
    values = {(t.subject, t.predicate.value): t.object for t in triples}
    rdf = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
    cell = values[(ox.NamedNode(BASE + PAPER), "http://purl.org/ontology/bibo/authorList")]
    authors = []
    while cell != ox.NamedNode(rdf + "nil"):
        authors.append(values[(cell, rdf + "first")])
        cell = values[(cell, rdf + "rest")]
    assert [a.value.rsplit("/", 1)[1] for a in authors] == [
        "marija-sakota",
        "maxime-peyrard",
        "robert-west",
    ]
    printed = sorted(
        (int(values[(t.subject, "http://schema.org/position")].value), t.object.value)
        for t in triples
        if t.predicate.value == "http://schema.org/name"
        and t.subject.value.startswith(BASE + PAPER + "#")
    )
    assert printed == [(1, "Šakota, Marija"), (2, "Peyrard, Maxime"), (3, "West, Robert")]


def check_entity_page(page: str, path: str, name: str) -> None:
    """An entity's HTML page: its name as the heading and, embedded for search engines,
    JSON-LD about it (the site's schema.org summary for papers and persons; the whole
    description, as in the .jsonld variant, on the generic page of other entities)."""
    assert re.findall(r"<h1>(.*?)</h1>", page) == [f"<bdi>{html.escape(name)}</bdi>"]
    (embedded,) = re.findall(r'<script type="application/ld\+json">(.*?)</script>', page, re.S)
    structured = json.loads(embedded)
    if "@graph" in structured:
        expected = canonical(description(BASE + path))
        assert canonical(parsed(embedded.encode(), "application/ld+json")) == expected
    else:
        assert (structured["@id"], structured["name"]) == (BASE + path, name)


@pytest.mark.parametrize(
    ("path", "name"),
    [(PAPER, PAPER_TITLE), (PERSON, "Marija Šakota"), ("list/peyrard", "peyrard.txt")],
)
@pytest.mark.parametrize("accept", [BROWSER_ACCEPT, "text/html", "*/*", None])
def test_entity_html_page(server: KgServer, path: str, name: str, accept: str | None) -> None:
    status, headers, body = request(server.url + path, accept=accept)
    assert (status, headers["Content-Type"]) == (200, "text/html; charset=utf-8")
    assert headers["Vary"] == "Accept"
    check_entity_page(body.decode("utf-8"), path, name)


def test_entity_html_pages_show_what_the_graph_says(server: KgServer) -> None:
    """A paper's page names its authors in author order; a person's page lists the title
    of every paper the graph gives them as author; a list's page links every paper in it."""
    paper = request(server.url + PAPER, accept="text/html")[2].decode("utf-8")
    authors = ["Marija Šakota", "Maxime Peyrard", "Robert West"]
    at = [paper.find(f"<bdi>{author}</bdi>") for author in authors]
    assert -1 not in at and at == sorted(at), at
    triples = graph_triples()
    names = {t.subject: t.object.value for t in triples if t.predicate == OX_SCHEMA.name}
    person = ox.NamedNode(BASE + PERSON)
    titles = [
        names[t.subject] for t in triples if (t.predicate, t.object) == (OX_SCHEMA.author, person)
    ]
    page = request(server.url + PERSON, accept="text/html")[2].decode("utf-8")
    assert len(titles) == 2
    for title in titles:
        assert f"<bdi>{html.escape(title)}</bdi>" in page, title
    page = request(server.url + "list/peyrard", accept="text/html")[2].decode("utf-8")
    listed = {BASE + path for path in re.findall(r'href="\.\./(paper/[^"]+)"', page)}
    papers = {t.subject.value for t in triples if t.object == OX_BIBO.Document}
    assert listed == papers and len(papers) == 10


@pytest.mark.parametrize(
    ("suffix", "media_type"),
    [
        (".ttl", "text/turtle"),
        (".jsonld", "application/ld+json"),
        (".nt", "application/n-triples"),
        (".html", "text/html"),
        ("?format=ttl", "text/turtle"),
        ("?format=jsonld", "application/ld+json"),
        ("?format=nt", "application/n-triples"),
    ],
)
def test_formats_for_browsers(server: KgServer, suffix: str, media_type: str) -> None:
    status, headers, body = request(server.url + PAPER + suffix, accept=BROWSER_ACCEPT)
    assert (status, headers["Content-Type"]) == (200, f"{media_type}; charset=utf-8")
    if media_type == "text/html":
        check_entity_page(body.decode("utf-8"), PAPER, PAPER_TITLE)
    else:
        got = parsed(body, media_type)
        assert canonical(got) == canonical(description(BASE + PAPER)) and got


def test_unknown_entities_are_404_and_unacceptable_formats_406(server: KgServer) -> None:
    status, headers, body = request(server.url + "paper/no-such-paper", accept=BROWSER_ACCEPT)
    assert (status, headers["Content-Type"]) == (404, "text/html; charset=utf-8")
    assert b"/paper/no-such-paper" in body
    status, headers, body = request(server.url + "nothing/here.ttl", accept="text/turtle")
    assert (status, headers["Content-Type"], body) == (
        404,
        PLAIN_TEXT,
        b"nothing is known about /nothing/here.ttl here\n",
    )
    status, headers, body = request(server.url + PAPER, accept="image/png")
    assert (status, headers["Content-Type"]) == (406, "text/plain; charset=utf-8")
    assert b"text/turtle" in body
    status, headers, body = request(server.url + PAPER + "?format=pdf")
    assert (status, headers["Content-Type"], body) == (
        400,
        PLAIN_TEXT,
        b"unknown format 'pdf'; use one of: html, json-ld, jsonld, nt, ntriples, ttl, turtle\n",
    )
    status, headers, body = request(server.url + PAPER, method="HEAD", accept="text/turtle")
    full = request(server.url + PAPER, accept="text/turtle")[2]
    assert (status, headers["Content-Type"], body) == (200, "text/turtle; charset=utf-8", b"")
    assert int(headers["Content-Length"]) == len(full) > 0


def test_base_iri_is_detected_from_the_papers(store: ox.Store) -> None:
    assert detect_base_iri(store) == BASE
    assert detect_base_iri(ox.Store()) is None


# --- the query page ------------------------------------------------------------------------


def test_query_page_lists_every_canned_query(server: KgServer) -> None:
    status, headers, body = request(server.url, accept=BROWSER_ACCEPT)
    assert (status, headers["Content-Type"]) == (200, "text/html; charset=utf-8")
    page = body.decode("utf-8")
    canned = list_canned_queries()
    for query in canned:
        assert f'<option value="{query.name}"' in page
    embedded = re.search(
        r'<script type="application/json" id="canned-queries">(.*?)</script>', page, re.S
    )
    assert embedded is not None
    assert not set("<>&\u2028\u2029") & set(embedded.group(1))
    data = json.loads(embedded.group(1))["queries"]
    assert [(q["name"], q["text"]) for q in data] == [(q.name, q.text) for q in canned]
    assert [p["name"] for q in data for p in q["params"]] == ["name", "name"]
    # Nothing is fetched from elsewhere: no external script, style sheet or image.
    assert not re.search(r'<(script|link|img|iframe)[^>]+(src|href)="(https?:)?//', page)
    assert 'fetch(form.getAttribute("action")' in page and 'action="sparql"' in page


def test_requests_are_not_logged_by_default(
    server: KgServer, capfd: pytest.CaptureFixture[str]
) -> None:
    request(server.url)
    get_query(server.url + "sparql", COUNT)
    request(server.url + PAPER)
    assert capfd.readouterr().err == ""


# --- starting and stopping -----------------------------------------------------------------


def test_an_on_disk_store_is_served_read_only(tmp_path: Path) -> None:
    write_store(GRAPH, tmp_path / "store")
    with running(make_server(tmp_path / "store", port=0)) as server:
        status, _, body = get_query(server.url + "sparql", COUNT, accept="text/csv")
        assert (status, body) == (200, f"n\r\n{len(graph_triples())}\r\n".encode())
        status, _, body = request(server.url + PAPER, accept="application/n-triples")
        assert status == 200
        assert canonical(parsed(body, "application/n-triples")) == canonical(
            description(BASE + PAPER)
        )


def test_serve_answers_until_shut_down(store: ox.Store) -> None:
    answers: list[Response] = []
    pids: list[int] = []

    def use_then_stop(server: KgServer) -> None:
        answers.append(get_query(server.url + "sparql", COUNT, accept="text/csv"))
        pids.extend(server.worker_pids)
        server.shutdown()

    helpers: list[threading.Thread] = []

    def ready(server: KgServer) -> None:  # called before serving starts: ask from elsewhere
        helpers.append(threading.Thread(target=use_then_stop, args=(server,)))
        helpers[0].start()

    serve(store, port=0, workers=1, ready=ready)
    helpers[0].join(30)
    assert [(status, body) for status, _, body in answers] == [
        (200, f"n\r\n{len(graph_triples())}\r\n".encode())
    ]
    assert len(pids) == 1
    with pytest.raises(ProcessLookupError):
        os.kill(pids[0], 0)


def test_bad_settings_are_refused(store: ox.Store, server: KgServer, tmp_path: Path) -> None:
    with pytest.raises(ConfigError):
        make_server(store, port=0, query_timeout=0)
    with pytest.raises(ConfigError):
        make_server(store, port=0, workers=0)
    with pytest.raises(ConfigError):
        make_server(store, port=0, base_iri="not an iri")
    with pytest.raises(InputError):
        make_server(tmp_path, port=0)
    with pytest.raises(ServeError, match="cannot listen"):
        make_server(store, port=server.server_address[1])


# --- load ----------------------------------------------------------------------------------


def test_load_2000_requests_from_8_clients(
    server: KgServer, report_figure: Callable[[str], None]
) -> None:
    canned = [q.text for q in list_canned_queries()]
    entities = [PAPER, PERSON, "list/peyrard", "person/maxime-peyrard", "person/robert-west"]
    accepts = ["text/turtle", "application/ld+json", "application/n-triples", "text/html"]
    host, port = "127.0.0.1", server.server_address[1]
    clients, per_client = 8, 250
    errors: list[str] = []

    def client(index: int) -> None:
        # Each client from its own address (127.0.0.0/8 is loopback): one address gets a
        # share of the workers, not all of them (test_fairness.py).
        source = (f"127.0.0.{index + 1}", 0)
        connection = http.client.HTTPConnection(host, port, timeout=30, source_address=source)
        try:
            for number in range(per_client):
                if number % 2:
                    query = urllib.parse.urlencode(
                        {"query": canned[(index + number) % len(canned)]}
                    )
                    connection.request(
                        "POST",
                        "/sparql",
                        body=query,
                        headers={"Content-Type": FORM, "Accept": "application/sparql-results+json"},
                    )
                else:
                    path = "/" + entities[(index + number) % len(entities)]
                    accept = accepts[(index + number // 2) % len(accepts)]
                    connection.request("GET", path, headers={"Accept": accept})
                answer = connection.getresponse()
                body = answer.read()
                if answer.status != 200 or not body:
                    errors.append(f"{answer.status}: {body[:200]!r}")
        except Exception as error:
            errors.append(repr(error))
        finally:
            connection.close()

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    elapsed = time.monotonic() - started
    total = clients * per_client
    report_figure(
        f"kg serve: {total} requests from {clients} clients in {elapsed:.1f} s, "
        f"{total / elapsed:.0f} req/s, {len(errors)} errors"
    )
    assert errors == []


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.hrefs += [value for name, value in attrs if name in ("href", "src") and value]


def local_links(server: KgServer, path: str) -> list[str]:
    """The links of the HTML page at ``path`` that lead to this server, made absolute."""
    status, _, body = request(server.url + path, accept="text/html")
    assert status == 200
    links = _Links()
    links.feed(body.decode("utf-8"))
    absolute = [urllib.parse.urljoin(server.url + path, href) for href in links.hrefs]
    return [url for url in absolute if url.startswith(server.url)]


LINKED_TYPES = {
    ".ttl": "text/turtle",
    ".jsonld": "application/ld+json",
    ".nt": "application/n-triples",
}


def check_link(url: str) -> None:
    """A link a page offers answers, with what its name promises: the Turtle, JSON-LD or
    N-Triples of something, or a page with a heading."""
    status, headers, body = request(url)
    suffix = Path(urllib.parse.urlsplit(url).path).suffix
    media_type = LINKED_TYPES.get(suffix, "text/html")
    assert (status, headers["Content-Type"]) == (200, f"{media_type}; charset=utf-8"), url
    if media_type == "text/html":
        assert re.search(r"<h1>.+</h1>", body.decode("utf-8")), url
    else:
        assert parsed(body, media_type), url


@pytest.mark.parametrize("path", [PAPER, PERSON])
def test_every_link_on_a_served_page_answers(server: KgServer, path: str) -> None:
    local = local_links(server, path)
    assert any(url.endswith("void.ttl") for url in local)
    assert len(local) >= 4
    for url in local:
        check_link(url)


@pytest.mark.parametrize("path", [RICH_PAPER, VENUE, "person/felix-brandt"])
def test_every_link_on_a_served_page_of_works_and_venues_answers(
    rich_server: KgServer, path: str
) -> None:
    local = local_links(rich_server, path)
    assert any("/venue/" in url for url in local)  # the venue page, or links to it
    assert any("/paper/" in url for url in local)
    for url in local:
        check_link(url)


@pytest.mark.parametrize("media_type", GRAPH_TYPES)
def test_venues_are_answered_by_content_negotiation(
    rich_server: KgServer, rich_store: ox.Store, media_type: str
) -> None:
    status, headers, body = request(rich_server.url + VENUE, accept=media_type)
    assert (status, headers["Content-Type"]) == (200, f"{media_type}; charset=utf-8")
    expected = {
        q.triple for q in rich_store.quads_for_pattern(ox.NamedNode(BASE + VENUE), None, None)
    }
    assert set(parsed(body, media_type)) == expected
    assert len(expected) == 2  # its type and its name


def test_a_venue_page_is_the_sites_venue_page(rich_server: KgServer, rich_store: ox.Store) -> None:
    for suffix in ("", ".html"):
        status, headers, body = request(rich_server.url + VENUE + suffix, accept=BROWSER_ACCEPT)
        assert (status, headers["Content-Type"]) == (200, "text/html; charset=utf-8")
        page = body.decode("utf-8")
        assert page == entity_page(rich_store, BASE + VENUE, root="../", served_base=BASE)
        assert "<h1><bdi>Trans. Assoc. Comput. Linguistics</bdi></h1>" in page
        assert f'href="../{RICH_PAPER}.html"' in page
    status, _, body = request(rich_server.url + RICH_PAPER, accept=BROWSER_ACCEPT)
    assert status == 200
    assert (
        f'<cite><a href="../{VENUE}.html"><bdi>Trans. Assoc. Comput. Linguistics</bdi></a></cite>'
        in body.decode("utf-8")
    )
    assert request(rich_server.url + "venue/no-such-venue", accept=BROWSER_ACCEPT)[0] == 404


def test_entities_the_server_does_not_answer_are_not_linked(tmp_path: Path) -> None:
    """A venue (or author) whose IRI lies outside the base has no page here: its name is
    shown, not linked; everything linked answers."""
    paper = f"{BASE}paper/lonely"
    store = ox.Store()
    store.load(
        f"""@prefix schema: <http://schema.org/> .
        <{paper}> a <http://purl.org/ontology/bibo/Document>, schema:ScholarlyArticle ;
            schema:name "A paper in a venue elsewhere" ;
            schema:isPartOf <https://elsewhere.example/venue/far> ;
            schema:author <{BASE}person/near>, <https://elsewhere.example/person/far> .
        <https://elsewhere.example/venue/far> a schema:Periodical ; schema:name "Far Journal" .
        <{BASE}person/near> a schema:Person ; schema:name "Near Person" .
        <https://elsewhere.example/person/far> a schema:Person ; schema:name "Far Person" .
        """.encode(),
        format=ox.RdfFormat.TURTLE,
    )
    with running(make_server(store, port=0, workers=1, base_iri=BASE)) as server:
        status, _, body = request(server.url + "paper/lonely", accept=BROWSER_ACCEPT)
        assert status == 200
        page = body.decode("utf-8")
        assert "<cite><bdi>Far Journal</bdi></cite>" in page and "Far Person" in page
        assert 'href="../person/near.html"' in page
        links = local_links(server, "paper/lonely")
        assert not [url for url in links if "far" in url.rsplit("/", 1)[-1]]
        for url in links:
            check_link(url)


def test_void_describes_the_served_dataset(server: KgServer) -> None:
    status, headers, body = request(server.url + "void.ttl")
    assert status == 200 and headers["Content-Type"].startswith("text/turtle")
    void = ox.Store()
    void.load(body, format=ox.RdfFormat.TURTLE)
    endpoint = ox.NamedNode("http://rdfs.org/ns/void#sparqlEndpoint")
    ((dataset, found),) = [
        (q.subject, q.object) for q in void.quads_for_pattern(None, endpoint, None)
    ]
    assert found == ox.NamedNode(server.url + "sparql")
    triples = ox.NamedNode("http://rdfs.org/ns/void#triples")
    (count,) = [q.object.value for q in void.quads_for_pattern(dataset, triples, None)]
    assert int(count) == len(graph_triples())


class _SlowClosing:
    """A pipe end whose close takes a while, as when the kernel is busy: it widens the
    window in which two threads could both be closing it."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self.closes = 0

    def close(self) -> None:
        self.closes += 1
        time.sleep(0.2)
        self.connection.close()


def test_a_worker_stopped_by_two_threads_at_once_is_stopped_once() -> None:
    """Shutting down stops every worker while the thread whose query the kill ended stops
    its worker too: the pipe's descriptor must be closed once (twice, the second close fails
    with EBADF, or closes whatever file got that number in between)."""
    context = multiprocessing.get_context("spawn")
    parent_end, child_end = context.Pipe()
    process = context.Process(target=time.sleep, args=(60,), daemon=True)
    process.start()
    child_end.close()
    pipe = _SlowClosing(parent_end)
    worker = _Worker(process, cast(Connection, pipe))
    errors: list[BaseException] = []

    def stop() -> None:
        try:
            worker.stop()
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=stop) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == [] and pipe.closes == 1
    assert not process.is_alive()
