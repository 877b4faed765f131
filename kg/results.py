"""SPARQL query results in one shape, and their text formats.

Local (Oxigraph) and remote (SPARQL JSON) results are turned into the same
:class:`QueryResult`, so every output format is written by one piece of code. ``json``,
``xml``, ``csv`` and ``tsv`` are the W3C SPARQL 1.1 results formats; ``table`` is for
people: aligned columns, IRIs shortened with kg's prefixes, never wrapped or cut. Output is
deterministic: rows keep the query's order, blank nodes are relabelled in order of
appearance, and graph results are canonicalised and sorted.
"""

from __future__ import annotations

import csv
import io
import json
import re
import unicodedata
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, Literal, TypeAlias

import orjson
import pyoxigraph as ox

from kg.errors import ConfigError
from kg.namespaces import prefixes
from kg.ntriples import lf_lines

__all__ = [
    "GRAPH_FORMATS",
    "RESULT_FORMATS",
    "BlankNodeLabels",
    "QueryResult",
    "SolutionWriter",
    "Term",
    "format_result",
    "term_to_sparql",
]

Term: TypeAlias = ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple
ResultKind: TypeAlias = Literal["select", "ask", "graph"]

#: Formats for SELECT and ASK results.
RESULT_FORMATS: Final = ("table", "csv", "tsv", "json", "xml")
#: Formats for CONSTRUCT and DESCRIBE results (``table`` is Turtle with kg's prefixes).
GRAPH_FORMATS: Final = ("table", "turtle", "ntriples")

_XSD = "http://www.w3.org/2001/XMLSchema#"
_XSD_STRING = _XSD + "string"
_RDF_LANG_STRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"
_NUMERIC: Final = frozenset(
    _XSD + name
    for name in (
        "integer",
        "decimal",
        "double",
        "float",
        "long",
        "int",
        "short",
        "byte",
        "nonNegativeInteger",
        "positiveInteger",
        "nonPositiveInteger",
        "negativeInteger",
        "unsignedLong",
        "unsignedInt",
        "unsignedShort",
        "unsignedByte",
    )
)
_SPARQL_RESULTS_NS = "http://www.w3.org/2005/sparql-results#"
# Lexical forms that Turtle/SPARQL may write without quotes (W3C TSV allows it).
_BARE_LITERAL: Final = {
    _XSD + "integer": re.compile(r"[+-]?[0-9]+"),
    _XSD + "decimal": re.compile(r"[+-]?[0-9]*\.[0-9]+"),
    _XSD + "double": re.compile(r"[+-]?(?:[0-9]+\.[0-9]*|\.[0-9]+|[0-9]+)[eE][+-]?[0-9]+"),
    _XSD + "boolean": re.compile(r"true|false"),
}
_LOCAL_NAME = re.compile(r"(?:[A-Za-z0-9_](?:[A-Za-z0-9_.-]*[A-Za-z0-9_-])?)?")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


@dataclass(frozen=True)
class QueryResult:
    """The result of one query: solutions (SELECT), a boolean (ASK) or triples (graph).

    ``rows`` hold one term or ``None`` (unbound) per variable, in ``variables`` order.
    """

    kind: ResultKind
    variables: tuple[str, ...] = ()
    rows: tuple[tuple[Term | None, ...], ...] = ()
    boolean: bool | None = None
    triples: tuple[ox.Triple, ...] = ()

    @classmethod
    def from_oxigraph(
        cls, result: ox.QuerySolutions | ox.QueryBoolean | ox.QueryTriples
    ) -> QueryResult:
        """Materialise a pyoxigraph result (local query or parsed SPARQL JSON)."""
        if isinstance(result, ox.QueryBoolean):
            return cls(kind="ask", boolean=bool(result))
        if isinstance(result, ox.QuerySolutions):
            variables = tuple(variable.value for variable in result.variables)
            rows = tuple(tuple(solution[name] for name in variables) for solution in result)
            return cls(kind="select", variables=variables, rows=rows)
        return cls(kind="graph", triples=tuple(result))

    @classmethod
    def from_triples(cls, triples: Iterable[ox.Triple]) -> QueryResult:
        """A graph result (CONSTRUCT or DESCRIBE)."""
        return cls(kind="graph", triples=tuple(triples))


def format_result(
    result: QueryResult, fmt: str, extra_prefixes: Mapping[str, str] | None = None
) -> str:
    """``result`` written as ``fmt``: table, csv, tsv, json or xml (turtle, ntriples for graphs).

    ``extra_prefixes`` (e.g. ``person:`` under the build's base IRI) shorten IRIs in tables,
    on top of kg's own prefixes. Raises ConfigError for an unknown format or one that does
    not fit the result.
    """
    if result.kind == "graph":
        if fmt not in GRAPH_FORMATS:
            raise ConfigError(
                f"a CONSTRUCT or DESCRIBE result can be written as {', '.join(GRAPH_FORMATS)}, "
                f"not {fmt!r}"
            )
        return _graph_text(result.triples, turtle=fmt != "ntriples")
    if fmt not in RESULT_FORMATS:
        raise ConfigError(
            f"unknown result format {fmt!r}; choose one of {', '.join(RESULT_FORMATS)}"
        )
    if fmt == "table":
        return _table(_relabel_blank_nodes(result), {**prefixes(), **(extra_prefixes or {})})
    if result.kind == "ask":
        return _ASK_WRITERS[fmt](bool(result.boolean))
    writer = SolutionWriter(fmt, result.variables)
    rows = [writer.row(row, first=index == 0) for index, row in enumerate(result.rows)]
    return writer.head() + "".join(rows) + writer.tail(empty=not rows)


class SolutionWriter:
    """A SELECT result in a W3C format (csv, tsv, json, xml), written piece by piece: the
    :meth:`head`, one :meth:`row` per solution, the :meth:`tail`. Their concatenation is
    what :func:`format_result` gives, so ``kg serve`` can stream a result of any size, stop
    at a cap, and still send the same document. Blank nodes are relabelled ``b0``, ``b1``,
    ... in order of appearance."""

    def __init__(self, fmt: str, variables: Sequence[str]) -> None:
        if fmt not in _ROW_WRITERS:
            raise ConfigError(f"unknown result format {fmt!r}; choose one of csv, tsv, json, xml")
        self._fmt = fmt
        self._variables = tuple(variables)
        self._labels = BlankNodeLabels()

    def head(self) -> str:
        return _HEAD_WRITERS[self._fmt](self._variables)

    def row(self, row: Sequence[Term | None], *, first: bool) -> str:
        """One solution (its terms in the order of the variables); ``first`` for the first
        one written, which opens the list of results."""
        text = _ROW_WRITERS[self._fmt](self._variables, [self._labels(term) for term in row])
        if self._fmt == "json":
            return ("\n" if first else ",\n") + text
        if self._fmt == "xml" and first:
            return "  <results>\n" + text
        return text

    def tail(self, *, empty: bool) -> str:
        """The end of the document; ``empty`` when no row was written."""
        if self._fmt == "json":
            return ("]" if empty else "\n    ]") + "\n  }\n}\n"
        if self._fmt == "xml":
            return ("  <results />\n" if empty else "  </results>\n") + "</sparql>\n"
        return ""


def term_to_sparql(term: Term) -> str:
    """``term`` in SPARQL/Turtle syntax, escaped per the SPARQL grammar.

    Backslash first, then quote, LF and CR: the result can never end the string early.
    """
    if isinstance(term, ox.NamedNode):
        return f"<{term.value}>"
    if isinstance(term, ox.BlankNode):
        return f"_:{term.value}"
    if isinstance(term, ox.Triple):
        return (
            f"<<( {term_to_sparql(term.subject)} {term_to_sparql(term.predicate)} "
            f"{term_to_sparql(term.object)} )>>"
        )
    text = (
        term.value.replace("\\", "\\\\")
        .replace('"', '\\"')
        .replace("\n", "\\n")
        .replace("\r", "\\r")
    )
    if term.language:
        return f'"{text}"@{term.language}'
    datatype = term.datatype.value
    if datatype == _XSD_STRING:
        return f'"{text}"'
    return f'"{text}"^^<{datatype}>'


# --- table ---------------------------------------------------------------------------------


def _table(result: QueryResult, curies: Mapping[str, str]) -> str:
    if result.kind == "ask":
        return "true\n" if result.boolean else "false\n"
    header = list(result.variables)
    body = [[_cell(term, curies) for term in row] for row in result.rows]
    numeric = [[_is_numeric(term) for term in row] for row in result.rows]
    widths = [_width(name) for name in header]
    for cells in body:
        widths = [max(width, _width(cell)) for width, cell in zip(widths, cells, strict=True)]
    lines = [
        _line(header, widths, [False] * len(header)),
        "  ".join("-" * width for width in widths),
    ]
    lines.extend(_line(cells, widths, flags) for cells, flags in zip(body, numeric, strict=True))
    count = len(result.rows)
    lines.append(f"({count} row{'' if count == 1 else 's'})")
    return "\n".join(lines) + "\n"


def _line(cells: Sequence[str], widths: Sequence[int], right: Sequence[bool]) -> str:
    padded = []
    for cell, width, flush_right in zip(cells, widths, right, strict=True):
        padding = " " * (width - _width(cell))
        padded.append(padding + cell if flush_right else cell + padding)
    return "  ".join(padded).rstrip()


def _cell(term: Term | None, curies: Mapping[str, str]) -> str:
    """A term as people read it: CURIEs, bare strings and numbers, no control characters."""
    if term is None:
        return ""
    if isinstance(term, ox.NamedNode):
        text = _curie(term.value, curies)
    elif isinstance(term, ox.Literal):
        datatype = term.datatype.value
        if term.language:
            text = f'"{term.value}"@{term.language}'
        elif datatype == _XSD_STRING or datatype in _NUMERIC or datatype == _XSD + "boolean":
            text = term.value
        else:
            text = f'"{term.value}"^^{_curie(datatype, curies)}'
    elif isinstance(term, ox.BlankNode):
        text = f"_:{term.value}"
    else:
        parts = (term.subject, term.predicate, term.object)
        text = "<< " + " ".join(_cell(part, curies) for part in parts) + " >>"
    return _CONTROL.sub(_visible, text)


def _visible(match: re.Match[str]) -> str:
    char = match.group()
    return {"\n": "\\n", "\r": "\\r", "\t": "\\t"}.get(char, f"\\x{ord(char):02x}")


def _curie(iri: str, curies: Mapping[str, str]) -> str:
    best = ""
    best_namespace = ""
    for name, namespace in curies.items():
        if iri.startswith(namespace) and len(namespace) > len(best_namespace):
            local = iri[len(namespace) :]
            if _LOCAL_NAME.fullmatch(local):
                best, best_namespace = f"{name}:{local}", namespace
    return best or f"<{iri}>"


def _is_numeric(term: Term | None) -> bool:
    return isinstance(term, ox.Literal) and term.datatype.value in _NUMERIC


def _width(text: str) -> int:
    """Display width: wide East Asian characters take two columns, combining marks none."""
    width = 0
    for char in text:
        if unicodedata.combining(char):
            continue
        width += 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1
    return width


# --- W3C formats ---------------------------------------------------------------------------


def _csv_ask(boolean: bool) -> str:
    return f"_askResult\r\n{'true' if boolean else 'false'}\r\n"


def _csv_head(variables: Sequence[str]) -> str:
    """SPARQL 1.1 Query Results CSV: lexical forms only, CRLF line ends."""
    return _csv_line(variables)


def _csv_row(variables: Sequence[str], row: Sequence[Term | None]) -> str:
    return _csv_line([_csv_value(term) for term in row])


def _csv_line(values: Sequence[str]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerow(values)
    return buffer.getvalue()


def _csv_value(term: Term | None) -> str:
    if term is None:
        return ""
    if isinstance(term, ox.NamedNode | ox.Literal):
        return term.value
    if isinstance(term, ox.BlankNode):
        return f"_:{term.value}"
    return term_to_sparql(term)


def _tsv_ask(boolean: bool) -> str:
    return "?_askResult\n" + ("true" if boolean else "false") + "\n"


def _tsv_head(variables: Sequence[str]) -> str:
    """SPARQL 1.1 Query Results TSV: terms in SPARQL syntax, tabs and newlines escaped."""
    return "\t".join(f"?{name}" for name in variables) + "\n"


def _tsv_row(variables: Sequence[str], row: Sequence[Term | None]) -> str:
    return "\t".join(_tsv_value(term) for term in row) + "\n"


def _tsv_value(term: Term | None) -> str:
    if term is None:
        return ""
    if isinstance(term, ox.Literal) and not term.language:
        pattern = _BARE_LITERAL.get(term.datatype.value)
        if pattern is not None and pattern.fullmatch(term.value):
            return term.value
    return term_to_sparql(term).replace("\t", "\\t")


def _json_ask(boolean: bool) -> str:
    return _json_text({"head": {}, "boolean": boolean}) + "\n"


def _json_head(variables: Sequence[str]) -> str:
    """SPARQL 1.1 Query Results JSON, laid out as ``json.dumps(indent=2)`` lays out the
    whole document: each row is a binding object at the depth of ``bindings``' items."""
    head = _json_text({"head": {"vars": list(variables)}}).removesuffix("\n}")
    return head + ',\n  "results": {\n    "bindings": ['


def _json_row(variables: Sequence[str], row: Sequence[Term | None]) -> str:
    binding = {
        name: _json_term(term)
        for name, term in zip(variables, row, strict=True)
        if term is not None
    }
    # orjson lays out and escapes exactly as json.dumps(ensure_ascii=False, indent=2), ten
    # times faster (the standard library's indenting encoder is pure Python). Only line
    # breaks of the layout are raw "\n": those inside strings are escaped (and
    # str.splitlines would also break at U+2028 inside a value).
    text = orjson.dumps(binding, option=orjson.OPT_INDENT_2).decode("utf-8")
    return _ROW_INDENT + text.replace("\n", "\n" + _ROW_INDENT)


_ROW_INDENT = " " * 6


def _json_text(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, indent=2)


def _json_term(term: Term) -> dict[str, Any]:
    if isinstance(term, ox.NamedNode):
        return {"type": "uri", "value": term.value}
    if isinstance(term, ox.BlankNode):
        return {"type": "bnode", "value": term.value}
    if isinstance(term, ox.Triple):
        return {
            "type": "triple",
            "value": {
                "subject": _json_term(term.subject),
                "predicate": _json_term(term.predicate),
                "object": _json_term(term.object),
            },
        }
    encoded: dict[str, Any] = {"type": "literal", "value": term.value}
    if term.language:
        encoded["xml:lang"] = term.language
    elif term.datatype.value != _XSD_STRING:
        encoded["datatype"] = term.datatype.value
    return encoded


_XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n'


def _xml_ask(boolean: bool) -> str:
    root = ET.Element("sparql", xmlns=_SPARQL_RESULTS_NS)
    ET.SubElement(root, "head")
    ET.SubElement(root, "boolean").text = "true" if boolean else "false"
    ET.indent(root)
    return _XML_DECLARATION + ET.tostring(root, "unicode") + "\n"


def _xml_head(variables: Sequence[str]) -> str:
    """SPARQL Query Results XML Format, indented as ``ET.indent`` indents the whole
    document: the text up to ``<results>``."""
    root = ET.Element("sparql", xmlns=_SPARQL_RESULTS_NS)
    head = ET.SubElement(root, "head")
    for name in variables:
        ET.SubElement(head, "variable", name=name)
    ET.indent(root)
    return _XML_DECLARATION + ET.tostring(root, "unicode").removesuffix("</sparql>")


def _xml_row(variables: Sequence[str], row: Sequence[Term | None]) -> str:
    element = ET.Element("result")
    for name, term in zip(variables, row, strict=True):
        if term is not None:
            _xml_term(ET.SubElement(element, "binding", name=name), term)
    ET.indent(element, level=2)
    return "    " + ET.tostring(element, "unicode") + "\n"


def _xml_term(parent: ET.Element, term: Term) -> None:
    if isinstance(term, ox.NamedNode):
        ET.SubElement(parent, "uri").text = term.value
    elif isinstance(term, ox.BlankNode):
        ET.SubElement(parent, "bnode").text = term.value
    elif isinstance(term, ox.Triple):
        triple = ET.SubElement(parent, "triple")
        for role in ("subject", "predicate", "object"):
            _xml_term(ET.SubElement(triple, role), getattr(term, role))
    else:
        literal = ET.SubElement(parent, "literal")
        if term.language:
            literal.set("xml:lang", term.language)
        elif term.datatype.value != _XSD_STRING:
            literal.set("datatype", term.datatype.value)
        literal.text = term.value


# --- graphs and determinism ----------------------------------------------------------------


def _graph_text(triples: Sequence[ox.Triple], *, turtle: bool) -> str:
    """Triples as sorted N-Triples or Turtle, with canonical blank node labels."""
    dataset = ox.Dataset(ox.Quad(t.subject, t.predicate, t.object) for t in triples)
    dataset.canonicalize(ox.CanonicalizationAlgorithm.RDFC_1_0)
    ordered = sorted(
        (ox.Triple(quad.subject, quad.predicate, quad.object) for quad in dataset), key=str
    )
    if not turtle:
        return "".join(f"{triple} .\n" for triple in ordered)
    iris = {
        term.value
        for triple in ordered
        for term in (triple.subject, triple.predicate, triple.object)
        if isinstance(term, ox.NamedNode)
    }
    iris |= {
        triple.object.datatype.value for triple in ordered if isinstance(triple.object, ox.Literal)
    }
    used = {
        name: namespace
        for name, namespace in prefixes().items()
        if any(iri.startswith(namespace) for iri in iris)
    }
    output = ox.serialize(ordered, format=ox.RdfFormat.TURTLE, prefixes=used)
    body = [f"{line}\n" for line in lf_lines((output or b"").decode("utf-8"))]
    # Oxigraph orders @prefix lines its own way: write them sorted, as everywhere in kg.
    body = [line for line in body if not line.startswith("@prefix ")]
    head = [f"@prefix {name}: <{namespace}> .\n" for name, namespace in sorted(used.items())]
    return "".join(head + body)


def _relabel_blank_nodes(result: QueryResult) -> QueryResult:
    """Blank nodes renamed b0, b1, ... in order of appearance, so output is reproducible."""
    labels = BlankNodeLabels()
    rows = tuple(tuple(labels(term) for term in row) for row in result.rows)
    if not labels.seen:
        return result
    return QueryResult(kind=result.kind, variables=result.variables, rows=rows)


class BlankNodeLabels:
    """Renames blank nodes b0, b1, ... in order of appearance (inside triple terms too)."""

    def __init__(self) -> None:
        self._labels: dict[str, ox.BlankNode] = {}

    @property
    def seen(self) -> bool:
        return bool(self._labels)

    def __call__(self, term: Any) -> Any:
        if isinstance(term, ox.BlankNode):
            if term.value not in self._labels:
                self._labels[term.value] = ox.BlankNode(f"b{len(self._labels)}")
            return self._labels[term.value]
        if isinstance(term, ox.Triple):
            return ox.Triple(self(term.subject), self(term.predicate), self(term.object))
        return term


_ASK_WRITERS: Final[Mapping[str, Callable[[bool], str]]] = {
    "csv": _csv_ask,
    "tsv": _tsv_ask,
    "json": _json_ask,
    "xml": _xml_ask,
}
_HEAD_WRITERS: Final[Mapping[str, Callable[[Sequence[str]], str]]] = {
    "csv": _csv_head,
    "tsv": _tsv_head,
    "json": _json_head,
    "xml": _xml_head,
}
_ROW_WRITERS: Final[Mapping[str, Callable[[Sequence[str], Sequence[Term | None]], str]]] = {
    "csv": _csv_row,
    "tsv": _tsv_row,
    "json": _json_row,
    "xml": _xml_row,
}
