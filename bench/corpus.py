"""A synthetic corpus of publication lists, shaped like real ones.

Authors are reused with a long tail (a few prolific, with about 1,000 papers at most, many
one-off), papers are shared across the lists of their co-authors, names carry accents,
hyphens and initials, and abstracts carry LaTeX, percent signs and URLs. Deterministic for
a given seed.
"""

from __future__ import annotations

import argparse
import random
import re
from collections import Counter
from itertools import accumulate
from pathlib import Path

FAMILIES = [
    "Peyrard",
    "West",
    "Šakota",
    "Gisserot-Boukhlef",
    "Kıcıman",
    "Müller",
    "O'Brien",
    "van der Berg",
    "Nguyen",
    "García Márquez",
    "Smith",
    "Josifoski",
    "Møller",
    "Li",
]
GIVENS = [
    "Maxime",
    "Robert",
    "Marija",
    "Hippolyte",
    "Emre",
    "Anna",
    "Tim R.",
    "João",
    "Jean-Luc",
    "Wei",
    "Zoë",
    "Martin",
    "Duarte M.",
    "Ilse",
]
WORDS = [
    "learning",
    "graphs",
    "language",
    "models",
    "scaling",
    "evaluation",
    "causal",
    "inference",
    "retrieval",
    "agents",
    "decoding",
    "structured",
    "multilingual",
    "data",
]
PLAIN_BITS = [
    "We study how {w} change with {w}.",
    "It works.",
    "It scales.",
    "It costs 63% less.",
    "R&D on snake_case #1 helps.",
    "Results hold across {w} and {w}.",
]
LATEX_BITS = [
    r"We introduce \textit{a method} ($\Sigma$AE).",
    r"It gains +$21$ points.",
    r"It runs in $O(n \log n)$ time.",
    r"It follows R{\"u}ckl{\'e} and Gr\"obner.",
    r"It is a \textbf{strong} baseline.",
]
URL_BIT = "Code: https://example.org/code/{n}."
LATEX_SHARE = 1 / 3  # of abstracts carrying markup: math, \textit{}, accents
URL_SHARE = 1 / 8  # of abstracts linking to code or data
CUT_EVERY = 10  # one abstract in ten is cut off mid-sentence, as scraped ones often are


def make_abstract(rng: random.Random, number: int) -> str:
    """Two plain sentences; LaTeX in about a third of abstracts, a URL in about an eighth;
    every tenth abstract loses its final full stop (kg warns about it: so does any corpus of
    ten papers or more)."""
    bits = rng.sample(PLAIN_BITS, 2)
    if rng.random() < LATEX_SHARE:
        bits.insert(rng.randrange(3), rng.choice(LATEX_BITS))
    if rng.random() < URL_SHARE:
        bits.append(URL_BIT.format(n=number))
    text = " ".join(bits)
    while "{w}" in text:
        text = text.replace("{w}", rng.choice(WORDS), 1)
    return text[:-1] if number % CUT_EVERY == CUT_EVERY - 1 else text


def make_people(rng: random.Random, count: int) -> list[tuple[str, str]]:
    people: set[tuple[str, str]] = set()
    while len(people) < count:
        family = f"{rng.choice(FAMILIES)}{rng.randrange(count // 10 + 1) or ''}"
        people.add((family, rng.choice(GIVENS)))
    return sorted(people)


MOST_PAPERS_PER_AUTHOR = 1000
"""Real bibliographies' most prolific authors have a few thousand papers at most. A plain
Zipf head grows with the corpus instead: at 100k papers it gave one author 36% of them."""
AUTHORS_PER_PAPER = 5  # the mean of randint(1, 9)


def author_weights(people: int, papers: int) -> list[float]:
    """Zipf-like reuse (weight 1/rank), with the head capped so that no author is expected
    to have more than ``MOST_PAPERS_PER_AUTHOR`` papers."""
    weights = [1 / (rank + 1) for rank in range(people)]
    cap = 1.0
    for _ in range(20):  # the cap lowers the total it is a share of: settle it
        total = sum(min(weight, cap) for weight in weights)
        cap = MOST_PAPERS_PER_AUTHOR * total / (AUTHORS_PER_PAPER * papers)
    return [min(weight, cap) for weight in weights]


def write_corpus(folder: Path, papers: int, seed: int = 7) -> list[Path]:
    """Write about ``papers`` distinct papers into lists of 20-200 papers each."""
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    people = make_people(rng, max(20, papers // 3))
    reuse = list(accumulate(author_weights(len(people), papers)))  # once, not per paper
    lists: dict[tuple[str, str], list[str]] = {}
    for number in range(papers):
        authors = list(dict.fromkeys(rng.choices(people, cum_weights=reuse, k=rng.randint(1, 9))))
        title = f"{' '.join(rng.sample(WORDS, 4)).capitalize()} {number}"
        abstract = make_abstract(rng, number)
        spelled = ", ".join(f"{f}, {g}" for f, g in authors)
        block = f"{title}\n{spelled}\n{abstract}\n"
        # The paper appears in the list of its first author and of one or two co-authors.
        for owner in {authors[0], *rng.sample(authors, min(len(authors), 2))}:
            lists.setdefault(owner, []).append(block)
    written = []
    for index, (owner, blocks) in enumerate(sorted(lists.items())):
        path = folder / f"list-{index:06d}.txt"
        path.write_text(f"{owner[0]}, {owner[1]}\n" + "".join(blocks), encoding="utf-8")
        written.append(path)
    return written


def describe(folder: Path) -> str:
    """What the written lists hold, counted from the files (each paper once, by title): the
    shares of abstracts with LaTeX markup and with URLs, and how names are reused."""
    abstracts: dict[str, str] = {}
    authors: dict[str, list[str]] = {}
    for path in sorted(folder.glob("*.txt")):
        lines = path.read_text(encoding="utf-8").splitlines()[1:]
        for start in range(0, len(lines), 3):
            title, author_line, abstract = lines[start : start + 3]
            abstracts[title] = abstract
            names = author_line.split(", ")
            authors[title] = [f"{g} {f}" for f, g in zip(names[0::2], names[1::2], strict=True)]
    papers = len(abstracts)
    latex = [text for text in abstracts.values() if "\\" in text or "$" in text]
    kinds = {
        "math": sum("$" in text for text in latex),
        "\\textit{}": sum("\\textit{" in text for text in latex),
        "accents": sum(bool(re.search(r"\\[\"'`^~]", text)) for text in latex),
    }
    urls = sum("https://" in text for text in abstracts.values())
    cut = sum(not text.endswith(".") for text in abstracts.values())
    per_person = Counter(name for names in authors.values() for name in names)
    once = sum(count == 1 for count in per_person.values())
    median = sorted(per_person.values())[len(per_person) // 2]
    return (
        f"{papers} papers; abstracts with LaTeX {len(latex) / papers:.0%}"
        f" ({', '.join(f'{kind} {count / papers:.0%}' for kind, count in kinds.items())}),"
        f" with a URL {urls / papers:.0%}, cut off {cut / papers:.0%};"
        f" {len(per_person)} persons, {once / len(per_person):.0%}"
        f" of them on one paper, median {median}, the most prolific on"
        f" {max(per_person.values())} papers"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("folder", type=Path)
    parser.add_argument("--papers", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    files = write_corpus(args.folder, args.papers, args.seed)
    print(f"wrote {len(files)} lists into {args.folder}: {describe(args.folder)}")


if __name__ == "__main__":
    main()
