"""An on-disk Oxigraph store of the built graph, for queries on graphs too big to reload.

``kg build --store DIR`` writes the validated graph into an Oxigraph store (RocksDB) in DIR;
``kg query --store DIR`` opens it read-only. A store is built in a temporary sibling folder
and swapped into place only when complete, so a failed build leaves the previous store.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pyoxigraph as ox

from kg.compression import open_input
from kg.errors import ExportError, InputError


def write_store(ntriples: Path, path: Path) -> None:
    """Replace the store at ``path`` by one holding the triples of the N-Triples file
    ``ntriples`` (the build's export, gzipped or not: Oxigraph loads that format fastest)."""
    path = path.resolve()
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists() and not _is_store(path):
        raise ExportError(f"{path} exists and is not a kg store: refusing to replace it")
    staging = Path(tempfile.mkdtemp(dir=path.parent, prefix=f".{path.name}.", suffix=".new"))
    backup = path.parent / f".{path.name}.old"
    try:
        store = ox.Store(str(staging))
        with open_input(ntriples) as source:
            store.bulk_load(source, format=ox.RdfFormat.N_TRIPLES)
        store.flush()
        del store  # closes the database before it moves
        shutil.rmtree(backup, ignore_errors=True)
        if path.exists():
            path.rename(backup)
        staging.rename(path)
    except (OSError, ValueError, SyntaxError) as error:
        shutil.rmtree(staging, ignore_errors=True)
        if backup.exists() and not path.exists():
            backup.rename(path)
        raise ExportError(f"cannot write the store {path}: {error}") from None
    shutil.rmtree(backup, ignore_errors=True)


def open_store(path: Path) -> ox.Store:
    """The store at ``path``, read-only: queries can never change it."""
    if not _is_store(path):
        raise InputError(f"no kg store in {path}: build one with `kg build --store {path}`")
    try:
        return ox.Store.read_only(str(path))
    except OSError as error:
        raise InputError(f"cannot open the store: {error}", path) from None


def _is_store(path: Path) -> bool:
    """A folder Oxigraph (RocksDB) made: it has a CURRENT file."""
    return (path / "CURRENT").is_file()
