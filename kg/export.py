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

from kg.batches import Entity
from kg.compression import GZIP_SUFFIX, gzip_bytes
from kg.errors import ExportError
from kg.jsonld import to_jsonld as entities_jsonld
from kg.mapping import IriScheme
from kg.namespaces import jsonld_context, prefixes
from kg.turtle import to_turtle as entities_turtle

Serializer = Callable[[Sequence[Entity], IriScheme], bytes]


def to_ntriples(selected: Sequence[Entity], iris: IriScheme) -> bytes:
    """N-Triples with lines sorted (blank-node labels are content-derived already)."""
    lines = sorted(line for entity in selected for line in entity.own_ntriples.splitlines())
    return "".join(f"{line}\n" for line in lines).encode("utf-8")


def to_turtle(selected: Sequence[Entity], iris: IriScheme) -> bytes:
    """Readable Turtle with kg's prefixes and ``list:``, ``paper:``, ``person:`` under the
    base IRI; each paper followed by its authorships."""
    return entities_turtle(selected, {**prefixes(), **iris.prefixes()})


def to_jsonld(selected: Sequence[Entity], iris: IriScheme) -> bytes:
    """Compact JSON-LD with kg's context inline (no network to read it), author lists as
    ``@list``, nodes sorted by ``@id`` and unordered arrays sorted."""
    return entities_jsonld(selected, jsonld_context())


EXPORTS: Mapping[str, Serializer] = {
    "graph.ttl": to_turtle,
    "graph.jsonld": to_jsonld,
    "graph.nt": to_ntriples,
}


def render_exports(selected: Sequence[Entity], iris: IriScheme) -> dict[str, bytes]:
    """Every export format of the ``selected`` entities, by file name."""
    return {name: serialize(selected, iris) for name, serialize in EXPORTS.items()}


def write_exports(
    rendered: Mapping[str, bytes], out_dir: Path, compress: bool = False
) -> list[Path]:
    """Write the ``rendered`` exports (:func:`render_exports`) atomically into ``out_dir``.

    With ``compress`` the files are gzipped (``graph.nt.gz``…). The other variant of each
    file is removed afterwards, so a folder never holds a stale ``graph.nt`` beside a fresh
    ``graph.nt.gz`` (or the reverse) for ``kg query`` to pick up.
    """
    contents = {
        out_dir / (f"{name}{GZIP_SUFFIX}" if compress else name): (
            gzip_bytes(data) if compress else data
        )
        for name, data in rendered.items()
    }
    write_files_atomically(contents)
    for name in rendered:
        stale = out_dir / (name if compress else f"{name}{GZIP_SUFFIX}")
        stale.unlink(missing_ok=True)
    return list(contents)


def write_files_atomically(contents: Mapping[Path, bytes]) -> None:
    """Write each file to a temporary sibling and fsync it; only then move them all into place.

    If any step fails, files already moved are put back from their backups and temporary
    files are removed, so the targets end as they began.
    """
    staged: list[tuple[Path, Path]] = []
    moved: list[tuple[Path, Path | None]] = []
    try:
        for target, data in contents.items():
            target.parent.mkdir(parents=True, exist_ok=True)
            staged.append((_write_temp(target, data), target))
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


def _temp_name(target: Path, suffix: str) -> Path:
    handle, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=suffix)
    os.close(handle)
    return Path(name)


def _write_temp(target: Path, data: bytes) -> Path:
    temp = _temp_name(target, ".tmp")
    with temp.open("wb") as stream:
        stream.write(data)
        stream.flush()
        os.fsync(stream.fileno())
    return temp


def _fsync_dirs(folders: set[Path]) -> None:
    for folder in folders:
        descriptor = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)
