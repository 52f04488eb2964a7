"""Hosted-API option: tokens x price per million, and the staff it needs."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from llmtco.arrays import FloatArray, col, first
from llmtco.costing.ledger import Ledger, LineItem


@dataclass(frozen=True)
class ApiInputs:
    name: str
    input_tokens: FloatArray
    """Uncached input tokens per month, shape (S, M)."""
    cached_input_tokens: FloatArray
    output_tokens: FloatArray
    input_usd_per_mtok: FloatArray
    cached_input_usd_per_mtok: FloatArray
    output_usd_per_mtok: FloatArray
    price_trend: FloatArray
    """Price multiplier per month from the yearly price change, shape (S, M)."""
    price_source: str
    fte: FloatArray
    loaded_salary_usd_per_year: FloatArray
    finetune_mtok: FloatArray | None = None
    """Training tokens per month [M tokens], shape (M,) (None: no fine-tuning)."""
    finetune_usd_per_mtok: float = 0.0
    """Training price [USD/M tokens]."""
    finetune_hosted_models: FloatArray | None = None
    """Fine-tuned models hosted each month [count], shape (M,)."""
    finetune_hosting_usd_per_month: float = 0.0
    """Hosting fee per fine-tuned model [USD/month]."""
    finetune_source: str = ""


def api_ledger(inp: ApiInputs) -> Ledger:
    s, months = inp.input_tokens.shape
    ledger = Ledger(option=inp.name, months=months, samples=s)
    parts = (
        ("input", inp.input_tokens, inp.input_usd_per_mtok),
        ("cached input", inp.cached_input_tokens, inp.cached_input_usd_per_mtok),
        ("output", inp.output_tokens, inp.output_usd_per_mtok),
    )
    for label, tokens, price in parts:
        if label == "cached input" and not np.any(tokens > 0):
            continue  # no cached prompts in any sample: no line to show
        ledger.add(
            LineItem.priced(
                "api_tokens",
                "opex",
                tokens / 1e6,
                f"M {label} tokens",
                col(price) * inp.price_trend,
                inp.price_source,
                f"{first(price):.4g} USD per M {label} tokens at the start, changing with the API price trend.",
            )
        )
    if inp.finetune_mtok is not None:
        ledger.add(
            LineItem.priced(
                "finetune_compute",
                "opex",
                inp.finetune_mtok,
                "M training tokens",
                inp.finetune_usd_per_mtok,
                inp.finetune_source,
            )
        )
        if inp.finetune_hosted_models is not None and np.any(inp.finetune_hosted_models > 0):
            ledger.add(
                LineItem.priced(
                    "finetune_compute",
                    "opex",
                    inp.finetune_hosted_models,
                    "fine-tuned model-months hosted",
                    inp.finetune_hosting_usd_per_month,
                    inp.finetune_source,
                )
            )
    ledger.add(
        LineItem.priced(
            "personnel",
            "opex",
            np.broadcast_to(col(inp.fte), (s, months)),
            "FTE-months",
            col(inp.loaded_salary_usd_per_year) / 12.0,
            "rates: api_fte; region engineer salary x overhead",
        )
    )
    return ledger
