"""LaTeX conversion never raises and never silently drops the author's text.

Broken markup stays as written; macros whose arguments pylatexenc's parser did not know
(``\\href``) get them; display math stays in the sentence. The property at the end states
precisely which word characters may go.
"""

from __future__ import annotations

import subprocess
import sys
import unicodedata
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest
from hypothesis import given, settings
from pylatexenc.latex2text import LatexNodes2Text, MacroTextSpec
from pylatexenc.latex2text import get_default_latex_context_db as get_text_context_db
from pylatexenc.latexwalker import (
    LatexCharsNode,
    LatexEnvironmentNode,
    LatexGroupNode,
    LatexMacroNode,
    LatexMathNode,
    LatexNode,
    LatexWalker,
)
from strategies import latex_markup

from kg import text
from kg.text import find_urls, latex_to_unicode


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        # \href's text, then its URL as pylatexenc writes \url's: <u>
        (r"see \href{https://x.org/a}{the code} now", "see the code <https://x.org/a> now"),
        (r"\href{https://x.org}{\textit{t}}", "t <https://x.org>"),
        (r"\href{https://x.org}", r"\href{https://x.org}"),  # no text: kept as written
        (r"\input{foo} bar", r"\input{foo} bar"),  # would read a file, or drop "foo"
        (r"\include{ch} and \title{T} \maketitle", r"\include{ch} and \title{T} \maketitle"),
        (r"made \today", r"made \today"),  # the build's date: not the same text each day
        ("a } \\textit{b}", "a } b"),  # stray closing brace
        ("word \\", "word \\"),  # final backslash and the space before it
        ("word  \\", "word  \\"),
        (r"a \end{x} b", r"a \end{x} b"),  # \end without \begin
        (r"{a \end{x} \textit{b}}", r"{a \end{x} \textit{b}}"),  # the same inside a group
        (r"\textit{a \end{x} b}", r"\textit{a \end{x} b}"),  # or an argument
        (r"\cite{abc and more", r"\cite{abc and more"),  # an open argument swallows the rest
        (r"\textit{open and $x$", r"\textit{open and $x$"),
        (r"{\textit{x} open", r"{\textit{x} open"),
        (r"\sqrt[3 x", r"\sqrt[3 x"),
        (r"\begin{itemize}[a \item b", r"\begin{itemize}[a \item b"),
        (r"\unknown{x} \textit", r"\unknown{x} \textit"),  # known macro without argument
        (r"\textit", r"\textit"),
        (r"\textit{\sqrt} x", r"\sqrt x"),  # at any depth
        (r"\frac", r"\frac"),  # not "%s/%s"
        (r"\frac{a}", r"\frac{a}"),
        (r"\url", r"\url"),  # not "<%s>"
        ("a $$x$$ b", "a x b"),  # display math in the sentence, not an indented block
        (r"a $$\alpha$$ b", "a α b"),
        (r"a \[x\] b", "a x b"),
        (r"a \begin{equation} y = x \end{equation} b", "a y = x b"),
        (r"\textit{a $$x$$ b}", "a x b"),
    ],
)
def test_broken_or_misread_markup_keeps_the_text(source: str, expected: str) -> None:
    assert latex_to_unicode(source) == expected


def test_href_url_stays_discoverable() -> None:
    """The URL of an ``\\href`` is one ``find_urls`` finds, so it becomes rdfs:seeAlso."""
    converted = latex_to_unicode(r"Code: \href{https://github.com/x/y}{our repository}.")
    assert converted == "Code: our repository <https://github.com/x/y>."
    assert list(find_urls(converted)) == ["https://github.com/x/y"]


def test_the_parser_gives_every_macro_the_arguments_its_converter_reads() -> None:
    """pylatexenc's own converter, without kg's last resort, on every macro it knows: it
    reads arguments by position, so it raises where the parser gave it fewer."""
    context = text._latex_to_text().latex_context
    plain_converter = LatexNodes2Text(math_mode="text", latex_context=context)
    names = sorted({spec.macroname for spec in context.iter_macro_specs()})
    assert len(names) > 900
    failures: dict[str, str] = {}
    for name in names:
        source = f"\\{name}{{a}}{{b}}{{c}}{{d}}{{e}}"
        walker = LatexWalker(source, latex_context=text._parsing_context(), tolerant_parsing=True)
        nodes, _, _ = walker.get_latex_nodes()
        try:
            converted = plain_converter.nodelist_to_text(nodes)
        except Exception as error:  # what is asserted: that nothing raises
            failures[name] = repr(error)
            continue
        if "%s" in converted:
            failures[name] = converted
        for form in (f"\\{name}", f"\\{name}}}", f"{{\\{name}}}", f"\\{name}[x"):
            latex_to_unicode(form)  # never raises
    assert not failures


def _raises(node: LatexNode) -> str:
    raise IndexError(node.latex_verbatim())


def test_a_node_whose_conversion_raises_stays_as_written() -> None:
    """The last resort, for a converter spec that fails as ``\\href``'s did."""
    context = get_text_context_db()
    context.add_context_category("broken", prepend=True, macros=[MacroTextSpec("emph", _raises)])
    converter = text._KeepingConverter(latex_context=context)
    walker = LatexWalker(r"a \emph{b} c", latex_context=text._parsing_context())
    nodes, _, _ = walker.get_latex_nodes()
    assert converter.nodelist_to_text(nodes) == r"a \emph{b} c"


# --- never a lost word ------------------------------------------------------------------------

# Arguments the converter renders as nothing or a placeholder, by macro: 0-based positions
# (None: all). ``\sqrt[3]{x}`` gives √(x) and ``\footnote[2]{x}`` gives [x]: pylatexenc's
# choice, written down here rather than hidden. An environment's arguments
# (``\begin{itemize}[label=-]``, ``\begin{tabular}{ll}``) are layout and go too.
DROPS_ARGUMENTS: dict[str, tuple[int, ...] | None] = {
    "cite": None,
    "\\": None,  # \\[2pt]: a length
    "sqrt": (0,),
    "footnote": (0,),
    "textcolor": (0, 1),  # the colour model and name
}


def _letters(characters: str) -> Counter[str]:
    """Word characters, compared without accents and as Unicode's compatibility forms
    (``\\'e`` is é, ``$\\mathcal{O}$`` is 𝒪): the letters the author typed."""
    decomposed = unicodedata.normalize("NFKD", characters)
    return Counter(char for char in decomposed if char.isalnum())


def _typed_text(nodes: list[LatexNode | None]) -> Iterator[str]:
    """The plain characters of a parse, at any depth, except the arguments the converter
    drops; macro and environment names are not plain characters."""
    for node in nodes:
        if isinstance(node, LatexCharsNode):
            yield node.chars
        elif isinstance(node, LatexGroupNode | LatexMathNode | LatexEnvironmentNode):
            yield from _typed_text(node.nodelist)  # an environment's arguments are layout
        elif isinstance(node, LatexMacroNode) and node.nodeargd is not None:
            dropped = DROPS_ARGUMENTS.get(node.macroname, ())
            yield from _typed_text(
                [
                    argument
                    for index, argument in enumerate(node.nodeargd.argnlist)
                    if dropped is not None and index not in dropped
                ]
            )


def typed_letters(source: str) -> Counter[str]:
    """The word characters of ``source`` outside macro names and dropped arguments, each
    stretch between bare ``%`` parsed on its own as ``kg.text`` does."""
    letters: Counter[str] = Counter()
    for stretch in text._UNESCAPED_PERCENT.split(source):
        walker = LatexWalker(stretch, latex_context=text._parsing_context(), tolerant_parsing=True)
        nodes, _, _ = walker.get_latex_nodes()
        letters += _letters("".join(_typed_text(nodes)))
    return letters


@settings(max_examples=1500, deadline=None)
@given(latex_markup)
def test_conversion_never_raises_nor_loses_a_typed_letter(source: str) -> None:
    converted = latex_to_unicode(source)
    assert not typed_letters(source) - _letters(converted)


@pytest.mark.parametrize(
    ("source", "letters"),
    [
        (r"\href{https://x.org}{te}", "httpsxorgte"),
        ("a } w", "aw"),
        (r"\textit{\sqrt} w", "w"),
        (r"\cite{key} w \\[2pt]", "w"),
        (r"\'e\c{c} $\mathcal{O}$ 50% {\o}", "ecO50"),
    ],
)
def test_typed_letters_are_the_words_outside_macro_names(source: str, letters: str) -> None:
    """The oracle sees the letters the bugs lost, not those of dropped arguments."""
    assert typed_letters(source) == Counter(letters)


# --- the command line -------------------------------------------------------------------------

SCHEMA = "http://schema.org/"
SEE_ALSO = "http://www.w3.org/2000/01/rdf-schema#seeAlso"


def test_href_in_a_text_list_and_a_bibtex_abstract_builds(tmp_path: Path) -> None:
    """The crash of issue "latex" was a traceback on reading; now the build goes through and
    the graph holds the link text, its URL as rdfs:seeAlso, and the broken markup as written."""
    (tmp_path / "doe.txt").write_text(
        "Doe, Jane\n\nA paper\nDoe, Jane\n"
        "We release \\href{https://github.com/x/y}{our code}; a } stays, \\textit{done}.\n",
        encoding="utf-8",
    )
    (tmp_path / "refs.bib").write_text(
        "@article{bib1,\n  title = {Another paper},\n  author = {Roe, Maria},\n"
        "  abstract = {See \\href{https://example.org/data}{the data} and $$x$$ too.},\n"
        "  journal = {Journal},\n  year = {2021}\n}\n",
        encoding="utf-8",
    )
    result = subprocess.run(
        [sys.executable, "-m", "kg", "build", "doe.txt", "refs.bib"],
        capture_output=True,
        cwd=tmp_path,
        check=False,
    )
    assert result.returncode == 0, result.stderr.decode()
    assert b"Traceback" not in result.stderr
    triples = list(ox.parse(path=tmp_path / "exports" / "graph.nt", format=ox.RdfFormat.N_TRIPLES))
    abstracts = {t.object.value for t in triples if t.predicate.value == f"{SCHEMA}abstract"}
    assert abstracts == {
        "We release our code <https://github.com/x/y>; a } stays, done.",
        "See the data <https://example.org/data> and x too.",
    }
    links = {t.object.value for t in triples if t.predicate.value == SEE_ALSO}
    assert links == {"https://github.com/x/y", "https://example.org/data"}
