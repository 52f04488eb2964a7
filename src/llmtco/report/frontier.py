"""Rendering of a throughput–interactivity frontier (``analysis.frontier.Frontier``): table, JSON, chart."""

from __future__ import annotations

import json
import math
from dataclasses import asdict
from typing import Any

from llmtco.analysis.frontier import Frontier

FRONTIER_SCHEMA_VERSION = 1


def frontier_dict(f: Frontier) -> dict[str, Any]:
    """The frontier as a JSON-ready dict (infinite costs become null)."""
    doc = asdict(f)
    for p in doc["points"]:
        if not math.isfinite(p["cost_usd_per_mtok"]):
            p["cost_usd_per_mtok"] = None
    return {"schema_version": FRONTIER_SCHEMA_VERSION, **doc}


def render_frontier_json(f: Frontier) -> str:
    return json.dumps(frontier_dict(f), indent=2, allow_nan=False) + "\n"


def render_frontier_table(f: Frontier) -> str:
    """A fixed-width text table, one Pareto point a row, by tokens/s per user ascending."""
    head = (
        f"{f.model} on {f.accelerator} ({f.server}: scale-up domain {f.domain_gpus} GPUs, "
        f"scale-out {f.scaleout_gb_s_per_gpu:g} GB/s per GPU); {f.input_tokens:g} in / {f.output_tokens:g} out tokens\n"
        f"price: {f.price_basis}\n"
        + (f"extra time per step: {f.extra_step_ms:g} ms\n" if f.extra_step_ms else "")
        + "".join(f"stack step time {p}: {why}\n" for p, why in f.stack_step.items())
        + f"{len(f.points)} Pareto points of {f.considered} evaluated\n\n"
    )
    cols = (
        "prec",
        "layout",
        "prefill pool (P xN : D)",
        "batch",
        "GPUs",
        "tok/s/GPU",
        "tok/s/user",
        "TTFT ms",
        "$/Mtok",
    )
    rows = [
        (
            p.precision,
            p.layout,
            p.prefill_layout or "colocated",
            f"{p.batch:,.0f}",
            str(p.gpus),
            f"{p.output_tokens_per_s_per_gpu:,.0f}",
            f"{p.tokens_per_s_per_user:,.1f}",
            f"{p.ttft_ms:,.0f}",
            f"{p.cost_usd_per_mtok:,.2f}" if math.isfinite(p.cost_usd_per_mtok) else "-",
        )
        for p in f.points
    ]
    widths = [max(len(c), *(len(r[i]) for r in rows)) if rows else len(c) for i, c in enumerate(cols)]
    left = {0, 1, 2}

    def line(cells: tuple[str, ...]) -> str:
        return "  ".join(
            c.ljust(w) if i in left else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        )

    return head + "\n".join([line(cols), line(tuple("-" * w for w in widths)), *(line(r) for r in rows)]) + "\n"
