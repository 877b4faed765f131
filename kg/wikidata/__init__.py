"""Wikidata alignment: ``sameAs`` links, a review list and QuickStatements.

:func:`align_wikidata` reads a built graph, asks the scholarly and main Wikidata query
services (through :class:`WikidataEndpoint`, polite and cached) and writes
``alignment.tsv``, ``sameas.ttl`` and ``quickstatements.txt``;
:func:`read_links` brings the accepted links back into ``kg build``.
"""

from kg.wikidata.align import (
    MAIN_ENDPOINT,
    SCHOLARLY_ENDPOINT,
    AlignReport,
    align_wikidata,
)
from kg.wikidata.alignment_file import read_links
from kg.wikidata.endpoint import ResponseCache, RetryPolicy, WikidataEndpoint, check_user_agent

__all__ = [
    "MAIN_ENDPOINT",
    "SCHOLARLY_ENDPOINT",
    "AlignReport",
    "ResponseCache",
    "RetryPolicy",
    "WikidataEndpoint",
    "align_wikidata",
    "check_user_agent",
    "read_links",
]
