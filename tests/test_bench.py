"""A smoke run of the benchmark, so bench/ keeps working (the real run is not a test), and
its figures: every ratio it prints follows from the times it prints beside it."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from kg.queries import list_canned_queries

BENCH = Path(__file__).resolve().parent.parent / "bench" / "run.py"
sys.path.insert(0, str(BENCH.parent))
from run import verdict  # noqa: E402


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


def test_benchmark_smoke_run() -> None:
    """kg at 20 and 1,000 papers, with the canned queries on a store of each; the slow
    baseline only at 20 (pySHACL takes minutes at 1k)."""
    result = subprocess.run(
        [
            sys.executable,
            str(BENCH),
            "--sizes",
            "20",
            "1000",
            "--baseline-sizes",
            "20",
            "--queries",
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    totals = dict(re.findall(r"^ *(\d+) papers, .* \| total (\d+\.\d\d)s \|", out, re.M))
    assert list(totals) == ["20", "1000"], out
    # The verdict names the side the printed totals put kg on, by a factor they allow.
    ((base, said),) = re.findall(
        r"baseline \(rdflib \+ pyshacl\): total (\d+\.\d\d)s .* \| (.*)$", out, re.M
    )
    low, high = possible_ratio(base, totals["20"])
    words = re.fullmatch(r"kg is (\d+\.\d)x (faster|slower)|kg is about as fast", said)
    assert words is not None, said
    if words[2] == "faster":
        assert high > 1 and shows(words[1], low, high), out
    elif words[2] == "slower":
        assert low < 1 and shows(words[1], 1 / high, 1 / low), out
    else:
        assert shows("1.0", low, high) or shows("1.0", 1 / high, 1 / low), out
    (growth,) = re.findall(
        r"^growth 20 -> 1000 papers: time x(\d+\.\d\d) for size x50\.00$", out, re.M
    )
    assert shows(growth, *possible_ratio(totals["1000"], totals["20"])), out
    store_lines = [
        line.split("on the store: ")[1] for line in out.splitlines() if "on the store:" in line
    ]
    timed = [[item.rsplit(" ", 1)[0] for item in line.split(", ")] for line in store_lines]
    expected = ["(store load)", *(query.name for query in list_canned_queries())]
    assert timed == [expected, expected]


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
