"""Text cleaning for abstracts: LaTeX markup to Unicode, and the URLs a text mentions.

Only markup is converted. A bare ``%`` is a LaTeX comment to a LaTeX parser and would swallow
the rest of a sentence ("a cost reduction of 63% ..."), and ``&``, ``~``, ``_``, ``#`` and braces
mean something only to TeX; in a plain-text list they are what the author typed, so they stay.
"""

from __future__ import annotations

import gc
import re
import unicodedata
from collections.abc import Iterator
from functools import cache, lru_cache

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
from pylatexenc.macrospec import LatexContextDb, std_macro

from kg.terms import iri_problem

_UNESCAPED_PERCENT = re.compile(r"(?<!\\)%")
# Markup needs a backslash (macros, environments, \( math) or a dollar (math); text with
# neither has no markup (braces alone are kept as written), so it skips the parser.
_MARKUP_HINT = re.compile(r"[\\$]")
_URL_SCHEMES = frozenset({"http:", "https:", "ftp:"})


def nfc(text: str) -> str:
    """Unicode NFC, the form kg stores every string in."""
    return unicodedata.normalize("NFC", text)


# Macros the converter knows whose arguments its parser table lacks: it reads the arguments
# (``\href``'s URL and text) a parse never gave it. A heading takes what ``\section`` takes
# in pylatexenc's own table. ``tests/test_text_latex.py`` converts every macro the converter knows.
_HEADINGS = ("part", "paragraph")
_ARGUMENTS = {"href": "{{", "textfrac": "{{"}
# Macros the converter knows but kg keeps as written: ``\input`` and ``\include`` would read
# a file (and without one drop their argument), ``\title``, ``\author`` and ``\date`` keep
# their argument in the converter for ``\maketitle``, and ``\today`` and ``\maketitle`` print
# the day of the build: none gives the same text for the same input.
_KEPT_AS_WRITTEN = ("input", "include", "title", "author", "date", "maketitle", "today")


def _as_written(node: LatexNode) -> str:
    verbatim: str = node.latex_verbatim()
    return verbatim


class _KeepingConverter(LatexNodes2Text):  # type: ignore[misc]  # pylatexenc has no types
    """pylatexenc's converter, but at any depth display math stays in the line, and a node it
    cannot convert stays as written: broken markup (see ``_is_broken``), which it would render
    as nothing, as its ``%s`` template or without the text an open argument swallowed, and, as
    a last resort, a node whose conversion raises."""

    def node_to_text(self, node: LatexNode, prev_node_hint: object = None, textcol: int = 0) -> str:
        if _is_broken(node):
            return _as_written(node)
        try:
            converted: str = super().node_to_text(node, prev_node_hint, textcol)
        except (IndexError, KeyError, AttributeError, TypeError, ValueError):
            return _as_written(node)
        return converted

    def math_node_to_text(self, node: LatexMathNode | LatexEnvironmentNode) -> str:
        """Display math (``$$x$$``, ``\\[x\\]``, an equation) run into the sentence: pylatexenc
        sets it as an indented block of its own, but an abstract is one paragraph."""
        converted: str = super().math_node_to_text(node)
        if isinstance(node, LatexMathNode) and node.displaytype == "inline":
            return converted
        return " ".join(converted.split())


@cache
def _latex_to_text() -> LatexNodes2Text:
    """pylatexenc's converter, but ``\\textasciicircum`` is the caret "^" that BibTeX files
    (and ``kg export``) mean by it, not the modifier letter U+02C6 pylatexenc gives, and the
    macros of ``_KEPT_AS_WRITTEN`` stay as written."""
    context = get_text_context_db()
    kept = [MacroTextSpec(name, simplify_repl=_as_written) for name in _KEPT_AS_WRITTEN]
    context.add_context_category(
        "kg-ascii", prepend=True, macros=[MacroTextSpec("textasciicircum", "^"), *kept]
    )
    return _KeepingConverter(math_mode="text", strict_latex_spaces=True, latex_context=context)


@cache
def _parsing_context() -> LatexContextDb:
    """pylatexenc's default macros, environments and specials, built once (the walker
    otherwise rebuilds them for every text: a tenth of reading a list), and the arguments of
    the macros the converter reads arguments of that the table does not give them."""
    context: LatexContextDb = get_default_latex_context_db()
    heading: str = context.get_macro_spec("section").args_parser.argspec
    arguments = dict.fromkeys(_HEADINGS, heading) | _ARGUMENTS
    context.add_context_category(
        "kg-arguments",
        macros=[std_macro(name, argspec) for name, argspec in sorted(arguments.items())],
    )
    return context


def latex_to_unicode(text: str) -> str:
    """Convert LaTeX markup in ``text`` to Unicode and keep every other character as written.

    ``$\\Sigma$AE`` becomes ``ΣAE``, ``\\textit{x}`` becomes ``x``, ``+$21$`` becomes ``+21``;
    ``63%``, ``&``, ``~``, ``_``, ``#`` and plain ``{braces}`` are left alone. Macros the
    converter does not know, and broken markup (unclosed math, a stray ``}``, a macro without
    its argument, a final ``\\``) stay verbatim rather than vanish; display math stays in
    the line; ``\\href{u}{t}`` gives ``t <u>``, as ``\\url{u}`` gives ``<u>``.
    """
    if not _MARKUP_HINT.search(text):
        return text
    return _converted_markup(text)


CONVERSIONS_KEPT = 16_384
"""Texts with markup whose conversion a process keeps: co-authors' lists print the same
abstract again. Of the benchmark's abstracts with markup that one of two readers meets, 54%
at 10k papers and 59% at 100k are repeats, all of them found among its last 16,384 (42% at
100k among the last 4,096). They held 4 MB in a reader of the benchmark's lists; abstracts of
1,500 characters each would take some 50 MB."""


@lru_cache(maxsize=CONVERSIONS_KEPT)
def _converted_markup(text: str) -> str:
    """:func:`latex_to_unicode` of a text that may hold markup."""
    # A bare % is text here, not a comment: convert each stretch between them on its own.
    pieces = _UNESCAPED_PERCENT.split(text)
    converted = nfc("%".join(_convert_stretch(piece) for piece in pieces))
    if not gc.isenabled():
        # pylatexenc defines a class on every parse, and a class is a reference cycle: with
        # the collector paused (as a build pauses it) each would stay, 1 GB of a reader at
        # 100k papers. The young generation holds little more than this parse's objects.
        gc.collect(0)
    return converted


def _convert_stretch(text: str) -> str:
    """The stretch as pylatexenc's parse of all of it renders, but with only the markup
    parsed: its tokenizer takes plain text one character at a time (most of reading a list).

    At the top level the parser only reads one node after another from where the last one
    ended; plain characters are verbatim and carry nothing to the next node. So the plain
    run up to the next character that can start another kind of token is copied, and the
    parser reads one node from there. The whitespace before that character is left to the
    parser, whose token owns it. What the parser reads but gives no node for (a stray ``}``,
    an ``\\end`` without its ``\\begin``) and what it cannot read (a final ``\\``) stays as
    written. Each node is the one the whole-text parse gives; ``tests/test_text_spans.py``
    compares the two.
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
        if not length:  # end of input inside a token (a final backslash): the parse ends
            pieces.append(text[start:])
            return "".join(pieces)
        pieces.append(_render_span(nodes, text, start, start + length))
        pos = start + length
    pieces.append(text[pos:])
    return "".join(pieces)


def _render_span(nodes: list[LatexNode], source: str, start: int, end: int) -> str:
    """``source[start:end]`` with the parsed ``nodes`` in it rendered, and the characters
    between them, which the parser skipped, as written."""
    pieces: list[str] = []
    for node in nodes:
        pieces.append(source[start : node.pos])
        pieces.append(_render(node, source))
        start = node.pos + node.len
    pieces.append(source[start:end])
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
        if not any(_is_markup(child) for child in node.nodelist) or _is_broken_group(node):
            return verbatim  # plain {braces}: the author's characters; or broken markup
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


def _is_broken(node: LatexNode) -> bool:
    """Whether ``node`` is markup the parser had to guess at: a group (or an argument) left
    open or with characters the parser skipped, or a macro missing an argument."""
    if isinstance(node, LatexGroupNode):
        return _is_broken_group(node)
    if not isinstance(node, LatexMacroNode | LatexEnvironmentNode):
        return False
    if node.nodeargd is None:  # what the parser gives a macro at the end of the text
        return isinstance(node, LatexMacroNode) and "{" in _argspec(node.macroname)
    arguments: list[LatexNode | None] = node.nodeargd.argnlist
    if any(isinstance(arg, LatexGroupNode) and _is_broken_group(arg) for arg in arguments):
        return True
    return any(
        kind == "{" and (argument is None or argument.len == 0)  # a group closed before it
        for kind, argument in zip(node.nodeargd.argspec, arguments, strict=False)
    )


def _is_broken_group(group: LatexGroupNode) -> bool:
    """Whether ``group`` is left open (the text ends inside it, and it swallowed the rest), or
    its children and delimiters do not make up all of it (an ``\\end`` without ``\\begin``)."""
    source: str = group.parsing_state.s
    opening: str
    closing: str
    opening, closing = group.delimiters
    end = group.pos + len(opening)
    for child in group.nodelist:
        if child.pos != end:
            return True
        end = child.pos + child.len
    return source[end : group.pos + group.len] != closing


def _argspec(macroname: str) -> str:
    """The arguments the parser's table gives a macro (``{`` mandatory, ``[`` optional)."""
    spec = _parsing_context().get_macro_spec(macroname)
    argspec: str = getattr(spec.args_parser, "argspec", "") if spec is not None else ""
    return argspec


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
