"""The plain-text list reader: robust to encodings and layout, clear about defects."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest

from kg.errors import InputError
from kg.records import PersonName, list_from_json, list_to_json
from kg.resources import sample_list
from kg.sources import discover_inputs
from kg.sources.textlist import read_text_list

GOOD = "Peyrard, Maxime\nA Title\nPeyrard, Maxime, West, Robert\nAn abstract.\n"


def write(tmp_path: Path, content: bytes | str, name: str = "list.txt") -> Path:
    path = tmp_path / name
    path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    return path


def test_sample_reads_ten_papers_in_order() -> None:
    publication_list = read_text_list(sample_list())
    assert publication_list.owner == PersonName("Peyrard", "Maxime")
    assert len(publication_list.papers) == 10
    first = publication_list.papers[0]
    assert first.title.startswith("EuroBERT")
    assert first.source.line == 2
    assert first.authors[0] == PersonName("Boizard", "Nicolas")
    assert first.authors[-1] == PersonName("Colombo", "Pierre")
    assert [p.source.line for p in publication_list.papers] == list(range(2, 31, 3))


def test_latex_in_abstracts_is_converted_and_text_kept() -> None:
    papers = {p.title.split(":")[0]: p for p in read_text_list(sample_list()).papers}
    symbolic = papers["Symbolic Autoencoding for Self-Supervised Sequence Learning"].abstract
    assert symbolic is not None
    assert "symbolic autoencoding (ΣAE)" in symbolic and "\\textit" not in symbolic
    forc = papers["Fly-Swat or Cannon? Cost-Effective Language Model Choice via Meta-Modeling"]
    assert forc.abstract is not None
    assert "cost reduction of 63%. Via our publicly available library" in forc.abstract


@pytest.mark.parametrize(
    "variant",
    [
        "\ufeff" + GOOD,  # BOM
        GOOD.replace("\n", "\r\n"),  # CRLF
        GOOD.replace("\n", "  \t\n"),  # trailing whitespace
        GOOD.replace("An abstract.\n", "An abstract.\n\n\n"),  # trailing blank lines
        GOOD.rstrip("\n"),  # no final newline
    ],
)
def test_layout_variants_read_the_same(tmp_path: Path, variant: str) -> None:
    expected = read_text_list(write(tmp_path, GOOD, "a.txt"))
    actual = read_text_list(write(tmp_path, variant, "a.txt"))
    assert actual == expected


def test_blank_lines_between_blocks(tmp_path: Path) -> None:
    content = GOOD + "\n\nSecond\nWest, Robert\nMore.\n"
    papers = read_text_list(write(tmp_path, content)).papers
    assert [p.title for p in papers] == ["A Title", "Second"]
    assert papers[1].source.line == 7


def test_blank_abstract_line_means_no_abstract(tmp_path: Path) -> None:
    content = "Peyrard, Maxime\nA Title\nPeyrard, Maxime\n\nNext\nWest, Robert\nText.\n"
    papers = read_text_list(write(tmp_path, content)).papers
    assert papers[0].abstract is None and papers[1].abstract == "Text."


def test_nfd_is_stored_as_nfc(tmp_path: Path) -> None:
    nfd = unicodedata.normalize("NFD", "Šakota, Marija\nTitré\nŠakota, Marija\nRésumé.\n")
    publication_list = read_text_list(write(tmp_path, nfd))
    assert publication_list.owner.family == "Šakota"
    assert unicodedata.is_normalized("NFC", publication_list.owner.family)
    assert publication_list.papers[0].title == "Titré"


@pytest.mark.parametrize(
    ("content", "line", "fragment"),
    [
        (b"Peyrard, Maxime\nT\xe9tre\nPeyrard, Maxime\nA.\n", 2, "not valid UTF-8"),
        ("Peyrard, Maxime\nA\x00Title\nPeyrard, Maxime\nA.\n", 2, "control character U+0000"),
        ("Peyrard, Maxime\nA Title\nPeyrard, Maxime\nAn\x07 abstract.\n", 4, "U+0007"),
        ("Peyrard, Maxime\nA Title\nPeyrard, Maxime, West\nA.\n", 3, "found 3 names"),
        ("Peyrard, Maxime\nA Title\nPeyrard, Maxime, , Robert\nA.\n", 3, "empty family name"),
        ("Peyrard, Maxime\nA Title\nPeyrard, Maxime\n", 3, "cut short"),
        ("Peyrard, Maxime\nA Title\n", 2, "cut short"),
        ("Peyrard, Maxime\nA Title\n\nMore\n", 2, "cut short"),
        ("Peyrard, Maxime\n???\nPeyrard, Maxime\nA.\n", 2, "empty title"),
        ("Peyrard\nA Title\nPeyrard, Maxime\nA.\n", 1, "owner"),
        ("", None, "empty list"),
    ],
)
def test_defects_name_file_and_line(
    tmp_path: Path, content: bytes | str, line: int | None, fragment: str
) -> None:
    path = write(tmp_path, content, "broken.txt")
    with pytest.raises(InputError) as caught:
        read_text_list(path)
    message = str(caught.value)
    prefix = "broken.txt:" if line is None else f"broken.txt:{line}: "
    assert message.startswith(prefix), message
    assert fragment in message
    assert caught.value.line == line


def test_discover_inputs_sorts_and_recurses(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    b = write(tmp_path / "sub", GOOD, "b.txt")
    a = write(tmp_path, GOOD, "a.txt")
    write(tmp_path, "ignored", "notes.md")
    assert discover_inputs([tmp_path]) == [a, b]
    assert discover_inputs([b, a]) == [a, b]


def test_discover_inputs_refuses_same_name_and_missing(tmp_path: Path) -> None:
    (tmp_path / "x").mkdir()
    (tmp_path / "y").mkdir()
    write(tmp_path / "x", GOOD, "same.txt")
    write(tmp_path / "y", GOOD, "same.txt")
    with pytest.raises(InputError, match="share this file name"):
        discover_inputs([tmp_path])
    with pytest.raises(InputError, match="no such file"):
        discover_inputs([tmp_path / "missing.txt"])
    with pytest.raises(InputError, match="unsupported input type"):
        discover_inputs([write(tmp_path, "x", "list.csv")])


@pytest.mark.parametrize(
    ("authors", "fragment"),
    [
        ("Doe, Jane; Smith, John", "authors are separated by commas, not ';': \"Family, Given,"),
        ("Peyrard", "found 1 name"),
        ("Jane Doe, John Smith, Ann Lee", 'found 3 names; the names look like "Given Family"'),
    ],
)
def test_author_line_mistakes_get_a_hint(tmp_path: Path, authors: str, fragment: str) -> None:
    path = write(tmp_path, f"Doe, Jane\nA Title\n{authors}\nA.\n", "hint.txt")
    with pytest.raises(InputError) as caught:
        read_text_list(path)
    assert str(caught.value).startswith("hint.txt:3: ") and fragment in str(caught.value)
    assert "found 1 names" not in str(caught.value)
    if "Given Family" not in fragment:
        assert "Given Family" not in str(caught.value)


def notes_of(tmp_path: Path, owner: str, *author_lines: str) -> list[str]:
    blocks = "".join(f"Title {n}\n{line}\nAn abstract.\n\n" for n, line in enumerate(author_lines))
    publication_list = read_text_list(write(tmp_path, f"{owner}\n{blocks}", "notes.txt"))
    return [str(note) for note in publication_list.notes]


def test_given_family_order_is_noted_with_file_and_line(tmp_path: Path) -> None:
    notes = notes_of(
        tmp_path,
        "Doe, Jane",
        "Doe, Jane, West, Robert",
        "Jane Doe, John Smith",
        "Jane, Doe, Smith, John",
        "Smith, John, Jane, Doe",
        "Doe, Jane; Smith, John; Lee, Ann",
    )
    assert len(notes) == 4
    assert notes[0].startswith('notes.txt:7: the names look like "Given Family": "Jane Doe, John')
    assert 'family name "Jane Doe" and given name "John Smith"' in notes[0]
    for line, note in zip((11, 15), notes[1:3], strict=True):
        assert note.startswith(
            f'notes.txt:{line}: the list\'s owner "Doe, Jane" appears here only as "Jane, Doe"'
        )
    assert notes[3].startswith(
        "notes.txt:19: a name holds a ';' (\"Doe, Jane; Smith\" is read as one person): "
        'authors are separated by commas, "Family, Given, Family, Given"'
    )


@pytest.mark.parametrize(
    "authors",
    [
        "van der Berg, Jan Willem, de la Cruz, Ana Maria",  # family names with particles
        "García Márquez, Tim R.",  # a given name ending with an initial
        "García Márquez, Ana Maria, Doe, Jane",  # not every name has two words
        "Doe, Jane, Jane, Doe",  # the owner is there, and a different person too
        "Peyrard, Maxime, West, Robert",
    ],
)
def test_names_in_the_right_order_are_not_noted(tmp_path: Path, authors: str) -> None:
    assert notes_of(tmp_path, "Doe, Jane", authors) == []


def test_the_sample_has_no_notes_and_notes_survive_the_cache(tmp_path: Path) -> None:
    assert read_text_list(sample_list()).notes == ()
    content = "Doe, Jane\nA Title\nJane Doe, John Smith\nA.\n"
    publication_list = read_text_list(write(tmp_path, content))
    assert len(publication_list.notes) == 1
    assert list_from_json(list_to_json(publication_list)) == publication_list


def test_discover_inputs_names_paths_as_given(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=f"^{tmp_path}/missing: no such file or folder$"):
        discover_inputs([tmp_path / "missing"])
    with pytest.raises(InputError, match=f"^{tmp_path}/list.csv: unsupported input type"):
        discover_inputs([write(tmp_path, "x", "list.csv")])
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match=f"no publication lists .* found in {tmp_path}/empty$"):
        discover_inputs([tmp_path / "empty"])
