"""The plan's monthly figures for one option, from the engine's Run and Result.

The Result carries monthly line items; tokens and requests come from the Run's
demands and energy from its outcome. GPU-hours are horizon totals in the
engine, so the monthly plan rebuilds them from the ledger: provisioned GPU-hours
from the servers in service (the ``racks_installation`` purchases, bought again
at end of life) or from the rented GPU-hours (``cloud_compute`` amount / price
after the price trend);
busy GPU-hours in proportion to the month's tokens (the engine's busy time
scales with load at a fixed operating point). Each rebuild is checked against
the engine's horizon total; where it does not match, the total is apportioned by
hours × the running maximum of the month's average load, and a note says so.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from llmtco.arrays import first
from llmtco.catalog import Catalog
from llmtco.costing.finance import in_service
from llmtco.engine import evaluate, run
from llmtco.errors import ActualsError, did_you_mean
from llmtco.result import OptionResult, Result
from llmtco.scenario.schema import Scenario


@dataclass
class Plan:
    """Monthly planned figures of one option over the horizon (index 0 = the scenario's first month)."""

    result: Result
    option: OptionResult
    months: list[str]
    """YYYY-MM of each horizon month."""
    input_tokens: np.ndarray
    output_tokens: np.ndarray
    requests: np.ndarray
    busy_gpu_hours: np.ndarray | None
    gpu_hours: np.ndarray | None
    energy_kwh: np.ndarray | None
    """IT energy × PUE [kWh] per month."""
    items: dict[str, tuple[str, np.ndarray]]
    """Item → (category, monthly USD)."""
    notes: list[str]
    """How the monthly figures were derived where the engine gives horizon totals only."""

    def index(self, month: str) -> int | None:
        return self.months.index(month) if month in self.months else None


def horizon_months(start_year: int, start_month: int, n: int) -> list[str]:
    out = []
    y, m = start_year, start_month
    for _ in range(n):
        out.append(f"{y:04d}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def plan_for(sc: Scenario, cat: Catalog, option: str) -> Plan:
    names = [o.name for o in sc.options]
    if option not in names:
        raise ActualsError(f"--option: no option {option!r} in the scenario.{did_you_mean(option, names)}")
    result = evaluate(sc, cat)
    opt = result.option(option)
    if opt.excluded:
        raise ActualsError(f"--option {option}: the plan excludes this option ({opt.reason}); nothing to compare")
    r = run(sc, cat)
    outcome = r.outcomes[option]
    start = sc.assumptions.start_date
    months = horizon_months(start.year, start.month, sc.assumptions.horizon_months)
    inp = np.sum([d.input_tokens[0] for d in r.demands], axis=0)
    out = np.sum([d.output_tokens[0] for d in r.demands], axis=0)
    req = np.sum([d.requests[0] for d in r.demands], axis=0)
    busy = gpu_h = None
    notes: list[str] = []
    busy_total = None if outcome.busy_gpu_h is None else first(outcome.busy_gpu_h)
    provisioned_total = None if outcome.provisioned_gpu_h is None else first(outcome.provisioned_gpu_h)
    if busy_total is not None and provisioned_total:
        share = out / max(float(out.sum()), 1e-12)
        busy = busy_total * share
        gpu_h = _ledger_gpu_hours(sc, cat, opt, r.days)
        if gpu_h is None or abs(float(gpu_h.sum()) / provisioned_total - 1.0) > 5e-3:
            rps = np.sum([d.rps_avg[0] for d in r.demands], axis=0)
            shape = np.maximum.accumulate(rps) * r.days * 24.0
            gpu_h = provisioned_total * shape / max(float(shape.sum()), 1e-12)
            notes.append("plan GPU-hours per month apportioned from the horizon total by hours x running peak load")
    energy = None if outcome.energy_kwh is None else np.asarray(outcome.energy_kwh[0], dtype=float)
    items: dict[str, tuple[str, np.ndarray]] = {}
    for li in opt.line_items:
        cat_, arr = items.get(li.item, (li.category, np.zeros(len(months))))
        items[li.item] = (cat_, arr + np.asarray(li.monthly_usd, dtype=float))
    return Plan(result, opt, months, inp, out, req, busy, gpu_h, energy, items, notes)


def _ledger_gpu_hours(sc: Scenario, cat: Catalog, opt: OptionResult, days: np.ndarray) -> np.ndarray | None:
    """Provisioned GPU-hours per month from the servers in service or the rented GPU-hours."""
    items = {li.item: li for li in opt.line_items}
    sizing = opt.sizing
    if opt.kind == "onprem" and "racks_installation" in items and sizing is not None and sizing.servers:
        bought = items["racks_installation"].monthly_quantity  # servers installed per month, refreshes included
        if bought is None:
            return None
        o = next(x for x in sc.options if x.name == opt.name)
        life = round(12 * (getattr(o, "hardware_life_years", None) or cat.rate("hardware_life_years")))
        owned = in_service(np.asarray(bought, dtype=float)[None, :], 0, life)[0]
        out: np.ndarray = owned * (sizing.gpus / sizing.servers) * days * 24.0
        return out
    if opt.kind == "cloud_gpu" and "cloud_compute" in items:
        rented = items["cloud_compute"].monthly_quantity  # GPU-hours per month
        return None if rented is None else np.asarray(rented, dtype=float)
    return None
