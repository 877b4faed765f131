"""The build: read lists, merge, map, validate, export. Each stage is its own module."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from rdflib import Graph

from kg.corpus import Corpus, build_corpus
from kg.errors import ValidationFailed
from kg.export import write_exports
from kg.graph import corpus_graph
from kg.mapping import IriScheme
from kg.resources import sample_list
from kg.sources import discover_inputs, read_inputs
from kg.validation import ValidationReport, format_report, validate


@dataclass(frozen=True)
class BuildResult:
    corpus: Corpus
    graph: Graph
    report: ValidationReport
    written: tuple[Path, ...]


def load_corpus(inputs: Sequence[Path]) -> Corpus:
    """Read and merge the lists named by ``inputs`` (the bundled sample when empty)."""
    files = discover_inputs(inputs or [sample_list()])
    return build_corpus(read_inputs(files))


def build(
    inputs: Sequence[Path],
    out_dir: Path,
    iris: IriScheme,
    extra_shapes: Sequence[Path] = (),
    compress: bool = False,
) -> BuildResult:
    """Build, validate and export; raises ``ValidationFailed`` (writing nothing) on violations."""
    corpus = load_corpus(inputs)
    graph = corpus_graph(corpus, iris)
    report = validate(graph, extra_shapes)
    if not report.conforms:
        raise ValidationFailed(format_report(report, "text"))
    written = write_exports(graph, out_dir, compress)
    return BuildResult(corpus=corpus, graph=graph, report=report, written=tuple(written))
