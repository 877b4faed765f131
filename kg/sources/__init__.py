"""Readers: input files in, plain records (``kg.records``) out. They know nothing of RDF."""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from kg.compression import plain_suffix
from kg.errors import InputError
from kg.records import PublicationList
from kg.sources.textlist import read_text_list

READERS = {".txt": read_text_list}
"""Reader by file type; each also reads its gzip-compressed form (``peyrard.txt.gz``)."""


def discover_inputs(paths: Iterable[Path]) -> list[Path]:
    """The input files named by ``paths``: files as given, folders by every readable file inside.

    Sorted by file name and path so the build never depends on the order of arguments or of
    the file system. Two inputs with the same file name are refused: provenance records file
    names, and lists are identified by them.
    """
    found: set[Path] = set()
    for path in paths:
        if path.is_dir():
            found.update(
                child
                for child in path.rglob("*")
                if child.is_file() and plain_suffix(child) in READERS
            )
        elif path.is_file():
            if plain_suffix(path) not in READERS:
                known = ", ".join(sorted(READERS))
                raise InputError(f"unsupported input type (kg reads {known})", path)
            found.add(path)
        else:
            raise InputError("no such file or folder", path)
    files = sorted(found, key=lambda p: (p.name, str(p)))
    by_name: dict[str, Path] = {}
    for file in files:
        if file.name in by_name:
            raise InputError(
                f"two inputs share this file name ({by_name[file.name]} and {file}); "
                "rename one so provenance stays unambiguous",
                file,
            )
        by_name[file.name] = file
    if not files:
        raise InputError("no publication lists found in the given inputs")
    return files


PARALLEL_FROM = 8
"""Below this many files, starting worker processes costs more than it saves."""


def read_inputs(files: Sequence[Path], workers: int | None = None) -> Iterator[PublicationList]:
    """Read each input file with the reader for its type, yielding lists in file order.

    Reading is CPU-bound (LaTeX conversion), so many files are read by ``workers``
    processes (default: one per core); results still come in file order, so nothing
    downstream depends on scheduling.
    """
    count = min(os.cpu_count() or 1, len(files)) if workers is None else workers
    if count <= 1 or len(files) < PARALLEL_FROM:
        yield from map(read_input_file, files)
        return
    with ProcessPoolExecutor(max_workers=count) as pool:
        yield from pool.map(read_input_file, files, chunksize=8)


def read_input_file(file: Path) -> PublicationList:
    """One input file, read by the reader for its type."""
    return READERS[plain_suffix(file)](file)
