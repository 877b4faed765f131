"""``kg serve``: a read-only SPARQL endpoint, linked data and a query page."""

from __future__ import annotations

import signal
from pathlib import Path

import click
import pyoxigraph as ox

from kg.cli import data_option, last_build, reports_errors, settings_of
from kg.rdfio import load_store
from kg.serve import DEFAULT_MAX_ROWS, KgServer, serve


def _interrupt(_signal: int, _frame: object) -> None:
    """SIGTERM stops a server the way Ctrl+C does, so its query workers are stopped too."""
    raise KeyboardInterrupt


@click.command("serve", short_help="Serve a SPARQL endpoint, linked data and a query page.")
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
        else load_store(list(data) or [last_build(settings_of(ctx))])
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
