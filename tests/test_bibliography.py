"""kg export: the graph's works as BibTeX and CSL-JSON, read back by the kg readers."""

from __future__ import annotations

import json
import random
import subprocess
import sys
import unicodedata
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest
from bibtexparser.entrypoint import parse_string
from bibtexparser.middlewares.names import split_multiple_persons_names
from bibtexparser.model import Entry
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pylatexenc.latex2text import LatexNodes2Text

from kg.bibliography import cite_keys, latex_escape, read_works, to_bibtex, to_csl_json
from kg.corpus import build_corpus
from kg.fields import is_repository
from kg.graph import corpus_graph
from kg.iris import IriScheme
from kg.rdfio import load_store
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
from kg.sources.csljson import read_csl_json
from kg.text import latex_to_unicode

SOURCE = SourceLocation("works.bib", 1)
PEYRARD = PersonName("Peyrard", "Maxime")
SAKOTA = PersonName("Šakota", "Marija")
WEST = PersonName("West", "Robert")
WHO = PersonName("World Health Organization", "", organization=True)
SPECIALS = "50% of {braces} & $5 for a_b #1 ~ x^2 \\emph"

WORKS = (
    PaperRecord(
        title=f"Fly-Swat or Cannon? Cost-Effective Choice: {SPECIALS}",
        authors=(SAKOTA, PEYRARD, WEST),
        abstract="Generative language models (LMs) cut costs by 63%, “quoted” – ünïcödé.",
        source=SOURCE,
        work_type=WorkType.ARTICLE,
        date="2023-05-17",
        doi="10.18653/v1/2023.acl-long.1",
        arxiv="2301.01234",
        venue=Venue(VenueKind.BOOK, "Proceedings of ACL 2023"),
        volume="1",
        pages="1-10",
        keywords=("cost", "Language models"),
        url="https://aclanthology.org/2023.acl-long.1/",
        authors_truncated=True,
    ),
    PaperRecord(
        title="A Journal Article",
        authors=(PersonName("van Gogh", "Vincent"), PersonName("Müller", "Jürgen")),
        abstract=None,
        source=SOURCE,
        work_type=WorkType.ARTICLE,
        date="2021-03",
        venue=Venue(VenueKind.PERIODICAL, "Transactions of the ACL"),
        volume="9",
        issue="3",
        pages="e123",
    ),
    PaperRecord(
        title="A Preprint",
        authors=(PEYRARD,),
        abstract=None,
        source=SOURCE,
        work_type=WorkType.ARTICLE,
        date="2024",
        arxiv="hep-th/9901001",
    ),
    PaperRecord(
        title="A Chapter",
        authors=(WEST, PEYRARD),
        abstract=None,
        source=SOURCE,
        work_type=WorkType.CHAPTER,
        date="2019",
        venue=Venue(VenueKind.BOOK, "Handbook of Things"),
        pages="33-50",
    ),
    PaperRecord("A Book", (WEST,), None, SOURCE, WorkType.BOOK, "2018"),
    PaperRecord("A Doctoral Thesis", (SAKOTA,), None, SOURCE, WorkType.THESIS, degree="PhD"),
    PaperRecord("A Master Thesis", (PEYRARD,), None, SOURCE, WorkType.THESIS, degree="Master's"),
    PaperRecord("Some Thesis", (WEST,), None, SOURCE, WorkType.THESIS, "2015"),
    PaperRecord("World Health Statistics", (WHO,), None, SOURCE, WorkType.REPORT, "2022-01"),
)
"""Every kind of work, and every field the graph models."""


def graph_file(folder: Path, lists: list[list[PaperRecord]]) -> Path:
    """The graph of ``lists`` (one publication list each) as N-Triples in ``folder``."""
    publication_lists = [
        PublicationList(
            f"list-{n}.bib",
            None,
            tuple(
                replace(record, source=SourceLocation(f"list-{n}.bib", line))
                for line, record in enumerate(records, start=1)
            ),
        )
        for n, records in enumerate(lists)
    ]
    graph = corpus_graph(build_corpus(publication_lists), IriScheme())
    path = folder / "graph.nt"
    path.write_bytes(graph.serialize(format="nt", encoding="utf-8"))
    return path


def works_of(graph: Path) -> list[PaperRecord]:
    return read_works(load_store([graph]), graph.name)


def comparable(records: list[PaperRecord] | tuple[PaperRecord, ...]) -> list[PaperRecord]:
    """The records to compare field by field, whatever file and order they came from; a
    work's keywords are a set in the graph."""
    return sorted(
        (
            replace(r, source=SOURCE, keywords=tuple(sorted(r.keywords, key=str.casefold)))
            for r in records
        ),
        key=lambda r: r.title,
    )


def entries(bibtex: str) -> dict[str, Entry]:
    library = parse_string(bibtex)
    assert not library.failed_blocks
    return {entry.key: entry for entry in library.entries}


def test_the_graph_gives_back_every_field_of_every_kind_of_work(tmp_path: Path) -> None:
    works = works_of(graph_file(tmp_path, [list(WORKS)]))
    assert comparable(works) == comparable(WORKS)
    assert [work.source for work in works] == [SourceLocation("graph.nt", 0)] * len(WORKS)


def test_bibtex_entries_have_the_types_and_fields_the_reader_maps(tmp_path: Path) -> None:
    bibtex = to_bibtex(works_of(graph_file(tmp_path, [list(WORKS)])))
    found = entries(bibtex)
    types = {entry.fields_dict["title"].value: entry.entry_type for entry in found.values()}
    assert types == {
        "{" + latex_escape(WORKS[0].title) + "}": "inproceedings",
        "{A Journal Article}": "article",
        "{A Preprint}": "misc",
        "{A Chapter}": "incollection",
        "{A Book}": "book",
        "{A Doctoral Thesis}": "phdthesis",
        "{A Master Thesis}": "mastersthesis",
        "{Some Thesis}": "thesis",
        "{World Health Statistics}": "techreport",
    }
    paper = found["sakota2023flyswat"].fields_dict
    assert {name: paper[name].value for name in paper if name != "title"} == {
        "author": "{\\v{S}}akota, Marija and Peyrard, Maxime and West, Robert and others",
        "booktitle": "Proceedings of ACL 2023",
        "volume": "1",
        "pages": "1--10",
        "year": "2023",
        "month": "may",
        "date": "2023-05-17",
        "doi": "10.18653/v1/2023.acl-long.1",
        "eprint": "2301.01234",
        "archivePrefix": "arXiv",
        "url": "https://aclanthology.org/2023.acl-long.1/",
        "keywords": "cost, Language models",
        "abstract": latex_escape(WORKS[0].abstract or ""),
    }
    assert "month = may,\n" in bibtex  # BibTeX's macro, not the string {may}
    article = found["vangogh2021journal"].fields_dict
    assert article["journal"].value == "Transactions of the ACL"
    assert article["number"].value == "3" and "date" not in article
    assert found["sakota2023flyswat"].fields_dict["title"].value.startswith("{Fly-Swat")
    assert found["peyrard2024preprint"].fields_dict["eprint"].value == "hep-th/9901001"
    assert found["worldhealthorganization2022world"].fields_dict["author"].value == (
        "{World Health Organization}"
    )
    assert "type" not in found["sakotadoctoral"].fields_dict
    assert "month" not in found["west2015some"].fields_dict


def test_latex_escaping_reads_back_as_the_same_unicode() -> None:
    text = f'{SPECIALS} ^ "Ünïcödé" Šakota Łukasz Øre straße α ≤ – “q” Ű ΑΒΓ Привет 中文'
    escaped = latex_escape(text)
    for special in ("{\\%}", "\\{braces\\}", "{\\&}", "{\\$}", "{\\_}", "{\\#}"):
        assert special in escaped
    for letter in ('{\\"U}', "{\\v{S}}", "{\\L}", "{\\ss}", "{\\ensuremath{\\alpha}}"):
        assert letter in escaped
    assert "{\\textbackslash}emph" in escaped and "{\\textasciicircum}" in escaped
    assert "Привет 中文" in escaped  # other scripts stay UTF-8
    assert latex_to_unicode(escaped) == text
    # pylatexenc alone reads \textasciicircum as U+02C6; kg's reader reads the caret back.
    assert LatexNodes2Text().latex_to_text(escaped) == text.replace("^", "ˆ")


def test_names_are_split_where_bibtex_splits_them() -> None:
    tricky = PaperRecord(
        "Names",
        (PersonName("Barnes and Noble", "Ann"), PersonName("King", "Martin, Luther"), WHO),
        None,
        SOURCE,
        authors_truncated=True,
    )
    author = entries(to_bibtex([tricky]))["barnesandnoblenames"].fields_dict["author"].value
    assert split_multiple_persons_names(author) == [
        "{Barnes and Noble}, Ann",
        "King, {Martin, Luther}",
        "{World Health Organization}",
        "others",
    ]


def test_csl_json_items_are_well_formed(tmp_path: Path) -> None:
    text = to_csl_json(works_of(graph_file(tmp_path, [list(WORKS)])))
    assert text.endswith("]\n") and "\n  {\n    " in text and "Šakota" in text
    items = json.loads(text)
    assert [item["id"] for item in items] == sorted(cite_keys(WORKS))
    order = ["id", "type", "title", "author", "issued", "container-title", "volume", "issue"]
    order += ["page", "DOI", "number", "URL", "genre", "keyword", "abstract"]
    for item in items:
        assert list(item) == [key for key in order if key in item]
        assert all(isinstance(item[key], str) for key in item if key not in ("author", "issued"))
        for name in item["author"]:
            assert set(name) in ({"family", "given"}, {"literal"})
    by_id = {item["id"]: item for item in items}
    paper = by_id["sakota2023flyswat"]
    assert paper["type"] == "paper-conference"
    assert paper["author"][0] == {"family": "Šakota", "given": "Marija"}
    assert paper["author"][-1] == {"literal": "others"}
    assert paper["issued"] == {"date-parts": [[2023, 5, 17]]}
    assert paper["number"] == "arXiv:2301.01234" and paper["page"] == "1-10"
    assert paper["keyword"] == "cost, Language models"
    assert by_id["vangogh2021journal"]["type"] == "article-journal"
    assert by_id["vangogh2021journal"]["issued"] == {"date-parts": [[2021, 3]]}
    assert by_id["peyrard2024preprint"]["type"] == "article"
    assert "container-title" not in by_id["peyrard2024preprint"]
    assert by_id["west2019chapter"]["type"] == "chapter"
    assert by_id["sakotadoctoral"]["genre"] == "PhD thesis"
    assert by_id["peyrardmaster"]["genre"] == "Master's thesis"
    assert "genre" not in by_id["west2015some"]
    assert by_id["worldhealthorganization2022world"]["author"] == [
        {"literal": "World Health Organization"}
    ]
    assert by_id["worldhealthorganization2022world"]["type"] == "report"


def test_same_works_same_bytes_whatever_the_input_order(tmp_path: Path) -> None:
    first, second = tmp_path / "first", tmp_path / "second"
    first.mkdir()
    second.mkdir()
    shuffled = list(WORKS)
    random.Random(7).shuffle(shuffled)
    one = works_of(graph_file(first, [list(WORKS)]))
    two = works_of(graph_file(second, [shuffled[:4], shuffled[4:]]))
    for write in (to_bibtex, to_csl_json):
        assert write(one) == write(two) == write(one)
        assert write(list(reversed(one))) == write(one)


def test_cite_keys_are_readable_unique_and_independent_of_order() -> None:
    def work(title: str, date: str | None, authors: tuple[PersonName, ...]) -> PaperRecord:
        return PaperRecord(title, authors, None, SOURCE, date=date)

    twins = [
        work("Deep Learning", "2020-07", (PersonName("Smith", "Ann"),)),
        work("Deep: Learning", "2020-02", (PersonName("Smith", "Bob"),)),
        work("Deepa", "2020", (PersonName("Smith", "Cy"),)),  # the key "a" would give
        work("The Deep Sea", "2021", (PersonName("Smith", "Di"),)),
    ]
    keys = cite_keys(twins)
    assert keys == ["smith2020deepc", "smith2020deepb", "smith2020deepa", "smith2021deep"]
    assert cite_keys(twins[::-1]) == keys[::-1]
    others = [
        work("The Fly-Swat or Cannon?", "2023-05-17", (SAKOTA, PEYRARD)),
        work("王 and a Title", None, (PersonName("王", "小明"),)),
        work("— ?", None, ()),
    ]
    assert cite_keys(others) == ["sakota2023flyswat", "wangwang", "anon"]


def test_the_bibtex_reader_reads_the_export_back_to_the_same_works(tmp_path: Path) -> None:
    """BibTeX -> graph -> BibTeX -> graph keeps every modelled field."""
    written = tmp_path / "mine.bib"
    written.write_text(
        r"""@inproceedings{a,
  author = {{\v{S}}akota, Marija and Peyrard, Maxime and others},
  title = {{Fly-Swat or {Cannon}? 50\% of \{braces\} \& \$5 for a\_b \#1 {\textbackslash}\{x\}}},
  booktitle = {Proceedings of ACL 2023},
  year = 2023, month = may, day = 17,
  pages = {1--10}, doi = {10.18653/v1/2023.acl-long.1},
  eprint = {2301.01234}, archivePrefix = {arXiv},
  url = {https://aclanthology.org/2023.acl-long.1/},
  keywords = {cost; Language models},
  abstract = {Costs fall by 63\%, ``quoted'' -- {\"u}n{\"\i}c{\"o}d{\'e} $\alpha$.}
}
@article{b, author = {van Gogh, Vincent and M{\"u}ller, J{\"u}rgen}, title = {An Article},
  journal = {Transactions of the ACL}, volume = 9, number = 3, pages = {e123}, year = 2021,
  month = {March}}
@misc{c, author = {Peyrard, Maxime}, title = {A Preprint}, year = {2024},
  eprint = {hep-th/9901001}, archivePrefix = {arXiv}}
@incollection{d, author = {West, Robert and Peyrard, Maxime}, title = {A Chapter},
  booktitle = {Handbook of Things}, pages = {33--50}, year = 2019}
@book{e, author = {West, Robert}, title = {A Book}, year = 2018}
@phdthesis{f, author = {{\v S}akota, Marija}, title = {A Doctoral Thesis}, school = {EPFL}}
@mastersthesis{g, author = {Peyrard, Maxime}, title = {A Master Thesis}, school = {EPFL}}
@thesis{h, author = {West, Robert}, title = {Some Thesis}, date = {2015}}
@techreport{i, author = {{World Health Organization}}, title = {World Health Statistics},
  institution = {WHO}, date = {2022-01}}
""",
        encoding="utf-8",
    )
    first = read_bibtex(written)
    assert not first.skipped and len(first.papers) == 9
    graph = graph_file(tmp_path, [list(first.papers)])
    exported = tmp_path / "works.bib"
    exported.write_text(to_bibtex(works_of(graph)), encoding="utf-8")
    second = read_bibtex(exported)
    assert not second.skipped
    assert comparable(second.papers) == comparable(first.papers)
    again = tmp_path / "again"
    again.mkdir()
    assert works_of(graph_file(again, [list(second.papers)])) == works_of(graph)


def test_the_csl_json_reader_reads_the_export_back_to_the_same_works(tmp_path: Path) -> None:
    """Every modelled field, "and others" included (pandoc's final ``{"literal": "others"}``)."""
    exported = tmp_path / "works.json"
    exported.write_text(to_csl_json(works_of(graph_file(tmp_path, [WORKS]))), encoding="utf-8")
    back = read_csl_json(exported)
    assert not back.skipped
    assert any(record.authors_truncated for record in back.papers)
    assert comparable(back.papers) == comparable(WORKS)


DATA = Path(__file__).resolve().parent / "data"
FIXTURES = [
    path
    for path in sorted((DATA / "bibtex").glob("*.bib")) + sorted((DATA / "csljson").glob("*.json"))
    if not path.name.startswith("malformed")
]
READERS = {".bib": read_bibtex, ".json": read_csl_json}


@pytest.mark.parametrize("fixture", FIXTURES, ids=lambda path: path.name)
@pytest.mark.parametrize(
    ("write", "suffix"), [(to_bibtex, ".bib"), (to_csl_json, ".json")], ids=["bibtex", "csl-json"]
)
def test_exports_of_real_world_files_read_back_as_the_graphs_works(
    tmp_path: Path, fixture: Path, write: Callable[[list[PaperRecord]], str], suffix: str
) -> None:
    """Exports of what Google Scholar, dblp, Zotero, arXiv, Crossref, ... wrote, in either
    format, read back as the graph's works."""
    works = works_of(graph_file(tmp_path, [list(READERS[fixture.suffix](fixture).papers)]))
    exported = tmp_path / f"works{suffix}"
    exported.write_text(write(works), encoding="utf-8")
    back = READERS[suffix](exported)
    assert not back.skipped
    assert comparable(back.papers) == comparable(works)


def run_kg(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "kg", *args], capture_output=True, text=True, cwd=cwd, check=False
    )


def test_kg_export_writes_the_last_builds_works(tmp_path: Path) -> None:
    exports = tmp_path / "exports"
    exports.mkdir()
    graph_file(exports, [list(WORKS)])
    bib = run_kg("export", "--to", "bibtex", cwd=tmp_path)
    assert bib.returncode == 0, bib.stderr
    assert bib.stdout == f"wrote {len(WORKS)} works to {Path('exports') / 'works.bib'}\n"
    assert (exports / "works.bib").read_text(encoding="utf-8") == to_bibtex(
        works_of(exports / "graph.nt")
    )
    csl = run_kg("export", "--to", "csl-json", "-o", "-", cwd=tmp_path)
    assert csl.returncode == 0, csl.stderr
    assert csl.stdout == to_csl_json(works_of(exports / "graph.nt"))
    assert not (exports / "works.json").exists()
    lines = (exports / "graph.nt").read_text(encoding="utf-8").splitlines(keepends=True)
    (tmp_path / "part-1.nt").write_text("".join(lines[::2]), encoding="utf-8")
    (tmp_path / "part-2.nt").write_text("".join(lines[1::2]), encoding="utf-8")
    parts = ("--data", "part-1.nt", "--data", "part-2.nt")
    named = run_kg("export", "--to", "csl-json", *parts, "-o", "w.json", cwd=tmp_path)
    assert named.returncode == 0, named.stderr
    assert (tmp_path / "w.json").read_text(encoding="utf-8") == csl.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((), "run `kg build` first"),
        (("--data", "missing.nt"), "missing.nt: no such file"),
        (("--data", "broken.nt"), "broken.nt:1: not valid N-Triples"),
        (("--data", "graph.nt", "-o", "a-file/works.bib"), "cannot write"),
    ],
)
def test_kg_export_refuses_bad_input_with_exit_2(
    tmp_path: Path, args: tuple[str, ...], message: str
) -> None:
    graph_file(tmp_path, [list(WORKS[:1])])
    (tmp_path / "broken.nt").write_text("not a triple\n", encoding="utf-8")
    (tmp_path / "a-file").write_text("in the way\n", encoding="utf-8")
    result = run_kg("export", "--to", "bibtex", *args, cwd=tmp_path)
    assert result.returncode == 2
    assert message in result.stderr and "Traceback" not in result.stderr
    assert result.stdout == ""
    assert sorted(path.name for path in tmp_path.iterdir()) == ["a-file", "broken.nt", "graph.nt"]


# --- property-based round trips ---------------------------------------------------------------

# Printable text without separators or control characters; words join with single spaces,
# as both readers collapse whitespace.
_chars = st.characters(
    blacklist_categories=("Cc", "Cs", "Zl", "Zp", "Zs", "Co", "Cn"), blacklist_characters="\u0085"
)
_word = st.text(_chars, min_size=1, max_size=10).map(lambda w: unicodedata.normalize("NFC", w))
_tricky = st.sampled_from(
    [
        "{",
        "}",
        "\\",
        "$",
        "%",
        "&",
        "#",
        "_",
        "^",
        "~",
        "and",
        "others",
        "\\emph{x}",
        "{\\'e}",
        "Šakota",
        "Łukasz",
        "straße",
        "α",
        "Привет",
        "中文",
        "“q”",
        "--",
        "@",
        ",",
        '"',
        "<b>",
        "</i>",
        "<!--",
        "&amp;",
        "&#38;",
    ]
)
_text = st.lists(st.one_of(_word, _tricky), min_size=1, max_size=8).map(" ".join)
_name_part = st.text(
    st.characters(whitelist_categories=("Lu", "Ll", "Lo"), blacklist_characters="\u0130"),
    min_size=1,
    max_size=8,
).map(lambda w: unicodedata.normalize("NFC", w))


def _not_a_server(name: str) -> bool:
    return not is_repository(name)


def _no_separator(word: str) -> bool:
    return "," not in word and ";" not in word


@st.composite
def _records(draw: st.DrawFn) -> PaperRecord:
    authors = draw(
        st.lists(
            st.builds(PersonName, _name_part, st.one_of(st.just(""), _name_part)),
            min_size=1,
            max_size=4,
            unique_by=lambda name: (name.family.casefold(), name.given.casefold()),
        )
    )
    return PaperRecord(
        title=draw(_text),
        authors=tuple(authors),
        abstract=draw(st.one_of(st.none(), _text)),
        source=SOURCE,
        work_type=WorkType.ARTICLE,
        # A "journal" named like a preprint server (arXiv, CoRR, …) is read as none: a limit.
        venue=draw(
            st.one_of(
                st.none(),
                st.builds(
                    Venue,
                    st.just(VenueKind.PERIODICAL),
                    _text.filter(lambda t: not is_repository(t)),
                ),
            )
        ),
        # Both formats join keywords with commas (BibTeX readers split on ";" too).
        keywords=tuple(
            sorted(set(draw(st.lists(_word.filter(_no_separator), max_size=3))), key=str.casefold)
        ),
    )


@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(record=_records())
def test_any_title_names_abstract_venue_and_keywords_survive_both_formats(
    tmp_path_factory: pytest.TempPathFactory, record: PaperRecord
) -> None:
    """Whatever characters a work's text holds, writing it as BibTeX or CSL-JSON and reading
    that back gives the same work."""
    folder = tmp_path_factory.mktemp("roundtrip")
    works = works_of(graph_file(folder, [[record]]))
    for write, read, name in (
        (to_bibtex, read_bibtex, "w.bib"),
        (to_csl_json, read_csl_json, "w.json"),
    ):
        (folder / name).write_text(write(works), encoding="utf-8")
        back = read(folder / name)
        assert not back.skipped, (name, back.skipped)
        assert comparable(back.papers) == comparable(works), name
