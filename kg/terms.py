"""RDF terms between rdflib (kg's friendly API) and pyoxigraph (its fast store).

Blank nodes are left to the caller: whether two files' ``_:b0`` are one node depends on
where the terms come from, so each caller passes its own mapping.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator

import pyoxigraph as ox
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import XSD
from rdflib.term import Node

OxTerm = ox.NamedNode | ox.BlankNode | ox.Literal
RdflibTerm = URIRef | BNode | Literal

_XSD_STRING = str(XSD.string)
_IRI_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")
# Characters the SPARQL/N-Triples IRIREF production forbids between < and >.
_IRI_FORBIDDEN = re.compile(r'[\x00-\x20<>"{}|^`\\]')


def iri_problem(text: str) -> str | None:
    """Why ``text`` cannot be written as ``<text>`` in SPARQL or N-Triples; None if it can.

    It must have a scheme, none of the characters IRIREF forbids, and pass Oxigraph's
    RFC 3987 check. Values that pass can be written into a query without escaping.
    """
    bad = _IRI_FORBIDDEN.search(text)
    if bad is not None:
        return f"character {bad.group()!r} is not allowed in an IRI"
    if not _IRI_SCHEME.match(text):
        return "not an absolute IRI (it needs a scheme such as https:)"
    try:
        ox.NamedNode(text)
    except ValueError as error:
        return str(error)
    return None


def to_oxigraph(term: Node, blank_node: Callable[[BNode], ox.BlankNode]) -> OxTerm:
    """The pyoxigraph form of an rdflib IRI, literal or blank node."""
    if isinstance(term, URIRef):
        return ox.NamedNode(str(term))
    if isinstance(term, BNode):
        return blank_node(term)
    if isinstance(term, Literal):
        if term.language:
            return ox.Literal(str(term), language=term.language)
        if term.datatype is not None:
            return ox.Literal(str(term), datatype=ox.NamedNode(str(term.datatype)))
        return ox.Literal(str(term))
    raise ValueError(f"unsupported RDF term {term!r}")


def to_rdflib(term: object, blank_node: Callable[[ox.BlankNode], BNode]) -> RdflibTerm:
    """The rdflib form of a pyoxigraph IRI, literal or blank node (plain strings stay plain)."""
    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return blank_node(term)
    if isinstance(term, ox.Literal):
        if term.language:
            return Literal(term.value, lang=term.language)
        if term.datatype.value == _XSD_STRING:
            return Literal(term.value)
        return Literal(term.value, datatype=URIRef(term.datatype.value))
    raise ValueError("RDF 1.2 triple terms are not supported")


def oxigraph_quads(
    triples: Iterable[tuple[Node, Node, Node]],
    blank_node: Callable[[BNode], ox.BlankNode] | None = None,
) -> Iterator[ox.Quad]:
    """rdflib triples as Oxigraph default-graph quads; each blank node gets a fresh one
    unless ``blank_node`` says otherwise."""
    blank_nodes: dict[BNode, ox.BlankNode] = {}

    def fresh(node: BNode) -> ox.BlankNode:
        return blank_nodes.setdefault(node, ox.BlankNode())

    blank = blank_node or fresh
    for s, p, o in triples:
        yield ox.Quad(to_oxigraph(s, blank), to_oxigraph(p, blank), to_oxigraph(o, blank))  # type: ignore[arg-type]


def parse_ntriples(text: str | bytes) -> Graph:
    """An rdflib graph of N-Triples text, blank node labels kept."""
    graph = Graph(bind_namespaces="none")
    data = text.encode("utf-8") if isinstance(text, str) else text
    parsed = ox.parse(data, format=ox.RdfFormat.N_TRIPLES, rename_blank_nodes=False)
    for triple in parsed:
        graph.add(
            (
                to_rdflib(triple.subject, same_label),
                to_rdflib(triple.predicate, same_label),
                to_rdflib(triple.object, same_label),
            )
        )
    return graph


def same_label(node: ox.BlankNode) -> BNode:
    """The rdflib blank node with ``node``'s label."""
    return BNode(node.value)
