"""Publishing the graph: web pages with embedded JSON-LD, and a static site of them.

- :func:`entity_jsonld`: the schema.org JSON-LD of one paper, person or venue, authors in
  order;
- :func:`entity_page`: the HTML page of one paper, person or venue, embedding that JSON-LD;
- :func:`publish`: the whole static site (index, pages, ``void.ttl``), written atomically;
- :func:`describe_dataset`: the ``void.ttl`` of a graph served live (``kg serve``).
"""

from kg.site.pages import entity_jsonld, entity_page
from kg.site.publish import PublishReport, describe_dataset, publish
from kg.site.settings import SiteSettings

__all__ = [
    "PublishReport",
    "SiteSettings",
    "describe_dataset",
    "entity_jsonld",
    "entity_page",
    "publish",
]
