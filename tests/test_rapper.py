"""Every RDF file kg writes, read by an independent parser: raptor's rapper (Debian's
raptor2-utils, installed by .ci/run).

rapper reads Turtle and N-Triples; it must parse each file without a warning and find the
same triples as kg's own reading (rdflib for the exports, Oxigraph for the site's files).
JSON-LD is checked against pyld elsewhere (tests/test_publish.py, tests/test_export.py).
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pyoxigraph as ox
import pytest
from conftest import RICH_INPUTS
from rdflib import Graph
from rdflib.compare import isomorphic

from kg.iris import IriScheme
from kg.pipeline import build
from kg.queries import run_local
from kg.rdfio import load_store
from kg.results import format_result
from kg.site import publish

BASE_URL = "https://lab.example.org/kg/"
RAPPER_FORMATS = {".ttl": "turtle", ".nt": "ntriples"}


def rapper(path: Path, base: str | None = None) -> bytes:
    """``path`` as rapper reads it, written back as N-Triples; fails on any warning."""
    binary = shutil.which("rapper")
    assert binary is not None, "rapper is missing: install Debian's raptor2-utils (.ci/run does)"
    fmt = RAPPER_FORMATS[path.suffix]
    command = [binary, "-q", "-i", fmt, "-o", "ntriples", str(path)]
    if base is not None:
        command.append(base)
    done = subprocess.run(command, capture_output=True, check=False, timeout=120)
    assert done.returncode == 0 and not done.stderr, (path, done.stderr.decode())
    return done.stdout


def graph(data: bytes, fmt: str) -> Graph:
    return Graph().parse(data=data, format=fmt)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The exports of inputs in every format."""
    out = tmp_path_factory.mktemp("exports")
    build(RICH_INPUTS, out, IriScheme())
    return out


@pytest.fixture(scope="module")
def site(built: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("site")
    exports = [built / name for name in ("graph.ttl", "graph.jsonld", "graph.nt")]
    publish(load_store([built / "graph.nt"]), out, base_url=BASE_URL, dumps=exports)
    return out


@pytest.mark.parametrize("name", ["graph.ttl", "graph.nt"])
def test_rapper_reads_the_exports_as_kg_does(built: Path, name: str) -> None:
    expected = graph((built / "graph.nt").read_bytes(), "nt")
    read = graph(rapper(built / name), "nt")
    assert len(read) == len(expected) > 1000
    assert isomorphic(read, expected)


def test_rapper_reads_the_bundled_exports(tmp_path: Path) -> None:
    exports = Path(__file__).resolve().parent.parent / "exports"
    expected = graph((exports / "graph.nt").read_bytes(), "nt")
    assert isomorphic(graph(rapper(exports / "graph.ttl"), "nt"), expected)
    assert isomorphic(graph(rapper(exports / "graph.nt"), "nt"), expected)


def test_rapper_reads_every_turtle_file_of_the_site(site: Path) -> None:
    files = sorted(site.rglob("*.ttl"))
    assert len(files) > 20 and site / "void.ttl" in files
    for path in files:
        base = BASE_URL + path.relative_to(site).as_posix()
        own = ox.parse(path=str(path), format=ox.RdfFormat.TURTLE, base_iri=base)
        expected = Graph().parse(
            data=ox.serialize(own, format=ox.RdfFormat.N_TRIPLES) or b"", format="nt"
        )
        read = graph(rapper(path, base), "nt")
        assert len(read) == len(expected) > 0, path
        assert isomorphic(read, expected), path


@pytest.mark.parametrize("fmt", ["turtle", "ntriples"])
def test_rapper_reads_construct_results(built: Path, tmp_path: Path, fmt: str) -> None:
    store = load_store([built / "graph.nt"])
    result = run_local("CONSTRUCT WHERE { ?s ?p ?o }", store)
    path = tmp_path / ("answer.ttl" if fmt == "turtle" else "answer.nt")
    path.write_text(format_result(result, fmt), encoding="utf-8")
    expected = graph((built / "graph.nt").read_bytes(), "nt")
    assert isomorphic(graph(rapper(path), "nt"), expected)
