"""Merging lists: one paper per paper, one person per person, independent of input order."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from kg.corpus import build_corpus
from kg.errors import InputError
from kg.graph import corpus_graph
from kg.mapping import IriScheme
from kg.pipeline import load_corpus
from kg.resources import sample_list
from kg.sources import PARALLEL_FROM, discover_inputs, read_inputs

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


def test_errors_from_worker_processes_keep_file_and_line(tmp_path: Path) -> None:
    paths = lists_in(tmp_path, **{f"list{n}": PEYRARD for n in range(PARALLEL_FROM)})
    (tmp_path / "list3.txt").write_text("Doe, Jane\nTitle\nDoe\nAbstract.\n", encoding="utf-8")
    with pytest.raises(InputError) as caught:
        list(read_inputs(discover_inputs(paths), workers=2))
    assert str(caught.value).startswith("list3.txt:3: ")
    assert caught.value.line == 3 and caught.value.path == tmp_path / "list3.txt"
