"""The HTML ``kg serve`` writes itself: the query page at ``/``, a plain page for entities
the site's pages do not cover, and the not-found page.

The templates (``templates/``, shipped in the wheel) are Jinja2 with autoescaping on; they
extend the published site's ``base.html.j2``, so every page of the server has the site's
style and header (the site's title, leading back to the query page). The only text inserted
unescaped is JSON inside ``<script>``, which :func:`kg.site.structured.script_json` has made
safe there. Papers, persons and venues get the published site's own pages
(:func:`kg.site.entity_page`), not these.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from urllib.parse import quote

from jinja2 import ChoiceLoader, Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from kg.queries import list_canned_queries
from kg.site.pages import Frame
from kg.site.structured import script_json

_PATH_SAFE = "%:@!$&'()*+,;=-._~"  # kept as they are in a path segment (RFC 3986)
_TEMPLATES = Environment(
    loader=ChoiceLoader(
        [PackageLoader("kg.serve", "templates"), PackageLoader("kg.site", "templates")]
    ),
    autoescape=True,
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


def query_page(timeout: float, base_iri: str | None, title: str) -> bytes:
    """The editor at ``/``: rendered once, it only changes with the canned queries.
    ``title`` is the site's (:func:`kg.site.pages.site_title`)."""
    queries = list_canned_queries()
    data = [
        {
            "name": query.name,
            "description": query.description,
            "text": query.text,
            "params": [
                {"name": p.name, "kind": p.kind, "description": p.description} for p in query.params
            ],
        }
        for query in queries
    ]
    page = _TEMPLATES.get_template("query.html").render(
        frame=Frame(title, ""),
        canonical=None,
        queries=queries,
        data=Markup(script_json({"queries": data})),
        base_iri=base_iri or "",
        timeout=f"{timeout:g}",
    )
    return page.encode("utf-8")


def description_page(
    iri: str,
    title: str,
    rows: Sequence[Mapping[str, str | None]],
    frame: Frame,
    jsonld: bytes,
) -> str:
    """An entity's description as a table of ``rows`` (``subject``, ``predicate``,
    ``value`` and the ``href`` of the value, if it links), its JSON-LD embedded and its
    other formats linked."""
    return _TEMPLATES.get_template("entity.html").render(
        frame=frame,
        canonical=None,
        title=title,
        iri=iri,
        rows=rows,
        # "./": a last segment such as "javascript:x" must stay a path, not become a scheme.
        name="./" + quote(iri.rsplit("/", 1)[-1], safe=_PATH_SAFE),
        jsonld=Markup(script_json(json.loads(jsonld))),
    )


def not_found_page(message: str, frame: Frame) -> str:
    """The 404 page for browsers: ``message`` and a link back to the query page."""
    return _TEMPLATES.get_template("not_found.html").render(
        frame=frame, canonical=None, message=message
    )
