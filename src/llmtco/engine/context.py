"""The sampled-input context of one engine run, and catalog rates read through it.

Every numeric input the engine reads goes through ``Ctx.draw``: a plain
evaluation gets the scenario or catalog value as an (S,) array, a Monte Carlo
run gets the sampled values. Keys are listed on ``Ctx``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from llmtco.arrays import FloatArray
from llmtco.catalog import Catalog
from llmtco.scenario.schema import ApiOption, CloudGpuOption, OnPremOption


@dataclass
class Ctx:
    """Sample count and sampled inputs for one evaluation.

    ``draws`` maps an input key to an (S,) array of sampled values; inputs not
    drawn take their scenario or catalog value. Keys:
    ``rate:<rate id>``, ``option:<name>:<field>`` (server_price_usd,
    electricity_usd_per_kwh, pue, usd_per_gpu_h, token_price_factor),
    ``workload:<name>:<field>`` (requests_per_day, growth_pct_per_year),
    ``assumptions:discount_rate_pct``, ``efficiency:<accelerator>:<factor>``,
    ``volume_scale`` (multiplies every inference workload's requests).
    """

    samples: int = 1
    draws: dict[str, FloatArray] = field(default_factory=dict)

    def draw(self, key: str, default: float) -> FloatArray:
        if key in self.draws:
            return np.asarray(self.draws[key], dtype=float).reshape(self.samples)
        return np.full(self.samples, float(default))


class Rates:
    """Catalog rates with per-option overrides, as (S,) arrays (sampled where the context draws them)."""

    def __init__(self, catalog: Catalog, overrides: dict[str, float], ctx: Ctx, option: str = "") -> None:
        self.catalog, self.overrides, self.ctx, self.samples = catalog, overrides, ctx, ctx.samples
        self.option = option

    def __call__(self, key: str) -> FloatArray:
        value = self.overrides.get(key, self.catalog.rate(key))
        if self.option and f"option:{self.option}:rate:{key}" in self.ctx.draws:
            return self.ctx.draw(f"option:{self.option}:rate:{key}", value)
        if key in self.overrides:
            return self.ctx.draw("", value)
        return self.ctx.draw(f"rate:{key}", value)

    def scalar(self, key: str) -> float:
        return float(self(key)[0])


@dataclass(frozen=True)
class Staff:
    """Who runs an option: loaded salary per engineer [USD/year], a base headcount [FTE] and, where
    staffing scales with the fleet, machines one engineer looks after [servers or instances / FTE]."""

    salary_usd_per_year: FloatArray
    fte_base: FloatArray
    machines_per_fte: FloatArray | None


def staff(
    o: OnPremOption | CloudGpuOption | ApiOption,
    rates: Rates,
    region_salary_usd_per_year: float,
    base_rate: str,
    per_fte_rate: str | None = None,
) -> Staff:
    """An option's staffing: its own ``staffing:`` overrides where given, else the catalog rates named."""
    s = o.staffing
    salary = np.full(
        rates.samples, s.salary_usd_per_year if s.salary_usd_per_year is not None else region_salary_usd_per_year
    )
    base = np.full(rates.samples, s.fte_base) if s.fte_base is not None else rates(base_rate)
    per: FloatArray | None = None
    if per_fte_rate is not None:
        per = np.full(rates.samples, s.servers_per_fte) if s.servers_per_fte is not None else rates(per_fte_rate)
    return Staff(salary * rates("salary_overhead_factor"), base, per)
