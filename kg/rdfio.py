"""Read RDF files safely into an rdflib graph or an in-memory Oxigraph store.

Safe means: nothing is ever fetched (rdflib fetches any JSON-LD ``@context`` URL and any
source string that looks like a URL, so files are parsed from opened binary streams and the
contexts kg knows are replaced by pinned copies), RDF/XML with a DTD is refused before an XML
parser sees it (entity expansion, "billion laughs"), and every failure is an ``InputError``
that names the file and, when the parser knows it, the line.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Sequence
from functools import cache
from pathlib import Path
from typing import IO, Any, Final

import pyoxigraph as ox
from rdflib import BNode, Dataset, Graph, URIRef

from kg.compression import is_compressed, open_input, plain_suffix, read_input
from kg.errors import InputError
from kg.namespaces import new_graph
from kg.resources import context_path
from kg.terms import oxigraph_quads, same_label, to_rdflib

__all__ = [
    "KG_CONTEXT_URLS",
    "RDF_FORMATS",
    "SCHEMA_ORG_CONTEXT_URLS",
    "load_graph",
    "load_store",
    "parse_quads",
    "rdf_format_for",
    "resolve_jsonld_contexts",
]

#: File extension (lower case) to kg's name of the RDF format.
RDF_FORMATS: Final[dict[str, str]] = {
    ".ttl": "turtle",
    ".nt": "ntriples",
    ".nq": "nquads",
    ".trig": "trig",
    ".jsonld": "json-ld",
    ".json-ld": "json-ld",
    ".rdf": "rdf/xml",
    ".owl": "rdf/xml",
    ".xml": "rdf/xml",
}

_OXIGRAPH_FORMAT: Final[dict[str, ox.RdfFormat]] = {
    "turtle": ox.RdfFormat.TURTLE,
    "ntriples": ox.RdfFormat.N_TRIPLES,
    "nquads": ox.RdfFormat.N_QUADS,
    "trig": ox.RdfFormat.TRIG,
    "rdf/xml": ox.RdfFormat.RDF_XML,
}

_DISPLAY_NAME: Final[dict[str, str]] = {
    "turtle": "Turtle",
    "ntriples": "N-Triples",
    "nquads": "N-Quads",
    "trig": "TriG",
    "json-ld": "JSON-LD",
    "rdf/xml": "RDF/XML",
}

_QUAD_FORMATS: Final = frozenset({"nquads", "trig"})

#: References to schema.org's JSON-LD context; all mean the pinned
#: ``kg/data/contexts/schema.org.jsonld`` (``"@vocab": "http://schema.org/"``).
SCHEMA_ORG_CONTEXT_URLS: Final = frozenset(
    {
        "https://schema.org",
        "https://schema.org/",
        "http://schema.org",
        "http://schema.org/",
        "https://schema.org/docs/jsonldcontext.jsonld",
        "http://schema.org/docs/jsonldcontext.jsonld",
        "https://schema.org/docs/jsonldcontext.json",
        "http://schema.org/docs/jsonldcontext.json",
    }
)

#: References to kg's own context; all mean the bundled ``kg/data/contexts/kg.jsonld``.
KG_CONTEXT_URLS: Final = frozenset(
    {
        "https://w3id.org/kg-tool/context.jsonld",
        "http://w3id.org/kg-tool/context.jsonld",
    }
)

_DTD = re.compile(rb"<!\s*(?:DOCTYPE|ENTITY)", re.IGNORECASE)
_OXIGRAPH_LOCATION = re.compile(r"^Parser error (?:at|between) [^:]*:\s*")


def rdf_format_for(path: Path) -> str:
    """The RDF format of ``path``, from its extension, so no content sniffing can surprise.

    Returns one of ``turtle``, ``ntriples``, ``nquads``, ``trig``, ``json-ld``, ``rdf/xml``.
    """
    suffix = plain_suffix(Path(path))
    try:
        return RDF_FORMATS[suffix]
    except KeyError:
        known = ", ".join(sorted(RDF_FORMATS))
        raise InputError(
            f"unknown RDF file extension {suffix or '(none)'!r}; expected one of {known}", path
        ) from None


def load_graph(paths: Sequence[Path]) -> Graph:
    """All ``paths`` parsed into one rdflib graph bound to kg's prefixes.

    Turtle, N-Triples, N-Quads, TriG and RDF/XML are parsed by Oxigraph, which rejects
    invalid IRIs (rdflib only logs a warning and writes broken exports later), reports the
    line of every error and is as fast as rdflib's own parsers; JSON-LD goes through rdflib
    once its contexts are resolved offline. Named graphs are merged into the one graph:
    kg's model is a single graph.
    """
    graph = new_graph()
    for raw_path in paths:
        path = Path(raw_path)
        fmt = rdf_format_for(path)
        data = read_input(path)
        if fmt == "json-ld":
            try:
                _parse_jsonld(graph, data, path)
            except InputError:
                raise
            except Exception as exc:  # rdflib's JSON-LD code raises anything from KeyError up
                reason = str(exc).strip() or type(exc).__name__
                raise InputError(f"not valid JSON-LD: {reason}", path) from None
            continue
        if fmt == "rdf/xml":
            _refuse_dtd(data, path)
        try:
            _add_to_graph(graph, _parse_with_oxigraph(data, fmt, path))
        except SyntaxError as exc:
            raise _syntax_error(exc, path, fmt) from None
        except (OSError, ValueError) as exc:
            raise InputError(f"cannot load as {_DISPLAY_NAME[fmt]}: {exc}", path) from None
    return graph


def load_store(paths: Sequence[Path]) -> ox.Store:
    """All ``paths`` loaded into one in-memory Oxigraph store (its default graph).

    Line-based and XML formats go straight through Oxigraph's parsers (about ten times faster
    than rdflib); JSON-LD goes through :func:`load_graph` so contexts are resolved offline.
    Named graphs are merged into the default graph, as in :func:`load_graph`.
    """
    store = ox.Store()
    for raw_path in paths:
        path = Path(raw_path)
        fmt = rdf_format_for(path)
        if fmt == "json-ld":
            _graph_into_store(load_graph([path]), store, path)
            continue
        if fmt == "rdf/xml":
            _refuse_dtd(read_input(path), path)
        try:
            with open_input(path) as stream:
                if fmt in _QUAD_FORMATS:
                    store.extend(
                        ox.Quad(quad.subject, quad.predicate, quad.object)
                        for quad in _parse_with_oxigraph(stream, fmt, path)
                    )
                elif is_compressed(path):
                    store.load(stream, format=_OXIGRAPH_FORMAT[fmt], base_iri=_base(path))
                else:  # by its path Oxigraph reads a file a little faster than through a stream
                    store.load(path=path, format=_OXIGRAPH_FORMAT[fmt], base_iri=_base(path))
        except InputError:
            raise
        except SyntaxError as exc:
            raise _syntax_error(exc, path, fmt) from None
        except (OSError, ValueError) as exc:
            raise InputError(f"cannot load as {_DISPLAY_NAME[fmt]}: {exc}", path) from None
    return store


def parse_quads(paths: Sequence[Path]) -> Iterator[ox.Quad]:
    """The triples of all ``paths`` as Oxigraph default-graph quads, each term as the file
    wrote it (Oxigraph's store would keep only a typed literal's canonical form): what
    :func:`load_graph` reads, without building rdflib's graph (two thirds of the time of
    ``kg validate`` on a 10k-paper graph). Blank nodes never share a label across files;
    errors are raised as :func:`load_graph` raises them, when the iteration reaches them."""
    for raw_path in paths:
        path = Path(raw_path)
        fmt = rdf_format_for(path)
        if fmt == "json-ld":
            yield from oxigraph_quads(load_graph([path]))
            continue
        data = read_input(path)
        if fmt == "rdf/xml":
            _refuse_dtd(data, path)
        try:
            for quad in _parse_with_oxigraph(data, fmt, path):
                yield ox.Quad(quad.subject, quad.predicate, quad.object)
        except SyntaxError as exc:
            raise _syntax_error(exc, path, fmt) from None


def resolve_jsonld_contexts(document: Any, path: Path | str | None = None) -> Any:
    """``document`` with every ``@context`` reference replaced by kg's pinned copy.

    Walks the whole document, including arrays of contexts, ``@import`` and scoped contexts
    in term definitions. References kg does not know raise ``InputError``: kg never fetches.
    The document is modified in place and returned.
    """
    pending: list[Any] = [document]
    while pending:
        node = pending.pop()
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "@context":
                    node[key] = _resolve_context(value, path)
                else:
                    pending.append(value)
        elif isinstance(node, list):
            pending.extend(node)
    return document


def _resolve_context(value: Any, path: Path | str | None) -> Any:
    """One ``@context`` value with its references replaced (see resolve_jsonld_contexts)."""
    if value is None:
        return None
    if isinstance(value, str):
        return _pinned_context(value, path)
    if isinstance(value, list):
        return [_resolve_context(item, path) for item in value]
    if isinstance(value, dict):
        resolved: dict[str, Any] = {}
        if "@import" in value:
            imported = value["@import"]
            if not isinstance(imported, str):
                raise InputError("JSON-LD @import must be a string", path)
            resolved.update(_pinned_context(imported, path))
        for term, definition in value.items():
            if term == "@import":
                continue
            if isinstance(definition, dict) and "@context" in definition:
                definition = {
                    **definition,
                    "@context": _resolve_context(definition["@context"], path),
                }
            resolved[term] = definition
        return resolved
    raise InputError(f"invalid JSON-LD @context value {value!r}", path)


def _pinned_context(reference: str, path: Path | str | None) -> dict[str, Any]:
    """The ``@context`` object of the pinned copy that ``reference`` names."""
    if reference in SCHEMA_ORG_CONTEXT_URLS:
        return _load_context("schema.org.jsonld")
    if reference in KG_CONTEXT_URLS:
        return _load_context("kg.jsonld")
    if re.match(r"^[A-Za-z][A-Za-z0-9+.-]*:", reference):
        raise InputError(
            f"remote JSON-LD context {reference} is not allowed: kg never fetches", path
        )
    raise InputError(
        f"JSON-LD context reference {reference!r} is not allowed: kg never reads or fetches "
        "referenced contexts",
        path,
    )


def _load_context(name: str) -> dict[str, Any]:
    """A fresh copy of a bundled context's ``@context`` object (callers may mutate it)."""
    context: dict[str, Any] = json.loads(_context_text(name))["@context"]
    return context


@cache
def _context_text(name: str) -> str:
    return context_path(name).read_text(encoding="utf-8")


def _parse_jsonld(graph: Graph, data: bytes, path: Path) -> None:
    """Parse JSON-LD ourselves, resolve its contexts offline, then let rdflib expand it."""
    try:
        document = json.loads(data)
    except UnicodeDecodeError as exc:
        raise InputError(f"not valid JSON-LD: not UTF-8 text ({exc.reason})", path) from None
    except json.JSONDecodeError as exc:
        raise InputError(f"not valid JSON: {exc.msg}", path, exc.lineno) from None
    except RecursionError:
        raise InputError("not valid JSON-LD: nested too deeply", path) from None
    if not isinstance(document, dict | list):
        raise InputError("not valid JSON-LD: the document must be an object or an array", path)
    resolve_jsonld_contexts(document, path)
    # A scratch dataset: rdflib binds every prefix of the (large) schema.org context, and
    # some of them (schema1 -> https://schema.org/) must not reach kg's graph; named graphs
    # ("@id" with "@graph") are merged like N-Quads and TriG.
    scratch = Dataset()
    scratch.parse(data=json.dumps(document), format="json-ld", publicID=_base(path))
    # rdflib keeps JSON-LD blank node labels ("_:b0"): give each file its own blank nodes.
    # rdflib does not check IRIs either: check them as the other formats do.
    fresh: dict[BNode, BNode] = {}
    checked: set[str] = set()
    for *triple, _graph_name in scratch.quads():
        for term in triple:
            if isinstance(term, URIRef) and term not in checked:
                try:
                    ox.NamedNode(str(term))
                except ValueError as exc:
                    raise InputError(
                        f"JSON-LD gives an invalid IRI <{term}>: {exc}", path
                    ) from None
                checked.add(term)
        graph.add(
            tuple(  # type: ignore[arg-type]
                fresh.setdefault(term, BNode()) if isinstance(term, BNode) else term
                for term in triple
            )
        )


def _refuse_dtd(data: bytes, path: Path) -> None:
    """Refuse XML with a DOCTYPE or ENTITY declaration before any XML parser reads it.

    NUL bytes are dropped first so UTF-16 and UTF-32 documents are caught as well.
    """
    if _DTD.search(data.replace(b"\x00", b"")):
        raise InputError(
            "RDF/XML with a DOCTYPE or ENTITY declaration is refused "
            "(entity expansion can exhaust memory)",
            path,
        )


def _graph_into_store(graph: Graph, store: ox.Store, path: Path) -> None:
    """Copy an rdflib graph into an Oxigraph store; its blank nodes get fresh labels."""
    try:
        store.extend(oxigraph_quads(graph))
    except (ValueError, TypeError) as exc:
        raise InputError(f"JSON-LD expands to invalid RDF: {exc}", path) from None


def _parse_with_oxigraph(source: bytes | IO[bytes], fmt: str, path: Path) -> ox.QuadParser:
    """Quads of a non-JSON-LD file; blank nodes renamed so files never share one by label."""
    return ox.parse(
        source, format=_OXIGRAPH_FORMAT[fmt], base_iri=_base(path), rename_blank_nodes=True
    )


def _add_to_graph(graph: Graph, quads: Iterable[ox.Quad]) -> None:
    """Add Oxigraph quads to an rdflib graph as triples (graph names are dropped); blank
    nodes keep the labels the parser gave them, unique to their file."""
    graph.addN(
        (
            to_rdflib(quad.subject, same_label),
            to_rdflib(quad.predicate, same_label),
            to_rdflib(quad.object, same_label),
            graph,
        )
        for quad in quads
    )


def _syntax_error(exc: SyntaxError, path: Path, fmt: str) -> InputError:
    """Oxigraph's syntax error as an InputError with the file and line."""
    return InputError(f"not valid {_DISPLAY_NAME[fmt]}: {_oxigraph_message(exc)}", path, exc.lineno)


def _oxigraph_message(exc: SyntaxError) -> str:
    """Oxigraph's message without its location prefix (InputError adds file:line)."""
    return _OXIGRAPH_LOCATION.sub("", exc.msg or str(exc))


def _base(path: Path) -> str:
    """The base IRI for relative IRIs in ``path``: its ``file:`` URI, as rdflib would use."""
    return path.resolve().as_uri()
