"""Cost gates for CI: an option's total above a limit, or an increase above a percentage."""

from __future__ import annotations

from llmtco.report.diff import Diff
from llmtco.result import Result


def above_limit(result: Result, limit_usd: float, option: str | None = None) -> list[str]:
    out = []
    for o in result.options:
        if o.excluded or (option is not None and o.name != option):
            continue
        if (o.total_cost_usd or 0.0) > limit_usd:
            out.append(
                f"{o.name}: total {o.total_cost_usd:,.0f} USD is above the limit {limit_usd:,.0f} USD (--fail-above)"
            )
    return out


def increase_above(d: Diff, pct: float, option: str | None = None) -> list[str]:
    out = []
    for c in d.costs:
        if c.item != "total" or (option is not None and c.option != option):
            continue
        if c.delta_pct is not None and c.delta_pct > pct:
            out.append(
                f"{c.option}: total rose {c.delta_pct:.1f} % ({c.base_usd:,.0f} → {c.head_usd:,.0f} USD), "
                f"above {pct:g} % (--fail-on-increase)"
            )
    return out


def head_above_limit(d: Diff, limit_usd: float, option: str | None = None) -> list[str]:
    return [
        f"{c.option}: total {c.head_usd:,.0f} USD is above the limit {limit_usd:,.0f} USD (--fail-above)"
        for c in d.costs
        if c.item == "total"
        and (option is None or c.option == option)
        and c.head_usd is not None
        and c.head_usd > limit_usd
    ]
