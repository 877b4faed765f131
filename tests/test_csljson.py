"""The CSL-JSON reader: Zotero, pandoc, Crossref and DataCite files as they really come."""

from __future__ import annotations

import dataclasses
import gzip
import json
import unicodedata
from pathlib import Path

import pytest
from csl_processors import shown

from kg.bibliography.csljson import to_csl_json
from kg.errors import InputError
from kg.records import (
    PaperRecord,
    PersonName,
    PublicationList,
    SkippedEntry,
    SourceLocation,
    Venue,
    VenueKind,
    WorkType,
    list_from_json,
    list_to_json,
)
from kg.sources.csljson import read_csl_json

DATA = Path(__file__).resolve().parent / "data" / "csljson"
TAMM = {"family": "Tamm", "given": "Liis"}


def read(name: str) -> PublicationList:
    return read_csl_json(DATA / name)


def write(tmp_path: Path, content: bytes | str, name: str = "items.json") -> Path:
    path = tmp_path / name
    path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    return path


def read_item(tmp_path: Path, **fields: object) -> PaperRecord:
    """The record of one item: a title and an author unless ``fields`` say otherwise."""
    item = {"id": "item", "type": "article-journal", "title": "T", "author": [TAMM], **fields}
    publication_list = read_csl_json(write(tmp_path, json.dumps([item])))
    assert publication_list.skipped == ()
    (paper,) = publication_list.papers
    return paper


def skip_reason(tmp_path: Path, **fields: object) -> str:
    item = {"id": "item", "type": "article-journal", "title": "T", "author": [TAMM], **fields}
    publication_list = read_csl_json(write(tmp_path, json.dumps([item])))
    assert publication_list.papers == ()
    (skipped,) = publication_list.skipped
    return skipped.reason


def input_error(tmp_path: Path, content: bytes | str) -> InputError:
    with pytest.raises(InputError) as caught:
        read_csl_json(write(tmp_path, content))
    return caught.value


# Zotero: tab-indented array, years as strings, arXiv preprints with "number".


def test_zotero_items_in_file_order_with_their_lines() -> None:
    publication_list = read("zotero.json")
    assert publication_list.file_name == "zotero.json"
    assert publication_list.owner is None
    assert publication_list.skipped == ()
    assert [(p.source, p.work_type) for p in publication_list.papers] == [
        (SourceLocation("zotero.json", 2), WorkType.ARTICLE),
        (SourceLocation("zotero.json", 51), WorkType.ARTICLE),
        (SourceLocation("zotero.json", 91), WorkType.ARTICLE),
        (SourceLocation("zotero.json", 133), WorkType.THESIS),
        (SourceLocation("zotero.json", 168), WorkType.CHAPTER),
    ]


def test_zotero_journal_article() -> None:
    article = read("zotero.json").papers[0]
    assert article.title == "Measuring CO2 Uptake with In Situ Sensors"
    assert article.authors == (
        PersonName("Okafor", "Chiamaka"),
        PersonName("Lindqvist", "Per-Erik"),
        PersonName("Haddad", "Samir"),
    )
    assert article.abstract == (
        "Field sensors drift. We calibrate them against a reference station "
        "and report a 12% error reduction."
    )
    assert article.venue == Venue(VenueKind.PERIODICAL, "Journal of Environmental Sensing")
    assert article.date == "2022-03-14"  # ["2022", 3, 14]; "accessed" is not the date
    assert (article.volume, article.issue, article.pages) == ("18", "3", "211-229")
    assert article.doi == "10.5555/jes.2022.0147"
    assert article.arxiv is None
    assert article.url == "https://jes.example.org/articles/2022/147"
    assert article.keywords == ("sensors", "carbon uptake", "field study", "calibration")
    assert article.authors_truncated is False


def test_zotero_conference_paper_and_literal_author() -> None:
    paper = read("zotero.json").papers[1]
    assert paper.venue == Venue(
        VenueKind.BOOK, "Proceedings of the 12th Workshop on Computational Morphology"
    )
    assert paper.date == "2023-07"
    assert paper.authors == (
        PersonName("Tamm", "Liis"),
        PersonName("The OpenMorph Consortium", "", organization=True),
    )


def test_zotero_preprint_has_arxiv_id_and_no_venue() -> None:
    preprint = read("zotero.json").papers[2]
    assert preprint.arxiv == "2305.01234"
    assert preprint.doi == "10.48550/arxiv.2305.01234"
    assert preprint.venue is None
    assert preprint.date == "2023-05-02"


def test_zotero_thesis_and_chapter() -> None:
    thesis, chapter = read("zotero.json").papers[3:]
    assert thesis.title == "Modèles probabilistes de la morphologie flexionnelle"
    assert (thesis.degree, thesis.date, thesis.venue) == ("PhD", "2021", None)
    assert chapter.venue == Venue(VenueKind.BOOK, "Handbook of Computational Morphology")
    assert (chapter.pages, chapter.date, chapter.degree) == ("301-335", "2020-11-01", None)
    assert chapter.authors == (PersonName("Tamm", "Liis"),)  # the editor is no author


# pandoc: two-space indent, sorted keys, numbers in date-parts, name particles.


def test_pandoc_names_with_particles_and_suffix() -> None:
    article = read("pandoc.json").papers[0]
    assert article.source == SourceLocation("pandoc.json", 2)
    assert article.authors == (
        PersonName("van der Berg", "Anna"),
        PersonName("de la Roche", "Jean-Luc"),
        PersonName("Hale Jr.", "Robert"),
    )


def test_pandoc_article_markup_stripped_from_title() -> None:
    article = read("pandoc.json").papers[0]
    assert article.title == "Stress Shift in Low Saxon Compounds: A Corpus Study"
    assert article.venue == Venue(VenueKind.PERIODICAL, "Journal of Fictional Linguistics")
    assert (article.date, article.pages, article.doi) == (
        "2019-11",
        "101-120",
        "10.5555/jfl.14.2.101",
    )


def test_pandoc_types_and_venues() -> None:
    papers = read("pandoc.json").papers
    assert [(p.source.line, p.work_type, p.venue, p.date, p.degree) for p in papers[1:]] == [
        (37, WorkType.ARTICLE, None, "2021", None),  # "arXiv preprint …" is no journal
        (57, WorkType.BOOK, None, "2018", None),
        (80, WorkType.REPORT, None, "2020-06-30", None),
        (104, WorkType.THESIS, None, "2016-09", "Master's"),
        (
            126,
            WorkType.CHAPTER,
            Venue(VenueKind.BOOK, "Encyclopedia of Invented Languages"),
            "2022",
            None,
        ),
    ]


def test_google_scholar_arxiv_journal_gives_the_arxiv_id() -> None:
    preprint = read("pandoc.json").papers[1]
    assert (preprint.arxiv, preprint.venue) == ("2104.00001", None)


def test_report_number_is_not_an_arxiv_id() -> None:
    report = read("pandoc.json").papers[3]
    assert report.arxiv is None
    assert report.url == "https://iip.example.org/reports/TR-2020-07.pdf"


# Crossref: one compact object, JATS abstract, upper-case DOI, DOI link as URL.


def test_crossref_single_object() -> None:
    publication_list = read("crossref.json")
    (article,) = publication_list.papers
    assert article.source == SourceLocation("crossref.json", 1)
    assert article.title == "Anisotropic Heat Flow in Layered Quasi-Crystals"
    assert article.authors == (PersonName("Tanaka", "Mei"), PersonName("Brandt", "Jonas"))
    assert article.work_type is WorkType.ARTICLE
    assert article.venue == Venue(VenueKind.PERIODICAL, "Journal of Imaginary Materials")
    assert article.date == "2021-02-14"  # issued, not published-print (2021-03)
    assert (article.volume, article.issue, article.pages) == ("58", "2", "101-118")
    assert article.doi == "10.5555/jim.2021.0042"
    assert article.url is None  # only the DOI link


def test_crossref_jats_abstract_becomes_plain_text() -> None:
    (article,) = read("crossref.json").papers
    assert article.abstract == (
        "Layered quasi-crystals conduct heat anisotropically. "
        "We measure the ratio at 4 K and find it < 0.1."
    )


def test_crossref_rest_lists_for_titles(tmp_path: Path) -> None:
    paper = read_item(
        tmp_path, title=["Listed Title"], **{"container-title": ["Journal of Lists", "J. Lists"]}
    )
    assert paper.title == "Listed Title"
    assert paper.venue == Venue(VenueKind.PERIODICAL, "Journal of Lists")
    assert read_item(tmp_path, **{"container-title": []}).venue is None


# DataCite: an arXiv preprint under its DataCite DOI.


def test_datacite_arxiv_preprint() -> None:
    (preprint,) = read("datacite-arxiv.json").papers
    assert preprint.title == "Where Language Models Hallucinate Morphology"
    assert preprint.authors == (PersonName("Brandt", "Jonas"), PersonName("Tanaka", "Mei"))
    assert preprint.work_type is WorkType.ARTICLE
    assert preprint.doi == "10.48550/arxiv.2311.04567"
    assert preprint.arxiv == "2311.04567"
    assert preprint.venue is None  # the publisher "arXiv" is no venue
    assert preprint.date == "2023"
    assert preprint.url == "https://arxiv.org/abs/2311.04567"


# Broken items are skipped with their line and a reason; the others are read.


def test_malformed_items_are_skipped_and_good_ones_kept() -> None:
    publication_list = read("malformed.json")
    assert [(p.source.line, p.title) for p in publication_list.papers] == [
        (2, "A Good Item Before the Broken Ones"),
        (109, "A Good Item After the Broken Ones"),
    ]
    skipped = [(s.source, s.reason) for s in publication_list.skipped]
    where = "malformed.json"
    assert skipped == [
        (SourceLocation(where, 20), "expected an item object, found a number"),
        (SourceLocation(where, 21), "item 'no-title': no title"),
        (SourceLocation(where, 38), "item 'no-author': no author"),
        (SourceLocation(where, 50), "item 'bad-date': issued: month 13 is out of range"),
        (
            SourceLocation(where, 69),
            "item 'bad-doi': DOI: not a DOI: 'doi.org/not-a-doi' "
            "(expected 10.<registrant>/<suffix>)",
        ),
        (SourceLocation(where, 81), "item 7: volume should be text or a number, found an object"),
        (SourceLocation(where, 95), "author 2 has neither a family name nor a literal name"),
        (SourceLocation(where, 108), "expected an item object, found text"),
    ]
    assert all(isinstance(s, SkippedEntry) for s in publication_list.skipped)


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"title": "  <i></i> "}, "no title"),
        ({"author": []}, "no author"),
        ({"author": "Tamm, Liis"}, "author should be an array of names, found text"),
        ({"author": ["Tamm"]}, "author 1 should be a name object, found text"),
        ({"author": [{"family": 3}]}, "author 1: family should be text, found a number"),
        ({"title": 12}, "title should be text, found a number"),
        ({"page": True}, "page should be text or a number, found true/false"),
        ({"keyword": ["a", "b"]}, "keyword should be text, found an array"),
        ({"issued": "2023"}, "issued should be a date object, found text"),
        ({"issued": {"date-parts": "2023"}}, "issued: date-parts should be [[year, month, day]]"),
        ({"issued": {"date-parts": [["May", 2023]]}}, "issued: date part 'May' is not a number"),
        ({"issued": {"date-parts": [[2023, 2, 30]]}}, "issued: day "),  # Python's wording
        ({"issued": {"raw": "sometime soon"}}, "issued: cannot read the date 'sometime soon'"),
        ({"number": "arXiv:nonsense"}, "number: not an arXiv identifier: 'arXiv:nonsense'"),
        ({"DOI": "10.48550/arXiv.junk"}, "DOI: not an arXiv identifier: 'junk'"),
        ({"issued": {"date-parts": [[None, 5]]}}, "issued: date part None is not a number"),
    ],
)
def test_malformed_field_reasons(tmp_path: Path, fields: dict[str, object], reason: str) -> None:
    assert skip_reason(tmp_path, **fields).startswith(f"item 'item': {reason}")


def test_item_without_id_is_named_by_line_only(tmp_path: Path) -> None:
    content = '[\n  {"type": "book", "title": "Anonymous"}\n]\n'
    (skipped,) = read_csl_json(write(tmp_path, content)).skipped
    assert skipped == SkippedEntry(SourceLocation("items.json", 2), "no author")


def test_one_broken_item_object_is_skipped_not_an_error(tmp_path: Path) -> None:
    content = '\n{"type": "article-journal", "title": "Orphan"}\n'
    publication_list = read_csl_json(write(tmp_path, content))
    assert publication_list.papers == ()
    assert publication_list.skipped == (SkippedEntry(SourceLocation("items.json", 2), "no author"),)


# Files that are not CSL-JSON at all raise InputError naming file and line.


@pytest.mark.parametrize(
    ("content", "line", "message"),
    [
        ('[\n  {"title": "A"}\n  {"title": "B"}\n]\n', 3, "not valid JSON: Expecting ','"),
        ('[\n  {"title": "A"},\n]\n', 3, "not valid JSON: Expecting value"),
        ('[\n  {"title": "A",\n', 3, "not valid JSON"),
        ("", 1, "not valid JSON: Expecting value"),
        ("[]\n[]\n", 2, "not valid JSON: Extra data"),
        ("\n\n42\n", 3, "expected a CSL-JSON array of items or one item object, found a number"),
        ('{"status": "ok", "message": {}}', 1, "found an object"),
        ('"title"', 1, "found text"),
    ],
)
def test_not_csl_json_raises_with_line(
    tmp_path: Path, content: str, line: int, message: str
) -> None:
    error = input_error(tmp_path, content)
    assert error.line == line
    assert str(error).startswith(f"items.json:{line}: ")
    assert message in str(error)


def test_not_utf8_raises_with_line(tmp_path: Path) -> None:
    error = input_error(tmp_path, b'[\n  {\n    "title": "Caf\xe9"\n  }\n]\n')
    assert error.line == 3
    assert str(error).startswith("items.json:3: not valid UTF-8 (byte 0xe9 at column 18)")


def test_byte_order_mark_and_empty_array(tmp_path: Path) -> None:
    with_bom = read_csl_json(
        write(tmp_path, '\ufeff[\n  {"title": "A", "author": [{"literal": "X"}]}]')
    )
    assert [p.source.line for p in with_bom.papers] == [2]
    empty = read_csl_json(write(tmp_path, "[ ]\n"))
    assert (empty.papers, empty.skipped) == ((), ())


# Field details.


@pytest.mark.parametrize(
    ("issued", "date"),
    [
        ({"date-parts": [[2023]]}, "2023"),
        ({"date-parts": [["2023", "5"]]}, "2023-05"),
        ({"date-parts": [[2023, 5, 17]]}, "2023-05-17"),
        ({"date-parts": [[2023, 5, 17], [2023, 6, 1]]}, "2023-05-17"),  # a range: its start
        ({"date-parts": [[2023, 22]]}, "2023"),  # summer
        ({"date-parts": [[None]]}, None),  # Crossref's unknown date
        ({"date-parts": [["2020", ""]]}, "2020"),
        ({"date-parts": [[]]}, None),
        ({"raw": "2023-05-17"}, "2023-05-17"),
        ({"raw": "2023/5"}, "2023-05"),
        ({"literal": "2019"}, "2019"),
        ({"literal": "in press"}, None),
        (None, None),
    ],
)
def test_issued(tmp_path: Path, issued: object, date: str | None) -> None:
    assert read_item(tmp_path, issued=issued).date == date


def test_names_are_nfc_with_whitespace_collapsed(tmp_path: Path) -> None:
    nfd = unicodedata.normalize("NFD", "Šakota")
    paper = read_item(
        tmp_path,
        title="  A\n  Title  ",
        author=[{"family": f" {nfd} ", "given": "Marija  Ana"}, {"literal": " The  Group "}],
    )
    assert paper.title == "A Title"
    assert paper.authors == (
        PersonName("Šakota", "Marija Ana"),
        PersonName("The Group", "", organization=True),
    )
    assert unicodedata.is_normalized("NFC", paper.authors[0].family)


def test_family_wins_over_literal_and_given_alone_is_not_enough(tmp_path: Path) -> None:
    paper = read_item(tmp_path, author=[{"family": "Tamm", "given": "Liis", "literal": "L. T."}])
    assert paper.authors == (PersonName("Tamm", "Liis"),)
    assert skip_reason(tmp_path, author=[{"given": "Plato"}]) == (
        "item 'item': author 1 has neither a family name nor a literal name"
    )


def test_markup_and_angle_brackets_in_titles(tmp_path: Path) -> None:
    assert read_item(tmp_path, title="Effects at p < 0.05 &amp; n > 30").title == (
        "Effects at p < 0.05 & n > 30"
    )
    assert read_item(tmp_path, title="E<sup>2</sup> &lt;i&gt;").title == "E2 <i>"


def test_a_tag_ends_an_entity_as_in_html(tmp_path: Path) -> None:
    """Each run of text between tags is unescaped on its own: markup splits an entity."""
    assert read_item(tmp_path, title='&<span class="nocase">amp;</span> &am<i>p;</i>').title == (
        "&amp; &amp;"
    )


# kg export -> read: CSL-JSON rich text that kg and CSL processors read alike (issue 15).

HARD_TEXT = [
    "A <b> tag",
    "x<y and z>w",
    "&amp; in HTML",
    "AT&T; notes",
    "R&D",
    "a < b and c > d",
    "a<b",
    '<i>italic</i> and <span class="nocase">iPhone</span>',
    "&lt;i&gt; &#38; &#x26; &copy2 &notit; &AMP",
    "<!-- not a comment --> <![CDATA[x]]>",
    "<jats:title>Abstract</jats:title> <jats:p>one</jats:p>",
    "a<b &amp; c",
    "&<b>x",
    "&&amp;;",
    "List<String> & Map<K, V>",
    "</p>",
]
PLAIN_TEXT = ["AT&T; notes", "R&D", "a < b and c > d", "a<b"]


def exported_and_read_back(tmp_path: Path, text: str) -> tuple[dict[str, object], PaperRecord]:
    record = PaperRecord(
        title=text,
        authors=(PersonName("Tamm", "Liis"),),
        abstract=f"Abstract: {text}",
        source=SourceLocation("works.json", 1),
        venue=Venue(VenueKind.PERIODICAL, f"Journal of {text}"),
    )
    exported = write(tmp_path, to_csl_json([record]), "exported.json")
    (item,) = json.loads(exported.read_text(encoding="utf-8"))
    (paper,) = read_csl_json(exported).papers
    return item, paper


@pytest.mark.parametrize("text", HARD_TEXT)
def test_exported_rich_text_reads_back_as_written(tmp_path: Path, text: str) -> None:
    item, paper = exported_and_read_back(tmp_path, text)
    assert (paper.title, paper.abstract, paper.venue) == (
        text,
        f"Abstract: {text}",
        Venue(VenueKind.PERIODICAL, f"Journal of {text}"),
    )
    fields = ("title", "abstract", "container-title")
    assert [shown(str(item[field])) for field in fields] == [
        text,
        f"Abstract: {text}",
        f"Journal of {text}",
    ]


@pytest.mark.parametrize("text", PLAIN_TEXT)
def test_text_that_reads_as_itself_is_exported_as_written(tmp_path: Path, text: str) -> None:
    item, _ = exported_and_read_back(tmp_path, text)
    assert item["title"] == text


def test_numbers_accepted_where_csl_allows_them(tmp_path: Path) -> None:
    paper = read_item(tmp_path, volume=12, issue=3, page=45)
    assert (paper.volume, paper.issue, paper.pages) == ("12", "3", "45")


@pytest.mark.parametrize(
    ("fields", "doi", "url"),
    [
        ({"URL": "http://dx.doi.org/10.5555/X.1"}, "10.5555/x.1", None),
        ({"DOI": "10.5555/y", "URL": "https://doi.org/10.5555/y"}, "10.5555/y", None),
        ({"URL": "https://example.org/paper?id=3"}, None, "https://example.org/paper?id=3"),
        ({"URL": "ftp://example.org/paper.pdf"}, None, None),
        ({"URL": "https://example.org/a paper.pdf"}, None, None),  # no valid IRI
        ({"DOI": "https://doi.org/10.5555/Z"}, "10.5555/z", None),
    ],
)
def test_doi_and_url(
    tmp_path: Path, fields: dict[str, object], doi: str | None, url: str | None
) -> None:
    paper = read_item(tmp_path, **fields)
    assert (paper.doi, paper.url) == (doi, url)


@pytest.mark.parametrize(
    "fields",
    [
        {"number": "arXiv:2301.01234v3"},
        {"archive": "arXiv", "archive_location": "2301.01234"},
        {"URL": "https://arxiv.org/pdf/2301.01234v2"},
        {"DOI": "10.48550/arXiv.2301.01234"},
        {"container-title": "arXiv preprint arXiv:2301.01234"},
        {"container-title": "CoRR", "volume": "abs/2301.01234"},
    ],
)
def test_arxiv_id_sources(tmp_path: Path, fields: dict[str, object]) -> None:
    assert read_item(tmp_path, type="article", **fields).arxiv == "2301.01234"


@pytest.mark.parametrize(
    "fields",
    [
        {"archive": "Bodleian", "archive_location": "2301.01234"},
        {"container-title": "Journal of Abstracts", "volume": "abs/2301.01234"},
        {"number": "2301.01234"},
    ],
)
def test_arxiv_like_text_elsewhere_is_no_arxiv_id(
    tmp_path: Path, fields: dict[str, object]
) -> None:
    assert read_item(tmp_path, **fields).arxiv is None


@pytest.mark.parametrize(
    ("csl_type", "work_type", "venue_kind"),
    [
        ("article-magazine", WorkType.ARTICLE, VenueKind.PERIODICAL),
        ("article-newspaper", WorkType.ARTICLE, VenueKind.PERIODICAL),
        ("review", WorkType.ARTICLE, VenueKind.PERIODICAL),
        ("entry-dictionary", WorkType.CHAPTER, VenueKind.BOOK),
        ("posted-content", WorkType.ARTICLE, VenueKind.PERIODICAL),
        ("manuscript", WorkType.ARTICLE, VenueKind.PERIODICAL),
        ("webpage", WorkType.ARTICLE, VenueKind.PERIODICAL),
        (None, WorkType.ARTICLE, VenueKind.PERIODICAL),
        ("book", WorkType.BOOK, None),
        ("report", WorkType.REPORT, None),
        ("dissertation", WorkType.THESIS, None),  # Crossref's type for a thesis
    ],
)
def test_type_mapping(
    tmp_path: Path, csl_type: str | None, work_type: WorkType, venue_kind: VenueKind | None
) -> None:
    paper = read_item(tmp_path, type=csl_type, **{"container-title": "Container"})
    assert paper.work_type is work_type
    assert paper.venue == (Venue(venue_kind, "Container") if venue_kind else None)


@pytest.mark.parametrize(
    "container", ["arXiv", "bioRxiv", "SSRN Electronic Journal", "Zenodo", "CoRR"]
)
def test_repositories_are_not_periodicals(tmp_path: Path, container: str) -> None:
    assert read_item(tmp_path, type="article", **{"container-title": container}).venue is None


@pytest.mark.parametrize(
    ("genre", "degree"),
    [
        ("Ph.D. thesis", "PhD"),
        ("Doctoral dissertation", "PhD"),
        ("MSc thesis", "Master's"),
        ("Master thesis", "Master's"),
        ("Habilitation", None),
        (None, None),
    ],
)
def test_thesis_degree_from_genre(tmp_path: Path, genre: str | None, degree: str | None) -> None:
    assert read_item(tmp_path, type="thesis", genre=genre).degree == degree


# Whole files: compressed, deterministic, cacheable.


def test_gzip_reads_the_same(tmp_path: Path) -> None:
    def lines_and_records(publication_list: PublicationList) -> list[PaperRecord]:
        """The records with the file name left out: it differs by ".gz"."""
        return [
            dataclasses.replace(paper, source=SourceLocation("", paper.source.line))
            for paper in publication_list.papers
        ]

    for name in ("zotero.json", "pandoc.json", "crossref.json"):
        compressed = tmp_path / f"{name}.gz"
        compressed.write_bytes(gzip.compress((DATA / name).read_bytes()))
        from_gzip = read_csl_json(compressed)
        assert from_gzip.file_name == f"{name}.gz"
        assert {p.source.file_name for p in from_gzip.papers} == {f"{name}.gz"}
        assert lines_and_records(from_gzip) == lines_and_records(read(name))


@pytest.mark.parametrize(
    "name", ["zotero.json", "pandoc.json", "crossref.json", "datacite-arxiv.json", "malformed.json"]
)
def test_lists_survive_the_build_cache(name: str) -> None:
    publication_list = read(name)
    assert list_from_json(list_to_json(publication_list)) == publication_list
