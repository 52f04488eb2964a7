"""Calibration profiles: efficiency records in a YAML file a scenario or the catalog can load."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable
from pathlib import Path

from ruamel.yaml import YAML

from llmtco.catalog.records import Efficiency


def write_profile(effs: Iterable[Efficiency], path: str | Path, header: str = "", top_key: str = "efficiency") -> None:
    """Write records atomically; ``top_key`` 'efficiency' makes a catalog overlay, 'records' a bundled file."""
    records = []
    for e in sorted(effs, key=lambda e: e.id):
        d = e.model_dump(mode="json", exclude={"overlay"})
        if not d.get("notes"):
            d.pop("notes", None)
        records.append(d)
    yaml = YAML()
    yaml.default_flow_style = False
    yaml.width = 120
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent if str(path.parent) else ".", prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(header)
            yaml.dump({top_key: records}, fh)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
