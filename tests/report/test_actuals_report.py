"""Rendering of plan against actual: table, JSON and the self-contained HTML section."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest

from llmtco import load_scenario
from llmtco.analysis.actuals import ExportSource, actuals
from llmtco.analysis.actuals.model import ActualsResult
from llmtco.engine import evaluate
from llmtco.report.actuals import render_html, render_json, render_report, render_table
from tests.conftest import ROOT

EXAMPLE = ROOT / "examples" / "actuals"


@pytest.fixture(scope="module")
def result() -> ActualsResult:
    sc, cat = load_scenario(EXAMPLE / "scenario.yaml")
    return actuals(
        sc,
        cat,
        "onprem-h100",
        dt.date(2026, 9, 1),
        dt.date(2026, 11, 30),
        telemetry=ExportSource(EXAMPLE / "telemetry-export.json.gz"),
        ledger=[EXAMPLE / "onprem-ledger.csv"],
    )


def test_table_shows_plan_beside_actual_and_missing_months(result: ActualsResult) -> None:
    text = render_table(result)
    assert "2026-09 plan" in text and "2026-09 actual" in text and "(missing)" in text
    assert "volume effect" in text and "price effect" in text and "utilisation effect" in text
    assert re.search(r"TTFT \(plan, SLO\) +│ +\d+ ms, SLO ≤ 2000 │ p50 \d+ / p99 \d+ ms", text)
    assert "2026-11: missing serving telemetry, GPU telemetry" in text
    assert "counter reset" in text


def test_json_is_standard_and_keeps_missing_as_null(result: ActualsResult) -> None:
    doc = json.loads(render_json(result))
    assert doc["schema"] == "llmtco.actuals/1"
    nov = doc["months"][2]
    assert nov["status"] == "missing" and nov["actual"]["cost_usd"] is None and nov["variance"] is None
    v = doc["months"][0]["variance"]
    assert v["total_usd"] == pytest.approx(v["actual_usd"] - v["plan_usd"])
    assert v["volume_usd"] + v["efficiency_usd"] + v["utilisation_usd"] + v["price_usd"] == pytest.approx(
        v["total_usd"]
    )


def test_html_is_self_contained_with_plan_vs_actual_charts(result: ActualsResult) -> None:
    html = render_html(result)
    assert html.startswith("<!doctype html>")
    assert html.count("<svg") == 4  # cost, tokens, energy, utilisation
    assert "<script" not in html and 'src="http' not in html and "<link" not in html
    assert "Plan against actual: onprem-h100" in html
    assert "Variance over the measured months" in html


def test_the_section_goes_into_the_plan_report(result: ActualsResult) -> None:
    sc, cat = load_scenario(EXAMPLE / "scenario.yaml")
    html = render_report(result, evaluate(sc, cat))
    assert html.index("Options side by side") < html.index("Plan against actual") < html.index("Assumptions and")
    assert "<script" not in html
