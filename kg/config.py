"""Settings from ``kg.toml`` (or ``--config``), overridden by command-line options."""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from kg.errors import ConfigError
from kg.iris import DEFAULT_BASE_IRI, IriScheme

CONFIG_FILE_NAME = "kg.toml"
DEFAULT_OUTPUT_DIR = Path("exports")
_KNOWN_KEYS = {"alignment", "base_iri", "output", "publish", "shapes"}
_PUBLISH_KEYS = {"base_url", "title", "license", "publisher", "publisher_iri"}


@dataclass(frozen=True)
class Settings:
    base_iri: str = DEFAULT_BASE_IRI
    output_dir: Path = DEFAULT_OUTPUT_DIR
    extra_shapes: tuple[Path, ...] = ()
    """The user's own SHACL files, checked on top of the bundled shapes."""
    alignment: Path | None = None
    """An ``alignment.tsv`` whose matched rows become ``schema:sameAs`` links in the build."""
    publish: Mapping[str, str] = field(default_factory=dict)
    """The ``[publish]`` table: base_url, title, license, publisher, publisher_iri."""

    @property
    def iris(self) -> IriScheme:
        return IriScheme(self.base_iri)

    def overridden(
        self,
        *,
        base_iri: str | None = None,
        output_dir: Path | None = None,
        extra_shapes: tuple[Path, ...] = (),
        alignment: Path | None = None,
    ) -> Settings:
        """These settings with the options the user gave on the command line."""
        return replace(
            self,
            base_iri=base_iri if base_iri is not None else self.base_iri,
            output_dir=output_dir if output_dir is not None else self.output_dir,
            extra_shapes=(*self.extra_shapes, *extra_shapes),
            alignment=alignment if alignment is not None else self.alignment,
        )


def load_settings(config: Path | None = None, cwd: Path | None = None) -> Settings:
    """Read ``config``, or ``kg.toml`` in ``cwd`` when present; defaults otherwise.

    Relative paths in the file are relative to the file's folder.
    """
    path = config if config is not None else (cwd or Path.cwd()) / CONFIG_FILE_NAME
    if config is None and not path.is_file():
        return Settings()
    try:
        with path.open("rb") as stream:
            data = tomllib.load(stream)
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such config file") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path.name}: {error}") from None
    unknown = sorted(set(data) - _KNOWN_KEYS)
    if unknown:
        known = ", ".join(sorted(_KNOWN_KEYS))
        raise ConfigError(f"{path.name}: unknown setting(s) {', '.join(unknown)} (known: {known})")
    settings = Settings()
    if "base_iri" in data:
        if not isinstance(data["base_iri"], str):
            raise ConfigError(f"{path.name}: base_iri must be a string")
        settings = settings.overridden(base_iri=data["base_iri"])
    if "output" in data:
        if not isinstance(data["output"], str):
            raise ConfigError(f"{path.name}: output must be a string (a folder)")
        settings = settings.overridden(output_dir=path.parent / data["output"])
    if "shapes" in data:
        shapes = data["shapes"]
        if not isinstance(shapes, list) or not all(isinstance(item, str) for item in shapes):
            raise ConfigError(f"{path.name}: shapes must be a list of file names")
        settings = replace(settings, extra_shapes=tuple(path.parent / item for item in shapes))
    if "alignment" in data:
        if not isinstance(data["alignment"], str):
            raise ConfigError(f"{path.name}: alignment must be a string (an alignment.tsv file)")
        settings = settings.overridden(alignment=path.parent / data["alignment"])
    if "publish" in data:
        table = data["publish"]
        if not isinstance(table, dict) or not all(isinstance(v, str) for v in table.values()):
            raise ConfigError(f"{path.name}: [publish] must be a table of strings")
        unknown = sorted(set(table) - _PUBLISH_KEYS)
        if unknown:
            known = ", ".join(sorted(_PUBLISH_KEYS))
            raise ConfigError(
                f"{path.name}: unknown [publish] setting(s) {', '.join(unknown)} (known: {known})"
            )
        settings = replace(settings, publish=dict(table))
    IriScheme(settings.base_iri)  # refuses a bad base IRI before any work
    return settings
