"""What the site says about the data beyond the graph: title, licence, publisher."""

from __future__ import annotations

from dataclasses import dataclass

from kg.errors import ConfigError
from kg.terms import iri_problem


@dataclass(frozen=True)
class SiteSettings:
    """Settings of ``publish``; the defaults claim nothing the user did not say.

    Without ``license`` the VoID states no licence and the index page says that none was
    given: reusers must not read a default as permission.
    """

    title: str | None = None
    """Of the pages and the dataset; default "Publications of" the list owners."""
    license: str | None = None
    """IRI of the data's licence, e.g. https://creativecommons.org/licenses/by/4.0/."""
    publisher_name: str | None = None
    publisher_iri: str | None = None

    def __post_init__(self) -> None:
        for name, value in (("license", self.license), ("publisher_iri", self.publisher_iri)):
            problem = iri_problem(value) if value is not None else None
            if problem is not None:
                raise ConfigError(f"publish {name} {value!r} is not an IRI: {problem}")
        for name, value in (("title", self.title), ("publisher_name", self.publisher_name)):
            if value is not None and not value.strip():
                raise ConfigError(f"publish {name} must not be empty")
