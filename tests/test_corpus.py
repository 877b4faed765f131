"""Merging lists: one paper per paper, one person per person, independent of input order."""

from __future__ import annotations

import gc
import itertools
import pickle
from pathlib import Path

import pytest

from kg.corpus import build_corpus
from kg.errors import InputError
from kg.graph import corpus_graph
from kg.iris import IriScheme
from kg.pipeline import load_corpus
from kg.records import PaperRecord, PersonName, SourceLocation, Venue, VenueKind, WorkType
from kg.resources import sample_list
from kg.sources import PARALLEL_FROM, READERS, discover_inputs, read_inputs

PEYRARD = """Peyrard, Maxime
Fly-Swat or Cannon? Cost-Effective Language Model Choice via Meta-Modeling
Šakota, Marija, Peyrard, Maxime, West, Robert
We match the performance of the largest available LM.
Exploiting Asymmetry for Synthetic Training Data Generation
Josifoski, Martin, Sakota, Marija, Peyrard, Maxime, West, Robert
Code, data, and models are available at https://github.com/epfl-dlab/SynthIE.
"""

WEST = """West, Robert
Exploiting asymmetry for synthetic training data generation
Josifoski, Martin, Šakota, Marija, Peyrard, Maxime, West, Robert
Code, data, and models are available at https://github.com/epfl-dlab/SynthIE.
Evaluating Language Model Agency through Negotiations
Davidson, Tim R., West, Robert
Negotiation games.
Another Paper
Davidson, Tim, West, Robert

"""


def lists_in(tmp_path: Path, **files: str) -> list[Path]:
    paths = []
    for stem, content in files.items():
        path = tmp_path / f"{stem}.txt"
        path.write_text(content, encoding="utf-8")
        paths.append(path)
    return paths


def test_shared_paper_is_one_paper_with_every_source(tmp_path: Path) -> None:
    corpus = load_corpus(lists_in(tmp_path, peyrard=PEYRARD, west=WEST))
    assert len(corpus.papers) == 4
    shared = next(p for p in corpus.papers if p.slug.startswith("exploiting"))
    assert [str(s) for s in shared.sources] == ["peyrard.txt:5", "west.txt:2"]
    assert shared.other_titles == ("Exploiting asymmetry for synthetic training data generation",)
    # Both printed spellings of position 2 are kept on the authorship.
    assert shared.authorships[1].printed == ("Sakota, Marija", "Šakota, Marija")


def test_spellings_merge_and_accented_one_names_the_person(tmp_path: Path) -> None:
    corpus = load_corpus(lists_in(tmp_path, peyrard=PEYRARD, west=WEST))
    sakota = next(p for p in corpus.persons.values() if p.slug == "marija-sakota")
    assert sakota.name.family == "Šakota"
    assert {s.family for s in sakota.spellings} == {"Šakota", "Sakota"}
    # Initials are not merged: Tim R. and Tim stay two persons.
    davidsons = sorted(
        p.name.display for p in corpus.persons.values() if p.name.family == "Davidson"
    )
    assert davidsons == ["Tim Davidson", "Tim R. Davidson"]


def test_no_abstract_is_none(tmp_path: Path) -> None:
    corpus = load_corpus(lists_in(tmp_path, west=WEST))
    another = next(p for p in corpus.papers if p.title == "Another Paper")
    assert another.abstract is None


def test_input_order_does_not_matter(tmp_path: Path) -> None:
    paths = lists_in(tmp_path, peyrard=PEYRARD, west=WEST)
    lists = list(read_inputs(discover_inputs(paths)))
    iris = IriScheme()
    graphs = {
        corpus_graph(build_corpus(order), iris).serialize(format="nt", encoding="utf-8")
        for order in itertools.permutations(lists)
    }
    assert len({frozenset(g.splitlines()) for g in graphs}) == 1


def test_file_split_does_not_change_iris(tmp_path: Path) -> None:
    """The sample split into two lists with the same owner gives the same papers and persons."""
    lines = sample_list().read_text(encoding="utf-8").splitlines()
    owner, blocks = lines[0], lines[1:]
    first = "\n".join([owner, *blocks[:12]]) + "\n"
    second = "\n".join([owner, *blocks[12:]]) + "\n"
    whole = load_corpus([sample_list()])
    split = load_corpus(lists_in(tmp_path, part1=first, part2=second))
    assert [p.slug for p in whole.papers] == [p.slug for p in split.papers]
    assert list(whole.persons) == list(split.persons)
    assert [p.slug for p in whole.persons.values()] == [p.slug for p in split.persons.values()]


def test_parallel_reading_gives_the_lists_of_serial_reading(tmp_path: Path) -> None:
    lists = {f"list{n:02d}": (PEYRARD, WEST)[n % 2] for n in range(2 * PARALLEL_FROM)}
    files = discover_inputs(lists_in(tmp_path, **lists))
    assert list(read_inputs(files, workers=2)) == list(read_inputs(files, workers=1))


def _collector_running(path: Path) -> bool:
    """A reader for the test below: whether the process reading ``path`` collects cycles."""
    return gc.isenabled()


def test_readers_collect_cycles_while_the_build_pauses_the_collector(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The build pauses the cycle collector and forked readers inherit that; pylatexenc's
    node trees are cycles, so readers must collect them or keep every tree they built."""
    monkeypatch.setitem(READERS, ".txt", _collector_running)
    files = discover_inputs(lists_in(tmp_path, **{f"l{n}": PEYRARD for n in range(PARALLEL_FROM)}))
    gc.disable()
    try:
        assert list(read_inputs(files, workers=2)) == [True] * PARALLEL_FROM
    finally:
        gc.enable()


def test_errors_from_worker_processes_keep_file_and_line(tmp_path: Path) -> None:
    paths = lists_in(tmp_path, **{f"list{n}": PEYRARD for n in range(PARALLEL_FROM)})
    (tmp_path / "list3.txt").write_text("Doe, Jane\nTitle\nDoe\nAbstract.\n", encoding="utf-8")
    with pytest.raises(InputError) as caught:
        list(read_inputs(discover_inputs(paths), workers=2))
    assert str(caught.value).startswith("list3.txt:3: ")
    assert caught.value.line == 3 and caught.value.path == tmp_path / "list3.txt"


# --- works from several formats -------------------------------------------------------------

OWNER_TXT = """Peyrard, Maxime
Fly-Swat or Cannon? Cost-Effective Language Model Choice via Meta-Modeling
Šakota, Marija, Peyrard, Maxime, West, Robert
We match the performance of the largest available LM.
Meta-Statistical Learning
Peyrard, Maxime, Cho, Kyunghyun

"""

# The same FORC paper with its DOI and richer data; a preprint and the published version
# of another paper, with two DOIs.
REFS_BIB = r"""
@inproceedings{sakota2024forc,
  title = {Fly-Swat or Cannon? Cost-Effective Language Model Choice via Meta-Modeling},
  author = {{\v{S}}akota, Marija and Peyrard, Maxime and West, Robert},
  booktitle = {Proceedings of the 17th ACM International Conference on Web Search and Data Mining},
  year = {2024},
  month = mar,
  pages = {606--615},
  doi = {10.1145/3616855.3635825},
  keywords = {language models, cost},
}

@misc{peyrard2025meta,
  title = {Meta-Statistical Learning},
  author = {Peyrard, Maxime and Cho, Kyunghyun},
  year = {2025},
  doi = {10.48550/arXiv.2502.12088},
}

@article{peyrard2025metajournal,
  title = {Meta-Statistical Learning},
  author = {Peyrard, Maxime and Cho, Kyunghyun},
  journal = {Journal of Imaginary Results},
  year = {2026},
  doi = {10.5555/JIR.2026.1},
}
"""

# The FORC paper once more, as a CSL-JSON export with a conflicting year.
REFS_JSON = """[
  {
    "id": "forc",
    "type": "paper-conference",
    "title": "Fly-Swat or Cannon? Cost-effective language model choice via meta-modeling",
    "author": [
      {"family": "Šakota", "given": "Marija"},
      {"family": "Peyrard", "given": "Maxime"},
      {"family": "West", "given": "Robert"}
    ],
    "container-title":
      "Proceedings of the 17th ACM International Conference on Web Search and Data Mining",
    "issued": {"date-parts": [[2023, 12]]},
    "DOI": "10.1145/3616855.3635825"
  }
]
"""


def mixed_inputs(tmp_path: Path) -> list[Path]:
    files = {"peyrard.txt": OWNER_TXT, "refs.bib": REFS_BIB, "refs.json": REFS_JSON}
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    return [tmp_path / name for name in files]


def test_the_same_work_from_a_text_list_bibtex_and_csl_json_is_one_work(tmp_path: Path) -> None:
    corpus = load_corpus(mixed_inputs(tmp_path))
    forc = next(p for p in corpus.papers if p.slug.startswith("fly-swat"))
    assert forc.doi == "10.1145/3616855.3635825"
    assert [str(s) for s in forc.sources] == ["peyrard.txt:2", "refs.bib:2", "refs.json:2"]
    # The richer data is kept: the BibTeX file's pages, keywords and venue.
    assert forc.pages == "606-615"
    assert forc.keywords == ("cost", "language models")
    assert corpus.venues[forc.venue].venue.name.startswith("Proceedings of the 17th ACM")  # type: ignore[index]
    # The text list's abstract survives the merge; other titles are kept.
    assert forc.abstract == "We match the performance of the largest available LM."
    assert forc.other_titles == (
        "Fly-Swat or Cannon? Cost-effective language model choice via meta-modeling",
    )
    # The owner's list names the merged work.
    peyrard = next(info for info in corpus.lists if info.file_name == "peyrard.txt")
    assert forc.key in peyrard.papers


def test_conflicting_values_are_reported_and_one_is_kept(tmp_path: Path) -> None:
    corpus = load_corpus(mixed_inputs(tmp_path))
    forc = next(p for p in corpus.papers if p.slug.startswith("fly-swat"))
    notes = [str(note) for note in corpus.notes if note.title.startswith("Fly-Swat")]
    # 2024-03 (BibTeX) and 2023-12 (CSL-JSON) disagree: a tie, broken by a fixed rule.
    assert forc.date == "2023-12"
    assert notes == [
        "refs.bib:2, refs.json:2: 'Fly-Swat or Cannon? Cost-Effective Language Model Choice "
        "via Meta-Modeling': date: kept 2023-12, other sources say 2024-03"
    ]


def test_dates_of_different_precision_that_agree_are_no_conflict(tmp_path: Path) -> None:
    (tmp_path / "a.json").write_text(
        '[{"id": "a", "type": "article-journal", "title": "T", "author": [{"family": "X"}],'
        ' "issued": {"date-parts": [[2023]]}, "DOI": "10.1234/a"}]',
        encoding="utf-8",
    )
    (tmp_path / "b.json").write_text(
        '[{"id": "b", "type": "article-journal", "title": "T", "author": [{"family": "X"}],'
        ' "issued": {"date-parts": [[2023, 5, 17]]}, "DOI": "10.1234/A"}]',
        encoding="utf-8",
    )
    corpus = load_corpus([tmp_path])
    (paper,) = corpus.papers
    assert paper.date == "2023-05-17"
    assert corpus.notes == ()


def test_a_preprint_and_its_published_version_stay_two_and_the_undecidable_is_reported(
    tmp_path: Path,
) -> None:
    corpus = load_corpus(mixed_inputs(tmp_path))
    metas = sorted(
        (p for p in corpus.papers if p.title == "Meta-Statistical Learning"),
        key=lambda p: p.doi or "",
    )
    # Two DOI'd versions, and the text list's record that could be either stays apart.
    assert [p.doi for p in metas] == [None, "10.48550/arxiv.2502.12088", "10.5555/jir.2026.1"]
    assert metas[1].arxiv == "2502.12088"
    assert any(
        "kept apart: the same title and authors have several DOIs" in str(note)
        and "peyrard.txt:5" in str(note)
        for note in corpus.notes
    )


def test_a_bibtex_file_has_no_owner(tmp_path: Path) -> None:
    corpus = load_corpus(mixed_inputs(tmp_path))
    owners = {info.file_name: info.owner for info in corpus.lists}
    assert owners == {
        "peyrard.txt": ("peyrard", "maxime"),
        "refs.bib": None,
        "refs.json": None,
    }


def test_mixed_inputs_give_the_same_corpus_in_any_order(tmp_path: Path) -> None:
    files = mixed_inputs(tmp_path)
    lists = list(read_inputs(discover_inputs(files)))
    iris = IriScheme()
    graphs = {
        corpus_graph(build_corpus(order), iris).serialize(format="nt", encoding="utf-8")
        for order in itertools.permutations(lists)
    }
    assert len(graphs) == 1


def test_two_titles_under_one_doi_are_reported(tmp_path: Path) -> None:
    """One source probably gives the wrong DOI: the work keeps one title and says so."""
    (tmp_path / "a.bib").write_text(
        "@article{a, title = {Learning to Rank}, author = {Lee, Ann}, doi = {10.1234/x}}\n",
        encoding="utf-8",
    )
    (tmp_path / "b.bib").write_text(
        "@article{b, title = {Ranking to Learn}, author = {Lee, Ann}, doi = {10.1234/X}}\n",
        encoding="utf-8",
    )
    corpus = load_corpus([tmp_path])
    (paper,) = corpus.papers
    assert (paper.title, paper.other_titles) == ("Learning to Rank", ("Ranking to Learn",))
    assert [str(note) for note in corpus.notes] == [
        "a.bib:1, b.bib:1: 'Learning to Rank': sources give different titles for one DOI; "
        "other sources say 'Ranking to Learn'"
    ]


def test_records_cross_processes_whole() -> None:
    """Readers in other processes send records pickled by their field values: every field
    comes back, the optional ones and the nested records too."""
    record = PaperRecord(
        title="Fakepedia",
        authors=(PersonName("Peyrard", "Maxime"), PersonName("{WHO}", "", organization=True)),
        abstract=None,
        source=SourceLocation("list.bib", 12),
        work_type=WorkType.CHAPTER,
        date="2023-05",
        doi="10.1/x",
        arxiv="2301.01234",
        venue=Venue(VenueKind.BOOK, "Proceedings"),
        volume="3",
        issue="2",
        pages="1-9",
        keywords=("nlp",),
        url="https://example.org/",
        degree="PhD",
        authors_truncated=True,
    )
    copy = pickle.loads(pickle.dumps(record))
    assert copy == record
    assert [type(author) for author in copy.authors] == [PersonName, PersonName]
    assert copy.venue is not None and copy.venue.kind is VenueKind.BOOK
