"""CSV: one row per option and line item (plus summary rows), monthly amounts in columns."""

from __future__ import annotations

import csv
import io

from llmtco.report.text import escaped
from llmtco.result import Result


def render_csv(result: Result) -> str:
    result = escaped(result)  # no control character from a scenario string reaches the reader
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    months = [f"m{i + 1}_usd" for i in range(result.horizon_months)]
    w.writerow(
        [
            "option",
            "kind",
            "excluded",
            "row",
            "item",
            "category",
            "total_usd",
            "quantity",
            "unit",
            "unit_price_usd",
            "source",
            *months,
        ]
    )
    for o in result.options:
        if o.excluded:
            w.writerow([o.name, o.kind, "true", "excluded", "", "", "", "", "", "", o.reason or ""])
            continue
        for li in o.line_items:
            w.writerow(
                [
                    o.name,
                    o.kind,
                    "false",
                    "line_item",
                    li.item,
                    li.category,
                    f"{li.total_usd:.2f}",
                    "" if li.quantity is None else f"{li.quantity:.6g}",
                    li.unit or "",
                    "" if li.unit_price_usd is None else f"{li.unit_price_usd:.6g}",
                    li.source,
                    *(f"{v:.2f}" for v in li.monthly_usd),
                ]
            )
        for label, value in (
            ("total_cost_usd", o.total_cost_usd),
            ("npv_usd", o.npv_usd),
            ("capex_usd", o.capex_usd),
            ("opex_usd", o.opex_usd),
            ("cost_per_mtok_usd", o.cost_per_mtok_usd),
            ("cost_per_output_mtok_usd", o.cost_per_output_mtok_usd),
            ("energy_mwh", o.energy_mwh),
            ("emissions_tco2e", o.emissions_tco2e),
        ):
            w.writerow([o.name, o.kind, "false", "summary", label, "", "" if value is None else f"{value:.6g}"])
        # one row per workload: its layout (category colocated or disaggregated, GPUs per replica, label)
        for ws in o.sizing.workloads if o.sizing else []:
            if ws.layout is not None:
                kind = "disaggregated" if ws.layout.disaggregated else "colocated"
                gpus = str(ws.layout.gpus_per_replica)
                w.writerow([o.name, o.kind, "false", "layout", ws.workload, kind, "", gpus, "GPUs per replica", "",
                            ws.layout.label])  # fmt: skip
    return buf.getvalue()
