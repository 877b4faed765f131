"""Where kg's entities live: the IRI scheme under a base IRI.

Apart from the mapping, so that the settings (and every command that reads them) need not
import the corpus and mapping modules to know it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pyoxigraph as ox

from kg.errors import ConfigError

if TYPE_CHECKING:
    from kg.corpus import ListInfo, Paper, Person, VenueInfo

DEFAULT_BASE_IRI = "https://example.org/kg/"
_BASE_IRI = re.compile(r"^https?://[^\s<>\"{}|^`\\#?]+/$")


@dataclass(frozen=True)
class IriScheme:
    """Where kg's entities live: ``{base}paper/…``, ``{base}person/…``, ``{base}list/…``."""

    base: str = DEFAULT_BASE_IRI

    def __post_init__(self) -> None:
        if not _BASE_IRI.match(self.base):
            raise ConfigError(
                f"base IRI {self.base!r} must be an absolute http(s) IRI ending with '/', "
                "without query, fragment or spaces"
            )

    def prefixes(self) -> dict[str, str]:
        """``paper:``, ``person:``, ``list:`` and ``venue:`` under the base, for readable
        Turtle and tables."""
        return {kind: f"{self.base}{kind}/" for kind in ("list", "paper", "person", "venue")}

    def paper(self, paper: Paper) -> ox.NamedNode:
        return ox.NamedNode(f"{self.base}paper/{paper.slug}")

    def person(self, person: Person) -> ox.NamedNode:
        return ox.NamedNode(f"{self.base}person/{person.slug}")

    def publication_list(self, info: ListInfo) -> ox.NamedNode:
        return ox.NamedNode(f"{self.base}list/{info.slug}")

    def venue(self, info: VenueInfo) -> ox.NamedNode:
        return ox.NamedNode(f"{self.base}venue/{info.slug}")

    @staticmethod
    def authorship(paper_iri: ox.NamedNode, position: int) -> ox.NamedNode:
        return ox.NamedNode(f"{paper_iri.value}#author-{position}")

    @staticmethod
    def source_record(list_iri: ox.NamedNode, line: int) -> ox.NamedNode:
        return ox.NamedNode(f"{list_iri.value}#line-{line}")
