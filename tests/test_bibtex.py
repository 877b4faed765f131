"""The BibTeX reader: every exporter's dialect read into the same records, defects named."""

from __future__ import annotations

import gzip
import subprocess
import sys
import unicodedata
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest

from kg.errors import InputError
from kg.records import (
    PaperRecord,
    PersonName,
    PublicationList,
    SourceLocation,
    Venue,
    VenueKind,
    WorkType,
)
from kg.sources.bibtex import read_bibtex

DATA = Path(__file__).resolve().parent / "data" / "bibtex"


def papers_of(name: str) -> list[PaperRecord]:
    """The papers of a fixture, checking that nothing in it was skipped."""
    publication_list = read_bibtex(DATA / name)
    assert publication_list.file_name == name
    assert publication_list.owner is None
    assert publication_list.skipped == ()
    return list(publication_list.papers)


def write(tmp_path: Path, content: bytes | str, name: str = "list.bib") -> Path:
    path = tmp_path / name
    path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    return path


def only_paper(tmp_path: Path, entry: str) -> PaperRecord:
    """The one record read from a file holding ``entry``."""
    publication_list = read_bibtex(write(tmp_path, entry))
    assert publication_list.skipped == ()
    assert len(publication_list.papers) == 1
    return publication_list.papers[0]


# Google Scholar


def test_google_scholar_entries_in_file_order() -> None:
    papers = papers_of("google-scholar.bib")
    assert [paper.title for paper in papers] == [
        "Sparse retrieval with learned token weights",
        "Multilingual probing of syntactic agreement",
        "Robust speech segmentation under noise",
        "A corpus of annotated clinical dialogues",
        "Learning representations of scientific text",
    ]
    assert [paper.source for paper in papers] == [
        SourceLocation("google-scholar.bib", line) for line in (1, 8, 16, 25, 35)
    ]


def test_google_scholar_arxiv_journal_is_an_identifier_not_a_venue() -> None:
    preprint = papers_of("google-scholar.bib")[0]
    assert preprint.arxiv == "2301.04512"
    assert (preprint.venue, preprint.volume, preprint.doi) == (None, None, None)
    assert preprint.work_type is WorkType.ARTICLE
    assert preprint.date == "2023"
    assert preprint.authors == (
        PersonName("Lindqvist", "Maja"),
        PersonName("Okafor", "Chidi"),
        PersonName("Brandt", "Felix"),
    )


def test_google_scholar_proceedings_article_and_thesis() -> None:
    _, proceedings, truncated, article, thesis = papers_of("google-scholar.bib")
    assert proceedings.work_type is WorkType.ARTICLE
    assert proceedings.venue == Venue(
        VenueKind.BOOK,
        "Proceedings of the 2021 Conference on Empirical Methods in Natural Language Processing",
    )
    assert proceedings.pages == "1123-1135"
    assert truncated.authors_truncated
    assert truncated.authors[-1] == PersonName("Müller", "Jonas")
    assert article.venue == Venue(VenueKind.PERIODICAL, "Journal of Biomedical Informatics")
    assert (article.volume, article.issue, article.pages) == ("108", None, "103489")
    assert (thesis.work_type, thesis.degree, thesis.venue) == (WorkType.THESIS, "PhD", None)


# dblp


def test_dblp_conference_paper() -> None:
    paper = papers_of("dblp.bib")[0]
    assert paper.title == "Probing BERT: Agreement Across Languages"
    assert paper.authors == (PersonName("Okafor", "Chidi"), PersonName("Lindqvist", "Maja"))
    assert paper.doi == "10.18653/v1/2023.acl-long.999"
    assert paper.url is None  # only the DOI link
    assert paper.venue == Venue(
        VenueKind.BOOK,
        "Proceedings of the 61st Annual Meeting of the Association for Computational "
        "Linguistics (Volume 1: Long Papers), ACL 2023, Toronto, Canada, July 9-14, 2023",
    )
    assert (paper.date, paper.pages) == ("2023", "4410-4425")


def test_dblp_corr_entry_is_an_arxiv_preprint() -> None:
    paper = papers_of("dblp.bib")[1]
    assert paper.arxiv == "2301.04512"
    assert paper.doi == "10.48550/arxiv.2301.04512"
    assert (paper.venue, paper.volume, paper.url) == (None, None, None)


def test_dblp_journal_article_unescapes_the_doi() -> None:
    paper = papers_of("dblp.bib")[2]
    assert paper.doi == "10.1162/tacl_a_00999"
    assert paper.venue == Venue(VenueKind.PERIODICAL, "Trans. Assoc. Comput. Linguistics")
    assert (paper.volume, paper.issue, paper.pages) == ("10", "3", "812-829")
    assert paper.authors[-1] == PersonName("Dürr", "Jean-Pierre")


def test_dblp_thesis_keeps_its_url() -> None:
    thesis = papers_of("dblp.bib")[3]
    assert thesis.work_type is WorkType.THESIS and thesis.degree == "PhD"
    assert thesis.url == "https://nbn-resolving.org/urn:nbn:se:uu:diva-345678"


# Zotero with Better BibTeX


def test_better_bibtex_article() -> None:
    article = papers_of("zotero-bbt.bib")[0]
    assert article.source == SourceLocation("zotero-bbt.bib", 2)
    assert article.date == "2020-08"
    assert article.doi == "10.1016/j.jbi.2020.103489"
    assert article.authors[-1] == PersonName("Rücklé", "Andreas")
    assert article.keywords == ("clinical NLP", "corpus", "dialogue")
    assert article.url is None
    assert article.abstract == (
        "We release 1,200 transcribed clinical dialogues with SOAP note alignments. Baselines "
        "trained on the corpus improve note generation by 12% over prior work & halve the "
        "rate of omitted findings."
    )


def test_better_bibtex_double_braces_and_particles() -> None:
    paper = papers_of("zotero-bbt.bib")[1]
    assert paper.title == "Multilingual Probing of Syntactic Agreement in BERT"
    assert paper.venue == Venue(
        VenueKind.BOOK,
        "Proceedings of the 2021 Conference on Empirical Methods in Natural Language Processing",
    )
    assert paper.authors == (
        PersonName("Okafor", "Chidi"),
        PersonName("Šakota", "Marija"),
        PersonName("van der Berg", "Lotte"),
    )
    assert paper.keywords == ("BERT", "probing", "syntax")


def test_better_bibtex_online_and_book() -> None:
    online, book = papers_of("zotero-bbt.bib")[2:]
    assert online.title == "Segtool: Speech Segmentation Toolkit"
    assert (online.work_type, online.venue) == (WorkType.ARTICLE, None)
    assert online.url == "https://github.com/fbrandt-lab/segtool"
    assert online.keywords == ("software", "speech")
    assert (book.work_type, book.venue, book.date) == (WorkType.BOOK, None, "2019")


# ACL Anthology


def test_acl_anthology_entries() -> None:
    first, workshop, findings = papers_of("acl-anthology.bib")
    assert first.title == "Probing BERT: Agreement Across Languages"
    assert first.date == "2023-07"  # month = jul
    assert first.doi == "10.18653/v1/2023.acl-long.999"
    assert first.url == "https://aclanthology.org/2023.acl-long.999"
    assert first.pages == "4410-4425"
    assert first.abstract is not None and "a 5% drop" in first.abstract
    assert workshop.title == "Speech Segmentation for Low-Resource Portuguese Dialects"
    assert workshop.authors[0] == PersonName("Ferreira", "João")
    assert (workshop.date, workshop.doi, workshop.abstract) == ("2022-12", None, None)
    assert findings.authors == (PersonName("Šakota", "Marija"),)
    assert findings.venue == Venue(
        VenueKind.BOOK, "Findings of the Association for Computational Linguistics: ACL 2023"
    )


# arXiv and DataCite


def test_arxiv_export() -> None:
    new_style, old_style, _ = papers_of("arxiv.bib")
    assert new_style.arxiv == "2301.04512"
    assert new_style.authors[0] == PersonName("Lindqvist", "Maja")
    assert new_style.url == "https://arxiv.org/abs/2301.04512"
    assert (new_style.venue, new_style.doi, new_style.date) == (None, None, "2023")
    assert old_style.arxiv == "hep-th/0701099"


def test_datacite_export() -> None:
    paper = papers_of("arxiv.bib")[2]
    assert paper.doi == "10.48550/arxiv.2105.01234"
    assert paper.arxiv == "2105.01234"
    assert paper.venue is None  # publisher = {arXiv} is no venue
    assert paper.keywords == (
        "Computation and Language (cs.CL)",
        "Sound (cs.SD)",
        "FOS: Computer and information sciences",
    )


# Edge cases


def test_edge_cases_leave_out_the_crossref_venue_and_commented_entries() -> None:
    titles = [paper.title for paper in papers_of("edge-cases.bib")]
    assert titles == [
        "Names in BibTeX: A Field Guide",
        "Concatenated Venue Names",
        "Inheriting Fields Through Crossref",
        "The Collected Letters",
        "Token Weights for Sparse Retrieval",
    ]


def test_edge_cases_names_macros_and_unbraced_numbers() -> None:
    paper = papers_of("edge-cases.bib")[0]
    assert paper.source.line == 13
    assert paper.authors == (
        PersonName("Šakota", "Marija"),
        PersonName("Rücklé", "Andreas"),
        PersonName("Zola", "Émile"),
        PersonName("van Beethoven", "Ludwig"),
        PersonName("de la Fontaine Jr.", "Jean"),
        PersonName("World Health Organization", "", organization=True),
    )
    assert paper.venue == Venue(
        VenueKind.PERIODICAL, "Transactions of the Association for Computational Linguistics"
    )
    assert (paper.date, paper.volume, paper.pages) == ("2021-03", "9", "101-118")


def test_edge_cases_concatenation_and_others() -> None:
    paper = papers_of("edge-cases.bib")[1]
    assert paper.venue == Venue(
        VenueKind.BOOK,
        "Proceedings of the Conference on Empirical Methods in Natural Language Processing 2022",
    )
    assert paper.authors_truncated
    assert paper.authors == (PersonName("Okafor", "Chidi"), PersonName("Lindqvist", "Maja"))


def test_edge_cases_crossref_inherits_the_container_only() -> None:
    paper = papers_of("edge-cases.bib")[2]
    assert paper.venue == Venue(VenueKind.BOOK, "Proceedings of the Workshop on Bibliographic Data")
    assert paper.date == "2022-06"
    assert paper.doi is None  # the proceedings' DOI is not the paper's
    assert paper.pages == "10-19"


def test_edge_cases_book_and_biblatex_thesis() -> None:
    book, thesis = papers_of("edge-cases.bib")[3:]
    assert book.authors == (PersonName("Carter Jr.", "Robert"),)
    assert (book.work_type, book.date) == (WorkType.BOOK, "1999")
    assert (thesis.work_type, thesis.degree) == (WorkType.THESIS, "Master's")
    assert thesis.date == "2020-05-17"


# Names


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("Lindqvist, Maja", PersonName("Lindqvist", "Maja")),
        ("Maja Lindqvist", PersonName("Lindqvist", "Maja")),
        ("von Neumann, Jr, John", PersonName("von Neumann Jr", "John")),
        ("Ludwig van Beethoven", PersonName("van Beethoven", "Ludwig")),
        ("{Braced Corporate Name}", PersonName("Braced Corporate Name", "", organization=True)),
        ("R{\\\"u}ckl{\\'e}, Andreas", PersonName("Rücklé", "Andreas")),
        ("{\\v{S}}akota, Marija", PersonName("Šakota", "Marija")),
        ("{\\'E}mile Zola", PersonName("Zola", "Émile")),
        ("Okafor,   Chidi\n  Emeka", PersonName("Okafor", "Chidi Emeka")),
    ],
)
def test_name_forms(tmp_path: Path, written: str, expected: PersonName) -> None:
    paper = only_paper(tmp_path, f"@article{{k, title = {{T}}, author = {{{written}}}}}")
    assert paper.authors == (expected,)


def test_and_others_is_dropped_and_marks_the_list_truncated(tmp_path: Path) -> None:
    paper = only_paper(tmp_path, "@misc{k, title = {T}, author = {Ann Lee and others}}")
    assert paper.authors == (PersonName("Lee", "Ann"),)
    assert paper.authors_truncated


def test_complete_author_list_is_not_truncated(tmp_path: Path) -> None:
    paper = only_paper(tmp_path, "@misc{k, title = {T}, author = {Ann Lee and Bo Chen}}")
    assert paper.authors == (PersonName("Lee", "Ann"), PersonName("Chen", "Bo"))
    assert not paper.authors_truncated


# Entry types


def periodical(name: str) -> Venue:
    return Venue(VenueKind.PERIODICAL, name)


def book(name: str) -> Venue:
    return Venue(VenueKind.BOOK, name)


@pytest.mark.parametrize(
    ("entry", "work_type", "venue", "degree"),
    [
        ("@article{k, journal = {Nature},", WorkType.ARTICLE, periodical("Nature"), None),
        ("@conference{k, booktitle = {Proc. X},", WorkType.ARTICLE, book("Proc. X"), None),
        ("@incollection{k, booktitle = {Essays},", WorkType.CHAPTER, book("Essays"), None),
        ("@inbook{k, booktitle = {Essays},", WorkType.CHAPTER, book("Essays"), None),
        ("@inbook{k, chapter = {3},", WorkType.BOOK, None, None),
        ("@proceedings{k,", WorkType.BOOK, None, None),
        ("@phdthesis{k, school = {KTH},", WorkType.THESIS, None, "PhD"),
        ("@mastersthesis{k, school = {KTH},", WorkType.THESIS, None, "Master's"),
        ("@thesis{k, type = {PhD thesis},", WorkType.THESIS, None, "PhD"),
        ("@thesis{k,", WorkType.THESIS, None, None),
        ("@techreport{k, number = {TR-7},", WorkType.REPORT, None, None),
        ("@report{k,", WorkType.REPORT, None, None),
        ("@unpublished{k, note = {Draft},", WorkType.ARTICLE, None, None),
        (
            "@misc{k, howpublished = {Data Review},",
            WorkType.ARTICLE,
            periodical("Data Review"),
            None,
        ),
        ("@misc{k, howpublished = {arXiv preprint},", WorkType.ARTICLE, None, None),
        ("@software{k,", WorkType.ARTICLE, None, None),
    ],
)
def test_entry_types(
    tmp_path: Path, entry: str, work_type: WorkType, venue: Venue | None, degree: str | None
) -> None:
    paper = only_paper(tmp_path, entry + " title = {T}, author = {Ann Lee}}")
    assert (paper.work_type, paper.venue, paper.degree) == (work_type, venue, degree)


def test_issue_only_for_a_periodical(tmp_path: Path) -> None:
    report = only_paper(tmp_path, "@techreport{k, title = {T}, author = {A B}, number = {7}}")
    assert report.issue is None
    article = only_paper(
        tmp_path, "@article{k, title = {T}, author = {A B}, journal = {J}, number = {7}}"
    )
    assert article.issue == "7"


def test_howpublished_url_is_a_url_not_a_venue(tmp_path: Path) -> None:
    paper = only_paper(
        tmp_path,
        "@misc{k, title = {T}, author = {A B}, howpublished = {\\url{https://x.org/a\\_b}}}",
    )
    assert (paper.venue, paper.url) == (None, "https://x.org/a_b")


# Fields


@pytest.mark.parametrize(
    ("fields", "date"),
    [
        ("year = {2023}", "2023"),
        ("year = 2023, month = 5", "2023-05"),
        ("year = 2023, month = {May}", "2023-05"),
        ("year = 2023, month = sep", "2023-09"),
        ("year = 2023, month = {Sept.}, day = {17}", "2023-09-17"),
        ("date = {2023}", "2023"),
        ("date = {2023-05}", "2023-05"),
        ("date = {2023-05-17}", "2023-05-17"),
        ("date = {2023-05-17/2023-05-19}", "2023-05-17"),
        ("date = {2024-02}, year = {2023}", "2024-02"),
        ("month = {May}", None),
    ],
)
def test_dates(tmp_path: Path, fields: str, date: str | None) -> None:
    paper = only_paper(tmp_path, f"@misc{{k, title = {{T}}, author = {{A B}}, {fields}}}")
    assert paper.date == date


@pytest.mark.parametrize(
    ("fields", "doi", "arxiv", "url"),
    [
        ("url = {https://doi.org/10.1234/ABC}", "10.1234/abc", None, None),
        ("doi = {10.1234/abc}, url = {https://dx.doi.org/10.1234/abc}", "10.1234/abc", None, None),
        (
            "doi = {10.1234/abc}, url = {https://x.org/abc}",
            "10.1234/abc",
            None,
            "https://x.org/abc",
        ),
        (
            "url = {https://arxiv.org/abs/2301.01234v3}",
            None,
            "2301.01234",
            "https://arxiv.org/abs/2301.01234v3",
        ),
        ("eprint = {arXiv:2301.01234}", None, "2301.01234", None),
        ("eprint = {2301.01234}, eprinttype = {arxiv}", None, "2301.01234", None),
        ("eprint = {31415926}, eprinttype = {pubmed}", None, None, None),
        ("doi = {10.48550/arXiv.2301.01234}", "10.48550/arxiv.2301.01234", "2301.01234", None),
        ("journal = {ArXiv}, volume = {abs/2301.01234}", None, "2301.01234", None),
        ("url = {ftp://files.example.org/paper.pdf}", None, None, None),
        ("url = {https://example.org/a b}", None, None, None),
    ],
)
def test_identifiers(
    tmp_path: Path, fields: str, doi: str | None, arxiv: str | None, url: str | None
) -> None:
    paper = only_paper(tmp_path, f"@article{{k, title = {{T}}, author = {{A B}}, {fields}}}")
    assert (paper.doi, paper.arxiv, paper.url) == (doi, arxiv, url)


def test_keywords_split_on_commas_and_semicolons_once_each(tmp_path: Path) -> None:
    paper = only_paper(
        tmp_path, "@misc{k, title = {T}, author = {A B}, keywords = {b; a, b ;; c,a}}"
    )
    assert paper.keywords == ("b", "a", "c")


def test_latex_in_titles_and_abstracts(tmp_path: Path) -> None:
    paper = only_paper(
        tmp_path,
        "@misc{k, title = {{$\\Sigma$AE}: \\textit{Symbolic}   Autoencoding\n in {\\{}braces{\\}}},"
        ' author = {A B}, abstract = {Cost falls by 63\\%~\\emph{and} G{\\"o}del \\& co.}}',
    )
    assert paper.title == "ΣAE: Symbolic Autoencoding in {braces}"
    assert paper.abstract == "Cost falls by 63% and Gödel & co."


def test_strings_concatenate_and_build_on_each_other(tmp_path: Path) -> None:
    content = (
        '@string{ws = "Workshop"}\n'
        '@string{full = ws # " on Data"}\n'
        '@inproceedings{k, title = {T}, author = {A B}, booktitle = full # { } # "2020",'
        " year = 2020, month = {6}}\n"
    )
    paper = only_paper(tmp_path, content)
    assert paper.venue == Venue(VenueKind.BOOK, "Workshop on Data 2020")
    assert paper.date == "2020-06"


def test_crossref_fills_only_missing_fields_and_ignores_key_case(tmp_path: Path) -> None:
    content = (
        "@inproceedings{child, title = {T}, author = {A B}, year = 2023, crossref = {PROC}}\n"
        "@proceedings{proc, title = {Proceedings of X}, booktitle = {Proc. X}, year = 2022,"
        " month = jun, url = {https://x.org/proc}}\n"
    )
    paper = only_paper(tmp_path, content)
    assert paper.venue == Venue(VenueKind.BOOK, "Proc. X")
    assert paper.date == "2023"  # its own year; the month of another year is not taken apart
    assert paper.url is None


# Defects


MALFORMED = [
    (8, "entry 'missing_comma' has title = {Missing Comma After the Title} author = "),
    (14, "entry 'good_first' has the same key as the entry on line 1; keys must be unique"),
    (20, "entry 'no_title' has no title"),
    (25, "entry 'no_author' has no author"),
    (30, "entry 'bad_year' has year '20x1', which is not a four-digit year"),
    (36, "entry 'bad_month' has month 'Smarch', which is not a month"),
    (43, "entry 'bad_doi' has an unreadable doi: not a DOI: 'doi.org/not-a-doi'"),
    (50, "entry 'lost_crossref' has crossref 'no_such_proceedings', but no entry has that key"),
    (56, "entry 'undefined_macro' has journal = jexamples, but no @string defines jexamples"),
    (63, "entry 'twice' has the field title more than once"),
    (69, "entry 'bad_name' has author 1 'Brandt, Felix,', which is not a name: Trailing comma"),
    (74, "entry 'no_equals' is not valid BibTeX: Expected a `=` after entry key"),
    (79, "entry 'unclosed_brace' is not valid BibTeX: Unexpected block start: `@article`"),
]


def test_malformed_entries_are_skipped_and_good_ones_read() -> None:
    publication_list = read_bibtex(DATA / "malformed.bib")
    assert [(paper.title, paper.source.line) for paper in publication_list.papers] == [
        ("A Good Entry Before the Broken Ones", 1),
        ("A Good Entry After the Broken Ones", 84),
    ]
    assert [entry.source.line for entry in publication_list.skipped] == [
        line for line, _ in MALFORMED
    ]


@pytest.mark.parametrize(("line", "reason"), MALFORMED)
def test_each_defect_is_named_at_its_line(line: int, reason: str) -> None:
    skipped = {entry.source.line: entry for entry in read_bibtex(DATA / "malformed.bib").skipped}
    assert skipped[line].source.file_name == "malformed.bib"
    assert skipped[line].reason.startswith(reason)


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ("year = 2023, month = 2, day = 30", "has an impossible date: day is out of range"),
        ("year = 2023, month = 13", "has an impossible date: month 13 is out of range"),
        ("year = 2023, month = 2, day = {2nd}", "has day '2nd', which is not a day of the month"),
        ("date = {May 2023}", "has date 'May 2023', which is not an ISO 8601 date"),
        ("eprint = {12345}, archiveprefix = {arXiv}", "has an unreadable eprint: not an arXiv"),
        (
            "journal = {arXiv preprint arXiv:123}",
            "has an unreadable arXiv identifier in journal or volume: not an arXiv",
        ),
        (
            'howpublished = "Proc. " # conf',
            'has howpublished = "Proc. " # conf, which concatenates an undefined @string macro',
        ),
    ],
)
def test_field_defects(tmp_path: Path, fields: str, reason: str) -> None:
    path = write(tmp_path, f"@misc{{k, title = {{T}}, author = {{A B}}, {fields}}}")
    publication_list = read_bibtex(path)
    assert publication_list.papers == ()
    [skipped] = publication_list.skipped
    assert skipped.source == SourceLocation("list.bib", 1)
    assert skipped.reason.startswith(f"entry 'k' {reason}")


def test_broken_string_definition_is_reported(tmp_path: Path) -> None:
    path = write(tmp_path, '@string{conf "Proc."}\n@misc{k, title = {T}, author = {A B}}\n')
    publication_list = read_bibtex(path)
    assert len(publication_list.papers) == 1
    [skipped] = publication_list.skipped
    assert skipped.source.line == 1
    assert skipped.reason.startswith("@string block is not valid BibTeX")


# Files


def test_not_utf8_names_file_and_line(tmp_path: Path) -> None:
    content = "@misc{k,\n  title = {Caf\xe9},\n  author = {A B}}\n".encode("latin-1")
    with pytest.raises(InputError) as raised:
        read_bibtex(write(tmp_path, content))
    assert raised.value.line == 2
    assert str(raised.value).startswith("list.bib:2: not valid UTF-8 (byte 0xe9")


@pytest.mark.parametrize(
    "variant",
    [
        lambda text: "\ufeff" + text,  # byte order mark
        lambda text: text.replace("\n", "\r\n"),  # Windows line endings
        lambda text: text.replace("\n", "\r"),  # classic Mac OS line endings
    ],
)
def test_layout_variants_read_the_same(tmp_path: Path, variant: Callable[[str], str]) -> None:
    text = (DATA / "edge-cases.bib").read_text(encoding="utf-8")
    plain = read_bibtex(write(tmp_path, text, "a.bib"))
    changed = read_bibtex(write(tmp_path, variant(text), "a.bib"))
    assert changed == plain


def test_gzip_compressed_file_reads_the_same(tmp_path: Path) -> None:
    packed = write(tmp_path, gzip.compress((DATA / "dblp.bib").read_bytes()), "dblp.bib.gz")
    publication_list = read_bibtex(packed)
    assert publication_list.file_name == "dblp.bib.gz"
    unpacked = [
        replace(paper, source=SourceLocation("dblp.bib", paper.source.line))
        for paper in publication_list.papers
    ]
    assert unpacked == papers_of("dblp.bib")


@pytest.mark.parametrize(
    "content",
    ["", "\n\n", "% only a comment\n", '@string{x = "y"}\n@comment{nothing}\n', "just text"],
)
def test_file_without_entries_is_an_input_error(tmp_path: Path, content: str) -> None:
    with pytest.raises(InputError, match="no entries") as raised:
        read_bibtex(write(tmp_path, content))
    assert raised.value.path is not None and raised.value.path.name == "list.bib"


EDGE_CASES = PublicationList(
    "edge-cases.bib",
    None,
    (
        PaperRecord(
            "Names in BibTeX: A Field Guide",
            (
                PersonName("Šakota", "Marija"),
                PersonName("Rücklé", "Andreas"),
                PersonName("Zola", "Émile"),
                PersonName("van Beethoven", "Ludwig"),
                PersonName("de la Fontaine Jr.", "Jean"),
                PersonName("World Health Organization", "", organization=True),
            ),
            abstract=None,
            source=SourceLocation("edge-cases.bib", 13),
            work_type=WorkType.ARTICLE,
            date="2021-03",
            venue=Venue(
                VenueKind.PERIODICAL,
                "Transactions of the Association for Computational Linguistics",
            ),
            volume="9",
            pages="101-118",
        ),
        PaperRecord(
            "Concatenated Venue Names",
            (PersonName("Okafor", "Chidi"), PersonName("Lindqvist", "Maja")),
            abstract=None,
            source=SourceLocation("edge-cases.bib", 25),
            work_type=WorkType.ARTICLE,
            date="2022-12",
            venue=Venue(
                VenueKind.BOOK,
                "Proceedings of the Conference on Empirical Methods in Natural Language "
                "Processing 2022",
            ),
            pages="7-12",
            authors_truncated=True,
        ),
        PaperRecord(
            "Inheriting Fields Through Crossref",
            (PersonName("Brandt", "Felix"),),
            abstract=None,
            source=SourceLocation("edge-cases.bib", 34),
            work_type=WorkType.ARTICLE,
            date="2022-06",
            venue=Venue(VenueKind.BOOK, "Proceedings of the Workshop on Bibliographic Data"),
            pages="10-19",
        ),
        PaperRecord(
            "The Collected Letters",
            (PersonName("Carter Jr.", "Robert"),),
            abstract=None,
            source=SourceLocation("edge-cases.bib", 50),
            work_type=WorkType.BOOK,
            date="1999",
        ),
        PaperRecord(
            "Token Weights for Sparse Retrieval",
            (PersonName("Lindqvist", "Maja"),),
            abstract=None,
            source=SourceLocation("edge-cases.bib", 57),
            work_type=WorkType.THESIS,
            date="2020-05-17",
            degree="Master's",
        ),
    ),
)
"""edge-cases.bib as read by hand: every field of every record, nothing skipped or noted."""


def test_same_bytes_give_the_same_records(tmp_path: Path) -> None:
    """The whole reading of a file, each time: nothing carries over from one file to the
    next (edge-cases.bib's @string tacl does not define tacl for a later file)."""
    uses_tacl = write(tmp_path, "@article{k, title = {T}, author = {A B}, journal = tacl}\n")
    undefined = "entry 'k' has journal = tacl, but no @string defines tacl"
    for _ in range(2):
        assert read_bibtex(DATA / "edge-cases.bib") == EDGE_CASES
        assert [entry.reason for entry in read_bibtex(uses_tacl).skipped] == [undefined]


def test_broken_entries_are_not_also_logged_to_stderr() -> None:
    """They come back as SkippedEntry; bibtexparser's own warnings would only repeat them."""
    script = "import sys; from pathlib import Path; from kg.sources.bibtex import read_bibtex; "
    script += "print(len(read_bibtex(Path(sys.argv[1])).skipped))"
    result = subprocess.run(
        [sys.executable, "-c", script, str(DATA / "malformed.bib")],
        capture_output=True,
        text=True,
        check=True,
    )
    assert (result.stdout, result.stderr) == (f"{len(MALFORMED)}\n", "")


def test_decomposed_text_is_stored_as_nfc(tmp_path: Path) -> None:
    entry = unicodedata.normalize("NFD", "@misc{k, title = {Résumé}, author = {Šakota, Zoë}}")
    paper = only_paper(tmp_path, entry)
    assert (paper.title, paper.authors) == ("Résumé", (PersonName("Šakota", "Zoë"),))
    assert unicodedata.is_normalized("NFC", paper.title + paper.authors[0].printed)
