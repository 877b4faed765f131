"""The JSON-LD a page embeds, in the shape structured-data consumers read.

Google and scholarly crawlers expect ``"@context": "https://schema.org"``, a ``@type`` they
know and ``author`` as an array in author order: schema.org's ``author`` is unordered, but
consumers show the array's order (design.md §3). Every value comes from the graph, so the
JSON-LD expands to exactly the graph's triples for those subjects and properties; the tests
check it with a JSON-LD processor. Only schema.org types are written (``foaf:Person`` is the
graph's business, not a crawler's), so a work's ``@type`` is its kind (``ScholarlyArticle``,
``Chapter``, ``Book``, ``Thesis``, ``Report``) and its venue's is ``Periodical`` or ``Book``.

Literals keep their datatype: ``datePublished`` is ``{"@value": "2023-05", "@type":
"…XMLSchema#gYearMonth"}``. Its value is the ISO 8601 date that Google's Article guidance
asks for, at the precision the source gave; a bare string would expand to another triple
(``xsd:string`` under kg's pinned context, ``schema:Date`` under schema.org's own, which
coerces date properties), while a value object means the same under both. For the same
reason a plain string under a term that schema.org's context makes an IRI (``sameAs``,
``url``, ``isPartOf``) or a date is written as ``{"@value": …}``.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Sequence
from typing import Any

import pyoxigraph as ox

from kg.namespaces import OX_XSD, prefixes
from kg.rdfio import resolve_jsonld_contexts
from kg.site.view import (
    ABSTRACT,
    ALTERNATE_NAME,
    DATE_PUBLISHED,
    FAMILY_NAME,
    GIVEN_NAME,
    IDENTIFIER,
    IN_SUPPORT_OF,
    IS_PART_OF,
    KEYWORDS,
    NAME,
    PAGINATION,
    SAME_AS,
    SCHEMA_NS,
    TYPE,
    URL,
    GraphView,
    Node,
)
from kg.turtle import small_turtle

CONTEXT = "https://schema.org"
# schema.org's context reads these terms' string values as IRIs.
_IRI_TERMS = frozenset({"sameAs", "url", "isPartOf"})
# ...and these as schema:Date.
_DATE_TERMS = frozenset({"datePublished"})
_PAPER_TERMS = (
    NAME,
    ABSTRACT,
    DATE_PUBLISHED,
    IDENTIFIER,
    PAGINATION,
    KEYWORDS,
    URL,
    IN_SUPPORT_OF,
)
_VENUE_TERMS = (NAME,)
_PERSON_TERMS = (NAME, GIVEN_NAME, FAMILY_NAME, ALTERNATE_NAME, SAME_AS)
_AUTHOR_TERMS = (NAME, GIVEN_NAME, FAMILY_NAME, SAME_AS)
_TERM = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
# What could end a <script> element or start a comment in it; U+2028/2029 end a line in
# older JavaScript. JSON allows each as an escape inside strings, where alone they occur.
_SCRIPT_SAFE = str.maketrans(
    {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}
)


def paper_jsonld(view: GraphView, iri: str) -> dict[str, Any]:
    """A paper: title, abstract, date, identifiers, pages, keywords, URL, degree, the venue
    it is part of (with its type and name), authors in author order (each with their
    names), sameAs."""
    node = view.node(iri)
    data = _node_object(node, _PAPER_TERMS)
    venues = [
        _node_object(view.node(value.value), _VENUE_TERMS)
        if isinstance(value, ox.NamedNode)
        else _json_value("isPartOf", value)
        for value in node.get(IS_PART_OF)
    ]
    if venues:
        data["isPartOf"] = venues[0] if len(venues) == 1 else venues
    authors = [_node_object(view.node(author), _AUTHOR_TERMS) for author in view.authors[iri]]
    if authors:
        data["author"] = authors
    data.update(_properties(node, (SAME_AS,)))
    return {"@context": CONTEXT, **data}


def person_jsonld(view: GraphView, iri: str) -> dict[str, Any]:
    """A person: names, other spellings, sameAs."""
    return {"@context": CONTEXT, **_node_object(view.node(iri), _PERSON_TERMS)}


def venue_jsonld(view: GraphView, iri: str) -> dict[str, Any]:
    """A venue: its type (``Periodical``, ``Book``) and name."""
    return {"@context": CONTEXT, **_node_object(view.node(iri), _VENUE_TERMS)}


def script_json(data: dict[str, Any]) -> str:
    """``data`` as JSON text that is safe inside ``<script type="application/ld+json">``.

    ``<``, ``>`` and ``&`` become ``\\u003c``-style escapes (and U+2028/2029 too), so no
    title can close the script element, open a comment or become markup, and any JSON
    parser reads back the same strings.
    """
    return json.dumps(data, ensure_ascii=False, indent=2).translate(_SCRIPT_SAFE)


def jsonld_turtle(data: dict[str, Any]) -> bytes:
    """The triples ``data`` expands to, as Turtle.

    Oxigraph's JSON-LD parser reads the document with kg's pinned copy of the schema.org
    context in place of the URL, so nothing is fetched and the Turtle says what a consumer
    of the JSON-LD reads.
    """
    document = resolve_jsonld_contexts(copy.deepcopy(data))
    triples = [quad.triple for quad in ox.parse(json.dumps(document), ox.RdfFormat.JSON_LD)]
    first_seen: dict[object, int] = {}
    for triple in triples:
        first_seen.setdefault(triple.subject, len(first_seen))
    # One block per subject, in the order the document names them (the paper, its authors).
    triples.sort(key=lambda triple: first_seen[triple.subject])
    return small_turtle(triples, prefixes())


def _node_object(node: Node, terms: Sequence[ox.NamedNode]) -> dict[str, Any]:
    data: dict[str, Any] = {}
    types = [_type_name(iri) for iri in node.iris(TYPE) if iri.startswith(SCHEMA_NS)]
    if types:
        data["@type"] = types[0] if len(types) == 1 else types
    data["@id"] = node.iri
    data.update(_properties(node, terms))
    return data


def _properties(node: Node, terms: Sequence[ox.NamedNode]) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for prop in terms:
        term = prop.value.removeprefix(SCHEMA_NS)
        values = [_json_value(term, value) for value in node.get(prop)]
        if values:
            data[term] = values[0] if len(values) == 1 else values
    return data


def _type_name(iri: str) -> str:
    """A schema.org class as its term (``ScholarlyArticle``), other IRIs written out."""
    local = iri.removeprefix(SCHEMA_NS)
    return local if _TERM.fullmatch(local) else iri


def _json_value(term: str, value: ox.NamedNode | ox.Literal) -> Any:
    """The JSON-LD value that expands back to exactly ``value``."""
    if isinstance(value, ox.NamedNode):
        return value.value if term in _IRI_TERMS else {"@id": value.value}
    if value.language:
        return {"@value": value.value, "@language": value.language}
    if value.datatype == OX_XSD.string:
        return {"@value": value.value} if term in _IRI_TERMS | _DATE_TERMS else value.value
    return {"@value": value.value, "@type": value.datatype.value}
