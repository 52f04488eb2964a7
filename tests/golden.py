"""Golden-file comparison that holds on any machine.

Numbers are compared with a relative tolerance (the last bits of a float differ
between CPUs and numpy builds: ``(1 + r) ** (m / 12)`` is not correctly rounded),
and versions and timestamps are normalised, so a golden file fails only when
the behaviour changes. Regenerate with ``LLMTCO_UPDATE_GOLDEN=1``.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import re
from pathlib import Path
from typing import Any

REL_TOL = 1e-9
ABS_TOL = 1e-9

# metadata fields that name a version or a moment, not a result
VOLATILE_KEYS = {"generated_at", "tool_version", "genai_prices_version"}


def normalise_json(doc: Any) -> Any:
    """The document with volatile metadata replaced by placeholders."""
    if isinstance(doc, dict):
        return {k: (f"<{k}>" if k in VOLATILE_KEYS else normalise_json(v)) for k, v in doc.items()}
    if isinstance(doc, list):
        return [normalise_json(v) for v in doc]
    return doc


def _numbers_close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=REL_TOL, abs_tol=ABS_TOL)


def json_differences(expected: Any, actual: Any, path: str = "$") -> list[str]:
    """Where two JSON documents differ beyond the tolerance (empty when they match)."""
    if isinstance(expected, bool) or isinstance(actual, bool):
        return [] if expected == actual else [f"{path}: {expected!r} != {actual!r}"]
    if isinstance(expected, int | float) and isinstance(actual, int | float):
        return [] if _numbers_close(float(expected), float(actual)) else [f"{path}: {expected!r} != {actual!r}"]
    if isinstance(expected, dict) and isinstance(actual, dict):
        out = [f"{path}: key {k!r} missing" for k in expected.keys() - actual.keys()]
        out += [f"{path}: unexpected key {k!r}" for k in actual.keys() - expected.keys()]
        for k in expected.keys() & actual.keys():
            out += json_differences(expected[k], actual[k], f"{path}.{k}")
        return out
    if isinstance(expected, list) and isinstance(actual, list):
        if len(expected) != len(actual):
            return [f"{path}: {len(expected)} items != {len(actual)} items"]
        out = []
        for i, (e, a) in enumerate(zip(expected, actual, strict=True)):
            out += json_differences(e, a, f"{path}[{i}]")
        return out
    return [] if expected == actual else [f"{path}: {expected!r} != {actual!r}"]


_NUMBER = re.compile(r"^-?\d+(\.\d+)?([eE][-+]?\d+)?$")


def csv_differences(expected: str, actual: str) -> list[str]:
    """Cell-by-cell comparison; numeric cells within the tolerance."""
    exp_rows = list(csv.reader(io.StringIO(expected)))
    act_rows = list(csv.reader(io.StringIO(actual)))
    if len(exp_rows) != len(act_rows):
        return [f"{len(exp_rows)} rows != {len(act_rows)} rows"]
    out = []
    for r, (er, ar) in enumerate(zip(exp_rows, act_rows, strict=True)):
        if len(er) != len(ar):
            out.append(f"row {r + 1}: {len(er)} cells != {len(ar)} cells")
            continue
        for c, (e, a) in enumerate(zip(er, ar, strict=True)):
            if _NUMBER.match(e) and _NUMBER.match(a):
                if not _numbers_close(float(e), float(a)):
                    out.append(f"row {r + 1} col {c + 1}: {e} != {a}")
            elif e != a:
                out.append(f"row {r + 1} col {c + 1}: {e!r} != {a!r}")
    return out


def normalised_text(fmt: str, text: str) -> str:
    """What is written to a golden file: JSON normalised and indented, other formats as they are."""
    if fmt == "json":
        return json.dumps(normalise_json(json.loads(text)), indent=2) + "\n"
    return text


def assert_matches_golden(path: Path, fmt: str, text: str) -> None:
    """Compare ``text`` (format ``fmt``) with the golden file, or rewrite it under LLMTCO_UPDATE_GOLDEN=1."""
    text = normalised_text(fmt, text)
    if os.environ.get("LLMTCO_UPDATE_GOLDEN"):
        path.write_text(text, encoding="utf-8")
    assert path.exists(), f"missing golden file {path}; run with LLMTCO_UPDATE_GOLDEN=1 to create it"
    expected = path.read_text(encoding="utf-8")
    if fmt == "json":
        diffs = json_differences(json.loads(expected), json.loads(text))
    elif fmt == "csv":
        diffs = csv_differences(expected, text)
    else:
        diffs = [] if expected == text else ["text differs"]
    assert not diffs, f"{path.name} differs from its golden file:\n" + "\n".join(diffs[:20])
