"""Hosted-API option: tokens x price per million, and the staff it needs."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from llmtco.arrays import col, first
from llmtco.costing.ledger import Ledger, LineItem
from llmtco.perf.shapes import FloatArray


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
    finetune_usd: FloatArray | None = None
    """Fine-tuning charges per month (training tokens and hosting), shape (S, M)."""
    finetune_mtok: float = 0.0
    finetune_source: str = ""


def api_ledger(inp: ApiInputs) -> Ledger:
    s, months = inp.input_tokens.shape
    ledger = Ledger(option=inp.name, months=months, samples=s)
    parts = (
        ("input", inp.input_tokens, inp.input_usd_per_mtok),
        ("cached input", inp.cached_input_tokens, inp.cached_input_usd_per_mtok),
        ("output", inp.output_tokens, inp.output_usd_per_mtok),
    )
    total = np.zeros((s, months))
    notes = []
    for label, tokens, price in parts:
        total = total + tokens / 1e6 * col(price) * inp.price_trend
        notes.append(f"{label}: {first(tokens.sum(axis=-1)) / 1e6:,.1f} M tok x {first(price):.4g} USD/Mtok")
    mtok = first((inp.input_tokens + inp.cached_input_tokens + inp.output_tokens).sum(axis=-1)) / 1e6
    ledger.add(
        LineItem(
            "api_tokens",
            "opex",
            total,
            mtok,
            "M tokens (input + cached + output)",
            first(total.sum(axis=-1)) / max(mtok, 1e-12),
            inp.price_source,
            "; ".join(notes),
        )
    )
    if inp.finetune_usd is not None:
        ledger.add(
            LineItem(
                "finetune_compute",
                "opex",
                inp.finetune_usd,
                inp.finetune_mtok,
                "M training tokens",
                first(inp.finetune_usd.sum(axis=-1)) / max(inp.finetune_mtok, 1e-12),
                inp.finetune_source,
            )
        )
    ledger.add(
        LineItem(
            "personnel",
            "opex",
            np.broadcast_to(col(inp.fte * inp.loaded_salary_usd_per_year / 12.0), (s, months)),
            first(inp.fte),
            "FTE",
            first(inp.loaded_salary_usd_per_year),
            "rates: api_fte; region engineer salary x overhead",
        )
    )
    return ledger
