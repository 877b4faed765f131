"""Pages made from hostile data (tests/data/hostile-pages.ttl), served by kg serve and
published by kg publish: only http(s) IRIs become links, whatever the case of the scheme,
and every data text is isolated (``<bdi>``), so a right-to-left override in a name cannot
reorder the text after it. The browser's view of both is in test_browser.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pyoxigraph as ox
import pytest
from conftest import DATA
from test_publish import VOID_ELEMENTS, Page
from test_serve import BROWSER_ACCEPT, request, running

from kg.serve import KgServer, make_server
from kg.site import publish

HOSTILE = DATA / "hostile-pages.ttl"
BASE = "https://example.org/kg/"
# Overrides and embeddings, and the isolates data could hold (FSI/PDI are the pages' own).
BIDI = set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067")
HOSTILE_IRIS = [
    "javascript:alert(1)",
    "JaVaScRiPt:alert(2)",
    "data:text/html;base64,PHNjcmlwdD5hbGVydCgzKTwvc2NyaXB0Pg==",
    "javascript:alert(4)",
]
SERVED_PATHS = [
    "paper/one",
    "paper/two",
    "person/ann-bee",
    "person/carl-dee",
    "venue/rtl",
    "list/hostile",
    "notes",
    "list/javascript:alert(10)",
    "paper/no-such-paper",
    "",
]


@pytest.fixture(scope="module")
def store() -> ox.Store:
    graph = ox.Store()
    graph.load(path=HOSTILE, format=ox.RdfFormat.TURTLE)
    return graph


@pytest.fixture(scope="module")
def server(store: ox.Store) -> Iterator[KgServer]:
    with running(make_server(store, port=0, workers=1)) as started:
        yield started


@pytest.fixture(scope="module")
def site(store: ox.Store, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("hostile-pages") / "site"
    publish(store, out)
    return out


def served_page(server: KgServer, path: str) -> tuple[str, str]:
    """(its URL, its HTML)."""
    status, headers, body = request(server.url + path, accept=BROWSER_ACCEPT)
    assert status in (200, 404) and headers["Content-Type"].startswith("text/html"), path
    return server.url + path, body.decode("utf-8")


def published_pages(site: Path) -> list[tuple[str, str]]:
    """Every page of the site with the URL it would have at https://site.example/."""
    return [
        (f"https://site.example/{path.relative_to(site).as_posix()}", path.read_text("utf-8"))
        for path in sorted(site.rglob("*.html"))
    ]


def all_pages(server: KgServer, site: Path) -> list[tuple[str, str]]:
    return [served_page(server, path) for path in SERVED_PATHS] + published_pages(site)


# --- links ---------------------------------------------------------------------------------


# The heading of each entity's page: the entity's schema:name, hidden characters and all.
HEADINGS = {
    "paper/one": "First \u202etitle",
    "paper/two": "Second title",
    "person/ann-bee": "Ann \u202eBee",
    "person/carl-dee": "Carl Dee",
    "venue/rtl": "Journal \u202eof Tests",
    "list/hostile": "hostile\u202e.txt",
    "notes": "Notes \u202ehere",
    "list/javascript:alert(10)": "A list named like a script",
}


def test_the_hostile_entities_are_served_and_published(server: KgServer, site: Path) -> None:
    assert list(HEADINGS) == SERVED_PATHS[:-2]
    for path, heading in HEADINGS.items():
        status, _, body = request(server.url + path, accept=BROWSER_ACCEPT)
        assert status == 200, path
        assert [h1.text for h1 in Page(body.decode("utf-8")).find("h1")] == [heading], path
    for path in ("paper/one", "person/ann-bee"):
        published = Page((site / f"{path}.html").read_text("utf-8"))
        assert [h1.text for h1 in published.find("h1")] == [HEADINGS[path]], path


def test_only_http_iris_become_links(server: KgServer, site: Path) -> None:
    for url, html in all_pages(server, site):
        page = Page(html)
        assert page.problems == [], url
        for target in page.urls():
            if target == "data:,":  # kg serve's pages' own empty icon: no request for one
                continue
            scheme = urlsplit(urljoin(url, target)).scheme
            assert scheme in ("http", "https"), f"{url}: {target}"


def test_hostile_iris_are_shown_as_text(server: KgServer, site: Path) -> None:
    shown = {
        url: "".join(e.text for e in Page(html).find("body"))
        for url, html in all_pages(server, site)
    }
    one = [text for url, text in shown.items() if url.endswith(("paper/one", "paper/one.html"))]
    assert len(one) == 2  # served and published
    for text in one:
        for iri in HOSTILE_IRIS[:3]:
            assert iri in text
    (listed,) = [text for url, text in shown.items() if url.endswith("list/hostile")]
    assert "javascript:alert(5)" in listed and "JAVASCRIPT:alert(6)" in listed


def test_a_path_like_a_scheme_under_the_base_stays_a_path(server: KgServer) -> None:
    """``{base}javascript:alert(8)`` linked from a page one level deep, and the formats of
    ``{base}list/javascript:alert(10)``: relative links that a browser would have read as
    ``javascript:`` URLs without their ``./``."""
    _, html = served_page(server, "notes")
    assert 'href="./javascript:alert(8)"' in html
    _, html = served_page(server, "list/javascript:alert(10)")
    assert 'href="./javascript:alert(10).ttl"' in html


# --- bidi isolation ------------------------------------------------------------------------


class UnisolatedText(HTMLParser):
    """The texts of a page that hold a bidi control outside an isolating element: a
    ``<bdi>``, an SVG label's name (``tspan.name``, ``unicode-bidi: isolate``), script or
    style; in the document's title, where no markup can go, between U+2068 and U+2069. The
    pictures' tooltips (SVG ``<title>``) are left out: their texts are made in Python
    (kg.site.network), whole sentences naming two people, not data next to data."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self.checked = 0
        self._open: list[tuple[str, dict[str, str | None]]] = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in VOID_ELEMENTS:
            self._open.append((tag, dict(attrs)))

    def handle_endtag(self, tag: str) -> None:
        while self._open and self._open.pop()[0] != tag:
            pass

    def handle_data(self, data: str) -> None:
        if not BIDI & set(data):
            return
        self.checked += 1
        tags = [tag for tag, _ in self._open]
        if {"bdi", "script", "style"} & set(tags):
            return
        if any(tag == "tspan" and attrs.get("class") == "name" for tag, attrs in self._open):
            return
        if tags[-1] == "title" and "svg" in tags:
            return
        if tags[-1] == "title" and all(
            "\u2068" in data[:index] and "\u2069" in data[index:]
            for index, char in enumerate(data)
            if char in BIDI
        ):
            return
        self.found.append(f"<{'><'.join(tags)}> {data!r}")


def test_every_data_text_with_a_bidi_control_is_isolated(server: KgServer, site: Path) -> None:
    checked = 0
    for url, html in all_pages(server, site):
        page = UnisolatedText(html)
        assert page.found == [], url
        checked += page.checked
    # Names, titles, venue, list and keyword in the byline, headings, lists, title bars,
    # labels and tables of 15 pages.
    assert checked > 40


def test_the_text_after_an_override_stays_after_it(server: KgServer, site: Path) -> None:
    """In the byline, the overriding name is a closed ``<bdi>``: the comma and the next
    author come after it, outside it."""
    served = served_page(server, "paper/one")[1]
    published = (site / "paper" / "one.html").read_text("utf-8")
    for html in (served, published):
        byline = html.split('<p class="byline">', 1)[1].split("</p>", 1)[0]
        assert "<bdi>Ann \u202eBee</bdi></a>, <a " in byline, byline
        assert byline.endswith("<bdi>Carl Dee</bdi></a>")
    label = published_pages(site)
    (index,) = [html for url, html in label if url.endswith("/index.html")]
    assert '<tspan class="name">Ann \u202eBee</tspan> · 2</text>' in index
