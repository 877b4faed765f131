"""Builds killed with SIGKILL at random moments (issue 14).

A real ``kg build --store`` of a few hundred generated papers is killed (the whole process
group, workers included) at moments drawn by a seeded RNG from each stage: reading,
mapping/validating/writing, finishing the files, preparing the store, moving the exports
into place, swapping the store, saving the cache; and once after a random delay into the
store's loading, in native code. After each kill, every export is whole and byte for byte
the previous build's or the new build's, and the store opens and holds exactly one of the
two graphs. The next successful build gives a clean build's exports and leaves no file
behind: no staging folder, no temporary, sort run, backup or link.
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
from corpus import write_corpus

from kg.iris import IriScheme
from kg.pipeline import build as kg_build
from kg.store import DIGEST_FILE as DIGEST
from kg.store import open_store

KILLABLE = Path(__file__).resolve().parent / "killable_kg.py"
EXPORTS = ("graph.ttl", "graph.jsonld", "graph.nt")
SEED = 14


def run(*args: str, cwd: Path, env: dict[str, str] | None = None) -> int:
    """``kg`` through the killable runner, as a session leader: its return code."""
    result = subprocess.run(
        [sys.executable, str(KILLABLE), *args],
        cwd=cwd,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        start_new_session=True,
        check=False,
        timeout=300,
    )
    assert result.returncode in (0, -signal.SIGKILL), result.stderr
    return result.returncode


def build(lists: str, cwd: Path, **env: str) -> int:
    return run("build", lists, "--store", "store", cwd=cwd, env=env)


def store_lines(path: Path) -> list[str]:
    store = open_store(path)  # opens: RocksDB found it consistent
    dumped = store.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=ox.DefaultGraph())
    del store
    return sorted(dumped.decode("utf-8").split("\n")[:-1])


def tree(folder: Path) -> set[str]:
    """Every path under ``folder`` but the input lists and the store's own files (RocksDB
    names them)."""
    found = set()
    for path in folder.rglob("*"):
        top = path.relative_to(folder).parts[0]
        if top in ("a", "b") or (top == "store" and path.name not in ("store", DIGEST)):
            continue
        found.add(str(path.relative_to(folder)))
    return found


@pytest.fixture(scope="module")
def corpora(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``a/``: most of a generated corpus; ``b/``: all of it (two lists more)."""
    folder = tmp_path_factory.mktemp("crash")
    write_corpus(folder / "b", 240, seed=SEED)
    (folder / "a").mkdir()
    for path in sorted((folder / "b").iterdir())[:-2]:
        shutil.copy(path, folder / "a" / path.name)
    return folder


@dataclass(frozen=True)
class Clean:
    """A build from nothing: its exports' bytes, its graph's lines and its files."""

    exports: dict[str, bytes]
    graph: list[str]
    files: set[str]


def clean_build(corpora: Path, lists: str) -> Clean:
    folder = corpora / f"clean-{lists}"
    folder.mkdir()
    shutil.copytree(corpora / lists, folder / lists)
    assert build(lists, folder) == 0
    exports = {name: (folder / "exports" / name).read_bytes() for name in EXPORTS}
    return Clean(exports, store_lines(folder / "store"), tree(folder))


@pytest.fixture(scope="module")
def clean(corpora: Path) -> tuple[Clean, Clean]:
    """The previous build (of ``a/``) and the new one (of ``b/``), each from nothing."""
    previous, new = clean_build(corpora, "a"), clean_build(corpora, "b")
    assert previous.graph != new.graph
    assert new.graph == new.exports["graph.nt"].decode("utf-8").split("\n")[:-1]
    return previous, new


def exports_of(folder: Path) -> dict[str, bytes]:
    return {name: (folder / "exports" / name).read_bytes() for name in EXPORTS}


def test_killed_builds_leave_whole_exports_a_whole_store_and_no_debris(
    corpora: Path, clean: tuple[Clean, Clean]
) -> None:
    previous, new = clean
    work = corpora / "work"
    work.mkdir()
    for lists in ("a", "b"):
        shutil.copytree(corpora / lists, work / lists)

    def restore() -> None:
        """The next successful build: the previous build's exports and store, no debris."""
        assert build("a", work) == 0
        assert exports_of(work) == previous.exports
        assert store_lines(work / "store") == previous.graph
        assert tree(work) == previous.files

    # List the new build's events once (it completes), then put the previous build back.
    assert build("a", work) == 0
    events_file = corpora / "events.tsv"
    assert build("b", work, KG_EVENTS=str(events_file)) == 0
    events = [line.split("\t") for line in events_file.read_text("utf-8").splitlines()]
    restore()

    phases = _phases(events)
    rng = random.Random(SEED)
    chosen = {
        phase: rng.choice([i for i, found in enumerate(phases) if found == phase])
        for phase in ("reading", "mapping", "finishing", "preparing", "moving", "swapping", "cache")
    }
    chosen["anywhere"] = rng.randrange(len(events))
    for stage, moment in chosen.items():
        assert build("b", work, KG_KILL_AT=str(moment)) == -signal.SIGKILL, stage
        for name, data in exports_of(work).items():  # whole, one build's or the other's
            assert data in (previous.exports[name], new.exports[name]), stage
        assert store_lines(work / "store") in (previous.graph, new.graph), stage
        restore()

    # Killed in native code, while the new store loads (afresh: it no longer matches).
    (work / "store" / "kg-graph.sha256").unlink()
    delay = f"storing:{rng.uniform(0.0, 0.3):.3f}"
    assert build("b", work, KG_KILL_IN=delay) in (0, -signal.SIGKILL)
    assert store_lines(work / "store") in (previous.graph, new.graph)

    assert build("b", work) == 0
    assert exports_of(work) == new.exports
    assert store_lines(work / "store") == new.graph
    assert tree(work) == new.files


def test_at_every_file_operation_of_a_build_the_exports_and_the_store_are_whole(
    corpora: Path, clean: tuple[Clean, Clean], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The deterministic complement of the random kills: just before each file operation
    of a build (a kill's last chance to land between two of them), every export and the
    store are one build's or the other's. Catches, for instance, a store swapped by two
    renames, which leaves a moment with no store at all."""
    previous, new = clean
    work = corpora / "steps"
    work.mkdir()
    for lists in ("a", "b"):
        shutil.copytree(corpora / lists, work / lists)
    assert build("a", work) == 0
    checked = []

    def check(operation: str) -> None:
        for name, data in exports_of(work).items():
            assert data in (previous.exports[name], new.exports[name]), operation
        assert store_lines(work / "store") in (previous.graph, new.graph), operation
        checked.append(operation)

    def watched(name: str, operation: Callable[..., Any]) -> Callable[..., Any]:
        def call(*args: Any, **kwargs: Any) -> Any:
            if os.getpid() == main and not busy:
                busy.append(name)
                try:
                    check(name)
                finally:
                    busy.clear()
            return operation(*args, **kwargs)

        return call

    main, busy = os.getpid(), []
    for name in ("replace", "rename", "link", "unlink", "rmdir", "mkdir", "fsync"):
        monkeypatch.setattr(os, name, watched(name, getattr(os, name)))
    monkeypatch.setattr(shutil, "rmtree", watched("rmtree", shutil.rmtree))
    cache = work / "exports" / ".kg-cache"
    kg_build([work / "b"], work / "exports", IriScheme(), store=work / "store", cache_dir=cache)
    monkeypatch.undo()
    assert len(checked) > 20
    assert exports_of(work) == new.exports and store_lines(work / "store") == new.graph
    assert tree(work) == new.files


def _phases(events: list[list[str]]) -> list[str]:
    """The part of the build each event belongs to: reading the lists; mapping, validating
    and writing the entities; finishing the files; preparing the store; moving the exports
    into place; swapping the store in (and removing the old one); saving the cache."""
    phases = []
    storing = "preparing"
    for stage, name in events:
        if stage != "storing":
            phase = {"mapping, validating, writing": "mapping", "writing": "finishing"}.get(
                stage, stage
            )
        else:
            if name.startswith(("os.link graph.", "os.replace graph.")):
                storing = "moving"
            elif storing == "moving":
                storing = "swapping"
            if name == "os.mkdir .kg-cache":
                storing = "cache"
            phase = storing
        phases.append(phase)
    return phases


def site_files(site: Path) -> dict[str, bytes]:
    return {str(p.relative_to(site)): p.read_bytes() for p in site.rglob("*") if p.is_file()}


def test_killed_publishes_leave_whole_pages_and_no_debris(tmp_path: Path) -> None:
    """``kg publish`` killed at seeded random moments: every page is the previous site's or
    the new one's, whole, and the next publish leaves no staging folder."""
    assert run("build", "-o", "exports", cwd=tmp_path) == 0
    titles = {"previous": "Old title", "new": "New title"}
    clean = {}
    for which, title in titles.items():
        assert run("publish", "--title", title, "-o", which, cwd=tmp_path) == 0
        clean[which] = site_files(tmp_path / which)
    assert clean["previous"].keys() == clean["new"].keys()
    assert clean["previous"] != clean["new"]
    events = tmp_path / "events.tsv"
    site = tmp_path / "site"
    assert run("publish", "--title", titles["previous"], "-o", "site", cwd=tmp_path) == 0
    publish_new = ("publish", "--title", titles["new"], "-o", "site")
    assert run(*publish_new, cwd=tmp_path, env={"KG_EVENTS": str(events)}) == 0
    count = len(events.read_text("utf-8").splitlines())
    rng = random.Random(SEED)
    for moment in sorted(rng.sample(range(count), 3)):
        assert run("publish", "--title", titles["previous"], "-o", "site", cwd=tmp_path) == 0
        assert site_files(site) == clean["previous"]  # no leftover of the last kill
        killed = run(*publish_new, cwd=tmp_path, env={"KG_KILL_AT": str(moment)})
        assert killed == -signal.SIGKILL
        for name, data in clean["new"].items():
            assert (site / name).read_bytes() in (data, clean["previous"][name]), name
    assert run(*publish_new, cwd=tmp_path) == 0
    assert site_files(site) == clean["new"]
    assert sorted(p.name for p in site.iterdir() if p.name.startswith(".")) == [".kg-site"]
