"""The read-only check against queries built to be read one way by kg and another by Oxigraph.

kg decides what a query does with rdflib's parser, while Oxigraph runs it. rdflib expands
``\\uXXXX`` escapes everywhere before parsing; Oxigraph only inside strings and IRIs. A query
built on that difference once made ``kg serve`` (and ``kg query``) call an address of the
attacker's choice through ``SERVICE``. Each attack here runs against a listening socket on
loopback: the test fails if anything connects to it.
"""

from __future__ import annotations

import socket
import threading
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest
from test_serve import running

from kg.errors import QueryError
from kg.queries import bind_values, check_read_only, run_local
from kg.rdfio import load_store
from kg.serve import make_server


class Listener:
    """A port on loopback that nothing should ever connect to: it counts the connections
    and closes each at once, so a query that does reach it fails fast instead of waiting."""

    def __init__(self) -> None:
        self.socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.socket.bind(("127.0.0.1", 0))
        self.socket.listen(8)
        self.url = f"http://127.0.0.1:{self.socket.getsockname()[1]}/sparql"
        self.connections = 0
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while True:
            try:
                connection, _ = self.socket.accept()
            except OSError:  # closed
                return
            self.connections += 1
            connection.close()

    def close(self) -> None:
        self.socket.shutdown(socket.SHUT_RDWR)
        self.socket.close()
        self._thread.join(5)


@pytest.fixture
def listener() -> Iterator[Listener]:
    opened = Listener()
    yield opened
    opened.close()


def attacks(target: str) -> list[str]:
    """Queries that hide ``SERVICE <target>`` from one of the two parsers."""
    return [
        # The reported attack: rdflib closes the string at \u0022 and takes the rest of the
        # line for a comment; Oxigraph reads a string and then the SERVICE. The IRI with an
        # escape before `#` once made kg's own scan read a comment too.
        'SELECT * WHERE { BIND("\\u0022 AS ?a) } # " AS ?b) '
        f"BIND(<http://x/\\u0041#> AS ?c) SERVICE <{target}> {{ ?s ?p ?o }} }}",
        # The same with the 8-digit escape and with rdflib's greedy 8-digit reading of \u.
        'SELECT * WHERE { BIND("\\U00000022 AS ?a) } # " AS ?b) '
        f"BIND(<http://x/\\u0041#> AS ?c) SERVICE <{target}> {{ ?s ?p ?o }} }}",
        'SELECT * WHERE { BIND("\\u00000022 AS ?a) } # " AS ?b) '
        f"BIND(<http://x/\\u0041#> AS ?c) SERVICE <{target}> {{ ?s ?p ?o }} }}",
        # An escaped backslash before the escape: rdflib still expands it.
        'SELECT * WHERE { BIND("\\\\u0022 AS ?a) } # " AS ?b) '
        f"BIND(<http://x/\\u0041#> AS ?c) SERVICE <{target}> {{ ?s ?p ?o }} }}",
        # A long string whose end only one parser sees.
        'SELECT * WHERE { BIND("""\\u0022\\u0022\\u0022 AS ?a) } # """ AS ?b) '
        f"SERVICE <{target}> {{ ?s ?p ?o }} }}",
        # Nested groups, a lower-case keyword, SILENT, a subquery, EXISTS, OPTIONAL, UNION.
        f"SELECT * WHERE {{ {{ OPTIONAL {{ sErViCe SILENT <{target}> {{ ?s ?p ?o }} }} }} }}",
        f"SELECT * WHERE {{ {{ ?s ?p ?o }} UNION {{ SERVICE <{target}> {{ ?s ?p ?o }} }} }}",
        f"ASK {{ {{ SELECT ?s WHERE {{ MINUS {{ SERVICE <{target}> {{ ?s ?p ?o }} }} }} }} }}",
        f"SELECT * WHERE {{ FILTER NOT EXISTS {{ SERVICE <{target}> {{ ?s ?p ?o }} }} }}",
        f"SELECT * WHERE {{ GRAPH ?g {{ SERVICE <{target}> {{ ?s ?p ?o }} }} }}",
        f"SELECT * WHERE {{ BIND(<{target}> AS ?e) SERVICE ?e {{ ?s ?p ?o }} }}",
        # A comment that one parser ends early, at an escaped line break.
        f"SELECT * WHERE {{ ?s ?p ?o # \\u000a }} SERVICE <{target}> {{ ?s ?p ?o }}\n}}",
    ]


@pytest.fixture(scope="module")
def store(example_graph_path: Path) -> ox.Store:
    return load_store([example_graph_path])


# The URL only counts the attacks; each test uses its own listener's.
@pytest.mark.parametrize("number", range(len(attacks("http://127.0.0.1:9/"))))
def test_no_attack_reaches_out_from_kg_query(
    number: int, store: ox.Store, listener: Listener
) -> None:
    with pytest.raises(QueryError, match=r"SERVICE is not allowed|escape|syntax error"):
        run_local(attacks(listener.url)[number], store)
    assert listener.connections == 0


def test_no_attack_reaches_out_from_kg_serve(store: ox.Store, listener: Listener) -> None:
    with running(make_server(store, port=0, query_timeout=5)) as server:
        for query in attacks(listener.url):
            url = f"{server.url}sparql?{urllib.parse.urlencode({'query': query})}"
            with pytest.raises(urllib.error.HTTPError) as refused:
                urllib.request.urlopen(url, timeout=30)
            assert refused.value.code == 400, query
            refused.value.close()
    assert listener.connections == 0


@pytest.mark.parametrize(
    "escape",
    ["\\u0022", "\\U00000041", "\\u007B", "\\u0000007d", "\\u0023", "\\u000a", "\\u005c"],
)
def test_escapes_of_ascii_characters_are_refused_with_a_reason(escape: str) -> None:
    with pytest.raises(QueryError, match=rf"line 1: .*{escape[:2].replace(chr(92), '.')}"):
        check_read_only(f'SELECT * WHERE {{ BIND("{escape}" AS ?x) }}')


@pytest.mark.parametrize(
    ("query", "value"),
    [
        ('SELECT ?x WHERE { BIND("caf\\u00e9" AS ?x) }', "café"),
        ('SELECT ?x WHERE { BIND("\\U0001F600 ok" AS ?x) }', "\U0001f600 ok"),
        ("SELECT ?x WHERE { BIND(<http://x.org/\\u00e9#a> AS ?x) }", "http://x.org/é#a"),
        ('SELECT ?x WHERE { BIND("a \\"SERVICE\\" # b" AS ?x) } # SERVICE', 'a "SERVICE" # b'),
    ],
)
def test_escapes_of_other_characters_still_work(query: str, value: str, store: ox.Store) -> None:
    assert [row[0].value for row in run_local(query, store).rows] == [value]


def test_a_hash_inside_an_iri_with_an_escape_is_not_a_comment() -> None:
    """kg's own scan (which binds parameters and looks for SERVICE) reads an IRI with an
    escape whole: what follows its `#` is query text, not a comment."""
    query = "PREFIX e: <http://x.org/\\u00e9#> SELECT ?x WHERE { ?x e:p ?y }"
    bound = bind_values(query, {"y": ox.Literal("v")})
    assert bound == query.replace("WHERE {", 'WHERE {\n  VALUES (?y) { ("v") }\n')
