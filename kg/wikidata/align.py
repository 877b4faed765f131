"""``kg align wikidata``: find the Wikidata items of a graph's papers and persons.

The run, in a handful of batched requests whatever the list's size:

1. candidates for every paper at once: by DOI/arXiv ID, by title in the variants Wikidata
   titles come in (scholarly and main graph, so that a film with the same label is seen and
   refused), and by P2093 author strings;
2. the candidates' classes, titles, dates and ordered authors, and the labels of their P50
   authors; humans named like the local persons (or with their ORCID);
3. papers are scored and decided; persons are matched through the P50 items at their
   positions on the matched papers;
4. for papers still open, the works of the persons just matched (P50) are looked at too,
   and everything is decided again with the person links known.

Decisions a user wrote into ``alignment.tsv`` (``accept``/``reject``) are kept as they are.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Final

import pyoxigraph as ox
from rapidfuzz import fuzz

from kg.export import replace_files
from kg.progress import ProgressCallback, silent
from kg.wikidata.alignment_file import (
    apply_decision,
    format_alignment,
    format_sameas,
    read_alignment,
)
from kg.wikidata.endpoint import WikidataEndpoint
from kg.wikidata.local import LocalGraph, LocalPaper, read_local_graph
from kg.wikidata.lookup import (
    Human,
    Work,
    fetch_humans,
    fetch_works,
    find_by_author_items,
    find_by_author_strings,
    find_by_identifier,
    find_by_title,
    find_humans,
)
from kg.wikidata.matching import (
    Alignment,
    Candidate,
    author_votes,
    decide_paper,
    decide_person,
    score_work,
    title_form,
    title_variants,
)
from kg.wikidata.quickstatements import quickstatements

SCHOLARLY_ENDPOINT: Final = "https://query-scholarly.wikidata.org/sparql"
MAIN_ENDPOINT: Final = "https://query.wikidata.org/sparql"
ALIGNMENT_FILE: Final = "alignment.tsv"
SAMEAS_FILE: Final = "sameas.ttl"
QUICKSTATEMENTS_FILE: Final = "quickstatements.txt"
_WORTH_FETCHING: Final = 60.0
"""Title similarity (0–100) for a work of a matched author to be looked at in round two."""


@dataclass(frozen=True)
class AlignReport:
    rows: tuple[Alignment, ...]
    files: tuple[Path, ...]
    requests: int
    """HTTP requests sent to both endpoints (0 when the cache answered everything)."""
    left_out: tuple[tuple[str, str], ...] = ()
    """Papers kept out of quickstatements.txt, with the reason: add those by hand."""

    def count(self, kind: str, status: str) -> int:
        return sum(1 for row in self.rows if row.kind == kind and row.status == status)


@dataclass
class _Evidence:
    """What the endpoints said so far."""

    works: dict[str, Work]
    humans: dict[str, Human]
    candidates: dict[str, set[str]]
    """Candidate QIDs by paper IRI."""
    named: dict[str, set[str]]
    """Humans by the name (label or alias) or ORCID they were found with."""


def align_wikidata(
    store: ox.Store,
    out_dir: Path,
    scholarly: WikidataEndpoint,
    main: WikidataEndpoint,
    language: str = "en",
    progress: ProgressCallback = silent,
) -> AlignReport:
    """Align ``store``'s papers and persons and write the three files into ``out_dir``.

    ``progress`` hears each stage with the number of requests sent so far."""

    def stage(name: str) -> None:
        progress(name, scholarly.requests_sent + main.requests_sent, None)

    stage("reading the graph")
    graph = read_local_graph(store)
    previous = out_dir / ALIGNMENT_FILE
    decided = {
        row.iri: row
        for row in (read_alignment(previous) if previous.is_file() else ())
        if row.decision
    }
    languages = tuple(dict.fromkeys((language, "mul")))
    stage("asking Wikidata about every paper and person")
    evidence = _first_round(graph, decided, scholarly, main, language, languages)
    rows = _decide(graph, evidence, decided, {})
    person_links = _person_links(rows)
    stage("asking about the works of the persons matched")
    _second_round(graph, rows, person_links, evidence, scholarly, main, languages)
    rows = _decide(graph, evidence, decided, person_links)

    stage("writing the alignment")
    by_iri = {row.iri: row for row in rows}
    statements = quickstatements(graph.papers, by_iri, evidence.works, language)
    contents = {
        out_dir / ALIGNMENT_FILE: format_alignment(rows).encode(),
        out_dir / SAMEAS_FILE: format_sameas(rows),
        out_dir / QUICKSTATEMENTS_FILE: statements.text.encode(),
    }
    replace_files(contents)
    return AlignReport(
        tuple(sorted(rows, key=lambda r: (r.kind != "paper", r.iri))),
        tuple(contents),
        scholarly.requests_sent + main.requests_sent,
        statements.left_out,
    )


def _first_round(
    graph: LocalGraph,
    decided: Mapping[str, Alignment],
    scholarly: WikidataEndpoint,
    main: WikidataEndpoint,
    language: str,
    languages: Sequence[str],
) -> _Evidence:
    papers = graph.papers
    variants = {paper.iri: title_variants(paper.title) for paper in papers}
    all_titles = sorted({v for vs in variants.values() for v in vs})
    names = {paper.iri: _author_names(paper) for paper in papers}
    scholarly_titles = find_by_title(scholarly, all_titles, [language]) if all_titles else {}
    main_titles = find_by_title(main, all_titles, [language]) if all_titles else {}
    by_name = find_by_author_strings(scholarly, (names[paper.iri] for paper in papers))
    dois = {p.doi for p in papers if p.doi}
    arxiv_ids = {p.arxiv for p in papers if p.arxiv}
    by_id = find_by_identifier(scholarly, dois, arxiv_ids) if dois or arxiv_ids else {}

    candidates: dict[str, set[str]] = defaultdict(set)
    from_main: set[str] = set()
    for paper in papers:
        found = candidates[paper.iri]
        for variant in variants[paper.iri]:
            found |= scholarly_titles.get(variant, set())
            from_main |= main_titles.get(variant, set())
            found |= main_titles.get(variant, set())
        hits = Counter(item for name in names[paper.iri] for item in by_name.get(name, ()))
        found |= {item for item, count in hits.items() if count >= 2}
        for identifier in (paper.doi, paper.arxiv):
            if identifier:
                found |= by_id.get(identifier, set())
        row = decided.get(paper.iri)
        if row is not None and row.qid:
            found.add(row.qid)
    wanted = set().union(*candidates.values()) if candidates else set()
    works = fetch_works(scholarly, wanted - from_main, languages) if wanted - from_main else {}
    missing = wanted - set(works)
    if missing:  # from the main graph's titles, or a user's pick the scholarly graph lacks
        works.update(fetch_works(main, missing, languages))
    person_names = {n for person in graph.persons for n in person.natural_names}
    orcids = {person.orcid for person in graph.persons if person.orcid}
    named = find_humans(main, person_names, orcids, languages)
    authors = {a.item for work in works.values() for a in work.authors if a.item}
    people = authors | {item for items in named.values() for item in items}
    humans = fetch_humans(main, people, languages) if people else {}
    return _Evidence(works, humans, candidates, named)


def _second_round(
    graph: LocalGraph,
    rows: Sequence[Alignment],
    person_links: Mapping[str, str],
    evidence: _Evidence,
    scholarly: WikidataEndpoint,
    main: WikidataEndpoint,
    languages: Sequence[str],
) -> None:
    """Look at the works of newly matched persons for the papers still open."""
    status = {row.iri: row.status for row in rows}
    open_papers = [p for p in graph.papers if status.get(p.iri) != "matched"]
    wanted_authors = {
        person_links[a.person.iri]: a.person.iri
        for paper in open_papers
        for a in paper.authors
        if a.person.iri in person_links
    }
    if not wanted_authors:
        return
    works_of = find_by_author_items(scholarly, wanted_authors)
    new: set[str] = set()
    for paper in open_papers:
        title = title_form(paper.title)
        for author in paper.authors:
            item = person_links.get(author.person.iri)
            for work, work_title in works_of.get(item or "", ()):
                if work in evidence.candidates[paper.iri]:
                    continue
                if fuzz.ratio(title, title_form(work_title)) >= _WORTH_FETCHING:
                    evidence.candidates[paper.iri].add(work)
                    if work not in evidence.works:
                        new.add(work)
    if not new:
        return
    evidence.works.update(fetch_works(scholarly, new, languages))
    authors = {
        a.item for q in new if q in evidence.works for a in evidence.works[q].authors if a.item
    }
    unknown = {item for item in authors if item not in evidence.humans}
    if unknown:
        evidence.humans.update(fetch_humans(main, unknown, languages))


def _decide(
    graph: LocalGraph,
    evidence: _Evidence,
    decided: Mapping[str, Alignment],
    person_links: Mapping[str, str],
) -> list[Alignment]:
    human_names = {item: human.names for item, human in evidence.humans.items()}
    rows: list[Alignment] = []
    for paper in graph.papers:
        scored = [
            score_work(paper, evidence.works[item], person_links, human_names)
            for item in sorted(evidence.candidates.get(paper.iri, ()))
            if item in evidence.works and evidence.works[item].is_publication
        ]
        rows.append(_with_decision(decide_paper(paper, scored), decided))
    matched = {
        row.iri: evidence.works[row.qid]
        for row in rows
        if row.status == "matched" and row.qid in evidence.works
    }
    votes = author_votes(graph.papers, matched, evidence.humans)
    for person in graph.persons:
        by_orcid = sorted(_named(evidence, person.orcid)) if person.orcid else []
        by_name = sorted(
            item
            for name in person.natural_names
            for item in _named(evidence, name)
            if evidence.humans.get(item, Human(item, ())).is_human
        )
        row = decide_person(person, votes.get(person.iri, Counter()), by_orcid, by_name)
        rows.append(_with_decision(row, decided))
    return rows


def _named(evidence: _Evidence, name: str) -> Iterable[str]:
    return evidence.named.get(name, ())


def _with_decision(row: Alignment, decided: Mapping[str, Alignment]) -> Alignment:
    """The fresh row, or the user's decision on it with fresh candidates for context."""
    user = decided.get(row.iri)
    if user is None:
        return row
    candidates: tuple[Candidate, ...] = row.candidates or user.candidates
    return apply_decision(replace(user, label=row.label, candidates=candidates))


def _person_links(rows: Iterable[Alignment]) -> dict[str, str]:
    return {
        row.iri: row.qid
        for row in rows
        if row.kind == "person" and row.status == "matched" and row.qid
    }


def _author_names(paper: LocalPaper) -> list[str]:
    return sorted({name for author in paper.authors for name in author.person.natural_names})
