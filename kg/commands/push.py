"""``kg push``: replace a graph on a Graph Store Protocol server with the exports."""

from __future__ import annotations

import os
import re
from pathlib import Path

import click

from kg import cli
from kg.cli import last_build, reports_errors, settings_of
from kg.push import default_update_url, push

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


@click.command("push", short_help="Load exports into a SPARQL Graph Store.")
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
    with cli.progress_display() as progress:

        def advance(sent: int, total: int) -> None:
            progress("uploading chunks", sent, total)

        report = push(
            list(files) or [last_build(settings_of(ctx))],
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
