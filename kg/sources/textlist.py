"""Reader for plain-text publication lists.

The format: line 1 is the list owner as "Family, Given"; then one block per paper of three
lines: the title, the authors in order as "Family, Given, Family, Given, ...", the abstract.
Blank lines between blocks are allowed; a blank abstract line means "no abstract".
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from kg.errors import InputError
from kg.records import PaperRecord, PersonName, PublicationList, SourceLocation
from kg.sources.decoding import read_utf8
from kg.text import latex_to_unicode, nfc

# Unicode category Cc: C0 controls (tab included), DEL and C1 controls.
_CONTROL_CHARACTER = re.compile("[\x00-\x1f\x7f-\x9f]")


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
    owners = parse_names(owner_text, path, owner_line)
    papers = tuple(_read_blocks(numbered[owner_line:], path))
    return PublicationList(file_name=path.name, owner=owners[0], papers=papers)


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
    """Split "Family, Given, Family, Given, ..." into names, refusing odd counts and blanks."""
    parts = [part.strip() for part in text.split(",")]
    if len(parts) % 2:
        raise InputError(f'expected "Family, Given" pairs, found {len(parts)} names', path, line)
    names = []
    for position, (family, given) in enumerate(zip(parts[::2], parts[1::2], strict=True), 1):
        if not any(char.isalnum() for char in family):
            raise InputError(f"author {position} has an empty family name", path, line)
        names.append(PersonName(family=" ".join(family.split()), given=" ".join(given.split())))
    return tuple(names)
