"""gzip-compressed lists in, gzip-compressed exports out, everywhere kg reads files."""

from __future__ import annotations

import gzip
import shutil
import subprocess
import sys
from io import BytesIO
from pathlib import Path

import pytest
from rdflib import Graph
from rdflib.compare import IsomorphicGraph, to_isomorphic

from kg.compression import gzip_output, plain_name, plain_suffix
from kg.export import EXPORT_NAMES

REPO = Path(__file__).resolve().parent.parent
SAMPLE = REPO / "kg" / "data" / "samples" / "peyrard.txt"
SAMPLE_GRAPH = REPO / "exports" / "graph.nt"
"""The sample's committed build (test_export.py keeps it up to date): the expected triples."""
COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
RDF_FORMATS = {"graph.ttl": "turtle", "graph.jsonld": "json-ld", "graph.nt": "nt"}


def sample_graph() -> IsomorphicGraph:
    """The sample's triples, read by rdflib rather than by kg."""
    graph = to_isomorphic(Graph().parse(SAMPLE_GRAPH, format="nt"))
    assert len(graph) == len(SAMPLE_GRAPH.read_text(encoding="utf-8").splitlines()) > 1000
    return graph


def kg(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "kg", *args], capture_output=True, text=True, cwd=cwd, check=False
    )


def test_names() -> None:
    assert plain_name(Path("a/peyrard.txt.gz")) == "peyrard.txt"
    assert plain_suffix(Path("graph.NT.GZ")) == ".nt"
    assert plain_suffix(Path("graph.ttl")) == ".ttl"


def gzipped(data: bytes) -> bytes:
    raw = BytesIO()
    with gzip_output(raw) as stream:
        stream.write(data)
    return raw.getvalue()


def test_gzip_output_is_deterministic() -> None:
    """Bytes that depend on nothing but the data: a fixed header (deflate, no flags so no
    file name, timestamp 0, OS "unknown"), then the deflate stream and trailer that the
    standard library's one-shot gzip writes at the same level."""
    data = SAMPLE.read_bytes()
    packed = gzipped(data)
    assert packed[:10] == b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"
    assert packed[10:] == gzip.compress(data, compresslevel=6, mtime=0)[10:]
    assert gzip.decompress(packed) == data


def test_compressed_list_builds_the_same_graph(tmp_path: Path) -> None:
    (tmp_path / "plain").mkdir()
    (tmp_path / "packed").mkdir()
    shutil.copy(SAMPLE, tmp_path / "plain" / "peyrard.txt")
    (tmp_path / "packed" / "peyrard.txt.gz").write_bytes(gzip.compress(SAMPLE.read_bytes()))
    for kind in ("plain", "packed"):
        result = kg("build", kind, "-o", f"out-{kind}", cwd=tmp_path)
        assert result.returncode == 0, result.stderr
    plain = (tmp_path / "out-plain" / "graph.nt").read_text(encoding="utf-8")
    packed = (tmp_path / "out-packed" / "graph.nt").read_text(encoding="utf-8")
    # Same papers and persons; provenance names the file as given.
    assert packed.replace('"peyrard.txt.gz"', '"peyrard.txt"') == plain
    assert plain == SAMPLE_GRAPH.read_text(encoding="utf-8")  # both empty would be equal too


def test_damaged_gzip_list_exits_2_naming_the_file(tmp_path: Path) -> None:
    packed = gzip.compress(SAMPLE.read_bytes())
    (tmp_path / "cut.txt.gz").write_bytes(packed[: len(packed) // 2])
    result = kg("build", "cut.txt.gz", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1] == (
        "kg: error: cut.txt.gz: not a valid gzip file: "
        "Compressed file ended before the end-of-stream marker was reached"
    )
    assert "Traceback" not in result.stderr and not (tmp_path / "exports").exists()


def test_gzip_exports_decompress_to_the_plain_ones(tmp_path: Path) -> None:
    assert kg("build", "-o", "plain", cwd=tmp_path).returncode == 0
    first = kg("build", "--gzip", "-o", "packed", cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    again = (tmp_path / "packed" / "graph.nt.gz").read_bytes()
    assert kg("build", "--gzip", "-o", "packed", cwd=tmp_path).returncode == 0
    assert (tmp_path / "packed" / "graph.nt.gz").read_bytes() == again
    expected = sample_graph()
    for name in EXPORT_NAMES:
        packed = gzip.decompress((tmp_path / "packed" / f"{name}.gz").read_bytes())
        assert packed == (tmp_path / "plain" / name).read_bytes()
        # Not merely the same bytes as the plain build (both could be empty): the sample's
        # triples, every one of them.
        graph = Graph().parse(data=packed, format=RDF_FORMATS[name])
        assert to_isomorphic(graph) == expected, f"{name}.gz: {len(graph)} triples"
    assert sorted(p.name for p in (tmp_path / "packed").glob("graph.*")) == sorted(
        f"{name}.gz" for name in EXPORT_NAMES
    )


def test_switching_to_gzip_removes_stale_plain_exports(tmp_path: Path) -> None:
    assert kg("build", cwd=tmp_path).returncode == 0
    assert kg("build", "--gzip", cwd=tmp_path).returncode == 0
    assert sorted(p.name for p in (tmp_path / "exports").glob("graph.*")) == sorted(
        f"{name}.gz" for name in EXPORT_NAMES
    )


@pytest.mark.parametrize("name", ["graph.nt.gz", "graph.ttl.gz", "graph.jsonld.gz"])
def test_compressed_exports_validate_and_query(tmp_path: Path, name: str) -> None:
    assert kg("build", "--gzip", cwd=tmp_path).returncode == 0
    path = str(tmp_path / "exports" / name)
    validated = kg("validate", path, cwd=tmp_path)
    assert validated.returncode == 0, validated.stdout + validated.stderr
    # An empty graph also conforms: the sample's one warning shows the triples were read.
    assert "0 violations, 1 warning" in validated.stdout
    assert "eurobert-scaling-multilingual-encoders" in validated.stdout
    queried = kg("query", "-q", COUNT, "--data", path, "--format", "csv", cwd=tmp_path)
    assert queried.returncode == 0, queried.stderr
    assert queried.stdout.splitlines() == ["n", str(len(sample_graph()))]


def test_query_defaults_to_the_compressed_last_build(tmp_path: Path) -> None:
    assert kg("build", "--gzip", cwd=tmp_path).returncode == 0
    result = kg("query", "-q", COUNT, "--format", "csv", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["n", "1158"]
