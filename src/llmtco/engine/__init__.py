"""The one orchestrator: Scenario + Catalog → perf → sizing → costing → Result.

Everything numeric flows as numpy arrays with a leading sample axis S (S = 1
for a plain evaluation), so Monte Carlo runs use this same code. The package:

    demand.py       requests per month and per hour class; hybrid splits
    context.py      Ctx (sampled inputs), Rates (catalog rates with overrides), staffing
    adapters.py     catalog records → perf shapes (used by calibration too); server lookup and price
    serve.py        a workload's tensor-parallel layout and operating point on an accelerator
    finetune.py     fine-tuning plans and idle-hour scheduling
    options/        one module per option kind: onprem, cloud (cloud_gpu), api, hybrid
    constraints.py  data residency, air gap, compliance
    assumptions.py  every input with its source, for reports
    probes.py       ``llmtco perf`` single-step probes

``run`` costs every option for S samples; ``evaluate`` reports the first
sample as a ``Result``. Analyses (break-even volume, Monte Carlo, sensitivity,
optimisation) drive ``run`` from ``llmtco.analysis``; the engine never calls them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

from llmtco._version import __version__
from llmtco.arrays import FloatArray, first
from llmtco.catalog import Catalog
from llmtco.catalog.api_prices import genai_prices_version
from llmtco.costing.finance import breakeven_month, cumulative, npv
from llmtco.engine.assumptions import assumptions_used, expanded_options, uses_record
from llmtco.engine.constraints import exclusion_reason
from llmtco.engine.context import Ctx, Rates
from llmtco.engine.demand import Demand, demand, hour_classes, month_days
from llmtco.engine.options import OPTION_KINDS, OptionInputs, Outcome
from llmtco.errors import InfeasibleError
from llmtco.result import SCHEMA_VERSION, LineItemResult, OptionResult, Result, WorkloadSummary
from llmtco.scenario.schema import Scenario

__all__ = [
    "OPTION_KINDS",
    "Ctx",
    "Demand",
    "Outcome",
    "Rates",
    "Run",
    "assumptions_used",
    "evaluate",
    "expanded_options",
    "run",
]


@dataclass
class Run:
    """Every option's outcome for S samples: what ``evaluate`` reports (sample 0) and analysis consumes."""

    ctx: Ctx
    days: FloatArray
    demands: list[Demand]
    outcomes: dict[str, Outcome]
    excluded: dict[str, str]
    """Option name → reason."""
    kinds: dict[str, str]
    tokens: FloatArray
    """Input + output tokens per month, shape (S, M)."""
    output_tokens: FloatArray
    discount_rate_pct: FloatArray

    def monthly(self, name: str) -> FloatArray:
        return self.outcomes[name].ledger.monthly_usd

    def total(self, name: str) -> FloatArray:
        return self.outcomes[name].ledger.total_usd

    def npv(self, name: str) -> FloatArray:
        return npv(self.monthly(name), self.discount_rate_pct)

    def per_mtok(self, name: str) -> FloatArray:
        out: FloatArray = self.total(name) / self.tokens.sum(axis=-1) * 1e6
        return out


def run(sc: Scenario, cat: Catalog, ctx: Ctx | None = None) -> Run:
    """Evaluate every option for the context's samples (one by default)."""
    ctx = ctx or Ctx()
    months = sc.assumptions.horizon_months
    days = month_days(sc.assumptions.start_date, months)
    demands = [demand(w, days, ctx) for w in sc.inference_workloads]
    hour_classes(demands)
    outcomes: dict[str, Outcome] = {}
    excluded: dict[str, str] = {}
    for idx, o in enumerate(sc.options):
        reason = exclusion_reason(sc, cat, o)
        if reason is None:
            try:
                outcomes[o.name] = OPTION_KINDS[o.kind](o, OptionInputs(sc, cat, idx, demands, days, ctx))
            except InfeasibleError as exc:  # the option cannot serve the workload: excluded with the reason
                reason = str(exc)
        if reason is not None:
            excluded[o.name] = reason
    return Run(
        ctx=ctx,
        days=days,
        demands=demands,
        outcomes=outcomes,
        excluded=excluded,
        kinds={o.name: o.kind for o in sc.options},
        tokens=np.sum([d.input_tokens + d.output_tokens for d in demands], axis=0),
        output_tokens=np.sum([d.output_tokens for d in demands], axis=0),
        discount_rate_pct=ctx.draw("assumptions:discount_rate_pct", sc.assumptions.discount_rate_pct),
    )


def evaluate(sc: Scenario, cat: Catalog, ctx: Ctx | None = None, *, base: Run | None = None) -> Result:
    """Evaluate every option of a scenario and compare them (the first sample is reported).

    ``base`` is a ``run`` of the same scenario when the caller has one already. Break-even
    *volumes* are an analysis on top (``llmtco.analysis.breakeven.compare``).
    """
    r = base or run(sc, cat, ctx)
    months = sc.assumptions.horizon_months
    rate = sc.assumptions.discount_rate_pct
    results: list[OptionResult] = []
    for o in sc.options:
        if o.name in r.excluded:
            results.append(OptionResult(name=o.name, kind=o.kind, excluded=True, reason=r.excluded[o.name]))
            continue
        outcome = r.outcomes[o.name]
        ledger = outcome.ledger
        total = ledger.total_usd
        energy_mwh = None if outcome.energy_kwh is None else first(outcome.energy_kwh.sum(axis=-1)) / 1000.0
        emissions = (
            None
            if energy_mwh is None or outcome.grid_kgco2e_per_kwh is None
            else energy_mwh * outcome.grid_kgco2e_per_kwh
        )
        util = (
            None
            if not outcome.provisioned_gpu_h or outcome.busy_gpu_h is None
            else 100.0 * outcome.busy_gpu_h / outcome.provisioned_gpu_h
        )
        results.append(
            OptionResult(
                name=o.name,
                kind=o.kind,
                total_cost_usd=first(total),
                npv_usd=first(r.npv(o.name)),
                capex_usd=first(ledger.category_monthly_usd("capex").sum(axis=-1)),
                opex_usd=first(ledger.category_monthly_usd("opex").sum(axis=-1)),
                cost_per_mtok_usd=first(r.per_mtok(o.name)),
                cost_per_m_output_tok_usd=first(total / r.output_tokens.sum(axis=-1) * 1e6),
                line_items=[
                    LineItemResult(
                        item=i.item,
                        category=i.category,
                        total_usd=first(i.total_usd),
                        monthly_usd=[float(v) for v in i.monthly_usd[0]],
                        quantity=i.quantity,
                        unit=i.unit,
                        unit_price_usd=i.unit_price_usd,
                        source=i.source,
                        notes=i.notes,
                    )
                    for i in ledger.items
                ],
                sizing=outcome.sizing,
                energy_mwh=energy_mwh,
                emissions_tco2e=emissions,
                avg_utilisation_pct=util,
                cumulative_usd=[float(v) for v in cumulative(ledger.monthly_usd)[0]],
                notes=outcome.notes,
                finetune=outcome.finetune,
            )
        )
    for res in results:
        if res.excluded:
            continue
        for other in results:
            if other is res or other.excluded:
                continue
            be = breakeven_month(r.monthly(res.name)[:1], r.monthly(other.name)[:1])
            res.breakeven_month[other.name] = None if np.isnan(be[0]) else float(be[0])
    included = [x for x in results if not x.excluded]
    cheapest = min(included, key=lambda x: x.total_cost_usd or 0.0).name if included else None
    warnings = [
        f"stale catalog record {kind}/{rid}: as of {d.isoformat()}"
        for kind, rid, d in cat.stale(sc.assumptions.start_date)
        if uses_record(sc, kind, rid, cat)
    ]
    fx = cat.fx.get(sc.assumptions.currency, "assumptions.currency")
    return Result(
        assumptions=assumptions_used(sc, cat),
        schema_version=SCHEMA_VERSION,
        metadata={
            "tool": "llmtco",
            "tool_version": __version__,
            "genai_prices_version": genai_prices_version(),
            "catalog_as_of": cat.as_of_range(),
            "catalog_overlays": cat.overlay_files,
            "samples": r.ctx.samples,
            "seed": None,
            "generated_at": dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
        },
        scenario=sc.name,
        horizon_months=months,
        start_date=sc.assumptions.start_date.isoformat(),
        currency=sc.assumptions.currency,
        usd_per_currency_unit=fx.usd_per_unit,
        discount_rate_pct=rate,
        workloads=[
            WorkloadSummary(
                name=d.workload.name,
                model=d.workload.model,
                requests_per_day_start=d.workload.requests_per_day_value,
                input_tokens_total=first(d.input_tokens.sum(axis=-1)),
                output_tokens_total=first(d.output_tokens.sum(axis=-1)),
            )
            for d in r.demands
        ],
        options=results,
        cheapest=cheapest,
        warnings=warnings,
    )
