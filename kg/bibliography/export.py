"""``kg export``: a built graph's works as a bibliography file."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from kg.bibliography.bibtex import to_bibtex
from kg.bibliography.csljson import to_csl_json
from kg.bibliography.works import QUERIES, read_works
from kg.partial_load import load_for_queries
from kg.records import PaperRecord


@dataclass(frozen=True)
class BibliographyFormat:
    """A bibliography format: the file it goes to by default and its writer."""

    file_name: str
    write: Callable[[Sequence[PaperRecord]], str]


FORMATS = {
    "bibtex": BibliographyFormat("works.bib", to_bibtex),
    "csl-json": BibliographyFormat("works.json", to_csl_json),
}
"""By the name ``kg export --to`` takes."""


@dataclass(frozen=True)
class Bibliography:
    """A bibliography's text and the number of works in it."""

    text: str
    works: int


def export_bibliography(graphs: Sequence[Path], format_name: str) -> Bibliography:
    """The works of the graph in ``graphs`` (RDF files ``kg.rdfio`` reads: a build's
    ``graph.nt``, or the parts of a sharded build) in the format named ``format_name``. An
    unreadable file raises ``InputError``."""
    store = load_for_queries(graphs, QUERIES, {})  # only what the queries read, when it can
    works = read_works(store, ", ".join(graph.name for graph in graphs))
    return Bibliography(FORMATS[format_name].write(works), len(works))
