"""The obvious script: publication lists to RDF with rdflib and pyshacl alone.

The baseline of issue 16, written as a user who knows the libraries would write it: split
each block of a list into title, authors and abstract, build one in-memory rdflib Graph
(schema.org and FOAF, the authors also as an rdf:List), validate it with pyshacl against two
hand-written shapes, write it with rdflib's Turtle, JSON-LD and N-Triples serialisers. No
merging beyond "same title, same paper", no LaTeX conversion, no provenance.

    python bench/obvious.py CORPUS_FOLDER -o OUT_FOLDER

Prints the seconds of each step; exits 1 (with pyshacl's report) if the graph does not conform.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from pathlib import Path

import pyshacl
from rdflib import RDF, BNode, Graph, Literal, Namespace, URIRef
from rdflib.collection import Collection
from rdflib.namespace import FOAF, SDO
from rdflib.term import Node

BASE = Namespace("https://example.org/obvious/")
BIBO = Namespace("http://purl.org/ontology/bibo/")

SHAPES = """
@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix schema: <https://schema.org/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix ex: <https://example.org/obvious/shapes/> .

ex:Paper a sh:NodeShape ;
    sh:targetClass schema:ScholarlyArticle ;
    sh:property [ sh:path schema:name ; sh:minCount 1 ; sh:maxCount 1 ; sh:datatype xsd:string ] ;
    sh:property [ sh:path schema:abstract ; sh:maxCount 1 ] ;
    sh:property [ sh:path schema:author ; sh:minCount 1 ; sh:class schema:Person ] .

ex:Person a sh:NodeShape ;
    sh:targetClass schema:Person ;
    sh:property [ sh:path schema:name ; sh:minCount 1 ] ;
    sh:property [ sh:path schema:familyName ; sh:minCount 1 ] .
"""


def slug(text: str) -> str:
    """Lower-case words joined by hyphens: readable IRIs."""
    return re.sub(r"\W+", "-", text.lower()).strip("-")


def read_blocks(path: Path) -> list[tuple[str, list[tuple[str, str]], str]]:
    """(title, [(family, given), ...], abstract) for each three-line block after the owner."""
    lines = path.read_text(encoding="utf-8").splitlines()[1:]
    blocks = []
    for start in range(0, len(lines), 3):
        title, author_line, abstract = lines[start : start + 3]
        names = [name.strip() for name in author_line.split(",")]
        blocks.append((title, list(zip(names[0::2], names[1::2], strict=True)), abstract))
    return blocks


def add_person(graph: Graph, family: str, given: str) -> URIRef:
    person = BASE[f"person/{slug(given + ' ' + family)}"]
    graph.add((person, RDF.type, SDO.Person))
    graph.add((person, RDF.type, FOAF.Person))
    graph.add((person, SDO.name, Literal(f"{given} {family}")))
    graph.add((person, SDO.givenName, Literal(given)))
    graph.add((person, SDO.familyName, Literal(family)))
    graph.add((person, FOAF.name, Literal(f"{given} {family}")))
    return person


def add_paper(graph: Graph, title: str, authors: list[tuple[str, str]], abstract: str) -> None:
    paper = BASE[f"paper/{slug(title)}"]
    graph.add((paper, RDF.type, SDO.ScholarlyArticle))
    graph.add((paper, SDO.name, Literal(title)))
    if abstract:
        graph.add((paper, SDO.abstract, Literal(abstract)))
    people: list[Node] = [add_person(graph, family, given) for family, given in authors]
    for person in people:
        graph.add((paper, SDO.author, person))
        graph.add((paper, FOAF.maker, person))
    author_list = BNode()
    Collection(graph, author_list, people)
    graph.add((paper, BIBO.authorList, author_list))


def validate(graph: Graph) -> tuple[bool, str]:
    """Whether ``graph`` conforms to the two shapes, and pyshacl's report in words."""
    shapes = Graph().parse(data=SHAPES, format="turtle")
    conforms, _, report = pyshacl.validate(graph, shacl_graph=shapes)
    return bool(conforms), str(report)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("corpus", type=Path, help="a folder of .txt publication lists")
    parser.add_argument("-o", "--out", type=Path, default=Path("obvious-out"))
    args = parser.parse_args()

    start = time.perf_counter()
    papers: dict[str, tuple[list[tuple[str, str]], str]] = {}
    for path in sorted(args.corpus.glob("*.txt")):
        for title, authors, abstract in read_blocks(path):
            papers.setdefault(title, (authors, abstract))  # the same paper in co-authors' lists
    print(f"split     {time.perf_counter() - start:8.2f} s  ({len(papers)} papers)")

    start = time.perf_counter()
    graph = Graph()
    graph.bind("schema", SDO)
    graph.bind("foaf", FOAF)
    graph.bind("bibo", BIBO)
    for title, (authors, abstract) in papers.items():
        add_paper(graph, title, authors, abstract)
    print(f"graph     {time.perf_counter() - start:8.2f} s  ({len(graph)} triples)")

    start = time.perf_counter()
    conforms, report = validate(graph)
    print(f"validate  {time.perf_counter() - start:8.2f} s")
    if not conforms:
        print(report)
        sys.exit(1)

    start = time.perf_counter()
    args.out.mkdir(parents=True, exist_ok=True)
    graph.serialize(args.out / "graph.ttl", format="turtle")
    context = {"schema": str(SDO), "foaf": str(FOAF), "bibo": str(BIBO)}
    graph.serialize(args.out / "graph.jsonld", format="json-ld", context=context)
    graph.serialize(args.out / "graph.nt", format="nt", encoding="utf-8")
    print(f"write     {time.perf_counter() - start:8.2f} s")


if __name__ == "__main__":
    main()
