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
    runner.py       Run and run: every option for S samples; an infeasible option is excluded with its reason
    figures.py      a Run's first sample as OptionResults: line items, per-token costs, break-even months

``run`` (runner.py) costs every option for S samples; ``evaluate`` reports the first
sample as a ``Result``. Analyses (break-even volume, Monte Carlo, sensitivity,
optimisation) drive ``run`` from ``llmtco.analysis``; the engine never calls them.
"""

from __future__ import annotations

import datetime as dt

from llmtco._version import __version__
from llmtco.arrays import first
from llmtco.catalog import Catalog
from llmtco.catalog.api_prices import genai_prices_version
from llmtco.engine.assumptions import assumptions_used, expanded_options, uses_record
from llmtco.engine.context import Ctx, Rates
from llmtco.engine.demand import Demand
from llmtco.engine.figures import add_breakeven_months, cheapest_option, option_result
from llmtco.engine.options import OPTION_KINDS, Outcome
from llmtco.engine.runner import Run, run
from llmtco.result import SCHEMA_VERSION, Result, WorkloadSummary
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


def evaluate(sc: Scenario, cat: Catalog, ctx: Ctx | None = None, *, base: Run | None = None) -> Result:
    """Evaluate every option of a scenario and compare them (the first sample is reported).

    ``base`` is a ``run`` of the same scenario when the caller has one already. Break-even
    *volumes* are an analysis on top (``llmtco.analysis.breakeven.compare``).
    """
    r = base or run(sc, cat, ctx)
    months = sc.assumptions.horizon_months
    rate = sc.assumptions.discount_rate_pct
    results = [option_result(o.name, o.kind, r) for o in sc.options]
    add_breakeven_months(results, r)
    cheapest = cheapest_option(results)
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
