"""Incremental builds: a rebuild validates only what changed, and says the same."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from importlib.metadata import version
from pathlib import Path

import pytest

import kg.incremental
import kg.validation
from kg.cachefile import CacheFile
from kg.iris import IriScheme
from kg.pipeline import BuildResult, build
from kg.records import list_from_json, list_to_json
from kg.resources import shapes_dir
from kg.sources import read_input_file
from kg.validation import format_report

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
from corpus import write_corpus

NEW_LIST = """Novak, Jana
A Study of Incremental Graph Builds
Novak, Jana, {author}
We rebuild only what changed.
"""


@pytest.fixture
def corpus_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "lists"
    write_corpus(folder, 40, seed=11)
    return folder


def built(inputs: Path, out: Path, cache: Path | None) -> BuildResult:
    return build([inputs], out, IriScheme(), cache_dir=cache)


def exports(out: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in out.glob("graph.*")}


def same_reports(first: BuildResult, second: BuildResult) -> None:
    assert first.report.results == second.report.results
    for fmt in ("text", "json", "turtle"):
        assert format_report(first.report, fmt) == format_report(second.report, fmt)


def an_author(corpus_dir: Path) -> str:
    """An author of the corpus, written as the lists write names."""
    first = sorted(corpus_dir.glob("*.txt"))[0]
    return first.read_text(encoding="utf-8").splitlines()[0]


def test_an_unchanged_rebuild_validates_nothing_and_says_the_same(
    tmp_path: Path, corpus_dir: Path
) -> None:
    cache = tmp_path / "cache"
    first = built(corpus_dir, tmp_path / "one", cache)
    entities = first.summary.lists + first.summary.papers + first.summary.persons
    assert (first.validated, first.reused) == (entities, 0)
    assert first.report.warnings, "the corpus should exercise warnings"
    second = built(corpus_dir, tmp_path / "two", cache)
    assert (second.validated, second.reused) == (0, entities)
    assert (first.lists_reused, second.lists_reused) == (0, first.summary.lists)
    same_reports(first, second)
    assert exports(tmp_path / "one") == exports(tmp_path / "two")


def test_adding_a_list_validates_only_what_it_touches(tmp_path: Path, corpus_dir: Path) -> None:
    cache = tmp_path / "cache"
    before = built(corpus_dir, tmp_path / "out", cache)
    (corpus_dir / "novak.txt").write_text(
        NEW_LIST.format(author=an_author(corpus_dir)), encoding="utf-8"
    )
    after = built(corpus_dir, tmp_path / "out", cache)
    clean = built(corpus_dir, tmp_path / "clean", None)
    # New: the list, its paper, Jana Novak; changed: the co-author (one more paper made).
    assert after.validated == 4
    assert after.reused == clean.validated - 4
    assert after.lists_reused == before.summary.lists  # only novak.txt was read
    assert after.summary.papers == before.summary.papers + 1
    same_reports(after, clean)
    assert exports(tmp_path / "out") == exports(tmp_path / "clean")


def test_an_edited_list_is_read_again(tmp_path: Path, corpus_dir: Path) -> None:
    cache = tmp_path / "cache"
    before = built(corpus_dir, tmp_path / "out", cache)
    edited = sorted(corpus_dir.glob("*.txt"))[0]
    lines = edited.read_text(encoding="utf-8").splitlines()
    lines[1] = "An Edited Title Nobody Else Has"
    edited.write_text("\n".join(lines) + "\n", encoding="utf-8")
    after = built(corpus_dir, tmp_path / "out", cache)
    assert after.lists_reused == before.summary.lists - 1
    assert '"An Edited Title Nobody Else Has"' in (tmp_path / "out" / "graph.nt").read_text("utf-8")
    clean = built(corpus_dir, tmp_path / "clean", None)
    same_reports(after, clean)
    assert exports(tmp_path / "out") == exports(tmp_path / "clean")


def test_cached_lists_are_the_lists_read(corpus_dir: Path) -> None:
    for path in sorted(corpus_dir.glob("*.txt")):
        publication_list = read_input_file(path)
        assert list_from_json(list_to_json(publication_list)) == publication_list


def test_new_shapes_or_engine_invalidate_every_entry(
    tmp_path: Path, corpus_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = tmp_path / "cache"
    first = built(corpus_dir, tmp_path / "out", cache)
    monkeypatch.setattr(kg.incremental, "_fingerprint", lambda: "other shapes")
    second = built(corpus_dir, tmp_path / "out", cache)
    assert second.validated == first.validated and second.reused == 0


@pytest.fixture
def own_shapes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A copy of the bundled shapes that validation and the cache key both read; the
    cached fingerprint and shapes are dropped before and after."""
    folder = tmp_path / "shapes"
    folder.mkdir()
    for path in sorted(shapes_dir().glob("*.ttl")):
        (folder / path.name).write_bytes(path.read_bytes())
    monkeypatch.setattr(kg.incremental, "shapes_dir", lambda: folder)
    monkeypatch.setattr(kg.validation, "shapes_dir", lambda: folder)
    forget_shapes()
    yield folder
    monkeypatch.undo()
    forget_shapes()


def forget_shapes() -> None:
    """What kg keeps per process about the shapes and the engine."""
    kg.incremental._fingerprint.cache_clear()
    kg.validation._shapes_graph.cache_clear()
    kg.validation._compiled_shapes.cache_clear()
    kg.validation._shape_kinds.cache_clear()


def test_changed_shape_bytes_change_the_fingerprint_and_revalidate_everything(
    tmp_path: Path, corpus_dir: Path, own_shapes: Path
) -> None:
    """Even a comment: the bytes are what the key hashes, so nothing is missed."""
    cache = tmp_path / "cache"
    first = built(corpus_dir, tmp_path / "out", cache)
    before = kg.incremental._fingerprint()
    shapes = sorted(own_shapes.glob("*.ttl"))[0]
    shapes.write_bytes(shapes.read_bytes() + b"\n# edited\n")
    forget_shapes()
    assert kg.incremental._fingerprint() != before
    second = built(corpus_dir, tmp_path / "out", cache)
    assert (second.validated, second.reused) == (first.validated, 0)
    same_reports(first, second)
    third = built(corpus_dir, tmp_path / "out", cache)  # the new key is kept
    assert (third.validated, third.reused) == (0, first.validated)


@pytest.mark.parametrize("engine", ["pyoxigraph", "pyshacl-turbo"])
def test_another_engine_version_changes_the_fingerprint_and_revalidates_everything(
    tmp_path: Path, corpus_dir: Path, monkeypatch: pytest.MonkeyPatch, engine: str
) -> None:
    """The engines' versions as kg reads them: the installed distributions' metadata.
    Oxigraph runs the bundled shapes, pyshacl-turbo the user's."""
    cache = tmp_path / "cache"
    kg.incremental._fingerprint.cache_clear()
    first = built(corpus_dir, tmp_path / "out", cache)
    before = kg.incremental._fingerprint()

    def upgraded(name: str) -> str:
        return "9999.0" if name == engine else version(name)

    monkeypatch.setattr(kg.incremental, "version", upgraded)
    kg.incremental._fingerprint.cache_clear()
    try:
        assert kg.incremental._fingerprint() != before
        second = built(corpus_dir, tmp_path / "out", cache)
    finally:
        monkeypatch.undo()
        kg.incremental._fingerprint.cache_clear()
    assert (second.validated, second.reused) == (first.validated, 0)
    same_reports(first, second)


def test_a_damaged_cache_is_read_as_empty_and_rebuilt(tmp_path: Path, corpus_dir: Path) -> None:
    cache = tmp_path / "cache"
    cache.mkdir()
    for name in ("validation.sqlite", "lists.sqlite"):
        (cache / name).write_bytes(b"not a database")
    first = built(corpus_dir, tmp_path / "out", cache)
    assert (first.reused, first.lists_reused) == (0, 0)
    with sqlite3.connect(cache / "validation.sqlite") as database:
        (count,) = database.execute("SELECT COUNT(*) FROM entries").fetchone()
    assert count == first.validated
    second = built(corpus_dir, tmp_path / "out", cache)
    assert (second.validated, second.lists_reused) == (0, first.summary.lists)


def test_the_cache_holds_only_the_last_build(tmp_path: Path, corpus_dir: Path) -> None:
    cache = tmp_path / "cache"
    built(corpus_dir, tmp_path / "out", cache)
    for path in sorted(corpus_dir.glob("*.txt"))[5:]:
        path.unlink()
    smaller = built(corpus_dir, tmp_path / "out", cache)
    with sqlite3.connect(cache / "validation.sqlite") as database:
        (count,) = database.execute("SELECT COUNT(*) FROM entries").fetchone()
    assert count == smaller.validated + smaller.reused


def test_a_cache_file_keeps_exactly_what_the_build_used(tmp_path: Path) -> None:
    path = tmp_path / "entries.sqlite"
    first = CacheFile(path)
    first.put("b", "old b")
    first.put("a", "old a")
    first.save()

    second = CacheFile(path)
    assert "b" in second and "z" not in second and second.hits == 0  # looking is not using
    assert second.get("a") == "old a" and second.get("z") is None
    second.put("c", "new c")
    second.save()
    assert second.hits == 1
    with sqlite3.connect(path) as database:
        rows = database.execute("SELECT key, value FROM entries ORDER BY rowid").fetchall()
    assert rows == [("a", "old a"), ("c", "new c")]  # b was not used; in key order


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "kg", *args], capture_output=True, text=True, cwd=cwd, check=False
    )


def test_cli_rebuild_says_what_it_reused(tmp_path: Path, corpus_dir: Path) -> None:
    assert run("build", str(corpus_dir), cwd=tmp_path).returncode == 0
    assert (tmp_path / "exports" / ".kg-cache" / "validation.sqlite").is_file()
    (corpus_dir / "novak.txt").write_text(
        NEW_LIST.format(author=an_author(corpus_dir)), encoding="utf-8"
    )
    again = run("build", str(corpus_dir), cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert "validated 4 changed or new entities;" in again.stdout
    lists = len(list(corpus_dir.glob("*.txt")))
    assert f"read 1 changed or new list(s); {lists - 1} unchanged" in again.stdout


def test_no_cache_keeps_nothing(tmp_path: Path) -> None:
    result = run("build", "--no-cache", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert not (tmp_path / "exports" / ".kg-cache").exists()
    assert "unchanged since the last build" not in result.stdout
