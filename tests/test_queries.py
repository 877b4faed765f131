"""kg.queries and kg.results: canned queries, safe parameters, local and remote runs, formats."""

from __future__ import annotations

import csv
import gc
import io
import json
import subprocess
import sys
import threading
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pyoxigraph as ox
import pytest

from kg.errors import ConfigError, EndpointError, QueryError
from kg.queries import (
    USER_AGENT,
    CannedQuery,
    QueryParam,
    bind_values,
    check_read_only,
    declare_prefixes,
    list_canned_queries,
    parse_params,
    predeclared_prefixes,
    query_from_text,
    resolve_query,
    run_local,
    run_remote,
    undeclared_prefixes,
    unknown_names,
)
from kg.rdfio import load_store
from kg.results import QueryResult, format_result

BASE = "https://example.org/kg/"
XSD_INTEGER = ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer")
FLY = "paper/fly-swat-or-cannon-cost-effective-language-model-choice-via-meta-modeling"
FLY_TITLE = "Fly-Swat or Cannon? Cost-Effective Language Model Choice via Meta-Modeling"
EXPLOIT = "paper/exploiting-asymmetry-for-synthetic-training-data-generation"
EXPLOIT_TITLE = "Exploiting Asymmetry for Synthetic Training Data Generation"
MARIJA, MAXIME, ROBERT = "person/marija-sakota", "person/maxime-peyrard", "person/robert-west"

CANNED = [
    "authors-as-printed",
    "coauthors",
    "collaboration-pairs",
    "first-author-papers",
    "last-author-papers",
    "last-authors",
    "likely-duplicates",
    "owner-coauthors",
    "papers-per-author",
    "papers-per-list",
    "papers-per-year",
    "papers-without-abstract",
    "person-papers",
    "same-title-different-authors",
    "spellings",
    "venues",
]

PREFIXES = "PREFIX schema: <http://schema.org/>\n"


@pytest.fixture(scope="module")
def store(example_graph_path: Path) -> ox.Store:
    return load_store([example_graph_path])


def plain(term: Any) -> Any:
    """A term as a plain Python value: IRIs under the base lose it, integers become int."""
    if term is None:
        return None
    if isinstance(term, ox.NamedNode):
        return term.value.removeprefix(BASE)
    if isinstance(term, ox.Literal) and term.datatype == XSD_INTEGER:
        return int(term.value)
    return term.value


def rows(result: QueryResult) -> list[tuple[Any, ...]]:
    return [tuple(plain(term) for term in row) for row in result.rows]


def run_canned(name: str, store: ox.Store, *params: str) -> QueryResult:
    query = resolve_query(name)
    return run_local(query.text, store, parse_params(params, query.declared_params))


def extra_store(example_graph_path: Path, turtle: str) -> ox.Store:
    store = load_store([example_graph_path])
    store.load(
        (
            "@prefix schema: <http://schema.org/> .\n"
            "@prefix bibo: <http://purl.org/ontology/bibo/> .\n"
            f"@prefix kgp: <{BASE}person/> .\n{turtle}"
        ),
        format=ox.RdfFormat.TURTLE,
    )
    return store


# --- the canned queries --------------------------------------------------------------------


def test_canned_queries_are_listed_with_headers() -> None:
    queries = list_canned_queries()
    assert [query.name for query in queries] == CANNED
    for query in queries:
        assert query.has_header
        assert query.description
        assert not query.description.startswith("#")
        assert query.path is not None
        assert query.path.suffix == ".rq"
        assert "ORDER BY" in query.text
        assert check_read_only(query.text) == "SELECT"
    coauthors = resolve_query("coauthors")
    assert coauthors.params == (
        QueryParam(
            "name",
            "string",
            'the person\'s name as "Given Family", e.g. Maxime Peyrard',
            names="http://schema.org/Person",
        ),
    )
    assert "alternateName" in coauthors.details
    assert resolve_query("papers-per-author").params == ()


EXPECTED: dict[str, tuple[tuple[str, ...], list[tuple[Any, ...]]]] = {
    "authors-as-printed": (
        ("title", "position", "printedName", "person", "paper"),
        [
            (EXPLOIT_TITLE, 1, "Sakota, Marija", MARIJA, EXPLOIT),
            (EXPLOIT_TITLE, 2, "Peyrard, Maxime", MAXIME, EXPLOIT),
            (FLY_TITLE, 1, "Šakota, Marija", MARIJA, FLY),
            (FLY_TITLE, 2, "Peyrard, Maxime", MAXIME, FLY),
            (FLY_TITLE, 3, "West, Robert", ROBERT, FLY),
        ],
    ),
    "collaboration-pairs": (
        ("name1", "name2", "papers", "person1", "person2"),
        [
            ("Marija Šakota", "Maxime Peyrard", 2, MARIJA, MAXIME),
            ("Marija Šakota", "Robert West", 1, MARIJA, ROBERT),
            ("Maxime Peyrard", "Robert West", 1, MAXIME, ROBERT),
        ],
    ),
    "first-author-papers": (
        ("name", "title", "person", "paper"),
        [
            ("Marija Šakota", EXPLOIT_TITLE, MARIJA, EXPLOIT),
            ("Marija Šakota", FLY_TITLE, MARIJA, FLY),
        ],
    ),
    "last-author-papers": (
        ("name", "title", "person", "paper"),
        [
            ("Maxime Peyrard", EXPLOIT_TITLE, MAXIME, EXPLOIT),
            ("Robert West", FLY_TITLE, ROBERT, FLY),
        ],
    ),
    "last-authors": (
        ("title", "position", "name", "paper", "person"),
        [
            (EXPLOIT_TITLE, 2, "Maxime Peyrard", EXPLOIT, MAXIME),
            (FLY_TITLE, 3, "Robert West", FLY, ROBERT),
        ],
    ),
    "likely-duplicates": (("name1", "name2", "person1", "person2"), []),
    "owner-coauthors": (
        ("ownerName", "coauthorName", "papers", "owner", "coauthor"),
        [
            ("Maxime Peyrard", "Marija Šakota", 2, MAXIME, MARIJA),
            ("Maxime Peyrard", "Robert West", 1, MAXIME, ROBERT),
        ],
    ),
    "papers-per-author": (
        ("name", "papers", "person"),
        [
            ("Marija Šakota", 2, MARIJA),
            ("Maxime Peyrard", 2, MAXIME),
            ("Robert West", 1, ROBERT),
        ],
    ),
    "papers-without-abstract": (("title", "paper"), []),
    "papers-per-year": (("year", "papers"), [(2024, 1), (2023, 1)]),
    "venues": (
        ("name", "kind", "papers", "firstYear", "lastYear", "venue"),
        [
            (
                "Proceedings of the 17th ACM International Conference on Web Search and Data "
                "Mining",
                "book",
                1,
                2024,
                2024,
                "venue/proceedings-of-the-17th-acm-international-conference-on-web-search-and-"
                "data-mining",
            ),
            (
                "Proceedings of the Conference on Empirical Methods in Natural Language Processing",
                "periodical",
                1,
                2023,
                2023,
                "venue/proceedings-of-the-conference-on-empirical-methods-in-natural-language-"
                "processing",
            ),
        ],
    ),
    "spellings": (
        ("name", "spelling", "source", "person"),
        [
            ("Marija Šakota", "Marija Sakota", "alternateName", MARIJA),
            ("Marija Šakota", "Sakota, Marija", "printed", MARIJA),
            ("Marija Šakota", "Šakota, Marija", "printed", MARIJA),
        ],
    ),
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_canned_query_rows(name: str, store: ox.Store) -> None:
    variables, expected = EXPECTED[name]
    result = run_canned(name, store)
    assert result.variables == variables
    assert rows(result) == expected


def test_coauthors_of_maxime_peyrard(store: ox.Store) -> None:
    result = run_canned("coauthors", store, "name=Maxime Peyrard")
    assert result.variables == ("name", "coauthorName", "papers", "coauthor")
    assert rows(result) == [
        ("Maxime Peyrard", "Marija Šakota", 2, MARIJA),
        ("Maxime Peyrard", "Robert West", 1, ROBERT),
    ]


def test_coauthors_found_by_alternate_name(store: ox.Store) -> None:
    result = run_canned("coauthors", store, "name=Marija Sakota")
    assert [row[1:3] for row in rows(result)] == [("Maxime Peyrard", 2), ("Robert West", 1)]


def test_coauthors_of_nobody(store: ox.Store) -> None:
    assert run_canned("coauthors", store, "name=Nobody").rows == ()


def test_person_papers(store: ox.Store) -> None:
    result = run_canned("person-papers", store, "name=Maxime Peyrard")
    assert result.variables == ("name", "title", "position", "authors", "paper")
    assert rows(result) == [
        ("Maxime Peyrard", EXPLOIT_TITLE, 2, 2, EXPLOIT),
        ("Maxime Peyrard", FLY_TITLE, 2, 3, FLY),
    ]
    robert = run_canned("person-papers", store, "name=Robert West")
    assert rows(robert) == [("Robert West", FLY_TITLE, 3, 3, FLY)]


def test_likely_duplicates(example_graph_path: Path) -> None:
    store = extra_store(
        example_graph_path,
        """
        kgp:tim-r-smith a schema:Person ; schema:name "Tim R. Smith" ;
            schema:givenName "Tim R." ; schema:familyName "Smith" .
        kgp:tim-smith a schema:Person ; schema:name "Tim Smith" ;
            schema:givenName "Tim" ; schema:familyName "SMITH" .
        kgp:tom-smith a schema:Person ; schema:name "Tom Smith" ;
            schema:givenName "Tom" ; schema:familyName "Smith" .
        kgp:j-silva a schema:Person ; schema:name "J. Silva" ;
            schema:givenName "J." ; schema:familyName "Silva" .
        kgp:joao-silva a schema:Person ; schema:name "João Silva" ;
            schema:givenName "João" ; schema:familyName "Silva" .
        kgp:marija-x a schema:Person ; schema:name "Marija X" ;
            schema:givenName "Marija" ; schema:familyName "X" .
        kgp:maxime-x a schema:Person ; schema:name "Maxime X" ;
            schema:givenName "Maxime" ; schema:familyName "X" .
        kgp:ann-coauthor a schema:Person ; schema:name "Ann Lee" ;
            schema:givenName "Ann" ; schema:familyName "Lee" .
        kgp:a-coauthor a schema:Person ; schema:name "A. Lee" ;
            schema:givenName "A." ; schema:familyName "Lee" .
        <https://example.org/kg/paper/p> schema:author kgp:ann-coauthor, kgp:a-coauthor .
        """,
    )
    result = run_canned("likely-duplicates", store)
    assert rows(result) == [
        ("J. Silva", "João Silva", "person/j-silva", "person/joao-silva"),
        ("Tim R. Smith", "Tim Smith", "person/tim-r-smith", "person/tim-smith"),
    ]


def test_papers_without_abstract(example_graph_path: Path) -> None:
    store = extra_store(
        example_graph_path,
        "<https://example.org/kg/paper/x> a bibo:Document, schema:ScholarlyArticle ;"
        ' schema:name "No Abstract" .',
    )
    assert rows(run_canned("papers-without-abstract", store)) == [("No Abstract", "paper/x")]


def test_papers_per_list(store: ox.Store) -> None:
    assert rows(run_canned("papers-per-list", store)) == [
        ("list/peyrard", "peyrard.txt", "Maxime Peyrard", 2)
    ]


def test_same_title_different_authors(example_graph_path: Path) -> None:
    lower = "Fly-swat or cannon? Cost-effective language model choice via meta-modeling"
    store = extra_store(
        example_graph_path,
        "<https://example.org/kg/paper/fly-et-al> a bibo:Document, schema:ScholarlyArticle ;"
        f' schema:name "{lower}" .'
        "\n<https://example.org/kg/paper/other> a bibo:Document, schema:ScholarlyArticle ;"
        ' schema:name "Fly-Swat or Cannon" .',
    )
    assert rows(run_canned("same-title-different-authors", store)) == [
        (lower, FLY_TITLE, "paper/fly-et-al", FLY)
    ]


def test_resolve_query_by_path_and_text(tmp_path: Path) -> None:
    with_header = tmp_path / "mine.rq"
    with_header.write_text(
        "# Things of a type.\n# More words.\n# param type (iri): the class\n"
        "SELECT ?type ?s WHERE { ?s a ?type }\n",
        encoding="utf-8",
    )
    query = resolve_query(with_header)
    assert (query.name, query.description, query.details) == (
        "mine",
        "Things of a type.",
        "More words.",
    )
    assert query.params == (QueryParam("type", "iri", "the class"),)
    assert resolve_query(str(with_header)) == query

    bare = tmp_path / "bare.rq"
    bare.write_text("SELECT * WHERE { ?s ?p ?o }", encoding="utf-8")
    assert resolve_query(bare).has_header is False
    assert resolve_query(bare).declared_params is None

    inline = query_from_text("# Count.\nSELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")
    assert (inline.description, inline.params, inline.path) == ("Count.", (), None)


def test_unknown_query_lists_the_canned_ones(tmp_path: Path) -> None:
    with pytest.raises(QueryError) as caught:
        resolve_query("coathors")
    assert "unknown query 'coathors'" in str(caught.value)
    assert "coauthors, collaboration-pairs" in str(caught.value)
    with pytest.raises(QueryError, match="no such query file"):
        resolve_query(tmp_path / "missing.rq")


@pytest.mark.parametrize(
    "line",
    [
        "# param (string): no name",
        "# param name (date): unknown kind",
        "# param name string: no parentheses",
        "# param na-me (string): bad name",
    ],
)
def test_bad_param_header_is_refused(line: str) -> None:
    with pytest.raises(QueryError, match=r"^query:2: "):
        query_from_text(f"# A query.\n{line}\nSELECT * WHERE {{ ?s ?p ?o }}")


# --- parameters ----------------------------------------------------------------------------

DECLARED = (
    QueryParam("person", "iri", "a person"),
    QueryParam("name", "string", "a name"),
    QueryParam("limit", "integer", "a number"),
)


def test_params_are_typed_by_declaration() -> None:
    bound = parse_params(
        ["person=https://example.org/kg/person/a", "name=<not an IRI>", "limit=+42"], DECLARED
    )
    assert bound == {
        "person": ox.NamedNode("https://example.org/kg/person/a"),
        "name": ox.Literal("<not an IRI>"),
        "limit": ox.Literal("42", datatype=XSD_INTEGER),
    }
    assert parse_params(["person=<urn:isbn:123>", "name=", "limit=0"], DECLARED)["person"] == (
        ox.NamedNode("urn:isbn:123")
    )


def test_params_without_header_are_guessed() -> None:
    assert parse_params(["a=<https://x.org/a>", "b=https://x.org/b", "c=1"], None) == {
        "a": ox.NamedNode("https://x.org/a"),
        "b": ox.Literal("https://x.org/b"),
        "c": ox.Literal("1"),
    }


@pytest.mark.parametrize(
    ("pairs", "message"),
    [
        (["person=https://x.org/a", "name=a", "limit=1", "other=1"], "unknown parameter other"),
        (["person=https://x.org/a", "name=a"], "missing parameter.*limit \\(integer\\): a number"),
        (["person=https://x.org/a", "name=a", "limit=ten"], "must be an integer"),
        (["person=https://x.org/a", "name=a", "limit=1.5"], "must be an integer"),
        (["person", "name=a", "limit=1"], "expected NAME=VALUE"),
        (["=x"], "expected NAME=VALUE"),
        (["name=a", "name=b"], "given twice"),
    ],
)
def test_bad_params(pairs: list[str], message: str) -> None:
    with pytest.raises(QueryError, match=message):
        parse_params(pairs, DECLARED)


def test_undeclared_param_on_a_query_with_a_header(store: ox.Store) -> None:
    with pytest.raises(QueryError, match="unknown parameter name; this query declares: none"):
        parse_params(["name=x"], resolve_query("papers-per-author").declared_params)


@pytest.mark.parametrize(
    "iri",
    [
        "not an iri",
        "relative/path",
        "http://x.org/a b",
        "http://x.org/<a>",
        'http://x.org/"',
        "http://x.org/{a}",
        "http://x.org/a\\b",
        "http://x.org/a|b",
        "http://x.org/a^b",
        "http://x.org/a`b",
        "http://x.org/a\nb",
        "http://x.org/a> } ; DROP ALL ; { <http://x.org/b",
        "",
        "<>",
    ],
)
def test_invalid_iris_are_refused(iri: str) -> None:
    with pytest.raises(QueryError, match="parameter person"):
        parse_params([f"person={iri}", "name=a", "limit=1"], DECLARED)
    with pytest.raises(QueryError, match="parameter person"):
        parse_params([f"person=<{iri}>"], None)


@pytest.mark.parametrize("name", ["a b", "a}", "a;DROP", "", "x-y"])
def test_invalid_variable_names_are_refused(name: str, store: ox.Store) -> None:
    with pytest.raises(QueryError, match="bad parameter name"):
        bind_values("SELECT * WHERE { }", {name: ox.Literal("x")})
    with pytest.raises(QueryError, match="bad parameter name"):
        run_local("SELECT * WHERE { }", store, {name: ox.Literal("x")})


HOSTILE = [
    'say "hi"',
    'a\\"b',
    "back\\slash\\",
    "\\u0022",
    "\\u0022 } ; DROP ALL ; { \\u0022",
    '"} ; DROP ALL ; {"',
    '""" ; DROP ALL',
    "line\nbreak\rreturn\r\n",
    "tab\tand\x0bvertical",
    "it's '''quoted'''",
    "# not a comment } {",
    "<http://x.org/not-an-iri>",
    "Šakota, Marija 🙂",
    "",
]
ECHO = "SELECT ?value (STRLEN(?value) AS ?length) WHERE { }"


@pytest.mark.parametrize("value", HOSTILE)
def test_hostile_strings_are_plain_values_locally(value: str, store: ox.Store) -> None:
    (bound,) = parse_params([f"value={value}"], (QueryParam("value", "string", ""),)).values()
    assert bound == ox.Literal(value)
    result = run_local(ECHO, store, {"value": bound})
    assert rows(result) == [(value, len(value))]
    assert len(store) == 122  # the example's triples, none added


@pytest.mark.parametrize("value", HOSTILE)
def test_hostile_strings_are_plain_values_remotely(value: str, oxigraph_endpoint: str) -> None:
    result = run_remote(ECHO, oxigraph_endpoint, {"value": ox.Literal(value)}, timeout=10)
    assert rows(result) == [(value, len(value))]
    count = run_remote("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }", oxigraph_endpoint)
    assert rows(count) == [(122,)]


def test_hostile_name_finds_nobody_in_a_canned_query(
    store: ox.Store, oxigraph_endpoint: str
) -> None:
    query = resolve_query("coauthors")
    params = parse_params(['name=Maxime Peyrard" } ; DROP ALL ; { "'], query.declared_params)
    assert run_local(query.text, store, params).rows == ()
    assert run_remote(query.text, oxigraph_endpoint, params, timeout=10).rows == ()


def test_values_block_opens_the_where_group() -> None:
    value = {"x": ox.Literal('a"b\\c\nd')}
    expected_block = '\n  VALUES (?x) { ("a\\"b\\\\c\\nd") }\n'
    query = "# { not this }\nSELECT ?x WHERE { ?s ?p ?x . { SELECT ?x WHERE { ?x ?p ?o } } }"
    bound = bind_values(query, value)
    assert bound == query.replace("WHERE {", "WHERE {" + expected_block, 1)
    construct = 'CONSTRUCT { ?s <http://x.org/p> "{" } WHERE { ?s ?p ?x }'
    assert bind_values(construct, value) == construct.replace("WHERE {", "WHERE {" + expected_block)
    no_keyword = "SELECT * { ?s ?p ?x }"
    assert bind_values(no_keyword, value) == no_keyword.replace("{", "{" + expected_block)
    with pytest.raises(QueryError, match="short CONSTRUCT WHERE"):
        bind_values("CONSTRUCT WHERE { ?s ?p ?x }", value)
    with pytest.raises(QueryError, match="no WHERE group"):
        bind_values("DESCRIBE <http://x.org/a>", value)
    typed = bind_values(
        "ASK { }",
        {
            "i": ox.Literal("7", datatype=XSD_INTEGER),
            "l": ox.Literal("chat", language="fr"),
            "u": ox.NamedNode("http://x.org/a"),
        },
    )
    assert "VALUES (?i ?l ?u) { " + '("7"^^<http://www.w3.org/2001/XMLSchema#integer> ' in typed
    assert '"chat"@fr <http://x.org/a>) }' in typed


def test_unprojected_parameter_is_explained(store: ox.Store) -> None:
    with pytest.raises(QueryError, match="add \\?o to the SELECT clause"):
        run_local("SELECT ?s WHERE { ?s ?p ?o }", store, {"o": ox.Literal("x")})


# --- read-only -----------------------------------------------------------------------------

UPDATES = [
    "INSERT DATA { <http://x.org/a> <http://x.org/b> <http://x.org/c> }",
    "DELETE WHERE { ?s ?p ?o }",
    "DELETE { ?s ?p ?o } INSERT { ?s ?p 1 } WHERE { ?s ?p ?o }",
    "LOAD <http://example.org/data.ttl>",
    "CLEAR ALL",
    "DROP ALL",
    "CREATE GRAPH <http://x.org/g>",
    "COPY DEFAULT TO <http://x.org/g>",
    PREFIXES + "INSERT DATA { <http://x.org/a> schema:name 'x' }",
]


@pytest.mark.parametrize("update", UPDATES)
def test_updates_are_refused(update: str, store: ox.Store) -> None:
    before = len(store)
    with pytest.raises(QueryError, match=r"updates .* are not allowed"):
        run_local(update, store)
    with pytest.raises(QueryError, match=r"updates .* are not allowed"):
        run_remote(update, "http://127.0.0.1:9/query")  # refused before any connection
    assert len(store) == before


SERVICES = [
    "SELECT * WHERE { SERVICE <http://evil.example/sparql> { ?s ?p ?o } }",
    "SELECT * WHERE { ?s ?p ?o . service silent <http://evil.example/sparql> { ?s ?p ?o } }",
    "SELECT * WHERE { ?s ?p ?o FILTER EXISTS { SERVICE ?endpoint { ?s ?p ?o } } }",
    "ASK { { SELECT ?s WHERE { SERVICE <http://evil.example/sparql> { ?s ?p ?o } } } }",
]


@pytest.mark.parametrize("query", SERVICES)
def test_service_is_refused(query: str, store: ox.Store) -> None:
    with pytest.raises(QueryError, match="SERVICE is not allowed"):
        run_local(query, store)
    with pytest.raises(QueryError, match="SERVICE is not allowed"):
        run_remote(query, "http://127.0.0.1:9/query")  # refused before any connection


def test_service_in_a_string_or_name_is_fine(store: ox.Store) -> None:
    query = PREFIXES + 'SELECT ?service WHERE { ?x schema:service "SERVICE" } # SERVICE'
    assert check_read_only(query) == "SELECT"
    assert run_local(query, store).rows == ()


@pytest.mark.parametrize(
    "query",
    ["SELECT * WHERE { ?s ?p }", "SELEKT * { }", "SELECT * WHERE { ?s ?p ?o } ; DROP ALL", ""],
)
def test_syntax_errors_carry_the_parser_message(query: str, store: ox.Store) -> None:
    with pytest.raises(QueryError, match=r"SPARQL syntax error: .*(Expected|line|char)"):
        run_local(query, store)


def test_undeclared_prefix_is_a_query_error(store: ox.Store) -> None:
    with pytest.raises(QueryError, match="SPARQL syntax error"):
        run_local("SELECT * WHERE { ?s nope:p ?o }", store)


# --- result formats ------------------------------------------------------------------------

FORMAT_QUERIES = {
    "authors": resolve_query("authors-as-printed").text,
    "unbound": PREFIXES
    + "SELECT ?p ?abstract ?seeAlso WHERE { ?p a <http://purl.org/ontology/bibo/Document> ;"
    " schema:abstract ?abstract OPTIONAL { ?p <http://www.w3.org/2000/01/rdf-schema#seeAlso>"
    " ?seeAlso } } ORDER BY ?p",
    "blank": "SELECT ?paper ?list WHERE { ?paper <http://purl.org/ontology/bibo/authorList> ?list }"
    " ORDER BY ?paper",
    "typed": 'SELECT ?x WHERE { VALUES ?x { "a,b\\"c\\nd" "chat"@fr 1.5 true "2020-01-01"'
    "^^<http://www.w3.org/2001/XMLSchema#date> <http://schema.org/Person> } }",
}


@pytest.mark.parametrize("name", sorted(FORMAT_QUERIES))
def test_every_format_parses_back(name: str, store: ox.Store) -> None:
    result = run_local(FORMAT_QUERIES[name], store)
    assert result.rows

    as_json = format_result(result, "json")
    document = json.loads(as_json)
    assert document["head"]["vars"] == list(result.variables)
    assert len(document["results"]["bindings"]) == len(result.rows)
    assert _same(result, ox.parse_query_results(as_json, ox.QueryResultsFormat.JSON))

    as_xml = format_result(result, "xml")
    root = ET.fromstring(as_xml)
    ns = {"r": "http://www.w3.org/2005/sparql-results#"}
    assert root.tag == "{http://www.w3.org/2005/sparql-results#}sparql"
    assert [v.get("name") for v in root.findall("r:head/r:variable", ns)] == list(result.variables)
    assert len(root.findall("r:results/r:result", ns)) == len(result.rows)
    assert _same(result, ox.parse_query_results(as_xml, ox.QueryResultsFormat.XML))

    as_tsv = format_result(result, "tsv")
    assert _same(result, ox.parse_query_results(as_tsv, ox.QueryResultsFormat.TSV))

    as_csv = format_result(result, "csv")
    table = list(csv.reader(io.StringIO(as_csv, newline="")))
    assert table[0] == list(result.variables)
    assert len(table) == len(result.rows) + 1
    assert as_csv.endswith("\r\n")
    for line, row in zip(table[1:], result.rows, strict=True):
        for term, cell in zip(row, line, strict=True):
            if term is None:
                assert cell == ""
            elif isinstance(term, ox.BlankNode):
                assert cell.startswith("_:b")  # relabelled b0, b1, ...
            else:
                assert isinstance(term, ox.NamedNode | ox.Literal)
                assert cell == term.value

    for fmt in ("table", "csv", "tsv", "json", "xml"):
        assert format_result(result, fmt) == format_result(
            run_local(FORMAT_QUERIES[name], store), fmt
        )


def _same(result: QueryResult, parsed: Any) -> bool:
    """Equal up to blank node labels (the formats relabel them b0, b1, ...)."""
    back = QueryResult.from_oxigraph(parsed)

    def shape(r: QueryResult) -> list[tuple[Any, ...]]:
        return [tuple("_:" if isinstance(t, ox.BlankNode) else t for t in row) for row in r.rows]

    return back.variables == result.variables and shape(back) == shape(result)


def test_blank_nodes_are_relabelled_in_order(store: ox.Store) -> None:
    text = format_result(run_local(FORMAT_QUERIES["blank"], store), "tsv")
    assert [line.split("\t")[1] for line in text.splitlines()[1:]] == ["_:b0", "_:b1"]


def test_table_is_readable_and_complete(store: ox.Store) -> None:
    query = PREFIXES + (
        'SELECT ?type ?person ?name ?n WHERE { VALUES (?name ?n) { ("Marija Šakota\\nX" 2) } '
        "?person schema:name ?nm ; a ?type FILTER(STRSTARTS(?nm, 'Marija')) } ORDER BY ?type"
    )
    table = format_result(run_local(query, store), "table")
    lines = table.splitlines()
    assert lines[0].split() == ["type", "person", "name", "n"]
    assert set(lines[1].replace(" ", "")) == {"-"}
    assert lines[2].startswith("schema:Person  <https://example.org/kg/person/marija-sakota>")
    assert lines[3].startswith("foaf:Person    <https://example.org/kg/person/marija-sakota>")
    assert "Marija Šakota\\nX" in lines[2]  # control characters are shown, never break rows
    assert lines[2].endswith("  2")
    assert lines[-1] == "(2 rows)"
    assert "\x1b" not in table  # no terminal escapes
    long_value = "x" * 500
    wide = format_result(run_local(ECHO, store, {"value": ox.Literal(long_value)}), "table")
    assert long_value in wide.splitlines()[2]  # never wrapped or cut


def test_ask_results(store: ox.Store, oxigraph_endpoint: str) -> None:
    query = PREFIXES + "ASK { ?p schema:name ?name }"
    local = run_local(query, store, {"name": ox.Literal("Robert West")})
    remote = run_remote(query, oxigraph_endpoint, {"name": ox.Literal("Robert West")})
    assert local == remote == QueryResult(kind="ask", boolean=True)
    assert run_local(query, store, {"name": ox.Literal("Nobody")}).boolean is False
    assert format_result(local, "table") == "true\n"
    assert json.loads(format_result(local, "json")) == {"head": {}, "boolean": True}
    assert ET.fromstring(format_result(local, "xml"))[1].text == "true"
    assert list(csv.reader(io.StringIO(format_result(local, "csv")))) == [["_askResult"], ["true"]]
    assert bool(ox.parse_query_results(format_result(local, "json"), ox.QueryResultsFormat.JSON))


CONSTRUCT = (
    PREFIXES + "CONSTRUCT { ?paper schema:author ?person ; schema:name ?title ."
    " ?paper <http://purl.org/ontology/bibo/authorList> ?list }"
    " WHERE { ?paper schema:author ?person ; schema:name ?title ;"
    " <http://purl.org/ontology/bibo/authorList> ?list }"
)


def test_construct_results(store: ox.Store, oxigraph_endpoint: str) -> None:
    local = run_local(CONSTRUCT, store)
    remote = run_remote(CONSTRUCT, oxigraph_endpoint)
    assert local.kind == remote.kind == "graph"
    ntriples = format_result(local, "ntriples")
    assert ntriples == format_result(remote, "ntriples")
    assert ntriples == format_result(run_local(CONSTRUCT, store), "ntriples")
    assert len(ntriples.splitlines()) == 9
    turtle = format_result(local, "table")
    assert turtle == format_result(local, "turtle")
    assert turtle.startswith("@prefix bibo: <http://purl.org/ontology/bibo/> .\n")
    assert "@prefix foaf:" not in turtle  # only the prefixes it uses
    parsed = list(ox.parse(turtle, format=ox.RdfFormat.TURTLE))
    assert len(parsed) == 9
    with pytest.raises(ConfigError, match="turtle"):
        format_result(local, "json")


def test_unknown_format(store: ox.Store) -> None:
    with pytest.raises(ConfigError, match="table, csv, tsv, json, xml"):
        format_result(run_local(ECHO, store), "yaml")


# --- remote endpoints ----------------------------------------------------------------------


@pytest.mark.parametrize("name", CANNED)
def test_remote_gives_the_same_rows_as_local(
    name: str, store: ox.Store, oxigraph_endpoint: str
) -> None:
    query = resolve_query(name)
    params = parse_params(["name=Maxime Peyrard"] if query.params else [], query.declared_params)
    local = run_local(query.text, store, params)
    remote = run_remote(query.text, oxigraph_endpoint, params, timeout=10)
    assert remote == local
    for fmt in ("table", "csv", "tsv", "json", "xml"):
        assert format_result(remote, fmt) == format_result(local, fmt)


def test_dead_endpoint_fails_on_the_refusal_not_on_a_timeout(dead_endpoint: str) -> None:
    """With an hour to wait, kg still stops at once and says the connection was refused: it
    failed on the refusal, not by waiting out its timeout (the subprocess's own timeout only
    guards against a hang; it is no assertion of speed)."""
    endpoint = dead_endpoint + "/query"
    with pytest.raises(EndpointError) as caught:
        run_remote("ASK { }", endpoint, timeout=2)
    assert str(caught.value) == f"{endpoint} refused the connection (is the server running?)"
    command = ["query", "-q", "ASK { }", "--endpoint", endpoint, "--timeout", "3600"]
    result = subprocess.run(
        [sys.executable, "-m", "kg", *command], capture_output=True, text=True, timeout=300
    )
    assert (result.returncode, result.stdout, result.stderr) == (
        2,
        "",
        f"kg: error: {endpoint} refused the connection (is the server running?)\n",
    )


# Refused before any connection: no request is made to a URL that is not http(s).
@pytest.mark.parametrize("endpoint", ["file:///etc/passwd", "ftp://127.0.0.1/x", "127.0.0.1:9"])
def test_only_http_endpoints(endpoint: str) -> None:
    with pytest.raises(EndpointError, match="is not an http"):
        run_remote("ASK { }", endpoint)


class _Bad(BaseHTTPRequestHandler):
    """A loopback server that answers every way an endpoint can go wrong."""

    user_agents: ClassVar[list[str]] = []

    def do_POST(self) -> None:
        type(self).user_agents.append(self.headers.get("User-Agent", ""))
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        answers: dict[str, tuple[int, str, bytes, dict[str, str]]] = {
            "/html": (200, "text/html", b"<html><body>Maintenance</body></html>", {}),
            "/garbage": (200, "application/sparql-results+json", b"\x00\xffnot json", {}),
            "/truncated": (
                200,
                "application/sparql-results+json",
                b'{"head": {"vars": ["s"]}, "results": {"bindings": [{"s": {"type": "uri", "va',
                {},
            ),
            "/error200": (
                200,
                "application/sparql-results+json",
                b'{"head": {"vars": ["s"]}, "results": {"bindings": [\n'
                b"java.util.concurrent.TimeoutException",
                {},
            ),
            "/json-not-results": (200, "application/json", b'{"error": "busy"}', {}),
            "/500": (500, "text/plain", b"Internal trouble", {}),
            "/400": (400, "text/plain", b"Parse error near line 1", {}),
            "/429": (429, "text/plain", b"Too many requests", {"Retry-After": "17"}),
        }
        if self.path == "/slow":
            time.sleep(3)
            return
        status, content_type, body, headers = answers[self.path]
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for header, value in headers.items():
            self.send_header(header, value)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def bad_server() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Bad)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("/html", "sent text/html that is not SPARQL JSON results"),
        ("/garbage", "that is not SPARQL JSON results"),
        ("/truncated", "that is not SPARQL JSON results"),
        ("/error200", "that is not SPARQL JSON results .*TimeoutException"),
        ("/json-not-results", "sent JSON that is not SPARQL results for a SELECT query"),
        ("/500", "answered HTTP 500 Internal Server Error: Internal trouble"),
        ("/400", "answered HTTP 400 Bad Request: Parse error near line 1"),
        ("/429", "answered HTTP 429 .*retry after 17 s"),
        ("/slow", "did not answer within 0.5 s"),
    ],
)
def test_broken_endpoints_give_endpoint_errors(path: str, message: str, bad_server: str) -> None:
    endpoint = bad_server + path
    with pytest.raises(EndpointError, match=message) as caught:
        run_remote("SELECT ?s WHERE { ?s ?p ?o }", endpoint, timeout=0.5)
    assert str(caught.value).startswith(endpoint)


def test_user_agent_names_kg(bad_server: str) -> None:
    _Bad.user_agents.clear()
    with pytest.raises(EndpointError):
        run_remote("ASK { }", bad_server + "/html", timeout=2)
    assert _Bad.user_agents == [USER_AGENT]
    assert USER_AGENT.startswith("kg/0.")


def test_canned_query_dataclass_is_frozen() -> None:
    query = resolve_query("coauthors")
    assert isinstance(query, CannedQuery)
    with pytest.raises(AttributeError):
        query.name = "x"  # type: ignore[misc]


def test_papers_per_year_counts_undated_works_last(example_graph_path: Path) -> None:
    store = extra_store(
        example_graph_path,
        "<https://example.org/kg/paper/undated> a bibo:Document, schema:Report ;"
        ' schema:name "Undated" .\n'
        "<https://example.org/kg/paper/old> a bibo:Document, schema:Thesis ;"
        ' schema:name "Old" ;'
        ' schema:datePublished "2019"^^<http://www.w3.org/2001/XMLSchema#gYear> .',
    )
    assert rows(run_canned("papers-per-year", store)) == [
        (2024, 1),
        (2023, 1),
        (2019, 1),
        (None, 1),
    ]


# --- a new user's first hour: prefixes, names, descriptions ---------------------------------

KNOWN = predeclared_prefixes({"person": f"{BASE}person/"})


def test_predeclared_prefixes_need_no_prefix_line(store: ox.Store) -> None:
    bare = "SELECT ?n WHERE { person:robert-west schema:name ?n . ?p a foaf:Person }"
    result = run_local(bare, store, prefixes=KNOWN)
    assert {row[0].value for row in result.rows} == {"Robert West"}
    with pytest.raises(QueryError, match="undeclared prefix 'person:'"):
        run_local(bare, store)
    # A prefix the query declares itself wins over kg's.
    own = "PREFIX schema: <https://schema.org/> SELECT ?n WHERE { ?p schema:name ?n }"
    assert run_local(own, store, prefixes=KNOWN).rows == ()


def test_predeclared_prefixes_are_kg_s_and_the_graph_s() -> None:
    for name in ("schema", "foaf", "bibo", "prov", "dcterms", "rdf", "rdfs", "xsd", "kg"):
        assert name in KNOWN
    assert KNOWN["schema"] == "http://schema.org/"
    assert KNOWN["person"] == f"{BASE}person/"
    assert list(KNOWN) == sorted(KNOWN)


def test_an_undeclared_prefix_is_named_in_one_line(store: ox.Store) -> None:
    with pytest.raises(QueryError) as caught:
        run_local("SELECT ?n WHERE { ?p schema:name ?n ; foo:bar ?x }", store, prefixes=KNOWN)
    message = str(caught.value)
    assert "undeclared prefix 'foo:' (known: bibo, dcterms, foaf, kg, person, prov," in message
    assert "\n" not in message and "\\u{" not in message
    with pytest.raises(QueryError, match="undeclared prefix ':'"):
        run_local("SELECT * WHERE { ?s :p ?o }", store, prefixes=KNOWN)


def test_prefixes_are_found_by_the_parser_not_by_their_look() -> None:
    query = (
        'SELECT ?s WHERE { ?s a foaf:Person ; schema:name "bibo:x" ; <http://x/prov:y> ?o .'
        " FILTER (?o != xsd:string) } # dcterms:z"
    )
    assert undeclared_prefixes(query) == ["foaf", "schema", "xsd"]
    assert undeclared_prefixes("PREFIX foaf: <http://x/> SELECT * { ?s foaf:p _:b }") == []
    assert undeclared_prefixes("SELECT * WHERE { ?s ?p }") == []  # a syntax error, told later


def test_declare_prefixes_adds_only_what_the_query_uses_and_lacks() -> None:
    query = "PREFIX schema: <https://schema.org/>\nSELECT * WHERE { ?s schema:name ?n ; foaf:a ?x }"
    declared = declare_prefixes(query, KNOWN)
    assert declared == f"PREFIX foaf: <{KNOWN['foaf']}>\n{query}"
    complete = "SELECT * WHERE { ?s <http://schema.org/name> ?n }"
    assert declare_prefixes(complete, KNOWN) is complete
    with pytest.raises(QueryError, match="undeclared prefix 'nope:'"):
        declare_prefixes("SELECT * WHERE { ?s nope:p ?o }", KNOWN)


def test_a_query_without_prefix_lines_runs_remotely_as_locally(
    store: ox.Store, oxigraph_endpoint: str
) -> None:
    bare = "SELECT ?name WHERE { ?p a schema:Person ; schema:name ?name } ORDER BY ?name"
    local = run_local(bare, store, prefixes=KNOWN)
    remote = run_remote(declare_prefixes(bare, KNOWN), oxigraph_endpoint, timeout=10)
    assert remote == local and len(local.rows) == 3
    with pytest.raises(EndpointError, match="HTTP 400"):
        run_remote(bare, oxigraph_endpoint, timeout=10)  # what declare_prefixes spares users


def test_a_misspelt_query_name_gets_suggestions() -> None:
    with pytest.raises(QueryError, match=r"unknown query 'coauthor'; did you mean coauthors\?"):
        resolve_query("coauthor")
    with pytest.raises(QueryError) as caught:
        resolve_query("zzzz")
    assert "did you mean" not in str(caught.value) and "venues" in str(caught.value)


def test_the_description_is_the_whole_first_sentence() -> None:
    query = query_from_text(
        "# Number of works per year, newest first; works without a date\n"
        "# come last. And more.\n# Details.\n# param n (integer): a number\n"
        "SELECT ?n WHERE { ?s ?p ?n }"
    )
    assert query.description == (
        "Number of works per year, newest first; works without a date come last. And more."
    )
    assert query.details == "Details."
    unfinished = query_from_text("# Things of a type\n#\n# Explained.\nSELECT * { ?s ?p ?o }")
    assert (unfinished.description, unfinished.details) == ("Things of a type", "Explained.")
    for canned in list_canned_queries():
        assert canned.description.endswith("."), canned.name
    assert resolve_query("papers-per-year").description.endswith(
        "works whose sources give no date are counted in the last row, with no year."
    )


def test_a_param_can_name_an_entity_of_a_class() -> None:
    header = "# Q.\n# param who (name of {}): someone\nSELECT ?who WHERE {{ ?s ?p ?who }}"
    person = query_from_text(header.format("schema:Person")).params[0]
    assert person == QueryParam("who", "string", "someone", names="http://schema.org/Person")
    full = query_from_text(header.format("<https://x.example/Thing>")).params[0]
    assert full.names == "https://x.example/Thing"
    for bad in ("nope:Thing", "Person", "<relative/iri>"):
        with pytest.raises(QueryError, match=r"^query:2: the class"):
            query_from_text(header.format(bad))


def test_unknown_names_say_so_with_close_names(store: ox.Store) -> None:
    coauthors = resolve_query("coauthors")

    def unknown(value: str) -> list[tuple[str, tuple[str, ...]]]:
        bindings = parse_params([f"name={value}"], coauthors.declared_params)
        return [(u.value, u.close) for u in unknown_names(coauthors, bindings, store)]

    assert unknown("Maxime Peyrard") == []
    assert unknown("Marija Sakota") == []  # a schema:alternateName
    assert unknown("Nobody Here") == [("Nobody Here", ())]
    assert unknown("Robert Wset") == [("Robert Wset", ("Robert West",))]
    assert unknown("Peyrard Maxime") == [("Peyrard Maxime", ("Maxime Peyrard",))]
    # Only entities of the declared class count: no organisation is called Robert West.
    organisation = query_from_text(
        "# Q.\n# param name (name of schema:Organization): an organisation\n"
        "SELECT ?name WHERE { ?o schema:name ?name }"
    )
    bindings = parse_params(["name=Robert West"], organisation.declared_params)
    assert [u.value for u in unknown_names(organisation, bindings, store)] == ["Robert West"]
    # Parameters that name nothing are not checked.
    assert unknown_names(resolve_query("papers-per-author"), {}, store) == []


def test_a_local_run_leaves_no_solutions_for_another_thread_to_free() -> None:
    """Oxigraph's solutions belong to the thread that made them; freed by a collection in
    another thread (as in ``kg serve``'s request threads, or a library user's), they leak
    with a warning. rdflib's parse, in the read-only check, leaves cycles that hold the
    calling frame, so ``run_local`` keeps no solutions in it."""
    store = ox.Store()
    store.add(ox.Quad(ox.NamedNode("urn:x:a"), ox.NamedNode("urn:x:b"), ox.Literal("c")))
    unraisable: list[Any] = []
    hook, collecting = sys.unraisablehook, gc.isenabled()
    sys.unraisablehook = unraisable.append
    gc.disable()
    try:
        for run in range(3):  # texts not parsed before: the parser's cache would skip it
            run_local(f"SELECT ?s WHERE {{ ?s ?p ?o }} # run {run} of {time.time_ns()}", store)
        collector = threading.Thread(target=gc.collect)
        collector.start()
        collector.join()
    finally:
        sys.unraisablehook = hook
        if collecting:
            gc.enable()
    assert not unraisable, [str(found.exc_value) for found in unraisable]
