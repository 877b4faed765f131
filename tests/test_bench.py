"""A smoke run of the benchmark, so bench/ keeps working (the real run is not a test)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent.parent / "bench" / "run.py"


def test_benchmark_smoke_run() -> None:
    """kg at 20 and 1,000 papers, with the canned queries on a store of each; the slow
    baseline only at 20 (pySHACL takes minutes at 1k)."""
    result = subprocess.run(
        [
            sys.executable,
            str(BENCH),
            "--sizes",
            "20",
            "1000",
            "--baseline-sizes",
            "20",
            "--queries",
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr
    assert "kg is" in result.stdout and "faster" in result.stdout
    assert "growth 20 -> 1000 papers" in result.stdout
    assert "   1000 papers" in result.stdout
    store_lines = [line for line in result.stdout.splitlines() if "on the store:" in line]
    assert len(store_lines) == 2
    assert all("(store load)" in line and "person-papers" in line for line in store_lines)


def test_formats_benchmark_smoke_run() -> None:
    """The same works from text lists, BibTeX and CSL-JSON, at 200 papers."""
    result = subprocess.run(
        [sys.executable, str(BENCH.parent / "formats.py"), "--papers", "200"],
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert [line.split(" from ")[1].split("|")[0].strip() for line in lines] == [
        "text lists",
        "bibtex",
        "csl-json",
    ]
    assert "(x1.00 of text lists)" in lines[0]
