"""Shared fixtures: the example graph and a real Oxigraph SPARQL server on loopback, and the
helpers for servers on loopback without port races: servers bind port 0 where they can tell
the port (kg's, Python's), others are started again on new ports when theirs was taken
(:func:`start_on_free_ports`); a dead endpoint is a port held bound (:func:`refusing_port`);
waiting is for an event or a condition polled with a deadline (:func:`wait_for`)."""

from __future__ import annotations

import re
import select
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import TypeVar

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


class PortTaken(Exception):
    """A server exited because a port it was given was taken between choosing and binding."""


# How oxigraph ("Address already in use") and Virtuoso ("Failed HTTP listen at", "Failed to
# start listening at SQL port") report a port they cannot bind, before they exit.
_BIND_FAILED = re.compile(r"Address already in use|Failed HTTP listen|Failed to start listening")

T = TypeVar("T")


def _free_ports(count: int) -> tuple[int, ...]:
    """``count`` distinct loopback ports that nothing was bound to a moment ago (all probes
    are held together, so the kernel cannot hand out one port twice)."""
    with ExitStack() as stack:
        probes = [stack.enter_context(socket.socket()) for _ in range(count)]
        for probe in probes:
            probe.bind(("127.0.0.1", 0))
        return tuple(int(probe.getsockname()[1]) for probe in probes)


def start_on_free_ports(start: Callable[[tuple[int, ...]], T], count: int = 1) -> T:
    """``start(ports)`` with ``count`` free ports, again with new ones while it raises
    :class:`PortTaken`: for servers that cannot listen on port 0 and tell the port they got
    (``oxigraph serve``, Virtuoso). A port free when chosen may be taken before the server
    binds it; servers that can bind port 0 (kg's, Python's) should do that instead."""
    taken: list[str] = []
    for _attempt in range(5):
        try:
            return start(_free_ports(count))
        except PortTaken as exc:
            taken.append(str(exc))
    pytest.fail("5 attempts found their ports taken:\n" + "\n".join(taken))


def wait_for(condition: Callable[[], bool], timeout: float = 30) -> bool:
    """Polls ``condition`` until it holds (True) or ``timeout`` seconds pass (False): a bound,
    not a measurement, for what comes as soon as it can."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def wait_until_answering(
    probe: str,
    server: subprocess.Popen[bytes],
    log: Path,
    expect: bytes = b"",
    timeout: float = 30,
) -> None:
    """Waits until a GET of ``probe`` answers 200 with ``expect`` in its body. Raises
    :class:`PortTaken` if the server exited on a port it could not bind (its ``log`` says
    so); fails the test if it exited otherwise or did not answer within ``timeout`` s."""

    def answering() -> bool:
        if server.poll() is not None:
            output = log.read_text(errors="replace")
            if _BIND_FAILED.search(output):
                raise PortTaken(output)
            pytest.fail(f"the server of {probe} exited with {server.returncode}: {output}")
        try:
            with _NO_PROXY.open(probe, timeout=5) as response:
                return response.status == 200 and expect in response.read()
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            return False

    if not wait_for(answering, timeout):
        pytest.fail(f"{probe} did not answer within {timeout:g} s: {log.read_text()}")


def stop(server: subprocess.Popen[bytes], grace: float = 10) -> None:
    """Terminate ``server``; kill it if it is still running after ``grace`` seconds."""
    server.terminate()
    try:
        server.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait(timeout=10)


def first_line(server: subprocess.Popen[str], timeout: float = 60) -> str:
    """The first line ``server`` prints on its stdout pipe: ``kg serve`` prints its URL (the
    port it bound, for ``--port 0``) once it listens. Fails the test if it exits or stays
    silent for ``timeout`` seconds."""
    assert server.stdout is not None
    printed, _, _ = select.select([server.stdout], [], [], timeout)
    line = server.stdout.readline() if printed else ""
    if not line:
        pytest.fail(f"{server.args} printed nothing (exit status {server.poll()})")
    return line


@contextmanager
def refusing_port() -> Iterator[int]:
    """A loopback port that refuses every connection while the block runs: a socket holds it
    bound and never listens (Linux answers a connection to it with a reset), and without
    SO_REUSEADDR no other socket can bind it meanwhile. Unlike port 9 or a port just
    released, nothing can be listening there."""
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        yield int(holder.getsockname()[1])


@pytest.fixture
def dead_endpoint() -> Iterator[str]:
    """``http://127.0.0.1:PORT`` where connections are refused for the whole test."""
    with refusing_port() as port:
        yield f"http://127.0.0.1:{port}"


def start_oxigraph(command: str, location: Path, port: int, log: Path) -> subprocess.Popen[bytes]:
    """``oxigraph COMMAND`` (``serve`` or ``serve-read-only``) of the store at ``location`` on
    127.0.0.1:``port``, its output in ``log``, once it answers. Raises :class:`PortTaken`
    if the port is taken: pass this to :func:`start_on_free_ports`."""
    bind = f"127.0.0.1:{port}"
    with log.open("wb") as output:
        server = subprocess.Popen(
            [str(oxigraph_binary()), command, "--location", str(location), "--bind", bind],
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    probe = f"http://{bind}/query?" + urllib.parse.urlencode({"query": "ASK {}"})
    try:
        wait_until_answering(probe, server, log, expect=b"true")
    except BaseException:
        stop(server)
        raise
    return server


@contextmanager
def read_only_oxigraph(data: Sequence[Path], folder: Path) -> Iterator[str]:
    """A read-only ``oxigraph serve`` on loopback holding ``data``; yields its query URL."""
    location = folder / "store"
    for path in data:
        subprocess.run(
            [str(oxigraph_binary()), "load", "--location", str(location), "--file", str(path)],
            check=True,
            capture_output=True,
            timeout=60,
        )

    def start(ports: tuple[int, ...]) -> tuple[subprocess.Popen[bytes], int]:
        port = ports[0]
        return start_oxigraph("serve-read-only", location, port, folder / "server.log"), port

    server, port = start_on_free_ports(start)
    try:
        yield f"http://127.0.0.1:{port}/query"
    finally:
        stop(server)


@pytest.fixture(scope="session")
def oxigraph_endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``http://127.0.0.1:PORT/query`` of a read-only Oxigraph server holding example.ttl."""
    with read_only_oxigraph([EXAMPLE_GRAPH], tmp_path_factory.mktemp("oxigraph")) as endpoint:
        yield endpoint


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
