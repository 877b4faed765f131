"""Compact JSON-LD, written one entity at a time.

rdflib's JSON-LD serializer needs the whole graph and was the slowest part of a build
(about 1.4 ms per paper). Every subject of kg's graph belongs to exactly one entity
(:mod:`kg.batches`), so each entity's node objects can be written on their own and the
document is their concatenation in ``@id`` order, streamed. The forms are those of JSON-LD
compaction with kg's context (``@vocab`` schema.org plus prefixes, no term definitions):

- property names and ``@type`` values: a term of the vocabulary (``name``), else a compact
  IRI (``foaf:maker``), else the IRI;
- IRIs as values: ``{"@id": IRI}``, the IRI written out;
- plain strings as strings, canonical ``xsd:integer`` as numbers, canonical
  ``xsd:boolean`` as ``true``/``false``, language strings and other literals as value
  objects;
- an author list as ``{"@list": [...]}``; a blank node that is not a well-formed list of
  its own entity stays a node object of its own;
- one value as itself, several as an array sorted by their JSON text.

``tests/test_export.py`` reads the output back with rdflib's JSON-LD parser and compares it
with the N-Triples, on the sample and on random corpora.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import IO, Any

import orjson
import pyoxigraph as ox

from kg.batches import Entity
from kg.mapping import Subject, Triple
from kg.namespaces import OX_RDF, XSD

_XSD_STRING = str(XSD.string)
_XSD_INTEGER = str(XSD.integer)
_XSD_BOOLEAN = str(XSD.boolean)
_TYPE, _FIRST, _REST, _NIL = OX_RDF.type, OX_RDF.first, OX_RDF.rest, OX_RDF.nil
_NIL_IRI = _NIL.value
_LAYOUT = orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS  # json.dumps(indent=2, sort_keys=True)
_INT64 = 1 << 63  # orjson writes integers up to 64 bits
_GRAPH_HEAD = len(b'{\n  "@graph": [')  # the item text starts with its line break
_GRAPH_TAIL = len(b"\n  ]\n}")

_Value = ox.NamedNode | ox.BlankNode | ox.Literal


@dataclass(frozen=True, slots=True)
class JsonLdItems:
    """An entity's nodes as items of the ``@graph`` array, with the order keys of the first
    and the last (entities must come in that order)."""

    text: bytes
    first: bytes
    last: bytes


class JsonLdWriter:
    """Writes entities as one compact JSON-LD document with ``context`` inline, node by node.

    Entities must come in IRI order: their nodes then come in ``@id`` order, because every
    node's IRI starts with its entity's (:mod:`kg.batches`) and kg's IRIs hold no character
    that sorts before ``#``. The writer checks the order as it goes.
    """

    def __init__(self, output: IO[bytes], context: Mapping[str, object]) -> None:
        self._output = output
        self._compactor = _Compactor(context)
        self._last = b""
        head = _json_block({"@context": dict(context)}).removesuffix("\n}")
        opening = f'{head},\n  "@graph": ['.encode()
        output.write(opening)
        self.size = len(opening)
        """Bytes written so far."""

    def add(self, entity: Entity) -> None:
        items = self.items(entity)
        if items is not None:
            self.write(items)

    def items(self, entity: Entity) -> JsonLdItems | None:
        """The entity's nodes as ``@graph`` items, or None when it has none."""
        nodes = sorted(
            ((_sort_key(node["@id"]), node) for node in self._compactor.nodes(entity.own)),
            key=lambda pair: pair[0],
        )
        if not nodes:
            return None
        first, last = (bytes(memoryview(key)) for key in (nodes[0][0], nodes[-1][0]))
        # copies: orjson's small results keep a 4 KiB allocation, and the build cache
        # holds both keys of thousands of entities at a time
        return JsonLdItems(_graph_items([node for _, node in nodes]), first, last)

    def write(self, items: JsonLdItems) -> int:
        """Write an entity's items after those written so far; where they start."""
        if items.first <= self._last:
            raise ValueError(
                f"JSON-LD nodes out of order: {items.first.decode()} after {self._last.decode()}"
            )
        if self._last:
            self._output.write(b",")
            self.size += 1
        self._output.write(items.text)
        self._last = items.last
        at, self.size = self.size, self.size + len(items.text)
        return at

    def close(self) -> None:
        self._output.write(b"\n  ]\n}\n" if self._last else b"]\n}\n")


class _Compactor:
    """IRI compaction against one context, remembered per IRI."""

    def __init__(self, context: Mapping[str, object]) -> None:
        vocab = context.get("@vocab")
        self._vocab = vocab if isinstance(vocab, str) else None
        self._prefixes = sorted(
            (
                (namespace, name)
                for name, namespace in context.items()
                if isinstance(namespace, str) and not name.startswith("@")
            ),
            key=lambda pair: (-len(pair[0]), pair[1]),
        )
        self._defined = frozenset(name for name in context if not name.startswith("@"))
        self._terms: dict[str, str] = {}

    def nodes(self, triples: Sequence[Triple]) -> list[dict[str, Any]]:
        """Node objects for the subjects of ``triples`` (one entity's)."""
        by_subject: dict[Subject, dict[ox.NamedNode, list[_Value]]] = {}
        references: dict[ox.BlankNode, int] = {}
        for subject, predicate, value in triples:  # plain dicts: no factory call per key
            properties = by_subject.get(subject)
            if properties is None:
                properties = by_subject[subject] = {}
            values = properties.get(predicate)
            if values is None:
                properties[predicate] = [value]
            else:
                values.append(value)
            if isinstance(value, ox.BlankNode):
                references[value] = references.get(value, 0) + 1
        inlined: set[_Value] = set()
        lists = {
            node: members
            for node in references
            if (members := self._list_members(node, by_subject, references, inlined)) is not None
        }
        return [
            self._node(subject, properties, lists)
            for subject, properties in by_subject.items()
            if subject not in inlined
        ]

    @staticmethod
    def _list_members(
        head: ox.BlankNode,
        by_subject: Mapping[Subject, Mapping[ox.NamedNode, list[_Value]]],
        references: Mapping[ox.BlankNode, int],
        inlined: set[_Value],
    ) -> list[_Value] | None:
        """The members of the rdf:List starting at blank node ``head``, if it is a
        well-formed list whose cells nothing else points at; the cells go to ``inlined``."""
        members: list[_Value] = []
        cells: list[ox.BlankNode] = []
        cell: _Value = head
        while cell != _NIL:
            if not isinstance(cell, ox.BlankNode):
                return None
            properties = by_subject.get(cell, {})
            firsts, rests = properties.get(_FIRST, []), properties.get(_REST, [])
            if (
                cell in cells
                or references.get(cell) != 1
                or properties.keys() != {_FIRST, _REST}
                or len(firsts) != 1
                or len(rests) != 1
            ):
                return None
            cells.append(cell)
            members.append(firsts[0])
            cell = rests[0]
        inlined.update(cells)
        return members

    def _node(
        self,
        subject: Subject,
        properties: Mapping[ox.NamedNode, list[_Value]],
        lists: Mapping[ox.BlankNode, list[_Value]],
    ) -> dict[str, Any]:
        node: dict[str, Any] = {"@id": _node_id(subject)}
        value_of = self._value
        for predicate, values in properties.items():
            if predicate == _TYPE and all(isinstance(v, ox.NamedNode) for v in values):
                node["@type"] = _one_or_sorted([self.term(v.value) for v in values])
            elif len(values) == 1:
                node[self.term(predicate.value)] = value_of(values[0], lists)
            else:
                forms = [value_of(value, lists) for value in values]
                node[self.term(predicate.value)] = sorted(forms, key=_sort_key)
        return node

    def _value(self, value: _Value, lists: Mapping[ox.BlankNode, list[_Value]]) -> Any:
        if isinstance(value, ox.Literal):
            return self._literal(value)
        if isinstance(value, ox.BlankNode):
            members = lists.get(value)
            if members is not None:
                return {"@list": [self._value(member, lists) for member in members]}
            return {"@id": f"_:{value.value}"}
        iri = value.value
        return {"@list": []} if iri == _NIL_IRI else {"@id": iri}

    def _literal(self, value: ox.Literal) -> Any:
        text = value.value
        if value.language:
            return {"@language": value.language, "@value": text}
        datatype = value.datatype.value
        if datatype == _XSD_STRING:
            return text
        if datatype == _XSD_INTEGER and _canonical_integer(text):
            return int(text)
        if datatype == _XSD_BOOLEAN and text in ("true", "false"):
            return text == "true"
        return {"@type": self.term(datatype), "@value": text}

    def term(self, iri: str) -> str:
        """``iri`` as a vocabulary term, else as a compact IRI, else as it is."""
        found = self._terms.get(iri)
        if found is None:
            found = self._terms[iri] = self._compact(iri)
        return found

    def _compact(self, iri: str) -> str:
        if self._vocab and iri.startswith(self._vocab):
            local = iri[len(self._vocab) :]
            if (
                local
                and ":" not in local
                and not local.startswith("@")
                and local not in self._defined  # "foaf" names the prefix, not schema:foaf
            ):
                return local
        for namespace, name in self._prefixes:
            local = iri[len(namespace) :]
            if iri.startswith(namespace) and local and not local.startswith("//"):
                return f"{name}:{local}"
        return iri


def _node_id(node: Subject) -> str:
    return f"_:{node.value}" if isinstance(node, ox.BlankNode) else node.value


def _canonical_integer(text: str) -> bool:
    """Whether JSON-LD's number form gives back exactly ``text`` as ``xsd:integer`` (and
    fits the writer)."""
    try:
        number = int(text)
    except ValueError:
        return False
    return str(number) == text and -_INT64 <= number < _INT64


def _one_or_sorted(forms: list[Any]) -> Any:
    if len(forms) == 1:
        return forms[0]
    return sorted(forms, key=_sort_key)


def _sort_key(value: Any) -> bytes:
    """The order JSON-LD compaction gives nodes and values: by their JSON text with sorted
    keys. orjson's compact text orders exactly like ``json.dumps``'s spaced one (the spaces
    only ever follow the same ``:`` or ``,`` in both texts compared), and UTF-8 bytes order
    like code points."""
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)


def _json_block(value: Any) -> str:
    """``json.dumps(value, ensure_ascii=False, sort_keys=True, indent=2)``, by orjson: the
    standard library's indenting encoder is pure Python and was most of the writing time."""
    return orjson.dumps(value, option=_LAYOUT).decode("utf-8")


def _graph_items(nodes: list[dict[str, Any]]) -> bytes:
    """Node objects laid out as items of the document's ``@graph`` array: orjson writes
    them inside ``{"@graph": [...]}``, and the text between the brackets is kept."""
    block = orjson.dumps({"@graph": nodes}, option=_LAYOUT)
    return block[_GRAPH_HEAD:-_GRAPH_TAIL]
