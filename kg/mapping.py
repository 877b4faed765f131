"""Map a merged corpus to RDF triples (schema.org, FOAF, BIBO, PROV). No I/O.

Author order is kept twice: an ``rdf:List`` under ``bibo:authorList`` (``@list`` in JSON-LD)
and one ``prov:Attribution`` node per position carrying the 1-based ``schema:position``, the
person and the name as printed. List cells are the only blank nodes; their labels are derived
from the paper's slug so output bytes never depend on the run.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from rdflib import BNode, Literal, URIRef
from rdflib.namespace import RDF, RDFS, XSD

from kg.corpus import Corpus, ListInfo, Paper, Person
from kg.errors import ConfigError
from kg.namespaces import BIBO, DCTERMS, FOAF, KG, PROV, SCHEMA
from kg.records import PersonName
from kg.text import find_urls

Triple = tuple[URIRef | BNode, URIRef, URIRef | BNode | Literal]

DEFAULT_BASE_IRI = "https://example.org/kg/"
_BASE_IRI = re.compile(r"^https?://[^\s<>\"{}|^`\\#?]+/$")


@dataclass(frozen=True)
class IriScheme:
    """Where kg's entities live: ``{base}paper/…``, ``{base}person/…``, ``{base}list/…``."""

    base: str = DEFAULT_BASE_IRI

    def __post_init__(self) -> None:
        if not _BASE_IRI.match(self.base):
            raise ConfigError(
                f"base IRI {self.base!r} must be an absolute http(s) IRI ending with '/', "
                "without query, fragment or spaces"
            )

    def prefixes(self) -> dict[str, str]:
        """``paper:``, ``person:`` and ``list:`` under the base, for readable Turtle and tables."""
        return {kind: f"{self.base}{kind}/" for kind in ("list", "paper", "person")}

    def paper(self, paper: Paper) -> URIRef:
        return URIRef(f"{self.base}paper/{paper.slug}")

    def person(self, person: Person) -> URIRef:
        return URIRef(f"{self.base}person/{person.slug}")

    def publication_list(self, info: ListInfo) -> URIRef:
        return URIRef(f"{self.base}list/{info.slug}")

    @staticmethod
    def authorship(paper_iri: URIRef, position: int) -> URIRef:
        return URIRef(f"{paper_iri}#author-{position}")

    @staticmethod
    def source_record(list_iri: URIRef, line: int) -> URIRef:
        return URIRef(f"{list_iri}#line-{line}")


def list_triples(
    info: ListInfo, lines: Iterable[int], corpus: Corpus, iris: IriScheme
) -> Iterator[Triple]:
    """A list and the source records of its ``lines`` (one per paper it printed)."""
    subject = iris.publication_list(info)
    owner = iris.person(corpus.person(info.owner))
    yield subject, RDF.type, SCHEMA.Dataset
    yield subject, RDF.type, FOAF.PersonalProfileDocument
    yield subject, SCHEMA.name, Literal(info.file_name)
    yield subject, SCHEMA.about, owner
    yield subject, FOAF.primaryTopic, owner
    for key in info.papers:
        yield subject, SCHEMA.hasPart, iris.paper(corpus.paper(key))
    for line in lines:
        record = iris.source_record(subject, line)
        yield record, RDF.type, PROV.Entity
        yield record, DCTERMS.isPartOf, subject
        yield record, KG.line, Literal(line, datatype=XSD.integer)


def paper_triples(
    paper: Paper, corpus: Corpus, iris: IriScheme, list_iris: dict[str, URIRef]
) -> Iterator[Triple]:
    """A paper's triples, then its author list cells', then its authorships': each subject's
    triples together, ``rdf:type`` first, so writers can group them as they come."""
    subject = iris.paper(paper)
    yield subject, RDF.type, SCHEMA.ScholarlyArticle
    yield subject, SCHEMA.name, Literal(paper.title)
    for title in paper.other_titles:
        yield subject, SCHEMA.alternateName, Literal(title)
    if paper.abstract:
        yield subject, SCHEMA.abstract, Literal(paper.abstract)
        for url in find_urls(paper.abstract):
            yield subject, RDFS.seeAlso, URIRef(url)

    people = [iris.person(corpus.person(a.person)) for a in paper.authorships]
    yield from ((subject, SCHEMA.author, person) for person in people)
    yield from ((subject, FOAF.maker, person) for person in people)
    cells = [BNode(f"authors-{paper.slug}-{n}") for n in range(1, len(people) + 1)]
    yield subject, BIBO.authorList, cells[0] if cells else RDF.nil
    nodes = [iris.authorship(subject, a.position) for a in paper.authorships]
    yield from ((subject, PROV.qualifiedAttribution, node) for node in nodes)
    for source in paper.sources:
        record = iris.source_record(list_iris[source.file_name], source.line)
        yield subject, PROV.wasDerivedFrom, record

    for index, (cell, person) in enumerate(zip(cells, people, strict=True)):
        yield cell, RDF.first, person
        yield cell, RDF.rest, cells[index + 1] if index + 1 < len(cells) else RDF.nil
    for node, authorship, person in zip(nodes, paper.authorships, people, strict=True):
        yield node, RDF.type, PROV.Attribution
        yield node, PROV.agent, person
        yield node, SCHEMA.position, Literal(authorship.position, datatype=XSD.integer)
        for printed in authorship.printed:
            yield node, SCHEMA.name, Literal(printed)


def person_triples(person: Person, made: Iterable[Paper], iris: IriScheme) -> Iterator[Triple]:
    """A person's names and the papers they ``made``: every triple whose subject is the
    person, so each subject's triples come from one place (one block in Turtle, one node in
    JSON-LD)."""
    subject = iris.person(person)
    yield subject, RDF.type, SCHEMA.Person
    yield subject, RDF.type, FOAF.Person
    yield from _name_triples(subject, person.name)
    for spelling in person.spellings:
        if spelling.display != person.name.display:
            yield subject, SCHEMA.alternateName, Literal(spelling.display)
    for paper in made:
        yield subject, FOAF.made, iris.paper(paper)


def _name_triples(subject: URIRef, name: PersonName) -> Iterator[Triple]:
    yield subject, SCHEMA.name, Literal(name.display)
    yield subject, FOAF.name, Literal(name.display)
    yield subject, SCHEMA.familyName, Literal(name.family)
    yield subject, FOAF.familyName, Literal(name.family)
    if name.given:
        yield subject, SCHEMA.givenName, Literal(name.given)
        yield subject, FOAF.givenName, Literal(name.given)
