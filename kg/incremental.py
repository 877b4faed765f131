"""Incremental validation: a rebuild validates only the entities whose triples changed.

An entity's outcome depends only on the shapes, the engine and the triples it is validated
with (its own and its context, see :mod:`kg.batches`), so those are hashed into its cache
key. Adding a list to a corpus changes the list, its papers and their authors; every other
entity's key, and so its outcome, is what the last build found. The cache lives beside a
build's exports (``<out>/.kg-cache/validation.sqlite``), holds exactly the entities of the
last successful build, and is rewritten only after that build has written its exports.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache
from importlib.metadata import version
from pathlib import Path

from kg import __version__
from kg.batches import Entity, batched
from kg.cachefile import CacheFile
from kg.resources import shapes_dir
from kg.validation import (
    CLEAN,
    EntityOutcome,
    ValidationReport,
    batch_outcomes,
    merged_report,
)

CACHE_FILE = "validation.sqlite"


class ValidationCache:
    """Entity outcomes by key, in ``validation.sqlite`` of the cache folder."""

    def __init__(self, folder: Path) -> None:
        self._file = CacheFile(folder / CACHE_FILE)

    def outcome(self, key: str) -> EntityOutcome | None:
        """The outcome the last build stored under ``key``, if any."""
        found = self._file.get(key)
        return EntityOutcome.from_json(found) if found is not None else None

    def remember(self, key: str, outcome: EntityOutcome) -> None:
        self._file.put(key, outcome.as_json())

    def save(self) -> None:
        """Replace the file with this build's entities, atomically."""
        self._file.save()


@dataclass(frozen=True)
class IncrementalReport:
    report: ValidationReport
    validated: int
    """Entities validated afresh; the others' outcomes came from the cache."""
    entities: int


def validate_entities(
    selected: Iterable[Entity],
    cache: ValidationCache | None = None,
    workers: int | None = None,
) -> IncrementalReport:
    """Validate ``selected`` entities in batches, reusing the cached outcome of every entity
    whose key has not changed. Entities stream: only the batches in flight are held, so the
    caller may produce them lazily (and write them meanwhile)."""
    outcomes: dict[str, EntityOutcome] = {}  # the entities with results
    keys: dict[str, str] = {}  # with a cache: entity IRI -> key, of those validated afresh
    entities = validated = 0

    def misses() -> Iterator[Entity]:
        nonlocal entities, validated
        for entity in selected:
            entities += 1
            if cache is not None:
                key = entity_key(entity)
                found = cache.outcome(key)
                if found is not None:
                    if found != CLEAN:
                        outcomes[entity.iri] = found
                    continue
                keys[entity.iri] = key
            validated += 1
            yield entity

    fresh = batch_outcomes(batched(misses()), workers)
    outcomes.update(fresh)
    if cache is not None:
        for iri, key in keys.items():
            cache.remember(key, fresh.get(iri, CLEAN))
    return IncrementalReport(
        report=merged_report(outcomes[iri] for iri in sorted(outcomes)),
        validated=validated,
        entities=entities,
    )


def entity_key(entity: Entity) -> str:
    """A hash of everything an entity's outcome depends on. Its triples are hashed in the
    order the mapping gives them, which is the same for the same triples (a kg version
    that changed it would change the fingerprint too)."""
    digest = hashlib.sha256(_fingerprint().encode("utf-8"))
    digest.update(entity.own_ntriples)
    digest.update(b"\0")
    digest.update(entity.context_ntriples)
    return digest.hexdigest()


@cache
def _fingerprint() -> str:
    """kg's and the engines' versions and the bundled shapes' bytes."""
    engines = f"pyshacl-turbo {version('pyshacl-turbo')} pyoxigraph {version('pyoxigraph')}"
    digest = hashlib.sha256(f"kg {__version__} {engines}".encode())
    for path in sorted(shapes_dir().glob("*.ttl")):
        digest.update(path.name.encode("utf-8") + b"\0" + path.read_bytes())
    return digest.hexdigest()
