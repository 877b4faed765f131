"""The bundled shapes' constraints as set-based SPARQL over an in-memory Oxigraph store.

pySHACL (and pyshacl-turbo) check one focus node at a time, about 30 µs per triple; a SPARQL
query over Oxigraph finds every violation of one constraint in the whole graph at once. The
queries are generated from the shapes graph, never written by hand: :func:`compile_checks`
turns each (shape, constraint component) into one SELECT that yields every violating focus
node (and value, and path where the component has them), and wraps each SHACL-SPARQL
constraint so that ``$this`` ranges over the shape's focus nodes instead of being bound to
one. A component, parameter or shape form the compiler does not know is refused when the
shapes are loaded, so a change to the shapes cannot silently drop a check.

The results become the report graph pySHACL writes (same nodes, same triples), so
:mod:`kg.validation` reads, labels and formats them as before. Where SPARQL and pySHACL
could disagree, the data carries what pySHACL decides in Python:

- Oxigraph stores typed literals in canonical form (``"1.0"^^xsd:decimal`` comes back as
  ``"1"``): each value is mapped back to the term the data had, and a graph where two
  distinct terms would share one canonical form is refused (:class:`NotRepresentable`),
  so the caller can use the general engine for it;
- literals that pySHACL finds ill-typed (``"2024-02-30"^^xsd:date``) are listed in a named
  graph that the ``sh:datatype`` checks read;
- ``sh:pattern`` regexes are Python's; the few constructs where Rust's regex (Oxigraph)
  reads them otherwise (``\\s``, ``\\S``, a final ``$``) are rewritten, anything unknown
  is refused.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, time
from decimal import Decimal
from functools import cache
from typing import Final

import pyoxigraph as ox
from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.collection import Collection
from rdflib.namespace import RDF, RDFS, XSD
from rdflib.term import Node

from kg.errors import ConfigError
from kg.results import term_to_sparql
from kg.terms import to_oxigraph, to_rdflib

__all__ = ["Check", "Checks", "LoadedData", "NotRepresentable", "compile_checks"]

SH: Final = Namespace("http://www.w3.org/ns/shacl#")

_ENGINE: Final = "urn:kg:shacl-sparql:"
_CHECKS_GRAPH: Final = ox.NamedNode(_ENGINE + "checks")
_ILL_TYPED: Final = ox.NamedNode(_ENGINE + "ill-typed")
_FOCUS: Final = ox.NamedNode(_ENGINE + "focus")
_XSD_STRING: Final = str(XSD.string)
_XSD_STRING_SUFFIX: Final = f'"^^<{XSD.string}>'.encode()
_TYPED_LITERAL: Final = re.compile(rb'"(?:[^"\\\n]|\\.)*"\^\^<[^>\n]*>(?= \.$)', re.MULTILINE)

# What pySHACL checks of a well-typed literal's Python value (DatatypeConstraintComponent).
_PYTHON_TYPES: Final[dict[URIRef, type | tuple[type, ...]]] = {
    XSD.string: (str, bytes),
    RDF.langString: (str, bytes),
    XSD.integer: int,
    XSD.float: float,
    XSD.decimal: Decimal,
    XSD.boolean: bool,
    XSD.date: date,
    XSD.time: time,
    XSD.dateTime: datetime,
}

_NODE_KINDS: Final[dict[URIRef, str]] = {
    SH.IRI: "isIRI({v})",
    SH.BlankNode: "isBlank({v})",
    SH.Literal: "isLiteral({v})",
    SH.BlankNodeOrIRI: "(isBlank({v}) || isIRI({v}))",
    SH.BlankNodeOrLiteral: "(isBlank({v}) || isLiteral({v}))",
    SH.IRIOrLiteral: "(isIRI({v}) || isLiteral({v}))",
}

_TARGETS: Final = (SH.targetClass, SH.targetSubjectsOf, SH.targetObjectsOf)
_SHAPE_PARAMETERS: Final = {*_TARGETS, SH.property, SH.sparql, SH.severity, SH.message}
_NODE_CONSTRAINTS: Final = {SH.closed, SH.ignoredProperties, SH.nodeKind, SH["class"], SH["or"]}
_PROPERTY_PARAMETERS: Final = {SH.path, SH.message, SH.severity, SH.flags}
_PROPERTY_CONSTRAINTS: Final = {
    SH.minCount,
    SH.maxCount,
    SH.datatype,
    SH.pattern,
    SH.nodeKind,
    SH["class"],
    SH.equals,
    SH.hasValue,
    SH.minInclusive,
    SH["in"],
    SH["or"],
}
_COMPONENT: Final[dict[URIRef, URIRef]] = {
    SH.closed: SH.ClosedConstraintComponent,
    SH.minCount: SH.MinCountConstraintComponent,
    SH.maxCount: SH.MaxCountConstraintComponent,
    SH.datatype: SH.DatatypeConstraintComponent,
    SH.pattern: SH.PatternConstraintComponent,
    SH.nodeKind: SH.NodeKindConstraintComponent,
    SH["class"]: SH.ClassConstraintComponent,
    SH.equals: SH.EqualsConstraintComponent,
    SH.hasValue: SH.HasValueConstraintComponent,
    SH.minInclusive: SH.MinInclusiveConstraintComponent,
    SH["in"]: SH.InConstraintComponent,
    SH["or"]: SH.OrConstraintComponent,
    SH.sparql: SH.SPARQLConstraintComponent,
}


class NotRepresentable(ValueError):
    """The data holds distinct terms that Oxigraph would store as one (``"1"`` and ``"01"``
    as xsd:integer): this engine cannot report on it exactly as pySHACL does."""


@dataclass(frozen=True)
class Check:
    """One constraint of one shape, as a query for all of its violations."""

    shape: URIRef
    """sh:sourceShape."""
    component: URIRef
    severity: URIRef
    messages: tuple[Literal, ...]
    path: Node | None
    """The property shape's sh:path (a node of the shapes graph), for sh:resultPath."""
    query: str
    """Selects ?this, and ?value / ?path where the component reports them."""
    constraint: URIRef | None = None
    """A SHACL-SPARQL constraint (sh:sourceConstraint); its other variables fill the
    message's {?var} templates."""
    value_is_focus: bool = False
    """A node shape's constraint: the value is the focus node."""
    focus_set: str = ""
    """The named graph of the shape's focus nodes, which the query starts from: with no
    focus node in it, the check finds nothing, and is not run ("": always run)."""


class LoadedData:
    """A data graph in an in-memory Oxigraph store, with the way back to its own terms."""

    def __init__(self) -> None:
        self.store = ox.Store()
        self._originals: dict[ox.Literal, Node] = {}
        self._blanks: dict[ox.BlankNode, BNode] = {}
        self._checked: set[ox.Literal] = set()
        self._quads: list[ox.Quad] = []

    @classmethod
    def from_graph(cls, graph: Graph) -> LoadedData:
        """An rdflib graph; its blank nodes map back to themselves."""
        data = cls()
        mine: dict[BNode, ox.BlankNode] = {}

        def blank(node: BNode) -> ox.BlankNode:
            found = mine.get(node)
            if found is None:
                found = mine[node] = ox.BlankNode()
                data._blanks[found] = node
            return found

        for s, p, o in graph:
            obj = to_oxigraph(o, blank)
            if (
                isinstance(obj, ox.Literal)
                and isinstance(o, Literal)
                and (o.datatype or o.language)
            ):
                obj = data._literal(obj, o)
            data._add(to_oxigraph(s, blank), to_oxigraph(p, blank), obj)
        data._flush()
        return data

    @classmethod
    def from_ntriples(cls, text: bytes) -> LoadedData:
        """N-Triples text that kg wrote (a validation batch); blank nodes keep their labels
        (as :func:`kg.terms.parse_ntriples`).

        Parsed leniently (IRIs and language tags not checked again): every term of the text
        was written by Oxigraph from a term it had already checked, and loading a batch so
        takes a sixth less time (10k papers: 1.9 s instead of 2.3 s in all). User files
        never come this way.
        """
        data = cls()
        parsed = ox.parse(
            text,
            format=ox.RdfFormat.N_TRIPLES,
            rename_blank_nodes=False,
            lenient=True,
        )
        # Typed literals end their line (strings hold no raw newline or bare quote), and only
        # they may be stored in another form: read just those again. Should any hide from
        # the pattern (other spacing), every triple is looked at instead.
        typed = _TYPED_LITERAL.findall(text)
        if len(typed) != text.count(b'"^^<'):
            for quad in parsed:
                obj = quad.object
                if (
                    isinstance(obj, ox.Literal)
                    and not obj.language
                    and obj.datatype.value != _XSD_STRING
                ):
                    obj = data._literal(obj, to_rdflib(obj, _same_label))
                data._add(quad.subject, quad.predicate, obj)
            data._flush()
            return data
        data.store.bulk_extend(parsed)
        for text_form in set(typed):
            if text_form.startswith(_XSD_STRING_SUFFIX, text_form.rindex(b'"')):
                continue
            line = f"<{_ENGINE}s> <{_ENGINE}p> ".encode() + text_form + b" ."
            (quad,) = ox.parse(line, format=ox.RdfFormat.N_TRIPLES)
            literal = quad.object
            assert isinstance(literal, ox.Literal)
            data._literal(literal, to_rdflib(literal, _same_label))
        data._flush()
        return data

    @classmethod
    def from_quads(cls, quads: Iterable[ox.Quad]) -> LoadedData:
        """Parsed files (:func:`kg.rdfio.parse_quads`); blank nodes keep their labels, so
        :meth:`around` finds them again."""
        data = cls()
        for quad in quads:
            obj = quad.object
            if isinstance(obj, ox.Literal) and (obj.language or obj.datatype.value != _XSD_STRING):
                obj = data._literal(obj, to_rdflib(obj, _same_label))
            data._add(quad.subject, quad.predicate, obj)
        data._flush()
        return data

    def around(self, node: BNode) -> tuple[list[tuple[Node, Node]], list[tuple[Node, Node]]]:
        """A blank node's (predicate, object) and (subject, predicate) pairs, each term as
        the data had it (data loaded with its blank node labels kept)."""
        blank, graph = ox.BlankNode(str(node)), ox.DefaultGraph()
        out = self.store.quads_for_pattern(blank, None, None, graph)
        into = self.store.quads_for_pattern(None, None, blank, graph)
        return (
            [(self.back(q.predicate), self.back(q.object)) for q in out],
            [(self.back(q.subject), self.back(q.predicate)) for q in into],
        )

    def _add(self, s: object, p: object, o: object) -> None:
        self._quads.append(ox.Quad(s, p, o))  # type: ignore[arg-type]
        if len(self._quads) >= 100_000:
            self._flush()

    def _flush(self) -> None:
        self.store.extend(self._quads)
        self._quads = []

    def _literal(self, literal: ox.Literal, original: Node) -> ox.Literal:
        """The stored form of a typed or tagged literal, remembering the original."""
        stored = _canonical(literal) if not literal.language else literal
        known = self._originals.setdefault(stored, original)
        if known != original:
            raise NotRepresentable(f"{known.n3()} and {original.n3()} are one term in Oxigraph")
        if stored not in self._checked:
            self._checked.add(stored)
            if isinstance(original, Literal) and _ill_typed(original):
                self._quads.append(ox.Quad(_ILL_TYPED, _ILL_TYPED, stored, _CHECKS_GRAPH))
        return stored

    def back(self, term: object) -> Node:
        """The data's own term for a term a query returned."""
        if isinstance(term, ox.BlankNode):
            return self._blanks.get(term) or BNode(term.value)
        if isinstance(term, ox.Literal):
            found = self._originals.get(term)
            if found is not None:
                return found
        return to_rdflib(term, _same_label)


def _same_label(node: ox.BlankNode) -> BNode:
    return BNode(node.value)


_SCRATCH: Final = ox.Store()
_SCRATCH_NODE: Final = ox.NamedNode(_ENGINE + "scratch")


@cache
def _canonical(literal: ox.Literal) -> ox.Literal:
    """The form in which Oxigraph's store gives ``literal`` back."""
    quad = ox.Quad(_SCRATCH_NODE, _SCRATCH_NODE, literal)
    _SCRATCH.add(quad)
    try:
        (stored,) = _SCRATCH.quads_for_pattern(_SCRATCH_NODE, _SCRATCH_NODE, None)
    finally:
        _SCRATCH.clear()
    result = stored.object
    assert isinstance(result, ox.Literal)
    return result


def _ill_typed(literal: Literal) -> bool:
    """pySHACL's verdict that a literal does not match its own datatype."""
    if literal.datatype is None:
        return False
    if getattr(literal, "ill_typed", None) is True:
        return True
    expected = _PYTHON_TYPES.get(literal.datatype)
    return expected is not None and not isinstance(literal.value, expected)


_Term = ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple


@dataclass(frozen=True)
class _Targets:
    """A node shape's targets. Its focus nodes are found by lookups in the store rather than
    by a query that inserts them (10k papers' batches: 1.5-1.7 s instead of 2.3-2.5 s)."""

    classes: tuple[ox.NamedNode, ...]
    subjects_of: tuple[ox.NamedNode, ...]
    objects_of: tuple[ox.NamedNode, ...]

    def nodes(self, store: ox.Store) -> set[_Term]:
        found: set[_Term] = set()
        for cls in self.classes:
            for each in _subclasses(store, cls):
                found.update(q.subject for q in _default(store, None, _RDF_TYPE, each))
        for predicate in self.subjects_of:
            found.update(q.subject for q in _default(store, None, predicate, None))
        for predicate in self.objects_of:
            found.update(q.object for q in _default(store, None, predicate, None))
        return found


_RDF_TYPE: Final = ox.NamedNode(str(RDF.type))
_SUBCLASS_OF: Final = ox.NamedNode(str(RDFS.subClassOf))


def _default(store: ox.Store, s: object, p: object, o: object) -> Iterator[ox.Quad]:
    """The store's default-graph triples that match."""
    return store.quads_for_pattern(s, p, o, ox.DefaultGraph())  # type: ignore[arg-type]


def _subclasses(store: ox.Store, cls: ox.NamedNode) -> set[object]:
    """``cls`` and every class with an ``rdfs:subClassOf`` path to it in the data (SPARQL's
    ``rdfs:subClassOf*``, zero steps included)."""
    found: set[object] = {cls}
    todo: list[object] = [cls]
    while todo:
        for quad in _default(store, None, _SUBCLASS_OF, todo.pop()):
            if quad.subject not in found:
                found.add(quad.subject)
                todo.append(quad.subject)
    return found


# --- compiling ------------------------------------------------------------------------


class _Compiler:
    def __init__(self, shapes: Graph) -> None:
        self.shapes = shapes
        self.focus_sets: list[tuple[str, _Targets]] = []
        """(graph IRI, targets): each node shape's focus nodes go to that named graph once per
        run, as objects (a focus node may be a literal)."""

    def refuse(self, node: Node, why: str) -> ConfigError:
        return ConfigError(f"SHACL shape {node.n3()}: {why} (kg's SPARQL checks cannot run it)")

    def one(self, node: Node, parameter: URIRef) -> Node:
        values = list(self.shapes.objects(node, parameter))
        if len(values) != 1:
            raise self.refuse(node, f"needs exactly one {parameter.n3()}")
        return values[0]

    def parameters(self, node: Node) -> set[URIRef]:
        return {
            p
            for p in self.shapes.predicates(node, unique=True)
            if isinstance(p, URIRef) and p.startswith(str(SH))
        }

    def messages(self, node: Node) -> tuple[Literal, ...]:
        found = tuple(
            sorted(m for m in self.shapes.objects(node, SH.message) if isinstance(m, Literal))
        )
        if not found:
            raise self.refuse(node, "has no sh:message (pySHACL would make up one)")
        return found

    def severity(self, node: Node) -> URIRef:
        found = list(self.shapes.objects(node, SH.severity))
        if len(found) > 1 or any(not isinstance(s, URIRef) for s in found):
            raise self.refuse(node, "needs at most one sh:severity IRI")
        return found[0] if found else SH.Violation  # type: ignore[return-value]

    def term(self, node: Node) -> str:
        if isinstance(node, BNode):
            raise self.refuse(node, "blank node as a constraint value")
        return str(to_oxigraph(node, lambda b: ox.BlankNode()))

    def members(self, node: Node, parameter: URIRef) -> list[Node]:
        return list(Collection(self.shapes, self.one(node, parameter)))

    def path(self, node: Node) -> str:
        """A SHACL path as a SPARQL property path."""
        if isinstance(node, URIRef):
            return f"<{node}>"
        unary = {
            SH.inversePath: "^({})",
            SH.zeroOrMorePath: "({})*",
            SH.oneOrMorePath: "({})+",
            SH.zeroOrOnePath: "({})?",
        }
        for parameter, template in unary.items():
            inner = self.shapes.value(node, parameter)
            if inner is not None:
                return template.format(self.path(inner))
        alternatives = self.shapes.value(node, SH.alternativePath)
        if alternatives is not None:
            return "(" + "|".join(self.path(p) for p in Collection(self.shapes, alternatives)) + ")"
        if (node, RDF.first, None) in self.shapes:
            return "(" + "/".join(self.path(p) for p in Collection(self.shapes, node)) + ")"
        raise self.refuse(node, "unknown kind of sh:path")

    # -- focus nodes

    def focus(self, shape: Node) -> _Targets | None:
        """The targets of ``shape`` (None: it has none)."""

        def iris(parameter: URIRef) -> tuple[ox.NamedNode, ...]:
            found = sorted(self.shapes.objects(shape, parameter), key=str)
            if any(not isinstance(each, URIRef) for each in found):
                raise self.refuse(shape, f"{parameter.n3()} must be an IRI")
            return tuple(ox.NamedNode(str(each)) for each in found)

        targets = _Targets(
            iris(SH.targetClass), iris(SH.targetSubjectsOf), iris(SH.targetObjectsOf)
        )
        return targets if targets.classes or targets.subjects_of or targets.objects_of else None

    def subclasses(self, variable: str, cls: Node) -> str:
        """``variable`` is ``cls`` or one of its subclasses in the data. (Walked from the
        class: ``?x rdf:type/rdfs:subClassOf* C`` makes Oxigraph walk from every node.)"""
        return f"{variable} <{RDFS.subClassOf}>* {self.term(cls)} ."

    # -- value conditions (SPARQL expressions over ?value that hold when it conforms)

    def datatype_ok(self, shape: Node, datatype: Node, v: str) -> str:
        if datatype in (RDFS.Literal, RDFS.Datatype) or not isinstance(datatype, URIRef):
            raise self.refuse(shape, f"sh:datatype {datatype.n3()}")
        return (
            f"(isLiteral({v}) && datatype({v}) = <{datatype}> && NOT EXISTS {{ GRAPH "
            f"<{_CHECKS_GRAPH.value}> {{ <{_ILL_TYPED.value}> <{_ILL_TYPED.value}> {v} }} }})"
        )

    def not_of_classes(self, classes: Sequence[Node], v: str) -> str:
        """MINUS clauses that drop the solutions whose ``v`` is an instance of one of
        ``classes`` (or of a subclass in the data). Set-based: Oxigraph finds the instances
        once, where ``FILTER (!EXISTS { ... })`` walks ``rdfs:subClassOf*`` again for every
        value (the class and or checks of a 10k-paper build's batches: 1.36 s before, 0.75 s;
        on its whole graph in one store, an eighth of the time). One MINUS per class: a UNION
        of them inside one MINUS is slower than EXISTS."""
        return " ".join(
            f"MINUS {{ {v} <{RDF.type}> ?type_ . {self.subclasses('?type_', c)} }}" for c in classes
        )

    def or_failing(self, shape: Node, v: str) -> str:
        """The pattern part that keeps the solutions whose ``v`` satisfies no ``sh:or``
        member: instances of the members' classes are dropped (a MINUS each), and what remains
        must fail every member's datatype."""
        classes: list[Node] = []
        datatypes: list[str] = []
        for option in self.members(shape, SH["or"]):
            parameters = self.parameters(option)
            if parameters == {SH["class"]}:
                classes.append(self.one(option, SH["class"]))
            elif parameters == {SH.datatype}:
                datatypes.append(self.datatype_ok(option, self.one(option, SH.datatype), v))
            else:
                raise self.refuse(
                    option, "an sh:or member other than [ sh:class ] or [ sh:datatype ]"
                )
        minus = self.not_of_classes(classes, v) if classes else ""
        if datatypes or not classes:
            return f"{minus} FILTER (!({' || '.join(datatypes or ['false'])}))"
        return minus

    def pattern_ok(self, shape: Node, v: str) -> list[str]:
        flags = list(self.shapes.objects(shape, SH.flags))
        flag_text = str(flags[0]) if flags else ""
        if set(flag_text) - {"i"}:
            raise self.refuse(shape, f"sh:flags {flag_text!r}")
        found = []
        for pattern in sorted(self.shapes.objects(shape, SH.pattern), key=str):
            rust = _rust_regex(str(pattern))
            if rust is None:
                raise self.refuse(
                    shape, f"sh:pattern {str(pattern)!r} uses regex syntax kg does not translate"
                )
            regex, options = (term_to_sparql(ox.Literal(text)) for text in (rust, flag_text))
            found.append(f"(!isBlank({v}) && REGEX(STR({v}), {regex}, {options}))")
        return found

    # -- the checks of one shape

    def node_shape(self, shape: Node) -> Iterator[Check]:
        parameters = self.parameters(shape)
        unknown = parameters - _SHAPE_PARAMETERS - _NODE_CONSTRAINTS
        if unknown or SH.path in parameters:
            raise self.refuse(shape, "unsupported " + ", ".join(sorted(u.n3() for u in unknown)))
        if not isinstance(shape, URIRef):
            raise self.refuse(shape, "a node shape must be an IRI")
        targets = self.focus(shape)
        if targets is None:
            raise self.refuse(shape, "a node shape without targets")
        known = {found: iri for iri, found in self.focus_sets}
        graph = known.get(targets, f"{_ENGINE}focus-{len(self.focus_sets)}")
        if targets not in known:  # shapes with the same targets share their focus nodes
            self.focus_sets.append((graph, targets))
        for check in self._constraints(shape, parameters, graph):
            yield replace(check, focus_set=graph)

    def _constraints(self, shape: URIRef, parameters: set[URIRef], graph: str) -> Iterator[Check]:
        """The checks of a node shape whose focus nodes are in the named graph ``graph``."""
        focus = f"GRAPH <{graph}> {{ <{_FOCUS.value}> <{_FOCUS.value}> ?this }}"
        if SH.sparql in parameters and SH.message in parameters:
            raise self.refuse(shape, "sh:message on a shape that carries sh:sparql")
        severity = self.severity(shape)
        own = parameters & _NODE_CONSTRAINTS - {SH.ignoredProperties}
        messages = self.messages(shape) if own else ()

        def check(component: URIRef, query: str) -> Check:
            return Check(shape, component, severity, messages, None, query, value_is_focus=True)

        for cls in sorted(self.shapes.objects(shape, SH["class"]), key=str):
            yield check(
                _COMPONENT[SH["class"]],
                f"SELECT ?this WHERE {{ {focus} {self.not_of_classes([cls], '?this')} }}",
            )
        if SH.nodeKind in parameters:
            kind = _NODE_KINDS.get(self.one(shape, SH.nodeKind))  # type: ignore[call-overload]
            if kind is None:
                raise self.refuse(shape, "unknown sh:nodeKind")
            yield check(
                _COMPONENT[SH.nodeKind],
                f"SELECT ?this WHERE {{ {focus} FILTER (!{kind.format(v='?this')}) }}",
            )
        if SH["or"] in parameters:
            yield check(
                _COMPONENT[SH["or"]],
                f"SELECT ?this WHERE {{ {focus} {self.or_failing(shape, '?this')} }}",
            )
        if SH.closed in parameters:
            closed = self.one(shape, SH.closed)
            if closed != Literal(True):
                raise self.refuse(shape, "sh:closed other than true")
            allowed = [self.one(p, SH.path) for p in self.shapes.objects(shape, SH.property)]
            if SH.ignoredProperties in parameters:
                allowed += self.members(shape, SH.ignoredProperties)
            iris = sorted({f"<{p}>" for p in allowed if isinstance(p, URIRef)})
            yield check(
                _COMPONENT[SH.closed],
                f"SELECT DISTINCT ?this ?path ?value WHERE {{ {focus} ?this ?path ?value "
                f"FILTER (?path NOT IN ({', '.join(iris)})) }}",
            )
        elif SH.ignoredProperties in parameters:
            raise self.refuse(shape, "sh:ignoredProperties without sh:closed")
        for prop in sorted(self.shapes.objects(shape, SH.property), key=str):
            yield from self.property_shape(prop, focus)
        for constraint in sorted(self.shapes.objects(shape, SH.sparql), key=str):
            yield self.sparql(shape, constraint, focus, severity)

    def property_shape(self, shape: Node, focus: str) -> Iterator[Check]:
        if not isinstance(shape, URIRef):
            raise self.refuse(shape, "a property shape must be an IRI")
        parameters = self.parameters(shape)
        unknown = parameters - _PROPERTY_PARAMETERS - _PROPERTY_CONSTRAINTS
        if unknown or any((shape, t, None) in self.shapes for t in _TARGETS):
            raise self.refuse(shape, "unsupported " + ", ".join(sorted(u.n3() for u in unknown)))
        path_node = self.one(shape, SH.path)
        path = self.path(path_node)
        severity = self.severity(shape)
        messages = self.messages(shape)
        values = f"{focus} ?this {path} ?value ."

        def check(parameter: URIRef, query: str) -> Check:
            return Check(shape, _COMPONENT[parameter], severity, messages, path_node, query)

        def failing(condition: str) -> str:
            return f"SELECT DISTINCT ?this ?value WHERE {{ {values} FILTER (!{condition}) }}"

        if SH.minCount in parameters:
            count = self.count(shape, SH.minCount)
            # At least one value: a set difference (MINUS), 40% faster than counting.
            # Never FILTER NOT EXISTS: with both ends bound, Oxigraph searches the path
            # from either end (hundreds of times slower on author list paths).
            yield check(
                SH.minCount,
                f"SELECT ?this WHERE {{ {focus} MINUS {{ ?this {path} ?value }} }}"
                if count == 1
                else f"SELECT ?this WHERE {{ {focus} OPTIONAL {{ ?this {path} ?value }} }} "
                f"GROUP BY ?this HAVING (COUNT(DISTINCT ?value) < {count})",
            )
        if SH.maxCount in parameters:
            count = self.count(shape, SH.maxCount)
            yield check(
                SH.maxCount,
                f"SELECT ?this WHERE {{ {values} }} GROUP BY ?this "
                f"HAVING (COUNT(DISTINCT ?value) > {count})",
            )
        if SH.datatype in parameters:
            yield check(
                SH.datatype,
                failing(self.datatype_ok(shape, self.one(shape, SH.datatype), "?value")),
            )
        if SH.pattern in parameters:
            for condition in self.pattern_ok(shape, "?value"):
                yield check(SH.pattern, failing(condition))
        elif SH.flags in parameters:
            raise self.refuse(shape, "sh:flags without sh:pattern")
        if SH.nodeKind in parameters:
            kind = _NODE_KINDS.get(self.one(shape, SH.nodeKind))  # type: ignore[call-overload]
            if kind is None:
                raise self.refuse(shape, "unknown sh:nodeKind")
            yield check(SH.nodeKind, failing(kind.format(v="?value")))
        for cls in sorted(self.shapes.objects(shape, SH["class"]), key=str):
            yield check(
                SH["class"],
                f"SELECT DISTINCT ?this ?value WHERE {{ {values} "
                f"{self.not_of_classes([cls], '?value')} }}",
            )
        # Both sides walked from ?this, then compared: a path with both ends bound (as in
        # FILTER NOT EXISTS { ?this path ?value }) makes Oxigraph search from either end.
        for other in sorted(self.shapes.objects(shape, SH.equals), key=str):
            yield check(
                SH.equals,
                f"SELECT ?this ?value WHERE {{ {focus} "
                f"{{ ?this {path} ?value BIND (1 AS ?side_) }} UNION "
                f"{{ ?this {self.term(other)} ?value BIND (2 AS ?side_) }} }} "
                "GROUP BY ?this ?value HAVING (COUNT(DISTINCT ?side_) < 2)",
            )
        for value in sorted(self.shapes.objects(shape, SH.hasValue), key=str):
            yield check(
                SH.hasValue,
                f"SELECT ?this WHERE {{ {focus} OPTIONAL {{ ?this {path} ?value }} }} "
                f"GROUP BY ?this HAVING "
                f"(SUM(IF(BOUND(?value) && sameTerm(?value, {self.term(value)}), 1, 0)) = 0)",
            )
        for bound in sorted(self.shapes.objects(shape, SH.minInclusive), key=str):
            if (
                not isinstance(bound, Literal)
                or isinstance(bound.value, str)
                or bound.value is None
            ):
                raise self.refuse(shape, "sh:minInclusive must be a number or date")
            yield check(
                SH.minInclusive,
                failing(f"(isLiteral(?value) && COALESCE(?value >= {self.term(bound)}, false))"),
            )
        if SH["in"] in parameters:
            allowed = [f"sameTerm(?value, {self.term(m)})" for m in self.members(shape, SH["in"])]
            yield check(SH["in"], failing("(" + " || ".join(allowed or ["false"]) + ")"))
        if SH["or"] in parameters:
            yield check(
                SH["or"],
                f"SELECT DISTINCT ?this ?value WHERE {{ {values} "
                f"{self.or_failing(shape, '?value')} }}",
            )

    def count(self, shape: Node, parameter: URIRef) -> int:
        value = self.one(shape, parameter)
        if not isinstance(value, Literal) or not isinstance(value.value, int):
            raise self.refuse(shape, f"{parameter.n3()} must be an integer")
        return value.value

    def sparql(self, shape: URIRef, constraint: Node, focus: str, severity: URIRef) -> Check:
        if not isinstance(constraint, URIRef):
            raise self.refuse(constraint, "a SPARQL constraint must be an IRI")
        if self.parameters(constraint) - {SH.select, SH.message, SH.prefixes}:
            raise self.refuse(
                constraint, "only sh:select, sh:message and sh:prefixes are supported"
            )
        select = str(self.one(constraint, SH.select))
        head = re.match(r"\s*SELECT\s+(DISTINCT\s+)?([^{]*?)\s*WHERE\b", select, re.IGNORECASE)
        if head is None or not re.search(r"[$?]this\b", head.group(2)):
            raise self.refuse(constraint, "the query must be SELECT ... $this ... WHERE")
        if re.search(r"\$(currentShape|shapesGraph|PATH)\b", select):
            raise self.refuse(constraint, "pre-bound variables other than $this")
        prefixes = "".join(
            f"PREFIX {self.shapes.value(d, SH.prefix)}: <{self.shapes.value(d, SH.namespace)}>\n"
            for source in self.shapes.objects(constraint, SH.prefixes)
            for d in sorted(self.shapes.objects(source, SH.declare), key=str)
        )
        query = f"{prefixes}SELECT * WHERE {{ {focus} {{ {select} }} }}"
        return Check(
            shape,
            SH.SPARQLConstraintComponent,
            severity,
            tuple(
                sorted(
                    m for m in self.shapes.objects(constraint, SH.message) if isinstance(m, Literal)
                )
            ),
            None,
            query,
            constraint=constraint,
            value_is_focus=True,
        )


_PY_SPACE: Final = r"\s\x1C-\x1F"
"""Python's \\s also matches the information separators U+001C..U+001F; Rust's does not."""


def _rust_regex(pattern: str) -> str | None:
    """``pattern`` (Python ``re`` syntax, as pySHACL reads it) in Rust regex syntax with the
    same matches, or None if it uses anything beyond literals, classes, groups,
    alternation, quantifiers, ``^``, a final ``$``, ``\\s``, ``\\S`` and escaped
    punctuation."""
    out: list[str] = []
    i, in_class = 0, False
    while i < len(pattern):
        char = pattern[i]
        if char == "\\":
            if i + 1 >= len(pattern):
                return None
            nxt = pattern[i + 1]
            if nxt == "s":
                out.append(_PY_SPACE if in_class else f"[{_PY_SPACE}]")
            elif nxt == "S":
                if in_class:
                    return None  # [\S...] would need set difference
                out.append(f"[^{_PY_SPACE}]")
            elif not nxt.isalnum():
                out.append(char + nxt)
            else:
                return None
            i += 2
            continue
        if in_class:
            if char == "]":
                in_class = False
            elif char == "[":
                out.append("\\[")
                i += 1
                continue
            out.append(char)
        elif char == "[":
            in_class = True
            out.append(char)
            if pattern[i + 1 : i + 2] == "^":
                out.append("^")
                i += 1
            if pattern[i + 1 : i + 2] == "]":  # a leading ] is a literal in Python
                out.append("\\]")
                i += 1
        elif char == "$":
            if i != len(pattern) - 1:
                return None
            out.append("\\n?$")  # Python's $ also matches before a final newline
        elif char == "(" and pattern[i + 1 : i + 2] == "?":
            return None
        else:
            out.append(char)
        i += 1
    return None if in_class else "".join(out)


def compile_checks(shapes: Graph) -> Checks:
    """Every constraint of every shape in ``shapes`` as a :class:`Check`; raises ConfigError
    on anything the compiler does not support."""
    compiler = _Compiler(shapes)
    shape_nodes = set(shapes.subjects(RDF.type, SH.NodeShape))
    for target in _TARGETS:
        shape_nodes |= set(shapes.subjects(target, None))
    for node in shapes.subjects(RDF.type, SH.PropertyShape):
        if (None, SH.property, node) not in shapes:
            raise compiler.refuse(node, "a property shape that no node shape uses")
    if (None, SH.deactivated, None) in shapes or (None, SH.node, None) in shapes:
        raise ConfigError(
            "SHACL shapes: sh:deactivated and sh:node are not supported by kg's SPARQL checks"
        )
    checks = tuple(
        check for shape in sorted(shape_nodes, key=str) for check in compiler.node_shape(shape)
    )
    return Checks(checks, tuple(compiler.focus_sets), shapes)


# --- running --------------------------------------------------------------------------


@dataclass(frozen=True)
class Checks:
    """Compiled checks, run against loaded data into a SHACL report graph."""

    checks: tuple[Check, ...]
    focus_sets: tuple[tuple[str, _Targets], ...]
    """(graph IRI, targets) of each node shape's focus nodes."""
    shapes: Graph

    def report(self, data: LoadedData, focus: Sequence[str] | None = None) -> Graph:
        """pySHACL's report graph for ``data`` (only ``focus`` nodes, if given)."""
        owned = None if focus is None else {ox.NamedNode(iri) for iri in focus}
        occupied = set()
        for graph_iri, targets in self.focus_sets:  # each shape's focus nodes, found once
            nodes = targets.nodes(data.store)
            if owned is not None:
                nodes &= owned
            if nodes:
                occupied.add(graph_iri)
                into = ox.NamedNode(graph_iri)
                data.store.extend(ox.Quad(_FOCUS, _FOCUS, node, into) for node in nodes)
        graph = Graph(bind_namespaces="none")
        results: list[Node] = []
        paths: dict[Node, Node] = {}
        for check in self.checks:
            if check.focus_set and check.focus_set not in occupied:
                continue  # e.g. a person's checks in a batch of papers
            for row in self._rows(data, check, check.query):
                results.append(self._result(graph, data, check, row, paths))
        report = BNode()
        graph.add((report, RDF.type, SH.ValidationReport))
        graph.add((report, SH.conforms, Literal(not results)))
        for node in results:
            graph.add((report, SH.result, node))
        return graph

    @staticmethod
    def _rows(data: LoadedData, check: Check, query: str) -> Iterator[dict[str, Node]]:
        solutions = data.store.query(query)
        assert isinstance(solutions, ox.QuerySolutions)
        names = [v.value for v in solutions.variables]
        seen: set[tuple[tuple[str, Node], ...]] = set()
        for solution in solutions:
            row = {name: data.back(solution[name]) for name in names if solution[name] is not None}
            key = tuple(sorted(row.items(), key=lambda item: item[0]))
            if key not in seen:  # pySHACL reports each distinct solution once
                seen.add(key)
                yield {name: row[name] for name in names if name in row}

    def _result(
        self,
        graph: Graph,
        data: LoadedData,
        check: Check,
        row: dict[str, Node],
        paths: dict[Node, Node],
    ) -> Node:
        node = BNode()
        focus = row["this"]
        value = row.get("value", focus if check.value_is_focus else None)
        graph.add((node, RDF.type, SH.ValidationResult))
        graph.add((node, SH.focusNode, focus))
        graph.add((node, SH.sourceShape, check.shape))
        graph.add((node, SH.sourceConstraintComponent, check.component))
        graph.add((node, SH.resultSeverity, check.severity))
        if value is not None:
            graph.add((node, SH.value, value))
        path = row.get("path") if check.path is None else self._path(graph, check, paths)
        if path is not None:
            graph.add((node, SH.resultPath, path))
        if check.constraint is not None:
            graph.add((node, SH.sourceConstraint, check.constraint))
            bound = {k: v for k, v in row.items() if k not in ("this", "path", "value")}
            bound.update({"this": focus, **({"path": row["path"]} if "path" in row else {})})
            if value is not None:
                bound["value"] = value
            for message in check.messages:
                graph.add((node, SH.resultMessage, Literal(_filled(str(message), bound))))
        else:
            for message in check.messages:
                graph.add((node, SH.resultMessage, message))
        return node

    def _path(self, graph: Graph, check: Check, paths: dict[Node, Node]) -> Node:
        """The shape's path in the report: the IRI, or one copy of its blank nodes per
        shape and report, as pySHACL writes it."""
        assert check.path is not None
        if isinstance(check.path, URIRef):
            return check.path
        if check.shape not in paths:
            copies: dict[Node, BNode] = {}

            def copy(node: Node) -> Node:
                if not isinstance(node, BNode):
                    return node
                if node not in copies:
                    copies[node] = BNode()
                    for p, o in self.shapes.predicate_objects(node):
                        graph.add((copies[node], p, copy(o)))
                return copies[node]

            paths[check.shape] = copy(check.path)
        return paths[check.shape]


def _filled(message: str, bound: dict[str, Node]) -> str:
    """pySHACL's {?var} substitution (``re.sub`` with each value's text)."""
    for name, value in bound.items():
        message = re.sub(f"{{[?$]{name}}}", str(value), message)
    return message
