"""The code stays lint-clean (ruff) and type-clean (mypy --strict on kg/)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def test_ruff_is_clean() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "kg", "tests", "bench"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_is_clean() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "mypy"], cwd=REPO, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_only_the_cli_imports_click() -> None:
    """The library never depends on the command line (design.md §2)."""
    offenders = [
        str(path.relative_to(REPO))
        for path in (REPO / "kg").rglob("*.py")
        if path.name != "cli.py"
        and any(
            line.lstrip().startswith(("import click", "from click"))
            for line in path.read_text(encoding="utf-8").splitlines()
        )
    ]
    assert offenders == []
