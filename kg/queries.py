"""SPARQL queries: the canned ``queries/*.rq`` files, parameters, and safe local or remote runs.

A canned query is a file with a header comment: its first sentence says what it answers,
further ``#`` lines explain, and ``# param NAME (iri|string|integer): description`` declares
a parameter (``(name of schema:Person)``: a string that names an entity of that class).
Parameter values never become query text locally (Oxigraph substitutes them); remotely they
travel in a ``VALUES`` block built from escaped, validated terms. Queries are read-only:
updates, ``LOAD`` and ``SERVICE`` are refused before anything runs, so a query can neither
change a store nor make kg or an endpoint reach out to a third party. A page of an answer
(``--limit``, ``--offset``) is asked for in the query's own top-level ``LIMIT`` and
``OFFSET`` (:func:`page_query`), so the engine sends only that page.
"""

from __future__ import annotations

import ast
import email.utils
import functools
import http.client
import json
import re
import threading
import time
import urllib.error
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final, Literal, TypeAlias, cast, get_args

import pyoxigraph as ox
from rapidfuzz import fuzz, process, utils
from rdflib.plugins.sparql.parser import parseQuery, parseUpdate
from rdflib.plugins.sparql.parserutils import CompValue
from SPARQLWrapper import JSON, POST, TURTLE, URLENCODED, SPARQLWrapper
from SPARQLWrapper.SPARQLExceptions import (
    EndPointInternalError,
    EndPointNotFound,
    QueryBadFormed,
    SPARQLWrapperException,
    Unauthorized,
    URITooLong,
)

from kg import __version__
from kg.errors import EndpointError, IncompleteAnswer, QueryError
from kg.namespaces import SCHEMA
from kg.namespaces import prefixes as kg_prefixes
from kg.resources import queries_dir
from kg.results import QueryResult, term_to_sparql
from kg.terms import iri_problem

__all__ = [
    "KNOWN_ROW_CAPS",
    "MAX_ROWS_HEADER",
    "MAX_SLICE",
    "USER_AGENT",
    "BoundTerm",
    "CannedQuery",
    "ParamKind",
    "QueryForm",
    "QueryParam",
    "RemoteAnswer",
    "UnknownName",
    "answer_result",
    "bind_values",
    "check_read_only",
    "declare_prefixes",
    "fetch_remote",
    "list_canned_queries",
    "page_query",
    "parse_params",
    "predeclared_prefixes",
    "query_from_text",
    "resolve_query",
    "run_local",
    "run_remote",
    "undeclared_prefixes",
    "unknown_names",
]

ParamKind: TypeAlias = Literal["iri", "string", "integer"]
QueryForm: TypeAlias = Literal["SELECT", "ASK", "CONSTRUCT", "DESCRIBE"]
BoundTerm: TypeAlias = ox.NamedNode | ox.Literal

#: Sent with every remote request: public endpoints (Wikidata) refuse anonymous clients.
USER_AGENT: Final = f"kg/{__version__} (+https://w3id.org/kg-tool; SPARQL client of kg)"

_PARAM_LINE = re.compile(r"param\s+(?P<name>\S+)\s*\((?P<kind>[^)]*)\)\s*:\s*(?P<description>.*)")
_NAME_OF = re.compile(r"name\s+of\s+(?P<cls>\S+)")
_SENTENCE_END = re.compile(r"[.!?][\"')\]]*$")
_VARNAME = re.compile(r"[A-Za-z0-9_]+")
_INTEGER = re.compile(r"[+-]?[0-9]+")
_XSD_INTEGER = ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer")
_FORMS: Final[dict[str, QueryForm]] = {
    "SelectQuery": "SELECT",
    "AskQuery": "ASK",
    "ConstructQuery": "CONSTRUCT",
    "DescribeQuery": "DESCRIBE",
}
_HTTP_STATUS: Final[dict[type[SPARQLWrapperException], tuple[int, str]]] = {
    QueryBadFormed: (400, "Bad Request"),
    Unauthorized: (401, "Unauthorized"),
    EndPointNotFound: (404, "Not Found"),
    URITooLong: (414, "URI Too Long"),
    EndPointInternalError: (500, "Internal Server Error"),
}
_GRAPH_ACCEPT = "application/n-triples, text/turtle;q=0.9"

#: Blank node labels that every SPARQL results parser accepts (a subset of the grammar's).
_BLANK_LABEL = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.\-]*(?<!\.)")

#: The header in which a server says it capped an answer at that many rows (Virtuoso sends it,
#: and so does ``kg serve``).
MAX_ROWS_HEADER: Final = "X-SPARQL-MaxRows"

#: Answer sizes that are a server's cap rather than the whole answer, for servers that cap
#: without saying so: Virtuoso's shipped ``ResultSetMaxRows = 10000`` (also DBpedia's), which
#: caps SELECT answers at 10,000 rows (it does send the header then) and CONSTRUCT answers at
#: 10,001 triples (it does not).
KNOWN_ROW_CAPS: Final[dict[int, str]] = {
    10000: "Virtuoso's default row cap (ResultSetMaxRows = 10000)",
    10001: "the CONSTRUCT size under Virtuoso's default row cap (ResultSetMaxRows = 10000)",
}
_MAX_ANSWER_BYTES = 1 << 30
# Every reading of a codepoint escape: rdflib takes \u with 4 or (greedily) 8 hex digits
# anywhere in the query, Oxigraph \u with 4 and \U with 8, inside strings and IRIs only.
_CODEPOINT_ESCAPE = re.compile(r"\\[uU](?=([0-9A-Fa-f]{4}))(?=([0-9A-Fa-f]{8})?)")
# rdflib's pyparsing grammar is not safe to use from several threads at once.
_PARSER_LOCK = threading.Lock()

_TOKEN = re.compile(
    r"""
      (?P<comment>\#[^\n\r]*)
    | (?P<string>'''(?:(?:'|'')?(?:[^'\\]|\\.))*'''
               |\"\"\"(?:(?:"|"")?(?:[^"\\]|\\.))*\"\"\"
               |'(?:[^'\\\n\r]|\\.)*'
               |"(?:[^"\\\n\r]|\\.)*")
    | (?P<iri><(?:[^<>"{}|^`\\\x00-\x20]|\\u[0-9A-Fa-f]{4}|\\U[0-9A-Fa-f]{8})*>)
    | (?P<var>[?$][A-Za-z0-9_\u00b7\u00c0-\uffff]+)
    | (?P<word>[A-Za-z0-9_:\u00c0-\uffff][A-Za-z0-9_:.%\\\-\u00b7\u00c0-\uffff]*)
    | (?P<open>\{)
    | (?P<close>\})
    | (?P<space>\s+)
    | (?P<other>.)
    """,
    re.VERBOSE | re.DOTALL,
)


@dataclass(frozen=True)
class QueryParam:
    """A declared parameter: ``# param NAME (KIND): DESCRIPTION`` binds ``?NAME``."""

    name: str
    kind: ParamKind
    description: str
    names: str | None = None
    """For ``(name of CLASS)``: the IRI of the class whose entities the value names (by
    ``schema:name`` or ``schema:alternateName``); the value is a string."""


@dataclass(frozen=True)
class CannedQuery:
    """A query with its header: from ``queries/``, a ``.rq`` file, or text given inline.

    ``has_header`` is False when the text does not start with a ``#`` comment; such queries
    declare nothing, and their parameters are typed by :func:`parse_params` from the value.
    """

    name: str
    path: Path | None
    description: str
    params: tuple[QueryParam, ...]
    text: str
    has_header: bool = True
    details: str = ""

    @property
    def declared_params(self) -> tuple[QueryParam, ...] | None:
        """What :func:`parse_params` should check values against (None: no header)."""
        return self.params if self.has_header else None


# --- loading -------------------------------------------------------------------------------


def list_canned_queries() -> list[CannedQuery]:
    """Every canned query shipped with kg, sorted by name."""
    try:
        folder = queries_dir()
    except FileNotFoundError as exc:
        raise QueryError(str(exc)) from None
    return sorted((_load_file(path) for path in folder.glob("*.rq")), key=lambda q: q.name)


def resolve_query(name_or_path: str | Path) -> CannedQuery:
    """A canned query by name (``coauthors``) or a ``.rq`` file by path."""
    text = str(name_or_path)
    looks_like_path = isinstance(name_or_path, Path) or text.endswith(".rq") or "/" in text
    if not looks_like_path:
        for query in list_canned_queries():
            if query.name == text:
                return query
    path = Path(name_or_path)
    if path.is_file():
        return _load_file(path)
    if looks_like_path:
        raise QueryError(f"no such query file: {path}")
    names = [query.name for query in list_canned_queries()]
    close = process.extract(text, names, scorer=fuzz.ratio, score_cutoff=70, limit=3)
    hint = f"; did you mean {' or '.join(match for match, _, _ in close)}?" if close else ""
    raise QueryError(f"unknown query {text!r}{hint} (canned queries: {', '.join(names)})")


def query_from_text(text: str, name: str = "query") -> CannedQuery:
    """A query given as text (``-q 'SELECT ...'``); a header in it is parsed as in files."""
    return _from_text(text, name, None)


def _load_file(path: Path) -> CannedQuery:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise QueryError(f"{path.name}: not UTF-8 text") from None
    except OSError as exc:
        raise QueryError(f"{path.name}: cannot read: {exc.strerror or exc}") from None
    return _from_text(text, path.stem, path)


def _from_text(text: str, name: str, path: Path | None) -> CannedQuery:
    text = text.removeprefix("\ufeff")
    lines = text.splitlines()
    if not lines or not lines[0].startswith("#"):
        return CannedQuery(name, path, "", (), text, has_header=False)
    where = path.name if path is not None else name
    comments: list[str] = []
    params: list[QueryParam] = []
    for number, line in enumerate(lines, start=1):
        if not line.startswith("#"):
            break
        comment = line[1:].strip()
        if not re.match(r"param\s", comment):
            comments.append(comment)
            continue
        params.append(_param_line(comment, f"{where}:{number}"))
        if [p.name for p in params].count(params[-1].name) > 1:
            raise QueryError(f"{where}:{number}: parameter {params[-1].name} declared twice")
    description, details = _first_sentence(comments)
    return CannedQuery(
        name,
        path,
        description,
        tuple(params),
        text,
        has_header=True,
        details="\n".join(details).strip(),
    )


def _first_sentence(comments: list[str]) -> tuple[str, list[str]]:
    """The header's first sentence, joined from the lines it runs over, and the lines after.

    The sentence ends with the first line that ends in ``.``, ``!`` or ``?``, or before an
    empty comment line: a line never ends mid-word, so the description is never cut (when
    a line holds more than one sentence, it shows whole).
    """
    for end, comment in enumerate(comments):
        if not comment:
            return " ".join(comments[:end]), comments[end:]
        if _SENTENCE_END.search(comment):
            return " ".join(comments[: end + 1]), comments[end + 1 :]
    return " ".join(comments), []


def _param_line(comment: str, where: str) -> QueryParam:
    match = _PARAM_LINE.fullmatch(comment)
    usage = "expected '# param NAME (iri|string|integer|name of CLASS): description'"
    if match is None:
        raise QueryError(f"{where}: bad parameter line; {usage}")
    name, kind = match["name"], match["kind"].strip()
    if not _VARNAME.fullmatch(name):
        raise QueryError(f"{where}: bad parameter name {name!r}; use letters, digits and _")
    if kind in get_args(ParamKind):
        return QueryParam(name, cast(ParamKind, kind), match["description"].strip())
    named = _NAME_OF.fullmatch(kind)
    if named is not None:
        names = _class_iri(named["cls"], where)
        return QueryParam(name, "string", match["description"].strip(), names=names)
    raise QueryError(f"{where}: unknown parameter kind {kind!r}; {usage}")


def _class_iri(text: str, where: str) -> str:
    """The class of ``(name of CLASS)``: ``<IRI>`` or a prefixed name with kg's prefixes."""
    if text.startswith("<") and text.endswith(">"):
        iri = text[1:-1]
    else:
        prefix, colon, local = text.partition(":")
        known = kg_prefixes()
        if not colon or prefix not in known:
            raise QueryError(
                f"{where}: the class {text!r} is not an <IRI> or a prefixed name with one of "
                f"kg's prefixes ({', '.join(known)})"
            )
        iri = known[prefix] + local
    problem = iri_problem(iri)
    if problem is not None:
        raise QueryError(f"{where}: the class {text!r} is not a valid IRI ({problem})")
    return iri


# --- parameters ----------------------------------------------------------------------------


def parse_params(
    pairs: Sequence[str], declared: Sequence[QueryParam] | None
) -> dict[str, BoundTerm]:
    """``name=value`` strings to RDF terms, typed by the declared kinds.

    ``declared`` is None for a query without a header: then ``<...>`` is an IRI and
    anything else a string. Undeclared, repeated or missing parameters raise QueryError.
    """
    kinds = None if declared is None else {param.name: param.kind for param in declared}
    bound: dict[str, BoundTerm] = {}
    for pair in pairs:
        name, equals, value = pair.partition("=")
        name = name.strip()
        if not equals or not name:
            raise QueryError(f"bad parameter {pair!r}; expected NAME=VALUE")
        if name.startswith(("?", "$")):
            name = name[1:]
        if not _VARNAME.fullmatch(name):
            raise QueryError(f"bad parameter name {name!r}; use letters, digits and _")
        if name in bound:
            raise QueryError(f"parameter {name} given twice")
        if kinds is None:
            is_iri = value.startswith("<") and value.endswith(">")
            bound[name] = _iri(value, name) if is_iri else ox.Literal(value)
        elif name not in kinds:
            allowed = ", ".join(sorted(kinds)) or "none"
            raise QueryError(f"unknown parameter {name}; this query declares: {allowed}")
        else:
            bound[name] = _typed(value, kinds[name], name)
    if declared is not None:
        missing = [param for param in declared if param.name not in bound]
        if missing:
            wanted = "; ".join(f"{p.name} ({p.kind}): {p.description}" for p in missing)
            raise QueryError(f"missing parameter, give it as NAME=VALUE: {wanted}")
    return bound


def _typed(value: str, kind: ParamKind, name: str) -> BoundTerm:
    if kind == "iri":
        return _iri(value, name)
    if kind == "integer":
        if not _INTEGER.fullmatch(value.strip()):
            raise QueryError(f"parameter {name} must be an integer, not {value!r}")
        return ox.Literal(str(int(value)), datatype=_XSD_INTEGER)
    return ox.Literal(value)


def _iri(value: str, name: str) -> ox.NamedNode:
    """An absolute IRI, checked against the SPARQL IRIREF rules and RFC 3987."""
    iri = value[1:-1] if value.startswith("<") and value.endswith(">") else value
    problem = iri_problem(iri)
    if problem is not None:
        raise QueryError(f"parameter {name}: {iri!r} is not a valid IRI ({problem})")
    return ox.NamedNode(iri)


# --- read-only check -----------------------------------------------------------------------


def check_read_only(query: str) -> QueryForm:
    """The form of ``query`` once it is known to be a read-only query without SERVICE.

    Raises QueryError for syntax errors (with the parser's message), updates and SERVICE.
    The check parses with rdflib while Oxigraph runs the query, so anything the two could
    read differently is refused first (:func:`_check_escapes`); the ``SERVICE`` keyword is
    then looked for both in rdflib's parse tree and among the query's own tokens.
    """
    _check_escapes(query)
    return _read_only_form(query)


def _read_only_form(query: str) -> QueryForm:
    """The form of a query whose escapes are known to be safe (see :func:`check_read_only`)."""
    try:
        tree = _parse(query)
    except Exception as exc:
        with _PARSER_LOCK:
            if _parses_as_update(query):
                raise QueryError(
                    "updates (INSERT, DELETE, LOAD, CLEAR, DROP, ...) are not allowed: "
                    "kg only runs read-only queries"
                ) from None
        raise QueryError(f"SPARQL syntax error: {exc}") from None
    names = {node.name for node in _tree_nodes(tree)}
    if "ServiceGraphPattern" in names or any(
        kind == "word" and text.upper() == "SERVICE" for kind, text, _ in _tokens(query)
    ):
        raise QueryError("SERVICE is not allowed: kg queries never reach out to other endpoints")
    for name, form in _FORMS.items():
        if name in names:
            return form
    raise QueryError("not a SELECT, ASK, CONSTRUCT or DESCRIBE query")


@functools.lru_cache(maxsize=16)
def _parse(query: str) -> Any:
    """rdflib's parse tree of ``query`` (read, never changed): kept, since one run parses the
    same text several times (form, prefixes, slice) and a long query takes rdflib 0.3 s."""
    with _PARSER_LOCK:
        return parseQuery(query)


def _check_escapes(query: str) -> None:
    """Refuse codepoint escapes (``\\u0022``) that rdflib and Oxigraph could read differently.

    rdflib expands escapes everywhere before parsing, Oxigraph only inside strings and IRIs:
    an escaped quote ends a string for one and not for the other, and a query can then hide
    a ``SERVICE`` call from the check. Every character that shapes SPARQL syntax is ASCII,
    so once no escape can stand for one, both parsers see the same tokens. Escapes of other
    characters (``caf\\u00e9``) keep working.
    """
    for match in _CODEPOINT_ESCAPE.finditer(query):
        four, eight = match[1], match[2]
        rdflib_reading = eight or four  # rdflib reads \u and \U alike, 8 digits if it can
        oxigraph_reading = four if match.group() == "\\u" else eight
        line = query.count("\n", 0, match.start()) + 1
        for digits in {rdflib_reading, oxigraph_reading} - {None}:
            point = int(digits, 16)
            escape = f"{match.group()}{digits}"
            if point < 0x80:
                problem = (
                    "stands for an ASCII character: write it as itself "
                    '(a quote inside a string as \\")'
                )
            elif point > 0x10FFFF or 0xD800 <= point <= 0xDFFF:
                problem = "stands for no character: write the character itself"
            else:
                continue
            raise QueryError(
                f"line {line}: the escape {escape} {problem}; escapes that kg's check and the "
                "store could read differently are refused"
            )


def _parses_as_update(query: str) -> bool:
    try:
        update = parseUpdate(query)
    except Exception:
        return False
    return bool(getattr(update, "request", None))  # "" is an (empty) update too


def _tokens(query: str) -> Iterator[tuple[str, str, int]]:
    """(kind, text, end offset) of each SPARQL token that matters for finding groups."""
    for match in _TOKEN.finditer(query):
        kind = match.lastgroup or "other"
        if kind != "space":
            yield kind, match.group(), match.end()


# --- prefixes ------------------------------------------------------------------------------


def predeclared_prefixes(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The prefixes ``kg query`` declares for every query: kg's vocabularies (``schema``,
    ``foaf``, ``bibo``, ``prov``, ``dcterms``, ``rdf``, ``rdfs``, ``xsd``, ``kg``...) and
    ``extra`` (the graph's own ``paper:``, ``person:``... under the base IRI), sorted."""
    return dict(sorted({**kg_prefixes(), **(extra or {})}.items()))


def undeclared_prefixes(query: str) -> list[str]:
    """The prefixes ``query`` uses without declaring them, in order of first use; none for a
    query that does not parse (its syntax error is reported when it runs)."""
    try:
        tree = _parse(query)
    except Exception:
        return []
    declared: set[str] = set()
    used: dict[str, None] = {}
    for node in _tree_nodes(tree):
        # CompValue.get() answers a missing key with the key itself: ask the dict.
        if node.name == "PrefixDecl":
            declared.add(str(node["prefix"]) if "prefix" in node else "")
        elif node.name == "pname":
            used.setdefault(str(node["prefix"]) if "prefix" in node else "", None)
    return [prefix for prefix in used if prefix not in declared]


def declare_prefixes(query: str, known: Mapping[str, str]) -> str:
    """``query`` with a ``PREFIX`` line for each of the ``known`` prefixes it uses without
    declaring, for endpoints that know none of kg's prefixes; QueryError names a prefix that
    is neither declared nor known."""
    missing = _check_prefixes(query, known)
    return "".join(f"PREFIX {prefix}: <{known[prefix]}>\n" for prefix in missing) + query


def _check_prefixes(query: str, known: Mapping[str, str]) -> list[str]:
    """The known prefixes ``query`` uses without declaring; QueryError for an unknown one,
    instead of the parser's list of the characters it expected."""
    missing = undeclared_prefixes(query)
    for prefix in missing:
        if prefix not in known:
            names = ", ".join(known) or "none"
            raise QueryError(
                f"SPARQL syntax error: undeclared prefix '{prefix}:' (known: {names}); "
                f"declare it with PREFIX {prefix}: <IRI>"
            )
    return missing


def _tree_nodes(node: Any) -> Iterator[CompValue]:
    """Every node of rdflib's parse tree, in the order of the query text."""
    pending = [node]
    while pending:
        item = pending.pop()
        if isinstance(item, CompValue):
            yield item
            pending.extend(reversed(item.values()))
        elif isinstance(item, list | tuple) or type(item).__name__ == "ParseResults":
            pending.extend(reversed(item))


# --- pages ---------------------------------------------------------------------------------

#: The largest LIMIT or OFFSET kg writes: Oxigraph reads them as unsigned 64-bit integers
#: and other engines as signed ones.
MAX_SLICE: Final = 2**63 - 1


def page_query(query: str, limit: int | None = None, offset: int | None = None) -> str:
    """``query`` answering only ``limit`` rows (or solutions) from ``offset`` on.

    The page is cut from the query's own slice, never beyond it: with the query's own
    ``OFFSET o LIMIT l``, the page is rows ``o+offset`` up to at most ``o+l``. The query's
    top-level ``LIMIT`` and ``OFFSET`` are replaced, not wrapped in a subquery, since a
    subquery's ``ORDER BY`` need not survive the outer query; rdflib's parser reads the
    query's own slice and checks the rewritten one. CONSTRUCT and DESCRIBE queries are paged
    by the solutions of their WHERE pattern (not by triples); ASK has no rows to page.
    """
    if limit is None and offset is None:
        return query
    for what, value in (("limit", limit), ("offset", offset)):
        if value is not None and not 0 <= value <= MAX_SLICE:
            raise QueryError(f"the {what} must be an integer from 0 to {MAX_SLICE}, not {value}")
    if check_read_only(query) == "ASK":
        raise QueryError(
            "an ASK query answers yes or no: it has no rows for --limit or --offset to page"
        )
    own_offset, own_limit = _query_slice(query)
    start = own_offset + (offset or 0)
    ends = [start + limit] if limit is not None else []
    if own_limit is not None:
        ends.append(own_offset + own_limit)
    length = max(0, min(ends) - start) if ends else None
    if start > MAX_SLICE:
        raise QueryError(f"the query's OFFSET plus --offset is over {MAX_SLICE}")
    clause = " ".join(
        ([f"LIMIT {length}"] if length is not None else []) + ([f"OFFSET {start}"] if start else [])
    )
    text, position = _without_slice(query)
    paged = f"{text[:position].rstrip()}\n{clause}\n{text[position:]}"
    if _query_slice(paged) != (start, length):
        raise QueryError("cannot page this query: its LIMIT or OFFSET could not be replaced")
    return paged


def _without_slice(query: str) -> tuple[str, int]:
    """``query`` without its own ``LIMIT`` and ``OFFSET``, and the offset where the new ones go:
    before a trailing ``VALUES`` clause if there is one, else at the end.

    Only the query's own solution modifiers stand outside every ``{ }`` group (a subquery's
    are inside its group), and comments, strings and IRIs are tokens of their own, so a
    ``LIMIT`` in them is never touched.
    """
    depth = 0
    cuts: list[tuple[int, int]] = []
    values_at: int | None = None
    pending: int | None = None  # where a LIMIT or OFFSET keyword started, awaiting its number
    for kind, text, end in _tokens(query):
        start = end - len(text)
        if kind == "comment":
            continue
        if pending is not None:
            cuts.append((pending, end))
            pending = None
        elif kind == "open":
            depth += 1
        elif kind == "close":
            depth -= 1
        elif kind == "word" and depth == 0:
            keyword = text.upper()
            if keyword in ("LIMIT", "OFFSET"):
                pending = start
            elif keyword == "VALUES" and values_at is None:
                values_at = start
    position = len(query) if values_at is None else values_at
    for cut_start, cut_end in reversed(cuts):
        query = query[:cut_start] + query[cut_end:]
        if cut_end <= position:
            position -= cut_end - cut_start
    return query, position


# --- running -------------------------------------------------------------------------------


def run_local(
    query: str,
    store: ox.Store,
    bindings: Mapping[str, BoundTerm] | None = None,
    prefixes: Mapping[str, str] | None = None,
) -> QueryResult:
    """Run a read-only query on an Oxigraph store; ``bindings`` are substituted, not pasted.

    ``prefixes`` are declared for the query (its own declarations win), as
    :func:`predeclared_prefixes` gives them.
    """
    check_read_only(query)
    _check_prefixes(query, prefixes or {})
    substitutions: dict[ox.Variable, ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple] = {
        _variable(name): term for name, term in (bindings or {}).items()
    }
    try:
        # Never a local: the read-only check's rdflib parse leaves cycles that hold this
        # frame, and Oxigraph's solutions must not be freed by a collection in another thread
        # (they are bound to the thread that made them, and leak with a warning).
        return QueryResult.from_oxigraph(
            store.query(query, prefixes=dict(prefixes or {}), substitutions=substitutions or None)
        )
    except SyntaxError as exc:
        raise QueryError(f"SPARQL syntax error: {exc.msg or exc}") from None
    except RuntimeError as exc:
        found = re.search(r"variable \?(\S+) in its SELECT projection", str(exc))
        if found:
            raise QueryError(
                f"parameter {found.group(1)} must be a result column to be bound locally: "
                f"add ?{found.group(1)} to the SELECT clause"
            ) from None
        raise QueryError(f"query failed: {exc}") from None
    except (OSError, ValueError, TypeError) as exc:
        raise QueryError(f"query failed: {exc}") from None


CLOSE_NAMES = 3
"""Close names :func:`unknown_names` suggests at most."""

_NAMED = f"<{SCHEMA.name}>|<{SCHEMA.alternateName}>"
"""The name properties as a path: the quicker form for listing every name of a class (0.03 s
against 0.23 s for the VALUES form below, at 10k papers)."""
_NAME_PROPERTIES = f"VALUES ?property_ {{ <{SCHEMA.name}> <{SCHEMA.alternateName}> }}"
"""The same two properties as a VALUES block: given the name, Oxigraph then finds the entity
by it, where the path form makes it go through every entity of the class (2 s on a
million-paper store, against a few milliseconds)."""


@dataclass(frozen=True)
class UnknownName:
    """A ``(name of CLASS)`` parameter whose value names no entity of that class."""

    param: QueryParam
    value: str
    close: tuple[str, ...]
    """Names of entities of the class that look like ``value``, closest first."""


def unknown_names(
    query: CannedQuery, bindings: Mapping[str, BoundTerm], store: ox.Store
) -> list[UnknownName]:
    """The parameters declared ``(name of CLASS)`` whose value is neither the ``schema:name``
    nor a ``schema:alternateName`` of an entity of that class in ``store``, each with the
    closest names that are (rapidfuzz): an empty answer then says why."""
    unknown = []
    for param in query.params:
        term = bindings.get(param.name)
        if param.names is None or not isinstance(term, ox.Literal):
            continue
        is_named, all_names = _name_queries(param.names)
        if store.query(is_named, substitutions={ox.Variable("value"): term}):
            continue
        names = cast(ox.QuerySolutions, store.query(all_names))
        candidates = sorted({solution["name"].value for solution in names})
        close = process.extract(
            term.value,
            candidates,
            scorer=fuzz.WRatio,
            processor=utils.default_process,
            score_cutoff=80,
            limit=CLOSE_NAMES,
        )
        unknown.append(UnknownName(param, term.value, tuple(name for name, _, _ in close)))
    return unknown


def name_check_queries(query: CannedQuery) -> list[str]:
    """The queries :func:`unknown_names` may run for ``query``'s parameters."""
    return [text for param in query.params if param.names for text in _name_queries(param.names)]


def _name_queries(entity_class: str) -> tuple[str, str]:
    """Whether an entity of ``entity_class`` is named ``?value``; all their names."""
    return (
        f"ASK {{ {_NAME_PROPERTIES} ?entity ?property_ ?value ; a <{entity_class}> }}",
        f"SELECT DISTINCT ?name WHERE {{ ?entity a <{entity_class}> ; {_NAMED} ?name }}",
    )


def run_remote(
    query: str,
    endpoint_url: str,
    bindings: Mapping[str, BoundTerm] | None = None,
    timeout: float = 30.0,
    user_agent: str = USER_AGENT,
) -> QueryResult:
    """Run a read-only query on a SPARQL endpoint; every failure is an EndpointError.

    ``bindings`` go into a VALUES block at the start of the WHERE group. Results are
    requested as SPARQL JSON (N-Triples or Turtle for CONSTRUCT and DESCRIBE) and checked:
    HTML, truncated JSON or an error text sent with status 200 are errors, not results.
    """
    form = check_read_only(query)
    if bindings:
        query = bind_values(query, bindings)
        # Bound values double every backslash, so an escape-like text in them is text.
        _read_only_form(query)
    answer = fetch_remote(query, endpoint_url, form, timeout, user_agent)
    result = answer_result(answer, form)
    _check_complete(result, answer, query)
    return result


@dataclass(frozen=True)
class RemoteAnswer:
    """An endpoint's answer as it came: kept whole so that callers can cache it.

    ``max_rows`` is the row cap the server said it applied (``X-SPARQL-MaxRows``), if any.
    """

    endpoint: str
    body: bytes
    content_type: str
    max_rows: int | None = None


def fetch_remote(
    query: str,
    endpoint_url: str,
    form: QueryForm = "SELECT",
    timeout: float = 30.0,
    user_agent: str = USER_AGENT,
) -> RemoteAnswer:
    """Send one query (POST, form-encoded) and read the whole answer, unchecked.

    Failures are ``EndpointError``s that carry the HTTP status, the ``Retry-After`` delay and
    whether trying again may help, so that callers can retry politely.
    """
    if not re.match(r"https?://[^/?#\s]+", endpoint_url):
        raise EndpointError(f"endpoint {endpoint_url!r} is not an http:// or https:// URL")
    wrapper = SPARQLWrapper(endpoint_url, agent=user_agent)
    wrapper.setQuery(query)
    wrapper.setMethod(POST)
    wrapper.setRequestMethod(URLENCODED)
    wrapper.setOnlyConneg(True)
    if form in ("CONSTRUCT", "DESCRIBE"):
        wrapper.setReturnFormat(TURTLE)
        wrapper.addCustomHttpHeader("Accept", _GRAPH_ACCEPT)
    else:
        wrapper.setReturnFormat(JSON)
    # setTimeout() truncates to whole seconds, and 0 would mean "wait forever".
    wrapper.timeout = timeout  # type: ignore[assignment]
    deadline = time.monotonic() + timeout
    try:
        response = wrapper.query().response
        content_type = str(response.headers.get("Content-Type", "")).split(";")[0].strip()
        max_rows = _max_rows(response.headers.get(MAX_ROWS_HEADER))
        body = _read_answer(response, deadline, endpoint_url, timeout)
    except EndpointError:
        raise
    except Exception as exc:
        raise _endpoint_error(exc, endpoint_url, timeout) from None
    return RemoteAnswer(endpoint_url, body, content_type, max_rows)


def answer_result(answer: RemoteAnswer, form: QueryForm = "SELECT") -> QueryResult:
    """The results in ``answer``; an answer that is not what ``form`` asks for (HTML, a cut
    or garbled document, an error text sent with status 200) is a transient EndpointError."""
    if form in ("CONSTRUCT", "DESCRIBE"):
        return _graph_answer(answer.body, answer.content_type, answer.endpoint)
    return _results_answer(answer.body, answer.content_type, answer.endpoint, form)


def _check_complete(result: QueryResult, answer: RemoteAnswer, query: str) -> None:
    """Raise IncompleteAnswer when ``answer`` holds only the first rows of the results.

    A server that caps answers sends as many rows as its cap allows and nothing else looks
    different, so the size is compared with the cap the server declared in
    ``X-SPARQL-MaxRows`` or, when it declared none, with the caps of :data:`KNOWN_ROW_CAPS`.
    Reaching the cap is not proof of truncation when the query's own ``LIMIT`` (or
    ``--limit``, written into it) asked for that many rows, so then a SELECT answer passes;
    a CONSTRUCT's ``LIMIT`` counts solutions, not the triples the cap counts, so it never
    excuses a graph answer.
    """
    if result.kind == "ask":
        return
    size = len(result.rows) if result.kind == "select" else len(result.triples)
    unit = "rows" if result.kind == "select" else "triples"
    if answer.max_rows is not None and size >= answer.max_rows:
        what = (
            f"capped its answer at {answer.max_rows} {unit} "
            f"({MAX_ROWS_HEADER}: {answer.max_rows}): the answer is incomplete"
        )
    elif answer.max_rows is None and size in KNOWN_ROW_CAPS:
        what = (
            f"sent exactly {size} {unit}, {KNOWN_ROW_CAPS[size]}: the answer is probably incomplete"
        )
    else:
        return
    limit = _query_limit(query) if result.kind == "select" else None
    if limit is not None and limit <= size:
        return  # the query itself asked for no more
    raise IncompleteAnswer(
        f"{answer.endpoint} {what}, so kg prints none of it; narrow the query, or raise the "
        "server's cap (Virtuoso: ResultSetMaxRows in virtuoso.ini)"
    )


def _query_limit(query: str) -> int | None:
    """The ``LIMIT`` of the query itself (not of a subquery), if it has one."""
    return _query_slice(query)[1]


def _query_slice(query: str) -> tuple[int, int | None]:
    """The ``OFFSET`` (0 if none) and ``LIMIT`` of the query itself, as rdflib parses them."""
    clauses = _parse(query)[1]
    if "limitoffset" not in clauses:
        return 0, None
    modifiers = clauses["limitoffset"]
    offset = int(modifiers["offset"]) if "offset" in modifiers else 0
    return offset, int(modifiers["limit"]) if "limit" in modifiers else None


def _max_rows(header: str | None) -> int | None:
    """The row cap an ``X-SPARQL-MaxRows`` header declares (None when absent or not a count)."""
    if header is None or not header.strip().isdigit():
        return None
    return int(header.strip())


def bind_values(query: str, bindings: Mapping[str, BoundTerm]) -> str:
    """``query`` with ``VALUES (?a ?b) { (term term) }`` opening its outermost WHERE group.

    Terms are written by :func:`kg.results.term_to_sparql` (escaped, IRIs validated), so a
    value can never end its string or IRI and change the query.
    """
    if not bindings:
        return query
    names = list(bindings)
    for name in names:
        _variable(name)
    terms = []
    for name in names:
        term = bindings[name]
        if isinstance(term, ox.NamedNode):
            _iri(term.value, name)
        elif not isinstance(term, ox.Literal):
            raise QueryError(f"parameter {name}: only IRIs and literals can be bound")
        terms.append(term_to_sparql(term))
    block = (
        "\n  VALUES ("
        + " ".join(f"?{name}" for name in names)
        + ") { ("
        + " ".join(terms)
        + ") }\n"
    )
    position = _where_group_start(query)
    return query[:position] + block + query[position:]


def _where_group_start(query: str) -> int:
    """The offset just after the ``{`` that opens the query's outermost WHERE group."""
    tokens = list(_tokens(query))
    form = next(
        (
            text.upper()
            for kind, text, _ in tokens
            if kind == "word" and text.upper() in ("SELECT", "ASK", "CONSTRUCT", "DESCRIBE")
        ),
        "",
    )
    depth = 0
    where_seen = False
    groups_before = 0
    for kind, text, end in tokens:
        if kind == "word" and depth == 0 and text.upper() == "WHERE":
            where_seen = True
        elif kind == "open":
            if depth == 0:
                if form == "CONSTRUCT" and where_seen and groups_before == 0:
                    raise QueryError(
                        "parameters cannot be bound in the short CONSTRUCT WHERE { } form; "
                        "write CONSTRUCT { ... } WHERE { ... }"
                    )
                if form != "CONSTRUCT" or groups_before == 1:
                    return end
                groups_before += 1
            depth += 1
        elif kind == "close":
            depth -= 1
    raise QueryError("parameters cannot be bound: the query has no WHERE group")


def _variable(name: str) -> ox.Variable:
    if not _VARNAME.fullmatch(name):
        raise QueryError(f"bad parameter name {name!r}; use letters, digits and _")
    return ox.Variable(name)


def _read_answer(response: Any, deadline: float, endpoint: str, timeout: float) -> bytes:
    """The whole answer, within the overall deadline and a size limit."""
    chunks: list[bytes] = []
    size = 0
    while True:
        if time.monotonic() > deadline:
            raise EndpointError(f"{endpoint} did not answer within {timeout:g} s", transient=True)
        chunk = response.read(1 << 16)
        if not chunk:
            return b"".join(chunks)
        size += len(chunk)
        if size > _MAX_ANSWER_BYTES:
            raise EndpointError(f"{endpoint} sent more than {_MAX_ANSWER_BYTES >> 20} MiB")
        chunks.append(chunk)


_TRANSIENT_STATUS: Final = frozenset({408, 425, 429, 500, 502, 503, 504})


def _endpoint_error(exc: BaseException, endpoint: str, timeout: float) -> EndpointError:
    """An error for a request that failed, naming the endpoint and what went wrong."""
    if isinstance(exc, SPARQLWrapperException):
        # SPARQLWrapper keeps the answer only as a repr() inside its message.
        _, _, answer = str(exc).partition("\n\nResponse:\n")
        try:
            body = ast.literal_eval(answer) if answer else b""
        except (ValueError, SyntaxError):
            body = answer
        status, phrase = _HTTP_STATUS.get(type(exc), (0, "error"))
        message = f"{endpoint} answered HTTP {status} {phrase}" if status else f"{endpoint} failed"
        message += f": {_snippet(body)}" if body else ""
        return EndpointError(message, status=status or None, transient=status in _TRANSIENT_STATUS)
    if isinstance(exc, urllib.error.HTTPError):
        message = f"{endpoint} answered HTTP {exc.code} {exc.reason}"
        retry_after = exc.headers.get("Retry-After") if exc.headers else None
        if exc.code == 429:
            message += " (too many requests"
            message += f"; retry after {retry_after} s)" if retry_after else ")"
        try:
            body = exc.read()
        except Exception:
            body = b""
        message += f": {_snippet(body)}" if body else ""
        return EndpointError(
            message,
            status=exc.code,
            retry_after=_retry_after_seconds(retry_after),
            transient=exc.code in _TRANSIENT_STATUS,
        )
    reason: object = exc.reason if isinstance(exc, urllib.error.URLError) else exc
    if isinstance(reason, TimeoutError):
        return EndpointError(f"{endpoint} did not answer within {timeout:g} s", transient=True)
    if isinstance(reason, ConnectionRefusedError):
        return EndpointError(f"{endpoint} refused the connection (is the server running?)")
    if isinstance(exc, http.client.IncompleteRead):
        return EndpointError(f"{endpoint} sent a truncated answer", transient=True)
    if isinstance(exc, http.client.HTTPException):
        return EndpointError(
            f"{endpoint} broke the connection: {type(exc).__name__} {exc}".rstrip(),
            transient=True,
        )
    if isinstance(reason, ConnectionResetError):
        return EndpointError(f"{endpoint} reset the connection", transient=True)
    if isinstance(reason, OSError):
        return EndpointError(f"{endpoint} cannot be reached: {reason.strerror or reason}")
    return EndpointError(f"{endpoint} cannot be queried: {reason}")


def _retry_after_seconds(value: str | None) -> float | None:
    """``Retry-After`` as seconds from now: either delay-seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        return None
    return max(0.0, (moment - datetime.now(UTC)).total_seconds())


def _results_answer(body: bytes, content_type: str, endpoint: str, form: QueryForm) -> QueryResult:
    """Check and convert a SPARQL JSON answer."""
    what = content_type or "an answer without a content type"
    try:
        document = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        reason = exc.reason if isinstance(exc, UnicodeDecodeError) else exc.msg
        raise EndpointError(
            f"{endpoint} sent {what} that is not SPARQL JSON results ({reason}): {_snippet(body)}",
            transient=True,
        ) from None
    expected = "boolean" if form == "ASK" else "results"
    if not isinstance(document, dict) or "head" not in document or expected not in document:
        raise EndpointError(
            f"{endpoint} sent JSON that is not SPARQL results for a {form} query "
            f"(no 'head' and '{expected}'): {_snippet(body)}",
            transient=True,
        )
    if _relabel_blank_nodes(document):
        body = json.dumps(document).encode()
    try:
        result = QueryResult.from_oxigraph(
            ox.parse_query_results(body, format=ox.QueryResultsFormat.JSON)
        )
    except (SyntaxError, ValueError, OSError) as exc:
        raise EndpointError(
            f"{endpoint} sent invalid SPARQL JSON results: {exc}", transient=True
        ) from None
    if result.kind != ("ask" if form == "ASK" else "select"):
        raise EndpointError(f"{endpoint} sent results of the wrong kind for a {form} query")
    return result


def _relabel_blank_nodes(document: dict[str, Any]) -> bool:
    """Give blank nodes that the SPARQL grammar would refuse a label it accepts, in place.

    Virtuoso labels them ``nodeID://b10226``. Every character but a letter or digit becomes
    ``_`` and its six-digit code point, so distinct labels stay distinct. True if any changed.
    """
    results = document.get("results")
    bindings = results.get("bindings") if isinstance(results, dict) else None
    changed = False
    for row in bindings if isinstance(bindings, list) else ():
        for cell in row.values() if isinstance(row, dict) else ():
            if not isinstance(cell, dict) or cell.get("type") != "bnode":
                continue
            label = cell.get("value")
            if isinstance(label, str) and not _BLANK_LABEL.fullmatch(label):
                cell["value"] = "".join(
                    char if char.isascii() and char.isalnum() else f"_{ord(char):06x}"
                    for char in label
                )
                changed = True
    return changed


def _graph_answer(body: bytes, content_type: str, endpoint: str) -> QueryResult:
    """Check and convert the RDF answer of a CONSTRUCT or DESCRIBE query."""
    formats = {
        "application/n-triples": ox.RdfFormat.N_TRIPLES,
        "text/plain": ox.RdfFormat.N_TRIPLES,
        "text/turtle": ox.RdfFormat.TURTLE,
        "application/x-turtle": ox.RdfFormat.TURTLE,
    }
    rdf_format = formats.get(content_type)
    if rdf_format is None:
        raise EndpointError(
            f"{endpoint} sent {content_type or 'an answer without a content type'}, "
            f"not N-Triples or Turtle: {_snippet(body)}",
            transient=True,
        )
    try:
        triples = [
            ox.Triple(quad.subject, quad.predicate, quad.object)
            for quad in ox.parse(body, format=rdf_format, without_named_graphs=True)
        ]
    except (SyntaxError, ValueError) as exc:
        raise EndpointError(
            f"{endpoint} sent invalid {content_type}: {exc}", transient=True
        ) from None
    return QueryResult.from_triples(triples)


def _snippet(data: bytes | str, limit: int = 200) -> str:
    """The start of an answer, on one line, for error messages."""
    text = data.decode("utf-8", "replace") if isinstance(data, bytes) else data
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit] + "…"
