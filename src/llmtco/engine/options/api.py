"""Hosted API: tokens × the offering's prices, fine-tuning through the provider, and the staff it needs.

Prices come from ``genai-prices`` at the scenario's start date for the mean
request size, weighted by the hourly load (so time-of-day and long-prompt
tiers count); an offering without the fine-tuning a workload needs makes the
option infeasible (excluded with the reason).
"""

from __future__ import annotations

import numpy as np

from llmtco.arrays import FloatArray
from llmtco.catalog.api_prices import TokenPrices, token_prices
from llmtco.costing.api import ApiInputs, api_ledger
from llmtco.costing.finance import yearly_trend
from llmtco.engine import finetune
from llmtco.engine.context import Rates, staff
from llmtco.engine.options.base import OptionInputs, Outcome
from llmtco.errors import InfeasibleError
from llmtco.result import FinetuneResult
from llmtco.scenario.schema import ApiOption


def build(o: ApiOption, inputs: OptionInputs) -> Outcome:
    """Cost a hosted-API option: tokens at the offering's prices, fine-tuning charges, a fraction of an engineer."""
    sc, cat, demands, days, ctx = inputs.scenario, inputs.catalog, inputs.demands, inputs.days, inputs.ctx
    samples = ctx.samples
    rates = Rates(cat, o.rates, ctx, o.name)
    off = cat.api_offerings.get(o.offering)
    months = days.size
    zero = np.zeros((samples, months))
    tok_in, tok_cached, tok_out = zero.copy(), zero.copy(), zero.copy()
    cost_in, cost_cached, cost_out = zero.copy(), zero.copy(), zero.copy()
    notes = []
    sources = set()
    # fine-tuning through the provider: training tokens, hosting, and fine-tuned prices for the served workload
    ft_results: list[FinetuneResult] = []
    ft_mtok = np.zeros(months)
    ft_hosted = np.zeros(months)
    tuned: set[str] = set()
    for w_ft in sc.finetune_workloads:
        offer = off.finetune
        if offer is None:
            raise InfeasibleError(
                f"fine-tuning: {off.id} has no fine-tuning offer in the catalog (workload {w_ft.name!r})"
            )
        if w_ft.method not in offer.methods:
            raise InfeasibleError(
                f"fine-tuning: {off.id} offers {', '.join(offer.methods)}, "
                f"workload {w_ft.name!r} asks for {w_ft.method}"
            )
        if off.model is not None and off.model != w_ft.model:
            notes.append(f"{off.id} fine-tunes {off.model}, workload {w_ft.name!r} asks for {w_ft.model}.")
        runs = finetune.runs_per_month(w_ft.runs_per_year, months)
        tokens = runs * w_ft.tokens_per_run_value
        ft_mtok = ft_mtok + tokens / 1e6
        if offer.hosting_usd_per_month:
            ft_hosted[int(np.argmax(runs > 0)) :] += 1.0
        sources.add(f"fine-tuning: {offer.source} ({offer.as_of.isoformat()})")
        if w_ft.serves is not None:
            tuned.add(w_ft.serves)
        ft_results.append(
            FinetuneResult(
                workload=w_ft.name,
                method=w_ft.method,
                accelerator=None,
                gpus=0,
                runs=float(runs.sum()),
                tokens_per_run=w_ft.tokens_per_run_value,
                tokens_trained=float(tokens.sum()),
                gpu_hours_per_run=0.0,
                wall_hours_per_run=0.0,
                gpu_hours=0.0,
                schedule="api",
                note=f"{offer.training_usd_per_mtok:g} USD per M training tokens"
                + (
                    f", fine-tuned model billed at {offer.input_usd_per_mtok:g}/{offer.output_usd_per_mtok:g} USD "
                    f"per M input/output tokens"
                    if offer.input_usd_per_mtok is not None
                    else ""
                ),
            )
        )
    for d in demands:
        w = d.workload
        tp = token_prices(
            off, sc.assumptions.start_date, w.input_tokens, w.output_tokens, w.cached_input_fraction, list(d.profile24)
        )
        if w.name in tuned and off.finetune is not None and off.finetune.input_usd_per_mtok is not None:
            ratio = off.finetune.input_usd_per_mtok / max(tp.input_usd_per_mtok, 1e-12)
            tp = TokenPrices(
                off.finetune.input_usd_per_mtok,
                tp.cached_input_usd_per_mtok * ratio,
                off.finetune.output_usd_per_mtok or tp.output_usd_per_mtok,
                f"fine-tuned model prices: {off.finetune.source}",
            )
        sources.add(tp.source)
        cached = d.input_tokens * ctx.draw(f"workload:{w.name}:cached_input_fraction", w.cached_input_fraction)[:, None]
        tok_in += d.input_tokens - cached
        tok_cached += cached
        tok_out += d.output_tokens
        factor = ctx.draw(f"option:{o.name}:token_price_factor", 1.0)[:, None]
        cost_in += (d.input_tokens - cached) * tp.input_usd_per_mtok * factor
        cost_cached += cached * tp.cached_input_usd_per_mtok * factor
        cost_out += d.output_tokens * tp.output_usd_per_mtok * factor
        if off.model is not None and off.model != w.model:
            notes.append(f"{off.id} serves {off.model}, workload {w.name!r} asks for {w.model}: not like for like.")
        elif off.model is None:
            notes.append(f"{off.id} is a proprietary model; workload {w.name!r} is sized for {w.model} elsewhere.")

    def unit(cost: FloatArray, tok: FloatArray) -> FloatArray:
        t = tok.sum(axis=-1)
        out: FloatArray = np.where(t > 0, cost.sum(axis=-1) / np.maximum(t, 1e-12), 0.0)
        return out

    trend = yearly_trend(
        ctx.draw(f"option:{o.name}:price_change_pct_per_year", o.price_change_pct_per_year)
        if o.price_change_pct_per_year is not None
        else rates("api_price_change_pct_per_year"),
        months,
    )
    region = cat.regions.get(sc.assumptions.region)
    people = staff(o, rates, region.engineer_salary_usd_per_year.value, "api_fte")
    ledger = api_ledger(
        ApiInputs(
            name=o.name,
            input_tokens=tok_in,
            cached_input_tokens=tok_cached,
            output_tokens=tok_out,
            input_usd_per_mtok=unit(cost_in, tok_in),
            cached_input_usd_per_mtok=unit(cost_cached, tok_cached),
            output_usd_per_mtok=unit(cost_out, tok_out),
            price_trend=trend,
            price_source="; ".join(sorted(sources)),
            fte=people.fte_base,
            loaded_salary_usd_per_year=people.salary_usd_per_year,
            finetune_mtok=ft_mtok if ft_results else None,
            finetune_usd_per_mtok=off.finetune.training_usd_per_mtok if off.finetune else 0.0,
            finetune_hosted_models=ft_hosted,
            finetune_hosting_usd_per_month=off.finetune.hosting_usd_per_month if off.finetune else 0.0,
            finetune_source="; ".join(sorted(x for x in sources if x.startswith("fine-tuning"))),
        )
    )
    notes.append(f"{off.provider} ({off.jurisdiction}); energy and emissions are not disclosed by API providers.")
    return Outcome(
        ledger=ledger, sizing=None, energy_kwh=None, grid_kgco2e_per_kwh=None, notes=notes, finetune=ft_results
    )
