"""A build whose exports cannot be written (a full disk, here a file size limit set on the
process) says so, exits 2, and leaves the previous exports as they were and no debris."""

from __future__ import annotations

import resource
import signal
import subprocess
import sys
from pathlib import Path

import pytest

LIMIT = 64_000
"""Bytes a file may grow to: less than the sample's exports (each over 75 kB), more than
any file kg writes before them."""


def _limited() -> None:
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails instead
    resource.setrlimit(resource.RLIMIT_FSIZE, (LIMIT, LIMIT))


def build(out: Path, limited: bool) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "kg", "build", "-o", str(out)],
        capture_output=True,
        text=True,
        preexec_fn=_limited if limited else None,
        timeout=300,
    )


def files(folder: Path) -> dict[str, bytes]:
    return {
        str(path.relative_to(folder)): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


@pytest.mark.parametrize("earlier_build", [False, True], ids=["first build", "rebuild"])
def test_exports_that_cannot_be_written_are_a_clear_error(
    tmp_path: Path, earlier_build: bool
) -> None:
    out = tmp_path / "out"
    if earlier_build:
        assert build(out, limited=False).returncode == 0
    before = files(out) if earlier_build else None
    result = build(out, limited=True)
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("kg: error: cannot write exports: ")
    assert "File too large" in result.stderr
    if before is None:
        assert not out.exists()  # nothing written, not even the folder
    else:
        assert files(out) == before  # the exports, the cache, nothing else
