"""Content negotiation: the media types ``kg serve`` offers, and the one a client prefers.

The endpoint and the linked data answer the same question (which of these formats does the
``Accept`` header rank highest?) over different offers, so the offers and the ranking are
kept together here, apart from HTTP and from the graph. Each offer maps a media type to the
format name that :func:`kg.results.format_result` (or the entity writers) knows.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Final

#: Offered for SELECT and ASK results, preferred first: media type -> kg.results format.
RESULT_TYPES: Final = {
    "application/sparql-results+json": "json",
    "application/sparql-results+xml": "xml",
    "text/csv": "csv",
    "text/tab-separated-values": "tsv",
    "application/json": "json",
    "application/xml": "xml",
    "text/xml": "xml",
}
#: Offered for CONSTRUCT and DESCRIBE results and for entity descriptions.
GRAPH_TYPES: Final = {
    "text/turtle": "turtle",
    "application/ld+json": "jsonld",
    "application/n-triples": "ntriples",
    "application/x-turtle": "turtle",
    "application/x-json+ld": "jsonld",
    "text/plain": "ntriples",
}
#: Offered for entities: the HTML page first (browsers send ``*/*`` too), then the graph.
ENTITY_TYPES: Final = {"text/html": "html", "application/xhtml+xml": "html", **GRAPH_TYPES}


def negotiate(accept: str | None, offers: Sequence[str]) -> str | None:
    """The offer the client prefers by its ``Accept`` header, or None if it accepts none.

    Each offer gets the q-value of the most specific range that matches it (``text/csv``
    over ``text/*`` over ``*/*``, RFC 9110 §12.5.1); the highest wins, and ties go to the
    earlier offer, the server's preference. No header accepts anything.
    """
    if accept is None or not accept.strip():
        return offers[0] if offers else None
    ranges = list(_media_ranges(accept))
    best, best_quality = None, 0.0
    for offer in offers:
        matching = [
            (specificity, quality)
            for media_range, quality in ranges
            if (specificity := _specificity(media_range, offer)) is not None
        ]
        if matching:
            quality = max(matching)[1]
            if quality > best_quality:
                best, best_quality = offer, quality
    return best


def _specificity(media_range: str, offer: str) -> int | None:
    """How closely ``media_range`` names ``offer``: 2 exactly, 1 by ``type/*``, 0 by
    ``*/*``; None when it does not match."""
    if media_range == offer:
        return 2
    if media_range == offer.partition("/")[0] + "/*":
        return 1
    return 0 if media_range == "*/*" else None


def _media_ranges(accept: str) -> Iterable[tuple[str, float]]:
    """``(type/subtype, q)`` for every well-formed range of an ``Accept`` header."""
    for item in accept.split(","):
        media_range, *parameters = (part.strip() for part in item.split(";"))
        if media_range.count("/") != 1:
            continue
        quality = 1.0
        for parameter in parameters:
            name, _, value = parameter.partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = min(1.0, max(0.0, float(value.strip())))
                except ValueError:
                    quality = 0.0
        yield media_range.lower(), quality
