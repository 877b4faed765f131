"""Readable Turtle, written by Oxigraph: the exports one entity at a time, and small
documents (a page's data, ``void.ttl``, ``sameas.ttl``) with only the prefixes they use.

Entities come in IRI order (lists, then papers, then persons); inside an entity each subject
is one block (a list, then its source records; a paper, then its author list cells and
authorships), in the order the mapping gives them (each subject's triples together,
``rdf:type`` first, each property's values together), so a paper's authors read in author
order. Oxigraph does the grouping, the escaping and the prefixed names; nothing here holds
more than one entity, so the cost is linear.

One change to Oxigraph's output: a prefixed name whose local part needs an escape
(``paper:x\\#author-1``) is written as the full IRI instead. Such names are valid Turtle,
but Virtuoso 7 keeps the backslash in the IRI it reads.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import IO

import pyoxigraph as ox

from kg.batches import Entity
from kg.namespaces import OX_RDF

# The tokens of Oxigraph's Turtle that can hold a backslash: strings, which are left alone,
# and prefixed names with an escaped local part, written back as full IRIs. Oxigraph puts
# whitespace between terms and before `,`, `;` and `.`, so a name runs to the next space.
_NAME_WITH_ESCAPE = rb"(?<!\S)(?P<prefix>[A-Za-z][\w.-]*)?:(?P<local>\S*\\\S*)"
_ESCAPED_NAME = re.compile(rb'"(?:[^"\\\n]|\\.)*"|' + _NAME_WITH_ESCAPE)
_ESCAPED_NAME_ONLY = re.compile(_NAME_WITH_ESCAPE)
"""The same names, on a line that holds no string."""
_SUBJECT_LINE = re.compile(rb"\n(?=[^\t\n])")
"""A line break before a subject's line (one not indented by a tab). Searched from the
break: a multi-line ``^`` is tried at every character, three times slower."""


class TurtleWriter:
    """Writes entities as Turtle with ``prefixes`` (sorted by name), one at a time."""

    def __init__(self, output: IO[bytes], prefixes: Mapping[str, str]) -> None:
        self._output = output
        self._prefixes = dict(sorted(prefixes.items()))
        self._started = False
        self.size = 0
        """Bytes written so far."""

    def add(self, entity: Entity) -> None:
        self.write(self.text(entity.own_triples))

    def text(self, triples: Sequence[ox.Triple]) -> bytes:
        """An entity's Turtle: its subjects' blocks, without prefixes."""
        text = ox.serialize(triples, format=ox.RdfFormat.TURTLE, prefixes=self._prefixes)
        return _body(_split(text or b"", self._prefixes)[1], self._prefixes)

    def write(self, text: bytes) -> int:
        """Write an entity's Turtle, the prefixes before the first; where it starts."""
        if not self._started:
            header = self._header()
            self._output.write(header)
            self.size, self._started = len(header), True
        self._output.write(text)
        at, self.size = self.size, self.size + len(text)
        return at

    def _header(self) -> bytes:
        """The ``@prefix`` lines: Oxigraph writes every prefix it is given."""
        any_triple = ox.Triple(ox.NamedNode("urn:x"), ox.NamedNode("urn:x"), ox.NamedNode("urn:x"))
        text = ox.serialize([any_triple], format=ox.RdfFormat.TURTLE, prefixes=self._prefixes)
        return laid_out(text or b"", self._prefixes)[0]


def laid_out(text: bytes, prefixes: Mapping[str, str]) -> tuple[bytes, bytes]:
    """Oxigraph's Turtle as kg writes it: the ``@prefix`` lines (which Oxigraph writes first,
    in an order of its own) sorted, and the body as :func:`_body` lays it out."""
    lines, body = _split(text, prefixes)
    header = sorted(line + b"\n" for line in lines if line)
    return b"".join(header), _body(body, prefixes)


def _split(text: bytes, prefixes: Mapping[str, str]) -> tuple[list[bytes], bytes]:
    """Oxigraph's Turtle cut into its ``@prefix`` lines (it writes every prefix it is given
    first, one line each) and the rest."""
    lines = text.split(b"\n", len(prefixes))
    if len(lines) > len(prefixes):
        return lines[:-1], lines[-1]
    return lines, b""


def _body(body: bytes, prefixes: Mapping[str, str]) -> bytes:
    """Oxigraph's Turtle after the prefixes, with a blank line before each subject (which
    starts each line not indented by a tab) and escaped prefixed names as full IRIs."""
    # The first line has no break before it: one is lent for the search, then taken back.
    return _full_iris(_SUBJECT_LINE.sub(b"\n\n", b"\n" + body)[1:], prefixes)


def _full_iris(body: bytes, prefixes: Mapping[str, str]) -> bytes:
    """``body`` with each prefixed name that holds an escape written as ``<full IRI>``.

    Oxigraph writes each string on one line, so only lines with a backslash can hold such a
    name, and only those that also hold a string need the pattern that steps over strings
    (a third faster than running it over the whole body). An IRI holds no backslash, so
    each one in a name escapes the character after it."""
    if b"\\" not in body:
        return body
    namespaces = {name.encode(): namespace.encode() for name, namespace in prefixes.items()}

    def full(match: re.Match[bytes]) -> bytes:
        prefix, local = match.group("prefix", "local")
        if local is None:  # a string
            return match[0]
        return b"<" + namespaces[prefix or b""] + local.replace(b"\\", b"") + b">"

    lines = body.split(b"\n")
    for index, line in enumerate(lines):
        if b"\\" in line:
            pattern = _ESCAPED_NAME if b'"' in line else _ESCAPED_NAME_ONLY
            lines[index] = pattern.sub(full, line)
    return b"\n".join(lines)


def small_turtle(
    triples: Sequence[ox.Triple], candidates: Mapping[str, str], *, relative_to: str | None = None
) -> bytes:
    """``triples`` as Turtle with those ``candidates`` prefixes that they use.

    With ``relative_to``, IRIs under it are written relative and no ``@base`` is declared,
    so they resolve against wherever the file is read from (any folder, ``file://``).
    """
    iris = {term.value for triple in triples for term in _written(triple)}
    used = {
        name: namespace
        for name, namespace in candidates.items()
        if any(iri.startswith(namespace) for iri in iris)
    }
    text = ox.serialize(triples, format=ox.RdfFormat.TURTLE, prefixes=used, base_iri=relative_to)
    if relative_to is not None:
        text = (text or b"").split(b"\n", 1)[1]  # the @base line
    header, body = laid_out(text or b"", used)
    return (header + body).removeprefix(b"\n")


def _written(triple: ox.Triple) -> list[ox.NamedNode]:
    """The IRIs Turtle writes for ``triple`` (``rdf:type`` is written ``a``)."""
    terms = [triple.subject, triple.object]
    if triple.predicate != OX_RDF.type:
        terms.append(triple.predicate)
    return [term for term in terms if isinstance(term, ox.NamedNode)]
