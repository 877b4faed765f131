"""``kg publish``: the graph as a static site."""

from __future__ import annotations

from pathlib import Path

import click

from kg.cli import data_option, last_build, reports_errors, settings_of
from kg.config import Settings
from kg.rdfio import load_store
from kg.site import SiteSettings, publish


@click.command("publish", short_help="Write a static site: pages with embedded JSON-LD.")
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
    settings = settings_of(ctx)
    table = settings.publish
    config = SiteSettings(
        title=title or table.get("title"),
        license=license_iri or table.get("license"),
        publisher_name=publisher or table.get("publisher"),
        publisher_iri=publisher_iri or table.get("publisher_iri"),
    )
    report = publish(
        load_store(list(data) or [last_build(settings)]),
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
    graph = last_build(settings)  # refuses when nothing was built
    others = [
        settings.output_dir / name
        for stem in ("graph.ttl", "graph.jsonld")
        for name in (stem, stem + ".gz")
        if (settings.output_dir / name).is_file()
    ]
    return [*others, graph]
