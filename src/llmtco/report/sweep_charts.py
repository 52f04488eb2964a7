"""Charts and a self-contained HTML report of a sweep (Altair specs, SVG by vl-convert, no scripts)."""

from __future__ import annotations

import math
from collections import Counter
from typing import Any

import numpy as np

from llmtco.analysis.sweep.result import SweepResult
from llmtco.report.charts import _chart, _svg

MAX_POINTS = 1500
"""Scatter points drawn per Pareto chart (the front is always drawn; the rest is thinned evenly)."""


def _value(x: Any) -> Any:
    if isinstance(x, float) and math.isnan(x):
        return None
    return x


def _field_type(r: SweepResult, axis: str) -> str:
    info = next(a for a in r.axes if a.name == axis)
    return "Q" if info.kind == "number" else "N"


def winner_map(r: SweepResult, x: str, y: str) -> dict[str, Any]:
    """The cheapest option over two axes; with more axes, the option cheapest most often in each cell."""
    import altair as alt

    winners = r.winners()
    xs, ys = r.axis_values(x), r.axis_values(y)
    cells: dict[tuple[Any, Any], Counter[str]] = {}
    for i, w in enumerate(winners):
        cells.setdefault((xs[i], ys[i]), Counter())[w or "(none ok)"] += 1
    rows = []
    for (a, b), c in cells.items():
        name, n = sorted(c.items(), key=lambda kv: (-kv[1], kv[0]))[0]
        rows.append({"x": _value(a), "y": _value(b), "winner": name, "share": f"{100 * n / sum(c.values()):.0f} %"})
    # a heat map over ordinal positions keeps cells equal-sized on log-spaced axes
    spec: dict[str, Any] = (
        _chart(rows)
        .mark_rect()
        .encode(
            x=alt.X("x:O", title=x, sort="ascending", axis=alt.Axis(format=",.3~s", labelAngle=-45)),
            y=alt.Y("y:O", title=y, sort="descending"),
            color=alt.Color("winner:N", title="cheapest option", scale=alt.Scale(scheme="tableau10")),
            tooltip=["x:O", "y:O", "winner:N", "share:N"],
        )
        .properties(
            width=520,
            height=320,
            title=f"Cheapest option over {x} and {y}"
            + (" (most often, over the other axes)" if len(r.axes) > 2 else ""),
        )
        .to_dict()
    )
    if _field_type(r, x) == "N":
        spec["encoding"]["x"]["axis"].pop("format", None)
    return spec


def per_mtok_against(r: SweepResult, axis: str) -> dict[str, Any]:
    """Median cost per million tokens of each option (over the other axes) against one axis."""
    import altair as alt

    values = r.columns[axis]
    ok = r.columns["status"] == "ok"
    groups: dict[tuple[Any, str], list[float]] = {}
    for v, o, m, good in zip(values, r.columns["option"], r.columns["cost_per_mtok_usd"], ok, strict=True):
        if good and np.isfinite(m):
            key = (v.item() if isinstance(v, np.generic) else v, str(o))
            groups.setdefault(key, []).append(float(m))
    rows = [{"x": _value(k[0]), "option": k[1], "usd_per_mtok": float(np.median(v))} for k, v in groups.items()]
    kind = _field_type(r, axis)
    mark = _chart(rows).mark_line(point=True) if kind == "Q" else _chart(rows).mark_point(filled=True, size=60)
    spec: dict[str, Any] = (
        mark.encode(
            x=alt.X(f"x:{kind}", title=axis),
            y=alt.Y("usd_per_mtok:Q", title="USD per million tokens (median over the other axes)"),
            color=alt.Color("option:N", title="option"),
        )
        .properties(width=520, height=260, title=f"Cost per million tokens against {axis}")
        .to_dict()
    )
    return spec


def pareto_chart(r: SweepResult, other: str, label: str) -> dict[str, Any] | None:
    """Total cost against ``other`` for every ok row, the Pareto front as a line; None without data."""
    import altair as alt

    front = r.pareto("total_cost_usd", other)
    x = r.columns["total_cost_usd"]
    y = r.columns[other]
    ok = np.flatnonzero((r.columns["status"] == "ok") & np.isfinite(x) & np.isfinite(y))
    if ok.size == 0:
        return None
    rest = ok[~front[ok]]
    if rest.size > MAX_POINTS:
        rest = rest[np.linspace(0, rest.size - 1, MAX_POINTS).astype(int)]
    rows = [
        {"cost": float(x[i]), "y": float(y[i]), "option": str(r.columns["option"][i]), "front": bool(front[i])}
        for i in sorted([*rest.tolist(), *np.flatnonzero(front).tolist()])
    ]
    points = (
        _chart(rows)
        .mark_point(opacity=0.5)
        .encode(
            x=alt.X("cost:Q", title="total cost over the horizon (USD)", scale=alt.Scale(zero=False)),
            y=alt.Y("y:Q", title=label, scale=alt.Scale(zero=False)),
            color=alt.Color("option:N", title="option"),
        )
    )
    line = (
        _chart([row for row in rows if row["front"]])
        .mark_line(color="black", point=alt.OverlayMarkDef(color="black"))
        .encode(x="cost:Q", y="y:Q")
    )
    spec: dict[str, Any] = (
        alt.layer(points, line).properties(width=520, height=300, title=f"Pareto front: cost against {label}").to_dict()
    )
    return spec


def render_sweep_html(r: SweepResult, x: str | None = None, y: str | None = None) -> str:
    """The sweep report: winner map over axes ``x`` and ``y`` (default: the first two), cost per Mtok
    against every axis, Pareto fronts of cost against latency (TTFT) and emissions, and the flips."""
    from html import escape

    from llmtco.report.sweep import render_table

    names = [a.name for a in r.axes]
    for a in (x, y):
        if a is not None and a not in names:
            raise ValueError(f"--axes: {a!r} is not an axis of this sweep; axes: {', '.join(names)}")
    x = x or names[0]
    y = y or (names[1] if len(names) > 1 else names[0])
    charts = [("Winner map", _svg(winner_map(r, x, y)))]
    charts += [(f"Cost per million tokens: {a}", _svg(per_mtok_against(r, a))) for a in names]
    for col, label in (("ttft_ms", "time to first token (ms)"), ("emissions_tco2e", "emissions (t CO2e)")):
        spec = pareto_chart(r, col, label)
        if spec is not None:
            charts.append((f"Pareto: cost against {label}", _svg(spec)))
    body = "\n".join(f'<h2>{escape(t)}</h2>\n<div class="chart">{svg}</div>' for t, svg in charts)
    table = escape(render_table(r))
    return (
        '<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{escape(r.scenario)} — sweep</title>\n"
        "<style>body{font:14px/1.5 system-ui,sans-serif;max-width:1100px;margin:0 auto;padding:24px}"
        "h2{font-size:18px;border-bottom:1px solid #d0d7de}.chart svg{max-width:100%;height:auto}"
        "pre{font-size:12px;overflow-x:auto}</style>\n</head>\n<body>\n"
        f"<h1>{escape(r.scenario)}: sweep of {r.variants:,} variants</h1>\n"
        f"<p>Grid {escape(r.grid_file)} ({escape(r.mode)}), axes: {escape(', '.join(names))}; "
        f"{r.engine_runs:,} engine runs{f', {r.samples:,} Monte Carlo samples per variant' if r.samples else ''}"
        f", seed {r.seed}.</p>\n{body}\n<h2>Winners and flips</h2>\n<pre>{table}</pre>\n</body>\n</html>\n"
    )
