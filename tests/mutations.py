"""Mutations of every example scenario, for robustness tests (minimal version; the full generator replaces it).

``mutated_scenarios`` yields ``(case_id, yaml_text)``: each example with one
top-level field deleted, or one leaf set to a hostile value (None, -1, NaN,
infinity, "", [], {}). With ``limit_per_example`` it yields an evenly spread,
deterministic subset of that many cases per example.
"""

from __future__ import annotations

import io
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

EXAMPLES = sorted((Path(__file__).resolve().parents[1] / "examples").glob("*.yaml"))
HOSTILE: list[tuple[str, Any]] = [
    ("none", None),
    ("minus1", -1),
    ("nan", math.nan),
    ("inf", math.inf),
    ("empty_str", ""),
    ("empty_list", []),
    ("empty_map", {}),
]


def _leaves(node: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _leaves(v, (*path, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _leaves(v, (*path, i))
    else:
        yield path


def _set(doc: Any, path: tuple[Any, ...], value: Any) -> Any:
    import copy

    out = copy.deepcopy(doc)
    node = out
    for p in path[:-1]:
        node = node[p]
    node[path[-1]] = value
    return out


def _dump(data: Any) -> str:
    y = YAML(typ="safe", pure=True)
    y.default_flow_style = False
    buf = io.StringIO()
    y.dump(data, buf)
    return buf.getvalue()


def _cases(example: Path) -> list[tuple[str, str]]:
    doc = YAML(typ="safe", pure=True).load(example.read_text(encoding="utf-8"))
    cases = [(f"{example.stem}:del:{key}", _dump({k: v for k, v in doc.items() if k != key})) for key in doc]
    for path in _leaves(doc):
        where = ".".join(map(str, path))
        cases += [(f"{example.stem}:{where}={label}", _dump(_set(doc, path, value))) for label, value in HOSTILE]
    return cases


def mutated_scenarios(limit_per_example: int | None = None) -> Iterator[tuple[str, str]]:
    """Yield ``(case_id, yaml_text)`` mutations of every example scenario."""
    for example in EXAMPLES:
        cases = _cases(example)
        if limit_per_example is not None and len(cases) > limit_per_example:
            step = len(cases) / limit_per_example
            cases = [cases[int(i * step)] for i in range(limit_per_example)]
        yield from cases
