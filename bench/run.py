"""Benchmark: kg's build against the obvious rdflib + pyshacl script, on the same corpus.

Every measured run is a fresh process started by this script, which counts everything it
and its children (kg's reading and validation workers) use: wall seconds, CPU seconds (user
and system, of all of them) and peak resident memory of all of them together (their RSS
summed, sampled from /proc every 50 ms, and never below the largest single process's own
peak). Prints kg's seconds per stage, the same for the obvious script (``bench/obvious.py``,
the baseline), kg against it, and how kg's time grows with the corpus size.

    python bench/run.py --sizes 1000 10000
    python bench/run.py --sizes 10000 --shards 2        # what 2 parts on one machine buy
    python bench/run.py --sizes 1000 --kg-shapes-sizes 1000  # pySHACL on kg's own shapes
"""

from __future__ import annotations

import argparse
import filecmp
import itertools
import json
import os
import re
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from corpus import describe, write_corpus

OBVIOUS = Path(__file__).resolve().parent / "obvious.py"
SAMPLE_SECONDS = 0.05
FIRST_PAGE = 100
"""Rows of the first page the query targets time (``kg query --limit 100``)."""
PAGE_BYTES = os.sysconf("SC_PAGE_SIZE")


def verdict(kg_seconds: float, baseline_seconds: float) -> str:
    """kg against the baseline, in words that follow from the two times: "faster" only when
    kg took less time, "slower" when it took more, and neither when the factor shows as 1.0."""
    ratio = baseline_seconds / kg_seconds
    factor = max(ratio, 1 / ratio)
    if f"{factor:.1f}" == "1.0":
        return "kg is about as fast"
    return f"kg is {factor:.1f}x {'faster' if ratio > 1 else 'slower'}"


class ProcessTree:
    """The processes descending from some roots, found by their parent ids in /proc.

    A process never becomes a descendant after it is seen not to be one, so each new pid's
    parent is read once; the resident memory of the tree's members is read at every sample.
    """

    def __init__(self, roots: Sequence[int]) -> None:
        self.roots = set(roots)
        self.members = set(roots)
        self.strangers: set[int] = set()

    def resident_bytes(self) -> int:
        """The RSS of every living member, summed."""
        alive = {int(name) for name in os.listdir("/proc") if name.isdigit()}
        parents = {}
        for pid in alive - self.members - self.strangers:
            parent = _parent(pid)
            if parent is not None:
                parents[pid] = parent
        joined = True
        while joined:
            joined = False
            for pid, parent in list(parents.items()):
                if parent in self.members:
                    self.members.add(pid)
                    del parents[pid]
                    joined = True
        self.strangers = (self.strangers & alive) | set(parents)  # pids are reused once gone
        self.members = (self.members & alive) | self.roots
        return sum(_resident(pid) for pid in self.members & alive)


def _parent(pid: int) -> int | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:  # gone meanwhile
        return None
    return int(stat.rsplit(")", 1)[1].split()[1])


def _resident(pid: int) -> int:
    try:
        return int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE_BYTES
    except OSError:
        return 0


@dataclass
class Measured:
    """Processes run at once, with all they used."""

    outputs: list[str]
    walls: list[float]  # each process's seconds, from the common start to its exit
    cpu: float  # user + system seconds of the processes and all their children
    peak_mb: float  # resident memory of all of them together, at its highest
    largest_mb: float  # the largest single process's own peak

    @property
    def wall(self) -> float:
        return max(self.walls)


def run_at_once(commands: Sequence[Sequence[str]]) -> Measured:
    """Start every command (its program given by absolute path) at once and wait for all;
    exits with a command's error output if it fails. Each child's rusage (``wait4``)
    includes its own reaped children's."""
    with tempfile.TemporaryDirectory() as temporary:
        folder = Path(temporary)
        logs = [(folder / f"{n}.out", folder / f"{n}.err") for n in range(len(commands))]
        start = time.perf_counter()
        pids = [
            os.posix_spawn(
                command[0],
                list(command),
                os.environ,
                file_actions=[
                    (os.POSIX_SPAWN_OPEN, 1, str(out), os.O_WRONLY | os.O_CREAT, 0o600),
                    (os.POSIX_SPAWN_OPEN, 2, str(err), os.O_WRONLY | os.O_CREAT, 0o600),
                ],
            )
            for command, (out, err) in zip(commands, logs, strict=True)
        ]
        ends: dict[int, tuple[float, int, Any]] = {}

        def reap(pid: int) -> None:
            _, status, usage = os.wait4(pid, 0)
            ends[pid] = (time.perf_counter() - start, os.waitstatus_to_exitcode(status), usage)

        waiters = [threading.Thread(target=reap, args=(pid,)) for pid in pids]
        for waiter in waiters:
            waiter.start()
        tree = ProcessTree(pids)
        peak = 0
        while any(waiter.is_alive() for waiter in waiters):
            peak = max(peak, tree.resident_bytes())
            time.sleep(SAMPLE_SECONDS)
        for waiter in waiters:
            waiter.join()
        for command, pid, (_, err) in zip(commands, pids, logs, strict=True):
            if ends[pid][1] != 0:
                sys.exit(f"{' '.join(command)} failed:\n{err.read_text()}")
        largest = max(ends[pid][2].ru_maxrss for pid in pids) / 1024
        return Measured(
            outputs=[out.read_text() for out, _ in logs],
            walls=[ends[pid][0] for pid in pids],
            cpu=sum(ends[pid][2].ru_utime + ends[pid][2].ru_stime for pid in pids),
            peak_mb=max(peak / 2**20, largest),
            largest_mb=largest,
        )


@dataclass
class Result:
    """One pipeline's run: its process's measurements, its own stage seconds, its triples."""

    run: Measured
    stages: dict[str, float]
    triples: int
    extra: dict[str, float] = field(default_factory=dict)

    @property
    def total(self) -> float:
        """Wall seconds of the whole process, interpreter start and imports included."""
        return self.run.wall

    def figures(self) -> str:
        return (
            f"total {self.total:.2f}s | CPU {self.run.cpu:.2f}s"
            f" | peak {self.run.peak_mb:.0f} MB all processes"
            f" (largest {self.run.largest_mb:.0f} MB) | {self.triples} triples"
        )


def _triples(out: Path) -> int:
    with (out / "graph.nt").open("rb") as lines:
        return sum(1 for _ in lines)


def measure_kg(corpus: Path, out: Path, store: bool = False, cached: bool = False) -> Result:
    """kg's build in a fresh process, timed by its own progress stages: with ``store``, also
    into ``out/store`` as ``kg build --store`` does; with ``cached``, also with ``--store``
    and keeping (and using) the cache ``kg build`` keeps by default, else without a cache."""
    pipeline = "kg-cached" if cached else "kg-store" if store else "kg"
    run = run_at_once([[sys.executable, __file__, "--measure", pipeline, str(corpus), str(out)]])
    return Result(run, json.loads(run.outputs[0]), _triples(out))


def measure_obvious(corpus: Path, out: Path) -> Result:
    """The baseline: ``bench/obvious.py`` run as a user would run it."""
    run = run_at_once([[sys.executable, str(OBVIOUS), str(corpus), "-o", str(out)]])
    stages = {
        step: float(seconds)
        for step, seconds in re.findall(r"^(\w+) +(\d+\.\d+) s", run.outputs[0], re.M)
    }
    return Result(run, stages, _triples(out))


def measure_kg_shapes(corpus: Path, out: Path) -> Result:
    """kg's own graph validated by plain pySHACL on kg's shapes and written by rdflib."""
    run = run_at_once([[sys.executable, __file__, "--measure", "kg-shapes", str(corpus), str(out)]])
    return Result(run, json.loads(run.outputs[0]), _triples(out))


def measure_queries(out: Path, names: Sequence[str]) -> dict[str, float]:
    """:func:`time_queries` in a fresh process (the query names travel, comma-separated or
    ``*`` for all, in the place of the corpus, which querying does not read)."""
    command = [sys.executable, __file__, "--measure", "queries", ",".join(names) or "*", str(out)]
    run = run_at_once([command])
    seconds: dict[str, float] = json.loads(run.outputs[0])
    return seconds


def measure_data_queries(corpus: Path, folder: Path, names: Sequence[str]) -> str:
    """The ``kg query --data`` target: ``kg build`` as a user runs it (keeping the cache it
    keeps by default), then each canned query (those named, or all) as its own ``kg query
    NAME --data graph.nt`` process, first page or most prolific author as in
    :func:`time_queries`; against the query's own seconds on the whole graph loaded in
    memory (each query timed in one process of its own that loads it once)."""
    out = folder / "data"
    run_at_once([[sys.executable, "-m", "kg", "build", str(corpus), "-o", str(out)]])
    command = [sys.executable, __file__, "--measure", "data-queries", ",".join(names) or "*"]
    own: dict[str, Any] = json.loads(run_at_once([[*command, str(out)]]).outputs[0])
    timed = []
    for name, (seconds, params) in own["queries"].items():
        asked = [f"--param={param}={own['top']}" for param in params] or ["--limit=100"]
        query = [sys.executable, "-m", "kg", "query", name, "--data", str(out / "graph.nt")]
        wall = run_at_once([[*query, *asked]]).wall
        added = wall - seconds
        timed.append((added, f"{name} {wall:.2f}s ({seconds:.2f}s; +{added:.2f}s)"))
    return f"{', '.join(text for _, text in timed)}; most added: {max(timed)[0]:.2f}s"


def measure_incremental(corpus: Path, folder: Path) -> str:
    """The incremental target: the corpus without its last list built with ``--store`` and
    the cache, then that list added and built again into the same folder, against a clean
    build of the whole corpus (``--store``, no cache): both times, their ratio, and whether
    the exports are byte-identical."""
    lists = sorted(corpus.glob("*.txt"))
    added = lists[-1]
    growing = folder / "growing"
    growing.mkdir()
    for path in lists[:-1]:
        os.link(path, growing / path.name)
    out = folder / "incremental"
    first = measure_kg(growing, out, cached=True)
    os.link(added, growing / added.name)
    again = measure_kg(growing, out, cached=True)
    clean = measure_kg(corpus, folder / "clean", store=True)
    from kg.export import EXPORT_NAMES

    same = all(
        filecmp.cmp(out / name, folder / "clean" / name, shallow=False) for name in EXPORT_NAMES
    )
    return (
        f"without {added.name}: {first.total:.2f}s; with it, from that build's cache:"
        f" {_stages(again)} | {again.figures()} | {again.total / clean.total:.1%} of a clean"
        f" build's {clean.total:.2f}s; exports {'byte-identical' if same else 'DIFFERENT'}"
    )


def measure_shards(corpus: Path, parts: int, folder: Path) -> Measured:
    """``kg build --shard I/N`` for every part, as N processes at once on this machine (one
    part: the whole build by the same command)."""
    return run_at_once(
        [
            [sys.executable, "-m", "kg", "build", str(corpus), "--no-cache",
             "-o", str(folder / f"part-{part}"), *(["--shard", f"{part}/{parts}"] * (parts > 1))]
            for part in range(1, parts + 1)
        ]
    )  # fmt: skip


def run_kg(corpus: Path, out: Path, store: bool = False, cached: bool = False) -> dict[str, float]:
    """``kg build`` itself, timed by the stages its progress reports: reading, then mapping,
    validating and writing streamed together, then finishing the files, then (with
    ``store``) loading the on-disk store ``out/store``. Without a cache unless ``cached``
    (then ``out/.kg-cache``, where ``kg build`` keeps it)."""
    from kg.iris import IriScheme
    from kg.pipeline import build

    stages: dict[str, float] = {}
    current: list[tuple[str, float]] = []

    def close_stage() -> None:
        name, start = current.pop()
        stages[name] = time.perf_counter() - start

    def progress(stage: str, _done: int, _total: int | None) -> None:
        name = {"reading": "read+merge", "writing": "finish files", "storing": "store"}.get(
            stage, "map+validate+write"
        )
        if current and current[-1][0] == name:
            return
        if current:
            close_stage()
        current.append((name, time.perf_counter()))

    build(
        [corpus],
        out,
        IriScheme(),
        progress=progress,
        store=out / "store" if store else None,
        cache_dir=out / ".kg-cache" if cached else None,
    )
    close_stage()
    return stages


def run_kg_shapes(corpus: Path, out: Path) -> dict[str, float]:
    """kg's graph validated by plain pyshacl on kg's shapes, written by rdflib: what kg's
    own checks would cost with the general engine."""
    import pyshacl
    from rdflib import Graph

    from kg.graph import corpus_graph
    from kg.iris import IriScheme
    from kg.namespaces import jsonld_context
    from kg.pipeline import load_corpus
    from kg.resources import shapes_dir

    stages: dict[str, float] = {}

    def timed(name: str, work: Callable[[], Any]) -> Any:
        start = time.perf_counter()
        result = work()
        stages[name] = time.perf_counter() - start
        return result

    corpus_model = timed("read+merge", lambda: load_corpus([corpus]))
    graph = timed("map", lambda: corpus_graph(corpus_model, IriScheme()))
    shapes = Graph()
    for path in sorted(shapes_dir().glob("*.ttl")):
        shapes.parse(path, format="turtle")
    timed("validate", lambda: pyshacl.validate(graph, shacl_graph=shapes))

    def export() -> None:
        out.mkdir(parents=True, exist_ok=True)
        graph.serialize(out / "graph.ttl", format="turtle")
        graph.serialize(out / "graph.jsonld", format="json-ld", context=jsonld_context())
        graph.serialize(out / "graph.nt", format="nt", encoding="utf-8")

    timed("export", export)
    return stages


def time_queries(out: Path, names: Sequence[str] = ()) -> dict[str, float]:
    """Seconds to load ``out/graph.nt`` into an on-disk store (as ``kg build --store``
    does; not again when the build made one), then seconds per canned query on it, as the
    targets ask: a query with a person parameter asks about the most prolific author, the
    others answer their first page (``--limit 100``), from the rows the store keeps when it
    keeps them, as ``kg query --store`` does (marked "kept rows"). Not part of the build's
    total. ``names`` limits the queries timed (default: all)."""
    from kg.aggregates import kept_page
    from kg.queries import list_canned_queries, page_query, run_local
    from kg.store import open_store, write_store

    seconds: dict[str, float] = {}
    if not (out / "store").exists():  # built without --store
        start = time.perf_counter()
        write_store(out / "graph.nt", out / "store")
        seconds["(store load)"] = time.perf_counter() - start
    store = open_store(out / "store")
    queries = list_canned_queries()
    by_name = {query.name: query for query in queries}
    ranking = by_name["papers-per-author"].text
    top = (kept_page(store, ranking, 1, None) or run_local(page_query(ranking, 1), store)).rows[0]
    for query in queries:
        if names and query.name not in names:
            continue
        bindings = {param.name: top[0] for param in query.params}
        text = query.text if query.params else page_query(query.text, FIRST_PAGE)
        start = time.perf_counter()
        kept = None if query.params else kept_page(store, query.text, FIRST_PAGE, None)
        if kept is None:
            run_local(text, store, bindings)
        seconds[query.name + (" (kept rows)" if kept else "")] = time.perf_counter() - start
    return seconds


def time_queries_in_memory(out: Path, names: Sequence[str] = ()) -> dict[str, Any]:
    """Seconds per canned query (``names``, default all) on ``out/graph.nt`` loaded whole
    into memory, as :func:`time_queries` asks them, with the parameters each binds to the
    most prolific author's name (``top``)."""
    from kg.queries import list_canned_queries, page_query, predeclared_prefixes, run_local
    from kg.rdfio import load_store

    store = load_store([out / "graph.nt"])
    prefixes = predeclared_prefixes()
    queries = {query.name: query for query in list_canned_queries()}
    ranking = page_query(queries["papers-per-author"].text, 1)
    top = run_local(ranking, store, prefixes=prefixes).rows[0][0]
    seconds: dict[str, tuple[float, list[str]]] = {}
    for query in queries.values():
        if names and query.name not in names:
            continue
        bindings = {param.name: top for param in query.params if top is not None}
        text = query.text if query.params else page_query(query.text, FIRST_PAGE)
        start = time.perf_counter()
        run_local(text, store, bindings, prefixes=prefixes)
        seconds[query.name] = (time.perf_counter() - start, list(bindings))
    return {"top": top.value if top is not None else "", "queries": seconds}


def _measure_here(pipeline: str, source: Path, out: Path) -> None:
    """The measured process's side: run one pipeline and print its stage seconds as JSON."""
    if pipeline in ("queries", "data-queries"):
        names = [] if source.name == "*" else source.name.split(",")
        timing = time_queries if pipeline == "queries" else time_queries_in_memory
        print(json.dumps(timing(out, names)))
    else:
        pipelines: dict[str, Callable[[Path, Path], dict[str, float]]] = {
            "kg": run_kg,
            "kg-store": lambda source, out: run_kg(source, out, store=True),
            "kg-cached": lambda source, out: run_kg(source, out, store=True, cached=True),
            "kg-shapes": run_kg_shapes,
        }
        print(json.dumps(pipelines[pipeline](source, out)))


def _stages(result: Result) -> str:
    return "  ".join(f"{name} {seconds:.2f}s" for name, seconds in result.stages.items())


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", type=int, nargs="+", default=[250, 500, 1000])
    parser.add_argument("--no-baseline", action="store_true", help="Measure kg only.")
    parser.add_argument(
        "--baseline-sizes",
        type=int,
        nargs="+",
        help="Run the obvious script only at these sizes; default: every size.",
    )
    parser.add_argument(
        "--kg-shapes-sizes",
        type=int,
        nargs="+",
        default=[],
        metavar="SIZE",
        help="Also validate kg's graph with plain pySHACL on kg's own shapes at these sizes"
        " (slow: 45 minutes at 10,000 papers); reported apart from the baseline.",
    )
    parser.add_argument(
        "--shards",
        type=int,
        metavar="N",
        help="Also run kg build --shard I/N for I=1..N as N processes at once.",
    )
    parser.add_argument(
        "--store",
        action="store_true",
        help="Build with --store (into an on-disk Oxigraph store), as the 1M-paper target asks.",
    )
    parser.add_argument(
        "--incremental",
        action="store_true",
        help="Also build the corpus without one list, add it and build again with the cache"
        " (both with --store), against a clean build.",
    )
    parser.add_argument(
        "--queries",
        nargs="*",
        metavar="NAME",
        help="Also time the canned queries (these only, if named) on an on-disk store of kg's"
        " output.",
    )
    parser.add_argument(
        "--data-queries",
        nargs="*",
        metavar="NAME",
        help="Also build as a user does (keeping the cache) and time each canned query (these"
        " only, if named) as a `kg query NAME --data graph.nt` process, against the query"
        " itself.",
    )
    parser.add_argument(
        "--measure", nargs=3, metavar=("PIPELINE", "SOURCE", "OUT"), help=argparse.SUPPRESS
    )
    args = parser.parse_args()
    if args.measure:
        _measure_here(args.measure[0], Path(args.measure[1]), Path(args.measure[2]))
        return

    totals: dict[int, float] = {}
    with tempfile.TemporaryDirectory() as temporary:
        for size in args.sizes:
            folder = Path(temporary) / str(size)
            corpus = folder / "corpus"
            lists = write_corpus(corpus, size)
            print(f"{size:>7} papers, {len(lists)} lists: {describe(corpus)}")
            kg = measure_kg(corpus, folder / "kg", store=args.store)
            totals[size] = kg.total
            print(f"{'':>7} kg: {_stages(kg)} | {kg.figures()}")
            if args.incremental:
                print(f"{'':>7} one list added: {measure_incremental(corpus, folder)}")
            if args.queries is not None:
                timings = measure_queries(folder / "kg", args.queries)
                listed = ", ".join(f"{name} {sec:.2f}s" for name, sec in timings.items())
                print(f"{'':>7} on the store: {listed}")
            if args.data_queries is not None:
                listed = measure_data_queries(corpus, folder, args.data_queries)
                print(f"{'':>7} kg query --data graph.nt (the query itself; added): {listed}")
            if not args.no_baseline and (
                args.baseline_sizes is None or size in args.baseline_sizes
            ):
                base = measure_obvious(corpus, folder / "obvious")
                print(
                    f"{'':>7} obvious script: {_stages(base)} | {base.figures()}"
                    f" | {verdict(kg.total, base.total)}"
                )
            if size in args.kg_shapes_sizes:
                slow = measure_kg_shapes(corpus, folder / "kg-shapes")
                print(
                    f"{'':>7} pySHACL on kg's shapes: {_stages(slow)} | {slow.figures()}"
                    f" | {verdict(kg.total, slow.total)}"
                )
            if args.shards:
                whole = measure_shards(corpus, 1, folder / "whole")
                shards = measure_shards(corpus, args.shards, folder / "shards")
                walls = ", ".join(f"{wall:.2f}s" for wall in shards.walls)
                print(
                    f"{'':>7} kg build --shard I/{args.shards}, all at once:"
                    f" slowest part {shards.wall:.2f}s (parts {walls}) | CPU {shards.cpu:.2f}s"
                    f" | peak {shards.peak_mb:.0f} MB all processes"
                    f" | kg build whole: {whole.wall:.2f}s | CPU {whole.cpu:.2f}s"
                    f" | peak {whole.peak_mb:.0f} MB all processes"
                )
    sizes = sorted(totals)
    for small, large in itertools.pairwise(sizes):
        growth = totals[large] / totals[small]
        print(f"growth {small} -> {large} papers: time x{growth:.2f} for size x{large / small:.2f}")


if __name__ == "__main__":
    main()
