"""The build: read lists, merge, map, validate, export. Each stage is its own module."""

from __future__ import annotations

import gc
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

from kg.batches import Entity, Shard, entities
from kg.cachefile import CacheFile
from kg.corpus import Corpus, MergeNote, build_corpus
from kg.errors import InputError, ValidationFailed
from kg.export import ExportFiles, exported_ntriples
from kg.graph import entities_graph
from kg.incremental import ValidationCache, validate_entities
from kg.iris import IriScheme
from kg.partial_load import remember_graph
from kg.progress import ProgressCallback, silent
from kg.records import InputNote, PublicationList, SkippedEntry
from kg.resources import sample_list
from kg.sources import discover_inputs, read_inputs
from kg.store import StoreChange, StoreUpdate
from kg.validation import ValidationReport, format_report, validate

LISTS_CACHE_FILE = "lists.sqlite"
"""In the cache folder: the lists the last build read, by file name and bytes."""


@dataclass(frozen=True)
class CorpusSummary:
    """What a build tells of its corpus. The corpus itself is freed before the store is
    filled: at a million papers it holds gigabytes the store's loading can then reuse."""

    papers: int
    persons: int
    lists: int
    notes: tuple[MergeNote, ...]
    skipped: tuple[SkippedEntry, ...]
    input_notes: tuple[InputNote, ...]

    @classmethod
    def of(cls, corpus: Corpus) -> CorpusSummary:
        return cls(
            len(corpus.papers),
            len(corpus.persons),
            len(corpus.lists),
            corpus.notes,
            corpus.skipped,
            corpus.input_notes,
        )


@dataclass(frozen=True)
class BuildResult:
    summary: CorpusSummary
    triples: int
    """Triples written (in N-Triples, one line each)."""
    report: ValidationReport
    written: tuple[Path, ...]
    validated: int | None = None
    """Entities validated afresh; None when the whole graph was validated at once (extra
    shapes)."""
    reused: int = 0
    """Entities whose validation outcome came unchanged from the last build's cache."""
    lists_reused: int = 0
    """Input lists whose files had not changed since the last build, so were not read."""
    copied: int = 0
    """Entities whose Turtle and JSON-LD were copied from the last exports: their own
    triples had not changed (see :mod:`kg.export_index`)."""
    store: StoreChange | None = None
    """What the build did to the on-disk store, if it was given one."""


def load_corpus(
    inputs: Sequence[Path],
    progress: ProgressCallback = silent,
    cache: CacheFile | None = None,
    keep_going: bool = False,
) -> Corpus:
    """Read and merge the lists named by ``inputs`` (the bundled sample when empty); with a
    ``cache``, files read by the last build are not read again.

    Entries a reader could not take stop the build, all named at once so one run shows
    every fix to make; with ``keep_going`` the corpus is built without them and lists them
    in ``Corpus.skipped``.
    """
    files = discover_inputs(inputs or [sample_list()])
    corpus = build_corpus(_reporting(read_inputs(files, cache=cache), len(files), progress))
    if corpus.skipped and not keep_going:
        raise InputError(
            f"{len(corpus.skipped)} malformed entr{'y' if len(corpus.skipped) == 1 else 'ies'}"
            " (fix them, or pass --keep-going to build without them):\n"
            + "\n".join(f"  {entry}" for entry in corpus.skipped)
        )
    return corpus


def _reporting(
    lists: Iterable[PublicationList], total: int, progress: ProgressCallback
) -> Iterator[PublicationList]:
    progress("reading", 0, total)
    for done, publication_list in enumerate(lists, start=1):
        yield publication_list
        progress("reading", done, total)


def _counting(
    stream: Iterable[Entity], shard: Shard | None, corpus: Corpus, progress: ProgressCallback
) -> Iterator[Entity]:
    """``stream``, telling ``progress`` how many entities have been mapped so far."""
    total = None if shard else len(corpus.lists) + len(corpus.papers) + len(corpus.persons)
    progress("mapping, validating, writing", 0, total)
    for done, entity in enumerate(stream, start=1):
        yield entity
        progress("mapping, validating, writing", done, total)


@contextmanager
def _cycle_collector_paused() -> Iterator[None]:
    """Python's cycle collector off while a build runs.

    A build holds millions of objects (the corpus) until it ends and makes almost no
    reference cycles, but the collector walks every live object again and again: at 100k
    papers it took 144 s of an 8-minute build, and its share grows with the corpus. Memory
    stays the same without it (measured at 10k papers). No collection at the end either:
    the collector, enabled again, finds the few cycles there are later (one at the end took
    0.8 s in a profiled build of 10k papers, when the result still held the corpus; the
    corpus is freed before the store is filled now).
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _validate_whole(
    corpus: Corpus,
    iris: IriScheme,
    extra_shapes: Sequence[Path],
    files: ExportFiles,
    shard: Shard | None,
    same_as: Mapping[str, str] | None,
    progress: ProgressCallback,
) -> ValidationReport:
    """The report of the whole graph with the user's shapes, while ``files`` get the entities
    of ``shard`` (all of them without one).

    User shapes may read any part of the graph, so a shard validates all of it too, and
    reports the results whose focus node is its own: a node of one of its entities (an
    author list's cells are their paper's), and nodes of no entity (a literal, an IRI
    outside the graph) by the shard their own text hashes to. Every result is so reported
    by exactly one shard, and the shards' reports together are the whole build's.
    """
    home: dict[str, str] = {}  # an entity's IRIs and blank node labels -> the entity's IRI

    def mapped() -> Iterator[Entity]:
        for entity in entities(corpus, iris, None, same_as):
            if shard is not None:
                home.update(dict.fromkeys(entity.owned, entity.iri))
                blank = (s for s, _, _ in entity.own if isinstance(s, ox.BlankNode))
                home.update((node.value, entity.iri) for node in blank)
            if shard is None or shard.owns(entity.iri):
                files.add(entity)
            yield entity

    graph = entities_graph(_counting(mapped(), None, corpus, progress), iris)
    if shard is None:
        return validate(graph, extra_shapes)
    return validate(graph, extra_shapes, lambda node: shard.owns(home.get(str(node), str(node))))


@_cycle_collector_paused()
def build(
    inputs: Sequence[Path],
    out_dir: Path,
    iris: IriScheme,
    extra_shapes: Sequence[Path] = (),
    compress: bool = False,
    progress: ProgressCallback = silent,
    store: Path | None = None,
    shard: Shard | None = None,
    cache_dir: Path | None = None,
    same_as: Mapping[str, str] | None = None,
    keep_going: bool = False,
) -> BuildResult:
    """Build, validate and export (and fill an on-disk store when ``store`` is given);
    raises ``ValidationFailed``, writing nothing, on violations.

    With ``shard``, every input is still read (names and slugs are chosen over all of them),
    but only that part's entities are mapped, validated and written: N shards together hold
    exactly the triples of one whole build, and report exactly its validation results. (With
    ``extra_shapes``, which may read any part of the graph, a shard maps and validates all of
    it and reports the results about its own nodes.)

    With ``cache_dir``, files that did not change since the last build there are not read
    again, and entities whose triples did not change keep their validation outcome instead
    of being validated again (see :mod:`kg.incremental`).

    ``progress`` hears the stages reading (files); mapping, validating, writing (entities,
    which stream through all three at once); writing (finishing the files) and storing.

    ``same_as`` links papers and persons (by IRI) to the same entity elsewhere, e.g. the
    Wikidata items of an accepted alignment; links to IRIs the graph lacks are ignored.

    With ``keep_going``, malformed entries are left out (``corpus.skipped`` lists them)
    instead of stopping the build.
    """
    lists_cache = CacheFile(cache_dir / LISTS_CACHE_FILE) if cache_dir is not None else None
    corpus = load_corpus(inputs, progress, lists_cache, keep_going)
    summary = CorpusSummary.of(corpus)
    cache = ValidationCache(cache_dir) if cache_dir is not None and not extra_shapes else None
    validated, reused = None, 0
    with ExportFiles(out_dir, iris, compress, cache_dir) as files:
        # Each entity is mapped once, written to the (temporary) exports and validated;
        # only the batches in flight are held.
        if extra_shapes:  # user shapes may read anything: validate the whole graph
            report = _validate_whole(corpus, iris, extra_shapes, files, shard, same_as, progress)
        else:
            mapped = entities(corpus, iris, shard, same_as)
            stream = _counting(files.writing(mapped), shard, corpus, progress)
            outcome = validate_entities(stream, cache)
            report, validated = outcome.report, outcome.validated
            reused = outcome.entities - outcome.validated
        del corpus  # every entity is mapped: its memory goes to finishing files and the store
        if not report.passes:
            raise ValidationFailed(format_report(report, "text"))
        progress("writing", 0, None)
        files.finish()
        stored = None
        if store is None:
            written = files.commit()
        else:  # prepared beside the store while the previous exports still say what it holds
            progress("storing", 0, None)
            previous = exported_ntriples(out_dir)
            with StoreUpdate(files.staged("graph.nt"), store, previous) as update:
                written = files.commit()
                stored = update.commit()
    for used in (lists_cache, cache):
        if used is not None:
            used.save()
    if cache_dir is not None and not compress:
        # the store, when there is one, has just hashed the same bytes
        remember_graph(out_dir / "graph.nt", cache_dir, stored.digest if stored else None)
    triples = files.triples
    lists_reused = lists_cache.hits if lists_cache is not None else 0
    return BuildResult(
        summary,
        triples,
        report,
        tuple(written),
        validated,
        reused,
        lists_reused,
        files.copied,
        stored,
    )
