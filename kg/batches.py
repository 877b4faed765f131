"""Cut a corpus's graph into batches of entities that can be SHACL-validated independently.

A batch holds the triples of its own entities (lists, papers with their authorships, list
cells and source records, persons) plus the context that kg's shapes read from neighbouring
entities: the types of linked persons, papers and lists, the lists that include a paper and
the papers a person made. Validation keeps only the results whose focus node the batch owns,
so every result comes from exactly one batch and their union is the whole-graph report;
``tests/test_batches.py`` checks that equivalence on the sample and on random corpora.

The context is what the bundled shapes need; user shapes (``--shapes``) may read anything,
so builds with them validate the whole graph instead.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import islice

from rdflib import URIRef
from rdflib.namespace import RDF

from kg.corpus import Corpus, ListInfo, Paper, Person
from kg.identity import PaperKey, PersonKey
from kg.mapping import IriScheme, Triple, list_triples, paper_triples, person_triples
from kg.namespaces import FOAF, SCHEMA

ENTITIES_PER_BATCH = 2000
"""Large enough that starting a batch costs little, small enough to spread over cores."""


@dataclass(frozen=True)
class ValidationBatch:
    owned: frozenset[str]
    """The IRIs whose validation results this batch reports."""
    triples: tuple[Triple, ...]
    """The owned entities' triples plus the context the shapes read; no duplicates."""


@dataclass(frozen=True)
class _Unit:
    owned: tuple[str, ...]
    triples: list[Triple]


def validation_batches(
    corpus: Corpus, iris: IriScheme, entities_per_batch: int = ENTITIES_PER_BATCH
) -> Iterator[ValidationBatch]:
    """The corpus's graph as batches of ``entities_per_batch`` lists, papers or persons."""
    units = _units(corpus, iris)
    while chunk := list(islice(units, entities_per_batch)):
        owned = frozenset(iri for unit in chunk for iri in unit.owned)
        triples = dict.fromkeys(triple for unit in chunk for triple in unit.triples)
        yield ValidationBatch(owned=owned, triples=tuple(triples))


def _units(corpus: Corpus, iris: IriScheme) -> Iterator[_Unit]:
    list_iris = {info.file_name: iris.publication_list(info) for info in corpus.lists}
    lists_of_paper: dict[PaperKey, list[ListInfo]] = defaultdict(list)
    for info in corpus.lists:
        for key in info.papers:
            lists_of_paper[key].append(info)
    papers_of_person: dict[PersonKey, list[Paper]] = defaultdict(list)
    for paper in corpus.papers:
        for person_key in dict.fromkeys(a.person for a in paper.authorships):
            papers_of_person[person_key].append(paper)

    def person_types(key: PersonKey) -> list[Triple]:
        person = iris.person(corpus.person(key))
        return [(person, RDF.type, SCHEMA.Person), (person, RDF.type, FOAF.Person)]

    for info in corpus.lists:
        triples = list(list_triples(info, corpus, iris))
        triples += [
            (iris.paper(corpus.paper(key)), RDF.type, SCHEMA.ScholarlyArticle)
            for key in info.papers
        ]
        triples += person_types(info.owner)
        yield _Unit(owned=(str(iris.publication_list(info)),), triples=triples)

    for paper in corpus.papers:
        subject = iris.paper(paper)
        triples = list(paper_triples(paper, corpus, iris, list_iris))
        for authorship in paper.authorships:
            triples += person_types(authorship.person)
        for info in lists_of_paper[paper.key]:
            triples += _list_context(iris.publication_list(info), subject, info, corpus, iris)
        owned = (
            str(subject),
            *(str(iris.authorship(subject, a.position)) for a in paper.authorships),
            *(str(iris.source_record(list_iris[s.file_name], s.line)) for s in paper.sources),
        )
        yield _Unit(owned=owned, triples=triples)

    for person in corpus.persons.values():
        yield _Unit(
            owned=(str(iris.person(person)),),
            triples=[*person_triples(person, corpus, iris), *_made(person, papers_of_person, iris)],
        )


def _list_context(
    list_iri: URIRef, paper: URIRef, info: ListInfo, corpus: Corpus, iris: IriScheme
) -> list[Triple]:
    """What a paper's shapes read of a list that includes it."""
    return [
        (list_iri, RDF.type, SCHEMA.Dataset),
        (list_iri, RDF.type, FOAF.PersonalProfileDocument),
        (list_iri, SCHEMA.hasPart, paper),
        (list_iri, SCHEMA.about, iris.person(corpus.person(info.owner))),
    ]


def _made(
    person: Person, papers_of_person: dict[PersonKey, list[Paper]], iris: IriScheme
) -> Iterator[Triple]:
    """A person's side of authorship: ``foaf:made`` and the papers' ``foaf:maker`` and type."""
    subject = iris.person(person)
    for paper in papers_of_person[person.key]:
        paper_iri = iris.paper(paper)
        yield subject, FOAF.made, paper_iri
        yield paper_iri, FOAF.maker, subject
        yield paper_iri, RDF.type, SCHEMA.ScholarlyArticle
