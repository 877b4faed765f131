"""``kg build``: read the lists, build, validate and export the graph."""

from __future__ import annotations

from pathlib import Path

import click

from kg import cli
from kg.batches import Shard
from kg.cachefile import CACHE_FOLDER
from kg.cli import extra_shapes_option, reports_errors, say, settings_of
from kg.pipeline import build
from kg.validation import format_report
from kg.wikidata import read_links

WARNINGS_SHOWN = 20
"""Warnings a build prints before it only counts them."""


@click.command("build", short_help="Build, validate and export the graph.")
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
    settings = settings_of(ctx).overridden(
        base_iri=base_iri, output_dir=out_dir, extra_shapes=extra_shapes, alignment=alignment
    )
    same_as = read_links(settings.alignment) if settings.alignment is not None else None
    with cli.progress_display() as progress:
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
    corpus = result.summary
    for entry in corpus.skipped:
        say(f"skipped {entry}", err=True)
    for input_note in corpus.input_notes:
        say(f"note: {input_note}", err=True)
    for note in corpus.notes:
        say(f"note: {note}", err=True)
    if result.report.warnings:
        say(format_report(result.report, "text", limit=WARNINGS_SHOWN), err=True, nl=False)
        if len(result.report.warnings) > WARNINGS_SHOWN and part is None:
            say(f"(`kg validate {result.written[-1]}` lists every warning)", err=True)
    click.echo(
        f"{corpus.papers} papers, {corpus.persons} persons from "
        f"{corpus.lists} list(s); {result.triples} triples; "
        f"{len(result.report.warnings)} warning(s)"
        + (f"; {len(corpus.skipped)} entries skipped" if corpus.skipped else "")
        + (f"; {len(corpus.input_notes)} input note(s)" if corpus.input_notes else "")
        + (f"; {len(corpus.notes)} merge note(s)" if corpus.notes else "")
        + (f" in shard {part.index}/{part.count}" if part is not None else "")
    )
    if result.lists_reused:
        click.echo(
            f"read {corpus.lists - result.lists_reused} changed or new list(s); "
            f"{result.lists_reused} unchanged since the last build came from the cache"
        )
    if result.reused:
        click.echo(
            f"validated {result.validated} changed or new entities; {result.reused} unchanged "
            "since the last build kept their results"
        )
    if result.copied:
        click.echo(
            f"copied the Turtle and JSON-LD of {result.copied} entities whose triples had not "
            "changed from the last exports"
        )
    if same_as is not None:
        say(f"{len(same_as)} link(s) to Wikidata from {settings.alignment}")
    for path in result.written:
        say(f"wrote {path}")
    if result.store is not None and result.store.reloaded:
        say(f"stored the graph in {store_dir} ({result.store.added} triples)")
    elif result.store is not None:
        say(
            f"updated the store in {store_dir}: {result.store.added} triples added, "
            f"{result.store.removed} removed"
        )
