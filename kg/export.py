"""Write the graph as Turtle, JSON-LD and N-Triples: same bytes every run, all or nothing.

rdflib's N-Triples and JSON-LD come out in hash order; they are sorted here. Files are
written to temporary files beside their targets, fsynced and renamed only once every format
has serialized, so a failure leaves the previous exports as they were.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from rdflib import Graph

from kg.compression import GZIP_SUFFIX, gzip_bytes
from kg.errors import ExportError
from kg.namespaces import jsonld_context
from kg.turtle import to_grouped_turtle

Serializer = Callable[[Graph], bytes]


def to_ntriples(graph: Graph) -> bytes:
    """N-Triples with lines sorted (blank-node labels are already content-derived)."""
    text = graph.serialize(format="nt", encoding="utf-8").decode("utf-8")
    lines = sorted(line for line in text.splitlines() if line.strip())
    return "".join(f"{line}\n" for line in lines).encode("utf-8")


def to_turtle(graph: Graph) -> bytes:
    """Readable Turtle with kg's prefixes, each paper followed by its authorships."""
    return to_grouped_turtle(graph)


def to_jsonld(graph: Graph) -> bytes:
    """Compacted JSON-LD with kg's context inline (no network to read it), author lists as
    ``@list``, nodes sorted by ``@id`` and unordered arrays sorted."""
    context = jsonld_context()
    text = graph.serialize(format="json-ld", context=context, auto_compact=True)
    document = _canonical_order(json.loads(text))
    if isinstance(document, dict) and "@graph" not in document:
        # A single node compacts without @graph; keep one shape for readers.
        body = {key: value for key, value in document.items() if key != "@context"}
        document = {"@context": context, "@graph": [body] if body else []}
    return (json.dumps(document, ensure_ascii=False, indent=2, sort_keys=True) + "\n").encode()


def _canonical_order(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            key: (
                [_canonical_order(item) for item in inner]
                if key == "@list" and isinstance(inner, list)
                else _canonical_order(inner)
            )
            for key, inner in value.items()
        }
    if isinstance(value, list):
        items = [_canonical_order(item) for item in value]
        return sorted(items, key=lambda item: json.dumps(item, sort_keys=True, ensure_ascii=False))
    return value


EXPORTS: Mapping[str, Serializer] = {
    "graph.ttl": to_turtle,
    "graph.jsonld": to_jsonld,
    "graph.nt": to_ntriples,
}


def write_exports(graph: Graph, out_dir: Path, compress: bool = False) -> list[Path]:
    """Serialize every format, then write them all atomically into ``out_dir``.

    With ``compress`` the files are gzipped (``graph.nt.gz``…). The other variant of each
    file is removed afterwards, so a folder never holds a stale ``graph.nt`` beside a fresh
    ``graph.nt.gz`` (or the reverse) for ``kg query`` to pick up.
    """
    contents = {
        out_dir / (f"{name}{GZIP_SUFFIX}" if compress else name): (
            gzip_bytes(serialize(graph)) if compress else serialize(graph)
        )
        for name, serialize in EXPORTS.items()
    }
    write_files_atomically(contents)
    for name in EXPORTS:
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
