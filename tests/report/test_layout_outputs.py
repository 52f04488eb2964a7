"""The chosen serving layout in every output format (schema 2.1: ``sizing.workloads[].layout``)."""

from __future__ import annotations

import csv
import io
import json

import pytest

from llmtco import evaluate, parse_scenario_text
from llmtco.report import RENDERERS
from llmtco.report.html import render_html
from llmtco.result import Result
from tests.engine.test_layout_serve import DISAGG


@pytest.fixture(scope="module")
def result() -> Result:
    return evaluate(*parse_scenario_text(DISAGG))


def _label(r: Result) -> str:
    layout = r.options[0].sizing.workloads[0].layout  # type: ignore[union-attr]
    assert layout is not None and layout.disaggregated
    return layout.label


def test_json_carries_the_layout_and_its_pools(result: Result) -> None:
    doc = json.loads(RENDERERS["json"](result))
    lay = doc["options"][0]["sizing"]["workloads"][0]["layout"]
    assert lay["label"] == _label(result) and lay["disaggregated"] is True
    assert {"tp", "ep", "pp", "dp", "gpus_per_replica", "kv_transfer_ms"} <= set(lay)
    assert [p["role"] for p in lay["pools"]] == ["prefill", "decode"]


def test_csv_has_one_layout_row_per_workload(result: Result) -> None:
    rows = [r for r in csv.DictReader(io.StringIO(RENDERERS["csv"](result))) if r["row"] == "layout"]
    assert len(rows) == 1
    row = rows[0]
    assert (row["item"], row["category"], row["source"]) == ("long", "disaggregated", _label(result))
    assert int(row["quantity"]) == result.options[0].sizing.workloads[0].tensor_parallel  # type: ignore[union-attr]


@pytest.mark.parametrize("fmt", ["markdown", "table"])
def test_text_formats_name_the_layout(result: Result, fmt: str) -> None:
    assert _label(result) in RENDERERS[fmt](result)


def test_html_sizing_table_has_a_layout_column(result: Result) -> None:
    page = render_html(result)
    sizing = page[page.index('<table id="sizing">') :]
    sizing = sizing[: sizing.index("</table>")]
    assert '<th class="text">Layout</th>' in sizing and _label(result) in sizing
