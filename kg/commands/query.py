"""``kg queries`` and ``kg query``: list the canned queries, run one or any SPARQL query."""

from __future__ import annotations

import re
import shutil
import sys
import textwrap
from collections.abc import Sequence
from pathlib import Path
from typing import cast

import click

from kg.aggregates import kept_page
from kg.cli import data_option, last_build, reports_errors, settings_of
from kg.partial_load import load_for_queries
from kg.queries import (
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
from kg.results import GRAPH_FORMATS, RESULT_FORMATS, format_result
from kg.store import open_store


@click.command("queries", short_help="List the canned queries.")
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


def _count(_ctx: click.Context, _param: click.Parameter, value: int | None) -> int | None:
    """A count of rows, 0 or more, with a plain message (click.IntRange calls a word "not a
    valid integer range")."""
    if value is not None and value < 0:
        raise click.BadParameter(f"{value} is negative; give 0 or more")
    return value


@click.command("query", short_help="Run a SPARQL query, locally or on an endpoint.")
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
    known = predeclared_prefixes(settings_of(ctx).iris.prefixes())
    text = page_query(query.text, limit, offset)
    if endpoint is not None:
        result = run_remote(declare_prefixes(text, known), endpoint, bindings, timeout=timeout)
    else:
        store = (
            open_store(store_dir)
            if store_dir is not None
            else load_for_queries(
                list(data) or [last_build(settings_of(ctx))],
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
    click.echo(format_result(result, fmt, settings_of(ctx).iris.prefixes()), nl=False)


def _class_label(iri: str | None) -> str:
    """``person`` for ``http://schema.org/Person``: the class's local name, as a noun."""
    local = re.split(r"[/#]", iri or "")[-1]
    return re.sub(r"(?<=[a-z])(?=[A-Z])", " ", local).lower() or "entity"
