"""Renderers: results in, text out. Deterministic; the engine never imports them."""

from __future__ import annotations

from collections.abc import Callable

from llmtco.report.csv import render_csv
from llmtco.report.json import render_json
from llmtco.report.table import render_table
from llmtco.result import Result

RENDERERS: dict[str, Callable[[Result], str]] = {
    "table": render_table,
    "json": render_json,
    "csv": render_csv,
}
"""Output format → renderer for breakdown results."""

__all__ = ["RENDERERS", "render_csv", "render_json", "render_table"]
