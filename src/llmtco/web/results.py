"""What the results panel shows beside the summary: the shared report facts and the web's fast charts.

The words come from ``report.facts`` (the same fragments the HTML report
embeds); the charts are ``web.charts`` inline SVG, which answer in
milliseconds where the report's Vega-Lite charts take a quarter of a second.
"""

from __future__ import annotations

from typing import Any

from llmtco.report.facts import build_facts, facts_html, money_full
from llmtco.report.table import currency_symbol, money
from llmtco.result import Result
from llmtco.web.charts import breakdown_svg, cumulative_svg
from llmtco.web.jobs import UncertaintyJob


def results_ctx(result: Result | None) -> dict[str, Any]:
    """Template context of the results panel: ``facts``, ``fragments`` and the two charts (empty without a result)."""
    if result is None:
        return {"facts": None, "fragments": {}, "cumulative_chart": "", "breakdown_chart": "", "money": None}
    facts = build_facts(result)
    return {
        "facts": facts,
        "fragments": facts_html(facts),
        "cumulative_chart": cumulative_svg(result, breakeven=True),
        "breakdown_chart": breakdown_svg(result),
        "money": lambda v: money_full(v, result),
    }


def job_view(job: UncertaintyJob) -> dict[str, Any] | None:
    """A finished job's figures for the panel, money in the scenario's currency (None until it is done)."""
    if job.result is None:
        return None
    doc, fx, currency = job.result["simulation"], float(job.result["fx"]), str(job.result["currency"])
    sym = currency_symbol(currency)
    options = [
        {
            "name": name,
            "p10": money(o["total_cost_usd"]["p10"], fx, sym, missing="–"),
            "p50": money(o["total_cost_usd"]["p50"], fx, sym, missing="–"),
            "p90": money(o["total_cost_usd"]["p90"], fx, sym, missing="–"),
            "cheapest": f"{o['probability_cheapest'] * 100:.0f} %",
        }
        for name, o in doc["options"].items()
    ]
    tornado = job.result["tornado"]
    first, second = tornado["leaders"]
    rows = []
    for row in tornado["inputs"][:10]:
        d = row.get("leading_difference")
        if d and d["swing"] > 0:  # inputs that do not move the leaders' difference are left out, as in the chart
            rows.append(
                {"input": row["input"], "low": money(d["at_low"], fx, sym), "high": money(d["at_high"], fx, sym)}
            )
    return {
        "samples": doc["samples"],
        "seed": doc["seed"],
        "inputs": len(doc["inputs"]),
        "options": options,
        "charts": job.result["charts"],
        "tornado": rows,
        "tornado_label": f"{second} minus {first}" if first and second else "",
    }
