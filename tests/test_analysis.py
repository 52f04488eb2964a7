"""Decision analysis: statistics against closed forms, break-even volume, hybrid, sensitivity, optimiser."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from llmtco import evaluate, parse_scenario_text
from llmtco.analysis.breakeven import breakeven_volumes
from llmtco.analysis.montecarlo import simulate
from llmtco.analysis.optimize import hybrid_curve, optimize_fleet
from llmtco.analysis.sensitivity import sobol, tornado
from llmtco.analysis.uncertainty import Dist
from llmtco.cli import main
from llmtco.engine import Ctx, run
from llmtco.errors import ScenarioError
from tests.conftest import ROOT

API_ONLY = """\
name: linear
assumptions: {horizon_months: 12, start_date: 2027-01-01, region: us-average}
workloads:
  - name: w
    model: llama-3.1-8b
    requests_per_day: REQ
    input_tokens: 1000
    output_tokens: 200
    growth_pct_per_year: 0
options:
  - {name: api, kind: api, offering: together-llama-3.1-8b, price_change_pct_per_year: 0}
uncertainty: {catalog_ranges: false}
"""


def test_monte_carlo_matches_a_linear_closed_form() -> None:
    # An API option's total is a + b x requests/day: a uniform input gives uniform quantiles.
    a_plus_b = [
        evaluate(*parse_scenario_text(API_ONLY.replace("REQ", str(r)))).option("api").total_cost_usd for r in (1e5, 2e5)
    ]
    b = (a_plus_b[1] - a_plus_b[0]) / 1e5
    a = a_plus_b[0] - b * 1e5
    sc, cat = parse_scenario_text(API_ONLY.replace("REQ", "{min: 100000, max: 300000}"))
    sim = simulate(sc, cat, samples=40_000, seed=3).options["api"].total_cost_usd
    for q, key in ((0.1, "p10"), (0.5, "p50"), (0.9, "p90")):
        assert getattr(sim, key) == pytest.approx(a + b * (100_000 + q * 200_000), rel=0.01)


def test_distributions_hit_their_quantiles() -> None:
    rng = np.random.default_rng(0)
    u = rng.random(200_000)
    logn = Dist("k", "x", "lognormal", 2.0, 8.0)
    q = np.percentile(logn.quantiles(u), [10, 90])
    assert q == pytest.approx([2.0, 8.0], rel=0.02)
    tri = Dist("k", "x", "triangular", 1.0, 2.0, 5.0)
    assert np.mean(tri.quantiles(u)) == pytest.approx((1 + 2 + 5) / 3, rel=0.01)
    assert tri.central == 2.0 and logn.central == pytest.approx(4.0)


def test_simulation_is_reproducible_and_records_the_seed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = ROOT / "benchmarks" / "scenario-4-options.yaml"
    docs = []
    for _ in range(2):
        assert main(["simulate", str(path), "-n", "3000", "--seed", "11", "-f", "json"]) == 0
        docs.append(json.loads(capsys.readouterr().out))
    assert docs[0] == docs[1] and docs[0]["seed"] == 11
    onprem = docs[0]["options"]["onprem-h100"]["total_cost_usd"]
    assert onprem["p10"] < onprem["p50"] < onprem["p90"]
    assert sum(o["probability_cheapest"] for o in docs[0]["options"].values()) == pytest.approx(1.0)


def test_unsupported_distribution_names_the_field() -> None:
    text = API_ONLY.replace("REQ", "1000").replace("horizon_months: 12", "horizon_months: {min: 12, max: 24}")
    with pytest.raises(ScenarioError) as info:
        parse_scenario_text(text)
    assert "assumptions.horizon_months" in str(info.value) and "supported" in str(info.value)
    bad = API_ONLY.replace("REQ", "{low: 5, mode: 1, high: 9}")
    with pytest.raises(ScenarioError, match="low <= mode <= high"):
        parse_scenario_text(bad)


def test_breakeven_volume_equalises_totals() -> None:
    path = ROOT / "examples" / "chat-assistant-70b.yaml"
    from llmtco import load_scenario

    sc, cat = load_scenario(path)
    vols = breakeven_volumes(sc, cat)
    found = [(a, b, v) for a, row in vols.volumes.items() for b, v in row.items() if v is not None]
    assert found
    for a, b, v in found:
        r = run(sc, cat, Ctx(samples=1, draws={"volume_scale": np.array([v.scale])}))
        assert float(r.total(a)[0]) == pytest.approx(float(r.total(b)[0]), rel=0.02)


HYBRID = """\
name: hybrid
assumptions: {horizon_months: 24, start_date: 2027-01-01, region: us-average}
workloads:
  - {name: w, model: llama-3.1-8b, precision: fp8, requests_per_day: 2000000, input_tokens: 1000, output_tokens: 200,
     peak_to_average: 3}
options:
  - name: mix
    kind: hybrid
    base_percentile: PCT
    base: {name: b, kind: onprem, server: hgx-h100-8}
    overflow: {name: o, kind: api, offering: together-llama-3.1-8b}
  - {name: api-only, kind: api, offering: together-llama-3.1-8b}
"""


def test_hybrid_split_and_curve() -> None:
    sc, cat = parse_scenario_text(HYBRID.replace("PCT", "0"))
    r = evaluate(sc, cat)
    mix, api = r.option("mix"), r.option("api-only")
    tokens = {li.item: li.total_usd for li in mix.line_items}
    # at P0 the base carries nothing: all tokens overflow to the API
    assert tokens["api_tokens"] == pytest.approx({li.item: li.total_usd for li in api.line_items}["api_tokens"])
    sc, cat = parse_scenario_text(HYBRID.replace("PCT", "100"))
    assert "api_tokens" in {li.item for li in evaluate(sc, cat).option("mix").line_items}
    assert {li.item: li.total_usd for li in evaluate(sc, cat).option("mix").line_items}["api_tokens"] == 0
    curve = hybrid_curve(sc, cat, step=25.0).hybrids["mix"]
    assert [p.base_percentile for p in curve.curve] == [0.0, 25.0, 50.0, 75.0, 100.0]
    assert curve.best.npv_usd == min(p.npv_usd for p in curve.curve)


def test_tornado_and_sobol() -> None:
    from llmtco import load_scenario

    sc, cat = load_scenario(ROOT / "benchmarks" / "scenario-4-options.yaml")
    t = tornado(sc, cat)
    swings = [row.leading_difference.swing for row in t.inputs if row.leading_difference is not None]
    assert len(swings) == len(t.inputs) and swings == sorted(swings, reverse=True) and swings[0] > 0
    s = sobol(sc, cat, samples=64, seed=1)
    assert s.evaluations == 64 * (len(s.inputs) + 2)
    # The inputs the tornado finds moving the leading difference are the ones Sobol ranks first; they explain
    # nearly all of its variance, and every input that moves both leaders alike (e.g. api_fte) explains none.
    moving = {
        row.input for row in t.inputs if row.leading_difference is not None and row.leading_difference.swing > 1.0
    }
    assert len(moving) >= 2
    ranked = [row.input for row in s.inputs]
    assert set(ranked[: len(moving)]) == moving
    total = {row.input: row.total_order["leading_difference"] for row in s.inputs}
    assert sum(total[name] for name in moving) > 0.8
    assert all(abs(v) < 0.02 for name, v in total.items() if name not in moving)


def test_sobol_indices_of_a_model_with_a_known_answer() -> None:
    """The API option's total is linear in requests per day and does not depend on the discount rate
    (it moves the NPV only): the requests explain all of the total's variance, the rate none of it."""
    text = API_ONLY.replace("REQ", "{min: 100000, max: 300000}").replace(
        "start_date: 2027-01-01,", "start_date: 2027-01-01, discount_rate_pct: {min: 2, max: 12},"
    )
    s = sobol(*parse_scenario_text(text), samples=256, seed=2)
    by_input = {row.input: row for row in s.inputs}
    requests, rate = by_input["workloads.0.requests_per_day"], by_input["assumptions.discount_rate_pct"]
    assert requests.first_order["api"] == pytest.approx(1.0, abs=0.05)
    assert requests.total_order["api"] == pytest.approx(1.0, abs=0.05)
    assert abs(rate.first_order["api"]) < 0.02 and abs(rate.total_order["api"]) < 0.02


def test_optimiser_never_worse_than_any_single_option() -> None:
    from llmtco import load_scenario

    sc, cat = load_scenario(ROOT / "benchmarks" / "scenario-4-options.yaml")
    plan = optimize_fleet(sc, cat)
    base = run(sc, cat)
    for name in base.outcomes:
        assert plan.best.npv_usd <= float(base.npv(name)[0]) + 1e-6
    assert "HiGHS" in plan.milp_status and plan.runner_up is not None
    limited = optimize_fleet(sc, cat, power_kw=0.0)
    assert all(units == 0 for _, units in limited.milp_base)


def test_weekly_profile_adds_day_classes() -> None:
    base = API_ONLY.replace("REQ", "2000000")
    weekly = base.replace(
        "growth_pct_per_year: 0", "growth_pct_per_year: 0\n    weekly_profile: [1.3, 1.3, 1.3, 1.3, 1.3, 0.25, 0.25]"
    )
    flat_run = run(*parse_scenario_text(base))
    week_run = run(*parse_scenario_text(weekly))
    w_flat, w_week = flat_run.demands[0].hour_weights, week_run.demands[0].hour_weights
    assert w_flat.sum() == pytest.approx(24.0) and w_week.sum() == pytest.approx(24.0)
    assert w_week.size == 2 * w_flat.size  # weekday and weekend versions of each hour class
    # the same requests per week, but the weekday peak is 30 % higher
    assert week_run.demands[0].rps_hourly.max() == pytest.approx(1.3 * flat_run.demands[0].rps_hourly.max())
    assert float(week_run.demands[0].requests.sum()) == pytest.approx(float(flat_run.demands[0].requests.sum()))


def test_token_lengths_can_be_uncertain() -> None:
    text = API_ONLY.replace("REQ", "100000").replace("input_tokens: 1000", "input_tokens: {min: 500, max: 1500}")
    sc, cat = parse_scenario_text(text)
    out = simulate(sc, cat, samples=4000, seed=1).options["api"].total_cost_usd
    fixed = evaluate(*parse_scenario_text(API_ONLY.replace("REQ", "100000"))).option("api").total_cost_usd
    assert out.p10 is not None and out.p90 is not None and out.p10 < fixed < out.p90
