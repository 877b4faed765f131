"""Shared fixtures: the example graph and a real Oxigraph SPARQL server on loopback."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import pytest

DATA = Path(__file__).resolve().parent / "data"
RICH_INPUTS = [
    DATA / "bibtex" / "dblp.bib",
    DATA / "bibtex" / "google-scholar.bib",
    DATA / "csljson" / "zotero.json",
    DATA.parent.parent / "kg" / "data" / "samples" / "peyrard.txt",
]
"""Inputs in every format, for a graph with dates, venues, identifiers and an owner."""
EXAMPLE_GRAPH = DATA / "example.ttl"

# Requests to the loopback servers the tests start must never go through a proxy.
_NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))


@pytest.fixture(scope="session")
def example_graph_path() -> Path:
    """tests/data/example.ttl: a small valid graph in kg's model (read-only: copy to break)."""
    return EXAMPLE_GRAPH


def oxigraph_binary() -> Path:
    """The ``oxigraph`` CLI of the test environment (pip package ``oxigraph``)."""
    beside_python = Path(sys.executable).parent / "oxigraph"
    if beside_python.is_file():
        return beside_python
    found = shutil.which("oxigraph")
    if found is None:
        pytest.fail(
            "the oxigraph server binary is missing: install the test extra "
            "(pip install -e '.[test]', which brings the 'oxigraph' package)"
        )
    return Path(found)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def read_only_oxigraph(data: Sequence[Path], folder: Path) -> Iterator[str]:
    """A read-only ``oxigraph serve`` on loopback holding ``data``; yields its query URL."""
    binary = oxigraph_binary()
    location = folder / "store"
    for path in data:
        subprocess.run(
            [str(binary), "load", "--location", str(location), "--file", str(path)],
            check=True,
            capture_output=True,
            timeout=60,
        )
    log = (folder / "server.log").open("wb")
    port = free_port()
    server = subprocess.Popen(
        [
            str(binary),
            "serve-read-only",
            "--location",
            str(location),
            "--bind",
            f"127.0.0.1:{port}",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    endpoint = f"http://127.0.0.1:{port}/query"
    try:
        _wait_until_answering(endpoint, server, log.name)
        yield endpoint
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=10)
        log.close()


@pytest.fixture(scope="session")
def oxigraph_endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``http://127.0.0.1:PORT/query`` of a read-only Oxigraph server holding example.ttl."""
    with read_only_oxigraph([EXAMPLE_GRAPH], tmp_path_factory.mktemp("oxigraph")) as endpoint:
        yield endpoint


def _wait_until_answering(endpoint: str, server: subprocess.Popen[bytes], log: str) -> None:
    probe = endpoint + "?" + urllib.parse.urlencode({"query": "ASK { ?s ?p ?o }"})
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"oxigraph serve exited with {server.returncode}: {Path(log).read_text()}")
        try:
            with _NO_PROXY.open(probe, timeout=2) as response:
                if response.status == 200 and b"true" in response.read():
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.1)
    pytest.fail(f"oxigraph serve did not answer within 30 s: {Path(log).read_text()}")


@pytest.fixture(scope="session", autouse=True)
def _loopback_without_proxy() -> Iterator[None]:
    """kg's HTTP client honours *_proxy variables; loopback test servers must bypass them."""
    with pytest.MonkeyPatch.context() as patch:
        for name in ("no_proxy", "NO_PROXY"):
            patch.setenv(name, "127.0.0.1,localhost")
        yield


_FIGURES = pytest.StashKey[list[str]]()


@pytest.fixture(scope="session")
def report_figure(request: pytest.FixtureRequest) -> Callable[[str], None]:
    """Adds a line to the "figures" section printed at the end of the test run (precision,
    recall, request counts): numbers a reader of the CI log should see, not assertions."""
    figures = request.config.stash.setdefault(_FIGURES, [])
    return figures.append


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    figures = terminalreporter.config.stash.get(_FIGURES, [])
    if figures:
        terminalreporter.section("figures")
        for line in figures:
            terminalreporter.write_line(line)
