"""A self-contained HTML report: inline CSS and SVG charts, no scripts, no network.

The recommendation, line items, sizing and exclusions come from ``report.facts``, which the web app renders too.
"""

from __future__ import annotations

from importlib import resources
from typing import Any

from jinja2 import Environment, select_autoescape

from llmtco.analysis.montecarlo import SimulationResult
from llmtco.analysis.sensitivity import TornadoResult
from llmtco.costing.ledger import ITEMS
from llmtco.report.charts import _svg, distribution_chart, frontier_svg, render_svgs, tornado_chart
from llmtco.report.facts import breakeven_text, build_facts, facts_html, recommendation, signed_money
from llmtco.result import OptionResult, Result

__all__ = ["recommendation", "render_html"]


def _m(value: float | None, fx: float, currency: str) -> str:
    return signed_money(value, fx, currency)


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

    facts = build_facts(result)
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
        facts=facts,
        fragments=facts_html(facts),
        rec=facts.recommendation,
        has_uncertainty=simulation is not None,
        money=lambda v: _m(v, fx, result.currency),
        item_money=item_money,
        breakeven=breakeven_text,
    )
