"""Abstract cleaning: LaTeX markup becomes Unicode, everything else stays exactly."""

from __future__ import annotations

import gc

import pytest

from kg.text import find_urls, latex_to_unicode


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        (r"($\Sigma$AE)", "(ΣAE)"),
        (r"\textit{symbolic autoencoding}", "symbolic autoencoding"),
        (r"gains of +$21$ points", "gains of +21 points"),
        (r"R{\"u}ckl{\'e}", "Rücklé"),
        (r"\emph{a {b} c}", "a b c"),
        (r"50\% of", "50% of"),
        (r"$\alpha$-divergence", "α-divergence"),
    ],
)
def test_markup_is_converted(source: str, expected: str) -> None:
    assert latex_to_unicode(source) == expected


@pytest.mark.parametrize(
    "text",
    [
        "a cost reduction of 63%. Via our publicly available library, researchers",
        "R&D, A~B, snake_case, #1, {braces} and more",
        "``quotes'' and -- dashes --- stay",
        "price $5 and nothing else",  # an unclosed dollar is not math
        r"an \unknownmacro{x} stays",
        "plain text without any markup",
    ],
)
def test_text_outside_markup_is_kept_exactly(text: str) -> None:
    assert latex_to_unicode(text) == text


def test_percent_does_not_swallow_following_markup() -> None:
    assert latex_to_unicode(r"63% and $\Sigma$") == "63% and Σ"


@pytest.mark.parametrize(
    ("text", "urls"),
    [
        ("Code and data: https://github.com/epfl-dlab/GCD.", ["https://github.com/epfl-dlab/GCD"]),
        (
            "(see https://x.org/a_(b)), and http://y.org/p?q=1;",
            ["https://x.org/a_(b)", "http://y.org/p?q=1"],
        ),
        ('"https://z.org/q"', ["https://z.org/q"]),
        ("no links, not even example.com or me@example.com", []),
    ],
)
def test_urls_without_trailing_punctuation(text: str, urls: list[str]) -> None:
    assert list(find_urls(text)) == urls


def test_accent_macros_on_non_letters_stay_verbatim() -> None:
    assert latex_to_unicode("a JSON escape \\u0022 here") == "a JSON escape \\u0022 here"
    assert latex_to_unicode("{\\v{S}}akota and \\u{a}") == "Šakota and ă"


def test_conversions_leave_no_cycles_while_the_build_pauses_the_collector() -> None:
    """pylatexenc defines a class on every parse; a build pauses the cycle collector, so
    without a collection of their own each conversion's classes would stay until exit."""

    def parser_classes() -> int:
        return sum(
            1 for o in gc.get_objects() if isinstance(o, type) and o.__name__ == "PosPointer"
        )

    gc.collect()
    gc.disable()
    try:
        before = parser_classes()
        for n in range(200):
            latex_to_unicode(f"Paper {n}: $\\alpha_{n}$ and \\textit{{R{{\\\"u}}ckl{{\\'e}}}}.")
        assert parser_classes() - before < 10
    finally:
        gc.enable()
