"""Readers: input files in, plain records (``kg.records``) out. They know nothing of RDF."""

from __future__ import annotations

import gc
import hashlib
import os
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from kg import __version__
from kg.cachefile import CacheFile
from kg.compression import plain_suffix
from kg.errors import InputError
from kg.records import RECORDS_FORMAT, PublicationList, list_from_json, list_to_json
from kg.sources.bibtex import read_bibtex
from kg.sources.csljson import read_csl_json
from kg.sources.textlist import read_text_list

READERS = {".txt": read_text_list, ".bib": read_bibtex, ".json": read_csl_json}
"""Reader by file type (CSL-JSON for ``.json``); each also reads its gzip-compressed form
(``peyrard.txt.gz``)."""


def discover_inputs(paths: Iterable[Path]) -> list[Path]:
    """The input files named by ``paths``: files as given, folders by every readable file inside.

    Sorted by file name and path so the build never depends on the order of arguments or of
    the file system. Two inputs with the same file name are refused: provenance records file
    names, and lists are identified by them. Messages name a path as the user gave it.
    """
    paths = list(paths)
    known = ", ".join(sorted(READERS))
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
                raise InputError(f"{path}: unsupported input type (kg reads {known})")
            found.add(path)
        else:
            raise InputError(f"{path}: no such file or folder")
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
        given = ", ".join(map(str, paths))
        raise InputError(f"no publication lists ({known}, or gzipped) found in {given}")
    return files


PARALLEL_FROM = 8
"""Below this many files, starting worker processes costs more than it saves."""


def read_inputs(
    files: Sequence[Path], workers: int | None = None, cache: CacheFile | None = None
) -> Iterator[PublicationList]:
    """Read each input file with the reader for its type, yielding lists in file order.

    Reading is CPU-bound (LaTeX conversion), so many files are read by ``workers``
    processes (default: one per core); results still come in file order, so nothing
    downstream depends on scheduling. With a ``cache``, a file whose name and bytes the
    last build read already is not read again.
    """
    keys = [_cache_key(file) if cache is not None else "" for file in files]
    known = [cache is not None and key in cache for key in keys]
    fresh = _read_all([file for file, hit in zip(files, known, strict=True) if not hit], workers)
    for key, hit in zip(keys, known, strict=True):
        found = cache.get(key) if cache is not None and hit else None
        publication_list = list_from_json(found) if found is not None else next(fresh)
        if cache is not None and found is None:
            cache.put(key, list_to_json(publication_list))
        yield publication_list


def _read_all(files: Sequence[Path], workers: int | None) -> Iterator[PublicationList]:
    count = min(os.cpu_count() or 1, len(files)) if workers is None else workers
    if count <= 1 or len(files) < PARALLEL_FROM:
        yield from map(read_input_file, files)
        return
    # Forked readers would inherit a build's paused cycle collector, which spares the main
    # process walking the corpus; a reader holds only the list in hand, so it collects.
    with ProcessPoolExecutor(max_workers=count, initializer=gc.enable) as pool:
        yield from pool.map(read_input_file, files, chunksize=8)


def _cache_key(file: Path) -> str:
    """What a list read from ``file`` depends on: kg's version and records format, the name
    and the bytes."""
    digest = hashlib.sha256(f"kg {__version__} {RECORDS_FORMAT}\0{file.name}\0".encode())
    digest.update(file.read_bytes())
    return digest.hexdigest()


def read_input_file(file: Path) -> PublicationList:
    """One input file, read by the reader for its type."""
    return READERS[plain_suffix(file)](file)
