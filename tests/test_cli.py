"""The kg command: exit codes, messages, and nothing written on failure."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from rdflib import Graph, URIRef

from kg.cli import main
from kg.resources import sample_list
from kg.sources.bibtex import read_bibtex

GOOD = "Peyrard, Maxime\nA Title\nPeyrard, Maxime, West, Robert\nAn abstract.\n"


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run the real ``kg`` command in a subprocess, as a user would."""
    return subprocess.run(
        [sys.executable, "-m", "kg", *args], capture_output=True, text=True, cwd=cwd, check=False
    )


def test_build_without_inputs_uses_the_sample(tmp_path: Path) -> None:
    result = run("build", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "10 papers, 46 persons from 1 list(s)" in result.stdout
    assert sorted(p.name for p in (tmp_path / "exports").iterdir()) == [
        ".kg-cache",  # what the next build may reuse
        "graph.jsonld",
        "graph.nt",
        "graph.ttl",
    ]
    # The EuroBERT abstract stops mid-sentence: a warning, not a failure.
    assert "Warning" in result.stderr and "eurobert" in result.stderr


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"Peyrard, Maxime\nT\xe9tre\nPeyrard, Maxime\nA.\n", "bad.txt:2: not valid UTF-8"),
        (b"Peyrard, Maxime\nA Title\nPeyrard, Maxime, West\nA.\n", "bad.txt:3: expected"),
        (b"Peyrard, Maxime\nA\x00B\nPeyrard, Maxime\nA.\n", "bad.txt:2: control character"),
    ],
)
def test_bad_input_exits_2_with_file_and_line_and_writes_nothing(
    tmp_path: Path, content: bytes, expected: str
) -> None:
    bad = tmp_path / "bad.txt"
    bad.write_bytes(content)
    (tmp_path / "good.txt").write_text(GOOD, encoding="utf-8")
    result = run("build", str(tmp_path), "-o", str(tmp_path / "out"), cwd=tmp_path)
    assert result.returncode == 2
    assert expected in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "out").exists()


def test_failed_build_keeps_previous_exports(tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert run("build", "-o", str(out), cwd=tmp_path).returncode == 0
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    assert out / ".kg-cache" / "validation.sqlite" in before
    bad = tmp_path / "bad.txt"
    bad.write_text("Peyrard, Maxime\nA Title\n", encoding="utf-8")
    failed = run("build", str(bad), "-o", str(out), cwd=tmp_path)
    assert (failed.returncode, failed.stdout, failed.stderr) == (
        2,
        "",
        "kg: error: bad.txt:2: the paper block starting here ('A Title') is cut short: "
        "expected an author line after the title\n",
    )
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.txt", "out"]


def test_missing_input_and_bad_base_iri_exit_2(tmp_path: Path) -> None:
    missing = run("build", "nowhere.txt", cwd=tmp_path)
    assert missing.returncode == 2 and "nowhere.txt: no such file or folder" in missing.stderr
    bad_iri = run("build", "--base-iri", "not an iri", cwd=tmp_path)
    assert (bad_iri.returncode, bad_iri.stderr) == (
        2,
        "kg: error: base IRI 'not an iri' must be an absolute http(s) IRI ending with '/', "
        "without query, fragment or spaces\n",
    )
    assert not (tmp_path / "exports").exists()


def test_base_iri_from_option_and_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    runner = CliRunner()
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(main, ["build", "--base-iri", "https://lab.example/kg/"])
    assert result.exit_code == 0, result.output
    graph = (tmp_path / "exports/graph.nt").read_text(encoding="utf-8")
    assert "<https://lab.example/kg/person/maxime-peyrard>" in graph
    (tmp_path / "kg.toml").write_text(
        'base_iri = "https://config.example/"\noutput = "out"\n', encoding="utf-8"
    )
    result = runner.invoke(main, ["build"])
    assert result.exit_code == 0, result.output
    assert "<https://config.example/paper/" in (tmp_path / "out/graph.nt").read_text(
        encoding="utf-8"
    )
    (tmp_path / "kg.toml").write_text('base_iri = "x"\ncolour = 1\n', encoding="utf-8")
    result = runner.invoke(main, ["build"])
    assert result.exit_code == 2 and "unknown setting(s) colour" in result.output


LAB_RULES = """@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix schema: <http://schema.org/> .
<https://lab.example/shapes#EveryPaperHasAnAbstract> a sh:NodeShape ;
    sh:targetClass schema:ScholarlyArticle ;
    sh:property [ sh:path schema:abstract ; sh:minCount 1 ;
                  sh:message "lab rule: every paper needs an abstract" ] .
"""


LAB_RULE_REPORT = (
    "Violation <https://example.org/kg/paper/no-abstract-here>: lab rule: every paper needs an "
    "abstract [schema:abstract]\n"
    "1 violation, 0 warnings\n"
)


def test_build_refuses_violations_with_exit_1_and_writes_nothing(tmp_path: Path) -> None:
    rules = tmp_path / "lab-rules.ttl"
    rules.write_text(LAB_RULES, encoding="utf-8")
    listing = tmp_path / "lab.txt"
    listing.write_text(
        "Peyrard, Maxime\nNo Abstract Here\nPeyrard, Maxime\n\nWith One\nPeyrard, Maxime\nYes.\n",
        encoding="utf-8",
    )
    out = tmp_path / "out"
    result = run("build", str(listing), "-o", str(out), "--shapes", str(rules), cwd=tmp_path)
    assert (result.returncode, result.stdout, result.stderr) == (1, "", LAB_RULE_REPORT)
    assert not out.exists()
    # The same rule named relative to the current folder, from kg.toml, and from both at
    # once (one file, read once): the same report, so the user's shape ran each time.
    (tmp_path / "kg.toml").write_text('shapes = ["lab-rules.ttl"]\n', encoding="utf-8")
    for shapes in ([], ["--shapes", "lab-rules.ttl"], ["--shapes", str(rules)]):
        from_config = run("build", str(listing), "-o", str(out), *shapes, cwd=tmp_path)
        assert (from_config.returncode, from_config.stdout, from_config.stderr) == (
            1,
            "",
            LAB_RULE_REPORT,
        ), shapes
        assert not out.exists()
    (tmp_path / "kg.toml").unlink()
    relative = run("build", str(listing), "-o", str(out), "--shapes", "lab-rules.ttl", cwd=tmp_path)
    assert (relative.returncode, relative.stderr) == (1, LAB_RULE_REPORT)
    assert run("build", str(listing), "-o", str(out), cwd=tmp_path).returncode == 0
    validated = run("validate", str(out / "graph.ttl"), "--shapes", str(rules), cwd=tmp_path)
    assert validated.returncode == 1 and "every paper needs an abstract" in validated.stdout


def test_unreadable_extra_shapes_exit_2(tmp_path: Path) -> None:
    result = run("build", "--shapes", str(tmp_path / "missing.ttl"), cwd=tmp_path)
    assert (result.returncode, result.stdout, result.stderr) == (
        2,
        "",
        f"kg: error: {tmp_path / 'missing.ttl'}: cannot read SHACL shapes: No such file or "
        "directory\n",
    )
    assert not (tmp_path / "exports").exists()


def test_validate_exit_codes(tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert run("build", "-o", str(out), cwd=tmp_path).returncode == 0
    for name in ("graph.ttl", "graph.jsonld", "graph.nt"):
        ok = run("validate", str(out / name))
        assert ok.returncode == 0, ok.stdout + ok.stderr
        assert "0 violations, 1 warning" in ok.stdout
    broken = tmp_path / "broken.ttl"
    text = (out / "graph.nt").read_text(encoding="utf-8")
    kept = [line for line in text.splitlines() if "<http://schema.org/name>" not in line]
    broken.write_text("\n".join(kept) + "\n", encoding="utf-8")
    failed = run("validate", str(broken), "--format", "json")
    assert failed.returncode == 1
    assert json.loads(failed.stdout)["violations"] > 0
    unreadable = tmp_path / "unreadable.ttl"
    unreadable.write_text("<a> <b> .\n", encoding="utf-8")
    bad = run("validate", str(unreadable))
    assert (bad.returncode, bad.stdout, bad.stderr) == (
        2,
        "",
        "kg: error: unreadable.ttl:1: not valid Turtle: . is not a valid RDF object\n",
    )


def test_every_command_is_documented_in_readme() -> None:
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    assert isinstance(main, click.Group)
    for name in main.commands:
        assert f"kg {name}" in readme, f"`kg {name}` is not documented in README.md"


def test_installed_entry_point_exists() -> None:
    assert shutil.which("kg", path=str(Path(sys.executable).parent)) is not None
    assert sample_list().is_file()


def test_query_command_locally_and_on_a_real_endpoint(
    tmp_path: Path, oxigraph_endpoint: str, example_graph_path: Path
) -> None:
    local = run(
        "query",
        "coauthors",
        "--data",
        str(example_graph_path),
        "--param",
        "name=Maxime Peyrard",
        "--format",
        "json",
    )
    assert local.returncode == 0, local.stderr
    remote = run(
        "query",
        "coauthors",
        "--endpoint",
        oxigraph_endpoint,
        "--param",
        "name=Maxime Peyrard",
        "--format",
        "json",
    )
    assert remote.returncode == 0, remote.stderr
    assert json.loads(local.stdout) == json.loads(remote.stdout)
    names = [b["coauthorName"]["value"] for b in json.loads(local.stdout)["results"]["bindings"]]
    assert names == ["Marija Šakota", "Robert West"]


def test_query_command_errors_exit_2(
    tmp_path: Path, example_graph_path: Path, dead_endpoint: str
) -> None:
    no_build = run("query", "papers-per-author", cwd=tmp_path)
    assert no_build.returncode == 2 and "run `kg build` first" in no_build.stderr
    unknown = run("query", "no-such-query", "--data", str(example_graph_path))
    assert unknown.returncode == 2 and "coauthors" in unknown.stderr
    missing = run("query", "coauthors", "--data", str(example_graph_path))
    assert (missing.returncode, missing.stdout, missing.stderr) == (
        2,
        "",
        "kg: error: missing parameter, give it as NAME=VALUE: name (string): the person's name "
        'as "Given Family", e.g. Maxime Peyrard\n',
    )
    update = run("query", "-q", "DELETE WHERE { ?s ?p ?o }", "--data", str(example_graph_path))
    assert (update.returncode, update.stdout, update.stderr) == (2, "", REFUSED_UPDATE)
    dead = run("query", "-q", "ASK {}", "--endpoint", f"{dead_endpoint}/sparql", "--timeout", "2")
    assert dead.returncode == 2 and f"{dead_endpoint}/sparql refused the connection" in dead.stderr
    for result in (no_build, unknown, missing, update, dead):
        assert "Traceback" not in result.stderr


REFUSED_UPDATE = (
    "kg: error: updates (INSERT, DELETE, LOAD, CLEAR, DROP, ...) are not allowed: "
    "kg only runs read-only queries\n"
)


UPDATES = [
    "DELETE WHERE { ?s ?p ?o }",
    "CLEAR ALL",
    "DROP DEFAULT",
    "INSERT DATA { <urn:x:a> <urn:x:b> <urn:x:c> }",
]


def test_query_refuses_updates_and_changes_nothing(tmp_path: Path) -> None:
    """On the last build's files and on its on-disk store: refused, named, and afterwards
    the store still answers with every triple and graph.nt holds the same bytes."""
    assert run("build", "--store", "store", cwd=tmp_path).returncode == 0
    graph = (tmp_path / "exports" / "graph.nt").read_bytes()
    for update in UPDATES:
        for source in ([], ["--store", "store"]):
            refused = run("query", "-q", update, *source, cwd=tmp_path)
            assert (refused.returncode, refused.stdout, refused.stderr) == (2, "", REFUSED_UPDATE)
    count = ["query", "-q", "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }", "--format", "csv"]
    for source in ([], ["--store", "store"]):
        assert run(*count, *source, cwd=tmp_path).stdout.splitlines() == ["n", "1158"]
    assert (tmp_path / "exports" / "graph.nt").read_bytes() == graph


def test_queries_lists_every_canned_query() -> None:
    result = run("queries")
    assert result.returncode == 0
    listed = [line.split()[0] for line in result.stdout.splitlines()]
    on_disk = sorted(
        p.stem for p in (Path(__file__).resolve().parent.parent / "queries").glob("*.rq")
    )
    assert listed == on_disk and len(listed) >= 8


def test_query_table_shortens_iris_under_the_base(example_graph_path: Path) -> None:
    table = run(
        "query", "coauthors", "--data", str(example_graph_path), "--param", "name=Robert West"
    )
    assert table.returncode == 0, table.stderr
    assert "person:marija-sakota" in table.stdout and "<https://" not in table.stdout


def test_build_reports_progress_by_stage(tmp_path: Path) -> None:
    from kg.iris import IriScheme
    from kg.pipeline import build

    seen: list[tuple[str, int, int | None]] = []
    golden = Path(__file__).resolve().parent / "data" / "golden" / "two-lists"
    build([golden], tmp_path, IriScheme(), progress=lambda *event: seen.append(event))
    entities = 2 + 2 + 8  # lists, papers, persons: mapped, validated and written as they stream
    assert seen == [
        ("reading", 0, 2),
        ("reading", 1, 2),
        ("reading", 2, 2),
        *(("mapping, validating, writing", done, entities) for done in range(entities + 1)),
        ("writing", 0, None),
    ]


def test_no_progress_bars_when_not_on_a_terminal(tmp_path: Path) -> None:
    result = run("build", cwd=tmp_path)
    assert result.returncode == 0
    for stage in ("reading", "mapping", "validating", "writing"):
        assert stage not in result.stderr and stage not in result.stdout


def test_construct_query_writes_rdf(example_graph_path: Path) -> None:
    construct = (
        "PREFIX schema: <http://schema.org/> "
        "CONSTRUCT { ?p schema:name ?n } WHERE { ?p a schema:Person ; schema:name ?n }"
    )
    result = run(
        "query", "-q", construct, "--data", str(example_graph_path), "--format", "ntriples"
    )
    assert result.returncode == 0, result.stderr
    graph = Graph().parse(data=result.stdout, format="nt")
    assert len(graph) == 3
    wrong = run("query", "papers-per-list", "--data", str(example_graph_path), "--format", "turtle")
    assert wrong.returncode == 2 and "unknown result format" in wrong.stderr


def test_many_warnings_are_counted_not_all_printed(tmp_path: Path) -> None:
    blocks = "".join(f"Paper {n}\nDoe, Jane\nThis abstract stops,\n" for n in range(25))
    (tmp_path / "doe.txt").write_text("Doe, Jane\n" + blocks, encoding="utf-8")
    result = run("build", "doe.txt", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stderr.count("Warning   paper") == 20
    assert "… 5 more not shown" in result.stderr and "0 violations, 25 warnings" in result.stderr
    assert "kg validate exports/graph.nt` lists every warning" in result.stderr
    full = run("validate", "exports/graph.nt", cwd=tmp_path)
    assert full.stdout.count("Warning   paper") == 25


def test_an_output_folder_that_cannot_be_made_exits_2(tmp_path: Path) -> None:
    (tmp_path / "a-file").write_text("not a folder", encoding="utf-8")
    result = run("build", "-o", str(tmp_path / "a-file" / "exports"), cwd=tmp_path)
    assert result.returncode == 2
    assert "cannot write exports" in result.stderr and "Traceback" not in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a-file"]


def test_publish_and_serve_refuse_bad_input_with_exit_2(tmp_path: Path) -> None:
    nothing_built = run("publish", cwd=tmp_path)
    assert nothing_built.returncode == 2 and "run `kg build` first" in nothing_built.stderr
    missing = run("serve", "--data", str(tmp_path / "missing.nt"), cwd=tmp_path)
    assert missing.returncode == 2 and "missing.nt" in missing.stderr
    built = run("build", cwd=tmp_path)
    assert built.returncode == 0, built.stderr
    bad_licence = run("publish", "--license", "not an iri", cwd=tmp_path)
    assert bad_licence.returncode == 2 and "license" in bad_licence.stderr
    for result in (nothing_built, missing, bad_licence):
        assert "Traceback" not in result.stderr
    assert not (tmp_path / "exports" / "site").exists()
    published = run("publish", cwd=tmp_path)
    assert published.returncode == 0, published.stderr
    assert "published 10 papers, 46 persons" in published.stdout
    assert (tmp_path / "exports" / "site" / "graph.nt").is_file()


def test_publish_settings_come_from_kg_toml(tmp_path: Path) -> None:
    (tmp_path / "kg.toml").write_text(
        "[publish]\n"
        'base_url = "https://lab.example.org/kg/"\n'
        'license = "https://creativecommons.org/licenses/by/4.0/"\n'
        'publisher = "Example Lab"\n',
        encoding="utf-8",
    )
    assert run("build", cwd=tmp_path).returncode == 0
    published = run("publish", cwd=tmp_path)
    assert published.returncode == 0, published.stderr
    void = (tmp_path / "exports" / "site" / "void.ttl").read_text(encoding="utf-8")
    assert "https://creativecommons.org/licenses/by/4.0/" in void
    assert "Example Lab" in void and "https://lab.example.org/kg/sparql" in void
    (tmp_path / "kg.toml").write_text('[publish]\nlicence = "x"\n', encoding="utf-8")
    misspelt = run("publish", cwd=tmp_path)
    assert misspelt.returncode == 2 and "unknown [publish] setting(s) licence" in misspelt.stderr


MALFORMED_BIB = Path(__file__).resolve().parent / "data" / "bibtex" / "malformed.bib"


def test_malformed_entries_exit_2_naming_each_and_write_nothing(tmp_path: Path) -> None:
    shutil.copy(MALFORMED_BIB, tmp_path / "refs.bib")
    result = run("build", "refs.bib", cwd=tmp_path)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "malformed entries (fix them, or pass --keep-going" in result.stderr
    skipped = read_bibtex(MALFORMED_BIB).skipped
    assert len(skipped) >= 3
    for entry in skipped:
        assert f"refs.bib:{entry.source.line}: {entry.reason}" in result.stderr
    assert not (tmp_path / "exports").exists()


def test_keep_going_builds_without_the_malformed_entries_and_says_which(tmp_path: Path) -> None:
    shutil.copy(MALFORMED_BIB, tmp_path / "refs.bib")
    result = run("build", "refs.bib", "--keep-going", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    bib = read_bibtex(MALFORMED_BIB)
    for entry in bib.skipped:
        assert f"skipped refs.bib:{entry.source.line}: {entry.reason}" in result.stderr
    assert f"{len(bib.papers)} papers" in result.stdout
    assert f"{len(bib.skipped)} entries skipped" in result.stdout
    graph = Graph().parse(tmp_path / "exports" / "graph.nt", format="nt")
    titles = {str(o) for o in graph.objects(None, URIRef("http://schema.org/name"))}
    assert {paper.title for paper in bib.papers} <= titles


@pytest.mark.parametrize(
    ("name", "content", "says"),
    [
        ("refs.json", '{"settings": true}', "refs.json"),
        ("refs.json", "[{]", "refs.json:1"),
        ("refs.bib", "just some text, no entries\n", "refs.bib: no entries"),
        ("refs.bib", b"@misc{a, title={Caf\xe9}, author={X}}\n", "refs.bib:1: not valid UTF-8"),
    ],
)
def test_a_file_that_is_not_bibtex_or_csl_json_exits_2(
    tmp_path: Path, name: str, content: str | bytes, says: str
) -> None:
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    result = run("build", name, "--keep-going", cwd=tmp_path)
    assert result.returncode == 2
    assert says in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "exports").exists()


# --- a new user's first hour ----------------------------------------------------------------


def test_query_needs_no_prefix_lines_and_names_an_undeclared_prefix(
    example_graph_path: Path,
) -> None:
    data = ("--data", str(example_graph_path))
    bare = run("query", "-q", "SELECT ?n WHERE { person:robert-west schema:name ?n }", *data)
    assert bare.returncode == 0, bare.stderr
    assert "Robert West" in bare.stdout and "(1 row" in bare.stdout
    typo = run("query", "-q", "SELECT ?n WHERE { ?p shema:name ?n }", *data)
    assert typo.returncode == 2
    assert typo.stderr.startswith("kg: error: SPARQL syntax error: undeclared prefix 'shema:'")
    assert "known: bibo, dcterms, foaf, kg, list, paper, person" in typo.stderr
    assert typo.stderr.count("\n") == 1 and "\\u{" not in typo.stderr


def test_query_without_prefix_lines_on_an_endpoint(oxigraph_endpoint: str) -> None:
    bare = "SELECT ?n WHERE { ?p a schema:Person ; schema:name ?n } ORDER BY ?n"
    remote = run("query", "-q", bare, "--endpoint", oxigraph_endpoint, "--format", "csv")
    assert remote.returncode == 0, remote.stderr
    assert remote.stdout.splitlines() == ["n", "Marija Šakota", "Maxime Peyrard", "Robert West"]


def test_a_misspelt_query_gets_did_you_mean(example_graph_path: Path) -> None:
    result = run("query", "coauthor", "--data", str(example_graph_path))
    assert result.returncode == 2
    assert "unknown query 'coauthor'; did you mean coauthors?" in result.stderr


def test_a_name_that_is_not_in_the_graph_is_said_with_close_names(
    example_graph_path: Path,
) -> None:
    data = ("--data", str(example_graph_path))
    nobody = run("query", "coauthors", "--param", "name=Nobody Here", *data)
    assert nobody.returncode == 0, nobody.stderr
    assert "(0 rows)" in nobody.stdout
    assert 'note: no person in the graph is named "Nobody Here"' in nobody.stderr
    assert "close names: none" in nobody.stderr
    typo = run("query", "person-papers", "--param", "name=Robert Wset", *data)
    assert typo.returncode == 0 and 'close names: "Robert West"' in typo.stderr
    found = run("query", "coauthors", "--param", "name=Robert West", *data)
    assert found.returncode == 0 and found.stderr == ""


def test_queries_shows_whole_first_sentences() -> None:
    result = run("queries")
    assert result.returncode == 0
    lines = {line.split()[0]: line for line in result.stdout.splitlines()}
    assert lines["papers-per-year"].endswith(
        "works whose sources give no date are counted in the last row, with no year."
    )
    assert lines["venues"].endswith("; most used first.")
    assert lines["coauthors"].endswith("they wrote together. --param name=…")


def test_the_catalogue_wraps_to_the_terminal_but_never_cuts() -> None:
    from kg.commands.query import catalogue_lines
    from kg.queries import list_canned_queries

    catalogue = list_canned_queries()
    whole = catalogue_lines(catalogue, None)
    wrapped = catalogue_lines(catalogue, 70)
    assert len(wrapped) > len(whole) == len(catalogue)
    assert all(len(line) <= 70 for line in wrapped)
    indent = " " * (max(len(query.name) for query in catalogue) + 2)
    assert all(line.startswith(indent) for line in wrapped if line.startswith(" "))
    assert " ".join(" ".join(wrapped).split()) == " ".join(" ".join(whole).split())


def _commands() -> list[tuple[str, click.Command]]:
    """Every command of kg, by its full name (``align wikidata``)."""
    found: list[tuple[str, click.Command]] = []
    pending: list[tuple[str, click.Command]] = [("", main)]
    while pending:
        name, command = pending.pop()
        if isinstance(command, click.Group):
            pending += [(f"{name} {sub}".strip(), cmd) for sub, cmd in command.commands.items()]
        found.append((name, command))
    return sorted(found, key=lambda item: item[0])


def _options(command: click.Command) -> list[click.Option]:
    return [
        param
        for param in command.params
        if isinstance(param, click.Option) and not param.is_flag and "--help" not in param.opts
    ]


def test_help_names_no_out_folder_a_command_lacks_and_gives_meaningful_metavars() -> None:
    for name, command in _commands():
        with click.Context(command, info_name=f"kg {name}".strip()) as ctx:
            text = command.get_help(ctx)
        metavars = {option.metavar for option in _options(command)}
        if "OUT/" in text:
            assert "OUT" in metavars, f"`kg {name} --help` names OUT/ but has no OUT option"
        for option in _options(command):
            long_name = max(option.opts, key=len)
            if isinstance(option.type, click.Choice):
                continue
            assert option.metavar is not None, f"kg {name} {long_name} has no metavar"
            takes_address = any(word in long_name for word in ("iri", "url", "endpoint"))
            takes_address |= (option.help or "").startswith(("IRI", "URL"))
            if takes_address:
                assert option.metavar in ("IRI", "URL"), f"kg {name} {long_name} {option.metavar}"
            elif option.metavar == "TEXT":
                assert long_name in ("--title",), f"kg {name} {long_name} is not free text"


def test_readme_command_table_uses_the_help_metavars() -> None:
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    table = [line for line in readme.splitlines() if line.startswith("| `kg ")]
    for name, command in _commands():
        if isinstance(command, click.Group):
            continue
        start = f"| `kg {name}"
        row = next(line for line in table if line.startswith((f"{start} ", f"{start}`")))
        for option in _options(command):
            if isinstance(option.type, click.Choice):
                assert any(opt in row for opt in option.opts), f"kg {name}: {option.opts}"
            else:
                written = [f"{opt} {option.metavar}" for opt in option.opts]
                assert any(form in row for form in written), f"kg {name}: README lacks {written}"


def test_a_missing_input_is_named_as_given(tmp_path: Path) -> None:
    missing = run("build", str(tmp_path / "nosuchdir") + "/", cwd=tmp_path)
    assert missing.returncode == 2
    assert f"kg: error: {tmp_path / 'nosuchdir'}: no such file or folder" in missing.stderr
    (tmp_path / "empty").mkdir()
    empty = run("build", "empty", cwd=tmp_path)
    assert empty.returncode == 2 and "found in empty" in empty.stderr
    assert not (tmp_path / "exports").exists()


def test_build_notes_names_in_given_family_order(tmp_path: Path) -> None:
    (tmp_path / "doe.txt").write_text(
        "Doe, Jane\nFirst\nJane Doe, John Smith\nAn abstract.\n\n"
        "Second\nJane, Doe, Smith, John\nAn abstract.\n",
        encoding="utf-8",
    )
    result = run("build", "doe.txt", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert 'note: doe.txt:3: the names look like "Given Family"' in result.stderr
    assert 'note: doe.txt:7: the list\'s owner "Doe, Jane" appears here only as' in result.stderr
    assert "2 input note(s)" in result.stdout
    again = run("build", "doe.txt", cwd=tmp_path)  # the list now comes from the cache
    assert "1 unchanged since the last build came from the cache" in again.stdout
    assert again.stderr.count("note: doe.txt:") == 2


IMPORTS_OF_A_QUERY = """
import sys
from kg.cli import main
try:
    main(sys.argv[1:])
except SystemExit as end:
    assert not end.code, end.code
print(" ".join(sorted(name for name in sys.modules if name.startswith(("kg.", "rich")))))
"""


NOT_FOR_A_QUERY = (
    "kg.commands.build",
    "kg.pipeline",
    "kg.corpus",
    "kg.mapping",
    "kg.text",
    "kg.validation",
    "kg.serve",
    "kg.site",
    "kg.bibliography",
    "kg.wikidata",
    "kg.push",
    "rich",
)


def test_a_query_imports_neither_the_build_nor_the_server_nor_the_site(tmp_path: Path) -> None:
    """Each command's module is imported when it runs: ``kg query`` starts without the
    build, the validation engine, the server, the site, the bibliography or Wikidata."""
    assert run("build", cwd=tmp_path).returncode == 0
    done = subprocess.run(
        [sys.executable, "-c", IMPORTS_OF_A_QUERY, "query", "papers-per-year", "--format", "csv"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    *answer, imported = done.stdout.splitlines()
    modules = set(imported.split())
    assert answer == ["year,papers", ",10"]
    assert "kg.commands.query" in modules and "kg.partial_load" in modules
    for heavy in NOT_FOR_A_QUERY:
        assert heavy not in modules, heavy
