"""`kg build` on corpora whose reports hold violations and warnings of several kinds: a
whole build, its shards combined as the README says, and an incremental rebuild after one
list changed report the same, at the command line.

kg's mapping never breaks the bundled shapes, so violations come from the user's shapes
(``LAB_RULES``: SHACL Core and SHACL-SPARQL, within one entity and across entities). Builds
with user shapes validate the whole graph at once (user shapes may read any of it; a shard
validates all of it too and reports on its own entities). Builds with the bundled shapes
alone validate entities in batches with their neighbours' context, and reuse the cached
outcome of unchanged entities: their reports hold the bundled warnings, of three kinds
(an abstract cut short: Core; a list owner who is not among a paper's authors: SHACL-SPARQL
across a list and its papers; a repeated author: SHACL-SPARQL within a paper). The
library-level comparisons, result by result on graphs that break every constraint, are in
``test_validation_equivalence.py``.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

LAB_RULES = '''\
@prefix foaf: <http://xmlns.com/foaf/0.1/> .
@prefix lab: <https://lab.example/shapes#> .
@prefix owl: <http://www.w3.org/2002/07/owl#> .
@prefix rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#> .
@prefix schema: <http://schema.org/> .
@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .

lab: a owl:Ontology ;
    sh:declare [ sh:prefix "schema" ; sh:namespace "http://schema.org/"^^xsd:anyURI ] .

# Core, within a paper.
lab:PaperTwoAuthors a sh:NodeShape ;
    sh:targetClass schema:ScholarlyArticle ;
    sh:property [ sh:path schema:author ; sh:minCount 2 ;
                  sh:message "lab rule: a paper needs two authors" ] .

# Core, within a person: a count of foaf:made.
lab:PersonTwoPapers a sh:NodeShape ;
    sh:targetClass schema:Person ;
    sh:property [ sh:path foaf:made ; sh:minCount 2 ; sh:severity sh:Warning ;
                  sh:message "lab rule: a person should have made two papers" ] .

# Core, across entities: a person's shape reads the abstracts of the papers they made.
lab:PersonPaperWithAbstract a sh:NodeShape ;
    sh:targetClass schema:Person ;
    sh:property [ sh:path foaf:made ;
                  sh:qualifiedValueShape [ sh:path schema:abstract ; sh:minCount 1 ] ;
                  sh:qualifiedMinCount 1 ;
                  sh:message "lab rule: a person needs a paper with an abstract" ] .

# SHACL-SPARQL, across entities: a list's shape reads the authors of its schema:hasPart.
lab:ListPapersTwoAuthors a sh:NodeShape ;
    sh:targetClass schema:Dataset ;
    sh:sparql [
        sh:message "lab rule: the list has {?value}, which has fewer than two authors" ;
        sh:prefixes lab: ;
        sh:select """
            SELECT $this ?value WHERE {
                $this schema:hasPart ?value .
                FILTER NOT EXISTS { ?value schema:author ?a, ?b . FILTER (?a != ?b) }
            }
            """ ] .

# Core, on an author list's cells (blank nodes, so no entity's IRI): no cell names Sam Solo.
lab:NotSam a sh:NodeShape ;
    sh:targetSubjectsOf rdf:first ;
    sh:property [ sh:path rdf:first ; sh:severity sh:Warning ;
                  sh:not [ sh:hasValue <https://example.org/kg/person/sam-solo> ] ;
                  sh:message "lab rule: Sam Solo is in an author list" ] .

# SHACL-SPARQL, within a paper.
lab:NoDrafts a sh:NodeShape ;
    sh:targetClass schema:ScholarlyArticle ;
    sh:severity sh:Warning ;
    sh:sparql [
        sh:message "lab rule: the title says it is a draft" ;
        sh:prefixes lab: ;
        sh:select """
            SELECT $this ?value WHERE {
                $this schema:name ?value .
                FILTER (CONTAINS(LCASE(?value), "draft"))
            }
            """ ] .
'''

PEYRARD = """\
Peyrard, Maxime
Cheap Models First
Peyrard, Maxime, West, Robert
We pick the cheapest model that

Someone Else's Paper
West, Robert, Doe, Jane
A paper Maxime did not write.

Twice The Same Name
Doe, Jane, Peyrard, Maxime, Doe, Jane
Two authors share one name.
"""
WEST = """\
West, Robert
Someone Else's Paper
West, Robert, Doe, Jane
A paper Maxime did not write.

A Draft On Graphs
West, Robert, Lee, Ann
Graphs are drafted here.
"""
WEST_CHANGED = WEST + "\nWorking Alone\nSolo, Sam\n\n"
"""The one list that changes: a paper with one author and no abstract, by a new person."""

KG = "https://example.org/kg/"
WARNINGS = (
    f"Warning   paper <{KG}paper/cheap-models-first>: abstract does not end with "
    "sentence-final punctuation (. ! ? …); it may be cut off mid-sentence "
    '[schema:abstract = "We pick the cheapest model that"]\n'
    f"Warning   paper <{KG}paper/someone-else-s-paper>: is in the list {KG}list/peyrard of "
    f"{KG}person/maxime-peyrard, who is not among its authors (schema:author)\n"
    f"Warning   paper <{KG}paper/twice-the-same-name>: {KG}person/jane-doe appears 2 times in "
    "the author list; two authors with the same name may have been merged into one person\n"
    f"Warning   paper <{KG}paper/working-alone>: is in the list {KG}list/west of "
    f"{KG}person/robert-west, who is not among its authors (schema:author)\n"
)
"""The bundled shapes' warnings on the changed corpus."""
BUNDLED_REPORT = WARNINGS + "0 violations, 4 warnings\n"
CELL = "_:b8c1fc05380ad"
"""The label of the first (only) cell of Working Alone's author list (a blank node)."""
LAB_REPORT = (
    f"Violation <{KG}list/west>: lab rule: the list has {KG}paper/working-alone, which has "
    "fewer than two authors\n"
    f"Violation <{KG}paper/working-alone>: lab rule: a paper needs two authors "
    "[schema:author]\n"
    f"Violation <{KG}person/sam-solo>: lab rule: a person needs a paper with an abstract "
    "[foaf:made]\n"
    f"Warning   {CELL}: lab rule: Sam Solo is in an author list [rdf:first = "
    f"<{KG}person/sam-solo>]\n"
    f'Warning   <{KG}paper/a-draft-on-graphs>: lab rule: the title says it is a draft ["A Draft '
    'On Graphs"]\n'
    + WARNINGS
    + f"Warning   <{KG}person/ann-lee>: lab rule: a person should have made two papers "
    "[foaf:made]\n"
    f"Warning   <{KG}person/sam-solo>: lab rule: a person should have made two papers "
    "[foaf:made]\n"
    "3 violations, 8 warnings\n"
)
"""The changed corpus with the lab's shapes: violations and warnings of every kind."""
EXPORTS = ("graph.nt", "graph.ttl", "graph.jsonld")


def kg(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """The real ``kg`` command; the timeout only guards against a hang."""
    return subprocess.run(
        [sys.executable, "-m", "kg", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        check=False,
        timeout=600,
    )


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    """tmp_path with ``lists/`` (the changed corpus) and ``lab-rules.ttl``."""
    lists = tmp_path / "lists"
    lists.mkdir()
    (lists / "peyrard.txt").write_text(PEYRARD, encoding="utf-8")
    (lists / "west.txt").write_text(WEST_CHANGED, encoding="utf-8")
    (tmp_path / "lab-rules.ttl").write_text(LAB_RULES, encoding="utf-8")
    return tmp_path


SUMMARY = re.compile(r"\d+ violations?, \d+ warnings?\n")


def result_lines(report: str) -> list[str]:
    """A text report's result lines, without the summary line it ends with."""
    *lines, last = report.splitlines(keepends=True)
    assert SUMMARY.fullmatch(last), report
    return lines


def summary(lines: list[str]) -> str:
    """The summary line a report of these result lines ends with."""
    violations = sum(line.startswith("Violation") for line in lines)
    warnings = sum(line.startswith("Warning") for line in lines)
    return (
        f"{violations} violation{'' if violations == 1 else 's'}, "
        f"{warnings} warning{'' if warnings == 1 else 's'}\n"
    )


def assert_shards_report(parts: list[subprocess.CompletedProcess[str]], whole: str) -> None:
    """The shards' reports together are ``whole``: each of its results comes from exactly
    one shard, and each shard's summary counts its own."""
    lines = [line for part in parts for line in result_lines(part.stderr)]
    assert sorted(lines) == sorted(result_lines(whole))
    for part in parts:
        assert part.stderr.endswith(summary(result_lines(part.stderr)))
    assert summary(lines) == whole.splitlines(keepends=True)[-1]


def exports(folder: Path) -> dict[str, bytes]:
    return {name: (folder / name).read_bytes() for name in EXPORTS}


def test_user_shapes_violations_whole_shards_and_incremental_agree(corpus: Path) -> None:
    """Builds with the lab's shapes fail (exit 1, nothing written) with the same report:
    whole, shard by shard, and rebuilt from the cache of a build before the change. That
    report is the one ``kg validate --shapes`` gives of the whole graph."""
    rules = ["--shapes", "lab-rules.ttl"]
    whole = kg("build", "lists", "-o", "whole", "--no-cache", *rules, cwd=corpus)
    assert (whole.returncode, whole.stdout, whole.stderr) == (1, "", LAB_REPORT)
    assert not (corpus / "whole").exists()

    # The whole graph (built without the lab's rules), validated at once with them.
    plain = kg("build", "lists", "-o", "plain", "--no-cache", cwd=corpus)
    assert (plain.returncode, plain.stderr) == (0, BUNDLED_REPORT)
    validated = kg("validate", "plain/graph.nt", *rules, cwd=corpus)
    assert (validated.returncode, validated.stdout) == (1, LAB_REPORT)

    # Shards: each reports the results about its own entities, and fails on its own
    # violations; together they are the whole report and fail as the whole build does.
    parts = [
        kg("build", "lists", "-o", f"part-{i}", "--shard", f"{i}/2", *rules, cwd=corpus)
        for i in (1, 2)
    ]
    assert all(result_lines(part.stderr) for part in parts), "both shards report something"
    assert_shards_report(parts, LAB_REPORT)
    for i, part in enumerate(parts, start=1):
        violations = any(line.startswith("Violation") for line in result_lines(part.stderr))
        assert part.returncode == (1 if violations else 0), part.stderr
        assert (corpus / f"part-{i}").exists() == (not violations)
    assert max(part.returncode for part in parts) == whole.returncode
    # The author list's cell is its paper's: reported by the paper's shard.
    (home,) = [part.stderr for part in parts if f"<{KG}paper/working-alone>: lab" in part.stderr]
    assert f"Warning   {CELL}: lab rule" in home

    # Incremental: a passing build before the change, then the changed list rebuilt with
    # its cache: the whole build's failure, and the previous exports stay.
    west = corpus / "lists" / "west.txt"
    west.write_text(WEST, encoding="utf-8")
    before = kg("build", "lists", "-o", "inc", *rules, cwd=corpus)
    assert before.returncode == 0, before.stderr
    assert "0 violations, 5 warnings\n" in before.stderr
    kept = exports(corpus / "inc")
    west.write_text(WEST_CHANGED, encoding="utf-8")
    rebuilt = kg("build", "lists", "-o", "inc", *rules, cwd=corpus)
    assert (rebuilt.returncode, rebuilt.stdout, rebuilt.stderr) == (1, "", LAB_REPORT)
    assert exports(corpus / "inc") == kept
    # The failed build left the cache as the passing one wrote it: back to that corpus,
    # every list comes from it.
    west.write_text(WEST, encoding="utf-8")
    again = kg("build", "lists", "-o", "inc", *rules, cwd=corpus)
    assert (again.returncode, again.stderr) == (0, before.stderr)
    assert "read 0 changed or new list(s); 2 unchanged since the last build" in again.stdout
    assert exports(corpus / "inc") == kept


def test_bundled_warnings_whole_shards_and_incremental_agree(corpus: Path) -> None:
    """Builds with the bundled shapes alone validate entities in batches, from the cache
    when unchanged: the whole build, the shards and the incremental rebuild report the
    warnings that whole-graph validation (``kg validate``) finds, and the merged shards and
    the rebuild are the whole build's exports. The merged graph's report files (text, JSON,
    Turtle) are the whole graph's."""
    whole = kg("build", "lists", "-o", "whole", "--no-cache", cwd=corpus)
    assert (whole.returncode, whole.stderr) == (0, BUNDLED_REPORT)
    assert whole.stdout.startswith(
        "5 papers, 5 persons from 2 list(s); 201 triples; 4 warning(s)\n"
    )
    validated = {
        fmt: kg("validate", "whole/graph.nt", "--format", fmt, cwd=corpus)
        for fmt in ("text", "json", "turtle")
    }
    assert all(result.returncode == 0 for result in validated.values())
    assert validated["text"].stdout == BUNDLED_REPORT  # batches == the whole graph
    report = json.loads(validated["json"].stdout)
    assert (report["violations"], report["warnings"], len(report["results"])) == (0, 4, 4)
    assert {r["source_shape"] for r in report["results"]} == {
        "kg:PaperAbstractEnding",
        "kg:PaperListOwnerShape",
        "kg:PaperRepeatedAuthorShape",
    }

    # Shards, merged as the README says: `cat part-*/graph.nt | LC_ALL=C sort`.
    parts = [
        kg("build", "lists", "-o", f"part-{i}", "--shard", f"{i}/2", cwd=corpus) for i in (1, 2)
    ]
    assert [part.returncode for part in parts] == [0, 0]
    assert all(result_lines(part.stderr) for part in parts), "both shards report something"
    assert_shards_report(parts, BUNDLED_REPORT)
    merged = sorted(
        line
        for i in (1, 2)
        for line in (corpus / f"part-{i}" / "graph.nt").read_bytes().splitlines(keepends=True)
    )
    (corpus / "merged.nt").write_bytes(b"".join(merged))
    assert (corpus / "merged.nt").read_bytes() == (corpus / "whole" / "graph.nt").read_bytes()
    for fmt, result in validated.items():
        of_merged = kg("validate", "merged.nt", "--format", fmt, cwd=corpus)
        assert (of_merged.returncode, of_merged.stdout) == (0, result.stdout), fmt

    # Incremental: the list changed since a build that cached every entity's outcome.
    west = corpus / "lists" / "west.txt"
    west.write_text(WEST, encoding="utf-8")
    before = kg("build", "lists", "-o", "inc", cwd=corpus)
    assert before.returncode == 0, before.stderr
    assert before.stderr == "".join(WARNINGS.splitlines(keepends=True)[:3]) + (
        "0 violations, 3 warnings\n"
    )
    west.write_text(WEST_CHANGED, encoding="utf-8")
    rebuilt = kg("build", "lists", "-o", "inc", cwd=corpus)
    assert (rebuilt.returncode, rebuilt.stderr) == (0, BUNDLED_REPORT)
    assert rebuilt.stdout.splitlines()[0] == whole.stdout.splitlines()[0]
    assert "read 1 changed or new list(s); 1 unchanged since the last build" in rebuilt.stdout
    reused = [line for line in rebuilt.stdout.splitlines() if line.startswith("validated ")]
    assert len(reused) == 1 and "unchanged since the last build kept their results" in reused[0]
    assert exports(corpus / "inc") == exports(corpus / "whole")
