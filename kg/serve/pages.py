"""The HTML ``kg serve`` writes itself: the query page at ``/``, a plain page for entities
the site's pages do not cover, and the not-found page.

The templates (``templates/``, shipped in the wheel) are Jinja2 with autoescaping on; the
only text inserted unescaped is JSON inside ``<script>``, which
:func:`kg.site.structured.script_json` has made safe there. Papers, persons and venues get
the published site's own pages (:func:`kg.site.entity_page`), not these.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from kg.queries import list_canned_queries
from kg.site.structured import script_json

_TEMPLATES = Environment(
    loader=PackageLoader("kg.serve", "templates"),
    autoescape=True,
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


def query_page(timeout: float, base_iri: str | None) -> bytes:
    """The editor at ``/``: rendered once, it only changes with the canned queries."""
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
        queries=queries,
        data=Markup(script_json({"queries": data})),
        base_iri=base_iri or "",
        timeout=f"{timeout:g}",
    )
    return page.encode("utf-8")


def description_page(
    iri: str, title: str, rows: Sequence[Mapping[str, str | None]], root: str, jsonld: bytes
) -> str:
    """An entity's description as a table of ``rows`` (``subject``, ``predicate``,
    ``value`` and the ``href`` of the value, if it links), its JSON-LD embedded and its
    other formats linked."""
    return _TEMPLATES.get_template("entity.html").render(
        title=title,
        iri=iri,
        rows=rows,
        root=root,
        name=iri.rsplit("/", 1)[-1],
        jsonld=Markup(script_json(json.loads(jsonld))),
    )


def not_found_page(message: str, root: str) -> str:
    """The 404 page for browsers: ``message`` and a link back to the query page."""
    return _TEMPLATES.get_template("not_found.html").render(message=message, root=root)
