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
    """The library never depends on the command line (design.md §2): only ``kg/cli.py``, the
    commands' modules (``kg/commands/``) and ``python -m kg`` import click, or the command
    line itself."""
    command_line = [
        REPO / "kg" / "cli.py",
        REPO / "kg" / "__main__.py",
        *(REPO / "kg" / "commands").glob("*.py"),
    ]
    offenders = [
        str(path.relative_to(REPO))
        for path in (REPO / "kg").rglob("*.py")
        if path not in command_line
        and any(
            line.lstrip().startswith(
                ("import click", "from click", "import kg.cli", "from kg.cli", "from kg import cli")
            )
            or line.lstrip().startswith(("import kg.commands", "from kg.commands"))
            for line in path.read_text(encoding="utf-8").splitlines()
        )
    ]
    assert len(command_line) > 2 and offenders == []
