"""Plan against actual: telemetry (Prometheus or a saved export), FOCUS bills and the on-prem ledger
beside the plan of one option, month by month, with the variance split and recalibration.

``actuals()`` wires the sources (``sources``, ``telemetry``, ``costs``), the plan
(``plan``), the comparison (``compare``) and the profile writing (``recalibrate``).
Problems a source meets are collected in ``ActualsResult.problems``; everything
read before them is kept.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

from llmtco.analysis.actuals.compare import EnergyRates, compare
from llmtco.analysis.actuals.costs import CostFilter, read_focus, read_ledger
from llmtco.analysis.actuals.model import ActualsResult, CostRecord, Problem, Telemetry
from llmtco.analysis.actuals.plan import Plan, plan_for
from llmtco.analysis.actuals.recalibrate import recalibrate
from llmtco.analysis.actuals.sources import ExportSource, PrometheusSource, TelemetrySource, save_export
from llmtco.analysis.actuals.telemetry import Selection, queries, read_telemetry
from llmtco.catalog import Catalog
from llmtco.errors import ActualsError
from llmtco.perf.power import host_max_w
from llmtco.scenario.schema import HybridOption, OnPremOption, Scenario


def energy_rates(sc: Scenario, cat: Catalog, option: str) -> EnergyRates:
    """PUE, tariff and host power for turning measured GPU power into facility energy and cost."""
    o: object = next(x for x in sc.options if x.name == option)
    if isinstance(o, HybridOption):
        o = o.base  # the telemetry is the base fleet's; its site pays the power
    if isinstance(o, OnPremOption):
        region = cat.regions.get(o.region or sc.assumptions.region)
        pue = o.pue if o.pue is not None else region.pue.value
        tariff = (
            o.electricity_usd_per_kwh if o.electricity_usd_per_kwh is not None else region.electricity_usd_per_kwh.value
        )
        host = 0.0
        notes = [
            f"PUE {pue:g} ({'scenario' if o.pue is not None else f'regions/{region.id}: {region.pue.source}'})",
            f"tariff {tariff:g} USD/kWh ("
            + (
                "scenario"
                if o.electricity_usd_per_kwh is not None
                else f"regions/{region.id}: {region.electricity_usd_per_kwh.source}"
            )
            + ")",
        ]
        if o.server is not None:
            server = cat.servers.get(o.server)
            tdp_w = cat.accelerators.get(server.accelerator).tdp_w
            host = host_max_w(server.non_gpu_power_w, server.gpus, tdp_w) / max(server.gpus, 1)
            notes.append(
                f"estimate: host (non-GPU) power {host:.0f} W per GPU at full load x (0.5 + 0.5 x busy share) from "
                f"servers/{server.id} non_gpu_power_w less its GPUs' power-supply losses at TDP; "
                "DCGM meters the GPU boards only"
            )
        return EnergyRates(pue, tariff, host, notes)
    pue = cat.rate("cloud_pue")
    return EnergyRates(
        pue, None, 0.0, [f"PUE {pue:g} (rates/cloud_pue); energy is shown, not costed: the provider pays the power"]
    )


def actuals(
    sc: Scenario,
    cat: Catalog,
    option: str,
    date_from: dt.date,
    date_to: dt.date,
    *,
    telemetry: TelemetrySource | None = None,
    selection: Selection | None = None,
    step_s: float = 3600.0,
    billing: list[Path] | None = None,
    cost_filter: CostFilter | None = None,
    ledger: list[Path] | None = None,
    profile: Path | None = None,
    replan: Callable[[Path], Plan] | None = None,
) -> ActualsResult:
    """Compare the plan of ``option`` with what the sources measured over [date_from, date_to] (inclusive)."""
    if date_to < date_from:
        raise ActualsError(f"--to {date_to} is before --from {date_from}")
    if telemetry is None and not billing and not ledger:
        raise ActualsError("give at least one source: --prometheus URL, --export FILE, --billing FILE or --ledger FILE")
    plan = plan_for(sc, cat, option)
    problems: list[Problem] = []
    sources: list[str] = []
    tel: Telemetry | None = None
    if telemetry is not None:
        start_s = dt.datetime.combine(date_from, dt.time(), dt.UTC).timestamp()
        end_s = dt.datetime.combine(date_to + dt.timedelta(days=1), dt.time(), dt.UTC).timestamp()
        tel = read_telemetry(
            telemetry, start_s, end_s, step_s, selection or Selection(), [w.name for w in sc.inference_workloads]
        )
        problems.extend(tel.problems)
        sources.append(f"telemetry: {telemetry.name}")

    def fx(code: str) -> float:
        return cat.fx.get(code, "currency").usd_per_unit

    records: list[CostRecord] = []
    for path in billing or []:
        recs, probs, dropped = read_focus(path, cost_filter or CostFilter(), fx)
        records += recs
        problems += probs
        sources.append(f"billing: {path} ({len(recs)} rows kept, {dropped} filtered out)")
    for path in ledger or []:
        recs, probs = read_ledger(path, fx)
        records += recs
        problems += probs
        sources.append(f"ledger: {path} ({len(recs)} rows)")
    slo: dict[str, float | None] = {}
    first = sc.inference_workloads[0]
    if first.slo is not None:
        slo = {"ttft": first.slo.ttft_ms, "tpot": first.slo.tpot_ms}
    result = compare(
        plan,
        date_from,
        date_to,
        tel,
        records,
        energy_rates(sc, cat, option),
        sources,
        problems,
        slo,
        costs_given=bool(billing or ledger),
    )
    if profile is not None:
        if tel is None or replan is None:
            raise ActualsError("--write-profile needs telemetry: give --prometheus URL or --export FILE")
        measured = [m.month for m in result.months if m.actual.get("output_tokens") is not None]
        if not measured:
            raise ActualsError("--write-profile: no month has serving telemetry to fit")
        o = next(x for x in sc.options if x.name == option)
        result.recalibration = recalibrate(
            tel, plan, sc, cat, getattr(o, "engine", None), profile, replan, measured[-1]
        )
    return result


__all__ = [
    "ActualsResult",
    "CostFilter",
    "ExportSource",
    "PrometheusSource",
    "Selection",
    "actuals",
    "queries",
    "save_export",
]
