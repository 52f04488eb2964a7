"""Plan against actual, month by month, and the variance split into volume, efficiency, utilisation and price.

Actual cost of a month = the bill and ledger records booked to it, plus (on-prem)
the energy measured by the telemetry at the tariff, unless the ledger books
energy itself. Only items with an actual are compared ("like for like"); planned
items that no source reported are listed as missing, never counted as zero.
"""

from __future__ import annotations

import calendar
import datetime as dt
import math
from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np

from llmtco.analysis.actuals.model import (
    ActualsResult,
    CostRecord,
    ItemComparison,
    MonthComparison,
    MonthTelemetry,
    Problem,
    Telemetry,
    Variance,
)
from llmtco.analysis.actuals.plan import Plan, horizon_months
from llmtco.analysis.actuals.telemetry import month_of
from llmtco.perf.power import host_power_w, wall_power_w

ENERGY_ITEMS = ("energy_it", "energy_cooling")
TELEMETRY_KEYS = (
    "input_tokens", "output_tokens", "tokens", "requests", "gpu_hours", "busy_gpu_hours",
    "utilisation_pct", "gpu_util_dcgm_pct", "energy_kwh", "gpu_power_w", "gpu_memory_used_gib",
)  # fmt: skip
"""Measured figures of a month (each None when not measured)."""


@dataclass
class EnergyRates:
    """How measured GPU energy becomes facility energy and its cost."""

    pue: float
    tariff_usd_per_kwh: float | None
    """None: the option pays no electricity (cloud, API): energy is shown, not costed."""
    host_w_per_gpu: float
    """Non-GPU server power per GPU at full load, added to the measured GPU power [W] (estimate: DCGM does not
    meter it); scaled with the GPUs' busy share by ``perf.power.host_power_w``, as the engine does."""
    notes: list[str] = field(default_factory=list)


def months_between(start: dt.date, end: dt.date) -> list[tuple[str, float]]:
    """(YYYY-MM, share of the month inside [start, end]) for each month touched; ``end`` inclusive."""
    out = []
    for key in horizon_months(start.year, start.month, (end.year - start.year) * 12 + end.month - start.month + 1):
        y, m = int(key[:4]), int(key[5:])
        days = calendar.monthrange(y, m)[1]
        first = max(start, dt.date(y, m, 1))
        last = min(end, dt.date(y, m, days))
        out.append((key, ((last - first).days + 1) / days))
    return out


def variance(t0: float, t1: float, c0: float, c1: float, gpu: tuple[float, float, float, float] | None) -> Variance:
    """Split c1 - c0 by chained substitution; ``gpu`` = (busy0, provisioned0, busy1, provisioned1) [GPU-h]."""
    vol = (t1 - t0) * c0 / t0
    if gpu is None or min(gpu) <= 0:
        return Variance(c0, c1, vol, None, None, c1 - t1 * c0 / t0)
    b0, g0, b1, g1 = gpu
    e0, u0, p0 = t0 / b0, b0 / g0, c0 / g0
    e1, u1 = t1 / b1, b1 / g1
    eff = t1 / u0 * p0 * (1.0 / e1 - 1.0 / e0)
    util = t1 / e1 * p0 * (1.0 / u1 - 1.0 / u0)
    return Variance(c0, c1, vol, eff, util, c1 - g1 * p0)


def capacity_busy_gpu_hours(telemetry: Telemetry, plan: Plan) -> dict[str, float]:
    """Per month, GPU-hours × (running requests per replica / the plan's batch, at most 1) [GPU-h].

    The engine counts a replica busy for the share of its capacity at the planned batch that the load
    uses; this is the same share measured. DCGM_FI_DEV_GPU_UTIL (time with a kernel running) is near
    100 % at any batch and is reported beside it, not used for the split.
    """
    sizing = plan.option.sizing
    if sizing is None or not sizing.workloads or sizing.workloads[0].batch <= 0:
        return {}
    ws = sizing.workloads[0]
    st = telemetry.steps
    gpu_s, running = st.get("gpu_seconds"), st.get("running_seconds")
    slots = gpu_s / ws.tensor_parallel * ws.batch  # replica-seconds × batch = sequence-slot-seconds
    share = np.divide(running, slots, out=np.zeros_like(running), where=slots > 0)
    busy = np.minimum(share, 1.0) * gpu_s / 3600.0
    out: dict[str, float] = defaultdict(float)
    for t0, b, g in zip(st.start_s, busy, gpu_s, strict=True):
        if g > 0:
            out[month_of(float(t0))] += float(b)
    return dict(out)


def _telemetry_figures(t: MonthTelemetry | None, rates: EnergyRates, busy_h: float | None) -> dict[str, float | None]:
    if t is None:
        return dict.fromkeys(TELEMETRY_KEYS)
    tokens = (
        None
        if t.input_tokens is None and t.output_tokens is None
        else (t.input_tokens or 0.0) + (t.output_tokens or 0.0)
    )
    energy = None
    if t.gpu_energy_kwh is not None and t.gpu_hours is not None:
        # host power as the engine models it (perf.power.host_power_w), at DCGM's busy share
        busy_share = (t.busy_gpu_hours if t.busy_gpu_hours is not None else t.gpu_hours) / max(t.gpu_hours, 1e-12)
        host_kwh = float(host_power_w(rates.host_w_per_gpu * t.gpu_hours, busy_share)) / 1000.0
        energy = float(wall_power_w(t.gpu_energy_kwh, host_kwh)) * rates.pue
    util = dcgm = None
    if busy_h is not None and t.gpu_hours:
        util = 100.0 * busy_h / t.gpu_hours
    if t.busy_gpu_hours is not None and t.gpu_hours:
        dcgm = 100.0 * t.busy_gpu_hours / t.gpu_hours
    return {
        "input_tokens": t.input_tokens,
        "output_tokens": t.output_tokens,
        "tokens": tokens,
        "requests": t.requests,
        "gpu_hours": t.gpu_hours,
        "busy_gpu_hours": busy_h,
        "utilisation_pct": util,
        "gpu_util_dcgm_pct": dcgm,
        "energy_kwh": energy,
        "gpu_power_w": None if not t.gpu_seconds or t.gpu_energy_j is None else t.gpu_energy_j / t.gpu_seconds,
        "gpu_memory_used_gib": None
        if not t.gpu_seconds or t.fb_mib_seconds is None
        else t.fb_mib_seconds / t.gpu_seconds / 1024,
    }


def compare(
    plan: Plan,
    start: dt.date,
    end: dt.date,
    telemetry: Telemetry | None,
    records: list[CostRecord],
    rates: EnergyRates,
    sources: list[str],
    problems: list[Problem],
    slo_ms: dict[str, float | None],
    costs_given: bool = True,
) -> ActualsResult:
    """Every month of [start, end] (inclusive) with its plan, its actuals and its variance."""
    rows: list[MonthComparison] = []
    by_month: dict[str, dict[str, list[CostRecord]]] = defaultdict(lambda: defaultdict(list))
    in_range = {m for m, _ in months_between(start, end)}
    outside = [r for r in records if r.month not in in_range]
    if outside:
        problems.append(
            Problem(
                "costs",
                ", ".join(sorted({r.source.rsplit(":", 1)[0] for r in outside})),
                f"{len(outside)} cost row(s) outside {start} .. {end} left out",
                severity="notice",
            )
        )
    for r in records:
        if r.month in in_range:
            by_month[r.month][r.item].append(r)
    all_actual_usd: list[float] = [r.amount_usd for r in records if r.month in in_range]
    agg: dict[str, list[float]] = defaultdict(list)
    busy = capacity_busy_gpu_hours(telemetry, plan) if telemetry is not None else {}
    sizing = plan.option.sizing
    planned_ms: dict[str, float | None] = {}
    if sizing is not None and sizing.workloads:
        planned_ms = {"ttft": sizing.workloads[0].ttft_ms, "tpot": sizing.workloads[0].tpot_ms}
    for month, share in months_between(start, end):
        i = plan.index(month)
        row = MonthComparison(month=month, plan_month_index=i, status="complete")
        tm = telemetry.months.get(month) if telemetry else None
        row.actual = _telemetry_figures(tm, rates, busy.get(month) if tm is not None and tm.gpu_seconds else None)
        if telemetry is not None and (tm is None or tm.output_tokens is None):
            row.missing.append("serving telemetry")
        if telemetry is not None and (tm is None or tm.gpu_seconds is None):
            row.missing.append("GPU telemetry")
        if telemetry is not None and tm is not None:
            row.missing += _coverage(telemetry, tm, month, start, end)
        if i is not None:
            row.plan = {
                "input_tokens": float(plan.input_tokens[i]) * share,
                "output_tokens": float(plan.output_tokens[i]) * share,
                "tokens": float(plan.input_tokens[i] + plan.output_tokens[i]) * share,
                "requests": float(plan.requests[i]) * share,
                "gpu_hours": None if plan.gpu_hours is None else float(plan.gpu_hours[i]) * share,
                "busy_gpu_hours": None if plan.busy_gpu_hours is None else float(plan.busy_gpu_hours[i]) * share,
                "energy_kwh": None if plan.energy_kwh is None else float(plan.energy_kwh[i]) * share,
                "cost_usd": sum(float(a[i]) for _, a in plan.items.values()) * share,
            }
            g, b = row.plan["gpu_hours"], row.plan["busy_gpu_hours"]
            row.plan["utilisation_pct"] = None if not g or b is None else 100.0 * b / g
        actual_items: dict[str, tuple[float, list[str]]] = {
            item: (math.fsum(r.amount_usd for r in recs), sorted({r.source.rsplit(":", 1)[0] for r in recs}))
            for item, recs in by_month[month].items()
        }
        energy = row.actual.get("energy_kwh")
        if (
            rates.tariff_usd_per_kwh is not None
            and energy is not None
            and not any(k in actual_items for k in ENERGY_ITEMS)
        ):
            it_kwh = energy / rates.pue
            for item, kwh in (("energy_it", it_kwh), ("energy_cooling", energy - it_kwh)):
                usd = kwh * rates.tariff_usd_per_kwh
                actual_items[item] = (usd, ["telemetry × tariff"])
                all_actual_usd.append(usd)
        names = list(dict.fromkeys([*plan.items, *actual_items]))
        compared_plan = 0.0
        for item in names:
            category, arr = plan.items.get(item, ("opex", None))
            planned = 0.0 if arr is None or i is None else float(arr[i]) * share
            actual, srcs = actual_items.get(item, (None, []))
            if actual is None and abs(planned) < 1e-9:
                continue
            row.items.append(ItemComparison(item, category, planned, actual, srcs))
            if actual is None:
                if category == "opex" and costs_given:
                    row.missing.append(item)
            else:
                compared_plan += planned
        row.actual["cost_usd"] = math.fsum(a for a, _ in actual_items.values()) if actual_items else None
        row.plan["cost_usd_compared"] = compared_plan if actual_items else None
        for key, ms in slo_ms.items():
            q = tm.quantiles_ms.get(key, {}) if tm else {}
            row.slo[key] = {"target_ms": ms, "plan_ms": planned_ms.get(key), **q}
        _per_mtok(row)
        has_any = any(v is not None for v in row.actual.values())
        row.status = "missing" if not has_any else "partial" if row.missing else "complete"
        if row.actual.get("cost_usd") is None and has_any and costs_given:
            row.missing.insert(0, "costs")
            row.status = "partial"
        row.variance = _month_variance(row)
        if row.variance is not None:
            for k, v in (
                ("t0", row.plan["tokens"]),
                ("t1", row.actual["tokens"]),
                ("c0", compared_plan),
                ("c1", row.actual["cost_usd"]),
                ("b0", row.plan.get("busy_gpu_hours")),
                ("g0", row.plan.get("gpu_hours")),
                ("b1", row.actual.get("busy_gpu_hours")),
                ("g1", row.actual.get("gpu_hours")),
            ):
                agg[k].append(float(v) if v is not None else math.nan)
        rows.append(row)
    total_var = None
    if agg:
        s = {k: math.fsum(v) for k, v in agg.items()}
        gpu = None if any(math.isnan(s[k]) for k in ("b0", "g0", "b1", "g1")) else (s["b0"], s["g0"], s["b1"], s["g1"])
        total_var = variance(s["t0"], s["t1"], s["c0"], s["c1"], gpu)
    return ActualsResult(
        scenario=plan.result.scenario,
        option=plan.option.name,
        kind=plan.option.kind,
        currency=plan.result.currency,
        usd_per_currency_unit=plan.result.usd_per_currency_unit,
        date_from=start.isoformat(),
        date_to=end.isoformat(),
        sources=sources,
        months=rows,
        totals=_totals(rows, all_actual_usd),
        variance=total_var,
        assumptions=rates.notes + plan.notes,
        problems=problems,
    )


def _coverage(telemetry: Telemetry, tm: MonthTelemetry, month: str, start: dt.date, end: dt.date) -> list[str]:
    """What a month's telemetry lacks: the time after a failed query, or GPU-time in gaps."""
    out = []
    y, m = int(month[:4]), int(month[5:])
    first = max(start, dt.date(y, m, 1))
    last = min(end, dt.date(y, m, calendar.monthrange(y, m)[1]))
    month_end_s = dt.datetime.combine(last + dt.timedelta(days=1), dt.time(), dt.UTC).timestamp()
    cut = telemetry.complete_until_s
    if cut is not None and cut < month_end_s:
        when = dt.datetime.fromtimestamp(max(cut, dt.datetime.combine(first, dt.time(), dt.UTC).timestamp()), dt.UTC)
        out.append(f"telemetry after {when:%Y-%m-%d %H:%M}Z (a query failed)")
    elif tm.gpu_seconds and telemetry.gpus_seen:
        days = (last - first).days + 1
        covered = tm.gpu_seconds / (telemetry.gpus_seen * days * 86400.0)
        if covered < 0.99:
            out.append(f"GPU telemetry for {100 * (1 - covered):.0f} % of the GPU-time (gaps)")
    return out


def _per_mtok(row: MonthComparison) -> None:
    compared = row.plan.get("cost_usd_compared")
    for side, cost in (
        (row.plan, row.plan.get("cost_usd") if compared is None else compared),
        (row.actual, row.actual.get("cost_usd")),
    ):
        tokens = side.get("tokens")
        side["cost_usd_per_mtok"] = None if not tokens or cost is None else cost / tokens * 1e6
        kwh = side.get("energy_kwh")
        side["wh_per_1k_tokens"] = None if not tokens or kwh is None else kwh * 1e6 / tokens


def _month_variance(row: MonthComparison) -> Variance | None:
    t0, t1, c1 = row.plan.get("tokens"), row.actual.get("tokens"), row.actual.get("cost_usd")
    c0 = row.plan.get("cost_usd_compared")
    if not t0 or not t1 or c1 is None or c0 is None:
        return None
    keys = (
        row.plan.get("busy_gpu_hours"),
        row.plan.get("gpu_hours"),
        row.actual.get("busy_gpu_hours"),
        row.actual.get("gpu_hours"),
    )
    gpu = None if any(k is None for k in keys) else tuple(float(k) for k in keys)  # type: ignore[arg-type]
    return variance(t0, t1, c0, c1, gpu)  # type: ignore[arg-type]


def _totals(rows: list[MonthComparison], actual_usd: list[float]) -> dict[str, dict[str, float | None]]:
    """Sums over the months where the actual is present; actual cost is the exact sum of every input amount."""
    keys = ("input_tokens", "output_tokens", "tokens", "requests", "gpu_hours", "busy_gpu_hours", "energy_kwh")
    out: dict[str, dict[str, float | None]] = {"plan": {}, "actual": {}}
    for k in keys:
        pairs = [(r.plan.get(k), r.actual.get(k)) for r in rows if r.actual.get(k) is not None]
        out["actual"][k] = math.fsum(a for _, a in pairs if a is not None) if pairs else None
        out["plan"][k] = math.fsum(p for p, _ in pairs if p is not None) if pairs else None
    costed = [r for r in rows if r.actual.get("cost_usd") is not None]
    out["actual"]["cost_usd"] = math.fsum(actual_usd) if costed else None
    out["plan"]["cost_usd"] = math.fsum(r.plan.get("cost_usd_compared") or 0.0 for r in costed) if costed else None
    for side in out.values():
        t, c = side.get("tokens"), side.get("cost_usd")
        side["cost_usd_per_mtok"] = None if not t or c is None else c / t * 1e6
    return out
