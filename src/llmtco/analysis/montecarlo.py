"""Monte Carlo: the same vectorised engine over N samples of every uncertain input (no loop per sample)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from llmtco.analysis.uncertainty import Dist, inputs, sample
from llmtco.arrays import FloatArray
from llmtco.catalog import Catalog
from llmtco.costing.finance import breakeven_from_cumulative
from llmtco.engine import Ctx, run
from llmtco.scenario.schema import Scenario

CHUNK = 4_000
"""Samples per engine call: bounds memory (the hourly arrays are samples x months x 24)."""


@dataclass(frozen=True)
class Percentiles:
    """P10, P50, P90 and mean of a sampled quantity, in the quantity's unit (None: no finite sample)."""

    p10: float | None
    p50: float | None
    p90: float | None
    mean: float | None

    @classmethod
    def of(cls, x: FloatArray) -> Percentiles:
        finite = x[np.isfinite(x)]
        if finite.size == 0:
            return cls(None, None, None, None)
        p10, p50, p90 = np.percentile(finite, [10, 50, 90])
        return cls(float(p10), float(p50), float(p90), float(finite.mean()))


@dataclass(frozen=True)
class OptionRange:
    """One option's spread over the samples."""

    total_cost_usd: Percentiles
    """Total cost over the horizon [USD]."""
    npv_usd: Percentiles
    """Net present value of the costs [USD]."""
    cost_per_mtok_usd: Percentiles
    """Total cost per million tokens served, input + output [USD/Mtok]."""
    probability_cheapest: float
    """Share of samples in which this option has the lowest total [0-1]."""


@dataclass(frozen=True)
class BreakevenRange:
    """Break-even month of one option against another over the samples."""

    months: Percentiles
    """Month from which the first option's cumulative cost stays at or below the other's [month],
    over the samples where that happens within the horizon."""
    probability_never: float
    """Share of samples in which it does not happen within the horizon [0-1]."""


@dataclass(frozen=True)
class UncertainInput:
    """One sampled input."""

    key: str
    """Engine input key (``engine.Ctx``)."""
    source: str
    """Where it came from: a scenario path or a catalog record."""
    distribution: str
    """triangular, lognormal or uniform."""
    params: list[float]
    """(low, mode, high), (p10, p90) or (min, max), in the input's unit."""


@dataclass
class SimulationResult:
    """What ``llmtco simulate`` reports: the spread of every option's cost over the sampled inputs."""

    samples: int
    seed: int
    inputs: list[UncertainInput]
    options: dict[str, OptionRange]
    breakeven_month: dict[str, BreakevenRange]
    """Keyed ``"<option> vs <other>"``."""
    excluded: dict[str, str] = field(default_factory=dict)
    """Option name → why it was excluded."""
    scenario: str = ""

    def to_dict(self) -> dict[str, Any]:
        """The JSON document (``simulate --format json``)."""
        return {
            "samples": self.samples,
            "seed": self.seed,
            "inputs": [
                {"key": i.key, "from": i.source, "distribution": i.distribution, "params": i.params}
                for i in self.inputs
            ],
            "options": {n: asdict(o) for n, o in self.options.items()},
            "breakeven_month": {
                k: {**asdict(b.months), "probability_never": b.probability_never}
                for k, b in self.breakeven_month.items()
            },
            "excluded": [{"name": n, "reason": r} for n, r in self.excluded.items()],
            "scenario": self.scenario,
        }


@dataclass
class Simulation:
    """Every sample's totals, NPVs, costs per Mtok and break-even months (the raw arrays)."""

    samples: int
    seed: int
    inputs: list[Dist]
    totals: dict[str, FloatArray]
    npvs: dict[str, FloatArray]
    per_mtok: dict[str, FloatArray]
    breakeven: dict[tuple[str, str], FloatArray]
    excluded: dict[str, str]

    def summary(self, scenario: str = "") -> SimulationResult:
        names = list(self.totals)
        stacked = np.vstack([self.totals[n] for n in names]) if names else np.zeros((0, self.samples))
        winner = np.argmin(stacked, axis=0) if names else np.zeros(0, dtype=int)
        options = {
            n: OptionRange(
                Percentiles.of(self.totals[n]),
                Percentiles.of(self.npvs[n]),
                Percentiles.of(self.per_mtok[n]),
                float(np.mean(winner == i)),
            )
            for i, n in enumerate(names)
        }
        be = {}
        for (a, b), months in self.breakeven.items():
            never = ~np.isfinite(months)
            be[f"{a} vs {b}"] = BreakevenRange(Percentiles.of(np.where(never, np.nan, months)), float(np.mean(never)))
        return SimulationResult(
            samples=self.samples,
            seed=self.seed,
            inputs=[
                UncertainInput(d.key, d.label, d.kind, [d.a, d.b, d.c][: 3 if d.kind == "triangular" else 2])
                for d in self.inputs
            ],
            options=options,
            breakeven_month=be,
            excluded=dict(self.excluded),
            scenario=scenario,
        )


def simulate(
    sc: Scenario,
    cat: Catalog,
    *,
    samples: int,
    seed: int,
    progress: Callable[[int], None] | None = None,
    chunk: int = CHUNK,
    workers: int = 2,
) -> SimulationResult:
    """Sample every uncertain input ``samples`` times, evaluate all options on each sample, and summarise."""
    return sample_costs(sc, cat, samples=samples, seed=seed, progress=progress, chunk=chunk, workers=workers).summary(
        sc.name
    )


def sample_costs(
    sc: Scenario,
    cat: Catalog,
    *,
    samples: int,
    seed: int,
    progress: Callable[[int], None] | None = None,
    chunk: int = CHUNK,
    workers: int = 2,
) -> Simulation:
    """Every sample's costs (the arrays behind ``simulate``)."""
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
