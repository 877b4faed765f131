"""Exports: three isomorphic formats, identical bytes every run, written all or nothing.

The writers work from entities, without rdflib; rdflib's own parsers and its JSON-LD
serializer are the reference they are checked against.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import pytest
from rdflib import Graph
from rdflib.compare import isomorphic

import kg.export
import kg.ntriples
from kg.batches import Entity, entities
from kg.errors import ExportError
from kg.export import EXPORT_NAMES, write_exports
from kg.graph import entities_graph
from kg.iris import IriScheme
from kg.mapping import Triple
from kg.namespaces import jsonld_context
from kg.pipeline import load_corpus

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
from corpus import write_corpus

REPO = Path(__file__).resolve().parent.parent
IRIS = IriScheme()


@pytest.fixture(scope="module")
def sample() -> list[Entity]:
    return list(entities(load_corpus([]), IRIS))


def parse(data: bytes, fmt: str) -> Graph:
    graph = Graph()
    graph.parse(data=data, format=fmt)
    return graph


FORMATS = {"graph.ttl": "turtle", "graph.nt": "nt", "graph.jsonld": "json-ld"}


def render_exports(selected: Sequence[Entity]) -> dict[str, bytes]:
    """Every export of ``selected``, as bytes."""
    with tempfile.TemporaryDirectory() as folder:
        write_exports(selected, IRIS, Path(folder))
        return {name: (Path(folder) / name).read_bytes() for name in EXPORT_NAMES}


def rendered(name: str, selected: Sequence[Entity]) -> bytes:
    return render_exports(selected)[name]


def assert_exports_hold_the_graph(selected: Sequence[Entity]) -> None:
    expected = entities_graph(selected, IRIS)
    for name, data in render_exports(selected).items():
        assert isomorphic(parse(data, FORMATS[name]), expected), name


def test_three_formats_are_isomorphic(tmp_path: Path, sample: list[Entity]) -> None:
    written = write_exports(sample, IRIS, tmp_path)
    assert sorted(p.name for p in written) == ["graph.jsonld", "graph.nt", "graph.ttl"]
    expected = entities_graph(sample, IRIS)
    for path in written:
        assert isomorphic(parse(path.read_bytes(), FORMATS[path.name]), expected), path


@pytest.mark.parametrize("seed", range(3))
def test_exports_of_random_corpora_hold_exactly_their_graph(tmp_path: Path, seed: int) -> None:
    write_corpus(tmp_path, 40, seed=seed)
    assert_exports_hold_the_graph(list(entities(load_corpus([tmp_path]), IRIS)))


def _canonical_order(value: Any) -> Any:
    """rdflib's JSON-LD with every unordered array sorted by its items' JSON text."""
    if isinstance(value, dict):
        return {
            key: (
                [_canonical_order(item) for item in inner]
                if key == "@list"
                else _canonical_order(inner)
            )
            for key, inner in value.items()
        }
    if isinstance(value, list):
        items = [_canonical_order(item) for item in value]
        return sorted(items, key=lambda item: json.dumps(item, sort_keys=True, ensure_ascii=False))
    return value


FIXTURES = Path(__file__).resolve().parent / "data"
EVERY_FORMAT = [
    path
    for path in [*FIXTURES.glob("bibtex/*.bib"), *FIXTURES.glob("csljson/*.json")]
    if not path.name.startswith("malformed")
]


def test_exports_of_every_input_format_hold_exactly_their_graph() -> None:
    """Dates, venues, identifiers and lists without an owner, in all three writers."""
    assert_exports_hold_the_graph(list(entities(load_corpus(EVERY_FORMAT), IRIS)))


@pytest.mark.parametrize("seed", [None, "formats", 0, 1])
def test_jsonld_is_what_rdflib_compacts_byte_for_byte(
    tmp_path: Path, seed: int | str | None
) -> None:
    """rdflib's JSON-LD serializer (whole graph, auto-compacted with kg's context) is the
    reference: kg's per-entity writer gives the same document, sorted the same way."""
    if seed is None:
        selected = list(entities(load_corpus([]), IRIS))
    elif seed == "formats":
        selected = list(entities(load_corpus(EVERY_FORMAT), IRIS))
    else:
        write_corpus(tmp_path, 30, seed=int(seed))
        selected = list(entities(load_corpus([tmp_path]), IRIS))
    graph = entities_graph(selected, IRIS)
    context = jsonld_context()
    reference = json.loads(graph.serialize(format="json-ld", context=context, auto_compact=True))
    expected = {"@context": context, "@graph": _canonical_order(reference["@graph"])}
    text = json.dumps(expected, ensure_ascii=False, indent=2, sort_keys=True) + "\n"
    assert rendered("graph.jsonld", selected).decode("utf-8") == text


EX = "http://example.org/"


def odd_entity() -> Entity:
    """Triples the mapping never makes, but a writer must still get right."""
    xsd = "http://www.w3.org/2001/XMLSchema#"
    rdf = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
    schema = "http://schema.org/"

    def iri(text: str) -> ox.NamedNode:
        return ox.NamedNode(text)

    def typed(text: str, datatype: str) -> ox.Literal:
        return ox.Literal(text, datatype=iri(f"{xsd}{datatype}"))

    subject = iri(f"{EX}thing")
    cell, loose = ox.BlankNode("cell-1"), ox.BlankNode("loose")
    triples: list[Triple] = [
        (subject, iri(f"{rdf}type"), iri(f"{schema}Thing")),
        (subject, iri(f"{rdf}type"), iri(f"{EX}Other")),
        (subject, iri(f"{schema}name"), ox.Literal('quote " back \\ slash\nline')),
        (subject, iri(f"{schema}name"), ox.Literal("chat", language="fr")),
        (subject, iri(f"{schema}position"), typed("seven", "integer")),
        (subject, iri(f"{schema}position"), typed("7", "integer")),
        (subject, iri(f"{schema}big"), typed(str(10**30), "integer")),
        (subject, iri(f"{schema}size"), typed("1.5", "decimal")),
        (subject, iri(f"{schema}foaf"), ox.Literal("a term, not a prefix")),
        (subject, iri(f"{schema}a:b"), ox.Literal("a colon in the name")),
        (subject, iri(f"{EX}p"), iri(f"{schema}Person")),
        (subject, iri(f"{EX}list"), cell),
        (cell, iri(f"{rdf}first"), ox.Literal("shared")),
        (cell, iri(f"{rdf}rest"), iri(f"{rdf}nil")),
        (subject, iri(f"{EX}again"), cell),  # pointed at twice: not an @list
        (subject, iri(f"{EX}empty"), iri(f"{rdf}nil")),
        (subject, iri(f"{EX}blank"), loose),
        (loose, iri(f"{schema}name"), ox.Literal("a blank node")),
    ]
    return Entity(subject.value, (subject.value,), triples, [])


def test_exports_hold_odd_triples_exactly() -> None:
    assert_exports_hold_the_graph([odd_entity()])


def test_jsonld_layout_is_one_json_dump(sample: list[Entity]) -> None:
    for selected in ([], sample, [odd_entity()]):
        text = rendered("graph.jsonld", selected).decode("utf-8")
        document = json.loads(text)
        assert text == json.dumps(document, ensure_ascii=False, indent=2, sort_keys=True) + "\n"
        ids = [node["@id"] for node in document["@graph"]]
        assert ids == sorted(ids, key=json.dumps) and len(ids) == len(set(ids))


def test_ntriples_lines_are_sorted_and_unique(sample: list[Entity]) -> None:
    lines = rendered("graph.nt", sample).decode("utf-8").splitlines()
    assert lines == sorted(set(lines)) and len(lines) == len(entities_graph(sample, IRIS))


def test_a_url_cited_twice_is_one_triple(tmp_path: Path) -> None:
    listing = tmp_path / "west.txt"
    listing.write_text(
        "West, Robert\nA title\nWest, Robert\n"
        "See https://example.org/code. Again: https://example.org/code.\n",
        encoding="utf-8",
    )
    selected = list(entities(load_corpus([listing]), IRIS))
    lines = rendered("graph.nt", selected).decode("utf-8").splitlines()
    assert sum("rdf-schema#seeAlso> <https://example.org/code>" in line for line in lines) == 1
    assert lines == sorted(set(lines))


def test_jsonld_has_inline_context_and_author_lists(sample: list[Entity]) -> None:
    document = json.loads(rendered("graph.jsonld", sample))
    assert document["@context"]["@vocab"] == "http://schema.org/"
    papers = [
        node
        for node in document["@graph"]
        if node.get("@type") == ["ScholarlyArticle", "bibo:Document"]
    ]
    assert len(papers) == 10
    eurobert = next(p for p in papers if p["name"].startswith("EuroBERT"))
    authors = eurobert["bibo:authorList"]["@list"]
    assert authors[0]["@id"].endswith("/person/nicolas-boizard")
    assert authors[-1]["@id"].endswith("/person/pierre-colombo")
    assert len(authors) == 19


def _build_in_subprocess(out_dir: Path, seed: str) -> dict[str, bytes]:
    env = {**os.environ, "PYTHONHASHSEED": seed}
    subprocess.run(
        [sys.executable, "-m", "kg", "build", "-o", str(out_dir)],
        check=True,
        env=env,
        cwd=out_dir.parent,
        capture_output=True,
    )
    return {name: (out_dir / name).read_bytes() for name in EXPORT_NAMES}


def test_bytes_identical_across_runs_and_hash_seeds(tmp_path: Path) -> None:
    runs = [_build_in_subprocess(tmp_path / f"run{seed}", seed) for seed in ("0", "1", "4242")]
    assert runs[0] == runs[1] == runs[2]


def test_repository_exports_are_up_to_date(tmp_path: Path) -> None:
    """exports/ holds the sample's exports; a change to the mapping must rebuild them."""
    fresh = _build_in_subprocess(tmp_path / "fresh", "0")
    for name, data in fresh.items():
        committed = (REPO / "exports" / name).read_bytes()
        assert committed == data, f"exports/{name} is stale: run `kg build` and commit it"


def test_failure_while_serializing_leaves_previous_exports(
    tmp_path: Path, sample: list[Entity], monkeypatch: pytest.MonkeyPatch
) -> None:
    write_exports(sample, IRIS, tmp_path)
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}

    written = []

    def broken(self: kg.export.JsonLdWriter, entity: Entity) -> None:
        if len(written) == 3:
            raise RuntimeError("serializer crashed")
        written.append(entity)

    monkeypatch.setattr(kg.export.JsonLdWriter, "add", broken)
    with pytest.raises(RuntimeError):
        write_exports(sample, IRIS, tmp_path)
    assert len(written) == 3  # it failed half-way, with the files begun
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before  # no temporary left


def test_failure_leaves_no_folder_it_made(tmp_path: Path, sample: list[Entity]) -> None:
    target = tmp_path / "new" / "exports"
    with pytest.raises(RuntimeError), kg.export.ExportFiles(target, IRIS) as files:
        files.add(sample[0])
        raise RuntimeError("violations found")
    assert list(tmp_path.iterdir()) == []


def test_large_graphs_are_sorted_through_run_files(
    tmp_path: Path, sample: list[Entity], monkeypatch: pytest.MonkeyPatch
) -> None:
    in_memory = rendered("graph.nt", sample)
    monkeypatch.setattr(kg.ntriples, "LINES_IN_MEMORY", 100)
    out = tmp_path / "out"
    with kg.export.ExportFiles(out, IRIS) as files:
        for entity in sample:
            files.add(entity)
        runs = list(out.glob(".kg-staging/*/*.run"))  # in the build's staging folder
        written = files.commit()
    assert len(runs) > 5  # 1148 lines in runs of 100
    assert (out / "graph.nt").read_bytes() == in_memory
    assert sorted(p.name for p in out.iterdir()) == sorted(p.name for p in written)


def test_failure_while_renaming_rolls_back(tmp_path: Path, sample: list[Entity]) -> None:
    write_exports(sample[:5], IRIS, tmp_path)
    before = {name: (tmp_path / name).read_bytes() for name in ("graph.ttl", "graph.jsonld")}
    (tmp_path / "graph.nt").unlink()
    (tmp_path / "graph.nt").mkdir()  # a folder where a file must go: the last move fails
    with pytest.raises(ExportError):
        write_exports(sample, IRIS, tmp_path)
    assert {name: (tmp_path / name).read_bytes() for name in before} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["graph.jsonld", "graph.nt", "graph.ttl"]


def test_bytes_identical_whatever_the_argument_order(tmp_path: Path) -> None:
    golden = REPO / "tests" / "data" / "golden" / "two-lists"
    lists = [golden / "peyrard.txt", golden / "west.txt"]
    outputs = []
    for order, args in enumerate([lists, list(reversed(lists)), [golden]]):
        out = tmp_path / f"out{order}"
        subprocess.run(
            [sys.executable, "-m", "kg", "build", *map(str, args), "-o", str(out)],
            check=True,
            capture_output=True,
        )
        outputs.append({name: (out / name).read_bytes() for name in EXPORT_NAMES})
    assert outputs[0] == outputs[1] == outputs[2]


def test_turtle_keeps_each_paper_with_its_cells_and_authorships_in_order(
    sample: list[Entity],
) -> None:
    text = rendered("graph.ttl", sample).decode("utf-8")
    blocks = [block.split(" ", 1)[0] for block in text.split("\n\n")[1:]]
    assert blocks[0] == "list:peyrard"
    papers = [b for b in blocks if b.startswith("paper:") and "#" not in b]
    assert len(papers) == 10 and papers == sorted(papers)
    for paper in papers:
        following = blocks[blocks.index(paper) + 1 :]
        slug = paper.removeprefix("paper:")
        cells = [b for b in following if b.startswith(f"_:authors-{slug}-")]
        authorships = [b for b in following if b.startswith(f"<{IRIS.base}paper/{slug}#author-")]
        assert following[: len(cells)] == cells, paper
        assert following[len(cells) : len(cells) + len(authorships)] == authorships, paper
        numbers = [int(b.rsplit("-", 1)[1].removesuffix(">")) for b in authorships]
        assert (
            numbers == list(range(1, len(cells) + 1)) == [int(c.rsplit("-", 1)[1]) for c in cells]
        )
    eurobert = text[text.index("\n\npaper:eurobert") :]
    start = eurobert.index("schema:author ")
    authors = eurobert[start : eurobert.index(" ;", start)]
    assert (
        authors.index("nicolas-boizard")
        < authors.index("maxime-peyrard")
        < authors.index("pierre-colombo")
    )
    persons = [b for b in blocks if b.startswith("person:")]
    assert persons == sorted(persons) and blocks.index(persons[0]) > blocks.index(papers[-1])


def test_turtle_writes_iris_that_need_escapes_in_full(sample: list[Entity]) -> None:
    """`paper:x\\#author-1` is valid Turtle, but Virtuoso 7 keeps the backslash in the IRI:
    such names are written `<…#author-1>`; strings that look like them stay as they are."""
    paper = next(e for e in sample if e.iri.startswith(f"{IRIS.base}paper/"))
    hostile = ox.Literal("paper:x\\#author-1 and list:y\\#line-2")
    tampered = Entity(
        iri=paper.iri,
        owned=paper.owned,
        own=[
            *paper.own,
            (ox.NamedNode(paper.iri), ox.NamedNode("http://schema.org/abstract"), hostile),
        ],
        context=paper.context,
    )
    text = rendered("graph.ttl", [tampered]).decode("utf-8")
    outside_strings = re.sub(r'"(?:[^"\\\n]|\\.)*"', '""', text)
    assert "\\" not in outside_strings
    assert f"<{paper.iri}#author-1> a prov:Attribution" in text
    assert '"paper:x\\\\#author-1 and list:y\\\\#line-2"' in text
    assert isomorphic(parse(text.encode(), "turtle"), parse(rendered("graph.nt", [tampered]), "nt"))
