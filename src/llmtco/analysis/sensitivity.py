"""Sensitivity: one-at-a-time tornado swings, and Sobol indices over the vectorised engine.

Both follow one contract, after SALib's analysers: ``(scenario, catalog, *,
...) -> XResult``, a documented dataclass whose ``to_dict()`` is the JSON
document; ``llmtco.report.analysis`` renders them as tables.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from llmtco.analysis.uncertainty import Dist, inputs
from llmtco.arrays import FloatArray
from llmtco.catalog import Catalog
from llmtco.engine import Ctx, run
from llmtco.errors import UsageError
from llmtco.scenario.schema import Scenario


@dataclass(frozen=True)
class Swing:
    """A total as one input goes from its P10 to its P90, the others at their central values [USD]."""

    base: float
    at_low: float
    at_high: float
    swing: float
    """|at_high - at_low| [USD]."""


@dataclass(frozen=True)
class TornadoRow:
    input: str
    """Where the input came from (scenario path or catalog record)."""
    key: str
    """Engine input key."""
    low: float
    """The input's P10, in its own unit."""
    high: float
    """The input's P90, in its own unit."""
    options: dict[str, Swing]
    """Each option's total cost."""
    leading_difference: Swing | None
    """Total of the runner-up minus total of the cheapest option (None with fewer than two options)."""


@dataclass
class TornadoResult:
    """One-at-a-time swings, the input that moves the leaders' difference most first."""

    leaders: tuple[str | None, str | None]
    """Cheapest and runner-up option at the central values."""
    inputs: list[TornadoRow]
    method: str = "tornado"

    def to_dict(self) -> dict[str, Any]:
        rows = []
        for r in self.inputs:
            row: dict[str, Any] = {
                "input": r.input,
                "key": r.key,
                "low": r.low,
                "high": r.high,
                "options": {n: asdict(v) for n, v in r.options.items()},
            }
            if r.leading_difference is not None:
                row["leading_difference"] = asdict(r.leading_difference)
            rows.append(row)
        return {"method": self.method, "leaders": list(self.leaders), "inputs": rows}


@dataclass(frozen=True)
class SobolRow:
    input: str
    key: str
    first_order: dict[str, float]
    """Share of the output's variance this input explains alone, per output [0-1]."""
    total_order: dict[str, float]
    """Share including its interactions with other inputs, per output [0-1]."""


@dataclass
class SobolResult:
    """First- and total-order Sobol indices of each option's total and of the leaders' difference."""

    base_samples: int
    evaluations: int
    """Engine evaluations spent (base samples x (inputs + 2))."""
    seed: int
    leaders: tuple[str | None, str | None]
    inputs: list[SobolRow]
    method: str = "sobol"

    def to_dict(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "base_samples": self.base_samples,
            "evaluations": self.evaluations,
            "seed": self.seed,
            "leaders": list(self.leaders),
            "inputs": [asdict(r) for r in self.inputs],
        }


def _leaders(sc: Scenario, cat: Catalog) -> tuple[list[str], str | None, str | None]:
    base = run(sc, cat)
    names = sorted(base.outcomes, key=lambda n: float(base.total(n)[0]))
    return names, (names[0] if names else None), (names[1] if len(names) > 1 else None)


def tornado(sc: Scenario, cat: Catalog) -> TornadoResult:
    """Swing of each option's total (and of the two leaders' difference) from each input's P10 to P90."""
    dists = inputs(sc, cat)
    if not dists:
        raise UsageError("no uncertain inputs: write a distribution in the scenario or set uncertainty.catalog_ranges")
    names, first, second = _leaders(sc, cat)
    k = len(dists)
    n = 1 + 2 * k
    draws = {d.key: np.full(n, d.central) for d in dists}
    for i, d in enumerate(dists):
        lo, hi = d.low_high
        draws[d.key][1 + 2 * i] = lo
        draws[d.key][2 + 2 * i] = hi
    r = run(sc, cat, Ctx(samples=n, draws=draws))
    totals = {name: r.total(name) for name in names}

    def swing(t: FloatArray, i: int) -> Swing:
        lo_, hi_ = float(t[1 + 2 * i]), float(t[2 + 2 * i])
        return Swing(float(t[0]), lo_, hi_, abs(hi_ - lo_))

    rows = []
    for i, d in enumerate(dists):
        lo, hi = d.low_high
        leading = swing(totals[second] - totals[first], i) if first and second else None
        rows.append(TornadoRow(d.label, d.key, lo, hi, {n: swing(totals[n], i) for n in names}, leading))

    def order(row: TornadoRow) -> float:
        if row.leading_difference is not None:
            return row.leading_difference.swing
        return max((o.swing for o in row.options.values()), default=0.0)

    rows.sort(key=order, reverse=True)
    return TornadoResult((first, second), rows)


def sobol(sc: Scenario, cat: Catalog, *, samples: int = 1024, seed: int = 0) -> SobolResult:
    """First- and total-order Sobol indices (scipy.stats.sobol_indices) of each option's total and of the
    leading difference."""
    from scipy.stats import sobol_indices

    dists: list[Dist] = inputs(sc, cat)
    if not dists:
        raise UsageError("no uncertain inputs: write a distribution in the scenario or set uncertainty.catalog_ranges")
    n = 1 << max(int(np.ceil(np.log2(max(samples, 8)))), 3)
    names, first, second = _leaders(sc, cat)
    outputs = [*names] + (["leading_difference"] if first and second else [])

    def func(x: FloatArray) -> FloatArray:
        m = x.shape[1]
        out = np.empty((len(outputs), m))
        for start in range(0, m, 20_000):
            stop = min(m, start + 20_000)
            draws = {d.key: x[i, start:stop] for i, d in enumerate(dists)}
            r = run(sc, cat, Ctx(samples=stop - start, draws=draws))
            for j, name in enumerate(names):
                out[j, start:stop] = r.total(name)
            if first and second:
                out[-1, start:stop] = r.total(second) - r.total(first)
        return out

    res = sobol_indices(func=func, n=n, dists=[d.scipy() for d in dists], rng=np.random.default_rng(seed))
    # scipy returns (outputs, inputs) arrays, flattened to (inputs,) when there is one output
    s1 = np.asarray(res.first_order).reshape(len(outputs), len(dists))
    st = np.asarray(res.total_order).reshape(len(outputs), len(dists))
    rows = [
        SobolRow(
            d.label,
            d.key,
            {o: float(s1[j, i]) for j, o in enumerate(outputs)},
            {o: float(st[j, i]) for j, o in enumerate(outputs)},
        )
        for i, d in enumerate(dists)
    ]
    target = outputs[-1]
    rows.sort(key=lambda r_: -r_.total_order[target])
    return SobolResult(n, n * (len(dists) + 2), seed, (first, second), rows)
