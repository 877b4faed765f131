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
    assert len(store_graph(tmp_path / "store")) == 1148
    assert sorted(p.name for p in tmp_path.iterdir()) == ["exports", "store"]
    (tmp_path / "bad.txt").write_text("Doe, Jane\nA Title\n", encoding="utf-8")
    failed = kg("build", "bad.txt", "--store", "store", cwd=tmp_path)
    assert failed.returncode == 2
    assert len(store_graph(tmp_path / "store")) == 1148


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
    assert len(store_graph(built / "store")) == 1148
