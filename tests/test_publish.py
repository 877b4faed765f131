"""kg publish: a static site whose pages embed exactly the graph's triples as JSON-LD.

The embedded JSON-LD is read back the way a crawler reads it (html.parser finds the script
element, pyld expands it with the pinned schema.org context, nothing fetched) and compared
triple for triple with the graph. Besides the text-list sample, a rich graph built from the
BibTeX and CSL-JSON exporter fixtures (kinds of work, dates, DOIs, arXiv IDs, venues,
keywords) and a graph of bibliographies without any owner are published.
"""

from __future__ import annotations

import gzip
import json
import math
import os
import re
import shutil
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urljoin, urlsplit

import pyoxigraph as ox
import pytest
from conftest import RICH_INPUTS
from pyld import jsonld

from kg.errors import ConfigError, ExportError, InputError
from kg.iris import IriScheme
from kg.pipeline import build
from kg.rdfio import SCHEMA_ORG_CONTEXT_URLS, load_store
from kg.resources import context_path
from kg.site import PublishReport, SiteSettings, entity_jsonld, entity_page, publish
from kg.site.network import MAX_PEOPLE

REPO = Path(__file__).resolve().parent.parent
SAMPLE = REPO / "exports" / "graph.nt"
DUMPS = [REPO / "exports" / name for name in ("graph.ttl", "graph.jsonld", "graph.nt")]
TWO_LISTS = REPO / "tests" / "data" / "golden" / "two-lists.ttl"
DATA = REPO / "tests" / "data"
BIBLIOGRAPHIES = sorted(p for p in (DATA / "bibtex").glob("*.bib") if p.name != "malformed.bib")
SCHEMA = "http://schema.org/"
BIBO = "http://purl.org/ontology/bibo/"
RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
VOID = "http://rdfs.org/ns/void#"
DCTERMS = "http://purl.org/dc/terms/"
FOAF = "http://xmlns.com/foaf/0.1/"
DCAT = "http://www.w3.org/ns/dcat#"
XSD = "http://www.w3.org/2001/XMLSchema#"
KG = "https://example.org/kg/"
OWNER = f"{KG}person/maxime-peyrard"

PAPER_TERMS = (
    "name",
    "abstract",
    "author",
    "sameAs",
    "datePublished",
    "identifier",
    "pagination",
    "keywords",
    "url",
    "inSupportOf",
    "isPartOf",
)
PERSON_TERMS = ("name", "givenName", "familyName", "alternateName", "sameAs")
AUTHOR_TERMS = ("name", "givenName", "familyName", "sameAs")
VENUE_TERMS = ("name",)
# How schema.org's own context (https://schema.org/docs/jsonldcontext.jsonld) reads these
# terms, beyond kg's pinned copy: a bare string would be an IRI or a schema:Date there.
SCHEMA_ORG_COERCIONS = {
    "isPartOf": {"@id": "schema:isPartOf", "@type": "@id"},
    "datePublished": {"@id": "schema:datePublished", "@type": "Date"},
    "Date": {"@id": "schema:Date"},
}
KIND_NAMES = {
    "ScholarlyArticle": "Article",
    "Chapter": "Chapter",
    "Book": "Book",
    "Thesis": "Thesis",
    "Report": "Report",
}

TITLE = '</script><script>alert(1)</script> & <!-- "x"'
ABSTRACT = "Line one\u2028line two </SCRIPT > <!-- the end -->"
HOSTILE = r"""
@prefix schema: <http://schema.org/> .
@prefix prov: <http://www.w3.org/ns/prov#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
<https://example.org/kg/paper/evil> a schema:ScholarlyArticle,
        <http://purl.org/ontology/bibo/Document> ;
    schema:name "</script><script>alert(1)</script> & <!-- \"x\"" ;
    schema:abstract "Line one\u2028line two </SCRIPT > <!-- the end -->"@en ;
    schema:author <https://example.org/kg/person/ada-lovelace>,
        <https://example.org/kg/person/bob> ;
    prov:qualifiedAttribution <https://example.org/kg/paper/evil#author-1>,
        <https://example.org/kg/paper/evil#author-2> ;
    rdfs:seeAlso <javascript:alert(1)>, <https://example.org/code> .
<https://example.org/kg/paper/evil#author-1> schema:position 1 ;
    prov:agent <https://example.org/kg/person/bob> .
<https://example.org/kg/paper/evil#author-2> schema:position 2 ;
    prov:agent <https://example.org/kg/person/ada-lovelace> .
<https://example.org/kg/person/ada-lovelace> a schema:Person ;
    schema:name "Ada <b>Lovelace</b>" ; schema:givenName "Ada" ;
    schema:familyName "<b>Lovelace</b>" .
<https://example.org/kg/person/bob> a schema:Person, <http://schema.org/Odd:Type> ;
    schema:name "Bob & \"Co\" \u2029" ;
    schema:familyName "Co"^^<http://www.w3.org/2001/XMLSchema#token> ;
    schema:alternateName <https://example.org/names/bob>, "Bobby" .
<https://example.org/elsewhere/paper?id=7> a schema:ScholarlyArticle,
        <http://purl.org/ontology/bibo/Document> ;
    schema:name "A paper whose IRI is no file name" ;
    schema:author <https://example.org/kg/person/bob> .
<https://example.org/kg/paper/evil> schema:isPartOf <https://example.org/kg/venue/evil> ;
    schema:keywords "<img src=x onerror=alert(1)>", "R&D" ;
    schema:datePublished "soon" ;
    schema:url <javascript:alert(2)>, "not an IRI" ;
    schema:pagination "1--<b>2</b>" ;
    <http://purl.org/ontology/bibo/doi> "10.1000/<b>x</b>\"y#z" ;
    <https://w3id.org/kg-tool/vocab#authorListTruncated> true .
<https://example.org/kg/venue/evil> a schema:Periodical ;
    schema:name "</script><b>Journal</b> of <!-- X --> & Y" .
"""
VENUE_NAME = "</script><b>Journal</b> of <!-- X --> & Y"
PUBLISHER = SiteSettings(publisher_name="A & B <lab>")


# --- reading pages the way a crawler does -------------------------------------------------

VOID_ELEMENTS = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta"}


@dataclass
class Element:
    tag: str
    attrs: dict[str, str]
    text: str
    ancestors: tuple[str, ...]


class Page(HTMLParser):
    """The elements of an HTML page, with the nesting errors the parser met."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.doctype: str | None = None
        self.elements: list[Element] = []
        self.problems: list[str] = []
        self._open: list[tuple[str, dict[str, str], list[str]]] = []
        self.feed(html)
        self.close()
        if self._open:
            self.problems.append(f"never closed: {[tag for tag, _, _ in self._open]}")

    def handle_decl(self, decl: str) -> None:
        self.doctype = decl

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {name: value or "" for name, value in attrs}
        if tag in VOID_ELEMENTS:
            self.elements.append(Element(tag, attributes, "", self._ancestors()))
        else:
            self._open.append((tag, attributes, []))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {name: value or "" for name, value in attrs}
        self.elements.append(Element(tag, attributes, "", self._ancestors()))

    def handle_endtag(self, tag: str) -> None:
        if not self._open or self._open[-1][0] != tag:
            self.problems.append(f"unexpected </{tag}>")
            return
        name, attributes, parts = self._open.pop()
        self.elements.append(Element(name, attributes, "".join(parts), self._ancestors()))

    def handle_data(self, data: str) -> None:
        for _, _, parts in self._open:
            parts.append(data)

    def _ancestors(self) -> tuple[str, ...]:
        return tuple(tag for tag, _, _ in self._open)

    def find(self, tag: str) -> list[Element]:
        return [element for element in self.elements if element.tag == tag]

    def jsonld(self) -> list[str]:
        return [e.text for e in self.find("script") if e.attrs.get("type") == "application/ld+json"]

    def urls(self) -> list[str]:
        return [e.attrs[name] for e in self.elements for name in ("href", "src") if name in e.attrs]


def pinned_loader(url: str, options: object = None) -> dict[str, Any]:
    """pyld's document loader: the pinned schema.org context, and nothing from the network."""
    if url not in SCHEMA_ORG_CONTEXT_URLS:
        raise AssertionError(f"the JSON-LD asks a consumer to fetch {url}")
    document = json.loads(context_path("schema.org.jsonld").read_text(encoding="utf-8"))
    return {"contextUrl": None, "documentUrl": url, "document": document}


def coercing_loader(url: str, options: object = None) -> dict[str, Any]:
    """The pinned context with schema.org's own coercions of ``isPartOf`` and dates."""
    loaded = pinned_loader(url, options)
    loaded["document"]["@context"].update(SCHEMA_ORG_COERCIONS)
    return loaded


def extracted(document: Any, loader: Any = pinned_loader) -> set[ox.Triple]:
    """The triples a JSON-LD processor reads from ``document``."""
    nquads = jsonld.to_rdf(document, {"format": "application/n-quads", "documentLoader": loader})
    return {quad.triple for quad in ox.parse(nquads, ox.RdfFormat.N_QUADS)}


def graph_triples(store: ox.Store, subject: str, terms: tuple[str, ...]) -> set[ox.Triple]:
    """The graph's triples of ``subject``: its schema.org types and ``terms``."""
    node = ox.NamedNode(subject)
    found = {
        quad.triple
        for quad in store.quads_for_pattern(node, RDF_TYPE, None)
        if quad.object.value.startswith(SCHEMA)
    }
    for term in terms:
        found |= {
            q.triple for q in store.quads_for_pattern(node, ox.NamedNode(SCHEMA + term), None)
        }
    return found


def expected_triples(store: ox.Store, iri: str, kind: str) -> set[ox.Triple]:
    """What the page of ``iri`` claims: a person's names; a venue's types and name; a paper's
    properties, with its authors' names and its venue's types and name."""
    if kind == "person":
        return graph_triples(store, iri, PERSON_TERMS)
    if kind == "venue":
        return graph_triples(store, iri, VENUE_TERMS)
    triples = graph_triples(store, iri, PAPER_TERMS)
    for term, terms in (("author", AUTHOR_TERMS), ("isPartOf", VENUE_TERMS)):
        for quad in store.quads_for_pattern(ox.NamedNode(iri), ox.NamedNode(SCHEMA + term), None):
            if isinstance(quad.object, ox.NamedNode):
                triples |= graph_triples(store, quad.object.value, terms)
    return triples


def instances(store: ox.Store, kind: str) -> list[str]:
    rows = store.query(f"SELECT ?s WHERE {{ ?s a <{SCHEMA}{kind}> }}")
    return sorted(row["s"].value for row in rows)


def works(store: ox.Store) -> list[str]:
    rows = store.query(f"SELECT ?s WHERE {{ ?s a <{BIBO}Document> }}")
    return sorted(row["s"].value for row in rows)


def venues(store: ox.Store) -> dict[str, list[str]]:
    """Each venue (what works are part of) and its works."""
    held: dict[str, list[str]] = {}
    for paper in works(store):
        for quad in store.quads_for_pattern(
            ox.NamedNode(paper), ox.NamedNode(SCHEMA + "isPartOf"), None
        ):
            held.setdefault(quad.object.value, []).append(paper)
    return held


def pages_of(store: ox.Store) -> list[tuple[str, str]]:
    """Every page a site of ``store`` has, as (IRI, kind)."""
    return [
        *((iri, "paper") for iri in works(store)),
        *((iri, "person") for iri in instances(store, "Person")),
        *((iri, "venue") for iri in venues(store)),
    ]


def values(store: ox.Store, iri: str, prop: str) -> list[ox.NamedNode | ox.Literal]:
    found = [q.object for q in store.quads_for_pattern(ox.NamedNode(iri), ox.NamedNode(prop), None)]
    return sorted((o for o in found if isinstance(o, ox.NamedNode | ox.Literal)), key=str)


def built(inputs: list[Path], folder: Path) -> ox.Store:
    """The graph ``kg build`` makes of ``inputs`` (validated, written, read back)."""
    build(inputs, folder, IriScheme())
    return load_store([folder / "graph.nt"])


def check_pages_embed_exactly_the_graph(store: ox.Store, site: Path) -> None:
    """Every page's JSON-LD (embedded, beside it, and as Turtle) holds exactly the graph's
    triples of what it claims, read with kg's pinned context and with schema.org's own."""
    for iri, kind in pages_of(store):
        path = page_of(site, iri, kind)
        (embedded,) = Page(path.read_text(encoding="utf-8")).jsonld()
        data = json.loads(embedded)
        assert (data["@context"], data["@id"]) == ("https://schema.org", iri)
        expected = expected_triples(store, iri, kind)
        assert extracted(data) == expected, iri
        assert extracted(data, coercing_loader) == expected, iri
        assert json.loads(path.with_suffix(".jsonld").read_text(encoding="utf-8")) == data
        turtle = path.with_suffix(".ttl").read_bytes()
        assert {q.triple for q in ox.parse(turtle, ox.RdfFormat.TURTLE)} == expected, iri


def authors_by_position(store: ox.Store, paper: str) -> list[str]:
    query = f"""
        PREFIX prov: <http://www.w3.org/ns/prov#>
        SELECT ?person WHERE {{
          <{paper}> prov:qualifiedAttribution ?a . ?a <{SCHEMA}position> ?pos ; prov:agent ?person
        }} ORDER BY ?pos"""
    return [row["person"].value for row in store.query(query)]


def page_of(site: Path, iri: str, kind: str) -> Path:
    return site / kind / f"{iri.rsplit('/', 1)[1]}.html"


def snapshot(folder: Path) -> dict[str, bytes]:
    return {
        str(path.relative_to(folder)): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def broken_links(site: Path) -> list[str]:
    """Every href/src of every page that does not lead to a file of the site."""
    broken = []
    for page in sorted(site.rglob("*.html")):
        for url in Page(page.read_text(encoding="utf-8")).urls():
            parts = urlsplit(url)
            if parts.scheme in {"http", "https"}:
                continue  # a link to elsewhere (Wikidata, a code repository, canonical URL)
            if parts.scheme or url.startswith("/"):
                broken.append(f"{page.relative_to(site)}: {url} is not relative")
                continue
            target = (page.parent / unquote(parts.path)).resolve()
            if not target.is_file() or site.resolve() not in target.parents:
                broken.append(f"{page.relative_to(site)}: {url}")
    return broken


# --- fixtures -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sample_store() -> ox.Store:
    return load_store([SAMPLE])


@pytest.fixture(scope="module")
def sample_site(
    sample_store: ox.Store, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, PublishReport]:
    out = tmp_path_factory.mktemp("published") / "site"
    return out, publish(sample_store, out, dumps=DUMPS)


@pytest.fixture(scope="module")
def hostile_site(tmp_path_factory: pytest.TempPathFactory) -> tuple[ox.Store, Path]:
    store = ox.Store()
    store.load(HOSTILE.encode(), format=ox.RdfFormat.TURTLE)
    out = tmp_path_factory.mktemp("hostile") / "site"
    publish(store, out, config=PUBLISHER)
    return store, out


@pytest.fixture(scope="module")
def rich_site(tmp_path_factory: pytest.TempPathFactory) -> tuple[ox.Store, Path]:
    """The graph of the exporter fixtures and the sample list, published."""
    folder = tmp_path_factory.mktemp("rich")
    store = built(RICH_INPUTS, folder / "exports")
    publish(store, folder / "site")
    return store, folder / "site"


def copy_of(store: ox.Store) -> ox.Store:
    copy = ox.Store()
    copy.extend(list(store))
    return copy


# --- the site -------------------------------------------------------------------------------


def test_index_lists_every_paper_and_the_owner(
    sample_store: ox.Store, sample_site: tuple[Path, PublishReport]
) -> None:
    site, report = sample_site
    page = Page((site / "index.html").read_text(encoding="utf-8"))
    papers = instances(sample_store, "ScholarlyArticle")
    persons = instances(sample_store, "Person")
    assert (len(papers), len(persons)) == (10, 46)
    links = {e.attrs["href"]: e.text for e in page.find("a") if "href" in e.attrs}
    for paper in papers:
        (title,) = [
            q.object.value
            for q in sample_store.quads_for_pattern(
                ox.NamedNode(paper), ox.NamedNode(SCHEMA + "name"), None
            )
        ]
        assert links[f"paper/{paper.rsplit('/', 1)[1]}.html"] == title
    byline = next(e for e in page.find("p") if "byline" in e.attrs.get("class", ""))
    assert "Maxime Peyrard" in byline.text
    assert sorted(p.name for p in (site / "paper").glob("*.html")) == sorted(
        f"{iri.rsplit('/', 1)[1]}.html" for iri in papers
    )
    assert sorted(p.name for p in (site / "person").glob("*.html")) == sorted(
        f"{iri.rsplit('/', 1)[1]}.html" for iri in persons
    )
    pairs = sample_store.query(
        f"SELECT (COUNT(DISTINCT CONCAT(STR(?a), ' ', STR(?b))) AS ?n) WHERE {{ "
        f"?p <{SCHEMA}author> ?a, ?b . ?a a <{SCHEMA}Person> . ?b a <{SCHEMA}Person> . "
        "FILTER(STR(?a) < STR(?b)) }"
    )
    links_count = int(next(iter(pairs))["n"].value)
    (stats,) = [e for e in page.find("ul") if e.attrs.get("class") == "stats"]
    assert (report.papers, report.persons, report.coauthor_links) == (10, 46, links_count)
    assert re.findall(r"\d+", stats.text) == ["10", "46", str(links_count)]
    assert report.triples == len(SAMPLE.read_text(encoding="utf-8").splitlines())
    assert set(report.files) == {p for p in site.rglob("*") if p.is_file()}


def test_the_network_has_the_owner_in_the_middle_and_close_friends_near(
    sample_store: ox.Store, sample_site: tuple[Path, PublishReport]
) -> None:
    site, _ = sample_site
    page = Page((site / "index.html").read_text(encoding="utf-8"))
    (svg,) = page.find("svg")
    assert "figure" in svg.ancestors
    circles = [e for e in page.find("circle") if "svg" in e.ancestors]
    (centre,) = [c for c in circles if "centre" in c.attrs["class"].split()]
    assert (centre.attrs["cx"], centre.attrs["cy"]) == ("0", "0")
    (label,) = [e for e in page.find("text") if "centre-label" in e.attrs.get("class", "")]
    assert label.text == "Maxime Peyrard"
    others = [c for c in circles if c is not centre]
    assert len(others) == 45  # every co-author, around the owner
    # The people with most papers together (bigger dots) are nearer than everybody else;
    # lines are wider the more papers two people share.
    dots = sorted(
        (float(c.attrs["r"]), math.hypot(float(c.attrs["cx"]), float(c.attrs["cy"])))
        for c in others
    )
    smallest = dots[0][0]
    near = [distance for r, distance in dots if r > smallest]
    far = [distance for r, distance in dots if r == smallest]
    assert len(near) == 4 and min(near) > 50 and max(near) < min(far)
    spokes = [e for e in page.find("path") if e.attrs.get("class") == "spoke"]
    width_by_papers = sorted(
        (int(s.text.split(": ")[1].split()[0]), float(s.attrs["stroke-width"])) for s in spokes
    )
    assert len(spokes) == 45
    assert [w for _, w in width_by_papers] == sorted(w for _, w in width_by_papers)
    assert width_by_papers[0][1] < width_by_papers[-1][1]
    together = dict(
        (row["name"].value, int(row["n"].value))
        for row in sample_store.query(
            f"SELECT ?name (COUNT(?p) AS ?n) WHERE {{ ?p <{SCHEMA}author> <{OWNER}>, ?x . "
            f"?x <{SCHEMA}name> ?name FILTER(?x != <{OWNER}>) }} GROUP BY ?name"
        )
    )
    groups = [e for e in page.elements if e.tag == "a" and "svg" in e.ancestors]
    labelled = {g.text.split(":")[0].strip() for g in groups if "·" in g.text}
    assert labelled == {name for name, count in together.items() if count >= 2}


def test_several_lists_put_the_first_owner_in_the_middle_and_say_so(tmp_path: Path) -> None:
    out = tmp_path / "site"
    publish(load_store([TWO_LISTS]), out)
    page = Page((out / "index.html").read_text(encoding="utf-8"))
    (label,) = [e for e in page.find("text") if "centre-label" in e.attrs.get("class", "")]
    assert label.text == "Maxime Peyrard"  # person/maxime-peyrard sorts before person/robert-west
    (caption,) = page.find("figcaption")
    assert "2 lists" in caption.text and "first owner" in caption.text
    owners = [c for c in page.find("circle") if c.attrs["class"] == "dot owner"]
    assert len(owners) == 1
    assert "Publications of Maxime Peyrard and Robert West" in page.find("h1")[0].text


def test_pages_are_html5_with_language_charset_title_and_nothing_external(
    sample_site: tuple[Path, PublishReport],
) -> None:
    site, _ = sample_site
    for path in sorted(site.rglob("*.html")):
        text = path.read_text(encoding="utf-8")
        page = Page(text)
        assert page.doctype == "DOCTYPE html", path
        assert page.problems == [], path
        (html,) = page.find("html")
        assert html.attrs.get("lang") == "en"
        assert any(m.attrs.get("charset") == "utf-8" for m in page.find("meta"))
        (title,) = [t for t in page.find("title") if t.ancestors == ("html", "head")]
        assert title.text.strip()
        assert not [e for e in page.elements if "src" in e.attrs], path
        assert all(not urlsplit(link.attrs["href"]).scheme for link in page.find("link")), (
            path
        )  # no stylesheet, font or script from elsewhere
        assert "@import" not in text and "url(" not in text


# --- the JSON-LD ----------------------------------------------------------------------------


def test_every_page_embeds_exactly_the_graph_triples(
    sample_store: ox.Store, sample_site: tuple[Path, PublishReport]
) -> None:
    site, _ = sample_site
    pages = [(iri, "paper") for iri in instances(sample_store, "ScholarlyArticle")]
    pages += [(iri, "person") for iri in instances(sample_store, "Person")]
    assert len(pages) == 56
    for iri, kind in pages:
        path = page_of(site, iri, kind)
        (embedded,) = Page(path.read_text(encoding="utf-8")).jsonld()
        data = json.loads(embedded)
        assert data["@context"] == "https://schema.org"
        assert data["@id"] == iri
        assert data["@type"] == ("ScholarlyArticle" if kind == "paper" else "Person")
        expected = expected_triples(sample_store, iri, kind)
        assert extracted(data) == expected, iri
        beside = json.loads(path.with_suffix(".jsonld").read_text(encoding="utf-8"))
        assert beside == data
        turtle = path.with_suffix(".ttl").read_bytes()
        assert {q.triple for q in ox.parse(turtle, ox.RdfFormat.TURTLE)} == expected, iri


def test_authors_come_in_author_order(
    sample_store: ox.Store, sample_site: tuple[Path, PublishReport]
) -> None:
    site, _ = sample_site
    for paper in instances(sample_store, "ScholarlyArticle"):
        page = Page(page_of(site, paper, "paper").read_text(encoding="utf-8"))
        data = json.loads(page.jsonld()[0])
        in_order = authors_by_position(sample_store, paper)
        assert [author["@id"] for author in data["author"]] == in_order
        assert all(author["@type"] == "Person" for author in data["author"])
        byline = next(e for e in page.find("p") if e.attrs.get("class") == "byline")
        links = [e.attrs["href"] for e in page.elements if e.tag == "a" and "p" in e.ancestors]
        assert links[: len(in_order)] == [
            f"../person/{iri.rsplit('/', 1)[1]}.html" for iri in in_order
        ]
        assert byline.text.count(",") == len(in_order) - 1


def test_entity_functions_give_what_the_site_holds(
    sample_store: ox.Store, sample_site: tuple[Path, PublishReport]
) -> None:
    site, _ = sample_site
    for kind, iris in (
        ("paper", instances(sample_store, "ScholarlyArticle")),
        ("person", instances(sample_store, "Person")),
    ):
        for iri in iris:
            path = page_of(site, iri, kind)
            assert entity_page(sample_store, iri, root="../") == path.read_text(encoding="utf-8")
            saved = json.loads(path.with_suffix(".jsonld").read_text(encoding="utf-8"))
            assert entity_jsonld(sample_store, iri) == saved
    for unknown in (f"{KG}list/peyrard", f"{KG}paper/nothing", "not an IRI", "<x> } ASK {"):
        assert entity_jsonld(sample_store, unknown) is None
        assert entity_page(sample_store, unknown, root="") is None


def test_a_same_as_link_reaches_the_json_ld_and_the_page(
    sample_store: ox.Store, tmp_path: Path
) -> None:
    store = copy_of(sample_store)
    paper = instances(store, "ScholarlyArticle")[0]
    wikidata = "http://www.wikidata.org/entity/Q1"
    store.add(ox.Quad(ox.NamedNode(paper), ox.NamedNode(SCHEMA + "sameAs"), ox.NamedNode(wikidata)))
    data = entity_jsonld(store, paper)
    assert data is not None and data["sameAs"] == wikidata
    publish(store, tmp_path / "site")
    page = Page(page_of(tmp_path / "site", paper, "paper").read_text(encoding="utf-8"))
    assert json.loads(page.jsonld()[0])["sameAs"] == wikidata
    (link,) = [e for e in page.find("a") if e.attrs.get("href") == wikidata]
    assert link.text == "Wikidata Q1"
    triples = extracted(json.loads(page.jsonld()[0]))
    assert (
        ox.Triple(ox.NamedNode(paper), ox.NamedNode(SCHEMA + "sameAs"), ox.NamedNode(wikidata))
        in triples
    )
    assert triples == expected_triples(store, paper, "paper")


# --- works: kinds, dates, identifiers, venues ----------------------------------------------


def paper_page(site: Path, slug: str) -> Page:
    return Page((site / "paper" / f"{slug}.html").read_text(encoding="utf-8"))


def by_class(page: Page, tag: str, name: str) -> list[Element]:
    return [e for e in page.find(tag) if name in e.attrs.get("class", "").split()]


def test_every_page_of_a_rich_graph_embeds_exactly_the_graph_triples(
    rich_site: tuple[ox.Store, Path],
) -> None:
    store, site = rich_site
    check_pages_embed_exactly_the_graph(store, site)
    kinds: set[str] = set()
    for paper in works(store):
        data = json.loads(page_of(site, paper, "paper").with_suffix(".jsonld").read_text("utf-8"))
        (kind,) = [
            t.value.removeprefix(SCHEMA)
            for t in values(store, paper, RDF_TYPE.value)
            if t.value.startswith(SCHEMA)
        ]
        assert data["@type"] == kind
        kinds.add(kind)
        for date in values(store, paper, SCHEMA + "datePublished"):
            assert isinstance(date, ox.Literal)
            assert data["datePublished"] == {"@value": date.value, "@type": date.datatype.value}
        for venue in values(store, paper, SCHEMA + "isPartOf"):
            (name,) = values(store, venue.value, SCHEMA + "name")
            assert data["isPartOf"]["@id"] == venue.value
            assert data["isPartOf"]["@type"] in ("Periodical", "Book")
            assert data["isPartOf"]["name"] == name.value
    assert {"ScholarlyArticle", "Chapter", "Thesis"} <= kinds
    assert broken_links(site) == []


def test_paper_pages_show_kind_date_citation_identifiers_keywords_and_links(
    rich_site: tuple[ox.Store, Path],
) -> None:
    store, site = rich_site
    truncated = 0
    for paper in works(store):
        page = Page(page_of(site, paper, "paper").read_text(encoding="utf-8"))
        (kind,) = by_class(page, "p", "kind")
        (schema_type,) = [
            t.value.removeprefix(SCHEMA)
            for t in values(store, paper, RDF_TYPE.value)
            if t.value.startswith(SCHEMA)
        ]
        degrees = [d.value for d in values(store, paper, SCHEMA + "inSupportOf")]
        expected_kind = KIND_NAMES[schema_type] + (f" ({degrees[0]})" if degrees else "")
        assert kind.text == expected_kind, paper
        citation = " ".join(e.text for e in by_class(page, "p", "citation"))
        for date in values(store, paper, SCHEMA + "datePublished"):
            assert date.value[:4] in citation, paper
        for venue in values(store, paper, SCHEMA + "isPartOf"):
            (name,) = values(store, venue.value, SCHEMA + "name")
            (link,) = [e for e in page.find("a") if "cite" in e.ancestors]
            assert (link.text, link.attrs["href"]) == (
                name.value,
                f"../venue/{venue.value.rsplit('/', 1)[1]}.html",
            )
        links = {e.attrs["href"]: e.text for e in page.find("a")}
        for doi in values(store, paper, BIBO + "doi"):
            assert links[f"https://doi.org/{doi.value}"] == doi.value
            # The DOI's resolver link (schema:sameAs) is that link, not a second one.
            assert page.urls().count(f"https://doi.org/{doi.value}") == 1
        for identifier in values(store, paper, SCHEMA + "identifier"):
            if identifier.value.startswith("arXiv:"):
                arxiv = identifier.value.removeprefix("arXiv:")
                assert links[f"https://arxiv.org/abs/{arxiv}"] == arxiv
        shown = [e.text for e in by_class(page, "span", "keyword")]
        assert shown == [k.value for k in values(store, paper, SCHEMA + "keywords")]
        for url in values(store, paper, SCHEMA + "url"):
            assert url.value in page.urls() or url.value.replace("http:", "https:") in page.urls()
        (byline,) = by_class(page, "p", "byline")
        cut = values(store, paper, "https://w3id.org/kg-tool/vocab#authorListTruncated")
        assert byline.text.endswith(", et al.") == bool(cut), paper
        truncated += bool(cut)
    assert truncated == 1

    def citation(slug: str) -> str:
        (line,) = by_class(paper_page(site, slug), "p", "citation")
        return line.text

    # References as people print them, each date at the precision the source gave.
    assert citation("segmenting-speech-without-transcripts") == (
        "Trans. Assoc. Comput. Linguistics 10(3), 812\u2013829, 2022"
    )
    assert citation("measuring-co2-uptake-with-in-situ-sensors") == (
        "Journal of Environmental Sensing 18(3), 211\u2013229, 14 March 2022"
    )
    assert citation("segmenting-agglutinative-verbs-without-supervision") == (
        "Proceedings of the 12th Workshop on Computational Morphology, 45\u201353, July 2023"
    )
    assert citation("inflectbench-a-benchmark-for-paradigm-completion") == "2 May 2023"
    index = Page((site / "index.html").read_text(encoding="utf-8"))
    details = [e.text for e in by_class(index, "span", "details")]
    assert "Thesis (PhD), 2018" in details
    assert "Trans. Assoc. Comput. Linguistics, 2022" in details


def test_venues_have_pages_listing_their_works(rich_site: tuple[ox.Store, Path]) -> None:
    store, site = rich_site
    held = venues(store)
    assert len(held) == 8
    assert sorted(p.name for p in (site / "venue").glob("*.html")) == sorted(
        f"{venue.rsplit('/', 1)[1]}.html" for venue in held
    )
    for venue, papers in held.items():
        page = Page(page_of(site, venue, "venue").read_text(encoding="utf-8"))
        (name,) = values(store, venue, SCHEMA + "name")
        assert page.find("h1")[0].text == name.value
        (kind,) = values(store, venue, RDF_TYPE.value)
        expected = {SCHEMA + "Periodical": "Journal", SCHEMA + "Book": "Book"}[kind.value]
        assert by_class(page, "p", "kind")[0].text == expected
        listed = [
            e.attrs["href"]
            for e in page.find("a")
            if "li" in e.ancestors and e.attrs["href"].startswith("../paper/")
        ]
        assert sorted(listed) == sorted(f"../paper/{p.rsplit('/', 1)[1]}.html" for p in papers)
        assert entity_page(store, venue, root="../") == page_of(site, venue, "venue").read_text(
            encoding="utf-8"
        )


def test_a_rich_graph_gives_the_same_bytes_whatever_the_hash_seed(
    rich_site: tuple[ox.Store, Path], tmp_path: Path
) -> None:
    _, site = rich_site
    graph = site.parent / "exports" / "graph.nt"
    script = (
        "import sys; from pathlib import Path; from kg.rdfio import load_store; "
        "from kg.site import publish; publish(load_store([Path(sys.argv[1])]), Path(sys.argv[2]))"
    )
    out = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-c", script, str(graph), str(out)],
        env={**os.environ, "PYTHONHASHSEED": "4242"},
        check=True,
        timeout=60,
    )
    assert snapshot(out) == snapshot(site)


def test_bibliographies_without_an_owner_get_an_index_and_a_network(tmp_path: Path) -> None:
    store = built(BIBLIOGRAPHIES, tmp_path / "exports")
    assert not list(store.quads_for_pattern(None, ox.NamedNode(SCHEMA + "about"), None))
    site = tmp_path / "site"
    report = publish(store, site)
    # The World Health Organization authors one of them: it gets a page like a person.
    papers = works(store)
    persons = instances(store, "Person") + instances(store, "Organization")
    assert len(instances(store, "Organization")) == 1
    assert (report.papers, report.persons) == (len(papers), len(persons)) == (20, 16)
    index = Page((site / "index.html").read_text(encoding="utf-8"))
    assert index.problems == []
    assert index.find("h1")[0].text == "Publications"
    (byline,) = by_class(index, "p", "byline")
    assert byline.text.startswith(f"From {len(BIBLIOGRAPHIES)} bibliographies: acl-anthology.bib")
    links = {e.attrs["href"] for e in index.find("a")}
    assert {f"paper/{p.rsplit('/', 1)[1]}.html" for p in papers} <= links
    # The most prolific person is in the middle and everybody else around: those who wrote
    # with them joined by a line, the others on the outer circle without one.
    author = ox.NamedNode(SCHEMA + "author")
    made = Counter(q.object.value for q in store.quads_for_pattern(None, author, None))
    centre = min(persons, key=lambda person: (-made[person], person))
    (name,) = values(store, centre, SCHEMA + "name")
    (label,) = by_class(index, "text", "centre-label")
    assert label.text == name.value
    together = {
        row["other"].value
        for row in store.query(
            f"SELECT DISTINCT ?other WHERE {{ ?p <{SCHEMA}author> <{centre}>, ?other . "
            f"?other a <{SCHEMA}Person> FILTER(?other != <{centre}>) }}"
        )
    }
    assert 0 < len(together) < len(persons) - 1 < MAX_PEOPLE
    dots = [c for c in index.find("circle") if "svg" in c.ancestors]
    assert len(dots) == len(persons)
    assert len([e for e in index.find("path") if e.attrs.get("class") == "spoke"]) == len(together)
    (caption,) = index.find("figcaption")
    apart = len(persons) - 1 - len(together)
    assert "No list names an owner" in caption.text
    assert f"the {apart} people who never wrote with them" in caption.text
    check_pages_embed_exactly_the_graph(store, site)
    assert broken_links(site) == []


# --- hostile text ---------------------------------------------------------------------------


def test_no_title_breaks_out_of_the_script_element(
    hostile_site: tuple[ox.Store, Path],
) -> None:
    store, site = hostile_site
    text = (site / "paper" / "evil.html").read_text(encoding="utf-8")
    page = Page(text)
    assert page.problems == []
    scripts = page.find("script")
    assert len(scripts) == 1
    assert text.lower().count("</script") == len(scripts)
    assert "<!--" not in text
    (embedded,) = page.jsonld()
    assert "\u2028" not in embedded and "\u2029" not in embedded
    data = json.loads(embedded)
    assert data["name"] == TITLE
    assert data["abstract"] == {"@value": ABSTRACT, "@language": "en"}
    assert [author["name"] for author in data["author"]] == [
        'Bob & "Co" \u2029',
        "Ada <b>Lovelace</b>",
    ]
    assert extracted(data) == expected_triples(store, f"{KG}paper/evil", "paper")
    # The visible text is the title itself, escaped in the markup.
    assert page.find("h1")[0].text == TITLE
    assert "&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt; &amp; &lt;!-- " in text
    assert any(e.text == ABSTRACT for e in page.find("p"))


def test_names_are_escaped_everywhere_and_only_web_links_are_clickable(
    hostile_site: tuple[ox.Store, Path],
) -> None:
    _, site = hostile_site
    for path in sorted(site.rglob("*.html")):
        text = path.read_text(encoding="utf-8")
        page = Page(text)
        assert page.problems == [], path
        assert not page.find("b"), path  # "Ada <b>Lovelace</b>" stays text
        assert not [u for u in page.urls() if u.strip().lower().startswith("javascript:")]
    evil = Page((site / "paper" / "evil.html").read_text(encoding="utf-8"))
    assert [e.text for e in evil.find("code")] == ["javascript:alert(2)", "javascript:alert(1)"]
    assert "https://example.org/code" in evil.urls()
    # The venue, keywords, pages and DOI are shown as the text they are, the DOI's link
    # percent-encoded; the venue's own page is named by it.
    (citation,) = [e for e in evil.find("p") if e.attrs.get("class") == "citation"]
    assert citation.text == f"{VENUE_NAME}, 1--<b>2</b>, soon"
    assert [e.text for e in evil.find("span") if e.attrs.get("class") == "keyword"] == [
        "<img src=x onerror=alert(1)>",
        "R&D",
    ]
    (doi,) = [e for e in evil.find("a") if e.attrs["href"].startswith("https://doi.org/")]
    assert doi.text == '10.1000/<b>x</b>"y#z'
    assert doi.attrs["href"] == "https://doi.org/10.1000/%3Cb%3Ex%3C/b%3E%22y%23z"
    byline = next(e for e in evil.find("p") if e.attrs.get("class") == "byline")
    assert byline.text.endswith(", et al.")
    venue = Page((site / "venue" / "evil.html").read_text(encoding="utf-8"))
    assert venue.find("h1")[0].text == VENUE_NAME
    assert json.loads(venue.jsonld()[0])["name"] == VENUE_NAME
    assert "../paper/evil.html" in venue.urls()
    index = Page((site / "index.html").read_text(encoding="utf-8"))
    assert any(e.text == "Ada <b>Lovelace</b>" for e in index.find("text"))
    assert broken_links(site) == []


def test_any_graph_gets_pages_holding_exactly_its_triples(
    hostile_site: tuple[ox.Store, Path],
) -> None:
    store, site = hostile_site
    pages = [(iri, "paper") for iri in instances(store, "ScholarlyArticle")]
    pages += [(iri, "person") for iri in instances(store, "Person")]
    pages += [(iri, "venue") for iri in instances(store, "Periodical")]
    assert len(pages) == 5
    for iri, kind in pages:
        data = entity_jsonld(store, iri)
        assert data is not None and extracted(data) == expected_triples(store, iri, kind), iri
        # Literals under terms schema.org's context coerces ("not an IRI" as url, "soon"
        # as datePublished) stay literals there too.
        assert extracted(data, coercing_loader) == expected_triples(store, iri, kind), iri
        html = entity_page(store, iri, root="../", config=PUBLISHER)
        assert html is not None and [json.loads(text) for text in Page(html).jsonld()] == [data]
    bob = entity_jsonld(store, f"{KG}person/bob")
    assert bob is not None
    assert bob["@type"] == ["http://schema.org/Odd:Type", "Person"]  # no term can say it
    assert bob["familyName"] == {"@value": "Co", "@type": "http://www.w3.org/2001/XMLSchema#token"}
    # A paper whose IRI ends in no file name gets a page named by a hash of the IRI.
    (odd,) = [p for p in (site / "paper").glob("iri-*.html")]
    assert "A paper whose IRI is no file name" in odd.read_text(encoding="utf-8")
    index = Page((site / "index.html").read_text(encoding="utf-8"))
    assert f"paper/{odd.name}" in index.urls()
    (caption,) = index.find("figcaption")
    assert "No list names an owner" in caption.text and "Bob &" in caption.text
    assert index.find("footer")[0].text.strip() == "Published by A & B <lab> with kg."
    void = ox.Store()
    void.load(path=site / "void.ttl", format=ox.RdfFormat.TURTLE, base_iri="https://x.example/")
    (publisher,) = void.quads_for_pattern(None, ox.NamedNode(DCTERMS + "publisher"), None)
    assert isinstance(publisher.object, ox.BlankNode)
    (name,) = void.quads_for_pattern(publisher.object, ox.NamedNode(FOAF + "name"), None)
    assert name.object.value == "A & B <lab>"


def test_two_entities_that_would_share_a_page_are_refused(tmp_path: Path) -> None:
    store = ox.Store()
    store.load(
        f"""<https://a.example/paper/x> a <{BIBO}Document> ; <{SCHEMA}name> "A" .
        <https://b.example/paper/X> a <{BIBO}Document> ; <{SCHEMA}name> "B" .""",
        format=ox.RdfFormat.TURTLE,
    )
    with pytest.raises(ExportError, match="would both be paper/"):
        publish(store, tmp_path / "site")
    assert not (tmp_path / "site").exists()


def test_a_crowded_network_draws_the_closest_and_says_how_many_are_left_out(
    sample_store: ox.Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("kg.site.network.MAX_PEOPLE", 10)
    publish(sample_store, tmp_path / "site")
    page = Page((tmp_path / "site" / "index.html").read_text(encoding="utf-8"))
    people = [c for c in page.find("circle") if c.attrs["class"] == "dot"]
    assert len(people) == 10
    (caption,) = page.find("figcaption")
    assert "Only the 10 people with most papers together are drawn; 35 more are not." in " ".join(
        caption.text.split()
    )
    drawn = {e.text.split(":")[0].strip() for e in page.find("a") if "svg" in e.ancestors}
    assert {"Robert West", "Martin Josifoski", "Marija Šakota", "Saibo Geng"} <= drawn


# --- bytes, links, files --------------------------------------------------------------------


def test_the_same_graph_gives_the_same_bytes_whatever_the_hash_seed(
    sample_site: tuple[Path, PublishReport], tmp_path: Path
) -> None:
    site, _ = sample_site
    expected = snapshot(site)
    script = (
        "import sys; from pathlib import Path; from kg.rdfio import load_store; "
        "from kg.site import publish; "
        "publish(load_store([Path(sys.argv[1])]), Path(sys.argv[2]), "
        "dumps=[Path(p) for p in sys.argv[3:]])"
    )
    for seed in ("0", "4242"):
        out = tmp_path / f"seed-{seed}"
        subprocess.run(
            [sys.executable, "-c", script, str(SAMPLE), str(out), *map(str, DUMPS)],
            env={**os.environ, "PYTHONHASHSEED": seed},
            check=True,
            timeout=60,
        )
        assert snapshot(out) == expected


def test_every_link_leads_to_a_file_of_the_site(sample_site: tuple[Path, PublishReport]) -> None:
    site, _ = sample_site
    assert broken_links(site) == []
    index = Page((site / "index.html").read_text(encoding="utf-8")).urls()
    assert {"void.ttl", "graph.ttl", "graph.jsonld", "graph.nt"} <= set(index)


def test_void_counts_the_graph(
    sample_store: ox.Store, sample_site: tuple[Path, PublishReport]
) -> None:
    site, _ = sample_site
    lines = SAMPLE.read_text(encoding="utf-8").splitlines()
    classes: dict[str, set[str]] = {}
    for triple in ox.parse("\n".join(lines), ox.RdfFormat.N_TRIPLES):
        if triple.predicate == RDF_TYPE:
            classes.setdefault(triple.object.value, set()).add(str(triple.subject))
    where = "https://somewhere.example/any/path/void.ttl"  # the site works under any path
    void = ox.Store()
    void.load(path=site / "void.ttl", format=ox.RdfFormat.TURTLE, base_iri=where)
    dataset = ox.NamedNode(urljoin(where, "void.ttl#dataset"))

    def values(subject: ox.NamedNode | ox.BlankNode, prop: str) -> list[Any]:
        return [q.object for q in void.quads_for_pattern(subject, ox.NamedNode(prop), None)]

    assert values(dataset, VOID + "triples") == [
        ox.Literal(
            str(len(lines)), datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer")
        )
    ]
    partitions = {
        values(p, VOID + "class")[0].value: int(values(p, VOID + "entities")[0].value)
        for p in values(dataset, VOID + "classPartition")
    }
    assert partitions == {cls: len(subjects) for cls, subjects in classes.items()}
    assert {v.value for v in values(dataset, VOID + "vocabulary")} >= {
        SCHEMA,
        "http://xmlns.com/foaf/0.1/",
        "http://purl.org/ontology/bibo/",
        "http://www.w3.org/ns/prov#",
    }
    dumps = {v.value for v in values(dataset, VOID + "dataDump")}
    assert dumps == {urljoin(where, name) for name in ("graph.ttl", "graph.jsonld", "graph.nt")}
    for dump in DUMPS:
        assert (site / dump.name).read_bytes() == dump.read_bytes()
    assert len(values(dataset, DCAT + "distribution")) == 3
    assert values(dataset, DCTERMS + "license") == []  # none was configured
    assert not list(void.quads_for_pattern(None, ox.NamedNode(DCTERMS + "modified"), None))
    assert values(dataset, VOID + "sparqlEndpoint") == []


def test_base_url_and_settings_reach_void_and_canonical_links_only(
    sample_store: ox.Store, tmp_path: Path
) -> None:
    settings = SiteSettings(
        title="Lab papers",
        license="https://creativecommons.org/licenses/by/4.0/",
        publisher_name="dlab",
        publisher_iri="https://dlab.example.org/",
    )
    out = tmp_path / "site"
    gzipped = tmp_path / "graph.nt.gz"
    gzipped.write_bytes(gzip.compress(SAMPLE.read_bytes(), mtime=0))
    publish(
        sample_store, out, base_url="https://lab.example.org/kg", config=settings, dumps=[gzipped]
    )
    void = ox.Store()
    void.load(path=out / "void.ttl", format=ox.RdfFormat.TURTLE)
    base = "https://lab.example.org/kg/"
    dataset = ox.NamedNode(f"{base}void.ttl#dataset")

    def value(subject: ox.NamedNode, prop: str) -> str:
        (quad,) = list(void.quads_for_pattern(subject, ox.NamedNode(prop), None))
        return str(quad.object.value)

    assert value(dataset, VOID + "sparqlEndpoint") == f"{base}sparql"
    assert value(dataset, VOID + "dataDump") == f"{base}graph.nt.gz"
    distribution = ox.NamedNode(value(dataset, DCAT + "distribution"))
    assert value(distribution, DCAT + "downloadURL") == f"{base}graph.nt.gz"
    assert value(distribution, DCAT + "mediaType").endswith("/application/n-triples")
    assert value(distribution, DCAT + "compressFormat").endswith("/application/gzip")
    assert value(distribution, DCAT + "byteSize") == str(gzipped.stat().st_size)
    assert (out / "graph.nt.gz").read_bytes() == gzipped.read_bytes()
    assert value(dataset, DCTERMS + "license") == settings.license
    assert value(dataset, DCTERMS + "title") == "Lab papers"
    publisher = ox.NamedNode(value(dataset, DCTERMS + "publisher"))
    assert value(publisher, FOAF + "name") == "dlab"
    paper = instances(sample_store, "ScholarlyArticle")[0]
    page = Page(page_of(out, paper, "paper").read_text(encoding="utf-8"))
    (canonical,) = [e for e in page.find("link") if e.attrs.get("rel") == "canonical"]
    assert canonical.attrs["href"] == f"{base}paper/{paper.rsplit('/', 1)[1]}.html"
    assert page.find("title")[0].text.endswith("· Lab papers")
    index = (out / "index.html").read_text(encoding="utf-8")
    assert 'href="https://creativecommons.org/licenses/by/4.0/"' in index
    assert broken_links(out) == []


def test_a_failed_publish_leaves_the_previous_site(sample_store: ox.Store, tmp_path: Path) -> None:
    out = tmp_path / "site"
    publish(sample_store, out)
    dump = tmp_path / "zz.nt"  # shipped last, after every page was replaced
    shutil.copyfile(SAMPLE, dump)
    (out / "zz.nt").mkdir()
    (out / "zz.nt" / "in-the-way").write_text("x")
    before = snapshot(out)
    with pytest.raises(ExportError):
        # A base URL changes every page (canonical links): all must come back as they were.
        publish(sample_store, out, base_url="https://lab.example.org/", dumps=[dump])
    assert snapshot(out) == before


def test_files_the_new_site_no_longer_has_are_removed_and_only_those(
    sample_store: ox.Store, tmp_path: Path
) -> None:
    out = tmp_path / "site"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    publish(sample_store, out)
    gone = f"{KG}person/marija-sakota"
    store = ox.Store()
    store.extend(q for q in sample_store if q.subject != ox.NamedNode(gone))
    report = publish(store, out)
    stale = {out / "person" / f"marija-sakota{suffix}" for suffix in (".html", ".jsonld", ".ttl")}
    assert set(report.removed) == stale
    assert not any(path.exists() for path in stale)
    assert (out / "notes.txt").read_text() == "mine"
    assert broken_links(out) == []


def test_unusable_input_and_settings_are_refused(sample_store: ox.Store, tmp_path: Path) -> None:
    out = tmp_path / "site"
    with pytest.raises(InputError, match="no paper"):
        publish(ox.Store(), out)
    for url in ("ftp://lab.example.org/", "lab.example.org/kg/", "https://lab.example.org/?q=1"):
        with pytest.raises(ConfigError, match="base URL"):
            publish(sample_store, out, base_url=url)
    with pytest.raises(ConfigError, match="license"):
        SiteSettings(license="CC BY 4.0")
    clash = tmp_path / "void.ttl"
    clash.write_text("")
    with pytest.raises(ConfigError, match=r"void\.ttl"):
        publish(sample_store, out, dumps=[clash])
    with pytest.raises(InputError, match=r"missing\.nt"):
        publish(sample_store, out, dumps=[tmp_path / "missing.nt"])
    assert not out.exists()


def test_a_default_title_names_at_most_three_owners(tmp_path: Path) -> None:
    owners = [f"Owner{n}, Ann" for n in range(1, 6)]
    turtle = "@prefix schema: <http://schema.org/> .\n"
    for n, owner in enumerate(owners, start=1):
        family = owner.split(",")[0]
        turtle += (
            f'<https://example.org/kg/list/l{n}> a schema:Dataset ; schema:name "l{n}.txt" ;\n'
            f"  schema:about <https://example.org/kg/person/p{n}> ;\n"
            f"  schema:hasPart <https://example.org/kg/paper/x> .\n"
            f'<https://example.org/kg/person/p{n}> a schema:Person ; schema:name "Ann {family}" .\n'
        )
    turtle += (
        "<https://example.org/kg/paper/x> a schema:ScholarlyArticle,"
        ' <http://purl.org/ontology/bibo/Document> ; schema:name "X" .\n'
    )
    graph = tmp_path / "graph.ttl"
    graph.write_text(turtle, encoding="utf-8")
    out = tmp_path / "site"
    publish(load_store([graph]), out)
    title = "Publications of Ann Owner1, Ann Owner2, Ann Owner3 and 2 others"
    for page in (out / "index.html", out / "paper" / "x.html"):
        shown = Page(page.read_text(encoding="utf-8")).find("title")[0].text
        assert title in shown and "Owner4" not in shown
