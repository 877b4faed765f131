"""A smoke run of the benchmark, so bench/ keeps working (the real run is not a test), and
its figures: every ratio it prints follows from the times it prints beside it."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from kg.aggregates import ANSWERED, BY_PERSON, RANKINGS
from kg.queries import list_canned_queries

BENCH = Path(__file__).resolve().parent.parent / "bench" / "run.py"
sys.path.insert(0, str(BENCH.parent))
from run import run_at_once, verdict  # noqa: E402


@pytest.mark.parametrize(
    ("kg_seconds", "baseline_seconds", "expected"),
    [
        (1.0, 26.4, "kg is 26.4x faster"),
        (2.0, 3.0, "kg is 1.5x faster"),
        (3.0, 2.0, "kg is 1.5x slower"),
        (10.0, 1.0, "kg is 10.0x slower"),
        (1.0, 1.0, "kg is about as fast"),
        (1.0, 1.04, "kg is about as fast"),  # shows as 1.0x: neither word
        (1.04, 1.0, "kg is about as fast"),
        (1.0, 1.06, "kg is 1.1x faster"),
        (1.06, 1.0, "kg is 1.1x slower"),
    ],
)
def test_verdict_follows_from_the_figures(
    kg_seconds: float, baseline_seconds: float, expected: str
) -> None:
    assert verdict(kg_seconds, baseline_seconds) == expected


def possible_ratio(numerator: str, denominator: str) -> tuple[float, float]:
    """The range of the true ratio of two times printed to two decimals (each may be off by
    0.005 s)."""
    top, bottom = float(numerator), float(denominator)
    assert bottom > 0.005, f"a total of {denominator} s says nothing"
    return (top - 0.005) / (bottom + 0.005), (top + 0.005) / (bottom - 0.005)


def shows(printed: str, low: float, high: float) -> bool:
    """Whether ``printed``, rounded to its last decimal, can stand for a value in [low, high]."""
    half = 0.5 * 10 ** -len(printed.split(".")[1])
    return low - half <= float(printed) <= high + half


def test_figure_checks_catch_a_wrong_ratio() -> None:
    assert shows("3.1", *possible_ratio("1.63", "0.52"))
    assert not shows("3.4", *possible_ratio("1.63", "0.52"))
    assert not shows("0.3", *possible_ratio("1.63", "0.52"))


def run_bench(*options: str) -> str:
    result = subprocess.run(
        [sys.executable, str(BENCH), *options],
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


FIGURES = (
    r"total (\d+\.\d\d)s \| CPU (\d+\.\d\d)s"
    r" \| peak (\d+) MB all processes \(largest (\d+) MB\) \| (\d+) triples"
)


def check_verdict(said: str, kg_total: str, base_total: str, out: str) -> None:
    """The verdict names the side the printed totals put kg on, by a factor they allow."""
    low, high = possible_ratio(base_total, kg_total)
    words = re.fullmatch(r"kg is (\d+\.\d)x (faster|slower)|kg is about as fast", said)
    assert words is not None, said
    if words[2] == "faster":
        assert high > 1 and shows(words[1], low, high), out
    elif words[2] == "slower":
        assert low < 1 and shows(words[1], 1 / high, 1 / low), out
    else:
        assert shows("1.0", low, high) or shows("1.0", 1 / high, 1 / low), out


def check_figures(stages: str, figures: tuple[str, ...], out: str) -> None:
    """A process's stages fit in its total; all processes' peak is at least the largest one's."""
    total, cpu, peak, largest, triples = figures
    seconds = [float(value) for value in re.findall(r" (\d+\.\d\d)s", f" {stages}")]
    assert seconds and sum(seconds) <= float(total) + 0.005 * len(seconds), out
    assert float(cpu) > 0 and int(peak) >= int(largest) > 0 and int(triples) > 0, out


def test_benchmark_smoke_run() -> None:
    """kg and the obvious script at 20 and 1,000 papers, with the canned queries on a store
    of kg's output."""
    out = run_bench("--sizes", "20", "1000", "--queries")
    corpora = re.findall(
        r"^ *(\d+) papers, \d+ lists: \1 papers; abstracts with LaTeX (\d+)% .*with a URL (\d+)%",
        out,
        re.M,
    )
    assert [size for size, _, _ in corpora] == ["20", "1000"], out
    _, latex, urls = corpora[1]
    assert 25 <= int(latex) <= 40 and 5 <= int(urls) <= 25, out  # a third; some
    kg = re.findall(rf"^ +kg: (.*) \| {FIGURES}$", out, re.M)
    base = re.findall(rf"^ +obvious script: (.*) \| {FIGURES} \| (.*)$", out, re.M)
    assert len(kg) == len(base) == 2, out
    for (kg_stages, *kg_figures), (base_stages, *base_figures, said) in zip(kg, base, strict=True):
        check_figures(kg_stages, tuple(kg_figures), out)
        check_figures(base_stages, tuple(base_figures), out)
        assert base_stages.split()[::2] == ["split", "graph", "validate", "write"], out
        check_verdict(said, kg_figures[0], base_figures[0], out)
    (growth,) = re.findall(
        r"^growth 20 -> 1000 papers: time x(\d+\.\d\d) for size x50\.00$", out, re.M
    )
    assert shows(growth, *possible_ratio(kg[1][1], kg[0][1])), out
    store_lines = [
        line.split("on the store: ")[1] for line in out.splitlines() if "on the store:" in line
    ]
    timed = [[item.rsplit(" ", 1)[0] for item in line.split(", ")] for line in store_lines]
    expected = ["(store load)", *timed_names()]
    assert timed == [expected, expected]


def timed_names() -> list[str]:
    """The canned queries as the benchmark lists them: the first pages of the rankings and
    of the answers run at build time come from the rows the store keeps."""
    ranked = {ranking.query for ranking in RANKINGS} | set(ANSWERED) | set(BY_PERSON)
    return [
        query.name + (" (kept rows)" if query.name in ranked else "")
        for query in list_canned_queries()
    ]


def test_benchmark_shards_and_kg_shapes() -> None:
    """At 20 papers: two shards at once against the whole build, and pySHACL on kg's shapes
    reported on its own line."""
    out = run_bench("--sizes", "20", "--no-baseline", "--shards", "2", "--kg-shapes-sizes", "20")
    assert "obvious script" not in out, out
    (kg_total,) = re.findall(r"^ +kg: .* \| total (\d+\.\d\d)s", out, re.M)
    ((stages, *figures, said),) = re.findall(
        rf"^ +pySHACL on kg's shapes: (.*) \| {FIGURES} \| (.*)$", out, re.M
    )
    check_figures(stages, tuple(figures), out)
    assert stages.split()[::2] == ["read+merge", "map", "validate", "export"], out
    check_verdict(said, kg_total, figures[0], out)
    ((slowest, parts, cpu, peak, whole, whole_cpu, whole_peak),) = re.findall(
        r"^ +kg build --shard I/2, all at once: slowest part (\d+\.\d\d)s \(parts (.*)\)"
        r" \| CPU (\d+\.\d\d)s \| peak (\d+) MB all processes \| kg build whole: (\d+\.\d\d)s"
        r" \| CPU (\d+\.\d\d)s \| peak (\d+) MB all processes$",
        out,
        re.M,
    )
    walls = [part.removesuffix("s") for part in parts.split(", ")]
    assert len(walls) == 2 and slowest == max(walls, key=float), out
    assert float(cpu) > 0 and float(whole) > 0 and float(whole_cpu) > 0, out
    assert int(peak) > 0 and int(whole_peak) > 0, out


def test_benchmark_with_store() -> None:
    """``--store`` builds into an on-disk store (its own stage), and the queries named run on
    that store instead of loading another (a ranking's first page from its kept rows);
    ``--incremental`` adds a list to a cached build and compares it with a clean one."""
    out = run_bench(
        "--sizes",
        "20",
        "--no-baseline",
        "--store",
        "--queries",
        "owner-coauthors",
        "coauthors",
        "--incremental",
        "--data-queries",
        "papers-per-author",
        "coauthors",
    )
    ((stages, *figures),) = re.findall(rf"^ +kg: (.*) \| {FIGURES}$", out, re.M)
    check_figures(stages, tuple(figures), out)
    names = re.findall(r"([a-z+ ]+?) \d+\.\d\ds", stages)
    assert [name.strip() for name in names] == [
        "read+merge",
        "map+validate+write",
        "finish files",
        "store",
    ], out
    (line,) = [
        line.split("on the store: ")[1] for line in out.splitlines() if "on the store" in line
    ]
    timed = [item.rsplit(" ", 1)[0] for item in line.split(", ")]
    assert timed == ["coauthors", "owner-coauthors (kept rows)"], out
    ((first, again_stages, *again, share, clean),) = re.findall(
        r"^ +one list added: without list-\d+\.txt: (\d+\.\d\d)s; with it, from that build's"
        rf" cache: (.*) \| {FIGURES} \| (\d+\.\d)% of a clean build's (\d+\.\d\d)s;"
        r" exports byte-identical$",
        out,
        re.M,
    )
    check_figures(again_stages, tuple(again), out)
    assert float(first) > 0 and re.search(r" store \d+\.\d\ds$", again_stages), out
    assert shows(share, *(100 * r for r in possible_ratio(again[0], clean))), out
    ((listed, most),) = re.findall(
        r"^ +kg query --data graph.nt \(the query itself; added\): (.*); most added:"
        r" (\d+\.\d\d)s$",
        out,
        re.M,
    )
    data = re.findall(r"([a-z-]+) (\d+\.\d\d)s \((\d+\.\d\d)s; \+(\d+\.\d\d)s\)", listed)
    assert [name for name, *_ in data] == ["coauthors", "papers-per-author"], out
    for _, wall, itself, added in data:
        assert abs(float(wall) - float(itself) - float(added)) <= 0.011, out
    assert most == max((added for *_, added in data), key=float), out


HOLD = """
import sys, time
block = b"x" * (200 * 2**20)  # written, so resident
spent = time.process_time()
while time.process_time() - spent < 0.3:
    pass
time.sleep(1.5)  # the sibling holds its block meanwhile
print(time.process_time())
"""
PARENT = """
import subprocess, sys
children = [subprocess.Popen([sys.executable, "-c", sys.argv[1]]) for _ in range(2)]
sys.exit(sum(child.wait() for child in children))
"""


def test_measurement_counts_every_process() -> None:
    """Two grandchildren holding 200 MB each at once: the peak is their sum, not the largest
    process's, and the CPU seconds include theirs."""
    measured = run_at_once([[sys.executable, "-c", PARENT, HOLD]])
    spent = [float(line) for line in measured.outputs[0].split()]
    assert len(spent) == 2
    assert 200 < measured.largest_mb < 400 < measured.peak_mb
    assert measured.cpu >= sum(spent)
    assert measured.walls == [measured.wall]


def test_obvious_shapes_catch_what_they_promise() -> None:
    """The baseline's two shapes hold a paper to one string title, at most one abstract and
    at least one author who is a schema:Person, and a person to a name and a family name."""
    from obvious import add_paper, validate
    from rdflib import RDF, Graph, Literal, URIRef
    from rdflib.namespace import SDO

    def paper(*change: str) -> bool:
        graph = Graph()
        add_paper(graph, "A title", [] if "no author" in change else [("Doe", "Jane")], "Text.")
        (subject,) = graph.subjects(RDF.type, SDO.ScholarlyArticle)
        persons = list(graph.subjects(RDF.type, SDO.Person))
        if "two titles" in change:
            graph.add((subject, SDO.name, Literal("Another title")))
        if "typed title" in change:
            graph.set((subject, SDO.name, Literal("7", datatype=URIRef("urn:x:number"))))
        if "two abstracts" in change:
            graph.add((subject, SDO.abstract, Literal("Other text.")))
        if "no family name" in change:
            graph.remove((persons[0], SDO.familyName, None))
        if "no name" in change:
            graph.remove((persons[0], SDO.name, None))
        if "author not a person" in change:
            graph.remove((persons[0], RDF.type, SDO.Person))
        conforms, _ = validate(graph)
        return conforms

    assert paper()
    for change in (
        "no author",
        "two titles",
        "typed title",
        "two abstracts",
        "no family name",
        "no name",
        "author not a person",
    ):
        assert not paper(change), change


def test_formats_benchmark_smoke_run() -> None:
    """The same works from text lists, BibTeX and CSL-JSON, at 200 papers."""
    result = subprocess.run(
        [sys.executable, str(BENCH.parent / "formats.py"), "--papers", "200"],
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr
    rows = re.findall(
        r"^ +200 papers from (.+?) *\|.* total (\d+\.\d\d)s \(x(\d+\.\d\d) of text lists\)",
        result.stdout,
        re.M,
    )
    assert [label for label, _, _ in rows] == ["text lists", "bibtex", "csl-json"], result.stdout
    for _, total, ratio in rows:
        assert shows(ratio, *possible_ratio(total, rows[0][1])), result.stdout
