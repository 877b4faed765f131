"""``kg serve``: the graph as a read-only SPARQL 1.1 endpoint, as linked data, and a query page.

- ``/sparql`` speaks the SPARQL 1.1 Protocol and refuses updates (:mod:`.protocol`); the
  queries run in worker processes that are killed at the time limit (:mod:`.workers`),
  each client's in its turn (:mod:`.fairness`), and their answers are streamed from spool
  files, capped in rows and bytes (:mod:`.streaming`).
- Every entity IRI under the base IRI is served at its path, negotiated between HTML,
  Turtle, JSON-LD and N-Triples (:mod:`.linked_data`, :mod:`.negotiation`).
- ``/`` is a query editor with the canned queries, in the published site's style: plain
  JavaScript, no external resource; ``/?query=…`` opens and runs a query (:mod:`.pages`).

:func:`make_server` and :func:`serve` (:mod:`.server`) start it all.
"""

from kg.serve.linked_data import describe_entity, detect_base_iri
from kg.serve.negotiation import negotiate
from kg.serve.server import SEND_TIMEOUT, WAITING_PER_CLIENT, KgServer, make_server, serve
from kg.serve.streaming import DEFAULT_MAX_BYTES, DEFAULT_MAX_ROWS
from kg.serve.workers import ServeError

__all__ = [
    "DEFAULT_MAX_BYTES",
    "DEFAULT_MAX_ROWS",
    "SEND_TIMEOUT",
    "WAITING_PER_CLIENT",
    "KgServer",
    "ServeError",
    "describe_entity",
    "detect_base_iri",
    "make_server",
    "negotiate",
    "serve",
]
