"""``kg export``: the graph's works as BibTeX or CSL-JSON."""

from __future__ import annotations

from pathlib import Path

import click

from kg.bibliography import FORMATS as BIBLIOGRAPHY_FORMATS
from kg.bibliography import export_bibliography
from kg.cli import data_option, last_build, reports_errors, settings_of
from kg.export import replace_files


@click.command("export", short_help="Write the graph's works as BibTeX or CSL-JSON.")
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
    settings = settings_of(ctx)
    bibliography = export_bibliography(list(data) or [last_build(settings)], format_name)
    if out_file == Path("-"):
        click.echo(bibliography.text.encode("utf-8"), nl=False)  # bytes: UTF-8 whatever the locale
        return
    target = out_file or settings.output_dir / BIBLIOGRAPHY_FORMATS[format_name].file_name
    replace_files({target: bibliography.text.encode("utf-8")})
    click.echo(f"wrote {bibliography.works} works to {target}")
