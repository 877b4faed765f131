"""The build: read lists, merge, map, validate, export. Each stage is its own module."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from rdflib import Graph

from kg.batches import ENTITIES_PER_BATCH, Shard, validation_batches
from kg.corpus import Corpus, build_corpus
from kg.errors import ValidationFailed
from kg.export import write_exports
from kg.graph import corpus_graph
from kg.mapping import IriScheme
from kg.records import PublicationList
from kg.resources import sample_list
from kg.sources import discover_inputs, read_inputs
from kg.store import write_store
from kg.validation import ValidationReport, format_report, validate, validate_batches

ProgressCallback = Callable[[str, int, int | None], None]
"""Called as ``(stage, done, total)``: stages are reading (files), mapping, validating,
writing and storing; ``total`` is None where it is not known. The CLI draws it; the
library never prints."""


def _silent(_stage: str, _done: int, _total: int | None) -> None:
    """The default progress callback: says nothing."""


@dataclass(frozen=True)
class BuildResult:
    corpus: Corpus
    graph: Graph
    report: ValidationReport
    written: tuple[Path, ...]


def load_corpus(inputs: Sequence[Path], progress: ProgressCallback = _silent) -> Corpus:
    """Read and merge the lists named by ``inputs`` (the bundled sample when empty)."""
    files = discover_inputs(inputs or [sample_list()])
    return build_corpus(_reporting(read_inputs(files), len(files), progress))


def _reporting(
    lists: Iterable[PublicationList], total: int, progress: ProgressCallback
) -> Iterator[PublicationList]:
    progress("reading", 0, total)
    for done, publication_list in enumerate(lists, start=1):
        yield publication_list
        progress("reading", done, total)


def build(
    inputs: Sequence[Path],
    out_dir: Path,
    iris: IriScheme,
    extra_shapes: Sequence[Path] = (),
    compress: bool = False,
    progress: ProgressCallback = _silent,
    store: Path | None = None,
    shard: Shard | None = None,
) -> BuildResult:
    """Build, validate and export (and fill an on-disk store when ``store`` is given);
    raises ``ValidationFailed``, writing nothing, on violations.

    With ``shard``, every input is still read (names and slugs are chosen over all of them),
    but only that part's entities are mapped, validated and written: N shards together hold
    exactly the triples of one whole build.
    """
    corpus = load_corpus(inputs, progress)
    progress("mapping", 0, None)
    graph = corpus_graph(corpus, iris, shard)
    if extra_shapes:  # user shapes may read anything: validate the whole graph
        progress("validating", 0, None)
        report = validate(graph, extra_shapes)
    else:
        entities = len(corpus.lists) + len(corpus.papers) + len(corpus.persons)
        # A shard's share of the entities is known only once they are hashed.
        total = math.ceil(entities / ENTITIES_PER_BATCH) if shard is None else None
        progress("validating", 0, total)
        report = validate_batches(
            validation_batches(corpus, iris, shard=shard),
            on_batch=lambda done: progress("validating", done, total),
        )
    if not report.conforms:
        raise ValidationFailed(format_report(report, "text"))
    progress("writing", 0, None)
    written = write_exports(graph, out_dir, compress)
    if store is not None:
        progress("storing", 0, None)
        write_store(graph, store)
    return BuildResult(corpus=corpus, graph=graph, report=report, written=tuple(written))
