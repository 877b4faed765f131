"""The fast paths of ``kg.text`` give exactly what the slow ones gave (issue 16).

``latex_to_unicode`` hands pylatexenc only the markup of a text; here it is compared with
the whole-text parse it replaced (kept below as the reference) on the benchmark corpus's
abstracts, on hard cases and on generated text. ``find_urls`` skips linkify on a text
without a URL scheme; generated text checks that it never misses a URL linkify finds.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import find, given, settings
from hypothesis import strategies as st
from pylatexenc.latexwalker import LatexWalker
from strategies import latex_markup

from kg import text
from kg.terms import iri_problem

BENCH_CORPUS = Path(__file__).resolve().parent.parent / "bench" / "corpus.py"


def whole_text_latex_to_unicode(source: str) -> str:
    """The conversion before issue 16: pylatexenc parses each stretch between bare ``%``
    whole, and every top-level node is rendered as ``kg.text`` renders nodes, with what the
    parser skipped between them (a stray ``}``) as written."""
    if not text._MARKUP_HINT.search(source):
        return source
    stretches = text._UNESCAPED_PERCENT.split(source)
    return text.nfc("%".join(_whole_stretch(stretch) for stretch in stretches))


def _whole_stretch(stretch: str) -> str:
    if not text._MARKUP_HINT.search(stretch):
        return stretch
    walker = LatexWalker(stretch, latex_context=text._parsing_context(), tolerant_parsing=True)
    nodes, _, _ = walker.get_latex_nodes()
    return text._render_span(nodes, stretch, 0, len(stretch))


def linkify_urls(source: str) -> list[str]:
    """``find_urls`` before issue 16: linkify runs on every text."""
    return [
        match.url
        for match in text._linkifier().match(source) or ()
        if match.schema.lower() in text._URL_SCHEMES and iri_problem(match.url) is None
    ]


HARD_CASES = [
    r"We introduce \textit{a method} ($\Sigma$AE) gaining +$21$ points",
    r"\emph{a {b {c \textbf{d}} e} f} g",  # nested braces
    r"{plain {nested} braces} and {a \'e} group",
    r"the price $5 and $x$ inside text, $$y$$ display, \(z\) and \[w\]",
    r"escaped \$ dollar, \% percent, \& and \{ braces \}",
    r"63% and 50\% and $\alpha$ % then \textit{x}",
    r"accents \'e \`a \^o \"u \~n \c{c} {\"u} {\'{e}} \v{s} \'{}",
    r"R{\"u}ckl{\'e} and M{\o}ller and \ss{} and \aa",
    r"unknown \foo{bar} and \baz and \qux[opt]{arg} stay",
    r"unbalanced { brace \textit{x} and another {",
    r"stray } closing \textit{y} } brace",
    "a backslash at the end \\",
    "a backslash then spaces at the end \\   ",
    "spaces then a backslash at the end   \\",
    r"math $\frac{a}{b}$ and $\sqrt{2}$ and $x^2_i$ and $a \leq b$",
    r"\begin{itemize} \item a \item b \end{itemize} after",
    r"\end{x} before \begin{y} never closed",
    r"unclosed math $\alpha and more",
    r"a \) stray close and \( open",
    "``quotes'' -- dashes --- ~ & !` ?` \\textit{x}--y",
    "paragraph\n\nbreak \\textit{x}\n\n\\textbf{y}",
    "tabs\tand\u00a0no-break \\textit{spaces}\u2003here",
    r"\textit word and \frac ab c",
    r"\textasciicircum and \^{} and \url{https://x.org/a_b}",
    r"\\ line break and \, thin space and \- hyphenation",
    r"$\mathcal{O}(n \log n)$ and $\mathbb{R}^n$ and ${}$",
    r"\textit{unclosed group and $math",
    "\\",
    "$",
    "{",
    "}",
    "",
]


@pytest.mark.parametrize("source", HARD_CASES)
def test_hard_cases_convert_as_a_whole_text_parse(source: str) -> None:
    assert text.latex_to_unicode(source) == whole_text_latex_to_unicode(source)


def test_benchmark_abstracts_convert_as_a_whole_text_parse(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, str(BENCH_CORPUS), str(tmp_path), "--papers", "300"], check=True
    )
    abstracts = {
        line
        for path in tmp_path.glob("*.txt")
        for line in path.read_text(encoding="utf-8").splitlines()[3::3]
    }
    marked = [line for line in abstracts if "\\" in line or "$" in line]
    assert len(marked) > 50  # the corpus holds LaTeX, so the comparison is not vacuous
    for abstract in sorted(abstracts):
        assert text.latex_to_unicode(abstract) == whole_text_latex_to_unicode(abstract)
        assert list(text.find_urls(abstract)) == linkify_urls(abstract)


@settings(max_examples=1500, deadline=None)
@given(latex_markup)
def test_generated_markup_converts_as_a_whole_text_parse(source: str) -> None:
    assert text.latex_to_unicode(source) == whole_text_latex_to_unicode(source)


URL_PIECES = [
    "http",
    "https",
    "HTTP",
    "HtTpS",
    "ftp",
    "FTP",
    "mailto",
    "ſ",  # LATIN SMALL LETTER LONG S: upper-cases to S, but does not lower-case to s
    "K",  # KELVIN SIGN, which lower-cases to k
    ":",
    "://",
    "//",
    "/",
    "www.",
    "example",
    ".org",
    "x.y",
    "@",
    " ",
    "(",
    ")",
    ".",
    ",",
    "?q=1",
    "#f",
    "é",
    "_",
    "-",
    "\u00a0",
    "localhost",
    ":8080",
    "192.168.0.1",
]
URL = st.tuples(
    st.sampled_from(["http", "https", "HTTP", "HtTpS", "ftp", "FtP", "httpſ", "mailto", ""]),
    st.sampled_from(["://", ":/", ":", "//"]),
    st.sampled_from(["example.org", "x.y.org", "localhost:8080", "192.168.0.1", "exa mple", ""]),
    st.sampled_from(["", "/", "/a_(b)", "/p?q=1;", "/é", "/a.", "/<x>", '/"q"']),
).map("".join)
TEXT_WITH_URLS = st.lists(st.one_of(st.sampled_from(URL_PIECES), URL), max_size=10).map("".join)


@settings(max_examples=2000, deadline=None)
@given(TEXT_WITH_URLS)
def test_the_scheme_check_never_hides_a_url_linkify_finds(source: str) -> None:
    assert list(text.find_urls(source)) == linkify_urls(source)


def test_the_generated_texts_are_not_vacuous() -> None:
    """The generators reach what the comparisons are about: texts where linkify finds a
    URL, and markup that converts to something else than the text."""
    find(TEXT_WITH_URLS, lambda source: len(linkify_urls(source)) > 1)
    find(latex_markup, lambda source: whole_text_latex_to_unicode(source) not in ("", source))
