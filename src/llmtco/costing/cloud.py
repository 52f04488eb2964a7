"""Cloud GPU option: instance-hours by pricing model, egress, and the staff it still needs."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from llmtco.costing.ledger import Ledger, LineItem
from llmtco.perf.shapes import FloatArray


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


def _col(x: FloatArray) -> FloatArray:
    return np.asarray(x, dtype=float).reshape(-1, 1)


def _first(x: FloatArray) -> float:
    return float(np.asarray(x, dtype=float).reshape(-1)[0])


def cloud_ledger(inp: CloudInputs) -> Ledger:
    s, months = inp.instance_hours.shape
    ledger = Ledger(option=inp.name, months=months, samples=s)
    gpu_hours = inp.instance_hours * inp.gpus_per_instance
    ledger.add(
        LineItem(
            "cloud_compute",
            "opex",
            gpu_hours * _col(inp.usd_per_gpu_h),
            _first(gpu_hours.sum(axis=-1)),
            f"GPU-hours ({inp.price_label})",
            _first(inp.usd_per_gpu_h),
            inp.price_source,
            inp.notes,
        )
    )
    ledger.add(
        LineItem(
            "cloud_egress",
            "opex",
            inp.egress_gb * _col(inp.egress_usd_per_gb),
            _first(inp.egress_gb.sum(axis=-1)),
            "GB out",
            _first(inp.egress_usd_per_gb),
            "rates: cloud_egress_usd_per_gb, bytes_per_token_egress",
        )
    )
    ledger.add(
        LineItem(
            "personnel",
            "opex",
            inp.fte * _col(inp.loaded_salary_usd_per_year) / 12.0,
            _first(inp.fte.max(axis=-1)),
            "FTE at peak",
            _first(inp.loaded_salary_usd_per_year),
            "rates: cloud_fte_base, cloud_instances_per_fte; region engineer salary x overhead",
        )
    )
    return ledger
