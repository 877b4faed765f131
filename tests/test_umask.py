"""Every file kg writes gets the mode a plain ``open()`` gives under the user's umask (issue
14: files staged through ``mkstemp`` were 0600, so a web server or a store's loader running
as another user could not read them), and every folder it makes the mode ``mkdir`` gives."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest


def kg(*args: str, cwd: Path, umask: int) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "kg", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        check=False,
        umask=umask,
    )
    assert result.returncode == 0, result.stderr


def modes(folder: Path, *, skip: Path | None = None) -> dict[str, int]:
    """The permission bits of ``folder`` and everything under it, by relative path."""
    found = {".": folder.stat().st_mode & 0o777}
    for path in folder.rglob("*"):
        if skip is None or not path.is_relative_to(skip):
            found[str(path.relative_to(folder))] = path.stat().st_mode & 0o777
    return found


def expected(found: dict[str, int], folder: Path, umask: int) -> dict[str, int]:
    return {name: (0o777 if (folder / name).is_dir() else 0o666) & ~umask for name in found}


@pytest.mark.parametrize("umask", [0o022, 0o002, 0o077])
def test_builds_the_store_the_cache_the_site_and_exports_follow_the_umask(
    tmp_path: Path, umask: int
) -> None:
    kg("build", "--store", "store", cwd=tmp_path, umask=umask)
    (tmp_path / "second.txt").write_text("Doe, Jane\nA Title\nDoe, Jane\n\n", "utf-8")
    # A rebuild replaces every export and cache file and updates the store by difference.
    kg("build", "second.txt", "--store", "store", cwd=tmp_path, umask=umask)
    kg("build", "--gzip", "-o", "gzipped", cwd=tmp_path, umask=umask)
    kg("publish", "-o", "site", cwd=tmp_path, umask=umask)
    kg("publish", "-o", "site", cwd=tmp_path, umask=umask)  # replaces every page
    kg("export", "--to", "bibtex", "-o", "works.bib", cwd=tmp_path, umask=umask)
    kg("export", "--to", "csl-json", "-o", "out/works.json", cwd=tmp_path, umask=umask)

    written = {}
    for folder in ("exports", "gzipped", "site", "out"):
        found = modes(tmp_path / folder)
        written[folder] = found
        assert found == expected(found, tmp_path / folder, umask), folder
    assert {".", "graph.nt", "graph.ttl", "graph.jsonld", ".kg-cache"} <= set(written["exports"])
    assert ".kg-cache/validation.sqlite" in written["exports"]
    assert {"index.html", ".kg-site", "void.ttl"} <= set(written["site"])
    assert (tmp_path / "works.bib").stat().st_mode & 0o777 == 0o666 & ~umask
    # The store: its folder and the file kg writes in it (RocksDB makes the others).
    store = tmp_path / "store"
    assert store.stat().st_mode & 0o777 == 0o777 & ~umask
    assert (store / "kg-graph.sha256").stat().st_mode & 0o777 == 0o666 & ~umask
