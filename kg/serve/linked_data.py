"""Linked data: every entity IRI under the base IRI is served at its path.

``{base}paper/x`` (likewise ``person/…``, ``venue/…``, ``list/…``) is answered at
``/paper/x`` as HTML, Turtle, JSON-LD or N-Triples, negotiated by ``Accept`` or chosen with
``?format=`` or a ``.ttl``/``.jsonld``/``.nt`` suffix, so a link to an entity works in a
browser and in an RDF client alike. Entities are described from the server's own copy of the
graph, in the request thread: the server asks fixed, bounded questions about one entity,
never a client's query, so no worker is needed.
"""

from __future__ import annotations

import re
from collections import Counter, deque
from collections.abc import Mapping
from io import BytesIO
from typing import Final, TypeGuard
from urllib.parse import unquote

import pyoxigraph as ox

from kg.batches import Entity
from kg.iris import IriScheme
from kg.mapping import Subject, Triple, ntriples, oxigraph_triples
from kg.namespaces import OX_BIBO, OX_RDF, OX_SCHEMA, prefixes
from kg.ntriples import lf_lines
from kg.serve.answers import HTML, Answer, jsonld, not_acceptable, text_answer
from kg.serve.negotiation import ENTITY_TYPES, negotiate
from kg.serve.pages import description_page, not_found_page
from kg.site import SiteSettings, entity_page
from kg.site.pages import Frame, site_title
from kg.terms import iri_problem
from kg.turtle import TurtleWriter

#: Entity formats by ``?format=`` value and by path suffix, for links and browsers.
_FORMAT_NAMES: Final = {
    "html": "text/html",
    "ttl": "text/turtle",
    "turtle": "text/turtle",
    "jsonld": "application/ld+json",
    "json-ld": "application/ld+json",
    "nt": "application/n-triples",
    "ntriples": "application/n-triples",
}
_SUFFIXES: Final = {
    ".html": "text/html",
    ".ttl": "text/turtle",
    ".jsonld": "application/ld+json",
    ".nt": "application/n-triples",
}


def detect_base_iri(store: ox.Store) -> str | None:
    """The base IRI of kg's entities in ``store``: what most papers' IRIs hold before
    ``paper/`` (else persons' before ``person/``, lists' before ``list/``); None when the
    store holds none of them."""
    kinds = (
        (OX_BIBO.Document, "/paper/"),
        (OX_SCHEMA.Person, "/person/"),
        (OX_SCHEMA.Dataset, "/list/"),
    )
    for kind, folder in kinds:
        bases: Counter[str] = Counter()
        for quad in store.quads_for_pattern(None, OX_RDF.type, kind):
            if isinstance(quad.subject, ox.NamedNode):
                iri = quad.subject.value
                cut = iri.rfind(folder)
                if cut > 0:
                    bases[iri[: cut + 1]] += 1
        if bases:
            return bases.most_common(1)[0][0]
    return None


def describe_entity(store: ox.Store, iri: str) -> list[Triple]:
    """What the graph says about the entity at ``iri``, as kg's exports group it: its own
    triples, those of its parts (IRIs ``{iri}#…``: a paper's authorships, a list's source
    records) and of the blank nodes they lead to (the author list cells), so that author
    order travels with a paper. Empty when ``iri`` is the subject of nothing.

    The entity comes first, then its blank nodes in list order, then its parts in numeric
    order; inside a subject ``rdf:type`` comes first and authors come in author order.
    """
    entity = ox.NamedNode(iri)
    part_prefix = iri + "#"

    def is_part(term: object) -> TypeGuard[ox.NamedNode]:
        return isinstance(term, ox.NamedNode) and term.value.startswith(part_prefix)

    described: dict[Subject, list[Triple]] = {}
    pending: deque[Subject] = deque([entity])
    # Parts that only point at their entity (a list's source records: dcterms:isPartOf).
    pending.extend(
        quad.subject
        for quad in store.quads_for_pattern(None, None, entity)
        if is_part(quad.subject)
    )
    while pending:
        subject = pending.popleft()
        if subject in described:
            continue
        triples = list(
            dict.fromkeys(
                (subject, quad.predicate, quad.object)
                for quad in store.quads_for_pattern(subject, None, None)
                if not isinstance(quad.object, ox.Triple)
            )
        )
        if subject == entity and not triples:
            return []
        described[subject] = triples
        pending.extend(
            value
            for _, _, value in triples
            if (isinstance(value, ox.BlankNode) or is_part(value)) and value not in described
        )
    ranks = _author_ranks(entity, described)
    blank = [subject for subject in described if isinstance(subject, ox.BlankNode)]
    parts = sorted((s for s in described if is_part(s)), key=lambda s: _natural(s.value))
    subjects: list[Subject] = [entity, *blank, *parts]
    ordered: list[Triple] = []
    for subject in subjects:
        ordered.extend(
            sorted(
                described[subject],
                key=lambda t: (
                    t[1] != OX_RDF.type,
                    t[1].value,
                    ranks.get(t[2], len(ranks)),
                    _natural(str(t[2])),
                ),
            )
        )
    return ordered


def _author_ranks(
    entity: ox.NamedNode, described: Mapping[Subject, list[Triple]]
) -> dict[ox.NamedNode | ox.BlankNode | ox.Literal, int]:
    """Each author's position in the entity's ``bibo:authorList`` (0-based)."""
    values = {(s, p): o for s, triples in described.items() for s, p, o in triples}
    ranks: dict[ox.NamedNode | ox.BlankNode | ox.Literal, int] = {}
    cells: set[ox.BlankNode] = set()
    cell = values.get((entity, OX_BIBO.authorList))
    while isinstance(cell, ox.BlankNode) and cell not in cells:  # a broken list may loop
        cells.add(cell)
        member = values.get((cell, OX_RDF.first))
        if member is not None:
            ranks.setdefault(member, len(ranks))
        cell = values.get((cell, OX_RDF.rest))
    return ranks


def _natural(text: str) -> tuple[tuple[int, int, str], ...]:
    """A sort key that puts ``#author-2`` before ``#author-10``."""
    return tuple(
        (0, int(part), "") if part.isdigit() else (1, 0, part) for part in re.split(r"(\d+)", text)
    )


class LinkedData:
    """Entity descriptions at the paths of their IRIs, in the format the client prefers."""

    def __init__(self, store: ox.Store, base_iri: str | None) -> None:
        self._store = store
        self._base = base_iri
        self._prefixes = {**prefixes(), **(IriScheme(base_iri).prefixes() if base_iri else {})}
        self._longest_first = sorted(self._prefixes.items(), key=lambda item: -len(item[1]))
        self._title = site_title(store, SiteSettings())

    def answer(self, path: str, params: Mapping[str, list[str]], accept: str | None) -> Answer:
        """The entity at ``path`` (URL-encoded, from the root) in the negotiated format."""
        vary = ("Vary", "Accept")
        forced: str | None = None
        if "format" in params:
            forced = _FORMAT_NAMES.get(params["format"][-1].lower())
            if forced is None:
                names = ", ".join(sorted(_FORMAT_NAMES))
                return text_answer(
                    400, f"unknown format {params['format'][-1]!r}; use one of: {names}"
                )
        found = self._lookup(path)
        if found is None:
            suffix = next((s for s in _SUFFIXES if path.endswith(s)), None)
            if suffix is not None:
                found = self._lookup(path.removesuffix(suffix))
                forced = forced or _SUFFIXES[suffix]
        if found is None:
            return self._not_found(path, accept)
        iri, triples = found
        media_type = forced or negotiate(accept, list(ENTITY_TYPES))
        if media_type is None:
            return not_acceptable(ENTITY_TYPES, vary)
        root = "../" * (path.count("/") - 1)
        body = self._render(ENTITY_TYPES[media_type], iri, triples, root)
        return Answer(200, f"{media_type}; charset=utf-8", body, (vary,))

    def _lookup(self, path: str) -> tuple[str, list[Triple]] | None:
        if self._base is None or not path.startswith("/") or path == "/":
            return None
        for local in dict.fromkeys((path[1:], unquote(path[1:]))):
            iri = self._base + local
            if iri_problem(iri) is None:
                triples = describe_entity(self._store, iri)
                if triples:
                    return iri, triples
        return None

    def _render(self, fmt: str, iri: str, triples: list[Triple], root: str) -> bytes:
        if fmt == "turtle":
            buffer = BytesIO()
            TurtleWriter(buffer, self._prefixes).add(Entity(iri, (iri,), triples, []))
            return buffer.getvalue()
        if fmt == "jsonld":
            return jsonld(triples)
        if fmt == "ntriples":
            lines = lf_lines(ntriples(oxigraph_triples(triples)))
            return b"".join(sorted(line + b"\n" for line in lines))
        # Papers, persons and venues get the site's pages, linking what this server answers.
        page = entity_page(self._store, iri, root=root, served_base=self._base)
        if page is None:
            page = self._generic_page(iri, triples, root)
        return page.encode("utf-8")

    def _generic_page(self, iri: str, triples: list[Triple], root: str) -> str:
        """A page that lists the description, for entities the site pages do not cover."""
        names = [o.value for s, p, o in triples if s.value == iri and p == OX_SCHEMA.name]
        rows = [
            {
                "subject": self._short(s),
                "predicate": self._short(p),
                "value": self._short(o),
                "href": self._href(o, root),
            }
            for s, p, o in triples
        ]
        frame = Frame(self._title, root)
        return description_page(iri, names[0] if names else iri, rows, frame, jsonld(triples))

    def _short(self, term: ox.NamedNode | ox.BlankNode | ox.Literal) -> str:
        """A term as people read it: a prefixed name when one fits."""
        if isinstance(term, ox.Literal):
            if term.language:
                return f"{term.value} @{term.language}"
            return term.value
        if isinstance(term, ox.BlankNode):
            return f"_:{term.value}"
        for name, namespace in self._longest_first:
            if term.value.startswith(namespace) and len(term.value) > len(namespace):
                return f"{name}:{term.value[len(namespace) :]}"
        return term.value

    def _href(self, term: ox.NamedNode | ox.BlankNode | ox.Literal, root: str) -> str | None:
        if not isinstance(term, ox.NamedNode):
            return None
        if self._base and term.value.startswith(self._base):  # "./": never a scheme
            return (root or "./") + term.value[len(self._base) :]
        return term.value if term.value.startswith(("http://", "https://")) else None

    def _not_found(self, path: str, accept: str | None) -> Answer:
        message = f"nothing is known about {path} here"
        if negotiate(accept, ["text/html", "text/plain"]) == "text/html":
            root = "../" * (path.count("/") - 1)
            page = not_found_page(message, Frame(self._title, root))
            return Answer(404, HTML, page.encode("utf-8"), (("Vary", "Accept"),))
        return text_answer(404, message, ("Vary", "Accept"))
