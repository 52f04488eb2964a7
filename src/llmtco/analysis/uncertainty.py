"""Uncertain inputs: distributions written in the scenario, and ranges recorded in the catalog.

A numeric field may be written as a distribution:

    requests_per_day: {low: 150000, mode: 200000, high: 300000}   # triangular
    electricity_usd_per_kwh: {p10: 0.07, p90: 0.15}               # lognormal through P10 and P90
    server_price_usd: {min: 220000, max: 290000}                  # uniform

The deterministic breakdown uses the central value (mode, median, midpoint);
``simulate`` and ``sensitivity`` sample it. With ``uncertainty: {catalog_ranges:
true}`` the catalog's recorded ranges (server prices, tariffs, rates) are
sampled too.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

import numpy as np

from llmtco.catalog import Catalog
from llmtco.errors import Issue, ScenarioError
from llmtco.perf.shapes import FloatArray

Z90 = 1.2815515655446004
"""Standard-normal quantile at 0.9."""

SUPPORTED = (
    (r"^assumptions\.discount_rate_pct$", "assumptions:discount_rate_pct"),
    (
        r"^workloads\.(\d+)\.(requests_per_day|growth_pct_per_year|input_tokens|output_tokens|cached_input_fraction)$",
        "workload:{name}:{field}",
    ),
    (
        r"^options\.(\d+)\.(server_price_usd|electricity_usd_per_kwh|pue|target_utilisation_pct|"
        r"price_change_pct_per_year)$",
        "option:{name}:{field}",
    ),
    (r"^options\.(\d+)\.rates\.(\w+)$", "option:{name}:rate:{field}"),
)
"""Scenario fields that may be distributions, and the engine input each one drives."""

SUPPORTED_TEXT = (
    "assumptions.discount_rate_pct, workloads.N.requests_per_day, workloads.N.growth_pct_per_year, "
    "options.N.server_price_usd, options.N.electricity_usd_per_kwh, options.N.pue, "
    "options.N.rates.<rate id>"
)


@dataclass(frozen=True)
class Dist:
    """One uncertain input."""

    key: str
    """Engine input key (see ``engine.Ctx``)."""
    label: str
    """Where it came from, for tables: a scenario path or a catalog record."""
    kind: str
    """triangular | lognormal | uniform."""
    a: float
    b: float
    c: float = 0.0

    @property
    def central(self) -> float:
        if self.kind == "triangular":
            return self.b
        if self.kind == "lognormal":
            return math.sqrt(self.a * self.b)
        return (self.a + self.b) / 2.0

    @property
    def low_high(self) -> tuple[float, float]:
        """P10 and P90, the tornado's swing."""
        q = self.quantiles(np.array([0.1, 0.9]))
        return float(q[0]), float(q[1])

    def quantiles(self, u: FloatArray) -> FloatArray:
        """Inverse CDF at probabilities ``u``."""
        u = np.asarray(u, dtype=float)
        if self.kind == "uniform":
            out: FloatArray = self.a + (self.b - self.a) * u
            return out
        if self.kind == "lognormal":
            from scipy.special import ndtri

            mu = math.log(math.sqrt(self.a * self.b))
            sigma = math.log(self.b / self.a) / (2 * Z90)
            out = np.exp(mu + sigma * ndtri(np.clip(u, 1e-12, 1 - 1e-12)))
            return out
        lo, mode, hi = self.a, self.b, self.c
        if hi <= lo:
            return np.full_like(u, mode)
        f = (mode - lo) / (hi - lo)
        out = np.where(
            u < f, lo + np.sqrt(u * (hi - lo) * (mode - lo)), hi - np.sqrt((1 - u) * (hi - lo) * (hi - mode))
        )
        return out

    def scipy(self) -> Any:
        """The frozen scipy.stats distribution (for Sobol indices)."""
        from scipy import stats

        if self.kind == "uniform":
            return stats.uniform(loc=self.a, scale=max(self.b - self.a, 1e-12))
        if self.kind == "lognormal":
            sigma = math.log(self.b / self.a) / (2 * Z90)
            return stats.lognorm(s=sigma, scale=math.sqrt(self.a * self.b))
        span = max(self.c - self.a, 1e-12)
        return stats.triang(c=(self.b - self.a) / span, loc=self.a, scale=span)


def _dist_from(value: dict[str, Any], path: str) -> tuple[str, float, float, float] | str:
    keys = set(value)
    num = {k: v for k, v in value.items() if isinstance(v, int | float) and not isinstance(v, bool)}
    if len(num) != len(value):
        return "distribution parameters must be numbers"
    if not all(math.isfinite(v) for v in num.values()):
        return "distribution parameters must be finite numbers (not inf or nan)"
    if keys == {"low", "mode", "high"}:
        if not num["low"] <= num["mode"] <= num["high"]:
            return "triangular needs low <= mode <= high"
        return "triangular", num["low"], num["mode"], num["high"]
    if keys == {"p10", "p90"}:
        if not 0 < num["p10"] < num["p90"]:
            return "lognormal needs 0 < p10 < p90"
        return "lognormal", num["p10"], num["p90"], 0.0
    if keys == {"min", "max"}:
        if not num["min"] <= num["max"]:
            return "uniform needs min <= max"
        return "uniform", num["min"], num["max"], 0.0
    return "a distribution is {low, mode, high} (triangular), {p10, p90} (lognormal) or {min, max} (uniform)"


DIST_KEYS = ({"low", "mode", "high"}, {"p10", "p90"}, {"min", "max"})


def extract(data: Any, file: str, node: Any) -> tuple[Any, list[Dist]]:
    """Replace distributions in plain scenario data by their central values; return them as Dists."""
    from llmtco.yamlio import position

    dists: list[Dist] = []
    issues: list[Issue] = []

    def names(kind: str) -> list[str]:
        items = data.get(kind) if isinstance(data, dict) else None
        return [str(x.get("name", i)) if isinstance(x, dict) else str(i) for i, x in enumerate(items or [])]

    def walk(x: Any, loc: tuple[Any, ...]) -> Any:
        if isinstance(x, dict) and x and any(set(x) == k for k in DIST_KEYS):
            path = ".".join(map(str, loc))
            parsed = _dist_from(x, path)
            key = None
            for pattern, template in SUPPORTED:
                m = re.match(pattern, path)
                if m:
                    kind = "workloads" if path.startswith("workloads") else "options"
                    idx = int(m.group(1)) if m.groups() else 0
                    name = names(kind)[idx] if m.groups() and idx < len(names(kind)) else ""
                    key = template.format(name=name, field=m.group(2) if len(m.groups()) > 1 else "")
            line, col = position(node, loc)
            if key is None:
                issues.append(
                    Issue(path, f"this field cannot be a distribution; supported: {SUPPORTED_TEXT}", file, line, col)
                )
                return x
            if isinstance(parsed, str):
                issues.append(Issue(path, parsed, file, line, col))
                return x
            d = Dist(key=key, label=path, kind=parsed[0], a=parsed[1], b=parsed[2], c=parsed[3])
            dists.append(d)
            return d.central
        if isinstance(x, dict):
            return {k: walk(v, (*loc, k)) for k, v in x.items()}
        if isinstance(x, list):
            return [walk(v, (*loc, i)) for i, v in enumerate(x)]
        return x

    clean = walk(data, ())
    if issues:
        raise ScenarioError(issues)
    return clean, dists


def catalog_ranges(sc: Any, cat: Catalog) -> list[Dist]:
    """Uniform/triangular draws over the ranges the catalog records for what the scenario uses."""
    from llmtco.scenario.schema import OnPremOption

    out: list[Dist] = []
    taken = {d.key for d in sc.distributions}
    for o in sc.options:
        if isinstance(o, OnPremOption):
            server = (
                cat.servers.get(o.server)
                if o.server
                else next(s for s in cat.servers if s.accelerator == o.accelerator)
            )
            key = f"option:{o.name}:server_price_usd"
            if o.server_price_usd is None and server.price_range_usd and key not in taken:
                lo, hi = server.price_range_usd
                out.append(Dist(key, f"servers/{server.id}.price_range_usd", "uniform", lo, hi))
            region = cat.regions.get(o.region or sc.assumptions.region)
            key = f"option:{o.name}:electricity_usd_per_kwh"
            if o.electricity_usd_per_kwh is None and region.electricity_usd_per_kwh.range and key not in taken:
                lo, hi = region.electricity_usd_per_kwh.range
                out.append(
                    Dist(
                        key,
                        f"regions/{region.id}.electricity range",
                        "triangular",
                        lo,
                        region.electricity_usd_per_kwh.value,
                        hi,
                    )
                )
    for rate in cat.rates:
        if rate.range and f"rate:{rate.id}" not in taken:
            lo, hi = rate.range
            lo, hi = min(lo, rate.value), max(hi, rate.value)
            out.append(Dist(f"rate:{rate.id}", f"rates/{rate.id}", "triangular", lo, rate.value, hi))
    return out


def inputs(sc: Any, cat: Catalog) -> list[Dist]:
    """Every uncertain input of a scenario."""
    out = list(sc.distributions)
    if sc.uncertainty.catalog_ranges:
        out += catalog_ranges(sc, cat)
    return out


def sample(dists: list[Dist], n: int, rng: np.random.Generator) -> dict[str, FloatArray]:
    return {d.key: d.quantiles(rng.random(n)) for d in dists}
