"""Renderers: results in, text out. Deterministic; the engine never imports them."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from llmtco.report.csv import render_csv
from llmtco.report.json import render_json
from llmtco.report.markdown import render_markdown
from llmtco.report.table import render_table
from llmtco.result import Result

if TYPE_CHECKING:
    from llmtco.analysis.montecarlo import SimulationResult
    from llmtco.analysis.sensitivity import TornadoResult

RENDERERS: dict[str, Callable[[Result], str]] = {
    "table": render_table,
    "json": render_json,
    "csv": render_csv,
    "markdown": render_markdown,
}
"""Text output format → renderer for breakdown results (html and xlsx: ``render_html``, ``render_xlsx``)."""


def render_html(
    result: Result, simulation: SimulationResult | None = None, tornado: TornadoResult | None = None
) -> str:
    from llmtco.report.html import render_html as _render

    return _render(result, simulation, tornado)


def render_xlsx(result: Result) -> bytes:
    from llmtco.report.xlsx import render_xlsx as _render

    return _render(result)


__all__ = ["RENDERERS", "render_csv", "render_html", "render_json", "render_markdown", "render_table", "render_xlsx"]
