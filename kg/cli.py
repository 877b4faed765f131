"""The ``kg`` command: parse options, call the library, turn ``KgError`` into messages
and exit codes.

Each command lives in its own module of :mod:`kg.commands`, imported only when that
command runs (or ``kg --help`` lists them all): ``kg query`` then starts without importing
the build, the server, the site or the bibliography writers, which took 0.17 s of its
0.4 s start. This module holds the group and what the commands share. Nothing below
these modules imports click.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar, cast

import click

from kg import __version__
from kg.config import Settings, load_settings
from kg.errors import ExitStatus, InputError, KgError, ValidationFailed
from kg.progress import ProgressCallback
from kg.terminal import for_terminal

F = TypeVar("F", bound=Callable[..., Any])

COMMANDS = {
    "align": "kg.commands.align:align_group",
    "build": "kg.commands.build:build_command",
    "export": "kg.commands.export:export_command",
    "publish": "kg.commands.publish:publish_command",
    "push": "kg.commands.push:push_command",
    "queries": "kg.commands.query:queries_command",
    "query": "kg.commands.query:query_command",
    "serve": "kg.commands.serve:serve_command",
    "validate": "kg.commands.validate:validate_command",
}
"""Each command's name and where it is defined (``module:attribute``)."""


def fail(message: str, status: ExitStatus) -> None:
    click.echo(for_terminal(message.rstrip("\n")), err=True)
    sys.exit(int(status))


def say(message: str, err: bool = False, nl: bool = True) -> None:
    """Print a message naming data (names, titles, paths) with its hidden characters shown."""
    click.echo(for_terminal(message), err=err, nl=nl)


def reports_errors(command: F) -> F:
    """Turn kg's errors into a message on stderr and the error's exit code, never a traceback."""

    @wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except ValidationFailed as failure:
            fail(failure.report, failure.exit_status)
        except KgError as error:
            fail(f"kg: error: {error}", error.exit_status)
        except OSError as error:  # one kg did not expect: a full disk, a file size limit
            fail(f"kg: error: {error}", ExitStatus.USAGE_OR_INPUT)
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
def progress_display() -> Iterator[ProgressCallback]:
    """A progress bar per stage (of a build, a push or an alignment) on stderr, shown only on a
    terminal. The commands look it up through this module, so a harness can replace it (the
    crash tests watch the stages through it)."""
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


def settings_of(ctx: click.Context) -> Settings:
    """The settings ``kg`` read (``kg.toml``, or ``--config``)."""
    settings: Settings = ctx.obj
    return settings


def last_build(settings: Settings) -> Path:
    """The last build's N-Triples (plain or gzipped): the fastest export to load."""
    for name in ("graph.nt", "graph.nt.gz"):
        graph = settings.output_dir / name
        if graph.is_file():
            return graph
    raise InputError(
        f"no graph.nt in {settings.output_dir}: run `kg build` first, or name the files"
    )


class LazyGroup(click.Group):
    """A group whose commands are imported from ``commands`` (name: ``module:attribute``)
    when one is asked for."""

    def __init__(self, *args: Any, commands: Mapping[str, str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._where = dict(commands)

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self._where})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self._where:
            return super().get_command(ctx, cmd_name)
        module, _, attribute = self._where[cmd_name].partition(":")
        return cast(click.Command, getattr(importlib.import_module(module), attribute))


@click.group(
    cls=LazyGroup, commands=COMMANDS, context_settings={"help_option_names": ["-h", "--help"]}
)
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
