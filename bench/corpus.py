"""A synthetic corpus of publication lists, shaped like real ones.

Authors are reused with a long tail (a few prolific, with about 1,000 papers at most, many
one-off), papers are shared across the lists of their co-authors, names carry accents,
hyphens and initials, and abstracts carry LaTeX, percent signs and URLs. Deterministic for
a given seed.
"""

from __future__ import annotations

import argparse
import random
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
ABSTRACT_BITS = [
    "We introduce \\textit{a method} ($\\Sigma$AE)",
    "gaining +$21$ points",
    "at 63% of the cost",
    "R&D on snake_case #1",
    "code: https://example.org/code/{n}.",
    "It works.",
    "and it scales",
]


def make_people(rng: random.Random, count: int) -> list[tuple[str, str]]:
    people = set()
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
        abstract = " ".join(rng.sample(ABSTRACT_BITS, 3)).replace("{n}", str(number))
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("folder", type=Path)
    parser.add_argument("--papers", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    files = write_corpus(args.folder, args.papers, args.seed)
    print(f"wrote {len(files)} lists into {args.folder}")


if __name__ == "__main__":
    main()
