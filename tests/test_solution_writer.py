"""kg.results.SolutionWriter: a SELECT result written piece by piece (as kg serve streams
it) is the W3C document kg query writes, laid out as the standard library lays out the
whole document, and reads back to the same solutions, for any terms (hostile text too)."""

from __future__ import annotations

import csv
import io
import json
import xml.etree.ElementTree as ET

import pyoxigraph as ox
from hypothesis import given, settings
from hypothesis import strategies as st

from kg.results import QueryResult, SolutionWriter, format_result

XSD = "http://www.w3.org/2001/XMLSchema#"
# Any text a literal can hold in XML 1.0 (what the XML format can carry): line and
# paragraph separators, bidi controls, zero-width characters, quotes, markup.
TEXT = st.text(
    st.characters(
        blacklist_categories=("Cs",),
        blacklist_characters="".join(chr(c) for c in range(32) if chr(c) not in "\t\n\r")
        + "\ufffe\uffff",
    )
    | st.sampled_from(["\u2028", "\u2029", "\u202e", "\u200b", "\ufeff", '"', "<", "&", "]"]),
    max_size=12,
)
TERMS = st.one_of(
    st.none(),
    st.builds(
        ox.NamedNode, st.sampled_from(["https://example.org/a", "urn:x:b%20c", "http://e/#d"])
    ),
    st.builds(ox.BlankNode, st.sampled_from(["x", "y", "z1"])),
    st.builds(ox.Literal, TEXT),
    st.builds(lambda text: ox.Literal(text, language="en"), TEXT),
    st.builds(lambda n: ox.Literal(str(n), datatype=ox.NamedNode(XSD + "integer")), st.integers()),
)


@st.composite
def results(draw: st.DrawFn) -> QueryResult:
    width = draw(st.integers(0, 3))
    rows = draw(st.lists(st.tuples(*[TERMS] * width), max_size=4))
    return QueryResult(
        kind="select", variables=tuple(f"v{i}" for i in range(width)), rows=tuple(rows)
    )


def streamed(result: QueryResult, fmt: str) -> str:
    writer = SolutionWriter(fmt, result.variables)
    rows = [writer.row(row, first=index == 0) for index, row in enumerate(result.rows)]
    return writer.head() + "".join(rows) + writer.tail(empty=not rows)


@settings(max_examples=300, deadline=None)
@given(results())
def test_pieces_make_the_document_kg_query_writes_laid_out_as_the_standard_library_does(
    result: QueryResult,
) -> None:
    for fmt in ("json", "xml", "csv", "tsv"):
        assert streamed(result, fmt) == format_result(result, fmt)
    text = format_result(result, "json")
    assert text == json.dumps(json.loads(text), ensure_ascii=False, indent=2) + "\n"
    if any(isinstance(t, ox.Literal) and "\r" in t.value for row in result.rows for t in row):
        return  # XML parsers read a raw CR as LF: ElementTree's output is not read back as is
    tree = ET.fromstring(format_result(result, "xml"))
    ET.indent(tree)
    head = '<?xml version="1.0" encoding="UTF-8"?>\n'
    assert (
        format_result(result, "xml")
        == head
        + ET.tostring(tree, "unicode").replace("ns0:", "").replace("xmlns:ns0", "xmlns")
        + "\n"
    )


@settings(max_examples=300, deadline=None)
@given(results())
def test_the_documents_read_back_to_the_solutions(result: QueryResult) -> None:
    labels: dict[str, str] = {}

    def expected(term: ox.NamedNode | ox.BlankNode | ox.Literal | None) -> object:
        if isinstance(term, ox.BlankNode):  # relabelled b0, b1, ... in order of appearance
            return ox.BlankNode(labels.setdefault(term.value, f"b{len(labels)}"))
        return term

    rows = [tuple(expected(term) for term in row) for row in result.rows]
    for fmt in ("json", "tsv"):  # XML: read back above, by the layout check
        parsed = ox.parse_query_results(format_result(result, fmt).encode(), format=_FORMATS[fmt])
        assert isinstance(parsed, ox.QuerySolutions)
        assert [v.value for v in parsed.variables] == list(result.variables)
        assert [tuple(s[v] for v in result.variables) for s in parsed] == rows, fmt
    table = list(csv.reader(io.StringIO(format_result(result, "csv"), newline="")))
    assert table[0] == list(result.variables) and len(table) == len(rows) + 1


_FORMATS = {"json": ox.QueryResultsFormat.JSON, "tsv": ox.QueryResultsFormat.TSV}
