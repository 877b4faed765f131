"""Cut a corpus's graph into entities: for SHACL validation in independent batches, and for
builds split into shards (``kg build --shard I/N``).

An entity is a list (with its source records, one per line), a paper (with its
authorships and author list cells), a person (with the papers it made) or a venue; each triple of
the graph belongs to exactly one, and so does each subject, whose IRI starts with the
entity's. A validation batch holds its entities' triples plus the context that kg's shapes
read from neighbouring entities: the types of linked persons, papers and lists, the lists
that include a paper, the source records it derives from and the ``foaf:maker`` links of
the papers a person made. Validation keeps only the results whose focus node the batch
owns, so every result comes from exactly one batch and their union is the whole-graph
report; ``tests/test_engine.py`` checks that equivalence on the sample and on random corpora.

The context is what the bundled shapes need; user shapes (``--shapes``) may read anything,
so builds with them validate the whole graph instead.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import cached_property

import pyoxigraph as ox

from kg.corpus import Corpus, ListInfo, Paper, VenueKey
from kg.errors import ConfigError
from kg.identity import PaperKey, PersonKey
from kg.iris import IriScheme
from kg.mapping import (
    VENUE_CLASSES,
    CorpusIris,
    Triple,
    agent_classes,
    list_triples,
    ntriples,
    oxigraph_triples,
    paper_triples,
    person_triples,
    venue_triples,
)
from kg.namespaces import OX_BIBO, OX_DCTERMS, OX_FOAF, OX_PROV, OX_RDF, OX_SCHEMA

_TYPE = OX_RDF.type

ENTITIES_PER_BATCH = 500
"""The SPARQL checks (:mod:`kg.shacl_sparql`) cost some 190 queries per batch whatever its
size, then grow linearly with it: on a 10k-paper corpus batches of 500 and of 2000 took the
same time within noise, and 2000 held 300 MB more in the build's process (the batches in
flight). pyshacl-turbo, used before, wanted batches of 64: its work per batch grows faster
than the batch."""

FIRST_BATCH = 50
"""Entities in the first batch; the next ones double up to :data:`ENTITIES_PER_BATCH`."""

TRIPLES_PER_BATCH = 100_000
"""A batch also ends once its entities' triples (their own and their context) reach this
many. Entities differ widely: 500 lists with their source records made 464k lines at 100k
papers, 13 times the median batch, and a validation worker keeps the memory of the largest
batch it has checked until it ends (0.4 GB at 100k, 0.7 GB at a million papers)."""


@dataclass(frozen=True)
class ValidationBatch:
    owners: dict[str, str]
    """Each IRI whose validation results this batch reports -> the entity it belongs to."""
    text: bytes
    """N-Triples of the owned entities' triples plus the context the shapes read. Lines
    repeat where entities share context (12% of a 10k-paper build's); the store the checks
    load them into holds each triple once, and leaving them costs less than finding them."""


@dataclass(frozen=True)
class Shard:
    """Part ``index`` of ``count`` (1-based): the entities whose IRI hashes to it.

    IRIs derive from content, so every machine puts every entity in the same part without
    talking to the others, and the parts' triples are disjoint and together the whole graph.
    """

    index: int
    count: int

    def __post_init__(self) -> None:
        if not 1 <= self.index <= self.count:
            raise ConfigError(f"shard {self.index}/{self.count}: need 1 <= I <= N")

    @classmethod
    def parse(cls, text: str) -> Shard:
        """``"2/8"`` -> part 2 of 8."""
        index, slash, count = text.partition("/")
        if not (slash and index.isdigit() and count.isdigit()):
            raise ConfigError(f"shard {text!r}: expected I/N, e.g. 1/4")
        return cls(int(index), int(count))

    def owns(self, iri: str) -> bool:
        digest = hashlib.sha256(iri.encode("utf-8")).digest()
        return int.from_bytes(digest[:8], "big") % self.count == self.index - 1


@dataclass(frozen=True)
class Entity:
    iri: str
    owned: tuple[str, ...]
    """Its own IRI and those of its parts (authorships, source records)."""
    own: list[Triple]
    """The entity's triples: each triple of the graph belongs to exactly one entity."""
    context: list[Triple]
    """Neighbours' triples that the shapes read when checking this entity."""

    @cached_property
    def own_triples(self) -> list[ox.Triple]:
        """``own`` as Oxigraph's triples, for the Turtle and N-Triples writers."""
        return oxigraph_triples(self.own)

    @cached_property
    def own_ntriples(self) -> bytes:
        """``own`` as N-Triples (blank node labels kept), made once for validation, the
        validation cache and the exports."""
        return ntriples(self.own_triples)

    @cached_property
    def context_ntriples(self) -> bytes:
        """``context`` as N-Triples."""
        return ntriples(oxigraph_triples(self.context))


def validation_batches(
    corpus: Corpus,
    iris: IriScheme,
    entities_per_batch: int = ENTITIES_PER_BATCH,
    shard: Shard | None = None,
) -> Iterator[ValidationBatch]:
    """The corpus's graph (or one shard of it) as batches of ``entities_per_batch``
    entities."""
    return batched(entities(corpus, iris, shard), entities_per_batch)


def batched(
    selected: Iterable[Entity],
    entities_per_batch: int = ENTITIES_PER_BATCH,
    triples_per_batch: int = TRIPLES_PER_BATCH,
) -> Iterator[ValidationBatch]:
    """``selected`` entities in batches of ``entities_per_batch``, or fewer when their
    triples reach ``triples_per_batch``, with their context."""
    for chunk in _chunks(selected, entities_per_batch, triples_per_batch):
        owners = {iri: entity.iri for entity in chunk for iri in entity.owned}
        text = b"".join(
            part for entity in chunk for part in (entity.own_ntriples, entity.context_ntriples)
        )
        yield ValidationBatch(owners=owners, text=text)


def _chunks(
    selected: Iterable[Entity], entities_per_chunk: int, triples_per_chunk: int
) -> Iterator[list[Entity]]:
    """Runs of ``selected``, each ending at ``entities_per_chunk`` entities or once its
    triples reach ``triples_per_chunk`` (an entity larger than that is a run alone).

    The first runs are shorter (:data:`FIRST_BATCH` entities, then twice as many each time):
    validation starts once a few entities are mapped, not 500 (at 10k papers, half a second
    in which the build had only its own process at work)."""
    chunk: list[Entity] = []
    triples = 0
    size = min(FIRST_BATCH, entities_per_chunk)
    for entity in selected:
        chunk.append(entity)
        triples += len(entity.own) + len(entity.context)
        if len(chunk) >= size or triples >= triples_per_chunk:
            yield chunk
            chunk, triples = [], 0
            size = min(2 * size, entities_per_chunk)
    if chunk:
        yield chunk


def entities(
    corpus: Corpus,
    iris: IriScheme,
    shard: Shard | None = None,
    same_as: Mapping[str, str] | None = None,
) -> Iterator[Entity]:
    """Every entity of the corpus's graph (or of one shard), in IRI order: lists (with their
    source records), papers (with their authorships and author list), persons (with the
    papers they made), venues. A shard maps only its own entities, so N shards share the mapping
    work."""

    def mine(iri: str) -> bool:
        return shard is None or shard.owns(iri)

    named = CorpusIris.of(corpus, iris, same_as)
    lists_of_paper: dict[PaperKey, list[ListInfo]] = defaultdict(list)
    for info in corpus.lists:
        for key in info.papers:
            lists_of_paper[key].append(info)
    lines_of_list: dict[str, list[int]] = defaultdict(list)
    papers_of_person: dict[PersonKey, list[Paper]] = defaultdict(list)
    for paper in corpus.papers:
        for source in paper.sources:
            lines_of_list[source.file_name].append(source.line)
        for person_key in dict.fromkeys(a.person for a in paper.authorships):
            papers_of_person[person_key].append(paper)

    def person_types(key: PersonKey) -> list[Triple]:
        person = named.persons[key]
        organization = corpus.persons[key].organization
        return [(person, _TYPE, kind) for kind in agent_classes(organization)]

    for info in sorted(corpus.lists, key=lambda info: named.lists[info.file_name].value):
        subject = named.lists[info.file_name]
        if not mine(subject.value):
            continue
        context: list[Triple] = [
            (named.papers[key], _TYPE, OX_BIBO.Document) for key in info.papers
        ]
        if info.owner is not None:
            context += person_types(info.owner)
        lines = sorted(lines_of_list[info.file_name])
        owned = (subject.value, *(iris.source_record(subject, line).value for line in lines))
        own = _unique(list_triples(info, lines, named))
        yield Entity(subject.value, owned, own, context)

    for paper in sorted(corpus.papers, key=lambda paper: named.papers[paper.key].value):
        subject = named.papers[paper.key]
        if not mine(subject.value):
            continue
        context = []
        for authorship in paper.authorships:
            context += person_types(authorship.person)
        for info in lists_of_paper[paper.key]:
            owner = named.persons[info.owner] if info.owner is not None else None
            context += _list_context(named.lists[info.file_name], subject, owner)
        for source in paper.sources:
            context += _record_context(named.lists[source.file_name], source.line)
        if paper.venue is not None:
            venue = corpus.venues[paper.venue]
            context.append((named.venues[venue.key], _TYPE, VENUE_CLASSES[venue.venue.kind]))
        owned = (
            subject.value,
            *(iris.authorship(subject, a.position).value for a in paper.authorships),
        )
        own = _unique(paper_triples(paper, named))
        yield Entity(subject.value, owned, own, context)

    for person in sorted(
        corpus.persons.values(), key=lambda person: named.persons[person.key].value
    ):
        subject = named.persons[person.key]
        if not mine(subject.value):
            continue
        made = papers_of_person[person.key]
        own = _unique(person_triples(person, made, named))
        yield Entity(subject.value, (subject.value,), own, list(_makers(subject, made, named)))

    a_paper_in: dict[VenueKey, ox.NamedNode] = {}
    for paper in corpus.papers:
        if paper.venue is not None:
            iri = named.papers[paper.key]
            known = a_paper_in.get(paper.venue)
            a_paper_in[paper.venue] = iri if known is None else min(known, iri, key=str)
    for venue in sorted(corpus.venues.values(), key=lambda info: named.venues[info.key].value):
        subject = named.venues[venue.key]
        if not mine(subject.value):
            continue
        # The venue shapes find venues as objects of schema:isPartOf; one such link suffices.
        context = [(a_paper_in[venue.key], OX_SCHEMA.isPartOf, subject)]
        own = list(venue_triples(venue, named))
        yield Entity(subject.value, (subject.value,), own, context)


def _unique(triples: Iterable[Triple]) -> list[Triple]:
    """``triples`` without repeats (an abstract may cite one URL twice), in their order."""
    return list(dict.fromkeys(triples))


def _list_context(
    list_iri: ox.NamedNode, paper: ox.NamedNode, owner: ox.NamedNode | None
) -> list[Triple]:
    """What a paper's shapes read of a list that includes it."""
    context: list[Triple] = [
        (list_iri, _TYPE, OX_SCHEMA.Dataset),
        (list_iri, OX_SCHEMA.hasPart, paper),
    ]
    if owner is not None:
        context.append((list_iri, _TYPE, OX_FOAF.PersonalProfileDocument))
        context.append((list_iri, OX_SCHEMA.about, owner))
    return context


def _record_context(list_iri: ox.NamedNode, line: int) -> list[Triple]:
    """What a paper's shapes read of a source record it derives from."""
    record = IriScheme.source_record(list_iri, line)
    return [(record, _TYPE, OX_PROV.Entity), (record, OX_DCTERMS.isPartOf, list_iri)]


def _makers(person: ox.NamedNode, made: list[Paper], iris: CorpusIris) -> Iterator[Triple]:
    """What a person's shapes read of the papers they made: ``foaf:maker`` and the type."""
    for paper in made:
        paper_iri = iris.papers[paper.key]
        yield paper_iri, OX_FOAF.maker, person
        yield paper_iri, _TYPE, OX_BIBO.Document
