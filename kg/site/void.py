"""``void.ttl``: what the published dataset is, in VoID and DCAT.

Linked-data crawlers and catalogues read it to learn the size of the graph, its classes and
vocabularies, where to download it and under which licence. Everything is counted from the
graph; nothing comes from the clock (no ``dcterms:modified``), so the same graph gives the
same file. Without a base URL the site's own IRIs (the dataset, the dumps) are written
relative, and resolve wherever the site is served from.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from urllib.parse import quote

import pyoxigraph as ox

from kg.namespaces import (
    OX_DCTERMS,
    OX_FOAF,
    OX_RDF,
    OX_XSD,
    VOID,
    OxVocabulary,
    prefixes,
)
from kg.site.settings import SiteSettings
from kg.site.view import GraphView, select
from kg.turtle import small_turtle

DCAT_NS = "http://www.w3.org/ns/dcat#"
_VOID, _DCAT = OxVocabulary(VOID), OxVocabulary(DCAT_NS)
_VOID_CLASS = ox.NamedNode(f"{VOID}class")  # not an attribute name in Python
_IANA = "https://www.iana.org/assignments/media-types/"
# Where the site's own IRIs are made before they are written relative.
_PLACEHOLDER_SITE = "x-kg-site://site/"
_HOST = re.compile(r"^https?://[^/]+/")
_COUNTS = """
SELECT (COUNT(*) AS ?triples) (COUNT(DISTINCT ?s) AS ?subjects) (COUNT(DISTINCT ?o) AS ?objects)
WHERE { ?s ?p ?o }
"""
_ENTITIES = "SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s ?p ?o FILTER isIRI(?s) }"
_CLASSES = "SELECT ?class (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s a ?class } GROUP BY ?class"
_PROPERTIES = "SELECT ?p (COUNT(*) AS ?n) WHERE { ?s ?p ?o } GROUP BY ?p"


@dataclass(frozen=True)
class Dump:
    """A download of the whole graph shipped with the site."""

    name: str
    """File name in the site's root folder."""
    media_type: str
    gzipped: bool
    size: int


def void_turtle(
    store: ox.Store,
    view: GraphView,
    *,
    title: str,
    settings: SiteSettings,
    base_url: str | None,
    dumps: Sequence[Dump],
) -> bytes:
    """The VoID/DCAT description of the graph in ``store`` as Turtle."""
    site = base_url or _PLACEHOLDER_SITE
    triples = list(_description(store, view, site, title, settings, base_url, dumps))
    candidates = {**prefixes(), "dcat": DCAT_NS}
    return small_turtle(triples, candidates, relative_to=None if base_url else site)


def _description(
    store: ox.Store,
    view: GraphView,
    site: str,
    title: str,
    settings: SiteSettings,
    base_url: str | None,
    dumps: Sequence[Dump],
) -> Iterator[ox.Triple]:
    dataset = ox.NamedNode(f"{site}void.ttl#dataset")

    def say(predicate: ox.NamedNode, value: ox.NamedNode | ox.BlankNode | ox.Literal) -> ox.Triple:
        return ox.Triple(dataset, predicate, value)

    counts = select(store, _COUNTS)[0]
    classes = _grouped(store, _CLASSES, "class")
    properties = _grouped(store, _PROPERTIES, "p")
    yield say(OX_RDF.type, _VOID.Dataset)
    yield say(OX_RDF.type, _DCAT.Dataset)
    yield say(OX_DCTERMS.title, ox.Literal(title))
    if settings.license is not None:
        yield say(OX_DCTERMS.license, ox.NamedNode(settings.license))
    publisher = _publisher(settings)
    if publisher is not None:
        yield say(OX_DCTERMS.publisher, publisher)
    home = ox.NamedNode(base_url or f"{site}index.html")
    yield say(OX_FOAF.homepage, home)
    yield say(_DCAT.landingPage, home)
    space = _uri_space(view)
    if space is not None:
        yield say(_VOID.uriSpace, ox.Literal(space))
    if view.papers:
        yield say(_VOID.exampleResource, ox.NamedNode(view.papers[0]))
    if base_url is not None:
        yield say(_VOID.sparqlEndpoint, ox.NamedNode(f"{base_url}sparql"))
    yield say(_VOID.triples, _integer(counts["triples"]))
    yield say(_VOID.entities, _integer(_count(store, _ENTITIES)))
    yield say(_VOID.distinctSubjects, _integer(counts["subjects"]))
    yield say(_VOID.distinctObjects, _integer(counts["objects"]))
    yield say(_VOID.classes, _integer(len(classes)))
    yield say(_VOID.properties, _integer(len(properties)))
    for vocabulary in sorted({_namespace(iri) for iri, _ in (*classes, *properties)}):
        yield say(_VOID.vocabulary, ox.NamedNode(vocabulary))
    for number, _ in enumerate(classes, 1):
        yield say(_VOID.classPartition, ox.NamedNode(f"{site}void.ttl#class-{number}"))
    for number, _ in enumerate(properties, 1):
        yield say(_VOID.propertyPartition, ox.NamedNode(f"{site}void.ttl#property-{number}"))
    for dump in dumps:
        yield say(_VOID.dataDump, ox.NamedNode(site + quote(dump.name)))
    for number, _ in enumerate(dumps, 1):
        yield say(_DCAT.distribution, ox.NamedNode(f"{site}void.ttl#dump-{number}"))
    if publisher is not None:
        yield from _publisher_triples(publisher, settings)
    for number, (iri, entities) in enumerate(classes, 1):
        partition = ox.NamedNode(f"{site}void.ttl#class-{number}")
        yield ox.Triple(partition, _VOID_CLASS, ox.NamedNode(iri))
        yield ox.Triple(partition, _VOID.entities, _integer(entities))
    for number, (iri, triples) in enumerate(properties, 1):
        partition = ox.NamedNode(f"{site}void.ttl#property-{number}")
        yield ox.Triple(partition, _VOID.property, ox.NamedNode(iri))
        yield ox.Triple(partition, _VOID.triples, _integer(triples))
    for number, dump in enumerate(dumps, 1):
        yield from _distribution(ox.NamedNode(f"{site}void.ttl#dump-{number}"), site, dump)


def _distribution(node: ox.NamedNode, site: str, dump: Dump) -> Iterator[ox.Triple]:
    yield ox.Triple(node, OX_RDF.type, _DCAT.Distribution)
    yield ox.Triple(node, OX_DCTERMS.title, ox.Literal(dump.name))
    yield ox.Triple(node, _DCAT.downloadURL, ox.NamedNode(site + quote(dump.name)))
    yield ox.Triple(node, _DCAT.mediaType, ox.NamedNode(_IANA + dump.media_type))
    if dump.gzipped:
        yield ox.Triple(node, _DCAT.compressFormat, ox.NamedNode(_IANA + "application/gzip"))
    size = ox.Literal(str(dump.size), datatype=OX_XSD.nonNegativeInteger)
    yield ox.Triple(node, _DCAT.byteSize, size)


def _publisher(settings: SiteSettings) -> ox.NamedNode | ox.BlankNode | None:
    if settings.publisher_iri is not None:
        return ox.NamedNode(settings.publisher_iri)
    if settings.publisher_name is not None:
        return ox.BlankNode("publisher")
    return None


def _publisher_triples(
    publisher: ox.NamedNode | ox.BlankNode, settings: SiteSettings
) -> Iterator[ox.Triple]:
    yield ox.Triple(publisher, OX_RDF.type, OX_FOAF.Agent)
    if settings.publisher_name is not None:
        yield ox.Triple(publisher, OX_FOAF.name, ox.Literal(settings.publisher_name))


def _uri_space(view: GraphView) -> str | None:
    """The folder under which all papers and persons have their IRIs, if they share one."""
    iris = [*view.papers, *view.persons]
    if not iris:
        return None
    first, last = min(iris), max(iris)  # what these two share, all of them share
    shared = 0
    while shared < min(len(first), len(last)) and first[shared] == last[shared]:
        shared += 1
    space = first[: first.rfind("/", 0, shared) + 1]
    return space if _HOST.match(space) else None


def count_triples(store: ox.Store) -> int:
    """Triples in the default graph, the graph kg publishes."""
    return int(select(store, _COUNTS)[0]["triples"].value)


def _grouped(store: ox.Store, query: str, variable: str) -> list[tuple[str, int]]:
    """(IRI, count) rows of a GROUP BY query, by IRI; blank nodes and literals left out."""
    rows = select(store, query)
    return sorted(
        (row[variable].value, int(row["n"].value))
        for row in rows
        if isinstance(row[variable], ox.NamedNode)
    )


def _count(store: ox.Store, query: str) -> int:
    return int(select(store, query)[0]["n"].value)


def _integer(value: int | ox.Literal) -> ox.Literal:
    number = value if isinstance(value, int) else int(value.value)
    return ox.Literal(str(number), datatype=OX_XSD.integer)


def _namespace(iri: str) -> str:
    """The vocabulary a class or property belongs to: kg's prefix for it, else the IRI up to
    its last ``#`` or ``/``."""
    known = [namespace for namespace in prefixes().values() if iri.startswith(namespace)]
    if known:
        return max(known, key=len)
    return iri[: max(iri.rfind("#"), iri.rfind("/")) + 1]
