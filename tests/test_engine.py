"""kg validates with pyshacl-turbo, batch by batch; pySHACL is the reference.

Two equivalences are checked here, because the speed of both is only worth having if the
reports do not change:
- pyshacl-turbo on a whole graph gives the same results as pySHACL, on every broken graph
  of test_shapes.py, on randomly corrupted graphs and on random corpora;
- validating a built corpus in batches (in one process or several) gives the same report,
  result for result and byte for byte, as validating its whole graph.
"""

from __future__ import annotations

import random
import sys
import weakref
from collections.abc import Iterator
from dataclasses import replace
from functools import partial
from pathlib import Path

import pyshacl
import pytest
from rdflib import BNode, Graph, Literal, URIRef
from test_shapes import CASES, Case, example

import kg.validation
from kg.batches import ValidationBatch, batched, entities, validation_batches
from kg.corpus import Corpus
from kg.graph import corpus_graph
from kg.iris import IriScheme
from kg.pipeline import load_corpus
from kg.resources import sample_list
from kg.validation import ValidationResult, format_report, validate, validate_batches

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
from corpus import write_corpus


def reference(graph: Graph) -> tuple[ValidationResult, ...]:
    """pySHACL's results for ``graph``, read the way kg reads its own engine's report."""
    _conforms, results_graph, _text = pyshacl.validate(
        graph,
        shacl_graph=kg.validation._shapes_graph(),
        inference="none",
        advanced=False,
        js=False,
        do_owl_imports=False,
        allow_infos=True,
        allow_warnings=True,
    )
    assert isinstance(results_graph, Graph)
    label = partial(kg.validation._blank_label, data=graph)
    return kg.validation._read_report(results_graph, label).results


@pytest.mark.parametrize("case", [c.param() for c in CASES])
def test_engine_agrees_with_pyshacl_on_every_broken_graph(case: Case) -> None:
    graph = example()
    case.mutate(graph)
    assert validate(graph).results == reference(graph)


def corrupt(graph: Graph, rng: random.Random) -> None:
    """One to three random edits: drop a triple, point a triple at another node, copy a
    triple onto another subject, or swap an object for a blank node or a tagged literal."""
    nodes = sorted({n for triple in graph for n in triple}, key=str)
    for _ in range(rng.randint(1, 3)):
        s, p, o = rng.choice(sorted(graph, key=str))
        edit = rng.randrange(5)
        if edit == 0:
            graph.remove((s, p, o))
        elif edit == 1:
            graph.set((s, p, rng.choice(nodes)))
        elif edit == 2:
            subject = rng.choice([n for n in nodes if not isinstance(n, Literal)])
            graph.add((subject, p, o))
        elif edit == 3:
            graph.set((s, p, BNode()))
        else:
            graph.set((s, p, Literal(str(o), lang="en")))


@pytest.mark.parametrize("seed", range(25))
def test_engine_agrees_with_pyshacl_on_randomly_corrupted_graphs(seed: int) -> None:
    graph = example()
    corrupt(graph, random.Random(seed))
    assert validate(graph).results == reference(graph)


def random_corpus(tmp_path: Path, seed: int, papers: int = 12) -> Corpus:
    folder = tmp_path / f"corpus-{seed}"
    write_corpus(folder, papers, seed=seed)
    return load_corpus([folder])


@pytest.mark.parametrize("seed", range(4))
def test_engine_agrees_with_pyshacl_on_random_corpora(tmp_path: Path, seed: int) -> None:
    graph = corpus_graph(random_corpus(tmp_path, seed), IriScheme())
    found = validate(graph).results
    assert found == reference(graph)
    assert any(r.severity == "Warning" for r in found), "the corpora should exercise warnings"


def assert_same_reports(corpus: Corpus, entities_per_batch: int, workers: int) -> None:
    iris = IriScheme()
    whole = validate(corpus_graph(corpus, iris))
    batches = list(validation_batches(corpus, iris, entities_per_batch))
    assert len(batches) > 1 or entities_per_batch >= 1000
    batched = validate_batches(batches, workers=workers)
    assert batched.results == whole.results
    assert (batched.conforms, batched.passes) == (whole.conforms, whole.passes)
    for fmt in ("text", "json", "turtle"):
        assert format_report(batched, fmt) == format_report(whole, fmt)


def test_batches_give_the_whole_graph_report_on_the_sample() -> None:
    corpus = load_corpus([])
    for size in (1, 3, 1000):
        assert_same_reports(corpus, size, workers=1)


def test_batches_end_at_a_number_of_triples_and_give_the_same_report() -> None:
    """Lists with many records would make one batch many times the others' size: a batch
    ends once its triples reach the cap, each entity in exactly one batch, in order."""
    corpus, iris = load_corpus([]), IriScheme()
    mapped = list(entities(corpus, iris))
    sizes = [len(entity.own) + len(entity.context) for entity in mapped]
    cap = sum(sizes) // 8
    batches = list(batched(mapped, 1000, triples_per_batch=cap))
    owned = [entity for batch in batches for entity in dict.fromkeys(batch.owners.values())]
    assert owned == [entity.iri for entity in mapped]
    assert 4 < len(batches) < len(mapped) // 4
    start = 0
    for batch in batches:
        count = len(set(batch.owners.values()))
        assert sum(sizes[start : start + count - 1]) < cap  # only the last one reaches it
        start += count
    whole = validate(corpus_graph(corpus, iris))
    assert validate_batches(batches, workers=1).results == whole.results


def test_batches_give_the_whole_graph_report_with_every_input_format() -> None:
    """The sample with every exporter fixture: venues, dates, kinds of work, lists without
    an owner, all validated in batches as the whole graph is."""
    data = Path(__file__).resolve().parent / "data"
    fixtures = [*data.glob("bibtex/*.bib"), *data.glob("csljson/*.json")]
    corpus = load_corpus([sample_list(), *(f for f in fixtures if "malformed" not in f.name)])
    assert corpus.venues and any(info.owner is None for info in corpus.lists)
    for size in (1, 7):
        assert_same_reports(corpus, size, workers=1)


def test_a_venue_is_validated_in_its_own_batch() -> None:
    """A venue's batch carries one schema:isPartOf link to it, so the venue shapes (which
    find venues as objects of that link) see it: a venue that lost its name is caught."""
    fixture = Path(__file__).resolve().parent / "data" / "bibtex" / "google-scholar.bib"
    batches = list(validation_batches(load_corpus([fixture]), IriScheme(), 1))
    batch = next(b for b in batches if any("/venue/" in iri for iri in b.owners))
    nameless = b"".join(
        line
        for line in batch.text.splitlines(keepends=True)
        if not (line.startswith(b"<https://example.org/kg/venue/") and b"/name>" in line)
    )
    assert nameless != batch.text
    report = validate_batches([replace(batch, text=nameless)], workers=1)
    assert [r.source_shape for r in report.results] == ["kg:VenueName"]


@pytest.mark.parametrize("seed", range(6))
def test_batches_give_the_whole_graph_report_on_random_corpora(tmp_path: Path, seed: int) -> None:
    corpus = random_corpus(tmp_path, seed, papers=40)
    assert_same_reports(corpus, entities_per_batch=random.Random(seed).randint(2, 30), workers=1)


def test_batches_in_parallel_processes_give_the_same_report(tmp_path: Path) -> None:
    assert_same_reports(random_corpus(tmp_path, 99, papers=60), entities_per_batch=25, workers=2)


def test_every_entity_is_owned_by_exactly_one_batch(tmp_path: Path) -> None:
    """The condition for "each result exactly once": owned sets split the focus nodes."""
    corpus = random_corpus(tmp_path, 5, papers=30)
    iris = IriScheme()
    graph = corpus_graph(corpus, iris)
    owned = [iri for batch in validation_batches(corpus, iris, 7) for iri in batch.owners]
    subjects = {str(s) for s in graph.subjects() if isinstance(s, URIRef)}
    assert len(owned) == len(set(owned))
    assert set(owned) == subjects


def test_a_batch_is_freed_once_validated() -> None:
    """Only the batches in flight are held: at 100k papers the first two alone, kept to the
    end, were 80 MB of the build's peak."""
    corpus = load_corpus([sample_list()])
    watched: list[weakref.ref[object]] = []
    held: list[int] = []

    def stream() -> Iterator[ValidationBatch]:
        for batch in validation_batches(corpus, IriScheme(), 2):
            watched.append(weakref.ref(batch))
            yield batch

    def on_batch(done: int) -> None:
        # the batch just validated is still the current one; none before it may be held
        held.extend(i for i, ref in enumerate(watched[: done - 1]) if ref() is not None)

    kg.validation.batch_outcomes(stream(), workers=1, on_batch=on_batch)
    assert len(watched) > 3
    assert held == []
