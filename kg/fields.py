"""Normal forms of bibliographic field values, shared by every reader and writer.

Two sources state the same DOI, date or page range in different ways
("https://doi.org/10.18653/V1/2023.ACL-LONG.1", "doi:10.18653/v1/2023.acl-long.1"); records
carry one form, so merging compares equals and writers start from one spelling.
"""

from __future__ import annotations

import datetime
import re
from urllib.parse import quote, unquote

from kg.terms import iri_problem

_DOI = re.compile(
    r"^(?:doi:\s*|(?P<link>(?:https?://)?(?:dx\.)?doi\.org/)|(?:info:)?doi/)?"
    r"(?P<doi>10\.\d{4,9}/\S+)$",
    re.IGNORECASE,
)
_ARXIV_NEW = r"\d{4}\.\d{4,5}"
_ARXIV_OLD = r"[a-z][a-z.-]*(?:\.[A-Z]{2})?/\d{7}"
_ARXIV = re.compile(
    rf"^(?:arxiv:\s*|https?://(?:www\.|export\.)?arxiv\.org/(?:abs|pdf)/)?"
    rf"({_ARXIV_NEW}|{_ARXIV_OLD})(?:v\d+)?(?:\.pdf)?$",
    re.IGNORECASE,
)
_ARXIV_DOI = re.compile(r"^10\.48550/arxiv\.(.+)$", re.IGNORECASE)
# Preprint servers and repositories are where a work is posted, not a periodical; dblp
# calls arXiv "CoRR" and Google Scholar writes "arXiv preprint arXiv:2301.01234".
_REPOSITORY = re.compile(
    r"rxiv|\bcorr\b|\b(?:ssrn|zenodo|hal|research square|preprints?|repository)\b",
    re.IGNORECASE,
)
_SCHOLAR_ARXIV = re.compile(r"arxiv preprint\s+(?:arxiv:)?\s*(\S+)", re.IGNORECASE)
_CORR_VOLUME = re.compile(r"abs/(\S+)", re.IGNORECASE)
_PAGE_RANGE = re.compile(r"\s*(?:-{1,3}|[‐‑‒–—−])\s*")

_DOI_LINK = re.compile(r"https?://(?:dx\.)?doi\.org/", re.IGNORECASE)
_WEB_URL = re.compile(r"https?://\S+", re.IGNORECASE)
_PHD = re.compile(r"\bph\.?\s?d|\bdoctor", re.IGNORECASE)
_MASTERS = re.compile(r"\bmaster|\bm\.?\s?sc\b|^ma\b|^mathesis$", re.IGNORECASE)
_PATH_SAFE = "/!$&'()*+,;=:@-._~"
"""What RFC 3986 lets a URL path hold as it is (its ``pchar`` and ``/``)."""

MONTHS = (
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
)


def normalise_doi(text: str) -> str:
    """The DOI in ``text`` (bare, ``doi:`` or a resolver link), lower-case: DOIs are
    case-insensitive and Crossref prints them in lower case. A resolver link is a URL, so
    its percent-escapes are decoded (``…49:8%3C693…`` is the DOI ``…49:8<693…``, the
    inverse of :func:`doi_iri`)."""
    match = _DOI.match(text.strip())
    if match is None:
        raise ValueError(f"not a DOI: {text!r} (expected 10.<registrant>/<suffix>)")
    doi = unquote(match["doi"]) if match["link"] else match["doi"]
    return doi.rstrip(".").lower()


def normalise_arxiv(text: str) -> str:
    """The arXiv identifier in ``text`` ("arXiv:2301.01234v2", an abs or pdf link, or the
    arXiv DOI 10.48550/arXiv.2301.01234), without its version: the work, not a revision."""
    cleaned = text.strip()
    via_doi = _ARXIV_DOI.match(cleaned)
    if via_doi is not None:
        cleaned = via_doi.group(1)
    match = _ARXIV.match(cleaned)
    if match is None:
        raise ValueError(f"not an arXiv identifier: {text!r}")
    return match.group(1)


def arxiv_from_doi(doi: str) -> str | None:
    """The arXiv identifier of an arXiv DOI (DataCite's 10.48550/arXiv.…), else None."""
    match = _ARXIV_DOI.match(doi)
    return normalise_arxiv(match.group(1)) if match else None


def is_repository(venue: str) -> bool:
    """Whether a "journal" is a preprint server or repository (arXiv, dblp's CoRR, SSRN,
    Zenodo…): where a work is posted, so not its venue."""
    return _REPOSITORY.search(venue) is not None


def arxiv_in_venue(venue: str | None, volume: str | None) -> str | None:
    """The arXiv identifier that exporters hide in the venue: Google Scholar's journal
    "arXiv preprint arXiv:2301.01234", dblp's journal "CoRR" with volume "abs/2301.01234".
    Raises ``ValueError`` when what follows is not an arXiv identifier."""
    scholar = _SCHOLAR_ARXIV.fullmatch(venue or "")
    if scholar is not None:
        return normalise_arxiv(scholar.group(1))
    corr = _CORR_VOLUME.fullmatch(volume or "")
    if corr is not None and venue is not None and is_repository(venue):
        return normalise_arxiv(corr.group(1))
    return None


def doi_and_web_page(doi: str | None, url: str | None) -> tuple[str | None, str | None]:
    """A work's DOI and web page from its (normalised) DOI and its URL field. A URL that is
    only a DOI link gives the DOI when there is none and is no web page; a web page is kept
    only as an http(s) URL that is a valid IRI, since it becomes one."""
    if url is None:
        return doi, None
    if _DOI_LINK.match(url):
        try:
            return doi or normalise_doi(url), None
        except ValueError:
            pass
    web = _WEB_URL.fullmatch(url) is not None and iri_problem(url) is None
    return doi, url if web else None


def degree(kind: str) -> str | None:
    """ "PhD" or "Master's" from how a source names a thesis's kind ("PhD thesis", "Ph.D.
    dissertation", biblatex's ``phdthesis``/``mathesis``, "MSc thesis"); else None."""
    if _PHD.search(kind):
        return "PhD"
    return "Master's" if _MASTERS.search(kind) else None


def doi_iri(doi: str) -> str:
    """The resolver link of a normalised DOI, per the DOI Handbook's URL form: characters
    a URL path may not hold are percent-encoded (old Wiley DOIs hold ``<``, ``>`` and
    ``#``: ``10.1002/(sici)1097-4571(199806)49:8<693::aid-asi4>3.0.co;2-0``)."""
    return f"https://doi.org/{quote(doi, safe=_PATH_SAFE)}"


def arxiv_iri(arxiv: str) -> str:
    """The abstract page of an arXiv identifier."""
    return f"https://arxiv.org/abs/{arxiv}"


def iso_date(year: int, month: int | None = None, day: int | None = None) -> str:
    """An ISO 8601 date at the precision given: "2023", "2023-05" or "2023-05-17".

    Raises ``ValueError`` for a date that does not exist (a day without a month, 2023-02-30).
    """
    if not 1 <= year <= 9999:
        raise ValueError(f"year {year} is out of range")
    if month is None:
        if day is not None:
            raise ValueError("a day without a month")
        return f"{year:04d}"
    if not 1 <= month <= 12:
        raise ValueError(f"month {month} is out of range")
    if day is None:
        return f"{year:04d}-{month:02d}"
    return datetime.date(year, month, day).isoformat()


_ISO_DATE = re.compile(r"\d{4}(?:-\d{2}(?:-\d{2})?)?")


def is_iso_date(text: str) -> bool:
    """Whether ``text`` has the form :func:`iso_date` gives, as kg's graphs hold dates;
    a graph from elsewhere may hold other forms, which readers of graphs leave out."""
    return _ISO_DATE.fullmatch(text) is not None


def date_precision(date: str) -> int:
    """How many parts an :func:`iso_date` has: 1 (year), 2 (month) or 3 (day)."""
    return date.count("-") + 1


def month_number(text: str) -> int:
    """A month as BibTeX and people write it: "5", "05", "may", "May", "sep", "Sept."."""
    cleaned = text.strip().rstrip(".").lower()
    if cleaned.isdigit():
        return int(cleaned)
    for number, name in enumerate(MONTHS, start=1):
        if len(cleaned) >= 3 and name.startswith(cleaned):
            return number
    raise ValueError(f"not a month: {text!r}")


def normalise_pages(text: str) -> str:
    """A page range with "-" between first and last ("123--130", "123–130" -> "123-130");
    one page or an article number stays as it is."""
    return _PAGE_RANGE.sub("-", text.strip())
