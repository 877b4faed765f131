"""What every part of ``kg serve`` hands back: one HTTP answer, as plain data.

An answer is made where it is decided, in a query worker process or in a request thread,
and only the HTTP handler writes it out; so it is a small frozen value that pickles through
a worker's pipe. The bodies more than one part writes live here too: a one-line plain-text
reason, and compact JSON-LD (for CONSTRUCT results and for entities alike).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from io import BytesIO

import pyoxigraph as ox

from kg.batches import Entity
from kg.jsonld import JsonLdWriter
from kg.mapping import Triple
from kg.namespaces import jsonld_context

TEXT = "text/plain; charset=utf-8"
HTML = "text/html; charset=utf-8"
TURTLE = "text/turtle; charset=utf-8"


@dataclass(frozen=True)
class Answer:
    """One HTTP answer, made where it is decided (a worker process or a request thread).

    Big query results are not sent through the worker's pipe: the worker writes them to the
    ``spool`` file, which the request thread streams to the client and removes; ``body`` is
    then empty.
    """

    status: int
    content_type: str
    body: bytes
    headers: tuple[tuple[str, str], ...] = ()
    spool: str | None = None


def text_answer(status: int, message: str, *headers: tuple[str, str]) -> Answer:
    """A plain-text answer: ``message`` on one line, for people reading curl's output."""
    return Answer(status, TEXT, (message.rstrip("\n") + "\n").encode("utf-8"), headers)


def not_acceptable(offers: Iterable[str], *headers: tuple[str, str]) -> Answer:
    """406, naming the media types the client could have asked for."""
    available = ", ".join(offers)
    return text_answer(
        406, f"none of the formats you accept is available; ask for one of: {available}", *headers
    )


def jsonld(triples: Iterable[ox.Triple | Triple]) -> bytes:
    """Compact JSON-LD with kg's context inline (nothing to fetch), as in ``graph.jsonld``:
    author lists as ``@list``."""
    own: list[Triple] = []
    for triple in triples:
        subject, predicate, value = (
            (triple.subject, triple.predicate, triple.object)
            if isinstance(triple, ox.Triple)
            else triple
        )
        if isinstance(subject, ox.Triple) or isinstance(value, ox.Triple):
            raise ValueError("RDF-star triple terms cannot be written as JSON-LD")
        own.append((subject, predicate, value))
    buffer = BytesIO()
    writer = JsonLdWriter(buffer, jsonld_context())
    writer.add(Entity(iri="", owned=(), own=own, context=[]))
    writer.close()
    return buffer.getvalue()
