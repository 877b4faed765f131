"""``kg serve``: the graph as a read-only SPARQL 1.1 endpoint, as linked data, and a query page.

- ``/sparql`` speaks the SPARQL 1.1 Protocol (GET, form POST, direct POST) and answers in the
  format the ``Accept`` header prefers: SPARQL JSON, XML, CSV or TSV for SELECT and ASK;
  Turtle, JSON-LD or N-Triples for CONSTRUCT and DESCRIBE. Updates, ``LOAD`` and ``SERVICE``
  are refused (:func:`kg.queries.check_read_only`), so the data never changes and the server
  never reaches out.
- Every entity IRI under the base IRI is served at its path (``{base}paper/x`` at
  ``/paper/x``) as HTML, Turtle, JSON-LD or N-Triples, negotiated, or chosen with
  ``?format=`` or a ``.ttl``/``.jsonld``/``.nt`` suffix.
- ``/`` is a query editor with the canned queries: plain JavaScript, no external resource.

Queries run in worker processes, never in the server's own: Oxigraph's Python API cannot
interrupt a running query (oxigraph/oxigraph#1926), and an aggregate over a cross product of
the 10-paper sample runs for minutes inside one call. A thread could only abandon such a
query and leave it burning a core; a worker process is killed when the time limit passes,
and a fresh one takes its place. Each worker holds its own in-memory copy of the graph, or
opens the on-disk store read-only when the server is given the store's folder.
"""

from __future__ import annotations

import contextlib
import json
import logging
import multiprocessing
import queue
import re
import signal
import socket
import socketserver
import tempfile
import threading
from collections import Counter, deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from io import BytesIO
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any, Final, TypeGuard
from urllib.parse import parse_qs, unquote, urlsplit

import pyoxigraph as ox
from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from kg.batches import Entity
from kg.errors import ConfigError, KgError, QueryError
from kg.jsonld import JsonLdWriter
from kg.mapping import IriScheme, Subject, Triple, ntriples
from kg.namespaces import OX_BIBO, OX_RDF, OX_SCHEMA, jsonld_context, prefixes
from kg.queries import QueryForm, check_read_only, list_canned_queries
from kg.results import QueryResult, format_result
from kg.site import entity_page
from kg.site.structured import script_json
from kg.store import open_store
from kg.terms import iri_problem
from kg.turtle import TurtleWriter

__all__ = [
    "KgServer",
    "ServeError",
    "describe_entity",
    "detect_base_iri",
    "make_server",
    "negotiate",
    "serve",
]

_LOG = logging.getLogger(__name__)

#: Offered for SELECT and ASK results, preferred first: media type -> kg.results format.
RESULT_TYPES: Final = {
    "application/sparql-results+json": "json",
    "application/sparql-results+xml": "xml",
    "text/csv": "csv",
    "text/tab-separated-values": "tsv",
    "application/json": "json",
    "application/xml": "xml",
    "text/xml": "xml",
}
#: Offered for CONSTRUCT and DESCRIBE results and for entity descriptions.
GRAPH_TYPES: Final = {
    "text/turtle": "turtle",
    "application/ld+json": "jsonld",
    "application/n-triples": "ntriples",
    "application/x-turtle": "turtle",
    "application/x-json+ld": "jsonld",
    "text/plain": "ntriples",
}
#: Offered for entities: the HTML page first (browsers send ``*/*`` too), then the graph.
ENTITY_TYPES: Final = {"text/html": "html", "application/xhtml+xml": "html", **GRAPH_TYPES}

#: Entity formats by ``?format=`` value and by path suffix, for links and browsers.
_FORMAT_NAMES: Final = {
    "html": "text/html",
    "ttl": "text/turtle",
    "turtle": "text/turtle",
    "jsonld": "application/ld+json",
    "json-ld": "application/ld+json",
    "nt": "application/n-triples",
    "ntriples": "application/n-triples",
}
_SUFFIXES: Final = {
    ".html": "text/html",
    ".ttl": "text/turtle",
    ".jsonld": "application/ld+json",
    ".nt": "application/n-triples",
}

_TEXT = "text/plain; charset=utf-8"
_HTML = "text/html; charset=utf-8"
_MAX_BODY = 1 << 20  # a query (with big VALUES blocks) fits easily; anything larger is refused
_PARSE_CACHE = 512  # distinct query texts whose read-only check each worker remembers
_KEEP_ALIVE = 30.0  # seconds an idle HTTP/1.1 connection may hold its thread
_TEMPLATES = Environment(
    loader=PackageLoader("kg", "serve_templates"),
    autoescape=True,
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


class ServeError(KgError, OSError):
    """The server cannot start: the address is taken, or the query workers cannot load the
    graph."""


@dataclass(frozen=True)
class Answer:
    """One HTTP answer, made where it is decided (a worker process or a request thread)."""

    status: int
    content_type: str
    body: bytes
    headers: tuple[tuple[str, str], ...] = ()


def _text(status: int, message: str, *headers: tuple[str, str]) -> Answer:
    return Answer(status, _TEXT, (message.rstrip("\n") + "\n").encode("utf-8"), headers)


def _not_acceptable(offers: Iterable[str], *headers: tuple[str, str]) -> Answer:
    available = ", ".join(offers)
    return _text(
        406, f"none of the formats you accept is available; ask for one of: {available}", *headers
    )


# --- public functions ----------------------------------------------------------------------


def negotiate(accept: str | None, offers: Sequence[str]) -> str | None:
    """The offer the client prefers by its ``Accept`` header, or None if it accepts none.

    Each offer gets the q-value of the most specific range that matches it (``text/csv``
    over ``text/*`` over ``*/*``, RFC 9110 §12.5.1); the highest wins, and ties go to the
    earlier offer, the server's preference. No header accepts anything.
    """
    if accept is None or not accept.strip():
        return offers[0] if offers else None
    ranges = list(_media_ranges(accept))
    best, best_quality = None, 0.0
    for offer in offers:
        matching = [
            (specificity, quality)
            for media_range, quality in ranges
            if (specificity := _specificity(media_range, offer)) is not None
        ]
        if matching:
            quality = max(matching)[1]
            if quality > best_quality:
                best, best_quality = offer, quality
    return best


def _specificity(media_range: str, offer: str) -> int | None:
    """How closely ``media_range`` names ``offer``: 2 exactly, 1 by ``type/*``, 0 by
    ``*/*``; None when it does not match."""
    if media_range == offer:
        return 2
    if media_range == offer.partition("/")[0] + "/*":
        return 1
    return 0 if media_range == "*/*" else None


def _media_ranges(accept: str) -> Iterable[tuple[str, float]]:
    """``(type/subtype, q)`` for every well-formed range of an ``Accept`` header."""
    for item in accept.split(","):
        media_range, *parameters = (part.strip() for part in item.split(";"))
        if media_range.count("/") != 1:
            continue
        quality = 1.0
        for parameter in parameters:
            name, _, value = parameter.partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = min(1.0, max(0.0, float(value.strip())))
                except ValueError:
                    quality = 0.0
        yield media_range.lower(), quality


def detect_base_iri(store: ox.Store) -> str | None:
    """The base IRI of kg's entities in ``store``: what most papers' IRIs hold before
    ``paper/`` (else persons' before ``person/``, lists' before ``list/``); None when the
    store holds none of them."""
    kinds = (
        (OX_SCHEMA.ScholarlyArticle, "/paper/"),
        (OX_SCHEMA.Person, "/person/"),
        (OX_SCHEMA.Dataset, "/list/"),
    )
    for kind, folder in kinds:
        bases: Counter[str] = Counter()
        for quad in store.quads_for_pattern(None, OX_RDF.type, kind):
            if isinstance(quad.subject, ox.NamedNode):
                iri = quad.subject.value
                cut = iri.rfind(folder)
                if cut > 0:
                    bases[iri[: cut + 1]] += 1
        if bases:
            return bases.most_common(1)[0][0]
    return None


def describe_entity(store: ox.Store, iri: str) -> list[Triple]:
    """What the graph says about the entity at ``iri``, as kg's exports group it: its own
    triples, those of its parts (IRIs ``{iri}#…``: a paper's authorships, a list's source
    records) and of the blank nodes they lead to (the author list cells), so that author
    order travels with a paper. Empty when ``iri`` is the subject of nothing.

    The entity comes first, then its blank nodes in list order, then its parts in numeric
    order; inside a subject ``rdf:type`` comes first and authors come in author order.
    """
    entity = ox.NamedNode(iri)
    part_prefix = iri + "#"

    def is_part(term: object) -> TypeGuard[ox.NamedNode]:
        return isinstance(term, ox.NamedNode) and term.value.startswith(part_prefix)

    described: dict[Subject, list[Triple]] = {}
    pending: deque[Subject] = deque([entity])
    # Parts that only point at their entity (a list's source records: dcterms:isPartOf).
    pending.extend(
        quad.subject
        for quad in store.quads_for_pattern(None, None, entity)
        if is_part(quad.subject)
    )
    while pending:
        subject = pending.popleft()
        if subject in described:
            continue
        triples = list(
            dict.fromkeys(
                (subject, quad.predicate, quad.object)
                for quad in store.quads_for_pattern(subject, None, None)
                if not isinstance(quad.object, ox.Triple)
            )
        )
        if subject == entity and not triples:
            return []
        described[subject] = triples
        pending.extend(
            value
            for _, _, value in triples
            if (isinstance(value, ox.BlankNode) or is_part(value)) and value not in described
        )
    ranks = _author_ranks(entity, described)
    blank = [subject for subject in described if isinstance(subject, ox.BlankNode)]
    parts = sorted((s for s in described if is_part(s)), key=lambda s: _natural(s.value))
    subjects: list[Subject] = [entity, *blank, *parts]
    ordered: list[Triple] = []
    for subject in subjects:
        ordered.extend(
            sorted(
                described[subject],
                key=lambda t: (
                    t[1] != OX_RDF.type,
                    t[1].value,
                    ranks.get(t[2], len(ranks)),
                    _natural(str(t[2])),
                ),
            )
        )
    return ordered


def _author_ranks(
    entity: ox.NamedNode, described: Mapping[Subject, list[Triple]]
) -> dict[ox.NamedNode | ox.BlankNode | ox.Literal, int]:
    """Each author's position in the entity's ``bibo:authorList`` (0-based)."""
    values = {(s, p): o for s, triples in described.items() for s, p, o in triples}
    ranks: dict[ox.NamedNode | ox.BlankNode | ox.Literal, int] = {}
    cells: set[ox.BlankNode] = set()
    cell = values.get((entity, OX_BIBO.authorList))
    while isinstance(cell, ox.BlankNode) and cell not in cells:  # a broken list may loop
        cells.add(cell)
        member = values.get((cell, OX_RDF.first))
        if member is not None:
            ranks.setdefault(member, len(ranks))
        cell = values.get((cell, OX_RDF.rest))
    return ranks


def _natural(text: str) -> tuple[tuple[int, int, str], ...]:
    """A sort key that puts ``#author-2`` before ``#author-10``."""
    return tuple(
        (0, int(part), "") if part.isdigit() else (1, 0, part) for part in re.split(r"(\d+)", text)
    )


# --- answering queries (in a worker process) -------------------------------------------------


@dataclass(frozen=True)
class _QueryRequest:
    """What a worker needs to answer one SPARQL Protocol request."""

    query: str
    accept: str | None
    default_graphs: tuple[str, ...] = ()
    named_graphs: tuple[str, ...] = ()


@lru_cache(maxsize=_PARSE_CACHE)
def _query_form(query: str) -> QueryForm | QueryError:
    """The read-only check, remembered: rdflib's parser takes 5-60 ms for a canned query,
    longer than running it on the sample."""
    try:
        return check_read_only(query)
    except QueryError as error:
        return error


def _answer_query(store: ox.Store, request: _QueryRequest) -> Answer:
    """The SPARQL Protocol answer to ``request``: results, or a 400/406 with the reason."""
    form = _query_form(request.query)
    if isinstance(form, QueryError):
        return _text(400, str(form))
    offers = GRAPH_TYPES if form in ("CONSTRUCT", "DESCRIBE") else RESULT_TYPES
    media_type = negotiate(request.accept, list(offers))
    if media_type is None:
        return _not_acceptable(offers)
    try:
        solutions = store.query(
            request.query,
            default_graph=[ox.NamedNode(iri) for iri in request.default_graphs] or None,
            named_graphs=[ox.NamedNode(iri) for iri in request.named_graphs] or None,
        )
        result = QueryResult.from_oxigraph(solutions)
    except SyntaxError as error:
        return _text(400, f"SPARQL syntax error: {error}")
    except (RuntimeError, ValueError, TypeError) as error:
        return _text(400, f"the query failed: {error}")
    except OSError as error:
        return _text(500, f"the store could not be read: {error}")
    fmt = offers[media_type]
    if fmt == "jsonld":
        body = _jsonld(result.triples)
    else:
        body = format_result(result, fmt).encode("utf-8")
    return Answer(200, f"{media_type}; charset=utf-8", body)


def _jsonld(triples: Iterable[ox.Triple | Triple]) -> bytes:
    """Compact JSON-LD with kg's context inline (nothing to fetch), as in ``graph.jsonld``:
    author lists as ``@list``."""
    own: list[Triple] = []
    for triple in triples:
        subject, predicate, value = (
            (triple.subject, triple.predicate, triple.object)
            if isinstance(triple, ox.Triple)
            else triple
        )
        if isinstance(subject, ox.Triple) or isinstance(value, ox.Triple):
            raise ValueError("RDF-star triple terms cannot be written as JSON-LD")
        own.append((subject, predicate, value))
    buffer = BytesIO()
    writer = JsonLdWriter(buffer, jsonld_context())
    writer.add(Entity(iri="", owned=(), own=own, context=[]))
    writer.close()
    return buffer.getvalue()


def _worker_main(connection: Connection, source: str, in_memory: bool) -> None:
    """A query worker: load the graph, say ready, then answer requests until the pipe closes."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl+C is the server's to handle
    try:
        if in_memory:
            store = ox.Store()
            store.load(path=source, format=ox.RdfFormat.N_QUADS)
        else:
            store = open_store(Path(source))
    except (KgError, OSError, SyntaxError, ValueError) as error:
        connection.send(f"cannot load the graph: {error}")
        return
    connection.send("")
    while True:
        try:
            request = connection.recv()
        except (EOFError, OSError):
            return
        try:
            answer = _answer_query(store, request)
        except Exception as error:  # a bug must cost one answer, not the worker
            answer = _text(500, f"internal error: {type(error).__name__}: {error}")
        connection.send(answer)


# --- the worker pool -------------------------------------------------------------------------


class _Worker:
    """One worker process and the parent's end of its pipe."""

    def __init__(self, process: BaseProcess, connection: Connection) -> None:
        self.process = process
        self.connection = connection

    def stop(self) -> None:
        self.process.kill()
        self.process.join(5)
        self.connection.close()


class _Workers:
    """Worker processes that answer queries, each stopped (killed) at its time limit."""

    def __init__(self, source: Path, *, in_memory: bool, count: int, timeout: float) -> None:
        self._source = str(source)
        self._in_memory = in_memory
        self._timeout = timeout
        self._context = multiprocessing.get_context("spawn")  # no fork of a threaded server
        self._idle: queue.SimpleQueue[_Worker] = queue.SimpleQueue()
        self._live: set[_Worker] = set()
        self._lock = threading.Lock()
        self._closed = False
        starting = [self._start() for _ in range(count)]
        try:
            for worker in starting:
                self._wait_ready(worker)
        except BaseException:  # ServeError, or Ctrl+C while the graph loads
            self.close()
            raise
        for worker in starting:
            self._idle.put(worker)

    @property
    def pids(self) -> tuple[int, ...]:
        """The process ids of the workers alive now (busy, idle or starting)."""
        with self._lock:
            return tuple(sorted(w.process.pid for w in self._live if w.process.pid is not None))

    def answer(self, request: _QueryRequest) -> Answer:
        """The worker's answer, or 503 when every worker stays busy or the query runs longer
        than the time limit (its worker is then killed and replaced)."""
        try:
            worker = self._idle.get(timeout=self._timeout)
        except queue.Empty:
            return _text(
                503,
                f"every query worker stayed busy for {self._timeout:g} s; try again shortly",
                ("Retry-After", "5"),
            )
        try:
            worker.connection.send(request)
            if worker.connection.poll(self._timeout):
                answer: Answer = worker.connection.recv()
                self._idle.put(worker)
                return answer
        except (EOFError, OSError):
            self._retire(worker)
            return _text(503, "the query worker stopped (is the server shutting down?)")
        self._retire(worker)
        return _text(
            503,
            f"the query ran longer than the time limit of {self._timeout:g} s and was stopped; "
            "narrow it down or add a LIMIT",
        )

    def close(self) -> None:
        """Stop every worker; later answers are 503."""
        with self._lock:
            self._closed = True
            workers, self._live = self._live, set()
        for worker in workers:
            worker.stop()

    def _start(self) -> _Worker:
        parent_end, child_end = self._context.Pipe()
        process = self._context.Process(
            target=_worker_main,
            args=(child_end, self._source, self._in_memory),
            name="kg-serve-worker",
            daemon=True,
        )
        process.start()
        child_end.close()
        worker = _Worker(process, parent_end)
        with self._lock:
            self._live.add(worker)
        return worker

    def _wait_ready(self, worker: _Worker) -> None:
        while not worker.connection.poll(0.2):
            if not worker.process.is_alive():
                raise ServeError(f"a query worker exited with code {worker.process.exitcode}")
        try:
            problem: str = worker.connection.recv()
        except (EOFError, OSError):
            problem = "a query worker exited while loading the graph"
        if problem:
            raise ServeError(problem)

    def _retire(self, worker: _Worker) -> None:
        """Kill ``worker`` and start its replacement in the background."""
        with self._lock:
            self._live.discard(worker)
            closed = self._closed
        worker.stop()
        if not closed:
            threading.Thread(target=self._replace, name="kg-serve-respawn", daemon=True).start()

    def _replace(self) -> None:
        try:
            worker = self._start()
            self._wait_ready(worker)
        except (ServeError, OSError) as error:
            _LOG.error("kg serve: could not restart a query worker: %s", error)
            return
        with self._lock:
            closed = self._closed
        if closed:
            worker.stop()
        else:
            self._idle.put(worker)


# --- linked data -----------------------------------------------------------------------------


class _LinkedData:
    """Entity descriptions at the paths of their IRIs, in the format the client prefers."""

    def __init__(self, store: ox.Store, base_iri: str | None) -> None:
        self._store = store
        self._base = base_iri
        self._prefixes = {**prefixes(), **(IriScheme(base_iri).prefixes() if base_iri else {})}
        self._longest_first = sorted(self._prefixes.items(), key=lambda item: -len(item[1]))

    def answer(self, path: str, params: Mapping[str, list[str]], accept: str | None) -> Answer:
        """The entity at ``path`` (URL-encoded, from the root) in the negotiated format."""
        vary = ("Vary", "Accept")
        forced: str | None = None
        if "format" in params:
            forced = _FORMAT_NAMES.get(params["format"][-1].lower())
            if forced is None:
                names = ", ".join(sorted(_FORMAT_NAMES))
                return _text(400, f"unknown format {params['format'][-1]!r}; use one of: {names}")
        found = self._lookup(path)
        if found is None:
            suffix = next((s for s in _SUFFIXES if path.endswith(s)), None)
            if suffix is not None:
                found = self._lookup(path.removesuffix(suffix))
                forced = forced or _SUFFIXES[suffix]
        if found is None:
            return self._not_found(path, accept)
        iri, triples = found
        media_type = forced or negotiate(accept, list(ENTITY_TYPES))
        if media_type is None:
            return _not_acceptable(ENTITY_TYPES, vary)
        root = "../" * (path.count("/") - 1)
        body = self._render(ENTITY_TYPES[media_type], iri, triples, root)
        return Answer(200, f"{media_type}; charset=utf-8", body, (vary,))

    def _lookup(self, path: str) -> tuple[str, list[Triple]] | None:
        if self._base is None or not path.startswith("/") or path == "/":
            return None
        for local in dict.fromkeys((path[1:], unquote(path[1:]))):
            iri = self._base + local
            if iri_problem(iri) is None:
                triples = describe_entity(self._store, iri)
                if triples:
                    return iri, triples
        return None

    def _render(self, fmt: str, iri: str, triples: list[Triple], root: str) -> bytes:
        if fmt == "turtle":
            buffer = BytesIO()
            TurtleWriter(buffer, self._prefixes).add(Entity(iri, (iri,), triples, []))
            return buffer.getvalue()
        if fmt == "jsonld":
            return _jsonld(triples)
        if fmt == "ntriples":
            return "".join(sorted(ntriples(triples).splitlines(keepends=True))).encode("utf-8")
        page = entity_page(self._store, iri, root=root)  # papers and persons
        if page is None:
            page = self._generic_page(iri, triples, root)
        return page.encode("utf-8")

    def _generic_page(self, iri: str, triples: list[Triple], root: str) -> str:
        """A page that lists the description, for entities the site pages do not cover."""
        names = [o.value for s, p, o in triples if s.value == iri and p == OX_SCHEMA.name]
        rows = [
            {
                "subject": self._short(s),
                "predicate": self._short(p),
                "value": self._short(o),
                "href": self._href(o, root),
            }
            for s, p, o in triples
        ]
        return _TEMPLATES.get_template("entity.html").render(
            title=names[0] if names else iri,
            iri=iri,
            rows=rows,
            root=root,
            name=iri.rsplit("/", 1)[-1],
            jsonld=Markup(script_json(json.loads(_jsonld(triples)))),
        )

    def _short(self, term: ox.NamedNode | ox.BlankNode | ox.Literal) -> str:
        """A term as people read it: a prefixed name when one fits."""
        if isinstance(term, ox.Literal):
            if term.language:
                return f"{term.value} @{term.language}"
            return term.value
        if isinstance(term, ox.BlankNode):
            return f"_:{term.value}"
        for name, namespace in self._longest_first:
            if term.value.startswith(namespace) and len(term.value) > len(namespace):
                return f"{name}:{term.value[len(namespace) :]}"
        return term.value

    def _href(self, term: ox.NamedNode | ox.BlankNode | ox.Literal, root: str) -> str | None:
        if not isinstance(term, ox.NamedNode):
            return None
        if self._base and term.value.startswith(self._base):
            return root + term.value[len(self._base) :]
        return term.value if term.value.startswith(("http://", "https://")) else None

    def _not_found(self, path: str, accept: str | None) -> Answer:
        message = f"nothing is known about {path} here"
        if negotiate(accept, ["text/html", "text/plain"]) == "text/html":
            root = "../" * (path.count("/") - 1)
            page = _TEMPLATES.get_template("not_found.html").render(message=message, root=root)
            return Answer(404, _HTML, page.encode("utf-8"), (("Vary", "Accept"),))
        return _text(404, message, ("Vary", "Accept"))


# --- the query page --------------------------------------------------------------------------


def _query_page(timeout: float, base_iri: str | None) -> bytes:
    """The editor at ``/``: rendered once, it only changes with the canned queries."""
    queries = list_canned_queries()
    data = [
        {
            "name": query.name,
            "description": query.description,
            "text": query.text,
            "params": [
                {"name": p.name, "kind": p.kind, "description": p.description} for p in query.params
            ],
        }
        for query in queries
    ]
    page = _TEMPLATES.get_template("query.html").render(
        queries=queries,
        data=Markup(script_json({"queries": data})),
        base_iri=base_iri or "",
        timeout=f"{timeout:g}",
    )
    return page.encode("utf-8")


# --- HTTP ------------------------------------------------------------------------------------


class _Handler(BaseHTTPRequestHandler):
    """Routes ``/``, ``/sparql`` and entity paths; every answer has a length, so HTTP/1.1
    connections stay open between requests."""

    protocol_version = "HTTP/1.1"
    server_version = "kg-serve"
    timeout = _KEEP_ALIVE
    # Headers and body leave in two writes: with Nagle's algorithm, the client's delayed ACK
    # held every answer on a kept-alive connection for 40 ms.
    disable_nagle_algorithm = True

    @property
    def _server(self) -> KgServer:
        assert isinstance(self.server, KgServer)
        return self.server

    def do_GET(self) -> None:
        self._safely(self._get, head=False)

    def do_HEAD(self) -> None:
        self._safely(self._get, head=True)

    def do_POST(self) -> None:
        self._safely(self._post, head=False)

    def do_OPTIONS(self) -> None:
        """CORS preflight: browsers ask before a cross-origin POST of a SPARQL query."""
        if urlsplit(self.path).path == "/sparql":
            headers = (
                ("Access-Control-Allow-Methods", "GET, POST, OPTIONS"),
                ("Access-Control-Allow-Headers", "Content-Type, Accept"),
                ("Access-Control-Max-Age", "86400"),
                ("Allow", "GET, HEAD, POST, OPTIONS"),
            )
            self._send(Answer(204, _TEXT, b"", headers), cors=True)
        else:
            self._send(Answer(204, _TEXT, b"", (("Allow", "GET, HEAD, OPTIONS"),)))

    def _refuse_method(self) -> None:
        allowed = (
            "GET, HEAD, POST, OPTIONS" if urlsplit(self.path).path == "/sparql" else "GET, HEAD"
        )
        self._send(_text(405, f"{self.command} is not allowed here", ("Allow", allowed)))

    do_PUT = do_DELETE = do_PATCH = _refuse_method

    def log_message(self, format: str, *args: Any) -> None:
        if self._server.verbose:
            super().log_message(format, *args)

    def _safely(self, route: Callable[[bool], None], head: bool) -> None:
        """Run ``route``; a bug answers 500 with a one-line reason, never a traceback."""
        try:
            route(head)
        except ConnectionError:
            self.close_connection = True
        except Exception as error:
            _LOG.exception("kg serve: %s %s failed", self.command, self.path)
            self.close_connection = True
            self._send(_text(500, f"internal error: {type(error).__name__}: {error}"))

    def _get(self, head: bool) -> None:
        url = urlsplit(self.path)
        params = _parse_params(url.query)
        if isinstance(params, Answer):
            self._send(params, head=head, cors=url.path == "/sparql")
        elif url.path == "/sparql":
            self._send(self._sparql(params), head=head, cors=True)
        elif url.path in ("/", "/index.html"):
            self._send(Answer(200, _HTML, self._server.page), head=head)
        else:
            accept = self.headers.get("Accept")
            self._send(self._server.linked_data.answer(url.path, params, accept), head=head)

    def _post(self, head: bool) -> None:
        url = urlsplit(self.path)
        if url.path != "/sparql":
            self._refuse_method()
            return
        self._send(self._sparql_post(url.query), cors=True)

    def _sparql_post(self, url_query: str) -> Answer:
        media_type, _, options = (self.headers.get("Content-Type") or "").partition(";")
        media_type = media_type.strip().lower()
        body = self._read_body()
        if isinstance(body, Answer):
            return body
        params = _parse_params(url_query)
        if isinstance(params, Answer):
            return params
        if media_type == "application/sparql-update":
            return _read_only_refusal()
        if media_type == "application/x-www-form-urlencoded":
            try:  # percent-encoded as it should be, or raw UTF-8 as `curl -d` sends it
                form = _parse_params(body.decode("utf-8"))
            except UnicodeDecodeError:
                return _text(400, "the form is not UTF-8 text")
            if isinstance(form, Answer):
                return form
            for name, values in form.items():
                params.setdefault(name, []).extend(values)
            return self._sparql(params)
        if media_type == "application/sparql-query":
            charset = re.search(r"charset\s*=\s*\"?([\w-]+)", options, re.IGNORECASE)
            if charset and charset.group(1).lower() not in ("utf-8", "utf8", "us-ascii"):
                return _text(415, "send the query as UTF-8 (charset=utf-8)")
            if "query" in params:
                return _text(400, "a direct POST carries the query in its body, not in ?query=")
            try:
                params["query"] = [body.decode("utf-8")]
            except UnicodeDecodeError:
                return _text(400, "the query is not UTF-8 text")
            return self._sparql(params)
        return _text(
            415,
            "send the query as application/x-www-form-urlencoded (query=...) "
            "or as application/sparql-query",
        )

    def _sparql(self, params: Mapping[str, list[str]]) -> Answer:
        """A SPARQL Protocol query operation, answered by a worker."""
        if "update" in params:
            return _read_only_refusal()
        queries = params.get("query", [])
        if not queries:
            return _text(
                400,
                "no query: send one as ?query=... (SPARQL 1.1 Protocol), or open / to write one",
            )
        if len(queries) > 1:
            return _text(400, f"send one query per request, not {len(queries)}")
        graphs = {name: params.get(name, []) for name in ("default-graph-uri", "named-graph-uri")}
        for iri in (iri for values in graphs.values() for iri in values):
            problem = iri_problem(iri)
            if problem is not None:
                return _text(400, f"graph IRI {iri!r}: {problem}")
        request = _QueryRequest(
            queries[0],
            self.headers.get("Accept"),
            tuple(graphs["default-graph-uri"]),
            tuple(graphs["named-graph-uri"]),
        )
        return self._server._answer_query(request)

    def _read_body(self) -> bytes | Answer:
        if self.headers.get("Transfer-Encoding"):
            self.close_connection = True
            return _text(411, "send the body with a Content-Length (no chunked encoding)")
        length = self.headers.get("Content-Length")
        if length is None or not length.strip().isdigit():
            self.close_connection = True
            return _text(411, "send the body with a Content-Length")
        if int(length) > _MAX_BODY:
            self.close_connection = True
            return _text(413, f"the request body is larger than {_MAX_BODY >> 20} MiB")
        return self.rfile.read(int(length))

    def _send(self, answer: Answer, *, head: bool = False, cors: bool = False) -> None:
        self.send_response(answer.status)
        self.send_header("Content-Type", answer.content_type)
        self.send_header("Content-Length", str(len(answer.body)))
        self.send_header("X-Content-Type-Options", "nosniff")
        if cors:
            self.send_header("Access-Control-Allow-Origin", "*")
            self.send_header("Vary", "Accept")
        for name, value in answer.headers:
            if not (cors and name == "Vary"):
                self.send_header(name, value)
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if not head:
            self.wfile.write(answer.body)


def _parse_params(text: str) -> dict[str, list[str]] | Answer:
    """URL-encoded parameters (query string or form body); 400 for broken encoding."""
    try:
        return parse_qs(text, keep_blank_values=True, errors="strict", max_num_fields=100)
    except (UnicodeDecodeError, ValueError):
        return _text(400, "the parameters are not URL-encoded UTF-8 (or there are too many)")


def _read_only_refusal() -> Answer:
    return _text(403, "updates are not allowed: this SPARQL endpoint is read-only")


class KgServer(ThreadingHTTPServer):
    """The HTTP server of :func:`make_server`, with its query workers.

    ``shutdown()`` stops serving and the workers; ``server_close()`` (or leaving a ``with``
    block) also closes the socket.
    """

    daemon_threads = True

    def __init__(
        self,
        address: tuple[str, int],
        *,
        store: ox.Store,
        location: Path | None,
        base_iri: str | None,
        query_timeout: float,
        workers: int,
        verbose: bool,
    ) -> None:
        self.address_family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        self.verbose = verbose
        self.base_iri = base_iri
        self.query_timeout = query_timeout
        self._workers: _Workers | None = None
        self._snapshot: tempfile.TemporaryDirectory[str] | None = None
        try:
            super().__init__(address, _Handler)
        except OSError as error:
            raise ServeError(
                f"cannot listen on {address[0]}:{address[1]}: {error.strerror or error}"
            ) from None
        try:
            self.page = _query_page(query_timeout, base_iri)
            self.linked_data = _LinkedData(store, base_iri)
            if location is None:
                self._snapshot = tempfile.TemporaryDirectory(prefix="kg-serve-")
                location = Path(self._snapshot.name) / "graph.nq"
                store.dump(str(location), format=ox.RdfFormat.N_QUADS)
            self._workers = _Workers(
                location, in_memory=self._snapshot is not None, count=workers, timeout=query_timeout
            )
        except BaseException:
            self.server_close()
            raise

    def server_bind(self) -> None:
        """Bind without HTTPServer's reverse DNS lookup of the host (slow on some networks)."""
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = self._host, int(self.server_address[1])

    @property
    def url(self) -> str:
        """``http://HOST:PORT/``, the address to open."""
        host = f"[{self._host}]" if ":" in self._host else self._host
        return f"http://{host}:{self.server_address[1]}/"

    @property
    def _host(self) -> str:
        host = self.server_address[0]
        return host if isinstance(host, str) else host.decode()

    @property
    def worker_pids(self) -> tuple[int, ...]:
        """Process ids of the query workers alive now."""
        return self._workers.pids if self._workers is not None else ()

    def _answer_query(self, request: _QueryRequest) -> Answer:
        """A worker's answer to a SPARQL query (503 once the workers are stopped)."""
        if self._workers is None:
            return _text(503, "the server is shutting down")
        return self._workers.answer(request)

    def shutdown(self) -> None:
        super().shutdown()
        self._stop_workers()

    def server_close(self) -> None:
        super().server_close()
        self._stop_workers()

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Quiet: a client that went away is not the server's error (verbose: say so)."""
        if self.verbose:
            super().handle_error(request, client_address)

    def _stop_workers(self) -> None:
        workers, self._workers = self._workers, None
        if workers is not None:
            workers.close()
        snapshot, self._snapshot = self._snapshot, None
        if snapshot is not None:
            snapshot.cleanup()


def make_server(
    store: ox.Store | Path,
    host: str = "127.0.0.1",
    port: int = 8000,
    *,
    query_timeout: float = 10.0,
    base_iri: str | None = None,
    workers: int = 2,
    verbose: bool = False,
) -> KgServer:
    """A server for ``store``, listening on ``host:port`` (port 0: any free port), its query
    workers ready; call ``serve_forever()`` on it.

    ``store`` is a pyoxigraph store (each worker gets an in-memory copy) or the folder of an
    on-disk store from ``kg build --store`` (each worker opens it read-only). Each query may
    run ``query_timeout`` seconds; ``workers`` queries run at once. ``base_iri`` maps paths to
    entity IRIs (default: detected from the graph). ``verbose`` logs every request on stderr.

    Workers are started with the ``spawn`` method: a script that calls this must guard its
    top level with ``if __name__ == "__main__":``. Raises ConfigError for bad settings,
    InputError for a folder that holds no store, ServeError when the address is taken.
    """
    if not query_timeout > 0:
        raise ConfigError(f"the query time limit must be positive, not {query_timeout}")
    if workers < 1:
        raise ConfigError(f"at least one query worker is needed, not {workers}")
    if not 0 <= port <= 65535:
        raise ConfigError(f"port {port} is not between 0 and 65535")
    location = store if isinstance(store, Path) else None
    graph = open_store(store) if isinstance(store, Path) else store
    if base_iri is None:
        base_iri = detect_base_iri(graph)
    else:
        IriScheme(base_iri)  # raises ConfigError for an IRI that cannot be a base
    return KgServer(
        (host, port),
        store=graph,
        location=location,
        base_iri=base_iri,
        query_timeout=query_timeout,
        workers=workers,
        verbose=verbose,
    )


def serve(
    store: ox.Store | Path,
    host: str = "127.0.0.1",
    port: int = 8000,
    *,
    query_timeout: float = 10.0,
    base_iri: str | None = None,
    workers: int = 2,
    verbose: bool = False,
    ready: Callable[[KgServer], None] | None = None,
) -> None:
    """Serve until interrupted (Ctrl+C), then stop the workers and close the socket.

    ``ready`` is called with the server once it accepts requests (to print its ``url``).
    """
    with make_server(
        store,
        host,
        port,
        query_timeout=query_timeout,
        base_iri=base_iri,
        workers=workers,
        verbose=verbose,
    ) as server:
        if ready is not None:
            ready(server)
        with contextlib.suppress(KeyboardInterrupt):
            server.serve_forever()
