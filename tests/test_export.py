"""Exports: three isomorphic formats, identical bytes every run, written all or nothing."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from rdflib import Graph
from rdflib.compare import isomorphic

import kg.export
from kg.errors import ExportError
from kg.export import EXPORTS, write_exports, write_files_atomically
from kg.graph import corpus_graph
from kg.mapping import IriScheme
from kg.pipeline import load_corpus

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def sample_graph() -> Graph:
    return corpus_graph(load_corpus([]), IriScheme())


def parse(path: Path) -> Graph:
    graph = Graph()
    formats = {".ttl": "turtle", ".nt": "nt", ".jsonld": "json-ld"}
    with path.open("rb") as stream:
        graph.parse(stream, format=formats[path.suffix])
    return graph


def test_three_formats_are_isomorphic(tmp_path: Path, sample_graph: Graph) -> None:
    written = write_exports(sample_graph, tmp_path)
    assert sorted(p.name for p in written) == ["graph.jsonld", "graph.nt", "graph.ttl"]
    graphs = [parse(path) for path in written]
    for graph in graphs:
        assert isomorphic(graph, sample_graph)


def test_ntriples_lines_are_sorted(tmp_path: Path, sample_graph: Graph) -> None:
    write_exports(sample_graph, tmp_path)
    lines = (tmp_path / "graph.nt").read_text(encoding="utf-8").splitlines()
    assert lines == sorted(lines) and len(lines) == len(sample_graph)


def test_jsonld_has_inline_context_and_author_lists(tmp_path: Path, sample_graph: Graph) -> None:
    write_exports(sample_graph, tmp_path)
    document = json.loads((tmp_path / "graph.jsonld").read_text(encoding="utf-8"))
    assert document["@context"]["@vocab"] == "http://schema.org/"
    papers = [node for node in document["@graph"] if node.get("@type") == "ScholarlyArticle"]
    assert len(papers) == 10
    eurobert = next(p for p in papers if p["name"].startswith("EuroBERT"))
    authors = eurobert["bibo:authorList"]["@list"]
    assert authors[0]["@id"].endswith("/person/nicolas-boizard")
    assert authors[-1]["@id"].endswith("/person/pierre-colombo")
    assert len(authors) == 19


def _build_in_subprocess(out_dir: Path, seed: str) -> dict[str, bytes]:
    env = {**os.environ, "PYTHONHASHSEED": seed}
    subprocess.run(
        [sys.executable, "-m", "kg", "build", "-o", str(out_dir)],
        check=True,
        env=env,
        cwd=out_dir.parent,
        capture_output=True,
    )
    return {name: (out_dir / name).read_bytes() for name in EXPORTS}


def test_bytes_identical_across_runs_and_hash_seeds(tmp_path: Path) -> None:
    runs = [_build_in_subprocess(tmp_path / f"run{seed}", seed) for seed in ("0", "1", "4242")]
    assert runs[0] == runs[1] == runs[2]


def test_repository_exports_are_up_to_date(tmp_path: Path) -> None:
    """exports/ holds the sample's exports; a change to the mapping must rebuild them."""
    fresh = _build_in_subprocess(tmp_path / "fresh", "0")
    for name, data in fresh.items():
        committed = (REPO / "exports" / name).read_bytes()
        assert committed == data, f"exports/{name} is stale: run `kg build` and commit it"


def test_failure_while_serializing_leaves_previous_exports(
    tmp_path: Path, sample_graph: Graph, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_exports(sample_graph, tmp_path)
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}

    def broken(graph: Graph) -> bytes:
        raise RuntimeError("serializer crashed")

    monkeypatch.setattr(kg.export, "EXPORTS", {**EXPORTS, "graph.nt": broken})
    with pytest.raises(RuntimeError):
        kg.export.write_exports(Graph(), tmp_path)
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before


def test_failure_while_renaming_rolls_back(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_bytes(b"old a")
    (tmp_path / "b.txt").mkdir()  # a folder where a file must go: the second move fails
    with pytest.raises(ExportError):
        write_files_atomically({tmp_path / "a.txt": b"new a", tmp_path / "b.txt": b"new b"})
    assert (tmp_path / "a.txt").read_bytes() == b"old a"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.txt", "b.txt"]


def test_bytes_identical_whatever_the_argument_order(tmp_path: Path) -> None:
    golden = REPO / "tests" / "data" / "golden" / "two-lists"
    lists = [golden / "peyrard.txt", golden / "west.txt"]
    outputs = []
    for order, args in enumerate([lists, list(reversed(lists)), [golden]]):
        out = tmp_path / f"out{order}"
        subprocess.run(
            [sys.executable, "-m", "kg", "build", *map(str, args), "-o", str(out)],
            check=True,
            capture_output=True,
        )
        outputs.append({name: (out / name).read_bytes() for name in EXPORTS})
    assert outputs[0] == outputs[1] == outputs[2]


def test_turtle_keeps_each_paper_with_its_authorships_in_order(sample_graph: Graph) -> None:
    text = kg.export.to_turtle(sample_graph).decode("utf-8")
    blocks = [block.split(" ", 1)[0] for block in text.split("\n\n") if block.strip()]
    papers = [b for b in blocks if b.startswith("paper:")]
    assert len(papers) == 10
    for paper in papers:
        start = blocks.index(paper)
        iri = f"<https://example.org/kg/paper/{paper.removeprefix('paper:')}"
        following = blocks[start + 1 :]
        authorships = []
        for block in following:
            if not block.startswith(f"{iri}#author-"):
                break
            authorships.append(int(block.rsplit("-", 1)[1].rstrip(">")))
        assert authorships == list(range(1, len(authorships) + 1)) and authorships, paper
    assert blocks[1].startswith("list:") or blocks[1].startswith("<https://example.org/kg/list/")
    # Within a paper, qualifiedAttribution lists author-2 before author-10.
    eurobert = text[text.index("paper:eurobert") :]
    assert eurobert.index("#author-2>") < eurobert.index("#author-10>")
