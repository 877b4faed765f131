"""kg: publication lists to a validated schema.org/FOAF knowledge graph."""

__version__ = "0.1.0"
