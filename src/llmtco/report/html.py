"""A self-contained HTML report: inline CSS and SVG charts, no scripts, no network."""

from __future__ import annotations

from importlib import resources
from typing import Any

from jinja2 import Environment, select_autoescape

from llmtco.analysis.montecarlo import SimulationResult
from llmtco.analysis.sensitivity import TornadoResult
from llmtco.costing.ledger import ITEMS
from llmtco.report.charts import _svg, distribution_chart, frontier_svg, render_svgs, tornado_chart
from llmtco.report.table import currency_symbol, money
from llmtco.result import OptionResult, Result


def recommendation(result: Result) -> dict[str, object]:
    """The cheapest option and the reasons a reader needs."""
    included = sorted((o for o in result.options if not o.excluded), key=lambda o: o.total_cost_usd or 0.0)
    fx = result.usd_per_currency_unit
    if not included:
        return {
            "name": "none",
            "kind": "-",
            "total": 0.0,
            "per_mtok": 0.0,
            "reasons": ["every option is excluded by the constraints"],
        }
    best = included[0]
    reasons = []
    if len(included) > 1:
        second = included[1]
        gap = (second.total_cost_usd or 0.0) - (best.total_cost_usd or 0.0)
        reasons.append(
            f"{_m(gap, fx, result.currency)} ({gap / max(second.total_cost_usd or 1.0, 1e-9) * 100:.0f} %) "
            f"cheaper than the runner-up, {second.name}."
        )
        month = best.breakeven_month.get(second.name)
        if month:
            reasons.append(f"It breaks even with {second.name} in month {month:.0f}.")
    drivers = sorted(best.line_items, key=lambda li: -abs(li.total_usd))[:3]
    reasons.append(
        "Largest cost items: " + ", ".join(f"{li.item} {_m(li.total_usd, fx, result.currency)}" for li in drivers) + "."
    )
    for o in result.options:
        if o.excluded:
            reasons.append(f"{o.name} is excluded: {o.reason}.")
    for note in best.notes:
        if "not like for like" in note or "proprietary" in note:
            reasons.append(f"Caution: {note}")
    return {
        "name": best.name,
        "kind": best.kind,
        "total": best.total_cost_usd or 0.0,
        "per_mtok": (best.cost_per_mtok_usd or 0.0) / fx,
        "reasons": reasons,
    }


def _m(value: float | None, fx: float, currency: str) -> str:
    return money(value, fx, currency_symbol(currency), missing="–")


def render_html(
    result: Result,
    simulation: SimulationResult | None = None,
    tornado: TornadoResult | None = None,
    frontiers: list[dict[str, Any]] | None = None,
) -> str:
    """The report; with a Monte Carlo summary, a tornado or throughput–interactivity frontiers
    (``report.frontier.frontier_dict``), their charts too."""
    env = Environment(autoescape=select_autoescape(default=True, default_for_string=True))
    template = env.from_string(
        resources.files("llmtco.report").joinpath("templates", "report.html.j2").read_text(encoding="utf-8")
    )
    fx = result.usd_per_currency_unit
    included = [o for o in result.options if not o.excluded]
    items = [i for i in ITEMS if any(li.item == i for o in included for li in o.line_items)]

    def item_money(o: OptionResult, item: str) -> str:
        values = [li.total_usd for li in o.line_items if li.item == item]
        return _m(sum(values), fx, result.currency) if values else ""

    def breakeven(o: OptionResult, other: str) -> str:
        if o.name == other:
            return ""
        month = o.breakeven_month.get(other)
        return "never" if month is None else "from start" if month == 0 else f"month {month:.0f}"

    rec = recommendation(result)
    charts = render_svgs(result)
    if simulation is not None:
        charts["distribution"] = _svg(distribution_chart(simulation.to_dict(), result.currency, fx))
    if tornado is not None and tornado.leaders[1]:
        charts["tornado"] = _svg(tornado_chart(tornado.to_dict(), result.currency, fx))
    for doc in frontiers or []:
        charts[f"frontier-{doc['accelerator']}"] = frontier_svg(doc)
    return template.render(
        r=result,
        included=included,
        excluded=[o for o in result.options if o.excluded],
        items=items,
        charts=charts,
        fx=fx,
        rec=rec,
        has_uncertainty=simulation is not None,
        money=lambda v: _m(v, fx, result.currency),
        item_money=item_money,
        breakeven=breakeven,
    )
