"""A small, fast inline SVG chart for the live editor (the report uses Vega-Lite; this must answer in milliseconds)."""

from __future__ import annotations

from html import escape

from llmtco.result import Result

COLOURS = ("#4c78a8", "#f58518", "#e45756", "#72b7b2", "#54a24b", "#eeca3b", "#b279a2", "#ff9da6")


def cumulative_svg(result: Result, width: int = 640, height: int = 260) -> str:
    """Cumulative cost per option over the months, as an SVG string (user strings escaped)."""
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
