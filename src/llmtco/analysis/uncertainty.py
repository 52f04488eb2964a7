"""Uncertain inputs: distributions written in the scenario (``scenario.distributions``), and ranges
recorded in the catalog.

The deterministic breakdown uses each distribution's central value (mode,
median, midpoint); ``simulate`` and ``sensitivity`` sample it. With ``uncertainty: {catalog_ranges:
true}`` the catalog's recorded ranges (server prices, tariffs, rates) are
sampled too.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from llmtco.arrays import FloatArray
from llmtco.catalog import Catalog
from llmtco.engine.adapters import resolve_server
from llmtco.scenario.distributions import Dist

__all__ = ["Dist", "catalog_ranges", "inputs", "sample"]


def catalog_ranges(sc: Any, cat: Catalog) -> list[Dist]:
    """Uniform/triangular draws over the ranges the catalog records for what the scenario uses."""
    from llmtco.scenario.schema import OnPremOption

    out: list[Dist] = []
    taken = {d.key for d in sc.distributions}
    for o in sc.options:
        if isinstance(o, OnPremOption):
            server = resolve_server(cat, o.server, o.accelerator)
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
