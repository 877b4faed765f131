"""gzip-compressed lists in, gzip-compressed exports out, everywhere kg reads files."""

from __future__ import annotations

import gzip
import shutil
import subprocess
import sys
from io import BytesIO
from pathlib import Path

import pytest

from kg.compression import gzip_output, plain_name, plain_suffix
from kg.export import EXPORT_NAMES

REPO = Path(__file__).resolve().parent.parent
SAMPLE = REPO / "kg" / "data" / "samples" / "peyrard.txt"


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
    data = SAMPLE.read_bytes()
    assert gzipped(data) == gzipped(data)
    assert gzip.decompress(gzipped(data)) == data
    flags, mtime = gzipped(data)[3], gzipped(data)[4:8]
    assert (flags, mtime) == (0, b"\0\0\0\0")  # no file name, no timestamp


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


def test_damaged_gzip_list_exits_2_naming_the_file(tmp_path: Path) -> None:
    packed = gzip.compress(SAMPLE.read_bytes())
    (tmp_path / "cut.txt.gz").write_bytes(packed[: len(packed) // 2])
    result = kg("build", "cut.txt.gz", cwd=tmp_path)
    assert result.returncode == 2
    assert "cut.txt.gz" in result.stderr and "gzip" in result.stderr
    assert "Traceback" not in result.stderr and not (tmp_path / "exports").exists()


def test_gzip_exports_decompress_to_the_plain_ones(tmp_path: Path) -> None:
    assert kg("build", "-o", "plain", cwd=tmp_path).returncode == 0
    first = kg("build", "--gzip", "-o", "packed", cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    again = (tmp_path / "packed" / "graph.nt.gz").read_bytes()
    assert kg("build", "--gzip", "-o", "packed", cwd=tmp_path).returncode == 0
    assert (tmp_path / "packed" / "graph.nt.gz").read_bytes() == again
    for name in EXPORT_NAMES:
        packed = gzip.decompress((tmp_path / "packed" / f"{name}.gz").read_bytes())
        assert packed == (tmp_path / "plain" / name).read_bytes()
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
    queried = kg("query", "papers-without-abstract", "--data", path, cwd=tmp_path)
    assert queried.returncode == 0, queried.stderr
    assert "(0 rows)" in queried.stdout


def test_query_defaults_to_the_compressed_last_build(tmp_path: Path) -> None:
    assert kg("build", "--gzip", cwd=tmp_path).returncode == 0
    result = kg(
        "query", "-q", "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }", "--format", "csv", cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[1] == "1158"
