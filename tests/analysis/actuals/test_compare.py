"""Variance split, month ranges, and the plan's monthly figures."""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from llmtco import load_scenario
from llmtco.analysis.actuals.compare import months_between, variance
from llmtco.analysis.actuals.plan import plan_for
from tests.analysis.actuals.conftest import EXAMPLE

pos = st.floats(min_value=1e-3, max_value=1e9, allow_nan=False)


share = st.floats(min_value=1e-3, max_value=1.0, allow_nan=False)


@given(pos, pos, pos, pos, pos, share, pos, share)
def test_the_effects_sum_to_the_gap(
    t0: float, t1: float, c0: float, c1: float, g0: float, u0: float, g1: float, u1: float
) -> None:
    v = variance(t0, t1, c0, c1, (g0 * u0, g0, g1 * u1, g1))
    assert v.efficiency_usd is not None and v.utilisation_usd is not None
    effects = (v.volume_usd, v.efficiency_usd, v.utilisation_usd, v.price_usd)
    # exact in real numbers; in floats up to rounding of the largest effect
    assert math.fsum(effects) == pytest.approx(c1 - c0, abs=1e-9 * max(map(abs, (*effects, c0, c1))))


def test_hand_worked_variance() -> None:
    # plan: 100 Mtok on 10 busy of 100 GPU-h for 1,000; actual: 150 Mtok, 30 busy of 120 GPU-h, 1,440
    v = variance(100.0, 150.0, 1000.0, 1440.0, (10.0, 100.0, 30.0, 120.0))
    assert v.volume_usd == pytest.approx(500.0)  # 50 % more tokens at the planned 10 per Mtok
    # tokens per busy GPU-h fell from 10 to 5: twice the busy hours at planned utilisation and price
    assert v.efficiency_usd == pytest.approx(1500.0)
    # utilisation rose from 10 % to 25 %: 120 instead of 300 GPU-h
    assert v.utilisation_usd == pytest.approx(-1800.0)
    assert v.price_usd == pytest.approx(240.0)  # 12 instead of 10 per GPU-h on 120 GPU-h
    api = variance(100.0, 150.0, 1000.0, 1440.0, None)
    assert (api.volume_usd, api.efficiency_usd, api.utilisation_usd, api.price_usd) == (500.0, None, None, -60.0)


def test_months_between_gives_the_share_of_each_month() -> None:
    got = months_between(dt.date(2026, 9, 16), dt.date(2026, 11, 3))
    assert [m for m, _ in got] == ["2026-09", "2026-10", "2026-11"]
    assert [s for _, s in got] == pytest.approx([15 / 30, 1.0, 3 / 30])


def test_plan_gpu_hours_follow_the_fleet_and_sum_to_the_engine_total() -> None:
    sc, cat = load_scenario(EXAMPLE / "scenario.yaml")
    for name in ("onprem-h100", "aws-h100"):
        plan = plan_for(sc, cat, name)
        assert plan.gpu_hours is not None and plan.busy_gpu_hours is not None
        total = plan.option.avg_utilisation_pct
        assert total is not None
        assert 100 * plan.busy_gpu_hours.sum() / plan.gpu_hours.sum() == pytest.approx(total, rel=1e-6)
        assert plan.notes == []  # rebuilt from the ledger, not apportioned
    onprem = plan_for(sc, cat, "onprem-h100")
    assert onprem.gpu_hours is not None
    assert onprem.gpu_hours[0] == pytest.approx(8 * 24 * 30)  # one 8-GPU server from the first month


def test_a_gap_in_the_gpu_telemetry_makes_the_month_partial(tmp_path: Path) -> None:
    import gzip
    import json

    from llmtco.analysis.actuals import ExportSource, actuals

    doc = json.loads(gzip.decompress((EXAMPLE / "telemetry-export.json.gz").read_bytes()))
    for r in doc["results"]:
        for row in r["data"]["result"]:
            # a 3-day scrape outage in October, 2026-10-05 .. 2026-10-08
            row["values"] = [v for v in row["values"] if not 1791158400 <= v[0] < 1791417600]
    path = tmp_path / "gap.json"
    path.write_text(json.dumps(doc))
    sc, cat = load_scenario(EXAMPLE / "scenario.yaml")
    res = actuals(sc, cat, "onprem-h100", dt.date(2026, 9, 1), dt.date(2026, 10, 31), telemetry=ExportSource(path))
    sept, octo = res.months
    assert sept.status == "complete"
    assert octo.status == "partial" and "GPU telemetry for 10 % of the GPU-time (gaps)" in octo.missing
    # counters bridge the gap: no token is lost
    full = actuals(
        sc, cat, "onprem-h100", dt.date(2026, 9, 1), dt.date(2026, 10, 31),
        telemetry=ExportSource(EXAMPLE / "telemetry-export.json.gz"),
    )  # fmt: skip
    assert octo.actual["output_tokens"] == full.months[1].actual["output_tokens"]


def test_an_api_option_splits_into_volume_and_price_only(tmp_path: Path) -> None:
    from llmtco.analysis.actuals import ExportSource, actuals

    text = (EXAMPLE / "scenario.yaml").read_text()
    (tmp_path / "api.yaml").write_text(
        text + "  - name: together\n    kind: api\n    offering: together-llama-3.3-70b\n"
    )
    (tmp_path / "ledger.csv").write_text(
        "month,item,amount,currency,note\n"
        "2026-09,api_tokens,4100.50,USD,invoice 9\n"
        "2026-10,api_tokens,4420.25,USD,invoice 10\n"
    )
    sc, cat = load_scenario(tmp_path / "api.yaml")
    res = actuals(
        sc, cat, "together", dt.date(2026, 9, 1), dt.date(2026, 10, 31),
        telemetry=ExportSource(EXAMPLE / "telemetry-export.json.gz"), ledger=[tmp_path / "ledger.csv"],
    )  # fmt: skip
    v = res.variance
    assert v is not None and v.efficiency_usd is None and v.utilisation_usd is None
    assert v.actual_usd == 4100.50 + 4420.25
    assert v.volume_usd + v.price_usd == pytest.approx(v.actual_usd - v.plan_usd)
    assert v.volume_usd > 0  # more tokens than planned
    assert res.months[0].actual["energy_kwh"] is not None  # measured, but not costed for an API
    assert all(i.item != "energy_it" for i in res.months[0].items)
