"""Write the graph as Turtle, JSON-LD and N-Triples: same bytes every run, all or nothing.

Each format is written from the mapped entities as they stream past, without building an
rdflib graph: Oxigraph writes the N-Triples and Turtle, :mod:`kg.jsonld` the JSON-LD; with a
build cache, an entity whose own triples the last exports hold unchanged has its Turtle and
JSON-LD copied from them (:mod:`kg.export_index`). The
files grow in the build's staging folder inside the output folder (:mod:`kg.staging`) and
are fsynced and renamed into place only once every format is complete, so a failure (or
violations found meanwhile) leaves the previous exports as they were, and a build killed
half-way leaves only a staging folder that the next build removes.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterable, Iterator, Mapping
from contextlib import ExitStack, suppress
from pathlib import Path
from types import TracebackType
from typing import IO

from kg.batches import Entity
from kg.compression import GZIP_SUFFIX, gzip_output
from kg.errors import ExportError
from kg.export_index import EntityText, ExportIndex, fingerprint, own_digest
from kg.iris import IriScheme
from kg.jsonld import JsonLdWriter
from kg.namespaces import jsonld_context, prefixes
from kg.ntriples import SortedNTriples
from kg.staging import Staging
from kg.turtle import TurtleWriter

EXPORT_NAMES = ("graph.ttl", "graph.jsonld", "graph.nt")


class ExportFiles:
    """The three export files of one build, filled entity by entity (in IRI order) in the
    build's staging folder (:mod:`kg.staging`) and moved into place together by
    :meth:`commit`; leaving the ``with`` block without committing removes them."""

    def __init__(
        self, out_dir: Path, iris: IriScheme, compress: bool = False, cache_dir: Path | None = None
    ) -> None:
        """With ``cache_dir`` (and not ``compress``), entities whose own triples the last
        exports there hold unchanged are copied from them (:mod:`kg.export_index`)."""
        self.out_dir = out_dir
        self.compress = compress
        self._stack = ExitStack()
        self._created = [folder for folder in (out_dir, *out_dir.parents) if not folder.exists()]
        self._staging = Staging(out_dir)
        self._targets: dict[str, Path] = {}
        self._index: ExportIndex | None = None
        turtle_prefixes = {**prefixes(), **iris.prefixes()}
        try:
            out_dir.mkdir(parents=True, exist_ok=True)
            self._staging.open()
            streams = {name: self._open(name) for name in EXPORT_NAMES}
            if cache_dir is not None and not compress:
                written_with = fingerprint(turtle_prefixes, jsonld_context())
                self._index = ExportIndex(cache_dir, out_dir, self._staging.path, written_with)
        except (OSError, sqlite3.Error) as error:
            self._abandon()
            raise ExportError(f"cannot write exports: {error}") from None
        self._turtle = TurtleWriter(streams["graph.ttl"], turtle_prefixes)
        self._jsonld = JsonLdWriter(streams["graph.jsonld"], jsonld_context())
        self._ntriples = SortedNTriples(streams["graph.nt"], self._staging.path)
        self._finished = False
        self._committed = False

    def _open(self, name: str) -> IO[bytes]:
        self._targets[name] = self.out_dir / (f"{name}{GZIP_SUFFIX}" if self.compress else name)
        raw = self._stack.enter_context(self.staged(name).open("xb"))
        self._stack.callback(_fsync, raw)  # runs before the file closes
        return self._stack.enter_context(gzip_output(raw)) if self.compress else raw

    def __enter__(self) -> ExportFiles:
        return self

    @property
    def triples(self) -> int:
        """Triples written so far."""
        return self._ntriples.count

    def staged(self, name: str) -> Path:
        """Where the export ``name`` (``graph.nt``…) grows until :meth:`commit` moves it;
        complete once :meth:`finish` has run."""
        return self._staging.path / self._targets[name].name

    @property
    def copied(self) -> int:
        """Entities whose Turtle and JSON-LD were copied from the last exports."""
        return self._index.copied if self._index is not None else 0

    def add(self, entity: Entity) -> None:
        try:
            self._add(entity)
        except OSError as error:  # a full disk, a file size limit
            raise ExportError(f"cannot write exports: {error}") from None

    def _add(self, entity: Entity) -> None:
        own = entity.own_ntriples
        if self._index is None:
            self._turtle.add(entity)
            self._jsonld.add(entity)
        else:
            digest = own_digest(own)
            text = self._index.copy(entity.iri, digest) or EntityText(
                self._turtle.text(entity.own_triples), self._jsonld.items(entity)
            )
            turtle_at = self._turtle.write(text.turtle)
            jsonld_at = self._jsonld.write(text.jsonld) if text.jsonld is not None else 0
            self._index.record(entity.iri, digest, text, turtle_at, jsonld_at)
        self._ntriples.add(own)

    def writing(self, entities: Iterable[Entity]) -> Iterator[Entity]:
        """``entities``, each written as it passes."""
        for entity in entities:
            self.add(entity)
            yield entity

    def finish(self) -> None:
        """Complete every staged file (sorted, flushed, fsynced), not yet moving them."""
        if self._finished:
            return
        try:
            self._jsonld.close()
            self._ntriples.close()
            self._stack.close()
        except OSError as error:
            raise ExportError(f"cannot write exports: {error}") from None
        self._finished = True

    def commit(self) -> list[Path]:
        """Finish every file and move them all into place; returns the files written.

        With ``compress`` the files are gzipped (``graph.nt.gz``…). The other variant of each
        file is removed, so a folder never holds a stale ``graph.nt`` beside a fresh
        ``graph.nt.gz`` (or the reverse) for ``kg query`` to pick up.
        """
        self.finish()
        staged = [(self.staged(name), target) for name, target in self._targets.items()]
        _move_into_place(staged, self._staging.path)
        self._committed = True
        if self._index is not None:
            self._index.save()
        for name in EXPORT_NAMES:
            stale = self.out_dir / (name if self.compress else f"{name}{GZIP_SUFFIX}")
            stale.unlink(missing_ok=True)
        self._staging.close()
        return list(self._targets.values())

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if not self._committed:
            self._ntriples.discard()
            self._abandon()

    def _abandon(self) -> None:
        if self._index is not None:
            self._index.close()
        with suppress(OSError):  # the files are going away anyway
            self._stack.close()
        self._staging.close()
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


def exported_ntriples(out_dir: Path) -> Path | None:
    """The N-Triples export ``out_dir`` holds now (gzipped or not), if any."""
    for name in ("graph.nt", f"graph.nt{GZIP_SUFFIX}"):
        if (out_dir / name).is_file():
            return out_dir / name
    return None


class StagedFiles:
    """Files under ``root`` written one by one into a staging folder inside ``root`` and
    moved into place together, or not at all: a failure (or leaving the ``with`` block
    without :meth:`commit`) leaves the previous files untouched. Only one file's bytes are
    held at a time, and the staged files reach the disk with one ``sync`` instead of one
    ``fsync`` each, which is what makes a site of a hundred thousand pages affordable."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._staging = Staging(root)
        self._staged: list[tuple[Path, Path]] = []
        self._made: list[Path] = []
        """Folders this staging created, removed again if it is abandoned."""

    def __enter__(self) -> StagedFiles:
        try:
            self._make_folder(self.root)
            self._staging.open()
        except OSError as error:
            self._abandon()
            raise ExportError(
                f"cannot write {error.filename or self.root}: {error.strerror}"
            ) from None
        return self

    def write(self, target: Path, data: bytes) -> None:
        """Stage ``data`` for ``target``, a path inside ``root``."""
        try:
            self._make_folder(target.parent)
            temp = self._staging.path / target.relative_to(self.root)
            temp.parent.mkdir(parents=True, exist_ok=True)
            with temp.open("xb") as stream:
                stream.write(data)
            self._staged.append((temp, target))
        except OSError as error:
            raise ExportError(
                f"cannot write {error.filename or target}: {error.strerror}"
            ) from None

    def commit(self) -> None:
        os.sync()
        _move_into_place(self._staged, self._staging.path)
        self._staged, self._made = [], []
        self._staging.close()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._abandon()

    def _make_folder(self, folder: Path) -> None:
        missing = [f for f in (folder, *folder.parents) if not f.exists()]
        folder.mkdir(parents=True, exist_ok=True)
        self._made.extend(reversed(missing))

    def _abandon(self) -> None:
        self._staging.close()
        for folder in reversed(self._made):  # abandoned: leave no folder behind either
            with suppress(OSError):
                folder.rmdir()
        self._staged, self._made = [], []


def replace_files(contents: Mapping[Path, bytes]) -> None:
    """Write each file, then rename them all into place, or none: a failure leaves the
    previous files untouched. They are staged in the folder that holds them all."""
    root = Path(os.path.commonpath([target.parent for target in contents]))
    with StagedFiles(root) as staged:
        for target, data in contents.items():
            staged.write(target, data)
        staged.commit()


def _move_into_place(staged: list[tuple[Path, Path]], staging: Path) -> None:
    """Rename each complete staged file over its target, or none of them. A target's
    previous file is kept as a hard link in ``staging`` until all have moved, so a failure
    can put it back, and a target is never missing, not even for a moment (where the file
    system has no hard links, it is moved there instead)."""
    moved: list[tuple[Path, Path | None]] = []
    try:
        for index, (temp, target) in enumerate(staged):
            backup = staging / f"previous-{index}" if target.exists() else None
            if backup is not None:
                try:
                    os.link(target, backup)
                except OSError:
                    if not target.is_file():
                        raise
                    os.replace(target, backup)
            moved.append((target, backup))
            os.replace(temp, target)
        _fsync_dirs({target.parent for _, target in staged})
    except OSError as error:
        for target, backup in reversed(moved):
            if backup is not None and backup.exists():
                os.replace(backup, target)
            elif target.is_file():
                target.unlink()
        raise ExportError(f"cannot write exports: {error}") from None


def _fsync(stream: IO[bytes]) -> None:
    stream.flush()
    os.fsync(stream.fileno())


def _fsync_dirs(folders: set[Path]) -> None:
    for folder in folders:
        descriptor = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)
