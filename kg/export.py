"""Write the graph as Turtle, JSON-LD and N-Triples: same bytes every run, all or nothing.

Each format is written from the mapped entities, one entity at a time, without building an
rdflib graph: Oxigraph writes the N-Triples and Turtle, :mod:`kg.jsonld` the JSON-LD.
Files are written to temporary files beside their targets, fsynced and renamed only once
every format has serialized, so a failure leaves the previous exports as they were.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import IO

from kg.batches import Entity
from kg.compression import GZIP_SUFFIX, gzip_output
from kg.errors import ExportError
from kg.jsonld import write_jsonld
from kg.mapping import IriScheme
from kg.namespaces import jsonld_context, prefixes
from kg.turtle import write_turtle

Serializer = Callable[[Sequence[Entity], IriScheme, IO[bytes]], None]
Writer = Callable[[IO[bytes]], None]


def write_ntriples(selected: Sequence[Entity], iris: IriScheme, out: IO[bytes]) -> None:
    """N-Triples with lines sorted (blank-node labels are content-derived already)."""
    lines = sorted(line for entity in selected for line in entity.own_ntriples.splitlines())
    for line in lines:
        out.write(f"{line}\n".encode())


def write_kg_turtle(selected: Sequence[Entity], iris: IriScheme, out: IO[bytes]) -> None:
    """Readable Turtle with kg's prefixes and ``list:``, ``paper:``, ``person:`` under the
    base IRI; each paper followed by its authorships."""
    write_turtle(selected, {**prefixes(), **iris.prefixes()}, out)


def write_kg_jsonld(selected: Sequence[Entity], iris: IriScheme, out: IO[bytes]) -> None:
    """Compact JSON-LD with kg's context inline (no network to read it), author lists as
    ``@list``, nodes sorted by ``@id`` and unordered arrays sorted."""
    write_jsonld(selected, jsonld_context(), out)


EXPORTS: Mapping[str, Serializer] = {
    "graph.ttl": write_kg_turtle,
    "graph.jsonld": write_kg_jsonld,
    "graph.nt": write_ntriples,
}


def write_exports(
    selected: Sequence[Entity], iris: IriScheme, out_dir: Path, compress: bool = False
) -> list[Path]:
    """Write every format of the ``selected`` entities atomically into ``out_dir``, each
    straight to its file (never all formats in memory at once).

    With ``compress`` the files are gzipped (``graph.nt.gz``…). The other variant of each
    file is removed afterwards, so a folder never holds a stale ``graph.nt`` beside a fresh
    ``graph.nt.gz`` (or the reverse) for ``kg query`` to pick up.
    """

    def writer(serialize: Serializer) -> Writer:
        def write(raw: IO[bytes]) -> None:
            if not compress:
                serialize(selected, iris, raw)
                return
            with gzip_output(raw) as stream:
                serialize(selected, iris, stream)

        return write

    writers = {
        out_dir / (f"{name}{GZIP_SUFFIX}" if compress else name): writer(serialize)
        for name, serialize in EXPORTS.items()
    }
    write_files_atomically(writers)
    for name in EXPORTS:
        stale = out_dir / (name if compress else f"{name}{GZIP_SUFFIX}")
        stale.unlink(missing_ok=True)
    return list(writers)


def write_files_atomically(writers: Mapping[Path, Writer]) -> None:
    """Write each file to a temporary sibling and fsync it; only then move them all into place.

    If any step fails (a writer raising included), files already moved are put back from
    their backups and temporary files are removed, so the targets end as they began.
    """
    staged: list[tuple[Path, Path]] = []
    moved: list[tuple[Path, Path | None]] = []
    try:
        for target, write in writers.items():
            target.parent.mkdir(parents=True, exist_ok=True)
            temp = _temp_name(target, ".tmp")
            staged.append((temp, target))
            with temp.open("wb") as stream:
                write(stream)
                stream.flush()
                os.fsync(stream.fileno())
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
    except BaseException as error:
        for target, backup in reversed(moved):
            if backup is not None:
                os.replace(backup, target)
            elif target.is_file():
                target.unlink()
        for temp, _ in staged:
            temp.unlink(missing_ok=True)
        if isinstance(error, OSError):
            raise ExportError(f"cannot write exports: {error}") from None
        raise
    for _, backup in moved:
        if backup is not None:
            backup.unlink(missing_ok=True)


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
