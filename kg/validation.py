"""Check a kg graph against the bundled SHACL shapes and report the results readably.

The shapes (``shapes/*.ttl``, shipped in the wheel) are the only ones ever used: pySHACL
runs without inference, ``owl:imports``, JavaScript or remote shapes, so validating never
touches the network. Results are sorted and blank nodes get content-derived labels, so the
same graph gives the same report bytes on every run and every ``PYTHONHASHSEED``.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import (
    FIRST_COMPLETED,
    Future,
    ProcessPoolExecutor,
    as_completed,
    wait,
)
from dataclasses import dataclass, field
from functools import cache, partial
from itertools import islice
from multiprocessing import get_context
from pathlib import Path
from typing import Final, Literal

import pyshacl_turbo
from pyshacl_turbo.rdf import Input as EngineInput
from rdflib import BNode, Graph, Namespace, URIRef
from rdflib import Literal as RdfLiteral
from rdflib.collection import Collection
from rdflib.namespace import NamespaceManager
from rdflib.term import Node

from kg.batches import ValidationBatch
from kg.errors import ConfigError
from kg.namespaces import RDF, RDFS, new_graph, prefixes
from kg.rdfio import load_graph, parse_quads
from kg.resources import shapes_dir
from kg.shacl_sparql import Checks, LoadedData, NotRepresentable, compile_checks
from kg.terminal import for_terminal
from kg.terms import parse_ntriples

__all__ = [
    "CLEAN",
    "REPORT_FORMATS",
    "EntityOutcome",
    "Severity",
    "ValidationReport",
    "ValidationResult",
    "batch_outcomes",
    "format_report",
    "merged_report",
    "validate",
    "validate_batches",
    "validate_files",
]

SH: Final = Namespace("http://www.w3.org/ns/shacl#")

Severity = Literal["Violation", "Warning", "Info"]
_SEVERITY_RANK: Final[dict[str, int]] = {"Violation": 0, "Warning": 1, "Info": 2}

REPORT_FORMATS: Final = ("text", "turtle", "json")
"""The formats :func:`format_report` writes."""

# Abbreviated names in reports: kg's prefixes plus ``sh:`` for shapes and components.
_PN_LOCAL: Final = re.compile(r"[A-Za-z_][A-Za-z0-9_\-]*(?:\.[A-Za-z0-9_\-]+)*")
_TEXT_VALUE_LIMIT: Final = 80


@dataclass(frozen=True)
class ValidationResult:
    """One SHACL result, with every node rendered as a stable, readable string.

    IRIs are bare strings, literals are in Turtle notation (``"text"``,
    ``"2"^^xsd:string``), blank nodes are ``_:b`` plus a hash of their triples.
    """

    severity: Severity
    focus_node: str
    path: str | None
    value: str | None
    message: str
    source_shape: str
    constraint_component: str
    focus_kind: str = ""
    """What the focus node is ("paper", "person", ...), from the shape's rdfs:label."""

    def sort_key(self) -> tuple[int, str, str, str, str, str, str]:
        """Severity first, then focus node, path and message: the report's reading order."""
        return (
            _SEVERITY_RANK[self.severity],
            self.focus_node,
            self.path or "",
            self.message,
            self.value or "",
            self.source_shape,
            self.constraint_component,
        )

    def as_dict(self) -> dict[str, str | None]:
        """The result as a JSON-ready mapping with a fixed key order."""
        return {
            "severity": self.severity,
            "focus_node": self.focus_node,
            "focus_kind": self.focus_kind,
            "path": self.path,
            "value": self.value,
            "message": self.message,
            "source_shape": self.source_shape,
            "constraint_component": self.constraint_component,
        }

    def __str__(self) -> str:
        """One line: ``paper <iri>: message [path = value]``."""
        focus = _display_node(self.focus_node)
        subject = f"{self.focus_kind} {focus}" if self.focus_kind else focus
        value = self.value
        if value is not None and (value == self.focus_node or value in self.message):
            value = None  # already said
        detail = ""
        if self.path is not None and value is not None:
            detail = f" [{self.path} = {_display_value(value)}]"
        elif self.path is not None:
            detail = f" [{self.path}]"
        elif value is not None:
            detail = f" [{_display_value(value)}]"
        return f"{subject}: {self.message}{detail}"


@dataclass(frozen=True)
class ValidationReport:
    """The outcome of :func:`validate`: sorted results plus pySHACL's report graph."""

    results: tuple[ValidationResult, ...]
    results_graph: Graph = field(compare=False, repr=False)

    @property
    def violations(self) -> tuple[ValidationResult, ...]:
        return tuple(r for r in self.results if r.severity == "Violation")

    @property
    def warnings(self) -> tuple[ValidationResult, ...]:
        return tuple(r for r in self.results if r.severity == "Warning")

    @property
    def conforms(self) -> bool:
        """SHACL's verdict (§3.6.1): true only when there is no result at all, warnings
        included."""
        return not self.results

    @property
    def passes(self) -> bool:
        """kg's verdict: true when nothing is broken; warnings alone do not fail a graph."""
        return not self.violations


def validate(
    data: Graph,
    extra_shapes: Sequence[Path] = (),
    keep: Callable[[Node], bool] | None = None,
) -> ValidationReport:
    """Validate ``data`` against kg's bundled shapes plus the user's ``extra_shapes`` files
    (local rules, e.g. "every paper has an abstract"), and nothing fetched.

    With ``keep``, the report holds only the results whose focus node it keeps: a shard of
    a build validates the whole graph (user shapes may read any of it) and reports on its
    own part.

    The graph is read in place, never modified or copied.
    """
    results_graph = _run_engine(data, tuple(extra_shapes))
    if keep is not None:
        results_graph = _kept_results(results_graph, keep)
    return _read_report(results_graph, partial(_blank_label, data=data))


def validate_files(paths: Sequence[Path], extra_shapes: Sequence[Path] = ()) -> ValidationReport:
    """:func:`validate` of the RDF files ``paths`` (as :func:`kg.rdfio.load_graph` reads them).

    With the bundled shapes alone, the files go straight into the SPARQL checks' store and
    rdflib's graph is never built (on a 10k-paper graph, 12 s and 0.5 GB instead of 36 s
    and 1.3 GB); user shapes, and terms Oxigraph cannot hold apart, take the graph."""
    if not extra_shapes:
        try:
            data = LoadedData.from_quads(parse_quads(paths))
        except NotRepresentable:
            pass
        else:
            results_graph = _sparql_checks().report(data)
            return _read_report(results_graph, partial(_stored_blank_label, data=data))
    return validate(load_graph(paths), extra_shapes)


def _kept_results(results_graph: Graph, keep: Callable[[Node], bool]) -> Graph:
    """The report graph with only the results whose focus node ``keep`` keeps."""
    kept = Graph(bind_namespaces="none")
    report = BNode()
    kept.add((report, RDF.type, SH.ValidationReport))
    for node in results_graph.objects(None, SH.result):
        focus = _one(results_graph, node, SH.focusNode)
        if focus is not None and keep(focus):
            kept.add((report, SH.result, node))
            for triple in _reachable(results_graph, node):
                kept.add(triple)
    kept.add((report, SH.conforms, RdfLiteral(not any(kept.objects(report, SH.result)))))
    return kept


@dataclass(frozen=True)
class EntityOutcome:
    """What validating one entity (a list, paper or person of a build) found."""

    results: tuple[ValidationResult, ...] = ()
    report: str = ""
    """The results as SHACL report triples (N-Triples), for the merged report graph."""

    def as_json(self) -> str:
        return json.dumps({"results": [r.as_dict() for r in self.results], "report": self.report})

    @classmethod
    def from_json(cls, text: str) -> EntityOutcome:
        document = json.loads(text)
        results = tuple(ValidationResult(**fields) for fields in document["results"])
        return cls(results=results, report=document["report"])


CLEAN: Final = EntityOutcome()
"""The outcome of an entity without results."""


def validate_batches(
    batches: Iterable[ValidationBatch],
    workers: int | None = None,
    on_batch: Callable[[int], None] | None = None,
) -> ValidationReport:
    """Validate a kg-built graph batch by batch (see :mod:`kg.batches`) against the bundled
    shapes, in ``workers`` processes (one per core by default): the same report as
    :func:`validate` on the whole graph, with work that grows linearly with the graph.
    ``on_batch`` is told how many batches are done, for progress bars."""
    return merged_report(batch_outcomes(batches, workers, on_batch).values())


def batch_outcomes(
    batches: Iterable[ValidationBatch],
    workers: int | None = None,
    on_batch: Callable[[int], None] | None = None,
) -> dict[str, EntityOutcome]:
    """The outcome of each batched entity that has results, by entity IRI (see
    :func:`validate_batches`); every other entity is :data:`CLEAN`. An outcome for each
    entity, held by the build's process, grows with the corpus (18 MB for 133k entities)."""
    batches = iter(batches)
    first = list(islice(batches, 2))
    count = (os.cpu_count() or 1) if workers is None else workers
    in_parallel = len(first) == 2 and count >= 2

    def payloads() -> Iterator[tuple[bytes, dict[str, str]]]:
        """Each batch's text and owners, holding none once sent: the first two, held to the
        end, were 80 MB of a 100k-paper build's peak."""
        while first:
            batch = first.pop(0)
            yield batch.text, batch.owners
        for batch in batches:
            yield batch.text, batch.owners

    outcomes: dict[str, EntityOutcome] = {}
    done = 0

    def take(part: dict[str, EntityOutcome]) -> None:
        nonlocal done
        outcomes.update(part)
        done += 1
        if on_batch is not None:
            on_batch(done)

    if not in_parallel:
        for text, owners in payloads():
            take(_validate_batch(text, owners))
        return outcomes
    # Fresh interpreters, not forks: a fork would inherit the build's corpus, and its garbage
    # collector would touch (and so copy) every page of it.
    with ProcessPoolExecutor(max_workers=count, mp_context=get_context("spawn")) as pool:
        pending: set[Future[dict[str, EntityOutcome]]] = set()
        for text, owners in payloads():  # a few batches in flight, not the whole graph at once
            pending.add(pool.submit(_validate_batch, text, owners))
            if len(pending) > 2 * count:  # take whichever is done: batches differ in cost
                finished, pending = wait(pending, return_when=FIRST_COMPLETED)
                for future in finished:
                    take(future.result())
        for future in as_completed(pending):
            take(future.result())
    return outcomes


def merged_report(outcomes: Iterable[EntityOutcome]) -> ValidationReport:
    """One report from entities' outcomes: results sorted, report triples in one graph."""
    outcomes = list(outcomes)
    results = sorted(
        (r for outcome in outcomes for r in outcome.results), key=ValidationResult.sort_key
    )
    graph = _merged_reports(outcome.report for outcome in outcomes if outcome.report)
    return ValidationReport(results=tuple(results), results_graph=graph)


def _validate_batch(text: bytes, owners: dict[str, str]) -> dict[str, EntityOutcome]:
    """The outcome of each entity in one batch that has results (N-Triples ``text``;
    ``owners`` maps each focus node the batch reports on to its entity)."""
    results_graph = _run_engine(text, (), focus=sorted(owners))
    batch_graph: list[Graph] = []

    def label_blank(node: BNode) -> str:
        if not batch_graph:
            batch_graph.append(parse_ntriples(text))
        return _blank_label(node, batch_graph[0])

    found: dict[str, Graph] = {}
    for node in results_graph.objects(None, SH.result):
        focus = str(_one(results_graph, node, SH.focusNode))
        part = found.setdefault(owners[focus], Graph(bind_namespaces="none"))
        for triple in _reachable(results_graph, node):
            part.add(triple)
    outcomes = {}
    for entity, part in found.items():
        results = _read_results(part, part.subjects(RDF.type, SH.ValidationResult), label_blank)
        outcomes[entity] = EntityOutcome(results, part.serialize(format="nt"))
    return outcomes


def _reachable(graph: Graph, node: Node) -> Iterator[tuple[Node, Node, Node]]:
    """The triples of a result node and of the blank nodes it leads to (paths, shapes)."""
    seen = {node}
    todo = [node]
    while todo:
        subject = todo.pop()
        for predicate, obj in graph.predicate_objects(subject):
            yield subject, predicate, obj
            if isinstance(obj, BNode) and obj not in seen:
                seen.add(obj)
                todo.append(obj)


def _merged_reports(reports: Iterable[str]) -> Graph:
    """One SHACL report graph from entities' result triples."""
    merged = Graph(bind_namespaces="none")
    for text in reports:
        merged.parse(data=text, format="nt")
    _share_paths(merged)
    report = BNode()
    merged.add((report, RDF.type, SH.ValidationReport))
    results = set(merged.subjects(RDF.type, SH.ValidationResult))
    merged.add((report, SH.conforms, RdfLiteral(not results)))
    for result in results:
        merged.add((report, SH.result, result))
    return merged


def _share_paths(graph: Graph) -> None:
    """One node per shape's blank result path (a sequence, an inverse path), as the engine
    writes a whole graph's report: each entity's report brings its own copy, and the copies
    would make the merged report, and its Turtle, differ from the whole graph's."""
    kept: dict[tuple[Node | None, str], Node] = {}
    copies: list[Node] = []
    for result, path in sorted(graph.subject_objects(SH.resultPath)):
        if not isinstance(path, BNode):
            continue
        key = (_one(graph, result, SH.sourceShape), _structure(graph, path))
        shared = kept.setdefault(key, path)
        if shared != path:
            graph.set((result, SH.resultPath, shared))
            copies.append(path)
    for path in copies:
        if (None, SH.resultPath, path) not in graph:
            for triple in list(_reachable(graph, path)):
                graph.remove(triple)


def _structure(graph: Graph, node: Node) -> str:
    """A blank node's triples and those of the blank nodes below it, as one string."""
    parts = sorted(
        f"{p.n3()} ({_structure(graph, o)})" if isinstance(o, BNode) else f"{p.n3()} {o.n3()}"
        for p, o in graph.predicate_objects(node)
    )
    return " ; ".join(parts)


def _run_engine(
    data: Graph | bytes, extra_shapes: tuple[Path, ...], focus: Sequence[str] | None = None
) -> Graph:
    """The SHACL report graph of ``data`` (a graph, or N-Triples text), only for the
    ``focus`` nodes if given.

    The bundled shapes run as set-based SPARQL over Oxigraph (:mod:`kg.shacl_sparql`); user
    shapes, and the rare graph Oxigraph cannot hold term for term, go to pyshacl-turbo (a
    SHACL engine in Rust with pySHACL's interface). The test suite checks both against
    pySHACL itself."""
    if not extra_shapes:
        checks = _sparql_checks()
        try:
            loaded = (
                LoadedData.from_graph(data)
                if isinstance(data, Graph)
                else LoadedData.from_ntriples(data)
            )
        except NotRepresentable:
            pass
        else:
            return checks.report(loaded, focus)
    return _run_general_engine(data, extra_shapes, focus)


def _run_general_engine(
    data: Graph | bytes, extra_shapes: tuple[Path, ...], focus: Sequence[str] | None = None
) -> Graph:
    """The SHACL report graph of ``data`` from pyshacl-turbo."""
    shapes = _compiled_shapes(extra_shapes)
    engine_data = (
        data
        if isinstance(data, Graph)
        else EngineInput(data.decode("utf-8"), "ntriples", None, {}, preserve_ids=True)
    )
    try:
        _conforms, results_graph, _text = shapes.validate(  # type: ignore[no-untyped-call]
            engine_data,
            inference="none",
            allow_infos=True,
            allow_warnings=True,
            abort_on_first=False,
            focus_nodes=focus,
        )
    except (pyshacl_turbo.ReportableRuntimeError, pyshacl_turbo.ValidationFailure) as error:
        raise ConfigError(f"SHACL validation could not run: {error}") from error
    if not isinstance(results_graph, Graph):
        raise ConfigError(f"SHACL validation could not run: {results_graph}")
    # allow_warnings makes pySHACL say conforms with warnings; SHACL says not (§3.6.1).
    conforms = not any(results_graph.subjects(RDF.type, SH.ValidationResult))
    for report in list(results_graph.subjects(RDF.type, SH.ValidationReport)):
        results_graph.set((report, SH.conforms, RdfLiteral(conforms)))
    return results_graph


def format_report(report: ValidationReport, fmt: str = "text", limit: int | None = None) -> str:
    """Render ``report`` as ``text`` (for people), ``turtle`` (SHACL) or ``json`` (for tools).

    ``limit`` caps the result lines of the text format (the summary still counts them all),
    so a large build does not bury its output in warnings. Every format is deterministic:
    same report, same bytes.
    """
    writers: dict[str, Callable[[ValidationReport], str]] = {
        "text": partial(_format_text, limit=limit),
        "turtle": _format_turtle,
        "json": _format_json,
    }
    try:
        writer = writers[fmt]
    except KeyError:
        expected = ", ".join(REPORT_FORMATS)
        raise ConfigError(f"unknown report format {fmt!r}; expected one of {expected}") from None
    return writer(report)


# --- shapes ---------------------------------------------------------------------------


@cache
def _shapes_graph(extra_shapes: tuple[Path, ...] = ()) -> Graph:
    """Every ``*.ttl`` in the shapes folder and the extra files, parsed once per process."""
    folder = shapes_dir()
    bundled = sorted(folder.glob("*.ttl"))
    if not bundled:
        raise ConfigError(f"no SHACL shapes (*.ttl) in {folder}")
    # A file named twice (in kg.toml and by --shapes) is read once: read twice, its blank
    # property shapes would be two shapes, and every result of theirs would be reported twice.
    named: dict[Path, Path] = {}
    for path in extra_shapes:
        named.setdefault(path.resolve(), path)
    files = [*bundled, *named.values()]
    graph = Graph(bind_namespaces="none")
    for path in files:
        try:
            with path.open("rb") as stream:  # an opened stream: rdflib never fetches it
                graph.parse(stream, format="turtle", publicID=path.resolve().as_uri())
        except OSError as error:
            raise ConfigError(f"{path}: cannot read SHACL shapes: {error.strerror}") from None
        except Exception as error:  # rdflib raises several unrelated types on bad Turtle
            raise ConfigError(f"{path.name}: cannot read SHACL shapes: {error}") from error
    return graph


@cache
def _compiled_shapes(extra_shapes: tuple[Path, ...] = ()) -> pyshacl_turbo.CompiledShapes:
    """The shapes compiled once per process: no inference, no ``owl:imports``, nothing
    fetched (SHACL-SPARQL and other SHACL Advanced Features stay off, as in SHACL Core +
    SPARQL)."""
    try:
        compiled: pyshacl_turbo.CompiledShapes = pyshacl_turbo.compile_shapes(  # type: ignore[no-untyped-call]
            _shapes_graph(extra_shapes), advanced=False
        )
        return compiled
    except (pyshacl_turbo.ReportableRuntimeError, pyshacl_turbo.ValidationFailure) as error:
        raise ConfigError(f"the SHACL shapes in {shapes_dir()} are invalid: {error}") from error


def _sparql_checks() -> Checks:
    """The bundled shapes as SPARQL checks (compiled once per shapes graph and process)."""
    return _checks_of(_shapes_graph())


@cache
def _checks_of(shapes: Graph) -> Checks:
    return compile_checks(shapes)


@cache
def _shape_kinds() -> dict[Node, str]:
    """Shape -> the entity it checks (rdfs:label of the node shape, inherited by its
    property shapes), so reports can say "paper <iri>" instead of just "<iri>"."""
    shapes = _shapes_graph()
    kinds: dict[Node, str] = {}
    for shape, label in shapes.subject_objects(RDFS.label):
        if (shape, RDF.type, SH.NodeShape) not in shapes:
            continue
        kinds[shape] = str(label)
        for prop in shapes.objects(shape, SH.property):
            kinds.setdefault(prop, str(label))
    return kinds


# --- reading the report graph ---------------------------------------------------------


BlankLabeller = Callable[[BNode], str]
"""Gives a data blank node its stable label (see :func:`_blank_label`)."""


def _read_report(results_graph: Graph, label_blank: BlankLabeller) -> ValidationReport:
    results = _read_results(results_graph, results_graph.objects(None, SH.result), label_blank)
    return ValidationReport(results=results, results_graph=results_graph)


def _read_results(
    results_graph: Graph, nodes: Iterable[Node], label_blank: BlankLabeller
) -> tuple[ValidationResult, ...]:
    kinds = _shape_kinds()
    results: list[ValidationResult] = []
    for node in nodes:
        severity = _one(results_graph, node, SH.resultSeverity)
        focus = _one(results_graph, node, SH.focusNode)
        path = _one(results_graph, node, SH.resultPath)
        value = _one(results_graph, node, SH.value)
        shape = _one(results_graph, node, SH.sourceShape)
        component = _one(results_graph, node, SH.sourceConstraintComponent)
        messages = sorted(str(m) for m in results_graph.objects(node, SH.resultMessage))
        component_text = _curie(component) if component is not None else ""
        results.append(
            ValidationResult(
                severity=_severity(severity),
                focus_node=_render_node(focus, label_blank) if focus is not None else "",
                path=_render_path(results_graph, path) if path is not None else None,
                value=_render_node(value, label_blank) if value is not None else None,
                message="; ".join(messages) or component_text,
                source_shape=_render_shape(shape) if shape is not None else "",
                constraint_component=component_text,
                focus_kind=kinds.get(shape, "") if shape is not None else "",
            )
        )
    return tuple(sorted(results, key=ValidationResult.sort_key))


def _one(graph: Graph, subject: Node, predicate: URIRef) -> Node | None:
    """The object of ``subject predicate`` (the smallest, should there be several)."""
    values = sorted(graph.objects(subject, predicate), key=lambda n: (type(n).__name__, str(n)))
    return values[0] if values else None


def _severity(node: Node | None) -> Severity:
    name = str(node).rpartition("#")[2]
    if name == "Warning":
        return "Warning"
    if name == "Info":
        return "Info"
    return "Violation"  # sh:Violation, and anything unknown errs on the safe side


@cache
def _curie_map() -> tuple[tuple[str, str], ...]:
    """(prefix, namespace) pairs, longest namespace first so the most specific wins."""
    pairs = {**prefixes(), "sh": str(SH)}
    return tuple(sorted(pairs.items(), key=lambda item: (-len(item[1]), item[0])))


def _curie(node: Node) -> str:
    """``schema:name`` for IRIs in kg's namespaces, else the bare IRI."""
    iri = str(node)
    for prefix, namespace in _curie_map():
        local = iri[len(namespace) :]
        if iri.startswith(namespace) and _PN_LOCAL.fullmatch(local):
            return f"{prefix}:{local}"
    return iri


@cache
def _namespace_manager() -> NamespaceManager:
    return new_graph().namespace_manager


def _render_node(node: Node, label_blank: BlankLabeller) -> str:
    """A data node: the bare IRI, a Turtle literal, or a stable blank node label."""
    if isinstance(node, BNode):
        return label_blank(node)
    if isinstance(node, RdfLiteral):
        return node.n3(_namespace_manager())
    return str(node)


def _render_shape(node: Node) -> str:
    """A shape: ``kg:PaperTitle`` (kg's shapes are all IRIs)."""
    if isinstance(node, BNode):
        return _blank_label(node, _shapes_graph())
    return _curie(node)


def _blank_label(node: BNode, data: Graph) -> str:
    """A label derived from the node's own triples: rdflib's blank node ids change on
    every parse, these do not."""
    return _label_of(data.predicate_objects(node), data.subject_predicates(node))


def _stored_blank_label(node: BNode, data: LoadedData) -> str:
    """:func:`_blank_label` of a node of data loaded straight from files."""
    return _label_of(*data.around(node))


def _label_of(outgoing: Iterable[tuple[Node, Node]], incoming: Iterable[tuple[Node, Node]]) -> str:
    def show(term: Node) -> str:
        return "[]" if isinstance(term, BNode) else term.n3()

    lines = sorted(f"{show(p)} {show(o)}" for p, o in outgoing)
    lines += sorted(f"^{show(p)} {show(s)}" for s, p in incoming)
    digest = hashlib.sha256("\n".join(lines).encode("utf-8")).hexdigest()
    return f"_:b{digest[:12]}"


_UNARY_PATHS: Final[dict[URIRef, str]] = {
    SH.inversePath: "^{}",
    SH.zeroOrMorePath: "{}*",
    SH.oneOrMorePath: "{}+",
    SH.zeroOrOnePath: "{}?",
}


def _render_path(graph: Graph, path: Node) -> str:
    """A SHACL property path in SPARQL notation: ``bibo:authorList/rdf:rest*/rdf:first``."""
    if isinstance(path, URIRef):
        text = _curie(path)
        return text if text != str(path) else f"<{path}>"
    for predicate, template in _UNARY_PATHS.items():
        inner = _one(graph, path, predicate)
        if inner is not None:
            text = _render_path(graph, inner)
            bare = isinstance(inner, URIRef) or (inner, SH.alternativePath, None) in graph
            return template.format(text if bare else f"({text})")
    alternatives = _one(graph, path, SH.alternativePath)
    if alternatives is not None:
        return "(" + "|".join(_render_path(graph, p) for p in Collection(graph, alternatives)) + ")"
    if (path, RDF.first, None) in graph:  # a sequence; "/" binds loosest, no parentheses
        return "/".join(_render_path(graph, p) for p in Collection(graph, path))
    return str(path)


# --- formats --------------------------------------------------------------------------


def _summary(report: ValidationReport) -> str:
    def count(n: int, word: str) -> str:
        return f"{n} {word}" if n == 1 else f"{n} {word}s"

    parts = [count(len(report.violations), "violation"), count(len(report.warnings), "warning")]
    infos = sum(1 for r in report.results if r.severity == "Info")
    if infos:
        parts.append(count(infos, "info"))
    return ", ".join(parts)


def _format_text(report: ValidationReport, limit: int | None = None) -> str:
    shown = report.results if limit is None else report.results[:limit]
    lines = [for_terminal(f"{result.severity:<9} {result}") for result in shown]
    if len(shown) < len(report.results):
        lines.append(f"… {len(report.results) - len(shown)} more not shown")
    lines.append(_summary(report))
    return "\n".join(lines) + "\n"


def _format_json(report: ValidationReport) -> str:
    document = {
        "conforms": report.conforms,
        "violations": len(report.violations),
        "warnings": len(report.warnings),
        "results": [result.as_dict() for result in report.results],
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def _format_turtle(report: ValidationReport) -> str:
    """The SHACL report graph with blank nodes named after their content, so the bytes are
    the same on every run (rdflib's own canonicalisation takes minutes on big reports)."""
    graph = report.results_graph
    labels = _stable_blank_labels(graph)
    stable = new_graph()
    stable.bind("sh", SH)
    for s, p, o in graph:
        stable.add((labels.get(s, s), p, labels.get(o, o)))
    return stable.serialize(format="turtle")


def _stable_blank_labels(graph: Graph) -> dict[Node, BNode]:
    """Colour refinement: a blank node's colour hashes its triples, with neighbouring blank
    nodes represented by their colours, repeated until the colours stop splitting. Nodes
    that still share a colour look alike from every side, so which gets which suffix does
    not change the serialization."""
    edges: dict[Node, list[tuple[str, Node]]] = {}
    for s, p, o in graph:
        if isinstance(s, BNode):
            edges.setdefault(s, []).append((p.n3(), o))
        if isinstance(o, BNode):
            edges.setdefault(o, []).append(("^" + p.n3(), s))
    colours = {node: "" for node in edges}

    def refine(node: Node) -> str:
        parts = sorted(
            f"{p} {colours[o] if isinstance(o, BNode) else o.n3()}" for p, o in edges[node]
        )
        return hashlib.sha256("\n".join([colours[node], *parts]).encode("utf-8")).hexdigest()

    while True:
        refined = {node: refine(node) for node in edges}
        split = len(set(refined.values())) > len(set(colours.values()))
        colours = refined
        if not split:
            break
    labels: dict[Node, BNode] = {}
    taken: dict[str, int] = {}
    for node in sorted(edges, key=lambda n: (colours[n], str(n))):
        colour = colours[node][:16]
        suffix = taken.get(colour, 0)
        taken[colour] = suffix + 1
        labels[node] = BNode(f"b{colour}" + (f"_{suffix}" if suffix else ""))
    return labels


def _display_node(text: str) -> str:
    return text if text.startswith("_:") else f"<{text}>"


def _display_value(text: str) -> str:
    """Values for the text report: IRIs in angle brackets, long literals shortened in the
    middle so that both ends (where abstracts go wrong) stay visible."""
    if not text.startswith('"'):
        return _display_node(text)
    if len(text) <= _TEXT_VALUE_LIMIT:
        return text
    keep = (_TEXT_VALUE_LIMIT - 3) // 2
    return f"{text[:keep]} … {text[-keep:]}"
