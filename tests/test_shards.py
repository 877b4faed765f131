"""kg build --shard I/N: disjoint parts that together are exactly one whole build."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from kg.batches import Shard, validation_batches
from kg.errors import ConfigError
from kg.graph import corpus_graph
from kg.iris import IriScheme
from kg.pipeline import load_corpus
from kg.validation import validate, validate_batches

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
from corpus import write_corpus

DATA = Path(__file__).resolve().parent / "data"


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "kg", *args], capture_output=True, text=True, cwd=cwd, check=False
    )


def lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines()


@pytest.fixture(scope="module")
def corpus_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Text lists plus every exporter fixture, so venues, dates and lists without an owner
    are split too."""
    folder = tmp_path_factory.mktemp("corpus")
    write_corpus(folder, 60, seed=3)
    for fixture in [*DATA.glob("bibtex/*.bib"), *DATA.glob("csljson/*.json")]:
        if not fixture.name.startswith("malformed"):
            shutil.copy(fixture, folder / fixture.name)
    return folder


@pytest.mark.parametrize("count", [1, 2, 3, 5])
def test_shards_are_disjoint_and_together_the_whole_graph(corpus_dir: Path, count: int) -> None:
    corpus = load_corpus([corpus_dir])
    iris = IriScheme()
    whole = set(corpus_graph(corpus, iris))
    parts = [set(corpus_graph(corpus, iris, Shard(i, count))) for i in range(1, count + 1)]
    assert sum(len(part) for part in parts) == len(whole)  # disjoint
    assert set().union(*parts) == whole
    if count > 1:
        assert all(parts), "every part gets something on a corpus this size"


def test_shard_reports_together_are_the_whole_report(corpus_dir: Path) -> None:
    corpus = load_corpus([corpus_dir])
    iris = IriScheme()
    whole = validate(corpus_graph(corpus, iris))
    results = []
    for index in (1, 2, 3):
        part = validate_batches(validation_batches(corpus, iris, 9, Shard(index, 3)), workers=1)
        results += part.results
    assert sorted(results, key=lambda r: r.sort_key()) == list(whole.results)
    assert whole.warnings, "the corpus should exercise warnings"


def test_cli_shards_merge_into_the_whole_build(tmp_path: Path, corpus_dir: Path) -> None:
    """What a batch system would do: N independent runs, then one merge of N-Triples."""
    whole = run("build", str(corpus_dir), "-o", str(tmp_path / "whole"))
    assert whole.returncode == 0, whole.stderr
    merged: list[str] = []
    for index in (1, 2, 3):
        part = run(
            "build", str(corpus_dir), "-o", str(tmp_path / f"part{index}"), "--shard", f"{index}/3"
        )
        assert part.returncode == 0, part.stderr
        assert f"in shard {index}/3" in part.stdout
        merged += lines(tmp_path / f"part{index}" / "graph.nt")
    assert sorted(merged) == lines(tmp_path / "whole" / "graph.nt")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("0/2", "shard 0/2: need 1 <= I <= N"),
        ("3/2", "shard 3/2: need 1 <= I <= N"),
        ("1/0", "shard 1/0: need 1 <= I <= N"),
        ("a/b", "shard 'a/b': expected I/N, e.g. 1/4"),
        ("2", "shard '2': expected I/N, e.g. 1/4"),
        ("1/2/3", "shard '1/2/3': expected I/N, e.g. 1/4"),
        ("-1/2", "shard '-1/2': expected I/N, e.g. 1/4"),
    ],
)
def test_bad_shard_is_a_clear_usage_error(tmp_path: Path, text: str, message: str) -> None:
    result = run("build", "--shard", text, "-o", str(tmp_path / "out"))
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1] == f"kg: error: {message}"
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "out").exists()


def test_shard_parse() -> None:
    assert Shard.parse("2/8") == Shard(2, 8)
    with pytest.raises(ConfigError):
        Shard.parse("9/8")


def test_every_entity_lands_in_exactly_one_shard() -> None:
    iris = [f"https://example.org/kg/paper/p{n}" for n in range(200)]
    owners = [[i for i in range(1, 5) if Shard(i, 4).owns(iri)] for iri in iris]
    assert all(len(found) == 1 for found in owners)
    assert {found[0] for found in owners} == {1, 2, 3, 4}
