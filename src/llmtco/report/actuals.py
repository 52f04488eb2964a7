"""Plan against actual: table, JSON and a self-contained HTML section with plan-vs-actual charts."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from dataclasses import asdict
from importlib import resources
from typing import Any

from jinja2 import Environment, select_autoescape
from rich.console import Console
from rich.table import Table

from llmtco.analysis.actuals.model import ActualsResult, MonthComparison, Variance
from llmtco.report.table import currency_symbol, money
from llmtco.result import Result, _clean

SCHEMA = "llmtco.actuals/1"

ROWS: list[tuple[str, str, str]] = [
    ("input tokens (M)", "input_tokens", "mtok"),
    ("output tokens (M)", "output_tokens", "mtok"),
    ("requests (k)", "requests", "k"),
    ("GPU-hours", "gpu_hours", "int"),
    ("busy GPU-h (at plan batch)", "busy_gpu_hours", "int"),
    ("utilisation %", "utilisation_pct", "pct"),
    ("GPU busy % (DCGM)", "gpu_util_dcgm_pct", "pct"),
    ("GPU power W", "gpu_power_w", "int"),
    ("GPU memory used GiB", "gpu_memory_used_gib", "dec"),
    ("energy kWh (× PUE)", "energy_kwh", "int"),
    ("Wh per 1k tokens", "wh_per_1k_tokens", "dec"),
    ("cost, compared items", "cost_usd", "money"),
    ("cost per M tokens", "cost_usd_per_mtok", "money2"),
]
"""Label, figure key, format of the per-month rows."""


def _fmt(value: float | None, kind: str, fx: float, sym: str, missing: str = "missing") -> str:
    if value is None:
        return missing
    if kind == "mtok":
        return f"{value / 1e6:,.1f}"
    if kind == "k":
        return f"{value / 1e3:,.1f}"
    if kind == "int":
        return f"{value:,.0f}"
    if kind == "pct":
        return f"{value:.1f}"
    if kind == "dec":
        return f"{value:.2f}"
    if kind == "money2":
        return f"{sym}{value / fx:,.2f}"
    return money(value, fx, sym)


def _plan_value(m: MonthComparison, key: str) -> float | None:
    if key == "cost_usd":
        compared = m.plan.get("cost_usd_compared")
        return m.plan.get("cost_usd") if compared is None else compared
    return m.plan.get(key)


def slo_cells(m: MonthComparison, q: str) -> tuple[str, str]:
    """(plan cell, actual cell) of TTFT or TPOT: the plan's operating point and SLO; measured p50 / p99."""
    slo = m.slo.get(q, {})
    target, planned, p50, p99 = slo.get("target_ms"), slo.get("plan_ms"), slo.get("p50"), slo.get("p99")
    plan = ("-" if planned is None else f"{planned:.0f} ms, ") + ("" if target is None else f"SLO ≤ {target:g}")
    actual = "missing" if p50 is None or p99 is None else f"p50 {p50:.0f} / p99 {p99:.0f} ms"
    return plan, actual


def item_rows(r: ActualsResult) -> list[tuple[str, list[str]]]:
    """Line items: name and (plan, actual) cells per month."""
    fx, sym = r.usd_per_currency_unit, currency_symbol(r.currency)
    out = []
    for name in dict.fromkeys(i.item for m in r.months for i in m.items):
        cells = []
        for m in r.months:
            it = next((i for i in m.items if i.item == name), None)
            cells += (
                ["-", "-"] if it is None else [money(it.plan_usd, fx, sym), money(it.actual_usd, fx, sym, "missing")]
            )
        out.append((name, cells))
    return out


def variance_lines(v: Variance, fx: float, sym: str) -> list[tuple[str, str]]:
    rows = [("plan (compared items)", money(v.plan_usd, fx, sym)), ("volume effect", money(v.volume_usd, fx, sym))]
    if v.efficiency_usd is not None:
        rows.append(("efficiency effect (tokens per GPU-h)", money(v.efficiency_usd, fx, sym)))
    if v.utilisation_usd is not None:
        rows.append(("utilisation effect", money(v.utilisation_usd, fx, sym)))
    rows += [("price effect", money(v.price_usd, fx, sym)), ("actual", money(v.actual_usd, fx, sym))]
    return rows


def render_table(r: ActualsResult, width: int = 160) -> str:
    fx, sym = r.usd_per_currency_unit, currency_symbol(r.currency)
    out = io.StringIO()
    con = Console(file=out, width=width, color_system=None, force_terminal=False, highlight=False, markup=False)
    con.print(f"{r.scenario} — option {r.option} ({r.kind}), plan against actual {r.date_from} .. {r.date_to}")
    for s in r.sources:
        con.print(f"  source {s}")
    t = Table(header_style="bold")
    t.add_column("", no_wrap=True)
    for m in r.months:
        t.add_column(f"{m.month} plan", justify="right")
        t.add_column(f"{m.month} actual\n({m.status})", justify="right")
    for label, key, kind in ROWS:
        cells = []
        for m in r.months:
            cells += [_fmt(_plan_value(m, key), kind, fx, sym, "-"), _fmt(m.actual.get(key), kind, fx, sym)]
        t.add_row(label, *cells)
    for q in ("ttft", "tpot"):
        t.add_row(f"{q.upper()} (plan, SLO)", *[c for m in r.months for c in slo_cells(m, q)])
    con.print(t)
    items = Table(title="Line items", header_style="bold")
    items.add_column("item", no_wrap=True)
    for m in r.months:
        items.add_column(f"{m.month} plan", justify="right")
        items.add_column(f"{m.month} actual", justify="right")
    for name, cells in item_rows(r):
        items.add_row(name, *cells)
    con.print(items)
    for m in r.months:
        if m.missing:
            con.print(f"{m.month}: missing {', '.join(m.missing)}")
    if r.variance is not None:
        v = Table(title=f"Variance over the measured months ({r.currency})", header_style="bold")
        v.add_column("")
        v.add_column("amount", justify="right")
        for label, value in variance_lines(r.variance, fx, sym):
            v.add_row(label, value)
        con.print(v)
    rc = r.recalibration
    if rc is not None:
        con.print(
            f"Recalibrated {rc.efficiency_id} → {rc.profile_path}: at {rc.observed_batch:.1f} running requests per "
            f"replica, measured {rc.observed_output_tok_s_per_gpu:.1f} output tokens/s per GPU and "
            f"{rc.observed_power_w_per_gpu:.0f} W; the plan predicted {rc.planned_output_tok_s_per_gpu:.1f} "
            "tokens/s and "
            f"{rc.planned_power_w_per_gpu:.0f} W, the recalibrated model {rc.recalibrated_output_tok_s_per_gpu:.1f} "
            f"tokens/s and {rc.recalibrated_power_w_per_gpu:.0f} W."
        )
        con.print(
            f"Forecast for the remaining {rc.forecast_months} months: {money(rc.forecast_cost_usd_before, fx, sym)} → "
            f"{money(rc.forecast_cost_usd_after, fx, sym)}"
            + (
                f", energy {rc.forecast_energy_kwh_before:,.0f} → {rc.forecast_energy_kwh_after:,.0f} kWh"
                if rc.forecast_energy_kwh_before is not None and rc.forecast_energy_kwh_after is not None
                else ""
            )
            + f", GPUs {rc.gpus_before} → {rc.gpus_after}."
        )
    for a in r.assumptions:
        con.print(f"  assumption: {a}")
    for p in r.problems:
        con.print(f"  {p.severity}: {p}")
    return out.getvalue()


def to_dict(r: ActualsResult) -> dict[str, Any]:
    doc: dict[str, Any] = _clean(asdict(r))
    doc = {"schema": SCHEMA, **doc}
    for m, src in zip(doc["months"], r.months, strict=True):
        m["variance"] = None if src.variance is None else {**m["variance"], "total_usd": src.variance.total_usd}
    return doc


def render_json(r: ActualsResult) -> str:
    return json.dumps(to_dict(r), indent=2, allow_nan=False) + "\n"


def charts(r: ActualsResult) -> dict[str, str]:
    """Plan-vs-actual charts as inline SVG (Vega-Lite through vl-convert)."""
    import altair as alt

    from llmtco.report.charts import _chart, _svg

    fx = r.usd_per_currency_unit
    out: dict[str, str] = {}
    for name, key, title, scale in (
        ("cost", "cost_usd", f"Cost of the compared items ({r.currency})", 1.0 / fx),
        ("tokens", "tokens", "Tokens served (millions)", 1e-6),
        ("energy", "energy_kwh", "Energy (kWh, × PUE)", 1.0),
        ("utilisation", "utilisation_pct", "GPU utilisation (%)", 1.0),
    ):
        rows = []
        for m in r.months:
            for side, value in (("plan", _plan_value(m, key)), ("actual", m.actual.get(key))):
                if value is not None:
                    rows.append({"month": m.month, "side": side, "value": value * scale})
        if not rows:
            continue
        spec = (
            _chart(rows)
            .mark_bar()
            .encode(
                x=alt.X("month:N", title=None, axis=alt.Axis(labelAngle=0)),
                xOffset="side:N",
                y=alt.Y("value:Q", title=None),
                color=alt.Color("side:N", title=None, scale=alt.Scale(domain=["plan", "actual"])),
            )
            .properties(width=320, height=200, title=title)
            .to_dict()
        )
        out[name] = _svg(spec)
    return out


def render_section(r: ActualsResult) -> str:
    """The HTML section (for a report page)."""
    fx, sym = r.usd_per_currency_unit, currency_symbol(r.currency)
    env = Environment(autoescape=select_autoescape(default=True, default_for_string=True))
    template = resources.files("llmtco.report").joinpath("templates", "actuals.html.j2").read_text(encoding="utf-8")
    return env.from_string(template).render(
        r=r,
        rows=ROWS,
        charts=charts(r),
        plan=_plan_value,
        fmt=lambda v, k, missing="missing": _fmt(v, k, fx, sym, missing),
        money=lambda v: money(v, fx, sym),
        variance=None if r.variance is None else variance_lines(r.variance, fx, sym),
        slo=[(f"{q.upper()} (plan, SLO)", [c for m in r.months for c in slo_cells(m, q)]) for q in ("ttft", "tpot")],
        items=item_rows(r),
    )


def render_html(r: ActualsResult) -> str:
    """A self-contained page: inline CSS and SVG, no scripts, no network."""
    style = (
        "body{font-family:system-ui,sans-serif;margin:2em;color:#222}table{border-collapse:collapse;margin:1em 0}"
        "td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}td:first-child{text-align:left}"
        ".charts{display:flex;flex-wrap:wrap;gap:1em}.small{font-size:85%;color:#555}"
    )
    return (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>llmtco actuals: {_esc(r.scenario)}</title>'
        f"<style>{style}</style></head><body><h1>{_esc(r.scenario)}</h1>{render_section(r)}</body></html>\n"
    )


def render_report(r: ActualsResult, plan: Result) -> str:
    """The plan's HTML report (``llmtco report``) with the plan-against-actual section before its assumptions."""
    from llmtco.report.html import render_html as plan_html

    page = plan_html(plan)
    section = render_section(r)
    marker = "<h2>Assumptions and sources</h2>"
    if marker in page:
        return page.replace(marker, section + "\n" + marker, 1)
    return page.replace("</body>", section + "\n</body>", 1)


def _esc(text: str) -> str:
    from markupsafe import escape

    return str(escape(text))


RENDERERS: dict[str, Callable[[ActualsResult], str]] = {
    "table": render_table,
    "json": render_json,
    "html": render_html,
}
