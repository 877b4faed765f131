"""Benchmark: the same works built from each input format, against text lists in this script.

The synthetic corpus (``bench/corpus.py``) is built once from its text lists; ``kg export``
then writes the graph's works as one BibTeX and one CSL-JSON file, and each of the three
inputs is built in a fresh interpreter (``bench/run.py``'s measurement). The text lists
print shared papers once per co-author's list, so they hold more records than the two
single files; the ratios compare building the same graph's works, not the same bytes.

    python bench/formats.py --papers 10000
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from corpus import write_corpus
from run import measure_kg

from kg.bibliography import export_bibliography
from kg.iris import IriScheme
from kg.pipeline import build


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--papers", type=int, default=2000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        lists = root / "lists"
        write_corpus(lists, args.papers)
        build([lists], root / "graph", IriScheme())
        inputs = {"text lists": lists}
        for format_name, file_name in (("bibtex", "works.bib"), ("csl-json", "works.json")):
            exported = export_bibliography([root / "graph" / "graph.nt"], format_name)
            (root / file_name).write_text(exported.text, encoding="utf-8")
            inputs[format_name] = root / file_name
        results = {
            label: measure_kg(path, root / f"out-{number}")
            for number, (label, path) in enumerate(inputs.items())
        }
    baseline = results["text lists"]
    for label, result in results.items():
        stages = "  ".join(f"{name} {seconds:.2f}s" for name, seconds in result.stages.items())
        print(
            f"{args.papers:>7} papers from {label:<10} | {stages} | total {result.total:.2f}s"
            f" (x{result.total / baseline.total:.2f} of text lists)"
            f" | peak {result.run.peak_mb:.0f} MB all processes"
        )


if __name__ == "__main__":
    main()
