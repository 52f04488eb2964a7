"""Monte Carlo: the same vectorised engine over N samples of every uncertain input (no loop per sample)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np

from llmtco.analysis.uncertainty import Dist, inputs, sample
from llmtco.catalog import Catalog
from llmtco.costing.finance import breakeven_from_cumulative
from llmtco.engine import Ctx, run
from llmtco.perf.shapes import FloatArray
from llmtco.scenario.schema import Scenario

CHUNK = 4_000
"""Samples per engine call: bounds memory (the hourly arrays are samples x months x 24)."""


def _pct(x: FloatArray) -> dict[str, float | None]:
    finite = x[np.isfinite(x)]
    if finite.size == 0:
        return {"p10": None, "p50": None, "p90": None, "mean": None}
    p10, p50, p90 = np.percentile(finite, [10, 50, 90])
    return {"p10": float(p10), "p50": float(p50), "p90": float(p90), "mean": float(finite.mean())}


@dataclass
class Simulation:
    samples: int
    seed: int
    inputs: list[Dist]
    totals: dict[str, FloatArray]
    npvs: dict[str, FloatArray]
    per_mtok: dict[str, FloatArray]
    breakeven: dict[tuple[str, str], FloatArray]
    excluded: dict[str, str]

    def summary(self) -> dict[str, Any]:
        names = list(self.totals)
        stacked = np.vstack([self.totals[n] for n in names]) if names else np.zeros((0, self.samples))
        winner = np.argmin(stacked, axis=0) if names else np.zeros(0, dtype=int)
        options = {}
        for i, n in enumerate(names):
            options[n] = {
                "total_cost_usd": _pct(self.totals[n]),
                "npv_usd": _pct(self.npvs[n]),
                "cost_per_mtok_usd": _pct(self.per_mtok[n]),
                "probability_cheapest": float(np.mean(winner == i)) if names else 0.0,
            }
        be = {}
        for (a, b), months in self.breakeven.items():
            never = ~np.isfinite(months)
            be[f"{a} vs {b}"] = {**_pct(np.where(never, np.nan, months)), "probability_never": float(np.mean(never))}
        return {
            "samples": self.samples,
            "seed": self.seed,
            "inputs": [
                {
                    "key": d.key,
                    "from": d.label,
                    "distribution": d.kind,
                    "params": [d.a, d.b, d.c][: 3 if d.kind == "triangular" else 2],
                }
                for d in self.inputs
            ],
            "options": options,
            "breakeven_month": be,
            "excluded": [{"name": n, "reason": r} for n, r in self.excluded.items()],
        }


def simulate(
    sc: Scenario,
    cat: Catalog,
    samples: int,
    seed: int,
    progress: Callable[[int], None] | None = None,
    chunk: int = CHUNK,
    workers: int = 2,
) -> Simulation:
    """Sample every uncertain input ``samples`` times and evaluate all options on each sample."""
    dists = inputs(sc, cat)
    rng = np.random.default_rng(seed)
    totals: dict[str, list[FloatArray]] = {}
    npvs: dict[str, list[FloatArray]] = {}
    per_mtok: dict[str, list[FloatArray]] = {}
    be: dict[tuple[str, str], list[FloatArray]] = {}
    excluded: dict[str, str] = {}
    sizes = [min(chunk, samples - start) for start in range(0, samples, chunk)]
    # independent streams per chunk: the result does not depend on thread scheduling
    streams = rng.spawn(len(sizes))
    lock = threading.Lock()

    def one(
        i: int,
    ) -> tuple[
        int, dict[str, tuple[FloatArray, FloatArray, FloatArray]], dict[tuple[str, str], FloatArray], dict[str, str]
    ]:
        n = sizes[i]
        r = run(sc, cat, Ctx(samples=n, draws=sample(dists, n, streams[i])))
        names = list(r.outcomes)
        per = {name: (r.total(name), r.npv(name), r.per_mtok(name)) for name in names}
        cums = {n_: np.cumsum(r.monthly(n_), axis=-1) for n_ in names}
        pairs = {(a, b): breakeven_from_cumulative(cums[a], cums[b]) for a in names for b in names if a != b}
        if progress is not None:
            with lock:
                progress(n)
        return i, per, pairs, r.excluded

    with ThreadPoolExecutor(max_workers=max(1, min(workers, len(sizes)))) as pool:
        parts = sorted(pool.map(one, range(len(sizes))), key=lambda x: x[0])
    for _, per, pairs, excl in parts:
        excluded = excl
        for name, (t, v, m) in per.items():
            totals.setdefault(name, []).append(t)
            npvs.setdefault(name, []).append(v)
            per_mtok.setdefault(name, []).append(m)
        for key, months in pairs.items():
            be.setdefault(key, []).append(months)
    cat_ = np.concatenate
    return Simulation(
        samples=samples,
        seed=seed,
        inputs=dists,
        totals={k: cat_(v) for k, v in totals.items()},
        npvs={k: cat_(v) for k, v in npvs.items()},
        per_mtok={k: cat_(v) for k, v in per_mtok.items()},
        breakeven={k: np.where(np.isnan(cat_(v)), np.inf, cat_(v)) for k, v in be.items()},
        excluded=excluded,
    )
