"""Mutation tests for the validation equivalence checks: kg made to drop one kind of result
(every result of one constraint component, of one SHACL-SPARQL constraint, or of one
severity, the kinds read from the shapes) must fail them.

Each mutant is applied where results pass through kg: in ``_validate_batch`` (batches,
shards and incremental rebuilds must notice), in the incremental cache's outcomes (a
rebuild must notice) and in the engine itself (every path drops alike, so the check that
the report covers every kind the shapes make must notice). The real functions' outputs are
computed once and filtered per mutant, which keeps the whole run to seconds.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from equivalence import (
    SH,
    broken_entities,
    check_batches,
    check_coverage,
    check_incremental,
    check_shards,
    expected_coverage,
    shapes_graph_with_info,
    shapes_with_info,
)
from rdflib import Graph

import kg.validation
from kg.graph import entities_graph
from kg.iris import IriScheme
from kg.validation import EntityOutcome, ValidationReport, ValidationResult, validate


@dataclass(frozen=True)
class Mutant:
    """Drops every result whose ``field`` is ``value``."""

    field: str
    value: str

    def drops(self, result: ValidationResult) -> bool:
        return bool(getattr(result, self.field) == self.value)

    def outcome(self, outcome: EntityOutcome) -> EntityOutcome:
        return replace(outcome, results=tuple(r for r in outcome.results if not self.drops(r)))


def mutants() -> list[Any]:
    """One mutant per constraint component, SHACL-SPARQL constraint and severity of the
    shapes the checks run with."""
    kinds = expected_coverage(shapes_graph_with_info())
    found = [
        *(Mutant("constraint_component", c) for c in sorted(kinds.components)),
        *(Mutant("source_shape", s) for s in sorted(kinds.sparql_shapes)),
        *(Mutant("severity", s) for s in sorted(kinds.severities)),
    ]
    return [pytest.param(m, id=m.value) for m in found]


@pytest.fixture(scope="module")
def whole(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ValidationReport]:
    """The shapes with an Info shape for the whole module, and the unmutated report."""
    with shapes_with_info(tmp_path_factory.mktemp("shapes")):
        yield validate(whole_graph())


@cache
def whole_graph() -> Graph:
    return entities_graph(broken_entities(), IriScheme())


_REAL_VALIDATE_BATCH = kg.validation._validate_batch
_REAL_RUN_ENGINE = kg.validation._run_engine
_BATCHES: dict[tuple[bytes, tuple[tuple[str, str], ...]], dict[str, EntityOutcome]] = {}
_ENGINE: list[Graph] = []


def validated_batch(text: bytes, owners: dict[str, str]) -> dict[str, EntityOutcome]:
    """The real ``_validate_batch``, computed once per batch."""
    key = (text, tuple(sorted(owners.items())))
    if key not in _BATCHES:
        _BATCHES[key] = _REAL_VALIDATE_BATCH(text, owners)
    return _BATCHES[key]


def engine_report(data: Graph, *args: Any, **kwargs: Any) -> Graph:
    """The real ``_run_engine``'s report graph; for the whole broken graph, a copy of the
    report computed once."""
    if data is not whole_graph():
        return _REAL_RUN_ENGINE(data, *args, **kwargs)
    if not _ENGINE:
        _ENGINE.append(_REAL_RUN_ENGINE(data, *args, **kwargs))
    copy = Graph(bind_namespaces="none")
    for triple in _ENGINE[0]:
        copy.add(triple)
    return copy


def mutated_batches(mutant: Mutant) -> Callable[[bytes, dict[str, str]], dict[str, EntityOutcome]]:
    def mutated(text: bytes, owners: dict[str, str]) -> dict[str, EntityOutcome]:
        return {e: mutant.outcome(o) for e, o in validated_batch(text, owners).items()}

    return mutated


def mutated_engine(mutant: Mutant) -> Callable[..., Graph]:
    def mutated(data: Graph, *args: Any, **kwargs: Any) -> Graph:
        report = engine_report(data, *args, **kwargs)
        label = kg.validation._blank_label
        for node in list(report.objects(None, SH.result)):
            (result,) = kg.validation._read_results(report, [node], lambda b: label(b, data))
            if mutant.drops(result):
                for triple in list(kg.validation._reachable(report, node)):
                    report.remove(triple)
                report.remove((None, SH.result, node))
        return report

    return mutated


@pytest.fixture
def fast_engine(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(kg.validation, "_validate_batch", validated_batch)
    monkeypatch.setattr(kg.validation, "_run_engine", engine_report)


def test_the_checks_pass_without_a_mutant(
    whole: ValidationReport, tmp_path: Path, fast_engine: None
) -> None:
    """So that under a mutant, a failure is the mutant's doing."""
    entities = broken_entities()
    check_batches(entities, whole, 64)
    check_shards(entities, whole)
    check_incremental(entities, whole, tmp_path / "cache")
    check_coverage(validate(whole_graph()))
    assert len(mutants()) >= 13 + 7 + 3


@pytest.mark.parametrize("mutant", mutants())
def test_dropping_a_kind_of_result_in_batches_fails_every_check(
    whole: ValidationReport,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    fast_engine: None,
    mutant: Mutant,
) -> None:
    monkeypatch.setattr(kg.validation, "_validate_batch", mutated_batches(mutant))
    entities = broken_entities()
    with pytest.raises(AssertionError):
        check_batches(entities, whole, 64)
    with pytest.raises(AssertionError):
        check_shards(entities, whole)
    with pytest.raises(AssertionError):
        check_incremental(entities, whole, tmp_path / "cache")


@pytest.mark.parametrize("mutant", mutants())
def test_dropping_a_kind_of_result_from_the_cache_fails_the_rebuild(
    whole: ValidationReport,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    fast_engine: None,
    mutant: Mutant,
) -> None:
    real = EntityOutcome.from_json.__func__  # type: ignore[attr-defined]

    def from_json(cls: type[EntityOutcome], text: str) -> EntityOutcome:
        return mutant.outcome(real(cls, text))

    monkeypatch.setattr(EntityOutcome, "from_json", classmethod(from_json))
    with pytest.raises(AssertionError):
        check_incremental(broken_entities(), whole, tmp_path / "cache")


@pytest.mark.parametrize("mutant", mutants())
def test_dropping_a_kind_of_result_in_the_engine_fails_the_coverage_check(
    whole: ValidationReport, monkeypatch: pytest.MonkeyPatch, fast_engine: None, mutant: Mutant
) -> None:
    monkeypatch.setattr(kg.validation, "_run_engine", mutated_engine(mutant))
    with pytest.raises(AssertionError):
        check_coverage(validate(whole_graph()))
