"""A plain, non-editable install ships the shapes, queries, contexts and sample it needs."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-w",
            str(out),
            str(REPO),
        ],
        check=True,
        capture_output=True,
    )
    (built,) = out.glob("kg-*.whl")
    return built


def test_wheel_contains_the_data_files(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    shapes = {n for n in names if n.startswith("kg/data/shapes/") and n.endswith(".ttl")}
    queries = {n for n in names if n.startswith("kg/data/queries/") and n.endswith(".rq")}
    assert len(shapes) == len(list((REPO / "shapes").glob("*.ttl")))
    assert len(queries) == len(list((REPO / "queries").glob("*.rq")))
    assert "kg/data/samples/peyrard.txt" in names
    assert "kg/data/contexts/kg.jsonld" in names


def test_installed_wheel_builds_the_sample_from_elsewhere(wheel: Path, tmp_path: Path) -> None:
    target = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "--target", str(target), str(wheel)],
        check=True,
        capture_output=True,
    )
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    # Only the installed copy of kg is importable: not the checkout.
    env = {**os.environ, "PYTHONPATH": str(target)}
    probe = subprocess.run(
        [sys.executable, "-c", "import kg; print(kg.__file__)"],
        check=True,
        capture_output=True,
        text=True,
        env=env,
        cwd=elsewhere,
    )
    assert probe.stdout.startswith(str(target))
    build = subprocess.run(
        [sys.executable, "-m", "kg", "build"],
        capture_output=True,
        text=True,
        env=env,
        cwd=elsewhere,
        check=False,
    )
    assert build.returncode == 0, build.stderr
    assert "10 papers" in build.stdout
    queries = subprocess.run(
        [sys.executable, "-m", "kg", "query", "papers-per-author", "--format", "csv"],
        capture_output=True,
        text=True,
        env=env,
        cwd=elsewhere,
        check=False,
    )
    assert queries.returncode == 0, queries.stderr
    assert "Maxime Peyrard" in queries.stdout
