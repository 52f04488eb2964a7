"""A corpus of hostile scenarios: every example with one field deleted or one leaf replaced.

``mutated_scenarios()`` yields ``(case_id, yaml_text)`` for every file in
``examples/*.yaml`` and ``benchmarks/scenario-4-options.yaml``: each mapping
key deleted in turn (at every depth), and each scalar leaf set in turn to
each value of ``LEAF_VALUES``. The CLI tests (``tests/scenario/test_mutations.py``)
and the web tests run the same corpus; a case id reads
``<file>:<dotted.path>:<mutation>``, e.g. ``rag-extraction-8b.yaml:workloads.0.input_tokens:inf``.

The text is written in YAML flow style with JSON-quoted strings, so every
mutation survives the trip exactly (``.nan``, ``.inf``, a NUL byte as ``\\u0000``).
"""

from __future__ import annotations

import copy
import datetime as dt
import itertools
import json
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from llmtco.yamlio import load_yaml, to_plain

ROOT = Path(__file__).resolve().parents[1]
SOURCES = [*sorted((ROOT / "examples").glob("*.yaml")), ROOT / "benchmarks" / "scenario-4-options.yaml"]
"""The scenario files the corpus mutates."""

LEAF_VALUES: list[tuple[str, Any]] = [
    ("none", None),
    ("minus1", -1),
    ("zero", 0),
    ("nan", math.nan),
    ("inf", math.inf),
    ("1e308", 1e308),
    ("1e30int", 10**30),
    ("empty", ""),
    ("100kB", "x" * 100_000),
    ("list", []),
    ("dict", {}),
    ("true", True),
    ("NaNstr", "NaN"),
    ("fullwidth", "１２３"),
    ("nul", "a\x00b"),
]
"""Replacement values, each with the short name used in case ids."""

_DELETE = object()


def _emit(x: Any) -> str:
    """YAML 1.2 flow-style text for plain data (JSON-quoted strings, .nan/.inf for non-finite floats)."""
    if x is None:
        return "null"
    if isinstance(x, bool):
        return "true" if x else "false"
    if isinstance(x, int):
        return str(x)
    if isinstance(x, float):
        if math.isnan(x):
            return ".nan"
        if math.isinf(x):
            return ".inf" if x > 0 else "-.inf"
        return repr(x)
    if isinstance(x, dt.date):
        return x.isoformat()
    if isinstance(x, str):
        return json.dumps(x)
    if isinstance(x, dict):
        return "{" + ", ".join(f"{json.dumps(str(k))}: {_emit(v)}" for k, v in x.items()) + "}"
    if isinstance(x, list):
        return "[" + ", ".join(_emit(v) for v in x) + "]"
    raise TypeError(f"cannot emit {type(x).__name__}")


def to_yaml(data: Any) -> str:
    """One mapping per top-level key, one line each (so error positions stay readable)."""
    if not isinstance(data, dict):
        return _emit(data) + "\n"
    return "".join(f"{json.dumps(str(k))}: {_emit(v)}\n" for k, v in data.items())


def _keys(x: Any, loc: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """The location of every mapping key, at every depth, in document order."""
    if isinstance(x, dict):
        for k, v in x.items():
            yield (*loc, k)
            yield from _keys(v, (*loc, k))
    elif isinstance(x, list):
        for i, v in enumerate(x):
            yield from _keys(v, (*loc, i))


def _replace(data: Any, loc: tuple[Any, ...], value: Any) -> Any:
    out = copy.deepcopy(data)
    parent = out
    for part in loc[:-1]:
        parent = parent[part]
    if value is _DELETE:
        del parent[loc[-1]]
    else:
        parent[loc[-1]] = copy.deepcopy(value)
    return out


def _leaf_paths(x: Any, loc: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    if isinstance(x, dict):
        for k, v in x.items():
            yield from _leaf_paths(v, (*loc, k))
    elif isinstance(x, list):
        for i, v in enumerate(x):
            yield from _leaf_paths(v, (*loc, i))
    else:
        yield loc


def mutated_scenarios(limit_per_example: int | None = None) -> Iterator[tuple[str, str]]:
    """``(case_id, yaml_text)`` for every mutation of every example (at most ``limit_per_example`` each).

    The order is deterministic: per file, first every deletion (document order),
    then every leaf with every value of ``LEAF_VALUES``.
    """
    for source in SOURCES:
        data = to_plain(load_yaml(source))
        cases: list[tuple[tuple[Any, ...], str, Any]] = [(loc, "delete", _DELETE) for loc in _keys(data)]
        cases += [(loc, name, value) for loc in _leaf_paths(data) for name, value in LEAF_VALUES]
        for loc, name, value in itertools.islice(cases, limit_per_example):
            path = ".".join(map(str, loc))
            yield f"{source.name}:{path}:{name}", to_yaml(_replace(data, loc, value))


__all__ = ["LEAF_VALUES", "SOURCES", "mutated_scenarios", "to_yaml"]
