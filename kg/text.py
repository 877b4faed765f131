"""Text cleaning for abstracts: LaTeX markup to Unicode, and the URLs a text mentions.

Only markup is converted. A bare ``%`` is a LaTeX comment to a LaTeX parser and would swallow
the rest of a sentence ("a cost reduction of 63% ..."), and ``&``, ``~``, ``_``, ``#`` and braces
mean something only to TeX; in a plain-text list they are what the author typed, so they stay.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from functools import cache

from linkify_it import LinkifyIt
from pylatexenc.latex2text import LatexNodes2Text, MacroTextSpec
from pylatexenc.latex2text import get_default_latex_context_db as get_text_context_db
from pylatexenc.latexwalker import (
    LatexCharsNode,
    LatexCommentNode,
    LatexEnvironmentNode,
    LatexGroupNode,
    LatexMacroNode,
    LatexMathNode,
    LatexNode,
    LatexSpecialsNode,
    LatexWalker,
    get_default_latex_context_db,
)
from pylatexenc.macrospec import LatexContextDb

from kg.terms import iri_problem

_UNESCAPED_PERCENT = re.compile(r"(?<!\\)%")
# Markup needs a backslash (macros, environments, \( math) or a dollar (math); text with
# neither has no markup (braces alone are kept as written), so it skips the parser.
_MARKUP_HINT = re.compile(r"[\\$]")
_URL_SCHEMES = frozenset({"http:", "https:", "ftp:"})


def nfc(text: str) -> str:
    """Unicode NFC, the form kg stores every string in."""
    return unicodedata.normalize("NFC", text)


@cache
def _latex_to_text() -> LatexNodes2Text:
    """pylatexenc's converter, but ``\\textasciicircum`` is the caret "^" that BibTeX files
    (and ``kg export``) mean by it, not the modifier letter U+02C6 pylatexenc gives."""
    context = get_text_context_db()
    context.add_context_category(
        "kg-ascii", prepend=True, macros=[MacroTextSpec("textasciicircum", "^")]
    )
    return LatexNodes2Text(math_mode="text", strict_latex_spaces=True, latex_context=context)


@cache
def _parsing_context() -> LatexContextDb:
    """pylatexenc's default macros, environments and specials, built once: the walker
    otherwise rebuilds them for every text (a tenth of reading a list)."""
    context: LatexContextDb = get_default_latex_context_db()
    return context


def latex_to_unicode(text: str) -> str:
    """Convert LaTeX markup in ``text`` to Unicode and keep every other character as written.

    ``$\\Sigma$AE`` becomes ``ΣAE``, ``\\textit{x}`` becomes ``x``, ``+$21$`` becomes ``+21``;
    ``63%``, ``&``, ``~``, ``_``, ``#`` and plain ``{braces}`` are left alone. Macros the
    converter does not know, and unclosed math, stay verbatim rather than vanish.
    """
    if not _MARKUP_HINT.search(text):
        return text
    # A bare % is text here, not a comment: convert each stretch between them on its own.
    pieces = _UNESCAPED_PERCENT.split(text)
    return nfc("%".join(_convert_stretch(piece) for piece in pieces))


def _convert_stretch(text: str) -> str:
    """The stretch as pylatexenc's parse of all of it renders, but with only the markup
    parsed: its tokenizer takes plain text one character at a time (most of reading a list).

    At the top level the parser only reads one node after another from where the last one
    ended; plain characters are verbatim and carry nothing to the next node. So the plain
    run up to the next character that can start another kind of token is copied, and the
    parser reads one node from there. The whitespace before that character is left to the
    parser, whose token owns it (a ``\\`` at the very end drops it). Each node is the one the
    whole-text parse gives; ``tests/test_text_spans.py`` compares the two.
    """
    if not _MARKUP_HINT.search(text):
        return text
    walker = LatexWalker(text, latex_context=_parsing_context(), tolerant_parsing=True)
    state = walker.make_parsing_state()  # the one state a whole-text parse reads all in
    token_start = _token_start()
    pieces: list[str] = []
    pos = 0
    while (found := token_start.search(text, pos)) is not None:
        start = found.start()
        while start > pos and text[start - 1].isspace():
            start -= 1
        pieces.append(text[pos:start])
        nodes, _, length = walker.get_latex_nodes(pos=start, read_max_nodes=1, parsing_state=state)
        pieces.extend(_render(node, text) for node in nodes)
        if not length:  # end of input inside a token (a final backslash): the parse ends
            return "".join(pieces)
        pos = start + length
    pieces.append(text[pos:])
    return "".join(pieces)


@cache
def _token_start() -> re.Pattern[str]:
    """Where pylatexenc's tokenizer may read a node that is not verbatim text: a macro,
    brace, math shift or comment. Its specials (``--``, ``~``, ``&``…) take no arguments, so
    each is a node of its own characters, rendered verbatim at the top level."""
    starts = {"\\", "{", "}", "$", "%"}
    specials = {spec.specials_chars: spec for spec in _parsing_context().iter_specials_specs()}
    if any(spec.args_parser is not None or starts & set(chars) for chars, spec in specials.items()):
        starts |= specials.keys()  # not plain after all: every special is read by the parser
    return re.compile("|".join(map(re.escape, sorted(starts))))


def _render(node: LatexNode, source: str) -> str:
    verbatim: str = source[node.pos : node.pos + node.len]
    if isinstance(node, LatexCharsNode | LatexSpecialsNode | LatexCommentNode):
        return verbatim
    if isinstance(node, LatexGroupNode):
        if not any(_is_markup(child) for child in node.nodelist):
            return verbatim  # plain {braces}: the author's characters
        return "".join(_render(child, source) for child in node.nodelist)
    if isinstance(node, LatexMathNode):
        if not _math_is_closed(node, verbatim):
            return verbatim
        return _converted(node)
    if isinstance(node, LatexMacroNode):
        if _latex_to_text().latex_context.get_macro_spec(node.macroname) is None:
            return verbatim
        converted = nfc(_converted(node))
        # An accent on something that takes none ("\u0022" is not a breve on 0) is not markup.
        if any(unicodedata.combining(char) for char in converted):
            return verbatim
        return converted
    if isinstance(node, LatexEnvironmentNode):
        return _converted(node)
    return verbatim


def _is_markup(node: LatexNode) -> bool:
    if isinstance(node, LatexGroupNode):
        return any(_is_markup(child) for child in node.nodelist)
    return isinstance(node, LatexMacroNode | LatexMathNode | LatexEnvironmentNode)


def _math_is_closed(node: LatexMathNode, verbatim: str) -> bool:
    opening, closing = node.delimiters
    return len(verbatim) >= len(opening) + len(closing) and verbatim.endswith(closing)


def _converted(node: LatexNode) -> str:
    converted: str = _latex_to_text().nodelist_to_text([node])
    return converted


@cache
def _linkifier() -> LinkifyIt:
    return LinkifyIt(options={"fuzzy_link": False, "fuzzy_email": False, "fuzzy_ip": False})


def find_urls(text: str) -> Iterator[str]:
    """The web URLs written in ``text``, without trailing punctuation, that are valid IRIs.

    A match's scheme is the text's own characters, lower-cased; so a text without one of
    the schemes kept, in lower case, has no URL to give, and linkify (about 20 µs a text)
    is not run on it.
    """
    lowered = text.lower()
    if not any(scheme in lowered for scheme in _URL_SCHEMES):
        return
    for match in _linkifier().match(text) or ():
        if match.schema.lower() in _URL_SCHEMES and iri_problem(match.url) is None:
            yield match.url
