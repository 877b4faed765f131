"""Text meant for a terminal, with the characters that could mislead a reader shown escaped.

Names, titles and file names come from other people's files. Printed raw, a bidi override
(U+202E) in a name reorders the rest of the terminal line, a line separator or a control
character breaks or rewrites it, and a zero-width character hides why two names differ.
Messages show each such character as an escape (``\\u202e``): every character of Unicode
categories Cc (but tab and newline), Cf, Zl and Zp. The data files keep them byte for byte.
"""

from __future__ import annotations

import unicodedata

_HIDDEN = frozenset({"Cc", "Cf", "Zl", "Zp"})
_KEPT = frozenset("\t\n")


def for_terminal(text: str) -> str:
    """``text`` with every invisible or reordering character written as ``\\uXXXX``."""
    if text.isprintable():  # the usual case: nothing to escape
        return text
    return "".join(_shown(char) for char in text)


def _shown(char: str) -> str:
    if char in _KEPT or unicodedata.category(char) not in _HIDDEN:
        return char
    code = ord(char)
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"
