"""The ``kg`` command: parse options, call the library, turn ``KgError`` into messages
and exit codes.

Nothing below this module imports click.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import sys
import textwrap
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar, cast

import click
import pyoxigraph as ox
from platformdirs import user_cache_dir
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

from kg import __version__
from kg.aggregates import kept_page
from kg.batches import Shard
from kg.bibliography import FORMATS as BIBLIOGRAPHY_FORMATS
from kg.bibliography import export_bibliography
from kg.cachefile import CACHE_FOLDER
from kg.config import Settings, load_settings
from kg.errors import ExitStatus, InputError, KgError, ValidationFailed
from kg.export import replace_files
from kg.partial_load import load_for_queries
from kg.pipeline import build
from kg.progress import ProgressCallback
from kg.push import default_update_url, push
from kg.queries import (
    USER_AGENT,
    CannedQuery,
    declare_prefixes,
    list_canned_queries,
    name_check_queries,
    page_query,
    parse_params,
    predeclared_prefixes,
    query_from_text,
    resolve_query,
    run_local,
    run_remote,
    unknown_names,
)
from kg.rdfio import load_graph, load_store
from kg.results import GRAPH_FORMATS, RESULT_FORMATS, format_result
from kg.serve import DEFAULT_MAX_ROWS, KgServer, serve
from kg.site import SiteSettings, publish
from kg.store import open_store
from kg.terminal import for_terminal
from kg.validation import REPORT_FORMATS, format_report, validate
from kg.wikidata import (
    MAIN_ENDPOINT,
    SCHOLARLY_ENDPOINT,
    ResponseCache,
    RetryPolicy,
    WikidataEndpoint,
    align_wikidata,
    check_user_agent,
    read_links,
)

F = TypeVar("F", bound=Callable[..., Any])

WARNINGS_SHOWN = 20
"""Warnings a build prints before it only counts them."""


def _fail(message: str, status: ExitStatus) -> None:
    click.echo(for_terminal(message.rstrip("\n")), err=True)
    sys.exit(int(status))


def _say(message: str, err: bool = False, nl: bool = True) -> None:
    """Print a message naming data (names, titles, paths) with its hidden characters shown."""
    click.echo(for_terminal(message), err=err, nl=nl)


def reports_errors(command: F) -> F:
    """Turn kg's errors into a message on stderr and the error's exit code, never a traceback."""

    @wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except ValidationFailed as failure:
            _fail(failure.report, failure.exit_status)
        except KgError as error:
            _fail(f"kg: error: {error}", error.exit_status)
        return None

    return cast(F, wrapper)


def data_option(help_text: str) -> Callable[[F], F]:
    """``--data FILE`` (repeatable): the RDF files a command reads instead of the last
    build's exports."""
    return click.option(
        "--data",
        "data",
        multiple=True,
        type=click.Path(path_type=Path),
        metavar="FILE",
        help=help_text,
    )


extra_shapes_option = click.option(
    "--shapes",
    "extra_shapes",
    multiple=True,
    type=click.Path(path_type=Path),
    metavar="FILE",
    help="Extra SHACL shapes file, checked on top of the bundled shapes (repeatable).",
)


@contextmanager
def _progress_display() -> Iterator[ProgressCallback]:
    """A progress bar per stage (of a build, a push or an alignment) on stderr, shown only on a
    terminal."""
    console = Console(stderr=True)
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        disable=not console.is_terminal,
        transient=True,
    ) as display:
        tasks: dict[str, TaskID] = {}

        def show(stage: str, done: int, total: int | None) -> None:
            if stage not in tasks:
                for task in tasks.values():
                    display.stop_task(task)
                tasks[stage] = display.add_task(stage, total=total)
            display.update(tasks[stage], completed=done, total=total)

        yield show


def _settings(ctx: click.Context) -> Settings:
    settings: Settings = ctx.obj
    return settings


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="kg")
@click.option(
    "--config",
    type=click.Path(path_type=Path, dir_okay=False),
    metavar="FILE",
    help="Settings file (default: kg.toml in the current folder, if present).",
)
@click.pass_context
@reports_errors
def main(ctx: click.Context, config: Path | None) -> None:
    """Turn publication lists into a validated schema.org/FOAF knowledge graph."""
    ctx.obj = load_settings(config)


@main.command("build", short_help="Build, validate and export the graph.")
@click.argument("inputs", nargs=-1, type=click.Path(path_type=Path), metavar="[INPUT]...")
@click.option(
    "-o",
    "--out",
    "out_dir",
    type=click.Path(path_type=Path, file_okay=False),
    metavar="DIR",
    help="Folder for graph.ttl, graph.jsonld and graph.nt (default: exports/, or kg.toml's "
    "output).",
)
@click.option(
    "--base-iri",
    metavar="IRI",
    help="Base IRI for papers, persons and lists (default from kg.toml).",
)
@extra_shapes_option
@click.option(
    "--gzip", "compress", is_flag=True, help="Write gzip-compressed exports (graph.nt.gz, …)."
)
@click.option(
    "--store",
    "store_dir",
    type=click.Path(path_type=Path, file_okay=False),
    metavar="DIR",
    help="Also write the graph into an on-disk Oxigraph store in this folder.",
)
@click.option(
    "--shard",
    metavar="I/N",
    help="Build only part I of N (1-based): the lists, papers and persons whose IRIs hash to "
    "it. The N parts' N-Triples together are exactly one whole build.",
)
@click.option(
    "--cache",
    "cache_dir",
    type=click.Path(path_type=Path, file_okay=False),
    metavar="DIR",
    help="Where a build keeps what the next one can reuse (default: .kg-cache in the output "
    "folder).",
)
@click.option("--no-cache", is_flag=True, help="Validate every entity afresh and keep no cache.")
@click.option(
    "--alignment",
    type=click.Path(path_type=Path, dir_okay=False),
    metavar="FILE",
    help="alignment.tsv from `kg align wikidata`: its matched rows become schema:sameAs links.",
)
@click.option(
    "--keep-going",
    is_flag=True,
    help="Leave out malformed BibTeX or CSL-JSON entries (each is reported) instead of stopping.",
)
@click.pass_context
@reports_errors
def build_command(
    ctx: click.Context,
    inputs: tuple[Path, ...],
    out_dir: Path | None,
    base_iri: str | None,
    extra_shapes: tuple[Path, ...],
    compress: bool,
    store_dir: Path | None,
    shard: str | None,
    cache_dir: Path | None,
    no_cache: bool,
    alignment: Path | None,
    keep_going: bool,
) -> None:
    """Build the graph from INPUT lists (.txt, .bib and CSL-JSON .json files, or folders of
    them; default: the bundled sample), validate it and write the exports. Nothing is
    written when the graph has violations or an entry is malformed (see --keep-going)."""
    part = Shard.parse(shard) if shard is not None else None
    settings = _settings(ctx).overridden(
        base_iri=base_iri, output_dir=out_dir, extra_shapes=extra_shapes, alignment=alignment
    )
    same_as = read_links(settings.alignment) if settings.alignment is not None else None
    with _progress_display() as progress:
        result = build(
            list(inputs),
            settings.output_dir,
            settings.iris,
            settings.extra_shapes,
            compress,
            progress=progress,
            store=store_dir,
            shard=part,
            cache_dir=None if no_cache else cache_dir or settings.output_dir / CACHE_FOLDER,
            same_as=same_as,
            keep_going=keep_going,
        )
    corpus = result.corpus
    for entry in corpus.skipped:
        _say(f"skipped {entry}", err=True)
    for input_note in corpus.input_notes:
        _say(f"note: {input_note}", err=True)
    for note in corpus.notes:
        _say(f"note: {note}", err=True)
    if result.report.warnings:
        _say(format_report(result.report, "text", limit=WARNINGS_SHOWN), err=True, nl=False)
        if len(result.report.warnings) > WARNINGS_SHOWN and part is None:
            _say(f"(`kg validate {result.written[-1]}` lists every warning)", err=True)
    click.echo(
        f"{len(corpus.papers)} papers, {len(corpus.persons)} persons from "
        f"{len(corpus.lists)} list(s); {result.triples} triples; "
        f"{len(result.report.warnings)} warning(s)"
        + (f"; {len(corpus.skipped)} entries skipped" if corpus.skipped else "")
        + (f"; {len(corpus.input_notes)} input note(s)" if corpus.input_notes else "")
        + (f"; {len(corpus.notes)} merge note(s)" if corpus.notes else "")
        + (f" in shard {part.index}/{part.count}" if part is not None else "")
    )
    if result.lists_reused:
        click.echo(
            f"read {len(corpus.lists) - result.lists_reused} changed or new list(s); "
            f"{result.lists_reused} unchanged since the last build came from the cache"
        )
    if result.reused:
        click.echo(
            f"validated {result.validated} changed or new entities; {result.reused} unchanged "
            "since the last build kept their results"
        )
    if same_as is not None:
        _say(f"{len(same_as)} link(s) to Wikidata from {settings.alignment}")
    for path in result.written:
        _say(f"wrote {path}")
    if result.store is not None and result.store.reloaded:
        _say(f"stored the graph in {store_dir} ({result.store.added} triples)")
    elif result.store is not None:
        _say(
            f"updated the store in {store_dir}: {result.store.added} triples added, "
            f"{result.store.removed} removed"
        )


@main.command("validate", short_help="Validate RDF files against the SHACL shapes.")
@click.argument(
    "files", nargs=-1, required=True, type=click.Path(path_type=Path), metavar="FILE..."
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(REPORT_FORMATS),
    default="text",
    show_default=True,
    help="Report format.",
)
@extra_shapes_option
@click.pass_context
@reports_errors
def validate_command(
    ctx: click.Context, files: tuple[Path, ...], fmt: str, extra_shapes: tuple[Path, ...]
) -> None:
    """Validate RDF FILES against kg's SHACL shapes: exit 0 conforms (warnings printed),
    1 violations, 2 unreadable input."""
    settings = _settings(ctx).overridden(extra_shapes=extra_shapes)
    report = validate(load_graph(list(files)), settings.extra_shapes)
    click.echo(format_report(report, fmt), nl=False)  # every format ends its last line
    if not report.passes:
        sys.exit(int(ExitStatus.VALIDATION_FAILED))


@main.command("queries", short_help="List the canned queries.")
@reports_errors
def queries_command() -> None:
    """List the canned queries: each name and the first sentence of what it answers
    (wrapped to the terminal's width on a terminal, one line each otherwise)."""
    width = shutil.get_terminal_size().columns if sys.stdout.isatty() else None
    for line in catalogue_lines(list_canned_queries(), width):
        click.echo(line)


def catalogue_lines(catalogue: Sequence[CannedQuery], width: int | None) -> list[str]:
    """``kg queries``: name, then description and parameters, wrapped (never cut) under the
    description column to ``width`` when given."""
    names = max((len(query.name) for query in catalogue), default=0)
    lines = []
    for query in catalogue:
        params = "".join(f" --param {p.name}=…" for p in query.params)
        text = f"{query.name:<{names}}  {query.description}{params}"
        if width is None:
            lines.append(text)
            continue
        lines += textwrap.wrap(
            text,
            width=max(width, names + 20),
            subsequent_indent=" " * (names + 2),
            break_long_words=False,
            break_on_hyphens=False,
        )
    return lines


def _last_build(settings: Settings) -> Path:
    """The last build's N-Triples (plain or gzipped): the fastest export to load."""
    for name in ("graph.nt", "graph.nt.gz"):
        graph = settings.output_dir / name
        if graph.is_file():
            return graph
    raise InputError(
        f"no graph.nt in {settings.output_dir}: run `kg build` first, or name the files"
    )


def _count(_ctx: click.Context, _param: click.Parameter, value: int | None) -> int | None:
    """A count of rows, 0 or more, with a plain message (click.IntRange calls a word "not a
    valid integer range")."""
    if value is not None and value < 0:
        raise click.BadParameter(f"{value} is negative; give 0 or more")
    return value


@main.command("query", short_help="Run a SPARQL query, locally or on an endpoint.")
@click.argument("query_ref", required=False, metavar="[NAME|FILE.rq]")
@click.option("-q", "--query", "query_text", metavar="SPARQL", help="A SPARQL query given inline.")
@data_option("RDF file(s) to query (default: the last build's graph.nt).")
@click.option(
    "--param",
    "params",
    multiple=True,
    metavar="NAME=VALUE",
    help="Bind a query parameter (never pasted into the query text).",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(list(dict.fromkeys(RESULT_FORMATS + GRAPH_FORMATS))),
    default="table",
    show_default=True,
    help="Result format (json and xml: SPARQL 1.1 results; turtle and ntriples for CONSTRUCT).",
)
@click.option(
    "--endpoint",
    metavar="URL",
    help="Run on this remote SPARQL endpoint instead of local files.",
)
@click.option(
    "--store",
    "store_dir",
    type=click.Path(path_type=Path, file_okay=False),
    metavar="DIR",
    help="Run on the on-disk store written by `kg build --store`.",
)
@click.option(
    "--timeout",
    type=click.FloatRange(min=0.1),
    default=30.0,
    show_default=True,
    metavar="SECONDS",
    help="Seconds to wait for a remote endpoint.",
)
@click.option(
    "--limit",
    type=click.INT,
    callback=_count,
    metavar="N",
    help="Answer at most N rows (CONSTRUCT, DESCRIBE: solutions), within the query's own LIMIT.",
)
@click.option(
    "--offset",
    type=click.INT,
    callback=_count,
    metavar="M",
    help="Skip the first M rows of the query's answer (with --limit: pages of N rows).",
)
@click.pass_context
@reports_errors
def query_command(
    ctx: click.Context,
    query_ref: str | None,
    query_text: str | None,
    data: tuple[Path, ...],
    params: tuple[str, ...],
    fmt: str,
    endpoint: str | None,
    store_dir: Path | None,
    timeout: float,
    limit: int | None,
    offset: int | None,
) -> None:
    """Run a canned query (see `kg queries`), a .rq file, or -q 'SPARQL'. kg's prefixes
    (schema:, foaf:, bibo:, prov:, dcterms:, rdf:, rdfs:, xsd:, kg:, and paper:, person:,
    list:, venue: under the base IRI) need no PREFIX line. --limit and --offset page
    through the answer in the query's own order."""
    if (query_ref is None) == (query_text is None):
        raise click.UsageError("give exactly one of NAME, FILE.rq or -q 'SPARQL'")
    query = (
        query_from_text(query_text)
        if query_text is not None
        else resolve_query(cast(str, query_ref))
    )
    bindings = parse_params(list(params), query.params)
    if sum(1 for source in (data, endpoint, store_dir) if source) > 1:
        raise click.UsageError("give at most one of --data, --store and --endpoint")
    known = predeclared_prefixes(_settings(ctx).iris.prefixes())
    text = page_query(query.text, limit, offset)
    if endpoint is not None:
        result = run_remote(declare_prefixes(text, known), endpoint, bindings, timeout=timeout)
    else:
        store = (
            open_store(store_dir)
            if store_dir is not None
            else load_for_queries(
                list(data) or [_last_build(_settings(ctx))],
                [text, *name_check_queries(query)],
                known,
            )
        )
        kept = kept_page(store, query.text, limit, offset) if store_dir and not bindings else None
        result = kept or run_local(text, store, bindings, prefixes=known)
        for unknown in unknown_names(query, bindings, store):
            close = ", ".join(f'"{name}"' for name in unknown.close) or "none"
            click.echo(
                f"note: no {_class_label(unknown.param.names)} in the graph is named "
                f'"{unknown.value}" (--param {unknown.param.name}); close names: {close}',
                err=True,
            )
    click.echo(format_result(result, fmt, _settings(ctx).iris.prefixes()), nl=False)


def _class_label(iri: str | None) -> str:
    """``person`` for ``http://schema.org/Person``: the class's local name, as a noun."""
    local = re.split(r"[/#]", iri or "")[-1]
    return re.sub(r"(?<=[a-z])(?=[A-Z])", " ", local).lower() or "entity"


_SIZE = re.compile(r"(?P<number>[0-9]+)\s*(?P<unit>[KMG]?)(?:i?B)?", re.IGNORECASE)
_UNITS = {"": 1, "K": 2**10, "M": 2**20, "G": 2**30}


def _byte_size(_ctx: click.Context, _param: click.Parameter, value: str) -> int:
    """``8M``, ``512K``, ``1G`` or a plain number of bytes."""
    match = _SIZE.fullmatch(value.strip())
    if match is None or int(match["number"]) == 0:
        raise click.BadParameter(f"{value!r} is not a size such as 8M, 512K or 65536")
    return int(match["number"]) * _UNITS[match["unit"].upper()]


def _credentials(auth: str | None) -> tuple[str, str] | None:
    """``USER:PASSWORD``, or ``USER`` with the password from $KG_PUSH_PASSWORD or a prompt,
    so it need not show in the process list or the shell history."""
    if auth is None:
        return None
    user, colon, password = auth.partition(":")
    if not colon:
        password = os.environ.get("KG_PUSH_PASSWORD") or click.prompt(
            f"Password for {user}", hide_input=True, err=True
        )
    return user, password


@main.command("push", short_help="Load exports into a SPARQL Graph Store.")
@click.argument("files", nargs=-1, type=click.Path(path_type=Path), metavar="[FILE]...")
@click.option(
    "--endpoint",
    required=True,
    metavar="URL",
    help="Graph Store Protocol URL, e.g. http://127.0.0.1:7878/store (Oxigraph), "
    "http://host:3030/ds/data (Fuseki) or http://host:8890/sparql-graph-crud-auth (Virtuoso).",
)
@click.option(
    "--update-endpoint",
    metavar="URL",
    help="SPARQL update URL (default: derived for Oxigraph, Fuseki and Virtuoso).",
)
@click.option(
    "--query-endpoint",
    metavar="URL",
    help="SPARQL query URL that counts the staging graph (default: derived like the update "
    "URL, else the update URL itself).",
)
@click.option(
    "--graph",
    "graph_iri",
    metavar="IRI",
    help="Named graph to replace (default: the default graph).",
)
@click.option(
    "--auth",
    metavar="USER[:PASSWORD]",
    help="Credentials, sent as HTTP Basic or Digest, whichever the server asks for; without "
    ":PASSWORD it comes from $KG_PUSH_PASSWORD or a prompt.",
)
@click.option(
    "--chunk-size",
    default="8M",
    show_default=True,
    metavar="SIZE",
    callback=_byte_size,
    help="Largest upload request, e.g. 8M or 512K.",
)
@click.option(
    "--timeout",
    type=click.FloatRange(min=0.1),
    default=60.0,
    show_default=True,
    metavar="SECONDS",
    help="Seconds to wait for each request.",
)
@click.pass_context
@reports_errors
def push_command(
    ctx: click.Context,
    files: tuple[Path, ...],
    endpoint: str,
    update_endpoint: str | None,
    query_endpoint: str | None,
    graph_iri: str | None,
    auth: str | None,
    chunk_size: int,
    timeout: float,
) -> None:
    """Replace a graph on a SPARQL 1.1 Graph Store with FILES (default: the last build's
    graph.nt): uploaded in chunks to a staging graph, counted, then moved into place in one
    update, so a failed push leaves the live graph untouched."""
    with _progress_display() as progress:

        def advance(sent: int, total: int) -> None:
            progress("uploading chunks", sent, total)

        report = push(
            list(files) or [_last_build(_settings(ctx))],
            endpoint,
            update_endpoint or default_update_url(endpoint),
            query_url=query_endpoint,
            graph=graph_iri,
            auth=_credentials(auth),
            chunk_bytes=chunk_size,
            timeout=timeout,
            on_chunk=advance,
        )
    target = f"<{report.graph}>" if report.graph else "the default graph"
    click.echo(
        f"pushed {report.triples} triples ({report.bytes} bytes in {report.chunks} "
        f"chunk(s)) to {target} at {endpoint}"
    )


@main.group("align", short_help="Align the graph with a knowledge base (Wikidata).")
def align_group() -> None:
    """Link papers and persons to an external knowledge base."""


@align_group.command("wikidata", short_help="Find Wikidata items; write links and QuickStatements.")
@data_option("RDF file(s) of the graph (default: the last build's graph.nt).")
@click.option(
    "--scholarly-endpoint",
    default=SCHOLARLY_ENDPOINT,
    show_default=True,
    metavar="URL",
    help="SPARQL endpoint holding scholarly articles.",
)
@click.option(
    "--main-endpoint",
    default=MAIN_ENDPOINT,
    show_default=True,
    metavar="URL",
    help="SPARQL endpoint holding everything else, people included.",
)
@click.option(
    "-o",
    "--out",
    "out_dir",
    type=click.Path(path_type=Path, file_okay=False),
    metavar="DIR",
    help="Folder for alignment.tsv, sameas.ttl and quickstatements.txt (default: wikidata in "
    "the build's output folder, exports/ or kg.toml's output).",
)
@click.option(
    "--cache",
    "cache_dir",
    type=click.Path(path_type=Path, file_okay=False),
    metavar="DIR",
    help="Folder of the response cache (default: the user's cache folder).",
)
@click.option("--offline", is_flag=True, help="Answer from the response cache only; no request.")
@click.option("--refresh", is_flag=True, help="Ask again even what the cache holds.")
@click.option(
    "--user-agent",
    default=USER_AGENT,
    metavar="AGENT",
    help="Sent with every request, as 'tool/version (contact URL or e-mail)'.",
)
@click.option(
    "--language",
    default="en",
    show_default=True,
    metavar="CODE",
    help="Language of titles and labels, as a code such as en or de.",
)
@click.option(
    "--timeout",
    type=click.FloatRange(min=0.1),
    default=60.0,
    show_default=True,
    metavar="SECONDS",
    help="Seconds one request may take.",
)
@click.pass_context
@reports_errors
def align_wikidata_command(
    ctx: click.Context,
    data: tuple[Path, ...],
    scholarly_endpoint: str,
    main_endpoint: str,
    out_dir: Path | None,
    cache_dir: Path | None,
    offline: bool,
    refresh: bool,
    user_agent: str,
    language: str,
    timeout: float,
) -> None:
    """Link the graph's papers and persons to Wikidata items. Only clear, unique winners are
    linked; the rest is listed for review in alignment.tsv, whose `decision` column
    (accept/reject) later runs keep."""
    if offline and refresh:
        raise click.UsageError("--offline and --refresh contradict each other")
    settings = _settings(ctx)
    agent = check_user_agent(user_agent)
    cache = ResponseCache(cache_dir or Path(user_cache_dir("kg")) / "wikidata")
    retry = RetryPolicy(timeout=timeout)
    scholarly, main_graph = (
        WikidataEndpoint(url, agent, cache, offline=offline, refresh=refresh, retry=retry)
        for url in (scholarly_endpoint, main_endpoint)
    )
    try:
        with _progress_display() as progress:
            report = align_wikidata(
                load_store(list(data) or [_last_build(settings)]),
                out_dir or settings.output_dir / "wikidata",
                scholarly,
                main_graph,
                language=language,
                progress=progress,
            )
    finally:
        cache.close()
    for kind in ("paper", "person"):
        total = sum(1 for row in report.rows if row.kind == kind)
        statuses = ("matched", "review", "unmatched")
        counts = ", ".join(f"{report.count(kind, status)} {status}" for status in statuses)
        click.echo(f"{total} {kind}s: {counts}")
    for iri, reason in report.left_out:
        click.echo(f"not in quickstatements.txt: {iri}: {reason}; add it by hand", err=True)
    click.echo(f"{report.requests} request(s) sent")
    for path in report.files:
        click.echo(f"wrote {path}")


def _interrupt(_signal: int, _frame: object) -> None:
    """SIGTERM stops a server the way Ctrl+C does, so its query workers are stopped too."""
    raise KeyboardInterrupt


@main.command("serve", short_help="Serve a SPARQL endpoint, linked data and a query page.")
@data_option("RDF file(s) to serve (default: the last build's graph.nt).")
@click.option(
    "--store",
    "store_dir",
    type=click.Path(path_type=Path, file_okay=False),
    metavar="DIR",
    help="Serve the on-disk store written by `kg build --store` (opened read-only).",
)
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    metavar="ADDRESS",
    help="Address to listen on.",
)
@click.option(
    "--port",
    type=int,
    default=8000,
    show_default=True,
    metavar="PORT",
    help="Port to listen on (0: any free port; the URL printed at start names it).",
)
@click.option(
    "--timeout",
    type=click.FloatRange(min=0.1),
    default=10.0,
    show_default=True,
    metavar="SECONDS",
    help="Seconds a query may run before it is stopped (answered 503).",
)
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=2,
    show_default=True,
    metavar="N",
    help="Queries run at once, each in its own process.",
)
@click.option(
    "--max-rows",
    type=click.IntRange(min=1),
    default=DEFAULT_MAX_ROWS,
    show_default=True,
    metavar="N",
    help="Rows (CONSTRUCT: triples) an answer holds at most; a cut answer says so in its "
    "X-SPARQL-MaxRows header.",
)
@click.option(
    "--public-url",
    metavar="URL",
    help="The server's address for its users when it is not where it listens (behind a "
    "proxy, on 0.0.0.0): void.ttl names the endpoint there.",
)
@click.option(
    "--base-iri", metavar="IRI", help="Base IRI of the entities (default: found in the graph)."
)
@click.option("--verbose", is_flag=True, help="Log every request on stderr.")
@click.pass_context
@reports_errors
def serve_command(
    ctx: click.Context,
    data: tuple[Path, ...],
    store_dir: Path | None,
    host: str,
    port: int,
    timeout: float,
    workers: int,
    max_rows: int,
    public_url: str | None,
    base_iri: str | None,
    verbose: bool,
) -> None:
    """Serve the graph: a read-only SPARQL 1.1 endpoint at /sparql, every paper and person
    at its IRI's path (HTML, Turtle, JSON-LD or N-Triples by Accept), a query page at /."""
    if data and store_dir is not None:
        raise click.UsageError("give at most one of --data and --store")
    source: ox.Store | Path = (
        store_dir
        if store_dir is not None
        else load_store(list(data) or [_last_build(_settings(ctx))])
    )
    signal.signal(signal.SIGTERM, _interrupt)

    def ready(server: KgServer) -> None:
        where = server.local_url + (f" as {server.url}" if server.url != server.local_url else "")
        click.echo(f"serving {where} (SPARQL endpoint {server.url}sparql); Ctrl+C stops")

    serve(
        source,
        host,
        port,
        query_timeout=timeout,
        base_iri=base_iri,
        workers=workers,
        max_rows=max_rows,
        public_url=public_url,
        verbose=verbose,
        ready=ready,
    )


@main.command("publish", short_help="Write a static site: pages with embedded JSON-LD.")
@data_option("RDF file(s) of the graph (default: the last build's exports).")
@click.option(
    "-o",
    "--out",
    "out_dir",
    type=click.Path(path_type=Path, file_okay=False),
    metavar="DIR",
    help="Folder of the site (default: site in the build's output folder, exports/ or "
    "kg.toml's output).",
)
@click.option(
    "--base-url",
    metavar="URL",
    help="Where the site will be served, for void.ttl and canonical links.",
)
@click.option("--title", metavar="TEXT", help="Title of the site and the dataset.")
@click.option("--license", "license_iri", metavar="IRI", help="IRI of the data's licence.")
@click.option("--publisher", metavar="NAME", help="Name of the publisher.")
@click.option("--publisher-iri", metavar="IRI", help="IRI of the publisher.")
@click.pass_context
@reports_errors
def publish_command(
    ctx: click.Context,
    data: tuple[Path, ...],
    out_dir: Path | None,
    base_url: str | None,
    title: str | None,
    license_iri: str | None,
    publisher: str | None,
    publisher_iri: str | None,
) -> None:
    """Publish the graph as a static site: an index with the co-author network, one page per
    paper and person embedding its schema.org JSON-LD (also beside it as .jsonld and .ttl),
    void.ttl and the graph's dumps. Links are relative: the site works from any folder."""
    settings = _settings(ctx)
    table = settings.publish
    config = SiteSettings(
        title=title or table.get("title"),
        license=license_iri or table.get("license"),
        publisher_name=publisher or table.get("publisher"),
        publisher_iri=publisher_iri or table.get("publisher_iri"),
    )
    report = publish(
        load_store(list(data) or [_last_build(settings)]),
        out_dir or settings.output_dir / "site",
        base_url=base_url or table.get("base_url"),
        config=config,
        dumps=list(data) or _last_exports(settings),
    )
    click.echo(
        f"published {report.papers} papers, {report.persons} persons, "
        f"{report.coauthor_links} co-author links: {len(report.files)} files in {report.out_dir}"
    )
    for path in report.removed:
        click.echo(f"removed {path} (no longer in the graph)")


def _last_exports(settings: Settings) -> list[Path]:
    """The last build's exports (plain or gzipped), to ship as the site's dumps."""
    graph = _last_build(settings)  # refuses when nothing was built
    others = [
        settings.output_dir / name
        for stem in ("graph.ttl", "graph.jsonld")
        for name in (stem, stem + ".gz")
        if (settings.output_dir / name).is_file()
    ]
    return [*others, graph]


@main.command("export", short_help="Write the graph's works as BibTeX or CSL-JSON.")
@click.option(
    "--to",
    "format_name",
    type=click.Choice(list(BIBLIOGRAPHY_FORMATS)),
    required=True,
    help="bibtex (for LaTeX with BibTeX or biber) or csl-json (for Zotero and pandoc).",
)
@data_option("RDF file(s) of the graph (default: the last build's graph.nt).")
@click.option(
    "-o",
    "--out",
    "out_file",
    type=click.Path(path_type=Path, dir_okay=False, allow_dash=True),
    metavar="FILE",
    help="File to write, or - for standard output (default: works.bib or works.json in the "
    "build's output folder, exports/ or kg.toml's output).",
)
@click.pass_context
@reports_errors
def export_command(
    ctx: click.Context, format_name: str, data: tuple[Path, ...], out_file: Path | None
) -> None:
    """Write the graph's works, merged and de-duplicated, as a bibliography: one entry per
    work, with the same cite keys in BibTeX and CSL-JSON. The file is replaced whole or
    not at all."""
    settings = _settings(ctx)
    bibliography = export_bibliography(list(data) or [_last_build(settings)], format_name)
    if out_file == Path("-"):
        click.echo(bibliography.text.encode("utf-8"), nl=False)  # bytes: UTF-8 whatever the locale
        return
    target = out_file or settings.output_dir / BIBLIOGRAPHY_FORMATS[format_name].file_name
    replace_files({target: bibliography.text.encode("utf-8")})
    click.echo(f"wrote {bibliography.works} works to {target}")
