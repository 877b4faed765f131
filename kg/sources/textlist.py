"""Reader for plain-text publication lists.

The format: line 1 is the list owner as "Family, Given"; then one block per paper of three
lines: the title, the authors in order as "Family, Given, Family, Given, ...", the abstract.
Blank lines between blocks are allowed; a blank abstract line means "no abstract".

Names written "Given Family" are valid lines that mean something else ("Jane Doe, John
Smith" is one person, family name "Jane Doe"), so the reader notes the lines that look so.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from pathlib import Path

from kg.errors import InputError
from kg.identity import person_key
from kg.records import InputNote, PaperRecord, PersonName, PublicationList, SourceLocation
from kg.sources.decoding import read_utf8
from kg.text import latex_to_unicode, nfc

# Unicode category Cc: C0 controls (tab included), DEL and C1 controls.
_CONTROL_CHARACTER = re.compile("[\x00-\x1f\x7f-\x9f]")
_FORMAT = '"Family, Given, Family, Given"'
_ENDS_WITH_INITIAL = re.compile(r"(?:^|\s)\w\.$")


def read_text_list(path: Path) -> PublicationList:
    """Read one list file; any defect raises ``InputError`` naming the file and line."""
    lines = _split_lines(read_utf8(path), path)
    return parse_text_list(lines, path)


def parse_text_list(lines: list[str], path: Path) -> PublicationList:
    """Parse decoded, NFC lines (index 0 is line 1) into a ``PublicationList``."""
    numbered = list(enumerate(lines, start=1))
    first_content = next(((n, text) for n, text in numbered if text), None)
    if first_content is None:
        raise InputError("empty list: expected the owner as 'Family, Given' on line 1", path)
    owner_line, owner_text = first_content
    if owner_text.count(",") != 1:
        raise InputError(
            f"the first line names the list owner as 'Family, Given'; found {owner_text!r}",
            path,
            owner_line,
        )
    owner = parse_names(owner_text, path, owner_line)[0]
    papers = tuple(_read_blocks(numbered[owner_line:], path))
    notes = tuple(_author_line_notes(path.name, owner, papers))
    return PublicationList(file_name=path.name, owner=owner, papers=papers, notes=notes)


def _split_lines(text: str, path: Path) -> list[str]:
    if text.endswith("\n"):
        text = text[:-1]  # the final newline ends the last line; it does not start a new one
    lines = [line.strip() for line in text.split("\n")]
    for number, text_line in enumerate(lines, start=1):
        control = _CONTROL_CHARACTER.search(text_line)
        if control:
            raise InputError(
                f"control character U+{ord(control.group()):04X} at column {control.start() + 1}",
                path,
                number,
            )
    return [nfc(line) for line in lines]


def _read_blocks(numbered: list[tuple[int, str]], path: Path) -> Iterator[PaperRecord]:
    index = 0
    while index < len(numbered):
        title_line, title = numbered[index]
        if not title:
            index += 1  # blank lines separate blocks
            continue
        if not any(char.isalnum() for char in title):
            raise InputError(
                f"empty title {title!r}: a title needs letters or digits", path, title_line
            )
        if index + 1 >= len(numbered) or not numbered[index + 1][1]:
            raise InputError(
                f"the paper block starting here ({title!r}) is cut short: "
                "expected an author line after the title",
                path,
                title_line,
            )
        authors_line, authors_text = numbered[index + 1]
        if index + 2 >= len(numbered):
            raise InputError(
                f"the paper block starting at line {title_line} is cut short: "
                "expected an abstract line after the authors (a blank line for none)",
                path,
                authors_line,
            )
        authors = parse_names(authors_text, path, authors_line)
        _, abstract = numbered[index + 2]
        yield PaperRecord(
            title=title,
            authors=authors,
            abstract=latex_to_unicode(abstract) if abstract else None,
            source=SourceLocation(path.name, title_line),
        )
        index += 3


def parse_names(text: str, path: Path, line: int) -> tuple[PersonName, ...]:
    """Split "Family, Given, Family, Given, ..." into names, refusing odd counts and blanks
    (with a hint when the line looks separated by ``;`` or written "Given Family")."""
    parts = [part.strip() for part in text.split(",")]
    if len(parts) % 2:
        found = f"{len(parts)} name{'s' if len(parts) > 1 else ''}"
        if ";" in text:
            hint = f"; authors are separated by commas, not ';': {_FORMAT}"
        elif all(" " in part for part in parts):
            hint = f'; the names look like "Given Family", write {_FORMAT}'
        else:
            hint = ""
        raise InputError(f'expected "Family, Given" pairs, found {found}{hint}', path, line)
    names = []
    for position, (family, given) in enumerate(zip(parts[::2], parts[1::2], strict=True), 1):
        if not any(char.isalnum() for char in family):
            raise InputError(f"author {position} has an empty family name", path, line)
        names.append(PersonName(family=" ".join(family.split()), given=" ".join(given.split())))
    return tuple(names)


def _author_line_notes(
    file_name: str, owner: PersonName, papers: Iterable[PaperRecord]
) -> Iterator[InputNote]:
    """Author lines that are valid but probably not what their author meant: the owner
    appears only with given and family names swapped, a name holds a ``;`` (a list separated
    by semicolons), or every name looks like "Given Family"."""
    owner_key = person_key(owner)
    swapped = PersonName(family=owner.given, given=owner.family)
    swapped_key = person_key(swapped)
    for paper in papers:
        where = SourceLocation(file_name, paper.source.line + 1)  # the line after the title
        keys = {person_key(author) for author in paper.authors}
        if swapped_key != owner_key and swapped_key in keys and owner_key not in keys:
            yield InputNote(
                where,
                f'the list\'s owner "{owner.printed}" appears here only as "{swapped.printed}"'
                f" (read as another person, {swapped.display}): given and family names swapped?"
                f" Authors are written {_FORMAT}",
            )
        elif (odd := next((a for a in paper.authors if ";" in a.printed), None)) is not None:
            yield InputNote(
                where,
                f"a name holds a ';' (\"{odd.printed}\" is read as one person): authors are"
                f" separated by commas, {_FORMAT}",
            )
        elif _looks_given_family(paper.authors):
            first = paper.authors[0]
            yield InputNote(
                where,
                f'the names look like "Given Family": "{first.printed}" is read as one person'
                f' with family name "{first.family}" and given name "{first.given}".'
                f" Authors are written {_FORMAT}",
            )


def _looks_given_family(names: tuple[PersonName, ...]) -> bool:
    """Every family and given part holds two words or more, and none is written the right way
    round for sure: no family part starts with a lower-case particle ("van der Berg"), no
    part ends with an initial ("García Márquez, Tim R.")."""
    return all(
        " " in name.family
        and " " in name.given
        and not name.family[:1].islower()
        and not _ENDS_WITH_INITIAL.search(name.family)
        and not _ENDS_WITH_INITIAL.search(name.given)
        for name in names
    )
