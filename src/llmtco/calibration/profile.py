"""Calibration profiles: efficiency records in a YAML file a scenario or the catalog can load."""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from pathlib import Path

from ruamel.yaml import YAML

from llmtco.catalog.records import Efficiency, Record
from llmtco.files import write_atomic


def _plain(rec: Record) -> dict[str, object]:
    d = rec.model_dump(mode="json", exclude={"overlay"})
    if not d.get("notes"):
        d.pop("notes", None)
    return d


def write_profile(effs: Iterable[Efficiency], path: str | Path, header: str = "", top_key: str = "efficiency") -> None:
    """Write records atomically; ``top_key`` 'efficiency' makes a catalog overlay, 'records' a bundled file."""
    write_overlay({top_key: list(effs)}, path, header)


def write_overlay(kinds: dict[str, Sequence[Record]], path: str | Path, header: str = "") -> None:
    """Write ``{kind: [records]}`` atomically as YAML (a catalog overlay, or a bundled data file)."""
    doc = {kind: [_plain(r) for r in sorted(recs, key=lambda r: r.id)] for kind, recs in kinds.items()}
    yaml = YAML()
    yaml.default_flow_style = False
    yaml.width = 120
    text = io.StringIO(header)
    text.seek(0, io.SEEK_END)
    yaml.dump(doc, text)
    write_atomic(path, text.getvalue().encode("utf-8"))
