"""Run ``kg`` with its arguments and kill it with SIGKILL at a chosen moment (for
``tests/test_crash.py``).

A moment is an event of the main thread: a progress report (every list read, every entity
mapped, validated and written, each later stage) or a call of one of the file operations a
build stages and commits its files with (``os.replace``, ``os.link``, ``os.fsync``...). The
same command on the same folders gives the same events, so a test can list them once and
then kill the build just before any of them:

- ``KG_EVENTS=FILE``: write each event, one per line, to FILE (nothing is killed);
- ``KG_KILL_AT=N``: kill just before event N (0-based);
- ``KG_KILL_IN=STAGE:SECONDS``: kill SECONDS after the stage STAGE begins, wherever the
  build then is (native code included: RocksDB loading a store).

The whole process group goes (run this as a session leader, ``start_new_session=True``), the
query and reading workers with it, as ``kill -9`` of a job would.
"""

from __future__ import annotations

import os
import shutil
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import IO, Any

import kg.cli

MAIN = os.getpid()
_OPERATIONS = ("replace", "rename", "link", "unlink", "rmdir", "mkdir", "fsync")


def die() -> None:
    if os.getpgrp() == os.getpid():
        os.killpg(os.getpgrp(), signal.SIGKILL)
    os.kill(os.getpid(), signal.SIGKILL)


class Events:
    def __init__(self) -> None:
        self.count = 0
        self.stage = "starting"
        self.kill_at = int(os.environ.get("KG_KILL_AT", "-1"))
        stage, _, delay = os.environ.get("KG_KILL_IN", "").partition(":")
        self.kill_in = (stage, float(delay)) if stage else None
        path = os.environ.get("KG_EVENTS")
        self.log: IO[str] | None = open(path, "w", encoding="utf-8") if path else None  # noqa: SIM115

    def happen(self, name: str) -> None:
        if os.getpid() != MAIN or threading.current_thread() is not threading.main_thread():
            return
        if self.count == self.kill_at:
            die()
        if self.log is not None:
            self.log.write(f"{self.stage}\t{name}\n")
            self.log.flush()
        self.count += 1

    def progress(self, stage: str, done: int, total: int | None) -> None:
        if stage != self.stage:
            self.stage = stage
            if self.kill_in is not None and self.kill_in[0] == stage:
                threading.Timer(self.kill_in[1], die).start()
        self.happen(f"progress {done}")


EVENTS = Events()


def watched(name: str, operation: Callable[..., Any]) -> Callable[..., Any]:
    def call(*args: Any, **kwargs: Any) -> Any:
        target = os.path.basename(str(args[0])) if args else ""
        EVENTS.happen(f"{name} {target}")
        return operation(*args, **kwargs)

    return call


@contextmanager
def progress_display() -> Iterator[Callable[[str, int, int | None], None]]:
    yield EVENTS.progress


for operation in _OPERATIONS:
    setattr(os, operation, watched(f"os.{operation}", getattr(os, operation)))
shutil.rmtree = watched("shutil.rmtree", shutil.rmtree)  # type: ignore[assignment]
kg.cli.progress_display = progress_display  # type: ignore[assignment]

if __name__ == "__main__":
    sys.argv[0] = "kg"
    kg.cli.main()
