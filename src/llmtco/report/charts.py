"""Charts as Vega-Lite specs (Altair), rendered to inline SVG offline with vl-convert."""

from __future__ import annotations

from typing import Any

from llmtco.result import Result


def _svg(spec: dict[str, Any]) -> str:
    import vl_convert as vlc

    svg: str = vlc.vegalite_to_svg(spec)
    return svg


def _chart(data: list[dict[str, Any]]) -> Any:
    import altair as alt

    return alt.Chart(alt.Data(values=data))  # type: ignore[no-untyped-call]


def cumulative_chart(result: Result) -> dict[str, Any]:
    """Cumulative cost per option over the months, break-even points marked."""
    import altair as alt

    fx = result.usd_per_currency_unit
    rows = [
        {"month": m + 1, "option": o.name, "cost": v / fx}
        for o in result.options
        if not o.excluded
        for m, v in enumerate(o.cumulative_usd)
    ]
    marks = []
    for o in result.options:
        for other, month in o.breakeven_month.items():
            if month and month > 0:
                marks.append(
                    {"month": month, "cost": o.cumulative_usd[int(month) - 1] / fx, "label": f"{o.name} = {other}"}
                )
    lines = (
        _chart(rows)
        .mark_line()
        .encode(
            x=alt.X("month:Q", title="month"),
            y=alt.Y("cost:Q", title=f"cumulative cost ({result.currency})"),
            color=alt.Color("option:N", title="option"),
        )
    )
    layers = [lines]
    if marks:
        layers.append(
            _chart(marks)
            .mark_point(shape="diamond", size=90, filled=True, color="black")
            .encode(x="month:Q", y="cost:Q", tooltip=["label:N"])
        )
    spec: dict[str, Any] = (
        alt.layer(*layers).properties(width=640, height=300, title="Cumulative cost (◆ break-even)").to_dict()
    )
    return spec


def breakdown_chart(result: Result) -> dict[str, Any]:
    """Stacked CapEx and OpEx per option by line item."""
    import altair as alt

    fx = result.usd_per_currency_unit
    rows = [
        {"option": o.name, "item": f"{li.category}: {li.item}", "cost": li.total_usd / fx}
        for o in result.options
        if not o.excluded
        for li in o.line_items
        if abs(li.total_usd) > 0
    ]
    spec: dict[str, Any] = (
        _chart(rows)
        .mark_bar()
        .encode(
            x=alt.X("option:N", title=None),
            y=alt.Y("sum(cost):Q", title=f"total over the horizon ({result.currency})"),
            color=alt.Color("item:N", title="line item", scale=alt.Scale(scheme="tableau20")),
        )
        .properties(width=520, height=300, title="CapEx and OpEx by line item")
        .to_dict()
    )
    return spec


def per_mtok_chart(result: Result) -> dict[str, Any]:
    import altair as alt

    fx = result.usd_per_currency_unit
    rows = [{"option": o.name, "value": (o.cost_per_mtok_usd or 0.0) / fx} for o in result.options if not o.excluded]
    spec: dict[str, Any] = (
        _chart(rows)
        .mark_bar()
        .encode(
            x=alt.X("value:Q", title=f"{result.currency} per million tokens"), y=alt.Y("option:N", title=None, sort="x")
        )
        .properties(width=520, height=30 * max(len(rows), 1), title="Cost per million tokens")
        .to_dict()
    )
    return spec


def energy_chart(result: Result) -> dict[str, Any]:
    import altair as alt

    rows = []
    for o in result.options:
        if o.excluded or o.energy_mwh is None:
            continue
        rows.append({"option": o.name, "metric": "energy (MWh)", "value": o.energy_mwh})
        rows.append({"option": o.name, "metric": "GPU utilisation (%)", "value": o.avg_utilisation_pct or 0.0})
    if not rows:
        rows = [{"option": "-", "metric": "energy (MWh)", "value": 0.0}]
    spec: dict[str, Any] = (
        _chart(rows)
        .mark_bar()
        .encode(
            x=alt.X("value:Q", title=None),
            y=alt.Y("option:N", title=None),
            column=alt.Column("metric:N", title=None),
        )
        .properties(width=240, height=25 * max(len(rows) // 2, 1), title="Energy and utilisation")
        .to_dict()
    )
    return spec


CHARTS = {
    "cumulative": cumulative_chart,
    "breakdown": breakdown_chart,
    "per_mtok": per_mtok_chart,
    "energy": energy_chart,
}
"""Chart name → Vega-Lite spec builder."""


def render_svgs(result: Result) -> dict[str, str]:
    return {name: _svg(build(result)) for name, build in CHARTS.items()}


def distribution_chart(summary: dict[str, Any], currency: str, fx: float) -> dict[str, Any]:
    """P10-P90 range and P50 of each option's total cost from a Monte Carlo summary."""
    import altair as alt

    rows = [
        {
            "option": name,
            "p10": o["total_cost_usd"]["p10"] / fx,
            "p50": o["total_cost_usd"]["p50"] / fx,
            "p90": o["total_cost_usd"]["p90"] / fx,
            "cheapest": f"{o['probability_cheapest'] * 100:.0f} %",
        }
        for name, o in summary["options"].items()
        if o["total_cost_usd"]["p50"] is not None
    ]
    base = _chart(rows).encode(y=alt.Y("option:N", title=None))
    band = base.mark_bar(height=14, opacity=0.5).encode(
        x=alt.X("p10:Q", title=f"total cost, P10-P90 and P50 ({currency})"), x2="p90:Q"
    )
    tick = base.mark_tick(thickness=3, size=20, color="black").encode(x="p50:Q", tooltip=["cheapest:N"])
    spec: dict[str, Any] = (
        alt.layer(band, tick)
        .properties(
            width=560,
            height=32 * max(len(rows), 1),
            title=f"Monte Carlo: {summary['samples']:,} samples (seed {summary['seed']})",
        )
        .to_dict()
    )
    return spec


def tornado_chart(doc: dict[str, Any], currency: str, fx: float, top: int = 10) -> dict[str, Any]:
    """Swing of the difference between the two leading options as each input goes from P10 to P90."""
    import altair as alt

    first, second = doc["leaders"]
    rows = []
    for row in doc["inputs"][:top]:
        d = row.get("leading_difference")
        if d is None or d["swing"] <= 0:
            continue
        rows.append({"input": row["input"], "low": d["at_low"] / fx, "high": d["at_high"] / fx})
    spec: dict[str, Any] = (
        _chart(rows)
        .mark_bar()
        .encode(
            y=alt.Y("input:N", sort=None, title=None),
            x=alt.X("low:Q", title=f"{second} minus {first} ({currency})"),
            x2="high:Q",
        )
        .properties(width=520, height=24 * max(len(rows), 1), title="Tornado: what moves the answer")
        .to_dict()
    )
    return spec


def frontier_chart(doc: dict[str, Any]) -> dict[str, Any]:
    """Tokens/s per GPU against tokens/s per user of a frontier (``report.frontier.frontier_dict``),
    one line per precision, disaggregated points filled."""
    import altair as alt

    rows = [
        {
            "per_user": p["tokens_per_s_per_user"],
            "per_gpu": p["output_tokens_per_s_per_gpu"],
            "precision": p["precision"],
            "deployment": "disaggregated" if p["disaggregated"] else "colocated",
            "layout": p["layout"] + (f" | prefill {p['prefill_layout']}" if p["prefill_layout"] else ""),
            "usd_per_mtok": p["cost_usd_per_mtok"],
        }
        for p in doc["points"]
    ]
    base = _chart(rows).encode(
        x=alt.X("per_user:Q", title="output tokens/s per user"),
        y=alt.Y("per_gpu:Q", title="output tokens/s per GPU"),
        color=alt.Color("precision:N"),
    )
    spec: dict[str, Any] = (
        alt.layer(
            base.mark_line(),
            base.mark_point(size=40).encode(
                shape=alt.Shape("deployment:N"), tooltip=["layout:N", "usd_per_mtok:Q", "per_user:Q", "per_gpu:Q"]
            ),
        )
        .properties(width=520, height=320, title=f"{doc['model']} on {doc['accelerator']}: throughput vs interactivity")
        .to_dict()
    )
    return spec


def frontier_svg(doc: dict[str, Any]) -> str:
    """The frontier chart as inline SVG, for the HTML report."""
    return _svg(frontier_chart(doc))
