"""A graph's works written back out as BibTeX or CSL-JSON, for LaTeX, Zotero and pandoc.

The writers are the inverse of the BibTeX and CSL-JSON readers (``kg.sources``): reading
an export back gives the records the graph was built from, field for field.
"""

from kg.bibliography.bibtex import latex_escape, to_bibtex
from kg.bibliography.csljson import to_csl_json
from kg.bibliography.export import FORMATS, Bibliography, BibliographyFormat, export_bibliography
from kg.bibliography.keys import cite_keys
from kg.bibliography.works import read_works

__all__ = [
    "FORMATS",
    "Bibliography",
    "BibliographyFormat",
    "cite_keys",
    "export_bibliography",
    "latex_escape",
    "read_works",
    "to_bibtex",
    "to_csl_json",
]
