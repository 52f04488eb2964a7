"""A small, fast inline SVG chart for the live editor (the report uses Vega-Lite; this must answer in milliseconds)."""

from __future__ import annotations

from html import escape
from typing import Any

from llmtco.result import Result

COLOURS = ("#4c78a8", "#f58518", "#e45756", "#72b7b2", "#54a24b", "#eeca3b", "#b279a2", "#ff9da6")


def cumulative_svg(result: Result, width: int = 640, height: int = 260, breakeven: bool = False) -> str:
    """Cumulative cost per option over the months, as an SVG string (user strings escaped).

    ``breakeven`` marks each month where one option's cumulative cost comes to stay at or below another's
    (``OptionResult.breakeven_month``) with a diamond, titled ``A = B, month N`` for hover.
    """
    series = [(o.name, o.cumulative_usd) for o in result.options if not o.excluded and o.cumulative_usd]
    if not series:
        return ""
    months = max(len(s) for _, s in series)
    top = max(max(s) for _, s in series) or 1.0
    left, right, bottom, top_pad = 70, 170, 30, 10
    pw, ph = width - left - right, height - bottom - top_pad

    def x(m: int) -> float:
        return left + pw * m / max(months - 1, 1)

    def y(v: float) -> float:
        return top_pad + ph * (1 - v / top)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" width="{width}" height="{height}" '
        f'role="img" aria-label="Cumulative cost per option">'
    ]
    for i in range(5):
        v = top * i / 4
        parts.append(f'<line x1="{left}" x2="{left + pw}" y1="{y(v):.1f}" y2="{y(v):.1f}" stroke="#ddd"/>')
        parts.append(f'<text x="{left - 6}" y="{y(v) + 4:.1f}" font-size="11" text-anchor="end">{v / 1e6:.2f}M</text>')
    for m in range(0, months, max(1, months // 6)):
        parts.append(f'<text x="{x(m):.1f}" y="{height - 10}" font-size="11" text-anchor="middle">{m + 1}</text>')
    for k, (name, values) in enumerate(series):
        colour = COLOURS[k % len(COLOURS)]
        points = " ".join(f"{x(m):.1f},{y(v):.1f}" for m, v in enumerate(values))
        parts.append(f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="{points}"/>')
        ly = top_pad + 16 * k + 8
        parts.append(
            f'<line x1="{left + pw + 10}" x2="{left + pw + 26}" y1="{ly}" y2="{ly}" stroke="{colour}" '
            f'stroke-width="3"/><text x="{left + pw + 30}" y="{ly + 4}" font-size="11">'
            f"{escape(name[:24])}</text>"
        )
    if breakeven:
        parts.extend(_breakeven_marks(result, x, y))
    parts.append("</svg>")
    return "".join(parts)


def _breakeven_marks(result: Result, x: Any, y: Any) -> list[str]:
    marks = []
    for o in result.options:
        if o.excluded:
            continue
        for other, month in o.breakeven_month.items():
            if month and 0 < month <= len(o.cumulative_usd):
                m = int(month) - 1
                cx, cy = x(m), y(o.cumulative_usd[m])
                marks.append(
                    f'<path class="breakeven" d="M{cx:.1f},{cy - 6:.1f} l6,6 l-6,6 l-6,-6 z" fill="#111">'
                    f"<title>{escape(o.name)} = {escape(other)}, month {month:.0f}</title></path>"
                )
    return marks


def breakdown_svg(result: Result, width: int = 640, row: int = 26) -> str:
    """One horizontal stacked bar per option: its CapEx then OpEx line items over the horizon (hover: item, amount)."""
    from llmtco.report.facts import build_facts

    facts = build_facts(result)
    names = [o.name for o in facts.options]
    if not names:
        return ""
    items = sorted({(f.category, f.item) for f in facts.line_items})
    colour = {key: COLOURS[i % len(COLOURS)] for i, key in enumerate(items)}
    positive = {n: sum(f.amount_value for f in facts.line_items if f.option == n and f.amount_value > 0) for n in names}
    top = max(positive.values()) or 1.0
    left, right = 170, 20
    pw = width - left - right
    legend_rows = (len(items) + 2) // 3
    height = row * len(names) + 24 + 16 * legend_rows
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" width="{width}" height="{height}" '
        f'role="img" aria-label="CapEx and OpEx by line item">'
    ]
    for k, name in enumerate(names):
        y0, x0 = 4 + k * row, float(left)
        parts.append(f'<text x="{left - 6}" y="{y0 + 15}" font-size="11" text-anchor="end">{escape(name[:26])}</text>')
        for f in facts.line_items:
            if f.option != name or f.amount_value <= 0:
                continue
            w = pw * f.amount_value / top
            parts.append(
                f'<rect class="item" x="{x0:.1f}" y="{y0 + 3}" width="{w:.1f}" height="{row - 8}" '
                f'fill="{colour[(f.category, f.item)]}"><title>{escape(name)}: {f.category} {f.item} {escape(f.amount)}'
                f"</title></rect>"
            )
            x0 += w
    base = 4 + len(names) * row + 12
    for i, (category, item) in enumerate(items):
        lx, ly = left + (i % 3) * (pw // 3), base + (i // 3) * 16
        parts.append(
            f'<rect x="{lx}" y="{ly - 9}" width="10" height="10" fill="{colour[(category, item)]}"/>'
            f'<text x="{lx + 14}" y="{ly}" font-size="11">{category}: {item}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def per_mtok_svg(result: Result, width: int = 640, row: int = 22) -> str:
    """Horizontal bars of cost per million tokens per option, as an SVG string."""
    rows = [(o.name, o.cost_per_mtok_usd or 0.0) for o in result.options if not o.excluded]
    if not rows:
        return ""
    top = max(v for _, v in rows) or 1.0
    left, right = 170, 60
    pw = width - left - right
    height = row * len(rows) + 24
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" width="{width}" height="{height}" '
        f'role="img" aria-label="Cost per million tokens">'
    ]
    for k, (name, v) in enumerate(sorted(rows, key=lambda r: r[1])):
        y = 4 + k * row
        w = pw * v / top
        parts.append(
            f'<text x="{left - 6}" y="{y + 14}" font-size="11" text-anchor="end">{escape(name[:26])}</text>'
            f'<rect x="{left}" y="{y + 3}" width="{w:.1f}" height="{row - 8}" fill="{COLOURS[0]}"/>'
            f'<text x="{left + w + 4:.1f}" y="{y + 14}" font-size="11">{v:.3f}</text>'
        )
    parts.append(f'<text x="{left}" y="{height - 4}" font-size="11">USD per million tokens (input + output)</text>')
    parts.append("</svg>")
    return "".join(parts)
