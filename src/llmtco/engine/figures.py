"""A Run's first sample as the figures a Result reports: line items, totals, per-token costs, energy,
utilisation, break-even months, and the ranking."""

from __future__ import annotations

import math

import numpy as np

from llmtco.arrays import first
from llmtco.costing.finance import breakeven_month, cumulative
from llmtco.costing.ledger import LineItem
from llmtco.engine.runner import Run
from llmtco.errors import InternalError
from llmtco.result import LineItemResult, OptionResult, UnmetDemand


def line_item_result(i: LineItem) -> LineItemResult:
    """One line item, first sample: quantity x unit price = amount, per month and over the horizon."""
    priced = i.quantity is not None and i.unit_price_usd is not None
    total_q, mean_price = i.total_quantity, i.mean_unit_price_usd
    return LineItemResult(
        item=i.item,
        category=i.category,
        total_usd=first(i.total_usd),
        monthly_usd=[float(v) for v in i.monthly_usd[0]],
        quantity=first(total_q) if total_q is not None else None,
        unit=i.unit,
        unit_price_usd=first(mean_price) if mean_price is not None else None,
        monthly_quantity=[float(v) for v in i.quantity[0]] if priced and i.quantity is not None else None,
        monthly_unit_price_usd=(
            [float(v) for v in i.unit_price_usd[0]] if priced and i.unit_price_usd is not None else None
        ),
        source=i.source,
        notes=i.notes,
    )


def option_result(name: str, kind: str, r: Run) -> OptionResult:
    """What ``evaluate`` reports for one option."""
    if name in r.excluded:
        unmet = r.unmet.get(name)
        return OptionResult(
            name=name,
            kind=kind,
            excluded=True,
            reason=r.excluded[name],
            unmet_demand=None
            if unmet is None
            else UnmetDemand(
                requests=[float(v) for v in unmet.unmet_requests],
                tokens=[float(v) for v in unmet.unmet_tokens],
                share_pct=100.0 * float(np.sum(unmet.unmet_requests)) / max(_requests(r), 1e-12),
            ),
        )
    outcome = r.outcomes[name]
    ledger = outcome.ledger
    total = ledger.total_usd
    energy_mwh = None if outcome.energy_kwh is None else first(outcome.energy_kwh.sum(axis=-1)) / 1000.0
    emissions = (
        None if energy_mwh is None or outcome.grid_kgco2e_per_kwh is None else energy_mwh * outcome.grid_kgco2e_per_kwh
    )
    util = (
        None
        if outcome.provisioned_gpu_h is None or outcome.busy_gpu_h is None or not first(outcome.provisioned_gpu_h)
        else 100.0 * first(outcome.busy_gpu_h) / first(outcome.provisioned_gpu_h)
    )
    return OptionResult(
        name=name,
        kind=kind,
        total_cost_usd=first(total),
        npv_usd=first(r.npv(name)),
        capex_usd=first(ledger.category_monthly_usd("capex").sum(axis=-1)),
        opex_usd=first(ledger.category_monthly_usd("opex").sum(axis=-1)),
        cost_per_mtok_usd=first(r.per_mtok(name)),
        cost_per_output_mtok_usd=first(r.per_output_mtok(name)),
        line_items=[line_item_result(i) for i in ledger.items],
        sizing=outcome.sizing,
        energy_mwh=energy_mwh,
        emissions_tco2e=emissions,
        avg_utilisation_pct=util,
        cumulative_usd=[float(v) for v in cumulative(ledger.monthly_usd)[0]],
        notes=outcome.notes,
        finetune=outcome.finetune,
    )


def _requests(r: Run) -> float:
    return float(sum(d.requests[0].sum() for d in r.demands))


def add_breakeven_months(results: list[OptionResult], r: Run) -> None:
    """Fill each included option's break-even month against every other included option."""
    included = [x for x in results if not x.excluded]
    for res in included:
        for other in included:
            if other is not res:
                be = breakeven_month(r.monthly(res.name)[:1], r.monthly(other.name)[:1])
                res.breakeven_month[other.name] = None if np.isnan(be[0]) else float(be[0])


def cheapest_option(results: list[OptionResult]) -> str | None:
    """The included option with the lowest total. A non-finite total means the engine computed garbage from
    inputs the schema should have refused; naming it cheapest would lie, so it is a bug (exit 1)."""
    included = [x for x in results if not x.excluded]
    for x in included:
        if x.total_cost_usd is None or not math.isfinite(x.total_cost_usd):
            raise InternalError(f"cannot rank options: the total cost of {x.name!r} is not a finite number")
    return min(included, key=lambda x: float(x.total_cost_usd or 0.0)).name if included else None
