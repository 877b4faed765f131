"""The co-author network of the index page, laid out in Python.

People would rather look than read: the list owner sits in the middle, the people they wrote
most with (and the other list owners) on an inner ring, everyone else on an outer circle,
grouped by the paper they share. When no list names an owner (bibliographies from BibTeX or
CSL-JSON files), the most prolific person sits in the middle and everybody is drawn, those
who never wrote with them last on the outer circle: the picture is then of the whole graph.
A line's width is the number of papers together; faint curves join co-authors who wrote
together without the owner. Plain geometry, no randomness, no JavaScript: the same graph
always gives the same picture, byte for byte.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace

from kg.site.view import GraphView

MAX_PEOPLE = 150
"""People drawn around the owner at most (those with most papers together)."""
_INNER_MAX = 12
_LABEL_CHARS = 26
_CHAR_WIDTH = 7.0  # px, an average glyph of the 12 px sans-serif labels
_MARGIN = 10.0  # px round the picture: half a label's height and some air
_GAP = 5.0  # px between a node and its label
_OUTER_SPACING = 16.0  # px of circumference per person on the outer circle
_MIN_RADIUS = 210.0
_CENTRE_RADIUS = 14.0


@dataclass(frozen=True)
class Spot:
    """A person on the picture: where the dot and its label go."""

    iri: str
    name: str
    label: str
    papers: int
    """Papers together with the person in the middle."""
    x: float
    y: float
    r: float
    owner: bool
    label_x: float = 0.0
    label_y: float = 0.0
    label_angle: float = 0.0
    """Degrees, clockwise."""
    anchor: str = "start"


@dataclass(frozen=True)
class Line:
    path: str
    width: float
    papers: int
    title: str


@dataclass(frozen=True)
class Network:
    view_box: str
    """The picture's extent: every dot and label, with a margin."""
    centre: Spot
    people: tuple[Spot, ...]
    spokes: tuple[Line, ...]
    chords: tuple[Line, ...]
    inner: int
    coauthors: int
    """All co-authors of the person in the middle, drawn or not."""
    hidden: int
    """People left out to keep the picture readable (beyond :data:`MAX_PEOPLE`)."""


def centre_of(view: GraphView) -> str | None:
    """The person in the middle: the first list owner by IRI, else the most prolific."""
    owners = [owner for owner in view.owners if view.is_person(owner)]
    if owners:
        return owners[0]
    if not view.persons:
        return None
    return min(view.persons, key=lambda person: (-len(view.papers_of(person)), person))


def layout(view: GraphView, centre: str) -> Network:
    """Place ``centre``, their co-authors and the other list owners."""
    together = dict(view.coauthors(centre))
    owners = [owner for owner in view.owners if owner != centre and view.is_person(owner)]
    ranked = [*owners, *(person for person in together if person not in owners)]
    if not view.owners:
        ranked += sorted(
            (person for person in view.persons if person != centre and person not in together),
            key=lambda person: (-len(view.papers_of(person)), view.node(person).label, person),
        )
    shown = ranked[:MAX_PEOPLE]
    strong = [p for p in shown if p in owners or together.get(p, 0) >= 2][:_INNER_MAX]
    first_paper = _first_shared_paper(view, centre)
    rank = {person: place for place, person in enumerate(shown)}
    outer = sorted(
        (person for person in shown if person not in strong),
        key=lambda person: (first_paper.get(person, len(view.papers)), rank[person]),
    )
    radius = max(_MIN_RADIUS, len(outer) * _OUTER_SPACING / (2 * math.pi))
    inner = _ring(view, strong, together, owners, radius * 0.45, radial_labels=False)
    while outer and not _inside(inner, radius - 2 * _GAP):  # inner labels must not reach
        radius += 10.0  # the outer circle
        inner = _ring(view, strong, together, owners, radius * 0.45, radial_labels=False)
    spots = [*inner, *_ring(view, outer, together, owners, radius, radial_labels=True)]
    middle = _spot(view, centre, 0, 0.0, 0.0, _CENTRE_RADIUS, True)
    middle = _with_label(middle, 0.0, _CENTRE_RADIUS + 16, 0.0, "middle")
    placed = {spot.iri: spot for spot in spots}
    spokes = [
        Line(
            f"M0 0L{spot.x} {spot.y}",
            _round(min(1.2 * spot.papers, 12.0)),
            spot.papers,
            f"{middle.name} and {spot.name}: {_papers(spot.papers)} together",
        )
        for spot in spots
        if spot.papers
    ]
    chords = [
        _chord(placed[one], placed[two], count)
        for (one, two), count in sorted(view.coauthor_pairs.items())
        if one in placed and two in placed
    ]
    points = [point for spot in (middle, *spots) for point in _extent(spot)]
    left, top = min(x for x, _ in points) - _MARGIN, min(y for _, y in points) - _MARGIN
    width = max(x for x, _ in points) + _MARGIN - left
    height = max(y for _, y in points) + _MARGIN - top
    return Network(
        view_box=" ".join(str(_round(number)) for number in (left, top, width, height)),
        centre=middle,
        people=tuple(spots),
        spokes=tuple(spokes),
        chords=tuple(chords),
        inner=len(strong),
        coauthors=len(together),
        hidden=len(ranked) - len(shown),
    )


def _extent(spot: Spot) -> list[tuple[float, float]]:
    """The corners of a dot and the two ends of its label."""
    dot = [(spot.x - spot.r, spot.y - spot.r), (spot.x + spot.r, spot.y + spot.r)]
    return [*dot, *_label_ends(spot)]


def _label_ends(spot: Spot) -> list[tuple[float, float]]:
    width = len(spot.label) * _CHAR_WIDTH
    angle = math.radians(spot.label_angle)
    along = {"start": (0.0, width), "end": (-width, 0.0), "middle": (-width / 2, width / 2)}
    return [
        (spot.label_x + d * math.cos(angle), spot.label_y + d * math.sin(angle))
        for d in along[spot.anchor]
    ]


def _inside(spots: Sequence[Spot], radius: float) -> bool:
    return all(math.hypot(x, y) <= radius for s in spots for x, y in _label_ends(s))


def _first_shared_paper(view: GraphView, centre: str) -> dict[str, int]:
    """Each co-author's first paper with ``centre``, as its place in reading order."""
    first: dict[str, int] = {}
    for place, paper in enumerate(view.papers):
        if centre in view.authors[paper]:
            for author in view.authors[paper]:
                first.setdefault(author, place)
    return first


def _ring(
    view: GraphView,
    people: Sequence[str],
    together: dict[str, int],
    owners: Sequence[str],
    radius: float,
    *,
    radial_labels: bool,
) -> list[Spot]:
    """``people`` evenly round a circle, clockwise from the top."""
    spots = []
    for index, person in enumerate(people):
        angle = -math.pi / 2 + 2 * math.pi * (index + 0.5) / len(people)
        papers = together.get(person, 0)
        x, y = radius * math.cos(angle), radius * math.sin(angle)
        spot = _spot(view, person, papers, x, y, 4.0 + 0.9 * min(papers, 8), person in owners)
        reach = radius + spot.r + _GAP
        right = math.cos(angle) >= -1e-9
        if radial_labels:  # along the radius, never upside down
            degrees = math.degrees(angle) if right else math.degrees(angle) + 180
            spot = _with_label(
                spot,
                reach * math.cos(angle),
                reach * math.sin(angle),
                degrees,
                "start" if right else "end",
            )
        else:
            offset = spot.r + _GAP
            spot = _with_label(
                spot, x + offset if right else x - offset, y, 0.0, "start" if right else "end"
            )
        spots.append(spot)
    return spots


def _spot(
    view: GraphView, iri: str, papers: int, x: float, y: float, r: float, owner: bool
) -> Spot:
    name = view.node(iri).label
    label = name if len(name) <= _LABEL_CHARS else name[: _LABEL_CHARS - 1].rstrip() + "…"
    if papers > 1:
        label += f" · {papers}"
    return Spot(iri, name, label, papers, _round(x), _round(y), _round(r), owner)


def _with_label(spot: Spot, x: float, y: float, angle: float, anchor: str) -> Spot:
    return replace(
        spot, label_x=_round(x), label_y=_round(y), label_angle=_round(angle), anchor=anchor
    )


def _chord(one: Spot, two: Spot, papers: int) -> Line:
    """A curve bowed towards the middle, so lines between neighbours stay near the ring."""
    cx, cy = _round((one.x + two.x) * 0.3), _round((one.y + two.y) * 0.3)
    return Line(
        f"M{one.x} {one.y}Q{cx} {cy} {two.x} {two.y}",
        _round(min(0.8 * papers, 6.0)),
        papers,
        f"{one.name} and {two.name}: {_papers(papers)} together",
    )


def _papers(count: int) -> str:
    return f"{count} paper{'s' if count != 1 else ''}"


def _round(value: float) -> float:
    """One decimal, and never ``-0.0``: short, stable SVG numbers."""
    return round(value, 1) + 0.0
