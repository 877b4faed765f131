"""``kg validate``: check RDF files against the bundled (and extra) shapes."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from kg.cli import extra_shapes_option, reports_errors, settings_of
from kg.errors import ExitStatus
from kg.validation import REPORT_FORMATS, format_report, validate_files


@click.command("validate", short_help="Validate RDF files against the SHACL shapes.")
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
    settings = settings_of(ctx).overridden(extra_shapes=extra_shapes)
    report = validate_files(list(files), settings.extra_shapes)
    click.echo(format_report(report, fmt), nl=False)  # every format ends its last line
    if not report.passes:
        sys.exit(int(ExitStatus.VALIDATION_FAILED))
