"""Two sorted N-Triples files differ by exactly the lines one has and the other lacks,
wherever they fall against the runs of identical bytes that are skipped whole."""

from __future__ import annotations

import gzip
import hashlib
import random
from pathlib import Path

import pytest

from kg import line_difference
from kg.line_difference import difference


def lines(count: int, seed: int) -> list[bytes]:
    """Sorted unique lines, some long (an abstract), some short."""
    chosen = random.Random(seed)
    made = {
        f'<urn:x:{chosen.randrange(10**9):09}> <urn:p> "{"w" * chosen.choice((1, 40, 3000))}" .\n'
        for _ in range(count)
    }
    return sorted(line.encode() for line in made)


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("run", [1 << 20, 1 << 12, 64])
def test_the_difference_is_the_lines_each_lacks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, seed: int, run: int
) -> None:
    monkeypatch.setattr(line_difference, "_LONGEST_RUN", run)
    monkeypatch.setattr(line_difference, "_READ", max(run // 4, 16))
    chosen = random.Random(seed)
    common = lines(3000, seed)
    old = [line for line in common if chosen.random() > 0.01]
    new = [line for line in common if chosen.random() > 0.01]
    if seed % 2:  # changes bunched together, at the very start and end
        new = common[:5] + new[20:-20] + common[-3:]
    (tmp_path / "old.nt").write_bytes(b"".join(old))
    (tmp_path / "new.nt.gz").write_bytes(gzip.compress(b"".join(new)))
    found = difference(tmp_path / "old.nt", tmp_path / "new.nt.gz", most=10_000)
    assert found is not None
    assert found.removed == sorted(set(old) - set(new))
    assert found.added == sorted(set(new) - set(old))
    assert found.previous_digest == hashlib.sha256(b"".join(old)).hexdigest()
    assert found.current_digest == hashlib.sha256(b"".join(new)).hexdigest()


def test_identical_files_and_an_empty_one(tmp_path: Path) -> None:
    both = b"".join(lines(2000, 9))
    (tmp_path / "a.nt").write_bytes(both)
    (tmp_path / "b.nt").write_bytes(both)
    (tmp_path / "empty.nt").write_bytes(b"")
    same = difference(tmp_path / "a.nt", tmp_path / "b.nt", most=0)
    assert same is not None and (same.removed, same.added) == ([], [])
    emptied = difference(tmp_path / "a.nt", tmp_path / "empty.nt", most=10_000)
    assert emptied is not None and emptied.removed == both.splitlines(keepends=True)
    assert difference(tmp_path / "a.nt", tmp_path / "empty.nt", most=10) is None  # too many


def test_a_last_line_without_a_line_feed(tmp_path: Path) -> None:
    (tmp_path / "a.nt").write_bytes(b"<urn:a> <urn:p> <urn:o> .\n<urn:b> <urn:p> <urn:o> .")
    (tmp_path / "b.nt").write_bytes(b"<urn:a> <urn:p> <urn:o> .\n")
    found = difference(tmp_path / "a.nt", tmp_path / "b.nt", most=10)
    assert found is not None
    assert (found.removed, found.added) == ([b"<urn:b> <urn:p> <urn:o> ."], [])


def test_an_unreadable_previous_file_gives_none(tmp_path: Path) -> None:
    (tmp_path / "b.nt").write_bytes(b"<urn:a> <urn:p> <urn:o> .\n")
    assert difference(tmp_path / "missing.nt", tmp_path / "b.nt", most=10) is None
