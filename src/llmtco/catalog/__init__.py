"""Bundled reference data with provenance, plus user overlays.

Every record has ``source`` and ``as_of``. ``load_catalog()`` reads the bundled
YAML files under ``data/`` and applies overlay files on top (a record with an
existing id replaces it; a new id adds a record).
"""

from llmtco.catalog.loader import KINDS, Catalog, load_catalog
from llmtco.catalog.records import (
    Accelerator,
    ApiOffering,
    CloudInstance,
    Efficiency,
    Model,
    Rate,
    Region,
    Server,
    Sourced,
)

__all__ = [
    "KINDS",
    "Accelerator",
    "ApiOffering",
    "Catalog",
    "CloudInstance",
    "Efficiency",
    "Model",
    "Rate",
    "Region",
    "Server",
    "Sourced",
    "load_catalog",
]
