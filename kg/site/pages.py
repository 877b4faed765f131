"""The HTML pages of the site: one per paper, person and venue, and the index.

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
from urllib.parse import quote, unquote

import pyoxigraph as ox
from jinja2 import Environment, PackageLoader, StrictUndefined

from kg.fields import MONTHS, arxiv_iri, doi_iri
from kg.mapping import WORK_CLASSES
from kg.namespaces import OX_BIBO, OX_SCHEMA, OX_XSD
from kg.site.network import Network
from kg.site.settings import SiteSettings
from kg.site.structured import paper_jsonld, person_jsonld, script_json, venue_jsonld
from kg.site.view import (
    ABSTRACT,
    ALTERNATE_NAME,
    DATE_PUBLISHED,
    DOI,
    IDENTIFIER,
    IN_SUPPORT_OF,
    ISSUE,
    KEYWORDS,
    PAGINATION,
    SAME_AS,
    SEE_ALSO,
    TRUNCATED,
    TYPE,
    URL,
    VOLUME,
    GraphView,
    Node,
    has_type,
    owner_names,
    papers_in,
    papers_of,
    read_view,
)

_SAFE_STEM = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*(?:\.[A-Za-z0-9_-]+)*")
_MAX_STEM = 150
_WIKIDATA_ITEM = re.compile(r"^https?://www\.wikidata\.org/entity/(Q[0-9]+)$")
_WEB = re.compile(r"^https?://", re.IGNORECASE)
_DOI_RESOLVER = "https://doi.org/"
_WORK_KINDS = {iri.value: work_type.value.capitalize() for work_type, iri in WORK_CLASSES.items()}
_VENUE_KINDS = {OX_SCHEMA.Periodical.value: "Journal", OX_SCHEMA.Book.value: "Book"}
# The lexical forms of kg's dates (xsd:gYear, xsd:gYearMonth, xsd:date) and their parts.
_DATE_FORMS = {
    OX_XSD.gYear.value: re.compile(r"(?P<year>\d{4})"),
    OX_XSD.gYearMonth.value: re.compile(r"(?P<year>\d{4})-(?P<month>\d{2})"),
    OX_XSD.date.value: re.compile(r"(?P<year>\d{4})-(?P<month>\d{2})-(?P<day>\d{2})"),
}

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
    """A paper in a list of papers: title, authors, and a few words on what and where."""

    title: Link
    authors: tuple[Link, ...]
    truncated: bool
    """The source listed only the first authors ("and others")."""
    details: tuple[Link, ...]
    """Kind (unless an article), venue (linked) and year, e.g. "Thesis (PhD), 2020"."""


@dataclass(frozen=True)
class Citation:
    """Where and when a work appeared, the way a reference prints it:
    ``Journal of X 10(3), 812–829, May 2022``; ``venues`` are links, ``rest`` the text after
    them."""

    venues: tuple[Link, ...]
    rest: str


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
    served_base: str | None = None
    """Set by ``kg serve``: every entity is answered at the path of its IRI under this base
    IRI, so pages link there, and not at all to entities whose IRIs lie elsewhere."""


def site_title(store: ox.Store, settings: SiteSettings) -> str:
    """The configured title, else "Publications of" the list owners."""
    if settings.title is not None:
        return settings.title
    names = owner_names(store)
    return f"Publications of {_join(names)}" if names else "Publications"


def page_path(view: GraphView, iri: str) -> str | None:
    """Where the page of a paper, person or venue lives in the site, e.g. ``paper/x.html``:
    the IRI's last segment under a folder for its kind, like the IRI's path under the base."""
    if iri in view.authors:
        return f"paper/{file_stem(iri)}.html"
    if view.is_person(iri):
        return f"person/{file_stem(iri)}.html"
    if view.is_venue(iri):
        return f"venue/{file_stem(iri)}.html"
    return None


def file_stem(iri: str) -> str:
    """The IRI's last path segment when it is a plain file name (kg's slugs always are),
    else a hash of the whole IRI."""
    tail = iri.rsplit("/", 1)[-1]
    if len(tail) <= _MAX_STEM and _SAFE_STEM.fullmatch(tail):
        return tail
    return "iri-" + hashlib.sha256(iri.encode()).hexdigest()[:20]


def entity_jsonld(store: ox.Store, iri: str) -> dict[str, Any] | None:
    """The JSON-LD that the page of paper, person or venue ``iri`` embeds; None for an IRI
    that names none of them."""
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
    served_base: str | None = None,
) -> str | None:
    """The HTML page of paper, person or venue ``iri``, its links relative to ``root`` (the
    path from the page to the site's root, e.g. ``"../"``); None for an IRI that names none
    of them. With ``base_url`` (where the site is served) the page names its canonical URL;
    with ``served_base`` it links entities at their IRIs' paths (see :class:`Frame`)."""
    focused = _focus(store, iri)
    if focused is None:
        return None
    frame = Frame(site_title(store, config or SiteSettings()), root, base_url, served_base)
    return render_entity(focused, iri, frame, entity_data(focused, iri))


def entity_data(view: GraphView, iri: str) -> dict[str, Any]:
    """The JSON-LD of a paper, person or venue of ``view``."""
    if iri in view.authors:
        return paper_jsonld(view, iri)
    return venue_jsonld(view, iri) if view.is_venue(iri) else person_jsonld(view, iri)


def render_entity(view: GraphView, iri: str, frame: Frame, data: dict[str, Any]) -> str:
    """The page of a paper, person or venue of ``view``, embedding ``data``."""
    if iri in view.authors:
        return paper_page(view, iri, frame, data)
    if view.is_venue(iri):
        return venue_page(view, iri, frame, data)
    return person_page(view, iri, frame, data)


def paper_page(view: GraphView, iri: str, frame: Frame, data: dict[str, Any]) -> str:
    node = view.node(iri)
    lists = [
        (Link(view.node(item.iri).label), [_entity_link(view, o, frame) for o in item.owners])
        for item in view.lists_of(iri)
    ]
    identifiers = node.texts(IDENTIFIER)
    dois = sorted({*node.texts(DOI), *_prefixed(identifiers, "doi:")}, key=str.casefold)
    arxiv = sorted(_prefixed(identifiers, "arxiv:"))
    doi_links = [Link(doi, doi_iri(doi)) for doi in dois]
    arxiv_links = [Link(arxiv_id, arxiv_iri(arxiv_id)) for arxiv_id in arxiv]
    # The same links again under sameAs, seeAlso or url are not listed twice.
    shown = {_unquoted(link.href) for link in (*doi_links, *arxiv_links) if link.href}
    return _render(
        "paper.html.j2",
        view,
        iri,
        frame,
        data,
        title=node.label,
        kind=_work_kind(node),
        authors=[_entity_link(view, author, frame) for author in view.authors[iri]],
        truncated=_truncated(node),
        citation=_citation(view, iri, frame),
        dois=doi_links,
        arxiv=arxiv_links,
        identifiers=[
            text for text in identifiers if not text.lower().startswith(("doi:", "arxiv:"))
        ],
        abstracts=node.texts(ABSTRACT),
        keywords=node.texts(KEYWORDS),
        urls=[_outbound(link) for link in node.iris(URL) if _unquoted(link) not in shown],
        same_as=[_outbound(link) for link in node.iris(SAME_AS) if _unquoted(link) not in shown],
        see_also=[_outbound(link) for link in node.iris(SEE_ALSO) if _unquoted(link) not in shown],
        lists=lists,
    )


def venue_page(view: GraphView, iri: str, frame: Frame, data: dict[str, Any]) -> str:
    node = view.node(iri)
    kinds = [_VENUE_KINDS[kind] for kind in node.iris(TYPE) if kind in _VENUE_KINDS]
    return _render(
        "venue.html.j2",
        view,
        iri,
        frame,
        data,
        name=node.label,
        kind=kinds[0] if kinds else "Venue",
        papers=[_paper_item(view, paper, frame, set(), iri) for paper in view.papers_in(iri)],
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
        owned_lists=sum(1 for item in view.lists if item.owners),
        bibliographies=[view.node(item.iri).label for item in view.lists if not item.owners],
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
    path = _path_in(view, iri, frame) or ""
    stem = quote(path.removesuffix(".html"))
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
    lists, the person with their papers and co-authors, or the venue with its papers."""
    if has_type(store, iri, OX_BIBO.Document):
        return read_view(store, papers=[iri])
    if has_type(store, iri, OX_SCHEMA.Person) or has_type(store, iri, OX_SCHEMA.Organization):
        return read_view(store, papers=papers_of(store, iri), persons=[iri])
    held = papers_in(store, iri)
    if held:
        view = read_view(store, papers=held)
        return view if view.is_venue(iri) else None
    return None


def _paper_item(
    view: GraphView, paper: str, frame: Frame, stressed: set[str], venue: str | None = None
) -> PaperItem:
    """``paper`` in a list, its ``stressed`` authors in bold; on the page of ``venue`` the
    details leave the venue out."""
    node = view.node(paper)
    kind = _work_kind(node)
    details = [Link(kind)] if kind not in ("Article", "Paper") else []
    details += [_entity_link(view, v, frame) for v in view.venues_of(paper) if v != venue]
    details += [Link(_date_text(value, year_only=True)) for value in node.get(DATE_PUBLISHED)]
    return PaperItem(
        Link(node.label, _href(view, paper, frame)),
        tuple(_entity_link(view, a, frame, a in stressed) for a in view.authors[paper]),
        _truncated(node),
        tuple(details),
    )


def _entity_link(view: GraphView, iri: str, frame: Frame, strong: bool = False) -> Link:
    return Link(view.node(iri).label, _href(view, iri, frame), strong)


def _href(view: GraphView, iri: str, frame: Frame) -> str | None:
    path = _path_in(view, iri, frame)
    return None if path is None else frame.root + quote(path)


def _path_in(view: GraphView, iri: str, frame: Frame) -> str | None:
    """Where the page of ``iri`` is, from the root: its file in a published site, or under
    ``kg serve`` the path of its IRI (None for an IRI the server does not answer)."""
    path = page_path(view, iri)
    if path is None or frame.served_base is None:
        return path
    return f"{iri[len(frame.served_base) :]}.html" if iri.startswith(frame.served_base) else None


def _work_kind(node: Node) -> str:
    """What a reader calls the work: "Article", "Chapter", "Book", "Thesis (PhD)",
    "Report"; "Paper" when the graph gives no kind kg knows."""
    kinds = [_WORK_KINDS[kind] for kind in node.iris(TYPE) if kind in _WORK_KINDS]
    if not kinds:
        return "Paper"
    degrees = node.texts(IN_SUPPORT_OF)
    return f"{kinds[0]} ({', '.join(degrees)})" if kinds[0] == "Thesis" and degrees else kinds[0]


def _truncated(node: Node) -> bool:
    return any(value.value in ("true", "1") for value in node.get(TRUNCATED))


def _citation(view: GraphView, paper: str, frame: Frame) -> Citation | None:
    """The venue, volume(issue), pages and date of ``paper``; None when it has none."""
    node = view.node(paper)
    venues = tuple(_entity_link(view, venue, frame) for venue in view.venues_of(paper))
    volume, issue = "/".join(node.texts(VOLUME)), "/".join(node.texts(ISSUE))
    numbers = f"{volume}({issue})" if volume and issue else volume or (issue and f"no. {issue}")
    pages = ", ".join(_page_range(text) for text in node.texts(PAGINATION))
    dates = ", ".join(_date_text(value) for value in node.get(DATE_PUBLISHED))
    tail = ", ".join(part for part in (pages, dates) if part)
    if venues:
        rest = (f" {numbers}" if numbers else "") + (f", {tail}" if tail else "")
    else:
        rest = ", ".join(part for part in (numbers, tail) if part)
    return Citation(venues, rest) if venues or rest else None


def _page_range(pages: str) -> str:
    """A page range with the en dash of print ("812–829"); anything else ("e1234",
    "S1-S-12") as it is."""
    return pages.replace("-", "\u2013") if pages.count("-") == 1 else pages


def _date_text(value: ox.NamedNode | ox.Literal, year_only: bool = False) -> str:
    """A date at the precision it has: "2022", "May 2022", "17 May 2022" (or the year
    alone); any other value as it is written."""
    form = _DATE_FORMS.get(value.datatype.value) if isinstance(value, ox.Literal) else None
    found = form.fullmatch(value.value) if form is not None else None
    if found is None:
        return value.value
    parts = found.groupdict()
    if year_only or "month" not in parts:
        return parts["year"]
    if not 1 <= int(parts["month"]) <= 12:
        return value.value
    month = MONTHS[int(parts["month"]) - 1].capitalize()
    day = f"{int(parts['day'])} " if "day" in parts else ""
    return f"{day}{month} {parts['year']}"


def _prefixed(texts: Sequence[str], prefix: str) -> list[str]:
    """The ``texts`` that start with ``prefix`` (any case), without it."""
    return [text[len(prefix) :] for text in texts if text.lower().startswith(prefix)]


def _unquoted(link: str) -> str:
    """A DOI or arXiv link as :func:`paper_page` compares it with the identifiers shown."""
    secure = unquote(re.sub(r"^http://", "https://", link, flags=re.IGNORECASE))
    return secure.casefold() if secure.lower().startswith(_DOI_RESOLVER) else secure


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
