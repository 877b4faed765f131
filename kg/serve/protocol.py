"""The SPARQL 1.1 Protocol at ``/sparql``: from an HTTP request to a query, and from a
query to its results.

A query reaches the endpoint by GET, form POST or direct POST; :func:`posted_params` and
:func:`query_request` turn any of them into one :class:`QueryRequest`, or into the 4xx that
says what is wrong, in the request thread. :func:`answer_query` runs in a query worker
(:mod:`kg.serve.workers`): it refuses updates, ``LOAD`` and ``SERVICE``
(:func:`kg.queries.check_read_only`), so the data never changes and the server never
reaches out, then answers in the format the ``Accept`` header prefers: SPARQL JSON, XML,
CSV or TSV for SELECT and ASK; Turtle, JSON-LD or N-Triples for CONSTRUCT and DESCRIBE,
written as they come (a big answer to a spool file) and cut at the server's caps
(:mod:`kg.serve.streaming`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import parse_qs

import pyoxigraph as ox

from kg.errors import QueryError
from kg.queries import QueryForm, check_read_only
from kg.results import QueryResult, format_result
from kg.serve.answers import Answer, not_acceptable, text_answer
from kg.serve.negotiation import GRAPH_TYPES, RESULT_TYPES, negotiate
from kg.serve.streaming import Limits, Spill, Written, write_solutions, write_triples
from kg.terms import iri_problem

_PARSE_CACHE = 512  # distinct query texts whose read-only check each worker remembers
MAX_ROWS_HEADER = "X-SPARQL-MaxRows"
MAX_BYTES_HEADER = "X-KG-Max-Bytes"


@dataclass(frozen=True)
class QueryRequest:
    """What a worker needs to answer one SPARQL Protocol request."""

    query: str
    accept: str | None
    default_graphs: tuple[str, ...] = ()
    named_graphs: tuple[str, ...] = ()


# --- in the request thread -------------------------------------------------------------------


def parse_params(text: str) -> dict[str, list[str]] | Answer:
    """URL-encoded parameters (query string or form body); 400 for broken encoding."""
    try:
        return parse_qs(text, keep_blank_values=True, errors="strict", max_num_fields=100)
    except (UnicodeDecodeError, ValueError):
        return text_answer(400, "the parameters are not URL-encoded UTF-8 (or there are too many)")


def _read_only_refusal() -> Answer:
    """403 for an update, however it was sent."""
    return text_answer(403, "updates are not allowed: this SPARQL endpoint is read-only")


def posted_params(
    content_type: str | None, body: bytes, url_query: str
) -> dict[str, list[str]] | Answer:
    """The parameters of a POST to ``/sparql``: those of the URL with those of the body, a
    form or a direct query (``query`` is then the body); a 4xx for anything else."""
    media_type, _, options = (content_type or "").partition(";")
    media_type = media_type.strip().lower()
    params = parse_params(url_query)
    if isinstance(params, Answer):
        return params
    if media_type == "application/sparql-update":
        return _read_only_refusal()
    if media_type == "application/x-www-form-urlencoded":
        try:  # percent-encoded as it should be, or raw UTF-8 as `curl -d` sends it
            form = parse_params(body.decode("utf-8"))
        except UnicodeDecodeError:
            return text_answer(400, "the form is not UTF-8 text")
        if isinstance(form, Answer):
            return form
        for name, values in form.items():
            params.setdefault(name, []).extend(values)
        return params
    if media_type == "application/sparql-query":
        charset = re.search(r"charset\s*=\s*\"?([\w-]+)", options, re.IGNORECASE)
        if charset and charset.group(1).lower() not in ("utf-8", "utf8", "us-ascii"):
            return text_answer(415, "send the query as UTF-8 (charset=utf-8)")
        if "query" in params:
            return text_answer(400, "a direct POST carries the query in its body, not in ?query=")
        try:
            params["query"] = [body.decode("utf-8")]
        except UnicodeDecodeError:
            return text_answer(400, "the query is not UTF-8 text")
        return params
    return text_answer(
        415,
        "send the query as application/x-www-form-urlencoded (query=...) "
        "or as application/sparql-query",
    )


def query_request(params: Mapping[str, list[str]], accept: str | None) -> QueryRequest | Answer:
    """The query operation ``params`` ask for, for a worker to answer; a 4xx when they ask
    for an update, for no query or several, or name a graph by a broken IRI."""
    if "update" in params:
        return _read_only_refusal()
    queries = params.get("query", [])
    if not queries:
        return text_answer(
            400,
            "no query: send one as ?query=... (SPARQL 1.1 Protocol), or open / to write one",
        )
    if len(queries) > 1:
        return text_answer(400, f"send one query per request, not {len(queries)}")
    graphs = {name: params.get(name, []) for name in ("default-graph-uri", "named-graph-uri")}
    for iri in (iri for values in graphs.values() for iri in values):
        problem = iri_problem(iri)
        if problem is not None:
            return text_answer(400, f"graph IRI {iri!r}: {problem}")
    return QueryRequest(
        queries[0],
        accept,
        tuple(graphs["default-graph-uri"]),
        tuple(graphs["named-graph-uri"]),
    )


# --- in a query worker -----------------------------------------------------------------------


@lru_cache(maxsize=_PARSE_CACHE)
def _query_form(query: str) -> QueryForm | QueryError:
    """The read-only check, remembered: rdflib's parser takes 5-60 ms for a canned query,
    longer than running it on the sample."""
    try:
        return check_read_only(query)
    except QueryError as error:
        return error


def answer_query(store: ox.Store, request: QueryRequest, spool: str, limits: Limits) -> Answer:
    """The SPARQL Protocol answer to ``request``: results (capped by ``limits``, the cut
    said in ``X-SPARQL-MaxRows``) in its body or, when they outgrow memory, in the file
    ``spool``; or a 400/406 with the reason."""
    form = _query_form(request.query)
    if isinstance(form, QueryError):
        return text_answer(400, str(form))
    offers = GRAPH_TYPES if form in ("CONSTRUCT", "DESCRIBE") else RESULT_TYPES
    media_type = negotiate(request.accept, list(offers))
    if media_type is None:
        return not_acceptable(offers)
    fmt = offers[media_type]
    try:
        results = store.query(
            request.query,
            default_graph=[ox.NamedNode(iri) for iri in request.default_graphs] or None,
            named_graphs=[ox.NamedNode(iri) for iri in request.named_graphs] or None,
        )
        with Spill(spool) as output:
            if isinstance(results, ox.QueryBoolean):
                ask = QueryResult(kind="ask", boolean=bool(results))
                output.write(format_result(ask, fmt).encode("utf-8"))
                written = Written(1)
            elif isinstance(results, ox.QuerySolutions):
                written = write_solutions(results, fmt, output, limits)
            else:
                written = write_triples(results, fmt, output, limits)
            spilled, body = output.file is not None, output.getvalue()
    except SyntaxError as error:
        return text_answer(400, f"SPARQL syntax error: {error}")
    except (RuntimeError, ValueError, TypeError) as error:
        return text_answer(400, f"the query failed: {error}")
    except OSError as error:
        return text_answer(500, f"the answer could not be made: {error}")
    headers = _cap_headers(written, limits)
    return Answer(200, f"{media_type}; charset=utf-8", body, headers, spool if spilled else None)


def _cap_headers(written: Written, limits: Limits) -> tuple[tuple[str, str], ...]:
    """What a cut answer says: ``X-SPARQL-MaxRows`` (Virtuoso's header, which clients
    such as ``kg query --endpoint`` look for) with the rows it was cut at; for a cut by
    size, the rows that fit and ``X-KG-Max-Bytes``."""
    if written.cut == "rows":
        return ((MAX_ROWS_HEADER, str(limits.max_rows)),)
    if written.cut == "bytes":
        return ((MAX_ROWS_HEADER, str(written.rows)), (MAX_BYTES_HEADER, str(limits.max_bytes)))
    return ()
