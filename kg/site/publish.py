"""``publish``: the graph as a static web site, written all at once or not at all.

The site holds an index (owners, papers, headline numbers, the co-author network), one page
per paper, person and venue at ``paper/<slug>.html``, ``person/<slug>.html`` and
``venue/<slug>.html`` (the paths of their IRIs under the base), each with its JSON-LD
(``.jsonld``) and that JSON-LD's triples (``.ttl``) beside it, ``void.ttl``, and the graph's
dumps when given. Every file is rendered into a staging folder inside the site's folder and
all are moved into place together (:class:`kg.export.StagedFiles`, one page in memory at a
time), so a failure leaves the previous site as it was, and a killed publish only a staging
folder that the next one removes; files of the previous site that the new one no longer has (a
renamed person) are removed afterwards, and only those: ``.kg-site`` lists what kg wrote.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from urllib.parse import quote

import pyoxigraph as ox

from kg.compression import GZIP_SUFFIX
from kg.errors import ConfigError, ExportError, InputError
from kg.export import StagedFiles
from kg.rdfio import rdf_format_for
from kg.site.network import centre_of, layout
from kg.site.pages import (
    DataFile,
    Frame,
    entity_data,
    index_page,
    page_path,
    render_entity,
    site_title,
)
from kg.site.settings import SiteSettings
from kg.site.structured import jsonld_turtle, script_json
from kg.site.view import GraphView, read_view
from kg.site.void import Dump, count_triples, void_turtle
from kg.terms import iri_problem

MANIFEST = ".kg-site"
_BASE_URL = re.compile(r"^https?://[^/?#\s]+(?:/[^?#\s]*)?$", re.IGNORECASE)
_MEDIA_TYPES = {
    "turtle": ("text/turtle", "Turtle"),
    "ntriples": ("application/n-triples", "N-Triples"),
    "nquads": ("application/n-quads", "N-Quads"),
    "trig": ("application/trig", "TriG"),
    "json-ld": ("application/ld+json", "JSON-LD"),
    "rdf/xml": ("application/rdf+xml", "RDF/XML"),
}


@dataclass(frozen=True)
class PublishReport:
    out_dir: Path
    files: tuple[Path, ...]
    """Every file of the site, sorted."""
    removed: tuple[Path, ...]
    """Files of the previous site that the new one no longer has."""
    papers: int
    persons: int
    coauthor_links: int
    """Distinct pairs of persons who share a paper."""
    triples: int


def publish(
    store: ox.Store,
    out_dir: Path,
    *,
    base_url: str | None = None,
    config: SiteSettings | None = None,
    dumps: Sequence[Path] = (),
) -> PublishReport:
    """Write the static site of the graph in ``store`` into ``out_dir``.

    ``base_url`` is where the site will be served (``https://lab.example.org/kg/``); it goes
    into ``void.ttl`` and the pages' canonical links, while links between pages stay
    relative. ``dumps`` are files of the same graph (``graph.ttl``…) to ship in the site's
    root; ``void.ttl`` names them as its downloads.
    """
    settings = config or SiteSettings()
    base = normalised_base_url(base_url) if base_url is not None else None
    view = read_view(store)
    if not view.papers:
        raise InputError("nothing to publish: the graph has no paper (bibo:Document)")
    title = site_title(store, settings)
    shipped = _dumps(dumps)
    written: set[str] = set()
    with StagedFiles(out_dir) as staged:

        def put(name: str, data: bytes) -> None:
            staged.write(out_dir / name, data)
            written.add(name)

        _write_entity_files(view, Frame(title, "../", base), put)
        for dump, source, _ in shipped:
            put(dump.name, _read_dump(source))
        dumped = [dump for dump, _, _ in shipped]
        put(
            "void.ttl",
            void_turtle(store, view, title=title, settings=settings, base_url=base, dumps=dumped),
        )
        data_files = [
            DataFile("void.ttl", "void.ttl", "what this dataset is (VoID and DCAT)", 0),
            *(DataFile(d.name, quote(d.name), what, d.size) for d, _, what in shipped),
        ]
        centre = centre_of(view)
        network = layout(view, centre) if centre is not None else None
        put(
            "index.html",
            index_page(view, Frame(title, "", base), network, settings, data_files).encode(),
        )
        put(MANIFEST, "".join(f"{name}\n" for name in sorted({*written, MANIFEST})).encode())
        previous = _previous_files(out_dir)
        staged.commit()
    removed = []
    for stale in sorted(previous - written):
        with suppress(OSError):  # a stale page left behind is harmless
            (out_dir / stale).unlink()
            removed.append(out_dir / stale)
    return PublishReport(
        out_dir=out_dir,
        files=tuple(out_dir / name for name in sorted(written)),
        removed=tuple(removed),
        papers=len(view.papers),
        persons=len(view.persons),
        coauthor_links=len(view.coauthor_pairs),
        triples=count_triples(store),
    )


def _write_entity_files(view: GraphView, frame: Frame, put: Callable[[str, bytes], None]) -> None:
    """Each paper's, person's and venue's page, with its JSON-LD and that JSON-LD's Turtle
    beside it."""
    owners: dict[str, str] = {}
    for iri in (*view.papers, *view.persons, *view.venues):
        path = page_path(view, iri) or ""
        clash = owners.setdefault(path.casefold(), iri)  # one file on case-blind disks too
        if clash != iri:
            raise ExportError(f"cannot publish: {clash} and {iri} would both be {path}")
        data = entity_data(view, iri)
        stem = path.removesuffix(".html")
        put(path, render_entity(view, iri, frame, data).encode())
        put(f"{stem}.jsonld", (script_json(data) + "\n").encode())
        put(f"{stem}.ttl", jsonld_turtle(data))


def normalised_base_url(url: str) -> str:
    """``url`` with a final ``/``, checked to be an absolute http(s) URL."""
    normal = url if url.endswith("/") else f"{url}/"
    if not _BASE_URL.match(normal) or iri_problem(normal) is not None:
        raise ConfigError(
            f"base URL {url!r} must be an absolute http(s) URL without query or fragment, "
            "e.g. https://lab.example.org/kg/"
        )
    return normal


def _dumps(paths: Sequence[Path]) -> list[tuple[Dump, Path, str]]:
    """Each dump with its file and a few words on what it is; read later, one at a time."""
    shipped: list[tuple[Dump, Path, str]] = []
    names = {"index.html", "void.ttl", MANIFEST}
    for path in paths:
        media_type, label = _MEDIA_TYPES[rdf_format_for(path)]
        if path.name in names:
            raise ConfigError(f"two files of the site would be called {path.name}")
        names.add(path.name)
        try:
            size = path.stat().st_size
        except OSError as error:
            raise InputError(f"cannot read: {error.strerror}", path) from None
        gzipped = path.name.endswith(GZIP_SUFFIX)
        what = f"the whole graph, {'gzipped ' if gzipped else ''}{label}"
        shipped.append((Dump(path.name, media_type, gzipped, size), path, what))
    return shipped


def _read_dump(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as error:
        raise InputError(f"cannot read: {error.strerror}", path) from None


def _previous_files(out_dir: Path) -> set[str]:
    """What the previous publish into ``out_dir`` wrote, from its manifest; only plain
    relative paths inside the folder are believed."""
    try:
        lines = (out_dir / MANIFEST).read_text(encoding="utf-8").split("\n")
    except (OSError, UnicodeDecodeError):
        return set()
    return {
        line
        for line in lines
        if line
        and not PurePosixPath(line).is_absolute()
        and ".." not in PurePosixPath(line).parts
        and "\\" not in line
    }


def describe_dataset(store: ox.Store, base_url: str, config: SiteSettings | None = None) -> bytes:
    """``void.ttl`` for the graph served live at ``base_url`` (its SPARQL endpoint at
    ``base_url`` + ``sparql``), without dumps: what ``kg serve`` answers at ``/void.ttl``."""
    settings = config or SiteSettings()
    return void_turtle(
        store,
        read_view(store),
        title=site_title(store, settings),
        settings=settings,
        base_url=normalised_base_url(base_url),
        dumps=(),
    )
