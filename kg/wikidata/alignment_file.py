"""``alignment.tsv``, the human-editable record of the alignment, and ``sameas.ttl``.

One row per local paper and person::

    iri  kind  label  qid  score  status  decision  candidates

``decision`` is the user's column: ``accept`` links the row to the QID in ``qid`` (the
user may write any candidate's QID there, or another one), ``reject`` says no Wikidata item
is this entity. kg never overwrites a decision: re-running ``kg align`` keeps it, and
``kg build --alignment FILE`` links every ``matched`` row, accepted ones included.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Final, cast

import pyoxigraph as ox

from kg.compression import read_input
from kg.errors import InputError
from kg.namespaces import OX_SCHEMA
from kg.turtle import small_turtle
from kg.wikidata.lookup import ENTITY
from kg.wikidata.matching import Alignment, Candidate, Kind, Status

COLUMNS: Final = ("iri", "kind", "label", "qid", "score", "status", "decision", "candidates")
DECISIONS: Final = ("", "accept", "reject")
_QID = re.compile(r"Q[1-9][0-9]*")
_CANDIDATE = re.compile(r"(Q[1-9][0-9]*) ([0-9.]+)(?: \(([^)]*)\))?")


def format_alignment(rows: Iterable[Alignment]) -> str:
    """The TSV text: papers then persons, each sorted by IRI."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter="\t", lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(COLUMNS)
    for row in sorted(rows, key=lambda r: (r.kind != "paper", r.iri)):
        writer.writerow(
            (
                row.iri,
                row.kind,
                " ".join(row.label.split()),
                row.qid or "",
                f"{row.score:.3f}" if row.score is not None else "",
                row.status,
                row.decision,
                "; ".join(
                    f"{c.qid} {c.score:.3f}" + (f" ({c.evidence})" if c.evidence else "")
                    for c in row.candidates
                ),
            )
        )
    return out.getvalue()


def read_alignment(path: Path) -> list[Alignment]:
    """The rows of an alignment file; a malformed row is an InputError naming its line."""
    try:
        text = read_input(path).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"not UTF-8 text ({exc.reason})", path) from None
    reader = csv.reader(io.StringIO(text), delimiter="\t")
    header = next(reader, None)
    if header is None or tuple(header) != COLUMNS:
        raise InputError(f"expected the header {' '.join(COLUMNS)}", path, 1)
    rows = []
    for number, fields in enumerate(reader, start=2):
        if not any(field.strip() for field in fields):
            continue
        if len(fields) != len(COLUMNS):
            raise InputError(
                f"expected {len(COLUMNS)} tab-separated fields, found {len(fields)}", path, number
            )
        rows.append(
            _row(dict(zip(COLUMNS, (f.strip() for f in fields), strict=True)), path, number)
        )
    return rows


def _row(fields: Mapping[str, str], path: Path, line: int) -> Alignment:
    if fields["kind"] not in ("paper", "person"):
        raise InputError(f"kind must be paper or person, not {fields['kind']!r}", path, line)
    if fields["decision"] not in DECISIONS:
        raise InputError(
            f"decision must be accept, reject or empty, not {fields['decision']!r}", path, line
        )
    qid = fields["qid"] or None
    if qid is not None and not _QID.fullmatch(qid):
        raise InputError(f"{qid!r} is not a Wikidata QID such as Q42", path, line)
    if fields["decision"] == "accept" and qid is None:
        raise InputError("decision accept needs the QID to link in the qid column", path, line)
    status = fields["status"]
    if status not in ("matched", "review", "unmatched"):
        raise InputError(f"status must be matched, review or unmatched, not {status!r}", path, line)
    if status == "matched" and qid is None and fields["decision"] != "reject":
        raise InputError("a matched row needs a QID", path, line)
    try:
        score = float(fields["score"]) if fields["score"] else None
    except ValueError:
        raise InputError(f"score {fields['score']!r} is not a number", path, line) from None
    candidates = tuple(
        Candidate(found.group(1), float(found.group(2)), evidence=found.group(3) or "")
        for part in fields["candidates"].split(";")
        if (found := _CANDIDATE.fullmatch(part.strip()))
    )
    row = Alignment(
        fields["iri"],
        cast(Kind, fields["kind"]),
        fields["label"],
        cast(Status, status),
        qid,
        score,
        candidates,
        fields["decision"],
    )
    return apply_decision(row)


def apply_decision(row: Alignment) -> Alignment:
    """The row as the user's decision makes it: accepted rows are matched to their QID,
    rejected rows are unmatched."""
    if row.decision == "accept":
        return replace(row, status="matched")
    if row.decision == "reject":
        return replace(row, status="unmatched", qid=None)
    return row


def links(rows: Iterable[Alignment]) -> dict[str, str]:
    """Wikidata entity IRI by local IRI, for matched rows."""
    return {row.iri: ENTITY + row.qid for row in rows if row.status == "matched" and row.qid}


def read_links(path: Path) -> dict[str, str]:
    """The accepted links of an alignment file, for ``kg build --alignment``."""
    return links(read_alignment(path))


def format_sameas(rows: Iterable[Alignment]) -> bytes:
    """``sameas.ttl``: ``schema:sameAs`` from each matched local IRI to its Wikidata item,
    in the graph's own schema.org namespace (``http://schema.org/``)."""
    triples = [
        ox.Triple(ox.NamedNode(local), OX_SCHEMA.sameAs, ox.NamedNode(remote))
        for local, remote in sorted(links(rows).items())
    ]
    return small_turtle(triples, {"schema": "http://schema.org/", "wd": ENTITY})
