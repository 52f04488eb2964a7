"""Markdown for pull-request comments: a compact comparison and the top cost drivers (< 65,000 characters)."""

from __future__ import annotations

from llmtco.report.facts import recommendation
from llmtco.report.html import _m
from llmtco.report.text import escaped
from llmtco.result import OptionResult, Result

LIMIT = 65_000


def _cell(text: str) -> str:
    """Escape what would break a Markdown table or inject markup."""
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;").replace("\n", " ")


def _layouts(o: OptionResult) -> str:
    """Each workload's layout, ``workload: label`` joined by ``; `` (– without sizing)."""
    if not o.sizing or not o.sizing.workloads:
        return "–"
    return "; ".join(_cell(f"{ws.workload}: {ws.layout.label}") for ws in o.sizing.workloads if ws.layout) or "–"


def render_markdown(result: Result) -> str:
    result = escaped(result)  # no control character from a scenario string reaches the reader
    fx, cur = result.usd_per_currency_unit, result.currency
    included = [o for o in result.options if not o.excluded]
    rec = recommendation(result)
    lines = [
        f"### LLM TCO: {_cell(result.scenario)}",
        "",
        f"{result.horizon_months} months from {result.start_date}, discount rate {result.discount_rate_pct:g} %, "
        f"{cur}. **Cheapest: {_cell(rec.name)}**.",
        "",
    ]
    if included:
        lines.append("| | " + " | ".join(_cell(o.name) for o in included) + " |")
        lines.append("|---|" + "---:|" * len(included))
        lines.append("| Total | " + " | ".join(_m(o.total_cost_usd, fx, cur) for o in included) + " |")
        lines.append("| NPV | " + " | ".join(_m(o.npv_usd, fx, cur) for o in included) + " |")
        lines.append(
            "| CapEx / OpEx | "
            + " | ".join(f"{_m(o.capex_usd, fx, cur)} / {_m(o.opex_usd, fx, cur)}" for o in included)
            + " |"
        )
        lines.append(
            f"| {cur} per M tokens (input + output) | "
            + " | ".join(f"{(o.cost_per_mtok_usd or 0) / fx:.3f}" for o in included)
            + " |"
        )
        lines.append(
            f"| {cur} per M output tokens | "
            + " | ".join(f"{(o.cost_per_output_mtok_usd or 0) / fx:.2f}" for o in included)
            + " |"
        )
        lines.append("| GPUs | " + " | ".join(str(o.sizing.gpus) if o.sizing else "–" for o in included) + " |")
        lines.append("| Layout | " + " | ".join(_layouts(o) for o in included) + " |")
        lines.append("")
        lines.append("**Top cost drivers**")
        lines.append("")
        for o in included:
            top = sorted(o.line_items, key=lambda li: -abs(li.total_usd))[:3]
            lines.append(f"- {_cell(o.name)}: " + ", ".join(f"{li.item} {_m(li.total_usd, fx, cur)}" for li in top))
    excluded = [o for o in result.options if o.excluded]
    if excluded:
        lines += ["", "**Excluded**", ""] + [f"- {_cell(o.name)}: {_cell(o.reason or '')}" for o in excluded]
    if result.warnings:
        lines += ["", "**Warnings**", ""] + [f"- {_cell(w)}" for w in result.warnings]
    lines += ["", f"<sub>llmtco {result.metadata.get('tool_version')}, schema {result.schema_version}</sub>", ""]
    text = "\n".join(lines)
    if len(text) > LIMIT:
        text = text[: LIMIT - 40] + "\n\n… (truncated to fit a comment)\n"
    return text
