"""Sensitivity: one-at-a-time tornado swings, and Sobol indices over the vectorised engine."""

from __future__ import annotations

from typing import Any

import numpy as np

from llmtco.analysis.uncertainty import Dist, inputs
from llmtco.catalog import Catalog
from llmtco.engine import Ctx, run
from llmtco.errors import UsageError
from llmtco.perf.shapes import FloatArray
from llmtco.scenario.schema import Scenario


def _leaders(sc: Scenario, cat: Catalog) -> tuple[list[str], str | None, str | None]:
    base = run(sc, cat)
    names = sorted(base.outcomes, key=lambda n: float(base.total(n)[0]))
    return names, (names[0] if names else None), (names[1] if len(names) > 1 else None)


def tornado(sc: Scenario, cat: Catalog) -> dict[str, Any]:
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
    rows = []
    for i, d in enumerate(dists):
        lo, hi = d.low_high
        row: dict[str, Any] = {"input": d.label, "key": d.key, "low": lo, "high": hi, "options": {}}
        for name in names:
            t = totals[name]
            row["options"][name] = {
                "base": float(t[0]),
                "at_low": float(t[1 + 2 * i]),
                "at_high": float(t[2 + 2 * i]),
                "swing": float(abs(t[2 + 2 * i] - t[1 + 2 * i])),
            }
        if first and second:
            diff = totals[second] - totals[first]
            row["leading_difference"] = {
                "base": float(diff[0]),
                "at_low": float(diff[1 + 2 * i]),
                "at_high": float(diff[2 + 2 * i]),
                "swing": float(abs(diff[2 + 2 * i] - diff[1 + 2 * i])),
            }
        rows.append(row)
    key = (
        (lambda r_: r_["leading_difference"]["swing"])
        if first and second
        else (lambda r_: max(o["swing"] for o in r_["options"].values()))
    )
    rows.sort(key=key, reverse=True)
    return {"method": "tornado", "leaders": [first, second], "inputs": rows}


def sobol(sc: Scenario, cat: Catalog, samples: int = 1024, seed: int = 0) -> dict[str, Any]:
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
    rows: list[dict[str, Any]] = []
    for i, d in enumerate(dists):
        rows.append(
            {
                "input": d.label,
                "key": d.key,
                "first_order": {o: float(res.first_order[j, i]) for j, o in enumerate(outputs)},
                "total_order": {o: float(res.total_order[j, i]) for j, o in enumerate(outputs)},
            }
        )
    target = outputs[-1]
    rows.sort(key=lambda r_: -r_["total_order"][target])
    return {
        "method": "sobol",
        "base_samples": n,
        "evaluations": n * (len(dists) + 2),
        "seed": seed,
        "leaders": [first, second],
        "inputs": rows,
    }
