"""Staging folders (kg.staging): a run's leftovers are removed by the next run, and never the
folder of a run that is still alive."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

from kg.staging import STAGING_FOLDER, Staging, exchange, remove_leftovers

HOLDER = """
import sys
from pathlib import Path
from kg.staging import Staging
staging = Staging(Path(sys.argv[1])).open()
(staging.path / "half-written").write_bytes(b"x" * 1000)
print(staging.path, flush=True)
sys.stdin.read()  # alive until the test closes stdin or kills it
"""


def start_holder(root: Path) -> tuple[subprocess.Popen[str], Path]:
    """Another process holding a staging folder in ``root``; its folder."""
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(root)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout is not None
    return holder, Path(holder.stdout.readline().strip())


def test_a_live_runs_folder_is_kept_and_a_dead_runs_folder_removed(tmp_path: Path) -> None:
    holder, held = start_holder(tmp_path)
    try:
        with Staging(tmp_path) as mine:  # opening removes leftovers: not a live run's
            assert held.is_dir() and (held / "half-written").is_file()
            assert mine.path.parent == held.parent == tmp_path / STAGING_FOLDER
            assert mine.path != held
        assert held.is_dir()  # closing removes only its own folder
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()
        assert holder.stdin is not None and holder.stdout is not None
        holder.stdin.close()
        holder.stdout.close()
    assert held.is_dir()  # a killed run leaves its folder...
    with Staging(tmp_path):
        assert not held.exists()  # ...which the next run removes
    assert list(tmp_path.iterdir()) == []  # and, once done, the area too


def test_only_folders_that_no_run_holds_are_leftovers(tmp_path: Path) -> None:
    area = tmp_path / STAGING_FOLDER
    (area / "run-dead").mkdir(parents=True)
    (area / "run-dead" / "graph.nt").write_bytes(b"partial")
    (area / "stray").write_bytes(b"")
    with Staging(tmp_path) as staging:
        assert sorted(area.iterdir()) == [staging.path]
        assert remove_leftovers(tmp_path) == []  # its own folder is held: not a leftover
        assert staging.path.is_dir()
    assert not area.exists()


def test_exchange_swaps_two_folders(tmp_path: Path) -> None:
    (tmp_path / "new").mkdir()
    (tmp_path / "new" / "n").write_text("new")
    (tmp_path / "live").mkdir()
    (tmp_path / "live" / "o").write_text("old")
    exchange(tmp_path / "new", tmp_path / "live")
    assert [p.name for p in (tmp_path / "live").iterdir()] == ["n"]
    assert [p.name for p in (tmp_path / "new").iterdir()] == ["o"]
