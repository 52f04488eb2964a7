"""Distributions written in scenario fields.

A numeric field may be written as a distribution:

    requests_per_day: {low: 150000, mode: 200000, high: 300000}   # triangular
    electricity_usd_per_kwh: {p10: 0.07, p90: 0.15}               # lognormal through P10 and P90
    server_price_usd: {min: 220000, max: 290000}                  # uniform

The loader replaces each by its central value (mode, median, midpoint) before
validation and keeps the ``Dist`` on the scenario (``Scenario.distributions``);
``simulate`` and ``sensitivity`` sample them (``llmtco.analysis.uncertainty``).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

import numpy as np

from llmtco.arrays import FloatArray
from llmtco.errors import Issue, ScenarioError
from llmtco.yamlio import position

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
