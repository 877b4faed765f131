"""Locate the data files shipped with kg (shapes, queries, JSON-LD contexts, the sample).

In a wheel they live under ``kg/data/``; in a source checkout ``shapes/`` and ``queries/``
sit at the repository root, where users read and edit them.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE_DATA = Path(__file__).resolve().parent / "data"
_CHECKOUT_ROOT = Path(__file__).resolve().parent.parent


def data_dir(name: str) -> Path:
    """The folder ``name`` (``shapes``, ``queries``, ``contexts``, ``samples``)."""
    packaged = _PACKAGE_DATA / name
    if packaged.is_dir():
        return packaged
    checkout = _CHECKOUT_ROOT / name
    if checkout.is_dir():
        return checkout
    raise FileNotFoundError(f"kg data folder {name!r} is missing from this installation")


def shapes_dir() -> Path:
    return data_dir("shapes")


def queries_dir() -> Path:
    return data_dir("queries")


def context_path(name: str = "kg.jsonld") -> Path:
    return data_dir("contexts") / name


def sample_list() -> Path:
    """The bundled sample publication list, used when ``kg build`` gets no input."""
    return data_dir("samples") / "peyrard.txt"
