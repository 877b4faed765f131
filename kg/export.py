"""Write the graph as Turtle, JSON-LD and N-Triples: same bytes every run, all or nothing.

Each format is written from the mapped entities as they stream past, without building an
rdflib graph: Oxigraph writes the N-Triples and Turtle, :mod:`kg.jsonld` the JSON-LD. The
files grow as temporary files beside their targets and are fsynced and renamed only once
every format is complete, so a failure (or violations found meanwhile) leaves the previous
exports as they were.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from contextlib import ExitStack, contextmanager, suppress
from pathlib import Path
from types import TracebackType
from typing import IO

from kg.batches import Entity
from kg.compression import GZIP_SUFFIX, gzip_output
from kg.errors import ExportError
from kg.jsonld import JsonLdWriter
from kg.mapping import IriScheme
from kg.namespaces import jsonld_context, prefixes
from kg.ntriples import SortedNTriples
from kg.turtle import TurtleWriter

EXPORT_NAMES = ("graph.ttl", "graph.jsonld", "graph.nt")


class ExportFiles:
    """The three export files of one build, filled entity by entity (in IRI order) and moved
    into place together by :meth:`commit`; leaving the ``with`` block without committing
    removes them."""

    def __init__(self, out_dir: Path, iris: IriScheme, compress: bool = False) -> None:
        self.out_dir = out_dir
        self.compress = compress
        self._stack = ExitStack()
        self._created = [folder for folder in (out_dir, *out_dir.parents) if not folder.exists()]
        self._staged: dict[Path, Path] = {}
        try:
            out_dir.mkdir(parents=True, exist_ok=True)
            streams = {name: self._open(name) for name in EXPORT_NAMES}
        except OSError as error:
            self._remove_staged()
            raise ExportError(f"cannot write exports: {error}") from None
        self._turtle = TurtleWriter(streams["graph.ttl"], {**prefixes(), **iris.prefixes()})
        self._jsonld = JsonLdWriter(streams["graph.jsonld"], jsonld_context())
        self._ntriples = SortedNTriples(streams["graph.nt"], out_dir)
        self._committed = False

    def _open(self, name: str) -> IO[bytes]:
        target = self.out_dir / (f"{name}{GZIP_SUFFIX}" if self.compress else name)
        temp = _temp_name(target, ".tmp")
        self._staged[temp] = target
        raw = self._stack.enter_context(temp.open("wb"))
        self._stack.callback(_fsync, raw)  # runs before the file closes
        return self._stack.enter_context(gzip_output(raw)) if self.compress else raw

    def __enter__(self) -> ExportFiles:
        return self

    @property
    def triples(self) -> int:
        """Triples written so far."""
        return self._ntriples.count

    def add(self, entity: Entity) -> None:
        self._turtle.add(entity)
        self._jsonld.add(entity)
        self._ntriples.add(entity.own_ntriples)

    def writing(self, entities: Iterable[Entity]) -> Iterator[Entity]:
        """``entities``, each written as it passes."""
        for entity in entities:
            self.add(entity)
            yield entity

    def commit(self) -> list[Path]:
        """Finish every file and move them all into place; returns the files written.

        With ``compress`` the files are gzipped (``graph.nt.gz``…). The other variant of each
        file is removed, so a folder never holds a stale ``graph.nt`` beside a fresh
        ``graph.nt.gz`` (or the reverse) for ``kg query`` to pick up.
        """
        try:
            self._jsonld.close()
            self._ntriples.close()
            self._stack.close()
        except OSError as error:
            raise ExportError(f"cannot write exports: {error}") from None
        _move_into_place(list(self._staged.items()))
        self._committed = True
        for name in EXPORT_NAMES:
            stale = self.out_dir / (name if self.compress else f"{name}{GZIP_SUFFIX}")
            stale.unlink(missing_ok=True)
        return list(self._staged.values())

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if not self._committed:
            self._ntriples.discard()
            self._remove_staged()

    def _remove_staged(self) -> None:
        with suppress(OSError):  # the files are going away anyway
            self._stack.close()
        for temp in self._staged:
            temp.unlink(missing_ok=True)
        for folder in self._created:  # innermost first: a build that failed leaves no folder
            with suppress(OSError):
                folder.rmdir()


def write_exports(
    selected: Iterable[Entity], iris: IriScheme, out_dir: Path, compress: bool = False
) -> list[Path]:
    """Write every format of the ``selected`` entities (in IRI order, as
    :func:`kg.batches.entities` gives them) atomically into ``out_dir``."""
    with ExportFiles(out_dir, iris, compress) as files:
        for entity in selected:
            files.add(entity)
        return files.commit()


@contextmanager
def previous_ntriples(out_dir: Path) -> Iterator[Path | None]:
    """A hard link to the N-Triples export ``out_dir`` holds now (None if it holds none),
    alive while the block runs: a store is updated from the difference between the
    previous and the new graph once the new exports have replaced the old."""
    link = None
    for name in ("graph.nt", f"graph.nt{GZIP_SUFFIX}"):
        current = out_dir / name
        if current.is_file():
            suffix = f".previous{GZIP_SUFFIX if name.endswith(GZIP_SUFFIX) else ''}"
            link = _temp_name(current, suffix)
            try:
                link.unlink()
                os.link(current, link)
            except OSError:  # no hard links here: the store is loaded afresh
                link.unlink(missing_ok=True)
                link = None
            break
    try:
        yield link
    finally:
        if link is not None:
            link.unlink(missing_ok=True)


class StagedFiles:
    """Files written one by one beside their targets and moved into place together, or not
    at all: a failure (or leaving the ``with`` block without :meth:`commit`) leaves the
    previous files untouched. Only one file's bytes are held at a time, and the staged files
    reach the disk with one ``sync`` instead of one ``fsync`` each, which is what makes a
    site of a hundred thousand pages affordable."""

    def __init__(self) -> None:
        self._staged: list[tuple[Path, Path]] = []
        self._made: list[Path] = []
        """Folders this staging created, removed again if it is abandoned."""

    def write(self, target: Path, data: bytes) -> None:
        try:
            missing = [f for f in (target.parent, *target.parent.parents) if not f.exists()]
            target.parent.mkdir(parents=True, exist_ok=True)
            self._made.extend(reversed(missing))
            temp = _temp_name(target, ".tmp")
            self._staged.append((temp, target))
            temp.write_bytes(data)
        except OSError as error:
            raise ExportError(
                f"cannot write {error.filename or target}: {error.strerror}"
            ) from None

    def commit(self) -> None:
        os.sync()
        staged, self._staged, self._made = self._staged, [], []
        _move_into_place(staged)

    def __enter__(self) -> StagedFiles:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        for temp, _ in self._staged:
            temp.unlink(missing_ok=True)
        if self._staged:  # abandoned: leave no folder behind either
            for folder in reversed(self._made):
                with suppress(OSError):
                    folder.rmdir()
        self._staged, self._made = [], []


def replace_files(contents: Mapping[Path, bytes]) -> None:
    """Write each file beside its target, then rename them all into place, or none: a
    failure leaves the previous files untouched."""
    with StagedFiles() as staged:
        for target, data in contents.items():
            staged.write(target, data)
        staged.commit()


def _move_into_place(staged: list[tuple[Path, Path]]) -> None:
    """Rename each complete temporary file over its target, or none of them."""
    moved: list[tuple[Path, Path | None]] = []
    try:
        for temp, target in staged:
            backup = _temp_name(target, ".bak") if target.exists() else None
            if backup is not None:
                try:
                    os.replace(target, backup)
                except OSError:
                    backup.unlink(missing_ok=True)
                    raise
            moved.append((target, backup))
            os.replace(temp, target)
        _fsync_dirs({target.parent for _, target in staged})
    except OSError as error:
        for target, backup in reversed(moved):
            if backup is not None:
                os.replace(backup, target)
            elif target.is_file():
                target.unlink()
        for temp, _ in staged:
            temp.unlink(missing_ok=True)
        raise ExportError(f"cannot write exports: {error}") from None
    for _, backup in moved:
        if backup is not None:
            backup.unlink(missing_ok=True)


def _fsync(stream: IO[bytes]) -> None:
    stream.flush()
    os.fsync(stream.fileno())


def _temp_name(target: Path, suffix: str) -> Path:
    handle, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=suffix)
    os.close(handle)
    return Path(name)


def _fsync_dirs(folders: set[Path]) -> None:
    for folder in folders:
        descriptor = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)
