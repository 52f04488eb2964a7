"""The corpus CSV files: their columns, and reading their rows with the file each came from."""

from __future__ import annotations

import csv
import io
from importlib import resources
from pathlib import Path

from llmtco.errors import CalibrationError
from llmtco.files import read_text_limited

COLUMNS = (
    "id",
    "model",
    "params_b",
    "gpu",
    "gpu_count",
    "precision",
    "engine",
    "input_len",
    "output_len",
    "concurrency_or_batch",
    "scenario",
    "throughput_tok_s",
    "ttft_ms",
    "tpot_ms",
    "power_w",
    "energy_j_per_token",
    "source",
    "as_of",
    "notes",
)
OPTIONAL_COLUMNS = ("level", "source_family")


def _read_csv(text: str, name: str) -> list[dict[str, str]]:
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise CalibrationError(f"{name}: missing columns {', '.join(missing)}; expected: {', '.join(COLUMNS)}")
    return [dict(r) for r in reader]


COLLECTION_KEY = "_collection"
"""Key ``read_rows`` adds to each row: the stem of the file it came from."""


def read_rows(path: str | Path | None = None) -> list[dict[str, str]]:
    """Rows of a corpus CSV (default: every ``*.csv`` of the committed corpus folder), each with its
    file's stem under ``COLLECTION_KEY``."""
    if path is None:
        folder = resources.files("llmtco.calibration").joinpath("data")
        rows: list[dict[str, str]] = []
        for item in sorted(folder.iterdir(), key=lambda f: f.name):
            if item.name.endswith(".csv"):
                stem = item.name[: -len(".csv")]
                rows.extend({**r, COLLECTION_KEY: stem} for r in _read_csv(item.read_text(encoding="utf-8"), item.name))
        return rows
    try:
        text = read_text_limited(path)
    except OSError as exc:
        raise CalibrationError(f"--corpus: cannot read {path}: {exc}") from None
    return [{**r, COLLECTION_KEY: Path(path).stem} for r in _read_csv(text, str(path))]
