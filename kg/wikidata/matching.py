"""Scores and decisions: which Wikidata item, if any, a paper or a person is.

A wrong ``sameAs`` is worse than none, so kg links only a clear, unique winner:

* a paper is ``matched`` when one publication item has (nearly) its title *and* most of its
  authors in order, and no other candidate comes close. Two strong candidates (a preprint
  and its published version, or a duplicate item) go to ``review``; a same-title item by
  other authors, or an item that is no publication at all (a film), is never linked;
* a person is ``matched`` through the papers they co-authored: the P50 item at their
  position on every matched paper must be the same human. An ORCID is strong evidence too;
  a name alone never is, so name-only candidates go to ``review``.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Final, Literal

from rapidfuzz import fuzz

from kg.identity import fold
from kg.wikidata.local import LocalAuthor, LocalPaper, LocalPerson, natural_name
from kg.wikidata.lookup import Human, Work, WorkAuthor

Status = Literal["matched", "review", "unmatched"]
Kind = Literal["paper", "person"]

SURE_TITLE: Final = 0.9
"""Title similarity (0–1, after folding case, accents and punctuation) needed to link."""
SURE_AUTHORS: Final = 0.5
"""Author agreement needed to link: half the authors, in order."""
CLEAR_LEAD: Final = 0.1
"""How far the winner must be ahead of the runner-up."""
WORTH_REVIEW: Final = 0.6
"""Below this score a candidate is not worth a person's time."""
SOME_AUTHORS: Final = 0.2
"""Below this author agreement a same-title item is somebody else's paper."""
CANDIDATES_KEPT: Final = 5

_WORD = re.compile(r"\w+")
# Words that title case leaves in lower case ("Decoding for Structured Tasks").
_SMALL_WORDS: Final = frozenset(
    {"a", "an", "and", "as", "at", "but", "by", "for", "from", "in", "into", "nor", "of"}
    | {"on", "or", "per", "the", "to", "via", "vs", "with"}
)


@dataclass(frozen=True)
class Candidate:
    qid: str
    score: float
    title: float = 0.0
    authors: float = 0.0
    evidence: str = ""
    """Words for the reader of alignment.tsv."""
    same_identifier: bool = False
    """The paper and the item share a DOI or an arXiv ID."""
    same_doi: bool = False
    """The paper and the item share a DOI: Wikidata often gives a published article its
    preprint's arXiv ID too, but a DOI names one version."""


@dataclass(frozen=True)
class Alignment:
    """One row of the alignment: what kg (or the user) decided for one local entity."""

    iri: str
    kind: Kind
    label: str
    status: Status
    qid: str | None = None
    score: float | None = None
    candidates: tuple[Candidate, ...] = ()
    decision: str = ""
    """``accept`` or ``reject`` when a person decided in ``alignment.tsv``; kg keeps it."""
    extra: dict[str, str] = field(default_factory=dict, compare=False)


def title_form(title: str) -> str:
    """The comparison form of a title: folded words separated by single spaces."""
    return " ".join(filter(None, (fold(word) for word in _WORD.findall(title))))


def title_variants(title: str) -> list[str]:
    """``title`` as Wikidata may have stored it: as printed, sentence case, title case, lower
    case, with or without a final full stop, straight or typographic quotes and dashes."""
    base = " ".join(title.split())
    cased = {
        base,
        base[:1] + base[1:].lower(),
        _after_colons_upper(base[:1] + base[1:].lower()),
        _title_case(base),
        base.lower(),
    }
    forms = set()
    for text in cased:
        stem = text.rstrip(".")
        forms.update({stem, stem + "."})
        forms.add(stem.replace("’", "'").replace("“", '"').replace("”", '"').replace("–", "-"))
    return sorted(form for form in forms if form)


def _after_colons_upper(text: str) -> str:
    return re.sub(r"([:?!]\s+)(\w)", lambda m: m.group(1) + m.group(2).upper(), text)


def _title_case(text: str) -> str:
    words = text.split(" ")
    return " ".join(
        word if (index and word.lower() in _SMALL_WORDS) or not word else word[0].upper() + word[1:]
        for index, word in enumerate(words)
    )


def name_agrees(person: LocalPerson, printed: str) -> bool:
    """Whether ``printed`` ("Given Family", possibly with initials or without accents) can
    name ``person``: the family name ends it and the given names start alike."""
    folded = fold(natural_name(printed))
    family_key = fold(person.family)
    if not family_key or not folded.endswith(family_key):
        return False
    given_key = fold(person.given)
    rest = folded[: -len(family_key)]
    return not given_key or not rest or rest[0] == given_key[0]


def score_work(
    paper: LocalPaper,
    work: Work,
    person_links: Mapping[str, str],
    human_names: Mapping[str, tuple[str, ...]],
) -> Candidate:
    """How well ``work`` fits ``paper``: title similarity, ordered author agreement, year."""
    local_title = title_form(paper.title)
    title = max(
        (fuzz.ratio(local_title, title_form(text)) / 100 for text in work.titles), default=0.0
    )
    authors = _author_agreement(paper.authors, work.authors, person_links, human_names)
    score = 0.55 * title + 0.45 * authors
    evidence = []
    same_doi = bool(paper.doi) and paper.doi == work.doi
    if same_doi:
        evidence.append("same DOI")
    if paper.arxiv and paper.arxiv == work.arxiv:
        evidence.append("same arXiv ID")
    same_identifier = bool(evidence)
    if same_identifier:
        score = max(score, 0.95)
    if paper.year is not None and work.year is not None:
        score += 0.05 if abs(paper.year - work.year) <= 1 else -0.1
    if work.is_preprint:
        evidence.append("preprint")
    return Candidate(
        work.qid,
        round(min(score, 1.0), 3),
        round(title, 3),
        round(authors, 3),
        ", ".join(evidence),
        same_identifier,
        same_doi,
    )


def _author_agreement(
    local: Sequence[LocalAuthor],
    remote: Sequence[WorkAuthor],
    person_links: Mapping[str, str],
    human_names: Mapping[str, tuple[str, ...]],
) -> float:
    """(authors in the same position + authors anywhere) / (2 × the longer list)."""
    size = max(len(local), len(remote))
    if not size:
        return 0.0

    def agree(author: LocalAuthor, statement: WorkAuthor) -> bool:
        if statement.item is not None and person_links.get(author.person.iri) == statement.item:
            return True
        names = (statement.name, *human_names.get(statement.item or "", ()))
        return any(name and name_agrees(author.person, name) for name in names)

    used: set[int] = set()
    anywhere = 0
    for author in local:
        for index, statement in enumerate(remote):
            if index not in used and agree(author, statement):
                used.add(index)
                anywhere += 1
                break
    if any(statement.ordinal is not None for statement in remote):
        by_ordinal = defaultdict(list)
        for statement in remote:
            by_ordinal[statement.ordinal].append(statement)
        in_place = sum(
            any(agree(author, s) for s in by_ordinal.get(author.position, ())) for author in local
        )
    else:
        in_place = anywhere
    return (in_place + anywhere) / (2 * size)


def decide_paper(paper: LocalPaper, candidates: Iterable[Candidate]) -> Alignment:
    """``matched`` for the one strong candidate that shares the paper's DOI (else its DOI or
    arXiv ID), or else a clear, unique, strong winner; ``review`` for near ties and
    plausible but weak candidates; ``unmatched`` otherwise.

    An identifier names one version of a work, so it settles what title and authors cannot:
    a preprint and its published version look alike, but only one has the paper's DOI.
    """
    ranked = sorted(candidates, key=lambda c: (-c.score, c.qid))
    kept = tuple(ranked[:CANDIDATES_KEPT])
    if not ranked:
        return Alignment(paper.iri, "paper", paper.title, "unmatched")
    for by_doi in (True, False):
        identified = [
            c for c in ranked if (c.same_doi if by_doi else c.same_identifier) and _strong(c)
        ]
        if len(identified) == 1:
            (best,) = identified
            return Alignment(paper.iri, "paper", paper.title, "matched", best.qid, best.score, kept)
    best = ranked[0]
    runner_up = ranked[1] if len(ranked) > 1 else None
    if _strong(best) and (
        runner_up is None or (not _strong(runner_up) and runner_up.score <= best.score - CLEAR_LEAD)
    ):
        return Alignment(paper.iri, "paper", paper.title, "matched", best.qid, best.score, kept)
    if best.score >= WORTH_REVIEW and (best.authors >= SOME_AUTHORS or best.same_identifier):
        return Alignment(paper.iri, "paper", paper.title, "review", None, best.score, kept)
    return Alignment(paper.iri, "paper", paper.title, "unmatched", None, None, kept)


def _strong(candidate: Candidate) -> bool:
    if candidate.same_identifier:
        return candidate.title >= 0.8 or candidate.authors >= SURE_AUTHORS
    return candidate.title >= SURE_TITLE and candidate.authors >= SURE_AUTHORS


def author_votes(
    papers: Iterable[LocalPaper],
    matched_works: Mapping[str, Work],
    humans: Mapping[str, Human],
) -> dict[str, Counter[str]]:
    """For each local person, the human items that stand at their position on the papers
    matched so far (``matched_works`` by paper IRI), with how many papers say so."""
    votes: dict[str, Counter[str]] = defaultdict(Counter)
    for paper in papers:
        work = matched_works.get(paper.iri)
        if work is None:
            continue
        has_ordinals = any(a.ordinal is not None for a in work.authors)
        for author in paper.authors:
            found = {
                statement.item
                for statement in work.authors
                if statement.item is not None
                and (statement.ordinal == author.position or not has_ordinals)
                and humans.get(statement.item, Human(statement.item, ())).is_human
                and any(
                    name and name_agrees(author.person, name)
                    for name in (statement.name, *humans.get(statement.item, Human("", ())).names)
                )
            }
            if len(found) == 1:
                votes[author.person.iri][found.pop()] += 1
    return votes


def decide_person(
    person: LocalPerson,
    votes: Counter[str],
    by_orcid: Sequence[str],
    by_name: Sequence[str],
) -> Alignment:
    """Matched through co-authored papers (all agreeing) or a unique ORCID; name-only
    candidates are for review."""
    label = person.name
    if len(by_orcid) == 1 and set(votes) <= set(by_orcid):
        found = by_orcid[0]
        candidate = Candidate(found, 1.0, evidence="same ORCID")
        return Alignment(person.iri, "person", label, "matched", found, 1.0, (candidate,))
    if by_orcid:  # several items with one ORCID, or papers that say otherwise
        candidates = tuple(Candidate(item, 0.5, evidence="same ORCID") for item in by_orcid)
        voted = tuple(
            Candidate(item, 0.5, evidence=f"author of {count} matched paper(s)")
            for item, count in sorted(votes.items())
        )
        return Alignment(person.iri, "person", label, "review", None, 0.5, candidates + voted)
    if votes:
        total = sum(votes.values())
        ranked = tuple(
            Candidate(item, round(count / total, 3), evidence=f"author of {count} matched paper(s)")
            for item, count in sorted(votes.items(), key=lambda kv: (-kv[1], kv[0]))
        )
        if len(votes) == 1:
            return Alignment(person.iri, "person", label, "matched", ranked[0].qid, 1.0, ranked)
        return Alignment(person.iri, "person", label, "review", None, ranked[0].score, ranked)
    candidates = tuple(
        Candidate(item, 0.5, evidence="same name only") for item in sorted(set(by_name))
    )[:CANDIDATES_KEPT]
    if candidates:
        return Alignment(person.iri, "person", label, "review", None, 0.5, candidates)
    return Alignment(person.iri, "person", label, "unmatched")
