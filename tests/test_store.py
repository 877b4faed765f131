"""The on-disk store: `kg build --store DIR` fills it, `kg query --store DIR` reads it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib import Graph
from rdflib.compare import isomorphic

from kg.queries import list_canned_queries
from kg.store import open_store


def kg(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "kg", *args], capture_output=True, text=True, cwd=cwd, check=False
    )


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("built")
    result = kg("build", "--store", "store", cwd=folder)
    assert result.returncode == 0, result.stderr
    return folder


def store_graph(path: Path) -> Graph:
    store = open_store(path)
    data = store.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=ox.DefaultGraph())
    del store
    return Graph().parse(data=data.decode("utf-8"), format="nt")


def test_store_holds_exactly_the_graph(built: Path) -> None:
    exported = Graph().parse(built / "exports" / "graph.nt", format="nt")
    assert isomorphic(store_graph(built / "store"), exported)


def test_a_gzipped_build_fills_the_same_store(tmp_path: Path, built: Path) -> None:
    result = kg("build", "--gzip", "--store", "store", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert not (tmp_path / "exports" / "graph.nt").exists()
    assert isomorphic(store_graph(tmp_path / "store"), store_graph(built / "store"))


@pytest.mark.parametrize(
    "name", [query.name for query in list_canned_queries() if not query.params]
)
def test_queries_on_the_store_match_queries_on_the_exports(built: Path, name: str) -> None:
    on_store = kg("query", name, "--store", "store", "--format", "json", cwd=built)
    on_file = kg("query", name, "--format", "json", cwd=built)
    assert on_store.returncode == 0, on_store.stderr
    assert json.loads(on_store.stdout) == json.loads(on_file.stdout)


def test_rebuild_replaces_and_failed_build_keeps_the_store(tmp_path: Path) -> None:
    assert kg("build", "--store", "store", cwd=tmp_path).returncode == 0
    assert kg("build", "--store", "store", cwd=tmp_path).returncode == 0
    assert len(store_graph(tmp_path / "store")) == 1158
    assert sorted(p.name for p in tmp_path.iterdir()) == ["exports", "store"]
    (tmp_path / "bad.txt").write_text("Doe, Jane\nA Title\n", encoding="utf-8")
    failed = kg("build", "bad.txt", "--store", "store", cwd=tmp_path)
    assert failed.returncode == 2
    assert len(store_graph(tmp_path / "store")) == 1158


def test_a_folder_that_is_not_a_store_is_never_replaced(tmp_path: Path) -> None:
    (tmp_path / "precious").mkdir()
    (tmp_path / "precious" / "notes.txt").write_text("keep me", encoding="utf-8")
    result = kg("build", "--store", "precious", cwd=tmp_path)
    assert result.returncode == 2 and "not a kg store" in result.stderr
    assert (tmp_path / "precious" / "notes.txt").read_text(encoding="utf-8") == "keep me"


def test_query_store_errors_exit_2(built: Path) -> None:
    missing = kg("query", "papers-per-list", "--store", "nowhere", cwd=built)
    assert missing.returncode == 2 and "no kg store in nowhere" in missing.stderr
    both = kg(
        "query", "papers-per-list", "--store", "store", "--data", "exports/graph.nt", cwd=built
    )
    assert both.returncode == 2 and "at most one of" in both.stderr
    update = kg("query", "-q", "CLEAR ALL", "--store", "store", cwd=built)
    assert update.returncode == 2 and "Traceback" not in update.stderr
    assert len(store_graph(built / "store")) == 1158


# Incremental store updates: a rebuild applies only the difference.

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
from corpus import write_corpus  # noqa: E402

import kg.store as kg_store  # noqa: E402
from kg.iris import IriScheme  # noqa: E402
from kg.pipeline import BuildResult, build  # noqa: E402
from kg.store import DIGEST_FILE, lazy_chunks  # noqa: E402


def store_lines(path: Path) -> list[bytes]:
    """The store's triples as sorted N-Triples lines (blank node labels as stored)."""
    store = open_store(path)
    data = store.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=ox.DefaultGraph())
    del store
    return sorted(data.splitlines(keepends=True))


def export_lines(out: Path) -> list[bytes]:
    return (out / "graph.nt").read_bytes().splitlines(keepends=True)


@pytest.fixture
def lists(tmp_path: Path) -> Path:
    folder = tmp_path / "lists"
    write_corpus(folder, 60, seed=5)
    return folder


def rebuilt(lists: Path, tmp_path: Path) -> BuildResult:
    return build([lists], tmp_path / "out", IriScheme(), store=tmp_path / "store")


def test_a_store_holds_the_exported_lines_exactly(lists: Path, tmp_path: Path) -> None:
    first = rebuilt(lists, tmp_path)
    assert first.store is not None and first.store.reloaded
    assert first.store.added == first.triples
    assert store_lines(tmp_path / "store") == export_lines(tmp_path / "out")


def test_adding_and_removing_a_list_updates_the_store_by_difference(
    lists: Path, tmp_path: Path
) -> None:
    spare = sorted(lists.glob("*.txt"))[-1]
    held_back = spare.read_bytes()
    spare.unlink()
    rebuilt(lists, tmp_path)

    spare.write_bytes(held_back)
    added = rebuilt(lists, tmp_path)
    assert added.store is not None and not added.store.reloaded
    assert 0 < added.store.added < added.triples
    assert store_lines(tmp_path / "store") == export_lines(tmp_path / "out")

    unchanged = rebuilt(lists, tmp_path)
    assert unchanged.store is not None and not unchanged.store.reloaded
    assert (unchanged.store.added, unchanged.store.removed) == (0, 0)

    spare.unlink()
    removed = rebuilt(lists, tmp_path)
    assert removed.store is not None and not removed.store.reloaded
    assert removed.store.removed > 0
    assert store_lines(tmp_path / "store") == export_lines(tmp_path / "out")
    assert not [p.name for p in (tmp_path / "out").iterdir() if p.name.startswith(".graph")]


def test_a_store_that_does_not_hold_the_previous_exports_is_loaded_afresh(
    lists: Path, tmp_path: Path
) -> None:
    rebuilt(lists, tmp_path)
    (tmp_path / "store" / DIGEST_FILE).unlink()  # as an update interrupted half-way leaves it
    again = rebuilt(lists, tmp_path)
    assert again.store is not None and again.store.reloaded

    # Exports rebuilt without the store: the store no longer holds the previous graph.
    sorted(lists.glob("*.txt"))[0].unlink()
    build([lists], tmp_path / "out", IriScheme())
    write_corpus(lists, 60, seed=5)
    behind = rebuilt(lists, tmp_path)
    assert behind.store is not None and behind.store.reloaded
    assert store_lines(tmp_path / "store") == export_lines(tmp_path / "out")


def test_a_gzipped_rebuild_updates_the_store_too(lists: Path, tmp_path: Path) -> None:
    build([lists], tmp_path / "out", IriScheme(), compress=True, store=tmp_path / "store")
    sorted(lists.glob("*.txt"))[0].unlink()
    again = build([lists], tmp_path / "out", IriScheme(), compress=True, store=tmp_path / "store")
    assert again.store is not None and not again.store.reloaded and again.store.removed > 0
    plain = build([lists], tmp_path / "plain", IriScheme())
    assert plain.triples == again.triples
    assert store_lines(tmp_path / "store") == export_lines(tmp_path / "plain")


def test_the_cli_says_how_the_store_changed(tmp_path: Path) -> None:
    first = kg("build", "--store", "store", cwd=tmp_path)
    assert "stored the graph in store (1158 triples)" in first.stdout, first.stderr
    second = kg("build", "--store", "store", cwd=tmp_path)
    assert "updated the store in store: 0 triples added, 0 removed" in second.stdout


@pytest.mark.parametrize("count", [0, 1, 6, 7, 8, 20])
def test_lazy_chunks_cover_every_item_once_in_order(count: int) -> None:
    parts = [list(part) for part in lazy_chunks(iter(range(count)), 7)]
    assert [item for part in parts for item in part] == list(range(count))
    assert all(len(part) == 7 for part in parts[:-1])
    assert len(parts) == -(-count // 7)


def test_a_store_loaded_in_small_parts_holds_the_exported_lines_exactly(
    lists: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Blank nodes (author lists) cut across parts stay one node each, labels kept."""
    monkeypatch.setattr(kg_store, "QUADS_PER_LOAD", 7)
    first = rebuilt(lists, tmp_path)
    assert first.store is not None and first.store.reloaded
    lines = export_lines(tmp_path / "out")
    assert len(lines) > 7 * 100 and any(line.startswith(b"_:") for line in lines)
    assert store_lines(tmp_path / "store") == lines
