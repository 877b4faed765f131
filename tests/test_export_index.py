"""A rebuild copies unchanged entities' Turtle and JSON-LD from the exports it replaces, and
writes exactly what a clean build writes; exports changed since are never copied from."""

from __future__ import annotations

import gzip
import os
import sqlite3
import sys
from itertools import pairwise
from pathlib import Path

import pytest

from kg.export_index import INDEX_FILE
from kg.iris import IriScheme
from kg.pipeline import BuildResult, build

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
from corpus import write_corpus


@pytest.fixture
def lists(tmp_path: Path) -> list[Path]:
    write_corpus(tmp_path / "lists", 60, seed=7)
    return sorted((tmp_path / "lists").glob("*.txt"))


def built(lists: list[Path], out: Path, cache: Path | None, compress: bool = False) -> BuildResult:
    return build(lists, out, IriScheme(), cache_dir=cache, compress=compress)


def exports(out: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(out.glob("graph.*"))}


def entities(result: BuildResult) -> int:
    return result.summary.lists + result.summary.papers + result.summary.persons


def test_a_rebuild_copies_what_did_not_change_and_writes_a_clean_builds_bytes(
    tmp_path: Path, lists: list[Path]
) -> None:
    cache = tmp_path / "cache"
    first = built(lists[:-1], tmp_path / "out", cache)
    assert first.copied == 0
    built(lists[:-1], tmp_path / "before", None)
    added = built(lists, tmp_path / "out", cache)
    clean = built(lists, tmp_path / "clean", None)
    assert exports(tmp_path / "out") == exports(tmp_path / "clean")
    # The new list, its papers and their authors are written again; most entities are not.
    assert entities(added) // 2 < added.copied < entities(added)
    again = built(lists, tmp_path / "out", cache)
    assert again.copied == entities(clean)
    assert exports(tmp_path / "out") == exports(tmp_path / "clean")
    removed = built(lists[:-1], tmp_path / "out", cache)
    assert 0 < removed.copied < entities(removed)
    assert exports(tmp_path / "out") == exports(tmp_path / "before")


@pytest.mark.parametrize("name", ["graph.ttl", "graph.jsonld"])
def test_exports_edited_in_place_are_not_copied_from(
    tmp_path: Path, lists: list[Path], name: str
) -> None:
    """Bytes changed inside one entity's text, the file's size, time and inode kept: that
    entity is written again (its text fails its CRC), the others are still copied."""
    cache = tmp_path / "cache"
    built(lists, tmp_path / "out", cache)
    clean = exports(tmp_path / "out")
    target = tmp_path / "out" / name
    status = target.stat()
    data = target.read_bytes()
    at = data.index(b"name", len(data) // 2)
    with target.open("r+b") as stream:
        stream.seek(at)
        stream.write(b"NAME")
    os.utime(target, ns=(status.st_atime_ns, status.st_mtime_ns))
    assert target.stat().st_ino == status.st_ino and target.stat().st_size == status.st_size
    again = built(lists, tmp_path / "out", cache)
    assert 0 < again.copied < entities(again)
    assert exports(tmp_path / "out") == clean


def test_replaced_or_missing_exports_are_not_copied_from(tmp_path: Path, lists: list[Path]) -> None:
    cache = tmp_path / "cache"
    built(lists, tmp_path / "out", cache)
    clean = exports(tmp_path / "out")
    ttl = tmp_path / "out" / "graph.ttl"
    replacement = tmp_path / "other.ttl"
    replacement.write_bytes(ttl.read_bytes())
    os.replace(replacement, ttl)  # the same bytes, another file
    assert built(lists, tmp_path / "out", cache).copied == 0
    assert exports(tmp_path / "out") == clean
    (tmp_path / "out" / "graph.jsonld").unlink()
    assert built(lists, tmp_path / "out", cache).copied == 0
    assert exports(tmp_path / "out") == clean


def test_a_damaged_index_is_read_as_none(tmp_path: Path, lists: list[Path]) -> None:
    cache = tmp_path / "cache"
    built(lists, tmp_path / "out", cache)
    clean = exports(tmp_path / "out")
    (cache / INDEX_FILE).write_bytes(b"not a database")
    assert built(lists, tmp_path / "out", cache).copied == 0
    assert exports(tmp_path / "out") == clean
    assert built(lists, tmp_path / "out", cache).copied > 0  # written anew


def test_the_index_names_every_entity_once(tmp_path: Path, lists: list[Path]) -> None:
    cache = tmp_path / "cache"
    result = built(lists, tmp_path / "out", cache)
    with sqlite3.connect(cache / INDEX_FILE) as database:
        (count,) = database.execute("SELECT COUNT(*) FROM parts").fetchone()
        turtle = database.execute(
            "SELECT turtle_at, turtle_length FROM parts ORDER BY turtle_at"
        ).fetchall()
    assert count == entities(result)
    ttl = (tmp_path / "out" / "graph.ttl").read_bytes()
    # The entities' texts follow each other after the prefixes, to the end of the file.
    assert ttl[: turtle[0][0]].startswith(b"@prefix") and b"\n\n" not in ttl[: turtle[0][0]]
    assert all(at + length == after for (at, length), (after, _) in pairwise(turtle))
    assert turtle[-1][0] + turtle[-1][1] == len(ttl)


def test_gzipped_exports_keep_no_index(tmp_path: Path, lists: list[Path]) -> None:
    cache = tmp_path / "cache"
    built(lists, tmp_path / "out", cache, compress=True)
    assert not (cache / INDEX_FILE).exists()
    again = built(lists, tmp_path / "out", cache, compress=True)
    assert again.copied == 0
    built(lists, tmp_path / "clean", None, compress=True)
    for name in ("graph.ttl.gz", "graph.jsonld.gz", "graph.nt.gz"):
        assert gzip.decompress((tmp_path / "out" / name).read_bytes()) == gzip.decompress(
            (tmp_path / "clean" / name).read_bytes()
        )
