"""``kg align``: link the graph to knowledge bases (Wikidata)."""

from __future__ import annotations

from pathlib import Path

import click
from platformdirs import user_cache_dir

from kg import cli
from kg.cli import data_option, last_build, reports_errors, settings_of
from kg.partial_load import load_for_queries
from kg.queries import USER_AGENT
from kg.wikidata import (
    MAIN_ENDPOINT,
    SCHOLARLY_ENDPOINT,
    ResponseCache,
    RetryPolicy,
    WikidataEndpoint,
    align_wikidata,
    check_user_agent,
)
from kg.wikidata.local import QUERIES as LOCAL_QUERIES


@click.group("align", short_help="Align the graph with a knowledge base (Wikidata).")
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
    settings = settings_of(ctx)
    agent = check_user_agent(user_agent)
    cache = ResponseCache(cache_dir or Path(user_cache_dir("kg")) / "wikidata")
    retry = RetryPolicy(timeout=timeout)
    scholarly, main_graph = (
        WikidataEndpoint(url, agent, cache, offline=offline, refresh=refresh, retry=retry)
        for url in (scholarly_endpoint, main_endpoint)
    )
    try:
        with cli.progress_display() as progress:
            report = align_wikidata(
                load_for_queries(list(data) or [last_build(settings)], LOCAL_QUERIES, {}),
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
