"""The normal forms of bibliographic fields that every reader and writer shares."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest

from kg.fields import (
    arxiv_from_doi,
    arxiv_in_venue,
    degree,
    doi_and_web_page,
    doi_iri,
    iso_date,
    month_number,
    normalise_arxiv,
    normalise_doi,
    normalise_pages,
)
from kg.iris import IriScheme
from kg.pipeline import build, load_corpus

WILEY = "10.1002/(SICI)1097-4571(199806)49:8<693::AID-ASI4>3.0.CO;2-0"


@pytest.mark.parametrize(
    "text",
    [
        "10.18653/v1/2023.acl-long.1",
        "10.18653/V1/2023.ACL-LONG.1",
        "doi:10.18653/v1/2023.acl-long.1",
        "DOI: 10.18653/v1/2023.acl-long.1",
        "https://doi.org/10.18653/v1/2023.acl-long.1",
        "http://dx.doi.org/10.18653/v1/2023.acl-long.1",
        "doi.org/10.18653/v1/2023.acl-long.1",
        " 10.18653/v1/2023.acl-long.1. ",
    ],
)
def test_every_way_of_writing_a_doi_is_one_doi(text: str) -> None:
    assert normalise_doi(text) == "10.18653/v1/2023.acl-long.1"


@pytest.mark.parametrize(
    "text", ["", "10.12/x", "11.1234/x", "doi.org/", "https://example.org/10.1234/x"]
)
def test_what_is_not_a_doi_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="not a DOI"):
        normalise_doi(text)


def test_a_doi_link_percent_encodes_what_a_url_path_may_not_hold() -> None:
    doi = normalise_doi(WILEY)
    assert doi_iri(doi) == (
        "https://doi.org/10.1002/(sici)1097-4571(199806)49:8%3C693::aid-asi4%3E3.0.co;2-0"
    )
    assert doi_iri("10.1234/a#b c") == "https://doi.org/10.1234/a%23b%20c"
    ox.NamedNode(doi_iri(doi))  # a valid IRI


def test_a_work_with_an_old_wiley_doi_builds(tmp_path: Path) -> None:
    (tmp_path / "refs.bib").write_text(
        f"@article{{w, title = {{Old}}, author = {{Ann Lee}}, year = 1998, doi = {{{WILEY}}}}}\n",
        encoding="utf-8",
    )
    result = build([tmp_path / "refs.bib"], tmp_path / "out", IriScheme())
    assert result.report.conforms
    (paper,) = load_corpus([tmp_path / "refs.bib"]).papers
    assert paper.doi == WILEY.lower()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2301.01234", "2301.01234"),
        ("arXiv:2301.01234v3", "2301.01234"),
        ("https://arxiv.org/abs/2301.01234v2", "2301.01234"),
        ("https://arxiv.org/pdf/2301.01234v2.pdf", "2301.01234"),
        ("10.48550/arXiv.2301.01234", "2301.01234"),
        ("hep-th/9901001", "hep-th/9901001"),
        ("arXiv:math.GT/0309136v1", "math.GT/0309136"),
    ],
)
def test_arxiv_identifiers_lose_their_version_and_wrapping(text: str, expected: str) -> None:
    assert normalise_arxiv(text) == expected


def test_arxiv_from_a_doi_and_from_a_venue() -> None:
    assert arxiv_from_doi("10.48550/arxiv.2301.01234") == "2301.01234"
    assert arxiv_from_doi("10.1145/3616855.3635825") is None
    assert arxiv_in_venue("arXiv preprint arXiv:2301.04512", None) == "2301.04512"
    assert arxiv_in_venue("CoRR", "abs/2301.04512") == "2301.04512"
    assert arxiv_in_venue("Nature", "abs/2301.04512") is None
    with pytest.raises(ValueError):
        arxiv_in_venue("arXiv preprint arXiv:123", None)


def test_dates_keep_their_precision_and_must_exist() -> None:
    assert (iso_date(2023), iso_date(2023, 5), iso_date(2023, 5, 7)) == (
        "2023",
        "2023-05",
        "2023-05-07",
    )
    for bad in ((2023, 2, 30), (2023, 13), (2023, None, 5), (0,)):
        with pytest.raises(ValueError):
            iso_date(*bad)


@pytest.mark.parametrize(
    ("text", "number"), [("5", 5), ("05", 5), ("may", 5), ("May", 5), ("Sept.", 9), ("dec", 12)]
)
def test_months_as_people_and_bibtex_write_them(text: str, number: int) -> None:
    assert month_number(text) == number


def test_a_month_that_is_not_one_is_refused() -> None:
    with pytest.raises(ValueError):
        month_number("Smarch")


@pytest.mark.parametrize(
    ("text", "expected"),
    [("123--130", "123-130"), ("123 – 130", "123-130"), ("e1234", "e1234"), ("S12—S15", "S12-S15")],
)
def test_page_ranges(text: str, expected: str) -> None:
    assert normalise_pages(text) == expected


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        ("PhD thesis", "PhD"),
        ("Ph.D. dissertation", "PhD"),
        ("phdthesis", "PhD"),
        ("Doctoral thesis", "PhD"),
        ("Master's thesis", "Master's"),
        ("mathesis", "Master's"),
        ("MSc thesis", "Master's"),
        ("Habilitation", None),
    ],
)
def test_degrees_as_sources_name_them(kind: str, expected: str | None) -> None:
    assert degree(kind) == expected


def test_a_doi_link_is_a_doi_and_only_web_iris_are_pages() -> None:
    link = "https://doi.org/10.1234/ABC"
    assert doi_and_web_page(None, link) == ("10.1234/abc", None)
    assert doi_and_web_page("10.1234/x", link) == ("10.1234/x", None)
    assert doi_and_web_page(None, "https://example.org/p") == (None, "https://example.org/p")
    for not_a_page in ("ftp://example.org/p", "https://example.org/a b", "www.example.org"):
        assert doi_and_web_page(None, not_a_page) == (None, None)
