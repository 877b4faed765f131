"""Which triples a query can read, so ``kg query`` need not load the others.

A query's answer depends only on the triples its patterns can match. When every triple
pattern and property path of a query names its predicates, a triple with any other predicate
can match none of them, and the answer on the graph without such triples is the answer on
the whole graph. At 10k papers a canned query reads a third of ``graph.nt``'s triples or
fewer (abstracts, provenance and author lists are most of its bytes).

The analysis is conservative: it answers ``None`` ("any triple may matter") whenever a
pattern could match a triple by something other than a named predicate: a variable in the
predicate position (unless a ``VALUES`` block joined with it names the IRIs it can take),
a negated property set, a path that may have length zero between two variables (which
matches every node of the graph), ``DESCRIBE``, or a query rdflib cannot translate.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from rdflib.paths import AlternativePath, InvPath, MulPath, Path, SequencePath
from rdflib.plugins.sparql.algebra import translateQuery
from rdflib.plugins.sparql.parser import parseQuery
from rdflib.plugins.sparql.parserutils import CompValue
from rdflib.term import Literal, URIRef, Variable


class _AnyTriple(Exception):
    """A pattern of the query may match a triple whatever its predicate."""


Scope = dict[str, frozenset[str] | None]
"""Predicate IRI: the object IRIs its triples must have to matter (``None``: any object)."""


def predicates_read(query: str, prefixes: Mapping[str, str]) -> Scope | None:
    """The predicates (IRIs) of every triple that can change ``query``'s answer, each with
    the objects such a triple must have when every pattern names one (``rdf:type`` in
    ``?s a schema:Person``), or ``None`` when any triple can; ``prefixes`` are those ``kg
    query`` declares for it."""
    try:
        algebra = translateQuery(parseQuery(query), initNs=dict(prefixes)).algebra
    except Exception:  # rdflib cannot read it: Oxigraph will say what is wrong, or run it
        return None
    if algebra.name == "DescribeQuery":
        return None
    try:
        patterns = list(_predicates(algebra, {}))
    except _AnyTriple:
        return None
    return joined_scope({p: None if o is None else frozenset({o})} for p, o in patterns)


def joined_scope(scopes: Iterable[Scope | None]) -> Scope | None:
    """What several queries can read together."""
    joined: Scope = {}
    for scope in scopes:
        if scope is None:
            return None
        for predicate, objects in scope.items():
            known = joined.get(predicate, frozenset())
            joined[predicate] = None if objects is None or known is None else known | objects
    return joined


def _predicates(
    node: Any, bound: Mapping[Variable, frozenset[str]]
) -> Iterator[tuple[str, str | None]]:
    """The predicates every pattern under ``node`` names, each with its object when that is
    an IRI; ``bound`` holds the variables a ``VALUES`` block joined with ``node`` restricts
    to IRIs."""
    if isinstance(node, CompValue):
        if node.name == "Join":
            operands = list(_joined(node))
            values = _values_bound(operands)
            for operand in operands:
                yield from _predicates(operand, values if _is_pattern(operand) else {})
            return
        if _is_pattern(node):
            for subject, path, obj in _triples(node):
                yield from _path_predicates(path, subject, obj, bound)
            return
        for value in node.values():
            yield from _predicates(value, {})
    elif isinstance(node, list | tuple):
        for item in node:
            yield from _predicates(item, {})
    elif isinstance(node, Path):  # a path outside a triple pattern: not one rdflib makes
        raise _AnyTriple


def _is_pattern(node: Any) -> bool:
    """A basic graph pattern: translated (``BGP``) or, inside ``EXISTS``, as parsed."""
    return isinstance(node, CompValue) and node.name in ("BGP", "TriplesBlock")


def _triples(pattern: CompValue) -> Iterator[tuple[Any, Any, Any]]:
    """A pattern's triples; as parsed (``TriplesBlock``), each item lists one subject's
    triples one after the other (``s p o s p o``)."""
    for items in pattern["triples"]:
        if len(items) % 3 or not items:
            raise _AnyTriple
        for start in range(0, len(items), 3):
            subject, path, obj = items[start : start + 3]
            yield subject, path, obj


def _joined(node: CompValue) -> Iterator[Any]:
    """The operands of a chain of joins, which all meet every solution."""
    for operand in (node["p1"], node["p2"]):
        if isinstance(operand, CompValue) and operand.name == "Join":
            yield from _joined(operand)
        else:
            yield operand


def _values_bound(operands: list[Any]) -> dict[Variable, frozenset[str]]:
    """Variables that a ``VALUES`` block among the joined ``operands`` binds to an IRI in
    every row: after the join, such a variable can only hold one of those IRIs."""
    bound: dict[Variable, frozenset[str]] = {}
    for operand in operands:
        if not (isinstance(operand, CompValue) and operand.name == "ToMultiSet"):
            continue
        table = operand["p"]
        if not (isinstance(table, CompValue) and table.name == "values"):
            continue
        rows = table["res"]
        for variable in {name for row in rows for name in row}:
            terms = [row.get(variable) for row in rows]
            if rows and all(isinstance(term, URIRef) for term in terms):
                bound[variable] = frozenset(str(term) for term in terms)
    return bound


def _path_predicates(
    path: Any, subject: Any, obj: Any, bound: Mapping[Variable, frozenset[str]]
) -> Iterator[tuple[str, str | None]]:
    """The predicates a triple pattern's predicate (an IRI, a variable or a path) names,
    each with the pattern's object when that is an IRI (the ends of a path's steps are
    unknown: ``None``)."""
    if isinstance(path, URIRef):
        yield str(path), str(obj) if isinstance(obj, URIRef) else None
    elif isinstance(path, Variable) and path in bound:
        for predicate in sorted(bound[path]):
            yield predicate, str(obj) if isinstance(obj, URIRef) else None
    elif isinstance(path, SequencePath | AlternativePath):
        for step in path.args:
            yield from _path_predicates(step, None, None, bound)
    elif isinstance(path, InvPath):
        yield from _path_predicates(path.arg, obj, subject, bound)
    elif isinstance(path, MulPath) and (not path.zero or _fixed(subject) or _fixed(obj)):
        # one or more steps; or zero or more with a fixed end, whose length-zero match is
        # that end itself, graph or no graph
        yield from _path_predicates(path.path, None, None, bound)
    else:  # a variable, a negated property set, or length zero between two unknown ends
        raise _AnyTriple


def _fixed(end: Any) -> bool:
    """An IRI or literal at a path's end (a blank node in a query is a variable)."""
    return isinstance(end, URIRef | Literal)
