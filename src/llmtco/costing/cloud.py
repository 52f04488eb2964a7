"""Cloud GPU option: instance-hours by pricing model, egress, and the staff it still needs."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from llmtco.arrays import FloatArray, col
from llmtco.costing.ledger import Ledger, LineItem


@dataclass(frozen=True)
class CloudInputs:
    name: str
    instance_hours: FloatArray
    """Instance-hours paid per month, shape (S, M)."""
    gpus_per_instance: int
    usd_per_gpu_h: FloatArray
    price_label: str
    price_source: str
    egress_gb: FloatArray
    """GB sent to users per month, shape (S, M)."""
    egress_usd_per_gb: FloatArray
    fte: FloatArray
    """FTE per month, shape (S, M)."""
    loaded_salary_usd_per_year: FloatArray
    notes: str = ""
    price_trend: FloatArray | None = None
    """Multiplier on GPU-hour prices per month, shape (S, M) (None: today's prices)."""
    finetune_gpu_hours: FloatArray | None = None
    """GPU-hours rented for fine-tuning runs per month, shape (S, M) (None: no fine-tuning)."""
    finetune_usd_per_gpu_h: FloatArray | None = None
    finetune_price_source: str = ""


def cloud_ledger(inp: CloudInputs) -> Ledger:
    s, months = inp.instance_hours.shape
    ledger = Ledger(option=inp.name, months=months, samples=s)
    gpu_hours = inp.instance_hours * inp.gpus_per_instance
    trend = inp.price_trend if inp.price_trend is not None else np.ones((s, months))
    ledger.add(
        LineItem.priced(
            "cloud_compute",
            "opex",
            gpu_hours,
            f"GPU-hours ({inp.price_label})",
            col(inp.usd_per_gpu_h) * trend,
            inp.price_source,
            inp.notes,
        )
    )
    if inp.finetune_gpu_hours is not None and inp.finetune_usd_per_gpu_h is not None:
        ledger.add(
            LineItem.priced(
                "finetune_compute",
                "opex",
                inp.finetune_gpu_hours,
                "GPU-hours for fine-tuning runs",
                col(inp.finetune_usd_per_gpu_h) * trend,
                inp.finetune_price_source,
            )
        )
    ledger.add(
        LineItem.priced(
            "cloud_egress",
            "opex",
            inp.egress_gb,
            "GB out",
            col(inp.egress_usd_per_gb),
            "rates: cloud_egress_usd_per_gb, bytes_per_token_egress",
        )
    )
    ledger.add(
        LineItem.priced(
            "personnel",
            "opex",
            inp.fte,
            "FTE-months",
            col(inp.loaded_salary_usd_per_year) / 12.0,
            "rates: cloud_fte_base, cloud_instances_per_fte; region engineer salary x overhead",
            "FTE = base + peak instances / instances per FTE; unit price = loaded salary / 12.",
        )
    )
    return ledger
