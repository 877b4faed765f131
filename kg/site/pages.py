"""The HTML pages of the site: one per paper, one per person, and the index.

Jinja2 writes them with autoescaping on; the only text it inserts unescaped is the embedded
JSON-LD, which :func:`kg.site.structured.script_json` has made safe for a ``<script>``
element. Every link is relative (``root`` leads back to the site's root), so a site works
from ``file://`` and under any base path; only ``http(s)`` IRIs of the graph become links
to elsewhere, so no ``javascript:`` IRI is ever clickable.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import quote

import pyoxigraph as ox
from jinja2 import Environment, PackageLoader, StrictUndefined

from kg.namespaces import OX_BIBO, OX_SCHEMA
from kg.site.network import Network
from kg.site.settings import SiteSettings
from kg.site.structured import paper_jsonld, person_jsonld, script_json
from kg.site.view import (
    ABSTRACT,
    ALTERNATE_NAME,
    SAME_AS,
    SEE_ALSO,
    GraphView,
    has_type,
    owner_names,
    papers_of,
    read_view,
)

_SAFE_STEM = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*(?:\.[A-Za-z0-9_-]+)*")
_MAX_STEM = 150
_WIKIDATA_ITEM = re.compile(r"^https?://www\.wikidata\.org/entity/(Q[0-9]+)$")
_WEB = re.compile(r"^https?://", re.IGNORECASE)

_ENV = Environment(
    loader=PackageLoader("kg.site", "templates"),
    autoescape=True,
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
)


@dataclass(frozen=True)
class Link:
    """Text, and where it leads (None: no page to go to, shown as text)."""

    text: str
    href: str | None = None
    strong: bool = False


@dataclass(frozen=True)
class PaperItem:
    title: Link
    authors: tuple[Link, ...]


@dataclass(frozen=True)
class DataFile:
    """A file of the site's data section: name, what it is, its size."""

    name: str
    href: str
    what: str
    size: int


@dataclass(frozen=True)
class Frame:
    """What every page of one site shares."""

    title: str
    root: str
    base_url: str | None = None


def site_title(store: ox.Store, settings: SiteSettings) -> str:
    """The configured title, else "Publications of" the list owners."""
    if settings.title is not None:
        return settings.title
    names = owner_names(store)
    return f"Publications of {_join(names)}" if names else "Publications"


def page_path(view: GraphView, iri: str) -> str | None:
    """Where the page of a paper or person lives in the site, e.g. ``paper/x.html``: the
    IRI's last segment under a folder for its kind, like the IRI's path under the base."""
    if iri in view.authors:
        return f"paper/{file_stem(iri)}.html"
    if view.is_person(iri):
        return f"person/{file_stem(iri)}.html"
    return None


def file_stem(iri: str) -> str:
    """The IRI's last path segment when it is a plain file name (kg's slugs always are),
    else a hash of the whole IRI."""
    tail = iri.rsplit("/", 1)[-1]
    if len(tail) <= _MAX_STEM and _SAFE_STEM.fullmatch(tail):
        return tail
    return "iri-" + hashlib.sha256(iri.encode()).hexdigest()[:20]


def entity_jsonld(store: ox.Store, iri: str) -> dict[str, Any] | None:
    """The JSON-LD that the page of paper or person ``iri`` embeds; None for an IRI that
    names neither."""
    focused = _focus(store, iri)
    if focused is None:
        return None
    return entity_data(focused, iri)


def entity_page(
    store: ox.Store,
    iri: str,
    *,
    root: str,
    config: SiteSettings | None = None,
    base_url: str | None = None,
) -> str | None:
    """The HTML page of paper or person ``iri``, its links relative to ``root`` (the path
    from the page to the site's root, e.g. ``"../"``); None for an IRI that names neither.
    With ``base_url`` (where the site is served) the page names its canonical URL."""
    focused = _focus(store, iri)
    if focused is None:
        return None
    frame = Frame(site_title(store, config or SiteSettings()), root, base_url)
    return render_entity(focused, iri, frame, entity_data(focused, iri))


def entity_data(view: GraphView, iri: str) -> dict[str, Any]:
    """The JSON-LD of a paper or person of ``view``."""
    return paper_jsonld(view, iri) if iri in view.authors else person_jsonld(view, iri)


def render_entity(view: GraphView, iri: str, frame: Frame, data: dict[str, Any]) -> str:
    """The page of a paper or person of ``view``, embedding ``data``."""
    if iri in view.authors:
        return paper_page(view, iri, frame, data)
    return person_page(view, iri, frame, data)


def paper_page(view: GraphView, iri: str, frame: Frame, data: dict[str, Any]) -> str:
    node = view.node(iri)
    lists = [
        (Link(view.node(item.iri).label), [_entity_link(view, o, frame) for o in item.owners])
        for item in view.lists_of(iri)
    ]
    return _render(
        "paper.html.j2",
        view,
        iri,
        frame,
        data,
        title=node.label,
        authors=[_entity_link(view, author, frame) for author in view.authors[iri]],
        abstracts=node.texts(ABSTRACT),
        same_as=[_outbound(link) for link in node.iris(SAME_AS)],
        see_also=[_outbound(link) for link in node.iris(SEE_ALSO)],
        lists=lists,
    )


def person_page(view: GraphView, iri: str, frame: Frame, data: dict[str, Any]) -> str:
    node = view.node(iri)
    return _render(
        "person.html.j2",
        view,
        iri,
        frame,
        data,
        name=node.label,
        other_names=[name for name in node.texts(ALTERNATE_NAME) if name != node.label],
        same_as=[_outbound(link) for link in node.iris(SAME_AS)],
        papers=[_paper_item(view, paper, frame, {iri}) for paper in view.papers_of(iri)],
        coauthors=[
            (_entity_link(view, person, frame), count) for person, count in view.coauthors(iri)
        ],
    )


def index_page(
    view: GraphView,
    frame: Frame,
    network: Network | None,
    settings: SiteSettings,
    data_files: Sequence[DataFile],
) -> str:
    owners = set(view.owners)
    return _ENV.get_template("index.html.j2").render(
        frame=frame,
        canonical=frame.base_url,
        owners=[_entity_link(view, owner, frame) for owner in view.owners],
        lists=len(view.lists),
        counts={
            "papers": len(view.papers),
            "people": len(view.persons),
            "links": len(view.coauthor_pairs),
        },
        network=network,
        href=lambda person: _href(view, person, frame),
        papers=[_paper_item(view, paper, frame, owners) for paper in view.papers],
        data_files=data_files,
        license=_outbound(settings.license) if settings.license else None,
        publisher=_publisher(settings),
    )


def _render(
    template: str, view: GraphView, iri: str, frame: Frame, data: dict[str, Any], **values: Any
) -> str:
    path = page_path(view, iri) or ""
    stem = path.removesuffix(".html")
    return _ENV.get_template(template).render(
        frame=frame,
        canonical=f"{frame.base_url}{quote(path)}" if frame.base_url else None,
        jsonld=script_json(data),
        jsonld_href=f"{frame.root}{stem}.jsonld",
        turtle_href=f"{frame.root}{stem}.ttl",
        **values,
    )


def _focus(store: ox.Store, iri: str) -> GraphView | None:
    """The part of the graph the page of ``iri`` shows: the paper with its authors and
    lists, or the person with their papers and co-authors."""
    if has_type(store, iri, OX_BIBO.Document):
        return read_view(store, papers=[iri])
    if has_type(store, iri, OX_SCHEMA.Person):
        return read_view(store, papers=papers_of(store, iri), persons=[iri])
    return None


def _paper_item(view: GraphView, paper: str, frame: Frame, stressed: set[str]) -> PaperItem:
    return PaperItem(
        Link(view.node(paper).label, _href(view, paper, frame)),
        tuple(_entity_link(view, a, frame, a in stressed) for a in view.authors[paper]),
    )


def _entity_link(view: GraphView, iri: str, frame: Frame, strong: bool = False) -> Link:
    return Link(view.node(iri).label, _href(view, iri, frame), strong)


def _href(view: GraphView, iri: str, frame: Frame) -> str | None:
    path = page_path(view, iri)
    return None if path is None else frame.root + quote(path)


def _outbound(iri: str) -> Link:
    """A link to elsewhere: Wikidata items by their QID, web pages by their address; any
    other IRI is shown, not linked."""
    item = _WIKIDATA_ITEM.match(iri)
    text = f"Wikidata {item.group(1)}" if item else iri
    return Link(text, iri if _WEB.match(iri) else None)


def _publisher(settings: SiteSettings) -> Link | None:
    if settings.publisher_iri is None:
        return None if settings.publisher_name is None else Link(settings.publisher_name)
    link = _outbound(settings.publisher_iri)
    return Link(settings.publisher_name or link.text, link.href)


OWNERS_NAMED: Final = 3
"""Owners a default title names; a lab's hundreds of lists would make every page's title
(and header) longer than its content."""


def _join(names: Sequence[str]) -> str:
    """``A``, ``A and B``, ``A, B and C``; past :data:`OWNERS_NAMED`, ``A, B, C and 9 others``."""
    if len(names) > OWNERS_NAMED:
        return f"{', '.join(names[:OWNERS_NAMED])} and {len(names) - OWNERS_NAMED} others"
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"
