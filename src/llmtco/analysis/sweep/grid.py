"""Grid files: which scenario inputs a sweep varies, and the variants they expand to.

A grid file (YAML) has one of three modes::

    mode: grid                       # every combination (the default)
    axes:
      options[onprem].server: {preset: servers_that_fit}
      workloads[chat].requests_per_day: {range: [50000, 800000], steps: 5, scale: log}
      assumptions.region: [us-average, de, se]

    mode: list                       # the variants, written out (quote paths with [] in {...})
    variants:
      - {"options[onprem].server": hgx-h100-8, assumptions.region: de}
      - options[onprem].server: hgx-h200-8

    mode: lhs                        # a Latin-hypercube sample of `points` variants
    points: 200
    seed: 1
    axes:
      workloads[chat].requests_per_day: {min: 50000, max: 800000, scale: log}
      assumptions.region: [us-average, de]     # a list is sampled as a category

An axis value may also be ``{values: [...], name: COLUMN}`` to name its result
column (default: the path). ``null`` keeps the scenario's own value. Paths and
value types are checked here (exit 2, naming the path); whether a value is
allowed (ranges, catalog ids) is the scenario loader's call, per variant.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from llmtco.analysis.sweep import paths
from llmtco.analysis.sweep.presets import PRESETS
from llmtco.catalog import Catalog
from llmtco.errors import Issue, ScenarioError, did_you_mean
from llmtco.scenario.schema import Scenario

MODES = ("grid", "list", "lhs")
MAX_VARIANTS = 5_000_000
"""Refuse grids larger than this (a typo in steps should not eat the machine)."""
_TOP = {"mode", "axes", "variants", "points", "seed"}


@dataclass(frozen=True)
class Axis:
    """One varied input."""

    name: str
    """Result column name (the path unless the grid names it)."""
    path: str
    """The grid path as written, e.g. ``options[*].rates.maintenance_pct_per_year``."""
    locs: tuple[paths.Loc, ...]
    """Concrete document locations the path resolves to (``[*]`` gives several)."""
    kind: str
    """number | text | flag | any: the JSON type of the field."""


@dataclass(frozen=True)
class Grid:
    """Axes and the variants they expand to: ``variants[i][j]`` is axis j's value in variant i."""

    mode: str
    axes: tuple[Axis, ...]
    variants: tuple[tuple[Any, ...], ...]
    file: str
    seed: int | None = None
    """The Latin-hypercube seed (lhs mode)."""


def _issue(path: str, message: str, file: str, node: Any, loc: tuple[str | int, ...]) -> ScenarioError:
    from llmtco.yamlio import position

    line, col = position(node, loc)
    return ScenarioError([Issue(path=path, message=message, file=file, line=line, column=col)])


def _number(x: Any) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool)


def _axis_values(
    spec: Any, path: str, axis: Axis, doc: dict[str, Any], sc: Scenario, cat: Catalog
) -> tuple[list[Any], str]:
    """(values, column name) of a grid-mode axis spec; raises ValueError with the reason."""
    name = path
    if isinstance(spec, dict) and "name" in spec:
        name = str(spec["name"])
        spec = {k: v for k, v in spec.items() if k != "name"}
    if isinstance(spec, list):
        values = spec
    elif isinstance(spec, dict) and set(spec) == {"values"} and isinstance(spec["values"], list):
        values = spec["values"]
    elif isinstance(spec, dict) and "preset" in spec:
        preset = str(spec["preset"])
        if preset not in PRESETS:
            raise ValueError(f"unknown preset {preset!r}.{did_you_mean(preset, PRESETS)}")
        values = PRESETS[preset](sc, cat, axis.locs[0])
        if not values:
            raise ValueError(f"preset {preset!r} gives no value for this scenario")
    elif isinstance(spec, dict) and "range" in spec:
        rng = spec["range"]
        steps = spec.get("steps", 5)
        scale = spec.get("scale", "linear")
        if not (isinstance(rng, list) and len(rng) == 2 and all(_number(x) for x in rng)):
            raise ValueError("range is [low, high] (two numbers)")
        if not (isinstance(steps, int) and steps >= 1):
            raise ValueError("steps is a whole number >= 1")
        if scale not in ("linear", "log"):
            raise ValueError("scale is linear or log")
        if scale == "log" and not (rng[0] > 0 and rng[1] > 0):
            raise ValueError("a log range needs low and high > 0")
        arr = np.geomspace(rng[0], rng[1], steps) if scale == "log" else np.linspace(rng[0], rng[1], steps)
        values = [float(x) for x in arr]
        if spec.get("integer", False):
            values = [round(x) for x in values]
    else:
        raise ValueError(
            "an axis is a list of values, {values: [...]}, {range: [low, high], steps: N}, or {preset: NAME}"
        )
    if not values:
        raise ValueError("an axis needs at least one value")
    bad = [v for v in values if not paths.type_ok(axis.kind, v)]
    if bad:
        raise ValueError(f"{bad[0]!r} is not a {axis.kind} (the field takes a {axis.kind})")
    return list(values), name


def _axis(path: str, doc: dict[str, Any], cat: Catalog) -> Axis:
    locs = paths.resolve(path, doc)
    if not locs:
        raise paths.PathError("the path names no element of the scenario")
    kinds = {paths.leaf(doc, loc, cat).kind for loc in locs}
    return Axis(name=path, path=path, locs=tuple(locs), kind=kinds.pop() if len(kinds) == 1 else "any")


def load_grid(file: str | Path, doc: dict[str, Any], sc: Scenario, cat: Catalog) -> Grid:
    """Read a grid file and expand it against the plain scenario ``doc`` (and its parsed form ``sc``)."""
    from llmtco.yamlio import load_yaml, to_plain

    node = load_yaml(file)
    return grid_from(to_plain(node), str(file), doc, sc, cat, node)


def grid_from(data: Any, file: str, doc: dict[str, Any], sc: Scenario, cat: Catalog, node: Any = None) -> Grid:
    """Expand plain grid data (see the module docstring)."""
    if not isinstance(data, dict):
        raise _issue("", "a grid is a mapping with mode and axes (or variants)", file, node, ())
    for key in data:
        if key not in _TOP:
            raise _issue(str(key), f"unknown grid key.{did_you_mean(str(key), _TOP)}", file, node, (key,))
    mode = data.get("mode", "grid")
    if mode not in MODES:
        raise _issue("mode", f"unknown mode {mode!r}. Allowed: {', '.join(MODES)}.", file, node, ("mode",))
    if mode == "list":
        return _list_grid(data, file, doc, cat, node)
    raw_axes = data.get("axes")
    if not isinstance(raw_axes, dict) or not raw_axes:
        raise _issue("axes", "give axes: a mapping of scenario paths to values", file, node, ("axes",))
    axes: list[Axis] = []
    columns: list[list[Any]] = []
    for path, spec in raw_axes.items():
        where = ("axes", path)
        try:
            axis = _axis(str(path), doc, cat)
        except paths.PathError as exc:
            raise _issue(str(path), str(exc), file, node, where) from None
        try:
            if mode == "lhs" and isinstance(spec, dict) and {"min", "max"} <= set(spec):
                values, name = _lhs_range(spec, axis), str(spec.get("name", path))
            else:
                values, name = _axis_values(spec, str(path), axis, doc, sc, cat)
        except ValueError as exc:
            raise _issue(str(path), str(exc), file, node, where) from None
        axes.append(Axis(name=name, path=axis.path, locs=axis.locs, kind=axis.kind))
        columns.append(values)
    names = [a.name for a in axes]
    if len(set(names)) != len(names):
        raise _issue("axes", "axis names must be unique", file, node, ("axes",))
    if mode == "grid":
        total = math.prod(len(c) for c in columns)
        if total > MAX_VARIANTS:
            raise _issue("axes", f"{total:,} variants; the limit is {MAX_VARIANTS:,}", file, node, ("axes",))
        variants = tuple(itertools.product(*columns))
        return Grid(mode=mode, axes=tuple(axes), variants=variants, file=file)
    return _lhs(data, file, node, axes, columns)


def _lhs_range(spec: dict[str, Any], axis: Axis) -> list[Any]:
    lo, hi = spec["min"], spec["max"]
    if not (_number(lo) and _number(hi) and lo <= hi):
        raise ValueError("min and max are numbers with min <= max")
    if axis.kind not in ("number", "any"):
        raise ValueError(f"a {{min, max}} range needs a number field; this one takes a {axis.kind}")
    scale = spec.get("scale", "linear")
    if scale not in ("linear", "log") or (scale == "log" and lo <= 0):
        raise ValueError("scale is linear or log (log needs min > 0)")
    # a range is kept as its description; _lhs draws inside it
    return [("__range__", float(lo), float(hi), scale, bool(spec.get("integer", False)))]


def _lhs(data: dict[str, Any], file: str, node: Any, axes: list[Axis], columns: list[list[Any]]) -> Grid:
    from scipy.stats import qmc

    points, seed = data.get("points"), data.get("seed", 0)
    if not (isinstance(points, int) and not isinstance(points, bool) and 1 <= points <= MAX_VARIANTS):
        raise _issue("points", f"lhs needs points: a whole number from 1 to {MAX_VARIANTS:,}", file, node, ("points",))
    if not (isinstance(seed, int) and not isinstance(seed, bool) and seed >= 0):
        raise _issue("seed", "seed is a whole number >= 0", file, node, ("seed",))
    u = qmc.LatinHypercube(d=len(axes), seed=np.random.default_rng(seed)).random(points)
    out: list[list[Any]] = []
    for j, values in enumerate(columns):
        if len(values) == 1 and isinstance(values[0], tuple) and values[0][0] == "__range__":
            _, lo, hi, scale, integer = values[0]
            x = np.exp(np.log(lo) + u[:, j] * (np.log(hi) - np.log(lo))) if scale == "log" else lo + u[:, j] * (hi - lo)
            out.append([round(float(v)) if integer else float(v) for v in x])
        else:
            idx = np.minimum((u[:, j] * len(values)).astype(int), len(values) - 1)
            out.append([values[i] for i in idx])
    variants = tuple(zip(*out, strict=True))
    return Grid(mode="lhs", axes=tuple(axes), variants=variants, file=file, seed=seed)


def _list_grid(data: dict[str, Any], file: str, doc: dict[str, Any], cat: Catalog, node: Any) -> Grid:
    rows = data.get("variants")
    if not isinstance(rows, list) or not rows:
        msg = "list mode needs variants: a list of {path: value} mappings"
        raise _issue("variants", msg, file, node, ("variants",))
    axes: dict[str, Axis] = {}
    for i, row in enumerate(rows):
        if not isinstance(row, dict) or not row:
            raise _issue(f"variants.{i}", "a variant is a mapping of paths to values", file, node, ("variants", i))
        for path, value in row.items():
            where = ("variants", i, path)
            if path not in axes:
                try:
                    axes[path] = _axis(str(path), doc, cat)
                except paths.PathError as exc:
                    raise _issue(str(path), str(exc), file, node, where) from None
            if not paths.type_ok(axes[path].kind, value):
                msg = f"{value!r} is not a {axes[path].kind} (the field takes a {axes[path].kind})"
                raise _issue(str(path), msg, file, node, where)
    order = list(axes)
    variants = tuple(tuple(row.get(p) for p in order) for row in rows)
    return Grid(mode="list", axes=tuple(axes[p] for p in order), variants=variants, file=file)
