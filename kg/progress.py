"""How long-running library calls report progress without printing: the CLI draws it."""

from __future__ import annotations

from collections.abc import Callable

ProgressCallback = Callable[[str, int, int | None], None]
"""Called as ``(stage, done, total)``; ``total`` is None where it is not known."""


def silent(_stage: str, _done: int, _total: int | None) -> None:
    """The default progress callback: says nothing."""
