"""A smoke run of the benchmark, so bench/ keeps working (the real run is not a test)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent.parent / "bench" / "run.py"


def test_benchmark_smoke_run() -> None:
    result = subprocess.run(
        [sys.executable, str(BENCH), "--sizes", "10", "20"],
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr
    assert "kg is" in result.stdout and "faster" in result.stdout
    assert "growth 10 -> 20 papers" in result.stdout
