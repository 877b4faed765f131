"""Benchmark: kg's build against the obvious rdflib + pyshacl pipeline, on the same corpus.

Each measured run happens in a fresh subprocess, so peak memory (max RSS) belongs to that
run alone. Prints seconds per stage, peak memory, the speed-up over the baseline measured in
this same script, and how time grows with the corpus size.

    python bench/run.py --sizes 250 500 1000
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import itertools

from corpus import write_corpus


def _timed(stages: dict[str, float], name: str, work: Callable[[], Any]) -> Any:
    """Run one stage; record its seconds, and the process's peak memory so far under
    ``name + " MB"``."""
    start = time.perf_counter()
    result = work()
    stages[name] = time.perf_counter() - start
    stages[f"{name} MB"] = _peak_mb(resource.RUSAGE_SELF)
    return result


def _peak_mb(who: int) -> float:
    """Maximum resident memory of this process (or of its largest finished child)."""
    return resource.getrusage(who).ru_maxrss / 1024


def verdict(kg_seconds: float, baseline_seconds: float) -> str:
    """kg against the baseline, in words that follow from the two times: "faster" only when
    kg took less time, "slower" when it took more, and neither when the factor shows as 1.0."""
    ratio = baseline_seconds / kg_seconds
    factor = max(ratio, 1 / ratio)
    if f"{factor:.1f}" == "1.0":
        return "kg is about as fast"
    return f"kg is {factor:.1f}x {'faster' if ratio > 1 else 'slower'}"


def run_kg(corpus: Path, out: Path) -> dict[str, float]:
    """``kg build`` itself (without a cache), timed by the stages its progress reports:
    reading, then mapping, validating and writing streamed together, then finishing the
    files."""
    from kg.mapping import IriScheme
    from kg.pipeline import build

    stages: dict[str, float] = {}
    current: list[tuple[str, float]] = []

    def close_stage() -> None:
        name, start = current.pop()
        stages[name] = time.perf_counter() - start
        stages[f"{name} MB"] = _peak_mb(resource.RUSAGE_SELF)

    def progress(stage: str, _done: int, _total: int | None) -> None:
        name = {"reading": "read+merge", "writing": "finish files"}.get(stage, "map+validate+write")
        if current and current[-1][0] == name:
            return
        if current:
            close_stage()
        current.append((name, time.perf_counter()))

    build([corpus], out, IriScheme(), progress=progress)
    close_stage()
    return stages


def time_queries(ntriples: Path, folder: Path) -> dict[str, float]:
    """Seconds to load ``ntriples`` into an on-disk store (as ``kg build --store`` does), then
    seconds per canned query on it (a person-parameter query asks about the most prolific
    author). Not part of the build's total."""
    from kg.queries import list_canned_queries, run_local
    from kg.store import open_store, write_store

    seconds: dict[str, float] = {}
    start = time.perf_counter()
    write_store(ntriples, folder / "store")
    seconds["(store load)"] = time.perf_counter() - start
    store = open_store(folder / "store")
    queries = list_canned_queries()
    by_name = {query.name: query for query in queries}
    top = run_local(by_name["papers-per-author"].text, store).rows[0]
    for query in queries:
        bindings = {param.name: top[0] for param in query.params}
        start = time.perf_counter()
        run_local(query.text, store, bindings)
        seconds[query.name] = time.perf_counter() - start
    return seconds


def run_baseline(corpus: Path, out: Path) -> dict[str, float]:
    """The obvious pipeline: the same graph validated by plain pyshacl and written by rdflib."""
    import pyshacl
    from rdflib import Graph

    from kg.graph import corpus_graph
    from kg.mapping import IriScheme
    from kg.namespaces import jsonld_context
    from kg.pipeline import load_corpus
    from kg.resources import shapes_dir

    stages: dict[str, float] = {}
    corpus_model = _timed(stages, "read+merge", lambda: load_corpus([corpus]))
    graph = _timed(stages, "map", lambda: corpus_graph(corpus_model, IriScheme()))
    shapes = Graph()
    for path in sorted(shapes_dir().glob("*.ttl")):
        shapes.parse(path, format="turtle")
    _timed(stages, "validate", lambda: pyshacl.validate(graph, shacl_graph=shapes))

    def export() -> None:
        graph.serialize(out / "graph.ttl", format="turtle")
        graph.serialize(out / "graph.jsonld", format="json-ld", context=jsonld_context())
        graph.serialize(out / "graph.nt", format="nt")

    _timed(stages, "export", export)
    return stages


def measure(pipeline: str, corpus: Path, queries: bool = False) -> dict[str, Any]:
    """Run one pipeline in a fresh interpreter and return its stage times and peak memory
    (and, with ``queries``, the canned queries' times on a store of its output)."""
    answer = subprocess.run(
        [
            sys.executable,
            __file__,
            "--measure",
            pipeline,
            str(corpus),
            *(["--queries"] if queries else []),
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    measured: dict[str, Any] = json.loads(answer.stdout.splitlines()[-1])
    return measured


def _measure_here(pipeline: str, corpus: Path, queries: bool) -> None:
    with tempfile.TemporaryDirectory() as out:
        runner = run_kg if pipeline == "kg" else run_baseline
        stages = runner(corpus, Path(out))
        peak = _peak_mb(resource.RUSAGE_SELF)
        query_seconds = time_queries(Path(out) / "graph.nt", Path(out)) if queries else {}
    seconds = {name: value for name, value in stages.items() if not name.endswith(" MB")}
    document = {
        "stages": seconds,
        "peaks": {name[: -len(" MB")]: v for name, v in stages.items() if name.endswith(" MB")},
        "total": sum(seconds.values()),
        "peak_mb": peak,
        "worker_peak_mb": _peak_mb(resource.RUSAGE_CHILDREN),
        "queries": query_seconds,
    }
    print(json.dumps(document))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[250, 500, 1000])
    parser.add_argument("--no-baseline", action="store_true", help="Measure kg only.")
    parser.add_argument(
        "--baseline-sizes",
        type=int,
        nargs="+",
        help="Run the (slow) baseline only at these sizes; default: every size.",
    )
    parser.add_argument(
        "--queries",
        action="store_true",
        help="Also time every canned query on an on-disk store of kg's output.",
    )
    parser.add_argument(
        "--measure", nargs=2, metavar=("PIPELINE", "CORPUS"), help=argparse.SUPPRESS
    )
    args = parser.parse_args()
    if args.measure:
        _measure_here(args.measure[0], Path(args.measure[1]), args.queries)
        return

    totals: dict[int, float] = {}
    with tempfile.TemporaryDirectory() as folder:
        for size in args.sizes:
            corpus = Path(folder) / f"corpus-{size}"
            lists = write_corpus(corpus, size)
            kg = measure("kg", corpus, args.queries)
            totals[size] = kg["total"]
            stages = "  ".join(
                f"{name} {seconds:.2f}s/{kg['peaks'][name]:.0f}MB"
                for name, seconds in kg["stages"].items()
            )
            print(
                f"{size:>7} papers, {len(lists)} lists | kg: {stages} | total {kg['total']:.2f}s"
                f" | peak {kg['peak_mb']:.0f} MB"
                f" (largest worker process {kg['worker_peak_mb']:.0f} MB)"
            )
            if kg["queries"]:
                timings = ", ".join(f"{name} {sec:.2f}s" for name, sec in kg["queries"].items())
                print(f"{'':>7} on the store: {timings}")
            if not args.no_baseline and (
                args.baseline_sizes is None or size in args.baseline_sizes
            ):
                base = measure("baseline", corpus)
                print(
                    f"{'':>7} baseline (rdflib + pyshacl): total {base['total']:.2f}s"
                    f" (validate {base['stages']['validate']:.2f}s) | peak {base['peak_mb']:.0f} MB"
                    f" | {verdict(kg['total'], base['total'])}"
                )
    sizes = sorted(totals)
    for small, large in itertools.pairwise(sizes):
        growth = totals[large] / totals[small]
        print(f"growth {small} -> {large} papers: time x{growth:.2f} for size x{large / small:.2f}")


if __name__ == "__main__":
    main()
