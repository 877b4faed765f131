"""The SHACL shapes and kg.validation: every constraint fires on a broken copy of the example.

Each case in CASES breaks ``tests/data/example.ttl`` in one way and names the shape and
constraint component that must catch it; ``test_every_constraint_has_a_case`` checks that
the table covers every constraint in ``shapes/*.ttl``.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.collection import Collection
from rdflib.compare import isomorphic
from rdflib.term import Node

import kg.validation
from kg.cli import main
from kg.errors import ConfigError, KgError
from kg.namespaces import (
    BIBO,
    DCTERMS,
    FOAF,
    KG,
    PROV,
    RDF,
    RDFS,
    SCHEMA,
    new_graph,
    prefixes,
)
from kg.resources import sample_list, shapes_dir
from kg.validation import (
    REPORT_FORMATS,
    ValidationReport,
    ValidationResult,
    format_report,
    validate,
)

SH = Namespace("http://www.w3.org/ns/shacl#")
# A plain namespace: rdflib's XSD warns when pytest inspects the module's names.
XSD = Namespace("http://www.w3.org/2001/XMLSchema#")
EXAMPLE = Path(__file__).parent / "data" / "example.ttl"
REPO = Path(__file__).resolve().parent.parent

EX = "https://example.org/kg/"
P1 = URIRef(EX + "paper/fly-swat-or-cannon-cost-effective-language-model-choice-via-meta-modeling")
P2 = URIRef(EX + "paper/exploiting-asymmetry-for-synthetic-training-data-generation")
A1, A2, A3 = (URIRef(f"{P1}#author-{i}") for i in (1, 2, 3))
SAKOTA = URIRef(EX + "person/marija-sakota")
PEYRARD = URIRef(EX + "person/maxime-peyrard")
WEST = URIRef(EX + "person/robert-west")
LIST = URIRef(EX + "list/peyrard")
LINE20 = URIRef(EX + "list/peyrard#line-20")
NOBODY = URIRef(EX + "person/nobody")  # an IRI with no triples: not a person, not a paper
LIST2 = URIRef(EX + "list/west")
BOOK = URIRef(  # P1's venue, a book of proceedings
    EX + "venue/proceedings-of-the-17th-acm-international-conference-on-web-search-and-data-mining"
)
PERIODICAL = URIRef(  # P2's venue
    EX + "venue/proceedings-of-the-conference-on-empirical-methods-in-natural-language-processing"
)

BLANK = "<blank node>"  # expected focus: some blank node
KINDS = {"paper", "person", "organisation", "authorship", "list", "source record", "venue"}

Mutation = Callable[[Graph], None]


def example() -> Graph:
    graph = new_graph()
    graph.parse(EXAMPLE, format="turtle")
    return graph


# --- mutations ------------------------------------------------------------------------


def drop(s: Node | None, p: Node | None, o: Node | None = None) -> Mutation:
    return lambda g: g.remove((s, p, o))


def add(s: Node, p: Node, o: Node) -> Mutation:
    return lambda g: g.add((s, p, o))


def put(s: Node, p: Node, o: Node) -> Mutation:
    return lambda g: g.set((s, p, o))


def both(*mutations: Mutation) -> Mutation:
    def apply(graph: Graph) -> None:
        for mutation in mutations:
            mutation(graph)

    return apply


def blank(node: URIRef) -> Mutation:
    """Replace ``node`` by a blank node everywhere."""

    def apply(graph: Graph) -> None:
        replacement = BNode()
        for s, p, o in list(graph):
            if node in (s, o):
                graph.remove((s, p, o))
                graph.add((replacement if s == node else s, p, replacement if o == node else o))

    return apply


def cells(graph: Graph, paper: Node) -> list[Node]:
    head = graph.value(paper, BIBO.authorList)
    found: list[Node] = []
    while head is not None and head != RDF.nil and head not in found:
        found.append(head)
        head = graph.value(head, RDF.rest)
    return found


def set_member(paper: Node, index: int, person: Node) -> Mutation:
    return lambda g: g.set((cells(g, paper)[index], RDF.first, person))


def second_first(graph: Graph) -> None:
    graph.add((cells(graph, P1)[0], RDF.first, WEST))


def cyclic_list(graph: Graph) -> None:
    graph.set((cells(graph, P1)[-1], RDF.rest, cells(graph, P1)[0]))


def empty_list(graph: Graph) -> None:
    graph.set((P2, BIBO.authorList, RDF.nil))


def second_list(graph: Graph) -> None:
    head = BNode()
    Collection(graph, head, [SAKOTA, PEYRARD])
    graph.add((P2, BIBO.authorList, head))


def repeated_author(graph: Graph) -> None:
    """P2 by Šakota twice: consistent data that merely looks like two people merged."""
    set_member(P2, 1, SAKOTA)(graph)
    graph.set((URIRef(f"{P2}#author-2"), PROV.agent, SAKOTA))
    for triple in [
        (P2, SCHEMA.author, PEYRARD),
        (P2, FOAF.maker, PEYRARD),
        (PEYRARD, FOAF.made, P2),
    ]:
        graph.remove(triple)


def west_owns_the_list(graph: Graph) -> None:
    graph.set((LIST, SCHEMA.about, WEST))
    graph.set((LIST, FOAF.primaryTopic, WEST))


def west_list_includes_p1(graph: Graph) -> None:
    for triple in [
        (LIST2, RDF.type, SCHEMA.Dataset),
        (LIST2, RDF.type, FOAF.PersonalProfileDocument),
        (LIST2, SCHEMA.name, Literal("west.txt")),
        (LIST2, SCHEMA.about, WEST),
        (LIST2, FOAF.primaryTopic, WEST),
        (LIST2, SCHEMA.hasPart, P1),
    ]:
        graph.add(triple)


def owner_less_list(graph: Graph) -> None:
    """A second list, from a BibTeX file: a schema:Dataset with no owner, holding both papers."""
    for triple in [
        (LIST2, RDF.type, SCHEMA.Dataset),
        (LIST2, SCHEMA.name, Literal("west.bib")),
        (LIST2, SCHEMA.hasPart, P1),
        (LIST2, SCHEMA.hasPart, P2),
    ]:
        graph.add(triple)
    for paper, line in ((P1, 3), (P2, 12)):
        record = URIRef(f"{LIST2}#line-{line}")
        graph.add((record, RDF.type, PROV.Entity))
        graph.add((record, DCTERMS.isPartOf, LIST2))
        graph.add((record, KG.line, Literal(line)))
        graph.add((paper, PROV.wasDerivedFrom, record))


def replace_kind(paper: Node, old: Node, new: Node) -> Mutation:
    """Type ``paper`` ``new`` instead of ``old`` (bibo:Document stays)."""
    return both(drop(paper, RDF.type, old), add(paper, RDF.type, new))


def thesis(graph: Graph) -> None:
    """P2 as a PhD thesis (no venue) whose source printed only its first authors."""
    replace_kind(P2, SCHEMA.ScholarlyArticle, SCHEMA.Thesis)(graph)
    graph.remove((P2, SCHEMA.isPartOf, None))
    graph.remove((PERIODICAL, None, None))
    graph.add((P2, SCHEMA.inSupportOf, Literal("PhD")))
    graph.add((P2, KG.authorListTruncated, Literal(True)))
    graph.set((P2, SCHEMA.datePublished, Literal("2023", datatype=XSD.gYear)))


def impossible_date(graph: Graph) -> None:
    """February 30th: an ill-typed xsd:date (made here, not at import: rdflib logs it)."""
    graph.set((P1, SCHEMA.datePublished, Literal("2024-02-30", datatype=XSD.date)))


def organisation_venue(graph: Graph) -> None:
    """P1 appears in an organisation: named like a venue, but neither periodical nor book."""
    acm = URIRef(EX + "venue/acm")
    graph.add((acm, RDF.type, SCHEMA.Organization))
    graph.add((acm, SCHEMA.name, Literal("ACM")))
    graph.set((P1, SCHEMA.isPartOf, acm))


WHO = URIRef(EX + "person/world-health-organization")


def organization() -> Mutation:
    """Add the World Health Organization as a valid organisation that made nothing yet."""
    return both(
        add(WHO, RDF.type, SCHEMA.Organization),
        add(WHO, RDF.type, FOAF.Organization),
        add(WHO, SCHEMA.name, Literal("World Health Organization")),
        add(WHO, FOAF.name, Literal("World Health Organization")),
    )


def test_an_organisation_may_author_a_paper() -> None:
    graph = example()
    organization()(graph)
    for triple in [
        (P2, SCHEMA.author, WHO),
        (P2, FOAF.maker, WHO),
        (WHO, FOAF.made, P2),
    ]:
        graph.add(triple)
    set_member(P2, 0, WHO)(graph)
    graph.remove((P2, SCHEMA.author, SAKOTA))
    graph.remove((P2, FOAF.maker, SAKOTA))
    graph.remove((SAKOTA, FOAF.made, P2))
    graph.set((URIRef(f"{P2}#author-1"), PROV.agent, WHO))
    assert validate(graph).results == ()


def blank_person(graph: Graph) -> None:
    person = BNode()
    for p, o in [
        (RDF.type, SCHEMA.Person),
        (RDF.type, FOAF.Person),
        (SCHEMA.name, Literal("Ann Onymous")),
        (SCHEMA.familyName, Literal("Onymous")),
        (FOAF.name, Literal("Ann Onymous")),
        (FOAF.familyName, Literal("Onymous")),
    ]:
        graph.add((person, p, o))


def orphan_authorship(graph: Graph) -> None:
    node = URIRef(f"{P1}#author-9")
    graph.add((node, RDF.type, PROV.Attribution))
    graph.add((node, PROV.agent, WEST))
    graph.add((node, SCHEMA.position, Literal(9)))
    graph.add((node, SCHEMA.name, Literal("West, R.")))


def shifted_positions(graph: Graph) -> None:
    for i, node in enumerate((A1, A2, A3), start=2):
        graph.set((node, SCHEMA.position, Literal(i)))


def swapped_agents(graph: Graph) -> None:
    graph.set((A1, PROV.agent, PEYRARD))
    graph.set((A2, PROV.agent, SAKOTA))


def removed_authorship(graph: Graph) -> None:
    graph.remove((P1, PROV.qualifiedAttribution, A3))
    graph.remove((A3, None, None))


# --- the cases ------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    id: str
    mutate: Mutation
    shape: str
    component: str
    focus: str
    severity: str = "Violation"
    says: str = ""  # a fragment the message must contain

    def param(self) -> Any:
        return pytest.param(self, id=self.id)


W = "Warning"
CLOSED = "sh:ClosedConstraintComponent"
MIN, MAX = "sh:MinCountConstraintComponent", "sh:MaxCountConstraintComponent"
DATATYPE, PATTERN = "sh:DatatypeConstraintComponent", "sh:PatternConstraintComponent"
KIND, CLASS = "sh:NodeKindConstraintComponent", "sh:ClassConstraintComponent"
EQUALS, HAS_VALUE = "sh:EqualsConstraintComponent", "sh:HasValueConstraintComponent"
MIN_INCLUSIVE = "sh:MinInclusiveConstraintComponent"
IN, OR = "sh:InConstraintComponent", "sh:OrConstraintComponent"
SPARQL = "sh:SPARQLConstraintComponent"

CASES = [
    # papers
    Case(
        "paper-extra-property", add(P1, SCHEMA.headline, Literal("x")), "kg:PaperShape", CLOSED, P1
    ),
    Case("paper-no-title", drop(P1, SCHEMA.name), "kg:PaperTitle", MIN, P1, says="title"),
    Case("paper-two-titles", add(P1, SCHEMA.name, Literal("Other")), "kg:PaperTitle", MAX, P1),
    Case("paper-empty-title", put(P1, SCHEMA.name, Literal("")), "kg:PaperTitle", PATTERN, P1),
    Case("paper-blank-title", put(P1, SCHEMA.name, Literal(" \t")), "kg:PaperTitle", PATTERN, P1),
    Case(
        "paper-title-not-string",
        put(P1, SCHEMA.name, Literal("Fly-Swat", lang="en")),
        "kg:PaperTitle",
        DATATYPE,
        P1,
    ),
    Case(
        "paper-other-title-number",
        add(P1, SCHEMA.alternateName, Literal(2024)),
        "kg:PaperOtherTitle",
        DATATYPE,
        P1,
        says="other titles",
    ),
    Case(
        "paper-other-title-empty",
        add(P1, SCHEMA.alternateName, Literal(" ")),
        "kg:PaperOtherTitle",
        PATTERN,
        P1,
    ),
    Case(
        "paper-two-abstracts",
        add(P1, SCHEMA.abstract, Literal("Another one.")),
        "kg:PaperAbstract",
        MAX,
        P1,
        says="at most one abstract",
    ),
    Case(
        "paper-abstract-number",
        put(P1, SCHEMA.abstract, Literal(63)),
        "kg:PaperAbstract",
        DATATYPE,
        P1,
    ),
    Case(
        "paper-abstract-empty",
        put(P1, SCHEMA.abstract, Literal("")),
        "kg:PaperAbstract",
        PATTERN,
        P1,
    ),
    Case(
        "paper-abstract-cut-off",
        put(P1, SCHEMA.abstract, Literal("covering widely spoken European and global languages,")),
        "kg:PaperAbstractEnding",
        PATTERN,
        P1,
        W,
        says="mid-sentence",
    ),
    Case("paper-no-authors", drop(P2, SCHEMA.author), "kg:PaperAuthor", MIN, P2),
    Case(
        "paper-author-literal",
        add(P1, SCHEMA.author, Literal("West, Robert")),
        "kg:PaperAuthor",
        KIND,
        P1,
    ),
    Case("paper-author-not-person", add(P1, SCHEMA.author, NOBODY), "kg:PaperAuthor", OR, P1),
    Case(
        "paper-maker-missing",
        drop(P1, FOAF.maker, WEST),
        "kg:PaperMaker",
        EQUALS,
        P1,
        says="foaf:maker",
    ),
    Case("paper-no-author-list", drop(P2, BIBO.authorList), "kg:PaperAuthorList", MIN, P2),
    Case("paper-two-author-lists", second_list, "kg:PaperAuthorList", MAX, P2),
    Case("paper-empty-author-list", empty_list, "kg:PaperAuthorListMembers", MIN, P2),
    Case(
        "paper-list-member-literal",
        set_member(P2, 0, Literal("Sakota, Marija")),
        "kg:PaperAuthorListMembers",
        KIND,
        P2,
    ),
    Case(
        "paper-list-member-not-person",
        set_member(P2, 0, NOBODY),
        "kg:PaperAuthorListMembers",
        OR,
        P2,
    ),
    Case(
        "paper-author-not-in-list",
        both(add(P2, SCHEMA.author, WEST), add(P2, FOAF.maker, WEST), add(WEST, FOAF.made, P2)),
        "kg:PaperAuthorListMatchesAuthors",
        EQUALS,
        P2,
    ),
    Case("paper-cyclic-list", cyclic_list, "kg:PaperAuthorListEnd", HAS_VALUE, P1, says="rdf:nil"),
    Case("paper-loose-list", drop(None, RDF.rest, RDF.nil), "kg:PaperAuthorListEnd", HAS_VALUE, P1),
    Case(
        "paper-no-authorships", drop(P2, PROV.qualifiedAttribution), "kg:PaperAuthorships", MIN, P2
    ),
    Case(
        "paper-authorship-blank",
        add(P2, PROV.qualifiedAttribution, BNode()),
        "kg:PaperAuthorships",
        KIND,
        P2,
    ),
    Case(
        "paper-authorship-untyped",
        add(P2, PROV.qualifiedAttribution, NOBODY),
        "kg:PaperAuthorships",
        CLASS,
        P2,
    ),
    Case(
        "paper-no-provenance",
        drop(P1, PROV.wasDerivedFrom),
        "kg:PaperSource",
        MIN,
        P1,
        says="came from",
    ),
    Case(
        "paper-source-literal",
        add(P1, PROV.wasDerivedFrom, Literal("peyrard.txt:20")),
        "kg:PaperSource",
        KIND,
        P1,
    ),
    Case("paper-source-untyped", add(P1, PROV.wasDerivedFrom, NOBODY), "kg:PaperSource", CLASS, P1),
    Case(
        "paper-see-also-literal",
        put(P2, RDFS.seeAlso, Literal("https://github.com/epfl-dlab/SynthIE")),
        "kg:PaperSeeAlso",
        KIND,
        P2,
    ),
    Case(
        "paper-same-as-literal",
        add(P1, SCHEMA.sameAs, Literal("Q990000008")),
        "kg:PaperSameAs",
        KIND,
        P1,
    ),
    Case(
        "person-same-as-literal",
        add(WEST, SCHEMA.sameAs, Literal("https://www.wikidata.org/wiki/Q990000102")),
        "kg:PersonSameAs",
        KIND,
        WEST,
    ),
    Case(
        "paper-kind-missing",
        drop(P1, RDF.type, SCHEMA.Chapter),
        "kg:PaperKind",
        MIN,
        P1,
        says="typed bibo:Document and exactly one of",
    ),
    Case("paper-two-kinds", add(P1, RDF.type, SCHEMA.Book), "kg:PaperKind", MAX, P1),
    Case(
        "paper-kind-unknown",
        replace_kind(P1, SCHEMA.Chapter, SCHEMA.CreativeWork),
        "kg:PaperKind",
        IN,
        P1,
    ),
    Case(
        "paper-two-dates",
        add(P1, SCHEMA.datePublished, Literal("2024", datatype=XSD.gYear)),
        "kg:PaperDate",
        MAX,
        P1,
        says="at most one publication date",
    ),
    Case(
        "paper-date-string",
        put(P1, SCHEMA.datePublished, Literal("2024-03-04")),
        "kg:PaperDate",
        OR,
        P1,
    ),
    Case(
        "paper-date-time",
        put(P1, SCHEMA.datePublished, Literal("2024-03-04T09:00:00", datatype=XSD.dateTime)),
        "kg:PaperDate",
        OR,
        P1,
    ),
    Case(
        "paper-date-impossible",
        impossible_date,
        "kg:PaperDate",
        OR,
        P1,
    ),
    Case(
        "paper-two-dois",
        add(P1, BIBO.doi, Literal("10.48550/arxiv.2308.06077")),
        "kg:PaperDoi",
        MAX,
        P1,
        says="at most one DOI",
    ),
    Case(
        "paper-doi-lang",
        put(P1, BIBO.doi, Literal("10.1145/3616855.3635825", lang="en")),
        "kg:PaperDoi",
        DATATYPE,
        P1,
    ),
    Case(
        "paper-doi-upper-case",
        put(P1, BIBO.doi, Literal("10.18653/v1/2023.EMNLP-MAIN.96")),
        "kg:PaperDoi",
        PATTERN,
        P1,
        says="in lower case without resolver",
    ),
    Case(
        "paper-doi-resolver",
        put(P1, BIBO.doi, Literal("https://doi.org/10.1145/3616855.3635825")),
        "kg:PaperDoi",
        PATTERN,
        P1,
    ),
    Case(
        "paper-doi-prefixed",
        put(P1, BIBO.doi, Literal("doi:10.1145/3616855.3635825")),
        "kg:PaperDoi",
        PATTERN,
        P1,
    ),
    Case(
        "paper-identifier-number",
        add(P1, SCHEMA.identifier, Literal(2308)),
        "kg:PaperIdentifier",
        DATATYPE,
        P1,
        says="identifiers (schema:identifier)",
    ),
    Case(
        "paper-identifier-isbn",
        add(P1, SCHEMA.identifier, Literal("ISBN:9798400703713")),
        "kg:PaperIdentifier",
        PATTERN,
        P1,
    ),
    Case(
        "paper-identifier-doi-upper-case",
        add(P2, SCHEMA.identifier, Literal("doi:10.18653/v1/2023.EMNLP-MAIN.96")),
        "kg:PaperIdentifier",
        PATTERN,
        P2,
    ),
    Case(
        "paper-identifier-arxiv-version",
        put(P2, SCHEMA.identifier, Literal("arXiv:2303.04132v2")),
        "kg:PaperIdentifier",
        PATTERN,
        P2,
    ),
    Case(
        "paper-two-venues",
        add(P1, SCHEMA.isPartOf, PERIODICAL),
        "kg:PaperVenue",
        MAX,
        P1,
        says="at most one venue",
    ),
    Case(
        "paper-venue-literal",
        put(P1, SCHEMA.isPartOf, Literal("WSDM '24")),
        "kg:PaperVenue",
        KIND,
        P1,
    ),
    Case("paper-venue-not-venue", organisation_venue, "kg:PaperVenue", OR, P1),
    Case("paper-venue-untyped", drop(BOOK, RDF.type), "kg:PaperVenue", OR, P1),
    Case(
        "paper-two-volumes",
        add(P1, BIBO.volume, Literal("18")),
        "kg:PaperVolume",
        MAX,
        P1,
        says="at most one volume",
    ),
    Case("paper-volume-number", put(P1, BIBO.volume, Literal(17)), "kg:PaperVolume", DATATYPE, P1),
    Case("paper-volume-empty", put(P1, BIBO.volume, Literal(" ")), "kg:PaperVolume", PATTERN, P1),
    Case(
        "paper-two-issues",
        add(P1, BIBO.issue, Literal("2")),
        "kg:PaperIssue",
        MAX,
        P1,
        says="at most one issue",
    ),
    Case("paper-issue-number", put(P1, BIBO.issue, Literal(1)), "kg:PaperIssue", DATATYPE, P1),
    Case("paper-issue-empty", put(P1, BIBO.issue, Literal("")), "kg:PaperIssue", PATTERN, P1),
    Case(
        "paper-two-page-ranges",
        add(P1, SCHEMA.pagination, Literal("1-10")),
        "kg:PaperPagination",
        MAX,
        P1,
        says="at most one page range",
    ),
    Case(
        "paper-pages-number",
        put(P1, SCHEMA.pagination, Literal(606)),
        "kg:PaperPagination",
        DATATYPE,
        P1,
    ),
    Case(
        "paper-pages-empty",
        put(P1, SCHEMA.pagination, Literal(" ")),
        "kg:PaperPagination",
        PATTERN,
        P1,
    ),
    Case(
        "paper-keyword-lang",
        add(P1, SCHEMA.keywords, Literal("LLM", lang="en")),
        "kg:PaperKeyword",
        DATATYPE,
        P1,
        says="one per keyword",
    ),
    Case(
        "paper-keyword-empty", add(P1, SCHEMA.keywords, Literal("")), "kg:PaperKeyword", PATTERN, P1
    ),
    Case(
        "paper-two-urls",
        add(P1, SCHEMA.url, URIRef("https://arxiv.org/pdf/2308.06077")),
        "kg:PaperUrl",
        MAX,
        P1,
        says="an http(s) IRI",
    ),
    Case(
        "paper-url-literal",
        put(P1, SCHEMA.url, Literal("https://dl.acm.org/doi/10.1145/3616855.3635825")),
        "kg:PaperUrl",
        KIND,
        P1,
    ),
    Case(
        "paper-url-ftp",
        put(P1, SCHEMA.url, URIRef("ftp://ftp.example.org/forc.pdf")),
        "kg:PaperUrl",
        PATTERN,
        P1,
    ),
    Case(
        "paper-two-degrees",
        both(
            add(P1, SCHEMA.inSupportOf, Literal("PhD")), add(P1, SCHEMA.inSupportOf, Literal("MSc"))
        ),
        "kg:PaperDegree",
        MAX,
        P1,
        says="at most one degree",
    ),
    Case(
        "paper-degree-number",
        add(P1, SCHEMA.inSupportOf, Literal(1)),
        "kg:PaperDegree",
        DATATYPE,
        P1,
    ),
    Case(
        "paper-degree-empty",
        add(P1, SCHEMA.inSupportOf, Literal("")),
        "kg:PaperDegree",
        PATTERN,
        P1,
    ),
    Case(
        "paper-truncated-twice",
        both(
            add(P1, KG.authorListTruncated, Literal(True)),
            add(P1, KG.authorListTruncated, Literal(False)),
        ),
        "kg:PaperAuthorListTruncated",
        MAX,
        P1,
    ),
    Case(
        "paper-truncated-string",
        add(P1, KG.authorListTruncated, Literal("true")),
        "kg:PaperAuthorListTruncated",
        IN,
        P1,
    ),
    Case(
        "paper-truncated-false",
        add(P1, KG.authorListTruncated, Literal(False)),
        "kg:PaperAuthorListTruncated",
        IN,
        P1,
        says="must be the one value true",
    ),
    Case("paper-blank-node", blank(P2), "kg:PaperIriShape", KIND, BLANK, says="IRI"),
    Case(
        "paper-untyped",
        drop(P1, RDF.type),
        "kg:PaperTypeShape",
        CLASS,
        P1,
        says="bibo:Document",
    ),
    Case(
        "positions-duplicate",
        put(A3, SCHEMA.position, Literal(2)),
        "kg:PaperAuthorshipPositionsShape",
        SPARQL,
        P1,
        says="exactly 1..n for the n = 3 authors in the author list (found 1, 2, 2)",
    ),
    Case(
        "positions-gap",
        put(A3, SCHEMA.position, Literal(4)),
        "kg:PaperAuthorshipPositionsShape",
        SPARQL,
        P1,
        says="(found 1, 2, 4)",
    ),
    Case(
        "positions-not-from-1",
        shifted_positions,
        "kg:PaperAuthorshipPositionsShape",
        SPARQL,
        P1,
        says="(found 2, 3, 4)",
    ),
    Case(
        "positions-fewer-than-list",
        removed_authorship,
        "kg:PaperAuthorshipPositionsShape",
        SPARQL,
        P1,
        says="n = 3 authors in the author list (found 1, 2)",
    ),
    Case(
        "list-disagrees-with-authorships",
        swapped_agents,
        "kg:PaperAuthorListOrderShape",
        SPARQL,
        P1,
        says=f"author list position 1 is {SAKOTA}, but the authorship with schema:position 1 "
        f"names {PEYRARD}",
    ),
    Case(
        "list-position-without-authorship",
        removed_authorship,
        "kg:PaperAuthorListOrderShape",
        SPARQL,
        P1,
        says=f"author list position 3 is {WEST}, but no authorship has schema:position 3",
    ),
    Case(
        "list-cell-two-members",
        second_first,
        "kg:PaperAuthorListCellsShape",
        SPARQL,
        P1,
        says="a cell has 2 rdf:first and 1 rdf:rest values",
    ),
    Case(
        "list-missing-paper",
        drop(LIST, SCHEMA.hasPart, P1),
        "kg:PaperInSourceListShape",
        SPARQL,
        P1,
        says=f"comes from a line of the list {LIST}",
    ),
    Case(
        "paper-in-list-without-record",
        west_list_includes_p1,
        "kg:PaperSourceInListShape",
        SPARQL,
        P1,
        says=f"is part of the list {LIST2}",
    ),
    Case(
        "owner-not-author",
        west_owns_the_list,
        "kg:PaperListOwnerShape",
        SPARQL,
        P2,
        W,
        says=f"is in the list {LIST} of {WEST}, who is not among its authors",
    ),
    Case(
        "repeated-author",
        repeated_author,
        "kg:PaperRepeatedAuthorShape",
        SPARQL,
        P2,
        W,
        says=f"{SAKOTA} appears 2 times in the author list",
    ),
    # persons
    Case(
        "person-extra-property",
        add(WEST, SCHEMA.email, Literal("x@y")),
        "kg:PersonShape",
        CLOSED,
        WEST,
    ),
    Case("person-no-name", drop(WEST, SCHEMA.name), "kg:PersonName", MIN, WEST, says="name"),
    Case(
        "person-two-names", add(WEST, SCHEMA.name, Literal("Bob West")), "kg:PersonName", MAX, WEST
    ),
    Case(
        "person-name-lang",
        put(WEST, SCHEMA.name, Literal("Robert West", lang="en")),
        "kg:PersonName",
        DATATYPE,
        WEST,
    ),
    Case("person-name-empty", put(WEST, SCHEMA.name, Literal("")), "kg:PersonName", PATTERN, WEST),
    Case(
        "person-no-family-name",
        drop(WEST, SCHEMA.familyName),
        "kg:PersonFamilyName",
        MIN,
        WEST,
        says="family name",
    ),
    Case(
        "person-two-family-names",
        add(WEST, SCHEMA.familyName, Literal("Ouest")),
        "kg:PersonFamilyName",
        MAX,
        WEST,
    ),
    Case(
        "person-family-name-number",
        put(WEST, SCHEMA.familyName, Literal(7)),
        "kg:PersonFamilyName",
        DATATYPE,
        WEST,
    ),
    Case(
        "person-family-name-empty",
        put(WEST, SCHEMA.familyName, Literal(" ")),
        "kg:PersonFamilyName",
        PATTERN,
        WEST,
    ),
    Case(
        "person-two-given-names",
        add(WEST, SCHEMA.givenName, Literal("Bob")),
        "kg:PersonGivenName",
        MAX,
        WEST,
    ),
    Case(
        "person-given-name-number",
        put(WEST, SCHEMA.givenName, Literal(7)),
        "kg:PersonGivenName",
        DATATYPE,
        WEST,
    ),
    Case(
        "person-given-name-empty",
        put(WEST, SCHEMA.givenName, Literal("")),
        "kg:PersonGivenName",
        PATTERN,
        WEST,
    ),
    Case(
        "person-alt-name-number",
        add(WEST, SCHEMA.alternateName, Literal(7)),
        "kg:PersonAlternateName",
        DATATYPE,
        WEST,
    ),
    Case(
        "person-alt-name-empty",
        add(WEST, SCHEMA.alternateName, Literal("")),
        "kg:PersonAlternateName",
        PATTERN,
        WEST,
    ),
    Case(
        "person-foaf-name",
        put(WEST, FOAF.name, Literal("Bob West")),
        "kg:PersonFoafName",
        EQUALS,
        WEST,
    ),
    Case(
        "person-foaf-family",
        put(WEST, FOAF.familyName, Literal("Ouest")),
        "kg:PersonFoafFamilyName",
        EQUALS,
        WEST,
    ),
    Case("person-foaf-given", drop(WEST, FOAF.givenName), "kg:PersonFoafGivenName", EQUALS, WEST),
    Case("person-made-literal", add(WEST, FOAF.made, Literal("FORC")), "kg:PersonMade", KIND, WEST),
    Case("person-made-not-paper", add(WEST, FOAF.made, LIST), "kg:PersonMade", CLASS, WEST),
    Case(
        "person-made-not-inverse",
        drop(WEST, FOAF.made, P1),
        "kg:PersonMadeInverse",
        EQUALS,
        WEST,
        says="inverse of foaf:maker",
    ),
    Case("person-blank-node", blank_person, "kg:PersonIriShape", KIND, BLANK),
    Case(
        "person-not-foaf",
        drop(WEST, RDF.type, FOAF.Person),
        "kg:PersonTypeShape",
        CLASS,
        WEST,
        says="both schema:Person and foaf:Person",
    ),
    Case(
        "person-not-schema", drop(WEST, RDF.type, SCHEMA.Person), "kg:PersonTypeShape", CLASS, WEST
    ),
    # organisations
    Case(
        "organization-family-name",
        both(organization(), add(WHO, SCHEMA.familyName, Literal("Organization"))),
        "kg:OrganizationShape",
        CLOSED,
        WHO,
    ),
    Case(
        "organization-no-name",
        both(organization(), drop(WHO, SCHEMA.name), drop(WHO, FOAF.name)),
        "kg:PersonName",
        MIN,
        WHO,
    ),
    Case(
        "organization-blank-node",
        both(organization(), blank(WHO)),
        "kg:OrganizationIriShape",
        KIND,
        BLANK,
    ),
    Case(
        "organization-not-foaf",
        both(organization(), drop(WHO, RDF.type, FOAF.Organization)),
        "kg:OrganizationTypeShape",
        CLASS,
        WHO,
    ),
    Case(
        "maker-untyped",
        both(drop(WEST, RDF.type, SCHEMA.Person), drop(WEST, RDF.type, FOAF.Person)),
        "kg:MakerTypeShape",
        OR,
        WEST,
    ),
    # authorships
    Case(
        "authorship-extra-property",
        add(A1, SCHEMA.email, Literal("x")),
        "kg:AuthorshipShape",
        CLOSED,
        A1,
    ),
    Case(
        "authorship-no-agent",
        drop(A1, PROV.agent),
        "kg:AuthorshipAgent",
        MIN,
        A1,
        says="prov:agent",
    ),
    Case("authorship-two-agents", add(A1, PROV.agent, WEST), "kg:AuthorshipAgent", MAX, A1),
    Case(
        "authorship-agent-literal",
        put(A1, PROV.agent, Literal("Šakota")),
        "kg:AuthorshipAgent",
        KIND,
        A1,
    ),
    Case("authorship-agent-not-person", put(A1, PROV.agent, NOBODY), "kg:AuthorshipAgent", OR, A1),
    Case(
        "authorship-no-position",
        drop(A1, SCHEMA.position),
        "kg:AuthorshipPosition",
        MIN,
        A1,
        says="xsd:integer >= 1",
    ),
    Case(
        "authorship-two-positions",
        add(A1, SCHEMA.position, Literal(4)),
        "kg:AuthorshipPosition",
        MAX,
        A1,
    ),
    Case(
        "authorship-position-string",
        put(A1, SCHEMA.position, Literal("1")),
        "kg:AuthorshipPosition",
        DATATYPE,
        A1,
    ),
    Case(
        "authorship-position-decimal",
        put(A1, SCHEMA.position, Literal(Decimal("1.0"))),
        "kg:AuthorshipPosition",
        DATATYPE,
        A1,
    ),
    Case(
        "authorship-position-zero",
        put(A1, SCHEMA.position, Literal(0)),
        "kg:AuthorshipPosition",
        MIN_INCLUSIVE,
        A1,
    ),
    Case(
        "authorship-no-name", drop(A1, SCHEMA.name), "kg:AuthorshipName", MIN, A1, says="as printed"
    ),
    Case(
        "authorship-name-lang",
        put(A1, SCHEMA.name, Literal("Šakota", lang="hr")),
        "kg:AuthorshipName",
        DATATYPE,
        A1,
    ),
    Case(
        "authorship-name-empty", put(A1, SCHEMA.name, Literal("")), "kg:AuthorshipName", PATTERN, A1
    ),
    Case(
        "authorship-without-paper",
        orphan_authorship,
        "kg:AuthorshipPaper",
        MIN,
        URIRef(f"{P1}#author-9"),
        says="exactly one paper",
    ),
    Case(
        "authorship-two-papers",
        add(P2, PROV.qualifiedAttribution, A3),
        "kg:AuthorshipPaper",
        MAX,
        A3,
    ),
    Case("authorship-blank-node", blank(A2), "kg:AuthorshipIriShape", KIND, BLANK),
    Case(
        "authorship-untyped",
        drop(A2, RDF.type),
        "kg:AuthorshipTypeShape",
        CLASS,
        A2,
        says="prov:Attribution",
    ),
    # lists
    Case("list-extra-property", add(LIST, SCHEMA.author, PEYRARD), "kg:ListShape", CLOSED, LIST),
    Case("list-no-name", drop(LIST, SCHEMA.name), "kg:ListName", MIN, LIST),
    Case("list-two-names", add(LIST, SCHEMA.name, Literal("other.txt")), "kg:ListName", MAX, LIST),
    Case("list-name-number", put(LIST, SCHEMA.name, Literal(1)), "kg:ListName", DATATYPE, LIST),
    Case("list-name-empty", put(LIST, SCHEMA.name, Literal("")), "kg:ListName", PATTERN, LIST),
    Case(
        "profile-no-owner",
        both(drop(LIST, SCHEMA.about), drop(LIST, FOAF.primaryTopic)),
        "kg:ProfileOwner",
        MIN,
        LIST,
        says="must name its owner",
    ),
    Case(
        "list-two-owners",
        both(add(LIST, SCHEMA.about, WEST), add(LIST, FOAF.primaryTopic, WEST)),
        "kg:ListOwner",
        MAX,
        LIST,
    ),
    Case(
        "list-owner-literal",
        both(
            put(LIST, SCHEMA.about, Literal("Peyrard")),
            put(LIST, FOAF.primaryTopic, Literal("Peyrard")),
        ),
        "kg:ListOwner",
        KIND,
        LIST,
    ),
    Case(
        "list-owner-not-person",
        both(put(LIST, SCHEMA.about, NOBODY), put(LIST, FOAF.primaryTopic, NOBODY)),
        "kg:ListOwner",
        CLASS,
        LIST,
    ),
    Case(
        "list-owners-disagree",
        put(LIST, FOAF.primaryTopic, WEST),
        "kg:ListPrimaryTopic",
        EQUALS,
        LIST,
        says="same owner",
    ),
    Case(
        "list-part-literal", add(LIST, SCHEMA.hasPart, Literal("FORC")), "kg:ListPart", KIND, LIST
    ),
    Case("list-part-not-paper", add(LIST, SCHEMA.hasPart, WEST), "kg:ListPart", CLASS, LIST),
    Case("list-blank-node", blank(LIST), "kg:ListIriShape", KIND, BLANK),
    Case(
        "list-owner-not-profile",
        drop(LIST, RDF.type, FOAF.PersonalProfileDocument),
        "kg:ListOwnerMeansProfile",
        CLASS,
        LIST,
        says="foaf:PersonalProfileDocument",
    ),
    Case(
        "list-topic-not-profile",
        both(drop(LIST, RDF.type, FOAF.PersonalProfileDocument), drop(LIST, SCHEMA.about)),
        "kg:ListOwnerMeansProfile",
        CLASS,
        LIST,
    ),
    Case(
        "list-not-dataset",
        drop(LIST, RDF.type, SCHEMA.Dataset),
        "kg:ListTypeShape",
        CLASS,
        LIST,
        says="schema:Dataset",
    ),
    Case(
        "list-untyped",
        drop(LIST, RDF.type),
        "kg:ListTypeShape",
        CLASS,
        LIST,
        says="schema:Dataset",
    ),
    # source records
    Case(
        "record-extra-property",
        add(LINE20, RDFS.label, Literal("x")),
        "kg:SourceRecordShape",
        CLOSED,
        LINE20,
    ),
    Case(
        "record-no-list",
        drop(LINE20, DCTERMS.isPartOf),
        "kg:SourceRecordList",
        MIN,
        LINE20,
        says="one list",
    ),
    Case(
        "record-two-lists", add(LINE20, DCTERMS.isPartOf, LIST2), "kg:SourceRecordList", MAX, LINE20
    ),
    Case(
        "record-list-literal",
        put(LINE20, DCTERMS.isPartOf, Literal("peyrard.txt")),
        "kg:SourceRecordList",
        KIND,
        LINE20,
    ),
    Case(
        "record-list-not-list",
        put(LINE20, DCTERMS.isPartOf, NOBODY),
        "kg:SourceRecordList",
        CLASS,
        LINE20,
    ),
    Case(
        "record-no-line",
        drop(LINE20, KG.line),
        "kg:SourceRecordLine",
        MIN,
        LINE20,
        says="line number",
    ),
    Case("record-two-lines", add(LINE20, KG.line, Literal(21)), "kg:SourceRecordLine", MAX, LINE20),
    Case(
        "record-line-string",
        put(LINE20, KG.line, Literal("20")),
        "kg:SourceRecordLine",
        DATATYPE,
        LINE20,
    ),
    Case(
        "record-line-zero",
        put(LINE20, KG.line, Literal(0)),
        "kg:SourceRecordLine",
        MIN_INCLUSIVE,
        LINE20,
    ),
    Case("record-blank-node", blank(LINE20), "kg:SourceRecordIriShape", KIND, BLANK),
    Case(
        "record-untyped",
        drop(LINE20, RDF.type),
        "kg:SourceRecordTypeShape",
        CLASS,
        LINE20,
        says="prov:Entity",
    ),
    # venues
    Case(
        "venue-extra-property",
        add(BOOK, SCHEMA.isbn, Literal("979-8-4007-0371-3")),
        "kg:VenueShape",
        CLOSED,
        BOOK,
        says="model for venues",
    ),
    Case("venue-no-name", drop(BOOK, SCHEMA.name), "kg:VenueName", MIN, BOOK, says="one name"),
    Case("periodical-no-name", drop(PERIODICAL, SCHEMA.name), "kg:VenueName", MIN, PERIODICAL),
    Case("venue-two-names", add(BOOK, SCHEMA.name, Literal("WSDM '24")), "kg:VenueName", MAX, BOOK),
    Case(
        "venue-name-lang",
        put(BOOK, SCHEMA.name, Literal("WSDM '24", lang="en")),
        "kg:VenueName",
        DATATYPE,
        BOOK,
    ),
    Case("venue-name-empty", put(BOOK, SCHEMA.name, Literal(" ")), "kg:VenueName", PATTERN, BOOK),
    Case("venue-blank-node", blank(BOOK), "kg:PaperVenue", KIND, P1, says="IRI"),
    Case("periodical-blank-node", blank(PERIODICAL), "kg:VenueIriShape", KIND, BLANK),
]


# --- helpers --------------------------------------------------------------------------


def broken(mutation: Mutation) -> ValidationReport:
    graph = example()
    mutation(graph)
    return validate(graph)


def assert_readable(result: ValidationResult) -> None:
    line = str(result)
    assert result.focus_kind in KINDS
    assert line.startswith(f"{result.focus_kind} "), line
    assert "{?" not in line and "{$" not in line, line  # every template variable was bound
    assert "http://www.w3.org/ns/shacl#" not in line, line
    assert len(result.message.split()) >= 3, line  # words, not a component name
    assert "\n" not in line


def matching(report: ValidationReport, case: Case) -> list[ValidationResult]:
    def focus_matches(result: ValidationResult) -> bool:
        if case.focus == BLANK:
            return result.focus_node.startswith("_:b")
        return result.focus_node == str(case.focus)

    return [
        r
        for r in report.results
        if r.source_shape == case.shape
        and r.constraint_component == case.component
        and focus_matches(r)
    ]


# --- the example conforms, every case fires -------------------------------------------


def test_example_conforms_without_any_result() -> None:
    report = validate(example())
    assert report.results == ()
    assert report.conforms
    assert format_report(report, "text") == "0 violations, 0 warnings\n"


@pytest.mark.parametrize("case", [c.param() for c in CASES])
def test_constraint_fires(case: Case) -> None:
    report = broken(case.mutate)
    found = matching(report, case)
    assert found, format_report(report, "text")
    assert any(case.says in result.message for result in found), [r.message for r in found]
    for result in found:
        assert result.severity == case.severity
        assert_readable(result)
    if case.severity == "Warning":  # the warning cases are otherwise sound data
        assert report.passes and not report.violations, format_report(report, "text")
        assert not report.conforms  # SHACL: any result, a warning too, means not conforming
    else:
        assert not report.passes and not report.conforms


def test_a_paper_from_two_lists_may_have_two_titles_and_two_printed_names() -> None:
    graph = example()
    graph.add((P1, SCHEMA.alternateName, Literal("Fly-Swat or Cannon? Cost-Effective LM Choice")))
    graph.add((A1, SCHEMA.name, Literal("Sakota, Marija")))
    assert validate(graph).results == ()


def test_a_list_without_owner_and_its_papers_conform() -> None:
    """A BibTeX or CSL-JSON file is a schema:Dataset only: no owner, no profile, no warning."""
    graph = example()
    owner_less_list(graph)
    assert (LIST2, SCHEMA.about, None) not in graph
    assert (LIST2, RDF.type, FOAF.PersonalProfileDocument) not in graph
    assert validate(graph).results == ()


def test_the_example_list_without_its_owner_conforms() -> None:
    graph = example()
    drop(LIST, RDF.type, FOAF.PersonalProfileDocument)(graph)
    drop(LIST, SCHEMA.about)(graph)
    drop(LIST, FOAF.primaryTopic)(graph)
    assert validate(graph).results == ()


def test_a_thesis_with_a_degree_and_a_truncated_author_list_conforms() -> None:
    graph = example()
    thesis(graph)
    assert validate(graph).results == ()


@pytest.mark.parametrize("kind", ["ScholarlyArticle", "Chapter", "Book", "Thesis", "Report"])
def test_every_kind_of_work_conforms(kind: str) -> None:
    graph = example()
    replace_kind(P1, SCHEMA.Chapter, SCHEMA[kind])(graph)
    assert validate(graph).results == ()


@pytest.mark.parametrize(
    ("prop", "value"),
    [
        (SCHEMA.datePublished, Literal("2024", datatype=XSD.gYear)),
        (SCHEMA.datePublished, Literal("2024-03", datatype=XSD.gYearMonth)),
        (SCHEMA.datePublished, Literal("2024-03-04", datatype=XSD.date)),
        (BIBO.doi, Literal("10.18653/v1/2023.emnlp-main.96")),
        (BIBO.doi, Literal("10.1002/(sici)1097-4571(199806)49:8<693::aid-asi4>3.0.co;2-0")),
        (SCHEMA.identifier, Literal("doi:10.48550/arxiv.2308.06077")),
        (SCHEMA.identifier, Literal("arXiv:2301.01234")),
        (SCHEMA.identifier, Literal("arXiv:hep-th/9901001")),
        (SCHEMA.identifier, Literal("arXiv:math.GT/0309136")),
        (SCHEMA.url, URIRef("http://example.org/forc")),
    ],
)
def test_bibliographic_values_kg_writes_conform(prop: URIRef, value: Node) -> None:
    graph = example()
    if prop == SCHEMA.identifier:
        graph.add((P1, prop, value))  # a work may have several identifiers
    else:
        graph.set((P1, prop, value))
    assert validate(graph).results == ()


def test_every_constraint_has_a_case() -> None:
    """Each (shape, constraint component) in shapes/*.ttl appears in CASES."""
    component_of = {
        SH.closed: CLOSED,
        SH.minCount: MIN,
        SH.maxCount: MAX,
        SH.datatype: DATATYPE,
        SH.pattern: PATTERN,
        SH.nodeKind: KIND,
        SH["class"]: CLASS,
        SH.equals: EQUALS,
        SH.hasValue: HAS_VALUE,
        SH.minInclusive: MIN_INCLUSIVE,
        SH["in"]: IN,
        SH["or"]: OR,
        SH.sparql: SPARQL,
    }
    not_constraints = {
        SH.targetClass,
        SH.targetSubjectsOf,
        SH.targetObjectsOf,
        SH.property,
        SH.path,
        SH.message,
        SH.severity,
        SH.ignoredProperties,
        SH.flags,  # a parameter of sh:pattern
    }
    shapes = shapes_graph()
    expected = set()
    for kind in (SH.NodeShape, SH.PropertyShape):
        for shape in shapes.subjects(RDF.type, kind):
            for parameter in set(shapes.predicates(shape)):
                if not parameter.startswith(str(SH)) or parameter in not_constraints:
                    continue
                assert parameter in component_of, f"{parameter}: add it to this test"
                expected.add((shapes.namespace_manager.curie(shape), component_of[parameter]))
    assert len(expected) > 130
    assert expected - {(c.shape, c.component) for c in CASES} == set()


# --- the shapes themselves ------------------------------------------------------------


def shapes_graph() -> Graph:
    graph = Graph()
    for path in sorted(shapes_dir().glob("*.ttl")):
        graph.parse(path, format="turtle")
    return graph


CARRIER_PARAMETERS = {
    SH.targetClass,
    SH.targetSubjectsOf,
    SH.targetObjectsOf,
    SH.property,
    SH.sparql,
    SH.severity,
    SH.message,
}
"""What a node shape that only carries other constraints (SPARQL constraints or property
shapes) has; any other SHACL parameter is a constraint of its own."""


def rdf_list(graph: Graph, subject: Node, predicate: URIRef) -> list[Node]:
    head = graph.value(subject, predicate)
    assert head is not None, (subject, predicate)
    return list(Collection(graph, head))


def test_every_shape_is_an_iri_with_a_message() -> None:
    shapes = shapes_graph()
    node_shapes = set(shapes.subjects(RDF.type, SH.NodeShape))
    property_shapes = set(shapes.subjects(RDF.type, SH.PropertyShape))
    constraints = set(shapes.subjects(RDF.type, SH.SPARQLConstraint))
    assert set(shapes.objects(None, SH.property)) <= property_shapes
    assert set(shapes.objects(None, SH.sparql)) <= constraints
    for node in node_shapes | property_shapes | constraints:
        assert isinstance(node, URIRef), node
        parameters = {p for p in shapes.predicates(node) if str(p).startswith(str(SH))}
        carrier = node in node_shapes and parameters <= CARRIER_PARAMETERS
        messages = list(shapes.objects(node, SH.message))
        # Carriers have none: the constraint's or property shape's message is the result's
        # (and pySHACL would add a SPARQL carrier's message to every result of its query)
        assert len(messages) == (0 if carrier else 1), node
    for node in node_shapes:
        assert str(shapes.value(node, RDFS.label)) in KINDS, node


def test_sparql_prefixes_match_kg_prefixes() -> None:
    shapes = shapes_graph()
    declared = {
        str(shapes.value(d, SH.prefix)): str(shapes.value(d, SH.namespace))
        for d in shapes.objects(URIRef(str(KG) + "shapes"), SH.declare)
    }
    assert declared == prefixes()
    for constraint in shapes.subjects(RDF.type, SH.SPARQLConstraint):
        assert shapes.value(constraint, SH.prefixes) == URIRef(str(KG) + "shapes")


def test_shapes_cover_every_class_and_property_of_the_example() -> None:
    """Every property is checked by a closed shape; every class is what a closed shape
    targets, a kind of work (kg:PaperKind) or a kind of venue (kg:PaperVenue)."""
    shapes = shapes_graph()
    closed = set(shapes.subjects(SH.closed, Literal(True)))
    allowed = {shapes.value(p, SH.path) for s in closed for p in shapes.objects(s, SH.property)}
    targeted = {c for s in closed for c in shapes.objects(s, SH.targetClass)}
    kinds = set(rdf_list(shapes, KG.PaperKind, SH["in"]))
    venues = {
        shapes.value(option, SH["class"]) for option in rdf_list(shapes, KG.PaperVenue, SH["or"])
    }
    data = example()
    predicates = set(data.predicates()) - {RDF.type, RDF.first, RDF.rest}
    assert predicates <= allowed, predicates - allowed
    classes = set(data.objects(None, RDF.type))
    assert classes <= targeted | kinds | venues, classes - targeted - kinds - venues
    # the example has two kinds of work and both kinds of venue
    works = set(data.subjects(RDF.type, BIBO.Document))
    assert len({kind for work in works for kind in data.objects(work, RDF.type)}) == 3
    venue_kinds = {
        kind for work in works for kind in data.objects(work, SCHEMA.isPartOf / RDF.type)
    }
    assert venue_kinds == venues


# --- abstracts ------------------------------------------------------------------------


def sample_abstract(title_start: str) -> str:
    lines = sample_list().read_text(encoding="utf-8").splitlines()
    title = next(i for i, line in enumerate(lines) if line.startswith(title_start))
    return lines[title + 2]


def ending_warnings(abstract: str) -> list[ValidationResult]:
    report = broken(put(P1, SCHEMA.abstract, Literal(abstract)))
    assert report.passes  # a warning never fails the graph
    return [r for r in report.results if r.source_shape == "kg:PaperAbstractEnding"]


def test_eurobert_abstract_warns() -> None:
    abstract = sample_abstract("EuroBERT")
    assert abstract.endswith("global languages,")
    [warning] = ending_warnings(abstract)
    assert warning.severity == "Warning"
    assert warning.focus_node == str(P1)
    assert warning.path == "schema:abstract"
    assert "global languages," in str(warning)  # the text report shows where it stops


def test_url_terminated_abstract_does_not_warn() -> None:
    abstract = sample_abstract("Grammar-Constrained Decoding")
    assert abstract.endswith("https://github.com/epfl-dlab/GCD.")
    assert ending_warnings(abstract) == []


@pytest.mark.parametrize(
    "ending",
    [
        "results.",
        "Is it?",
        "wins!",
        "and so on…",
        'we call it "win."',
        "(see Fig. 1.)",
        "“done.”",
        "done. ",
    ],
)
def test_sentence_endings_do_not_warn(ending: str) -> None:
    assert ending_warnings(f"An abstract that ends in {ending}") == []


@pytest.mark.parametrize("ending", ["languages,", "as follows:", "see (Fig. 1)", "and", "63%"])
def test_cut_off_endings_warn(ending: str) -> None:
    assert len(ending_warnings(f"An abstract that ends in {ending}")) == 1


# --- the report -----------------------------------------------------------------------


# Two violations (P2 has no title, line 0) and one warning (P1's abstract stops mid-sentence).
SOME_PROBLEMS = both(
    put(P1, SCHEMA.abstract, Literal("global languages,")),
    drop(P2, SCHEMA.name),
    put(LINE20, KG.line, Literal(0)),
)


def two_violations_one_warning() -> ValidationReport:
    return broken(SOME_PROBLEMS)


def test_warnings_do_not_fail_but_violations_do() -> None:
    warned = broken(west_owns_the_list)
    assert warned.warnings and not warned.violations and warned.passes
    assert not warned.conforms
    failed = two_violations_one_warning()
    assert len(failed.violations) == 2 and len(failed.warnings) == 1
    assert not failed.passes and not failed.conforms


def test_results_are_sorted_by_severity_focus_path_message() -> None:
    report = broken(both(SOME_PROBLEMS, swapped_agents, blank(LIST)))
    assert list(report.results) == sorted(report.results, key=ValidationResult.sort_key)
    severities = [r.severity for r in report.results]
    assert severities == sorted(severities, key=["Violation", "Warning", "Info"].index)


def test_text_report() -> None:
    text = format_report(two_violations_one_warning(), "text")
    lines = text.splitlines()
    assert lines[-1] == "2 violations, 1 warning"
    assert len(lines) == 4
    assert lines[0] == (
        f"Violation source record <{LINE20}>: must have exactly one line number (kg:line), "
        'an xsd:integer >= 1 [kg:line = "0"^^xsd:integer]'
    )
    assert lines[1] == (
        f"Violation paper <{P2}>: must have exactly one title (schema:name), "
        "a non-empty plain string [schema:name]"
    )
    assert lines[2].startswith(f"Warning   paper <{P1}>: abstract does not end")
    assert lines[2].endswith('[schema:abstract = "global languages,"]')


def test_text_report_shortens_long_values_but_keeps_the_end() -> None:
    abstract = sample_abstract("EuroBERT")
    text = format_report(broken(put(P1, SCHEMA.abstract, Literal(abstract))), "text")
    [line, summary] = text.splitlines()
    assert summary == "0 violations, 1 warning"
    value = line[line.index("[schema:abstract = ") :]
    assert len(value) < 110 and " … " in value
    assert value.startswith('[schema:abstract = "Many important tasks')
    assert value.endswith('European and global languages,"]')


def test_warnings_alone_do_not_conform_in_shacl_terms_but_kg_validate_exits_0(
    tmp_path: Path,
) -> None:
    """SHACL (§3.6.1) says conforms is false whenever there is any result, as Jena does;
    kg's exit code policy (0 with warnings only) is a separate matter."""
    warned = broken(west_owns_the_list)
    assert warned.warnings and not warned.violations
    assert json.loads(format_report(warned, "json"))["conforms"] is False
    parsed = Graph().parse(data=format_report(warned, "turtle"), format="turtle")
    assert set(parsed.objects(None, SH.conforms)) == {Literal(False)}
    clean = Graph().parse(data=format_report(validate(example()), "turtle"), format="turtle")
    assert set(clean.objects(None, SH.conforms)) == {Literal(True)}
    data = tmp_path / "warned.ttl"
    graph = example()
    west_owns_the_list(graph)
    graph.serialize(data, format="turtle")
    done = CliRunner().invoke(main, ["validate", str(data), "--format", "json"])
    assert done.exit_code == 0, done.output
    assert json.loads(done.output)["conforms"] is False


def test_json_report() -> None:
    report = two_violations_one_warning()
    document = json.loads(format_report(report, "json"))
    assert document["conforms"] is False
    assert (document["violations"], document["warnings"]) == (2, 1)
    assert [r["message"] for r in document["results"]] == [r.message for r in report.results]
    second = document["results"][1]
    assert second == {
        "severity": "Violation",
        "focus_node": str(P2),
        "focus_kind": "paper",
        "path": "schema:name",
        "value": None,
        "message": "must have exactly one title (schema:name), a non-empty plain string",
        "source_shape": "kg:PaperTitle",
        "constraint_component": "sh:MinCountConstraintComponent",
    }


def test_turtle_report_is_the_shacl_results_graph() -> None:
    report = two_violations_one_warning()
    parsed = Graph().parse(data=format_report(report, "turtle"), format="turtle")
    assert isomorphic(parsed, report.results_graph)
    assert len(set(parsed.subjects(RDF.type, SH.ValidationResult))) == 3
    assert (None, SH.conforms, Literal(False)) in parsed


def test_unknown_format_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="unknown report format 'xml'"):
        format_report(validate(example()), "xml")
    assert issubclass(ConfigError, KgError) and issubclass(ConfigError, ValueError)
    assert REPORT_FORMATS == ("text", "turtle", "json")


def messy_graph() -> Graph:
    """Blank nodes in focus and value positions, several results per node."""
    graph = example()
    both(SOME_PROBLEMS, blank(P2), blank(A1), cyclic_list, second_first)(graph)
    return graph


@pytest.mark.parametrize("fmt", REPORT_FORMATS)
def test_formats_are_the_same_for_two_parses(fmt: str) -> None:
    """rdflib gives blank nodes new ids on every parse; the report must not change."""
    first, second = messy_graph(), messy_graph()
    assert format_report(validate(first), fmt) == format_report(validate(second), fmt)


def test_formats_are_the_same_for_every_hash_seed() -> None:
    script = textwrap.dedent(
        f"""
        import sys
        sys.path.insert(0, {str(Path(__file__).parent)!r})
        from test_shapes import messy_graph
        from kg.validation import REPORT_FORMATS, format_report, validate
        report = validate(messy_graph())
        sys.stdout.write("\\n=====\\n".join(format_report(report, f) for f in REPORT_FORMATS))
        """
    )
    outputs = []
    for seed in ("0", "12345"):
        env = {**os.environ, "PYTHONHASHSEED": seed, "PYTHONPATH": str(REPO)}
        done = subprocess.run(
            [sys.executable, "-c", script],
            capture_output=True,
            text=True,
            env=env,
            cwd=REPO,
            check=True,
        )
        outputs.append(done.stdout)
    assert outputs[0] == outputs[1]
    assert outputs[0].count("\n=====\n") == 2 and "_:b" in outputs[0]


# --- how validate behaves -------------------------------------------------------------


def test_validate_leaves_the_graph_alone() -> None:
    graph = messy_graph()
    before = set(graph)
    bindings = sorted(graph.namespaces())
    validate(graph)
    assert set(graph) == before
    assert sorted(graph.namespaces()) == bindings


def test_validate_never_opens_a_socket(monkeypatch: pytest.MonkeyPatch) -> None:
    """owl:imports in the data or anywhere else must not make pySHACL fetch anything."""
    attempts: list[object] = []

    def refuse(*args: object, **kwargs: object) -> None:
        attempts.append(args)
        raise OSError("validation tried to use the network")

    graph = example()
    owl_imports = URIRef("http://www.w3.org/2002/07/owl#imports")
    graph.add((URIRef(EX), owl_imports, URIRef("http://example.invalid/shapes.ttl")))
    monkeypatch.setattr(socket, "socket", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    assert validate(graph).conforms
    assert attempts == []


# --- broken shapes --------------------------------------------------------------------


@pytest.fixture
def shapes_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A private shapes folder; the cached bundled shapes are reloaded afterwards."""
    monkeypatch.setattr(kg.validation, "shapes_dir", lambda: tmp_path)
    kg.validation._shapes_graph.cache_clear()
    kg.validation._shape_kinds.cache_clear()
    yield tmp_path
    kg.validation._shapes_graph.cache_clear()
    kg.validation._shape_kinds.cache_clear()


def test_unreadable_shapes_are_a_config_error(shapes_folder: Path) -> None:
    (shapes_folder / "broken.ttl").write_text("this is not turtle", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"broken\.ttl"):
        validate(example())


def test_missing_shapes_are_a_config_error(shapes_folder: Path) -> None:
    with pytest.raises(ConfigError, match="no SHACL shapes"):
        validate(example())
