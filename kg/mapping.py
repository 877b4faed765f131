"""Map a merged corpus to RDF triples (schema.org, FOAF, BIBO, PROV). No I/O.

Author order is kept twice: an ``rdf:List`` under ``bibo:authorList`` (``@list`` in JSON-LD)
and one ``prov:Attribution`` node per position carrying the 1-based ``schema:position``, the
person and the name as printed. List cells are the only blank nodes; their labels are derived
from the paper's slug so output bytes never depend on the run.

Triples are tuples of pyoxigraph terms: a build maps tens of millions, and Oxigraph's terms
are made (and checked) in Rust, render themselves as N-Triples and need no conversion for
the writers, where rdflib's terms cost several microseconds each.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from itertools import starmap

import pyoxigraph as ox

from kg.corpus import Corpus, ListInfo, Paper, Person, VenueInfo, VenueKey
from kg.fields import arxiv_iri, date_precision, doi_iri
from kg.identity import PaperKey, PersonKey
from kg.iris import IriScheme
from kg.namespaces import (
    OX_BIBO,
    OX_DCTERMS,
    OX_FOAF,
    OX_KG,
    OX_PROV,
    OX_RDF,
    OX_RDFS,
    OX_SCHEMA,
    OX_XSD,
)
from kg.records import PersonName, VenueKind, WorkType
from kg.text import find_urls

Subject = ox.NamedNode | ox.BlankNode
Triple = tuple[Subject, ox.NamedNode, ox.NamedNode | ox.BlankNode | ox.Literal]

_INTEGER = OX_XSD.integer

WORK_CLASSES = {
    WorkType.ARTICLE: OX_SCHEMA.ScholarlyArticle,
    WorkType.CHAPTER: OX_SCHEMA.Chapter,
    WorkType.BOOK: OX_SCHEMA.Book,
    WorkType.THESIS: OX_SCHEMA.Thesis,
    WorkType.REPORT: OX_SCHEMA.Report,
}
"""The schema.org class of each kind of work. Every work is also a ``bibo:Document``, the
one class that finds all of them (and no venue) whatever their kind."""

VENUE_CLASSES = {VenueKind.PERIODICAL: OX_SCHEMA.Periodical, VenueKind.BOOK: OX_SCHEMA.Book}

_DATE_TYPES = {1: OX_XSD.gYear, 2: OX_XSD.gYearMonth, 3: OX_XSD.date}
"""The XML Schema type of a date at each precision: year, year and month, full date."""


@dataclass(frozen=True)
class CorpusIris:
    """The IRI of every list, paper and person of a corpus, made once: each is named again
    by every entity that links to it."""

    scheme: IriScheme
    lists: Mapping[str, ox.NamedNode]
    """By file name."""
    papers: Mapping[PaperKey, ox.NamedNode]
    persons: Mapping[PersonKey, ox.NamedNode]
    venues: Mapping[VenueKey, ox.NamedNode]
    same_as: Mapping[str, ox.NamedNode]
    """The same paper or person elsewhere (a Wikidata item), by local IRI."""

    @classmethod
    def of(
        cls, corpus: Corpus, scheme: IriScheme, same_as: Mapping[str, str] | None = None
    ) -> CorpusIris:
        return cls(
            scheme,
            {info.file_name: scheme.publication_list(info) for info in corpus.lists},
            {paper.key: scheme.paper(paper) for paper in corpus.papers},
            {key: scheme.person(person) for key, person in corpus.persons.items()},
            {key: scheme.venue(info) for key, info in corpus.venues.items()},
            {local: ox.NamedNode(remote) for local, remote in (same_as or {}).items()},
        )


def list_triples(info: ListInfo, lines: Iterable[int], iris: CorpusIris) -> Iterator[Triple]:
    """A list and the source records of its ``lines`` (one per paper it printed)."""
    subject = iris.lists[info.file_name]
    yield subject, OX_RDF.type, OX_SCHEMA.Dataset
    if info.owner is not None:  # a text list; BibTeX and CSL-JSON files name no owner
        owner = iris.persons[info.owner]
        yield subject, OX_RDF.type, OX_FOAF.PersonalProfileDocument
    yield subject, OX_SCHEMA.name, ox.Literal(info.file_name)
    if info.owner is not None:
        yield subject, OX_SCHEMA.about, owner
        yield subject, OX_FOAF.primaryTopic, owner
    for key in info.papers:
        yield subject, OX_SCHEMA.hasPart, iris.papers[key]
    for line in lines:
        record = IriScheme.source_record(subject, line)
        yield record, OX_RDF.type, OX_PROV.Entity
        yield record, OX_DCTERMS.isPartOf, subject
        yield record, OX_KG.line, ox.Literal(str(line), datatype=_INTEGER)


def paper_triples(paper: Paper, iris: CorpusIris) -> Iterator[Triple]:
    """A paper's triples, then its author list cells', then its authorships': each subject's
    triples together, ``rdf:type`` first, so writers can group them as they come."""
    subject = iris.papers[paper.key]
    yield subject, OX_RDF.type, OX_BIBO.Document
    yield subject, OX_RDF.type, WORK_CLASSES[paper.work_type]
    yield subject, OX_SCHEMA.name, ox.Literal(paper.title)
    for title in paper.other_titles:
        yield subject, OX_SCHEMA.alternateName, ox.Literal(title)
    if paper.abstract:
        yield subject, OX_SCHEMA.abstract, ox.Literal(paper.abstract)
        for url in find_urls(paper.abstract):
            yield subject, OX_RDFS.seeAlso, ox.NamedNode(url)
    yield from _bibliographic_triples(subject, paper, iris)
    if subject.value in iris.same_as:
        yield subject, OX_SCHEMA.sameAs, iris.same_as[subject.value]

    people = [iris.persons[a.person] for a in paper.authorships]
    yield from ((subject, OX_SCHEMA.author, person) for person in people)
    yield from ((subject, OX_FOAF.maker, person) for person in people)
    cells = [ox.BlankNode(f"authors-{paper.slug}-{n}") for n in range(1, len(people) + 1)]
    yield subject, OX_BIBO.authorList, cells[0] if cells else OX_RDF.nil
    nodes = [IriScheme.authorship(subject, a.position) for a in paper.authorships]
    yield from ((subject, OX_PROV.qualifiedAttribution, node) for node in nodes)
    for source in paper.sources:
        record = IriScheme.source_record(iris.lists[source.file_name], source.line)
        yield subject, OX_PROV.wasDerivedFrom, record

    for index, (cell, person) in enumerate(zip(cells, people, strict=True)):
        yield cell, OX_RDF.first, person
        yield cell, OX_RDF.rest, cells[index + 1] if index + 1 < len(cells) else OX_RDF.nil
    for node, authorship, person in zip(nodes, paper.authorships, people, strict=True):
        yield node, OX_RDF.type, OX_PROV.Attribution
        yield node, OX_PROV.agent, person
        yield node, OX_SCHEMA.position, ox.Literal(str(authorship.position), datatype=_INTEGER)
        for printed in authorship.printed:
            yield node, OX_SCHEMA.name, ox.Literal(printed)


def _bibliographic_triples(
    subject: ox.NamedNode, paper: Paper, iris: CorpusIris
) -> Iterator[Triple]:
    """What BibTeX and CSL-JSON sources add: date, identifiers, venue and the rest."""
    if paper.date is not None:
        date_type = _DATE_TYPES[date_precision(paper.date)]
        yield subject, OX_SCHEMA.datePublished, ox.Literal(paper.date, datatype=date_type)
    if paper.doi is not None:
        yield subject, OX_BIBO.doi, ox.Literal(paper.doi)
        yield subject, OX_SCHEMA.identifier, ox.Literal(f"doi:{paper.doi}")
        yield subject, OX_SCHEMA.sameAs, ox.NamedNode(doi_iri(paper.doi))
    if paper.arxiv is not None:
        yield subject, OX_SCHEMA.identifier, ox.Literal(f"arXiv:{paper.arxiv}")
        yield subject, OX_RDFS.seeAlso, ox.NamedNode(arxiv_iri(paper.arxiv))
    if paper.venue is not None:
        yield subject, OX_SCHEMA.isPartOf, iris.venues[paper.venue]
    if paper.volume is not None:
        yield subject, OX_BIBO.volume, ox.Literal(paper.volume)
    if paper.issue is not None:
        yield subject, OX_BIBO.issue, ox.Literal(paper.issue)
    if paper.pages is not None:
        yield subject, OX_SCHEMA.pagination, ox.Literal(paper.pages)
    for keyword in paper.keywords:
        yield subject, OX_SCHEMA.keywords, ox.Literal(keyword)
    if paper.url is not None:
        yield subject, OX_SCHEMA.url, ox.NamedNode(paper.url)
    if paper.degree is not None:
        yield subject, OX_SCHEMA.inSupportOf, ox.Literal(paper.degree)
    if paper.authors_truncated:
        yield subject, OX_KG.authorListTruncated, ox.Literal("true", datatype=OX_XSD.boolean)


def venue_triples(info: VenueInfo, iris: CorpusIris) -> Iterator[Triple]:
    """A journal or book that works appear in: its class and its name."""
    subject = iris.venues[info.key]
    yield subject, OX_RDF.type, VENUE_CLASSES[info.venue.kind]
    yield subject, OX_SCHEMA.name, ox.Literal(info.venue.name)


def person_triples(person: Person, made: Iterable[Paper], iris: CorpusIris) -> Iterator[Triple]:
    """A person's names (an organisation's name) and the papers they ``made``: every triple
    whose subject is the person, so each subject's triples come from one place (one block
    in Turtle, one node in JSON-LD)."""
    subject = iris.persons[person.key]
    for kind in agent_classes(person.organization):
        yield subject, OX_RDF.type, kind
    if person.organization:
        yield subject, OX_SCHEMA.name, ox.Literal(person.name.display)
        yield subject, OX_FOAF.name, ox.Literal(person.name.display)
    else:
        yield from _name_triples(subject, person.name)
    for spelling in person.spellings:
        if spelling.display != person.name.display:
            yield subject, OX_SCHEMA.alternateName, ox.Literal(spelling.display)
    if subject.value in iris.same_as:
        yield subject, OX_SCHEMA.sameAs, iris.same_as[subject.value]
    for paper in made:
        yield subject, OX_FOAF.made, iris.papers[paper.key]


def agent_classes(organization: bool) -> tuple[ox.NamedNode, ox.NamedNode]:
    """An author's classes: a person, or an organisation (a consortium, an agency)."""
    if organization:
        return OX_SCHEMA.Organization, OX_FOAF.Organization
    return OX_SCHEMA.Person, OX_FOAF.Person


def _name_triples(subject: ox.NamedNode, name: PersonName) -> Iterator[Triple]:
    yield subject, OX_SCHEMA.name, ox.Literal(name.display)
    yield subject, OX_FOAF.name, ox.Literal(name.display)
    yield subject, OX_SCHEMA.familyName, ox.Literal(name.family)
    yield subject, OX_FOAF.familyName, ox.Literal(name.family)
    if name.given:
        yield subject, OX_SCHEMA.givenName, ox.Literal(name.given)
        yield subject, OX_FOAF.givenName, ox.Literal(name.given)


def oxigraph_triples(triples: Iterable[Triple]) -> list[ox.Triple]:
    """``triples`` as Oxigraph's own, which its writers take (made once per entity: half
    the time of parsing them back from the entity's N-Triples)."""
    return list(starmap(ox.Triple, triples))


def ntriples(triples: Iterable[ox.Triple]) -> bytes:
    """N-Triples of ``triples``, blank node labels kept, written by Oxigraph: in a fifth of
    the time of joining each term's ``str`` (its N-Triples form), to the same bytes."""
    return ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES) or b""
