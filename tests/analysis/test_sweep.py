"""Sweeps: grid expansion, batching variants as engine samples, per-row failures (local scheduler)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from llmtco import evaluate
from llmtco.analysis.sweep import SweepResult, grid_from, sweep
from llmtco.analysis.sweep.batch import apply, draw_key
from llmtco.analysis.sweep.presets import servers_that_fit
from llmtco.errors import ScenarioError
from llmtco.scenario import parse_scenario
from llmtco.yamlio import load_yaml, to_plain
from tests.conftest import MINIMAL

Write = Callable[..., Path]

# every kind of continuous input, one invalid value, and one structural axis
GRID = """\
axes:
  workloads[chat].requests_per_day: [50000, 400000, -1]
  workloads[chat].growth_pct_per_year: [0, 40]
  assumptions.discount_rate_pct: [3]
  options[onprem].electricity_usd_per_kwh: [0.08, 0.2]
  options[onprem].pue: [1.2]
  options[onprem].server_price_usd: [250000]
  options[*].target_utilisation_pct: [60]
  options[cloud].price_change_pct_per_year: [-5]
  options[api].price_change_pct_per_year: [-30]
  options[onprem].rates.maintenance_pct_per_year: [5, 12]
  options[onprem].server: [hgx-h100-8, hgx-h200-8]
"""


def same(a: SweepResult, b: SweepResult) -> None:
    assert list(a.columns) == list(b.columns)
    for k, x in a.columns.items():
        y = b.columns[k]
        if x.dtype.kind == "f":
            assert np.array_equal(x, y, equal_nan=True), k
        else:
            assert list(x) == list(y), k


def test_batched_variants_equal_one_engine_run_each(write: Write) -> None:
    sc, grid = write(MINIMAL), write(GRID, "grid.yaml")
    batched = sweep(sc, grid, scheduler="synchronous")
    each = sweep(sc, grid, scheduler="synchronous", batch=False)
    assert batched.variants == 48 and batched.rows == 48 * 3
    # 2 servers x (request volume valid or not does not split a block): two engine runs instead of 48
    assert batched.engine_runs == 2 and each.engine_runs == 48
    same(batched, each)
    ok = batched.columns["status"] == "ok"
    assert ok.sum() == 32 * 3
    assert np.all(np.isfinite(batched.columns["total_cost_usd"][ok]))


def test_a_row_equals_the_breakdown_of_its_variant(write: Write) -> None:
    sc_file, grid = write(MINIMAL), write(GRID, "grid.yaml")
    r = sweep(sc_file, grid, scheduler="synchronous")
    doc = to_plain(load_yaml(sc_file))
    g = grid_from(to_plain(load_yaml(grid)), "grid.yaml", doc, *parse_scenario(doc))
    for i in (0, 17, 47):
        if r.columns["status"][r.columns["variant"] == i][0] != "ok":
            continue
        result = evaluate(*parse_scenario(apply(doc, tuple(a.locs for a in g.axes), g.variants[i])))
        for o in result.options:
            row = (r.columns["variant"] == i) & (r.columns["option"] == o.name)
            assert r.columns["total_cost_usd"][row][0] == pytest.approx(o.total_cost_usd, rel=1e-12)
            assert r.columns["npv_usd"][row][0] == pytest.approx(o.npv_usd, rel=1e-12)
            assert r.columns["cost_per_mtok_usd"][row][0] == pytest.approx(o.cost_per_mtok_usd, rel=1e-12)
            if o.sizing is not None:
                assert r.columns["gpus"][row][0] == o.sizing.gpus
                assert r.columns["ttft_ms"][row][0] == pytest.approx(o.sizing.workloads[0].ttft_ms)
            if o.avg_utilisation_pct is not None:
                assert r.columns["avg_utilisation_pct"][row][0] == pytest.approx(o.avg_utilisation_pct, rel=1e-12)
            if o.emissions_tco2e is not None:
                assert r.columns["emissions_tco2e"][row][0] == pytest.approx(o.emissions_tco2e, rel=1e-12)


def test_an_invalid_variant_is_reported_with_the_loader_message(write: Write) -> None:
    r = sweep(write(MINIMAL), write(GRID, "grid.yaml"), scheduler="synchronous")
    bad = r.columns["workloads[chat].requests_per_day"] == -1
    assert bad.sum() == 16 * 3
    assert set(r.columns["status"][bad]) == {"invalid"}
    reason = r.columns["reason"][bad][0]
    assert "workloads.0.requests_per_day" in reason and "greater than or equal to 0" in reason
    assert not r.columns["cheapest"][bad].any()
    assert np.isnan(r.columns["total_cost_usd"][bad]).all()


def test_an_infeasible_option_is_a_row_with_its_reason_the_others_still_run(write: Write) -> None:
    text = "axes:\n  options[onprem].server: [hgx-h100-8, pcie-8-l4]\n  workloads[chat].precision: [bf16]\n"
    grid = write(text, "grid.yaml")
    big = MINIMAL.replace("llama-3.1-8b", "llama-3.3-70b").replace("together-llama-3.1-8b", "together-llama-3.3-70b")
    r = sweep(write(big), grid, scheduler="synchronous")
    rows = (r.columns["variant"] == 1) & (r.columns["option"] == "onprem")
    assert r.columns["status"][rows][0] == "infeasible"
    assert r.columns["options[onprem].server"][rows][0] == "pcie-8-l4"
    assert "options.0" in r.columns["reason"][rows][0]
    others = (r.columns["variant"] == 1) & (r.columns["option"] != "onprem")
    assert set(r.columns["status"][others]) == {"ok"}


def test_monte_carlo_per_variant_is_seeded_by_variant_not_by_block(write: Write) -> None:
    sc = write(MINIMAL.replace("requests_per_day: 100000", "requests_per_day: {min: 80000, max: 120000}"))
    grid = write("axes:\n  options[onprem].electricity_usd_per_kwh: [0.05, 0.1, 0.2]\n", "grid.yaml")
    batched = sweep(sc, grid, scheduler="synchronous", samples=20, seed=3)
    each = sweep(sc, grid, scheduler="synchronous", samples=20, seed=3, batch=False)
    same(batched, each)
    p10, p50, p90 = (batched.columns[f"total_cost_usd_{q}"] for q in ("p10", "p50", "p90"))
    assert np.all(p10 <= p50) and np.all(p50 <= p90) and np.all(p10 < p90)
    other_seed = sweep(sc, grid, scheduler="synchronous", samples=20, seed=4)
    assert not np.array_equal(other_seed.columns["total_cost_usd_p50"], p50)
    # the central value is the deterministic one
    plain = sweep(sc, grid, scheduler="synchronous")
    assert np.array_equal(plain.columns["total_cost_usd"], batched.columns["total_cost_usd"], equal_nan=True)


def _grid(text: str, scenario: str = MINIMAL) -> Any:
    from llmtco.yamlio import load_yaml_text

    doc = to_plain(load_yaml_text(scenario))
    node = load_yaml_text(text, "grid.yaml")
    return grid_from(to_plain(node), "grid.yaml", doc, *parse_scenario(doc), node)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("axes:\n  workloads[0].request_per_day: [1]\n", "unknown field 'request_per_day'"),
        ("axes:\n  options[nope].server: [hgx-h100-8]\n", "no option named 'nope'"),
        ("axes:\n  workloads[3].growth_pct_per_year: [1]\n", "workloads[3]: the scenario has 1 workloads"),
        ("axes:\n  options[onprem].rates.bogus_rate: [1]\n", "unknown rate id 'bogus_rate'"),
        ("axes:\n  assumptions.region: [1]\n", "1 is not a text"),
        ("axes:\n  workloads[0].requests_per_day: [fast]\n", "'fast' is not a number"),
        ("axes:\n  workloads[0].requests_per_day: {range: [1, 2], steps: 0}\n", "steps is a whole number"),
        ("axes:\n  options[onprem].server: {preset: every_gpu}\n", "unknown preset 'every_gpu'"),
        ("axes:\n  workloads[0].slo: [1]\n", "'slo' is a section"),
        ("mode: cube\naxes: {}\n", "unknown mode 'cube'"),
    ],
)
def test_bad_paths_and_values_name_the_path(text: str, message: str) -> None:
    with pytest.raises(ScenarioError) as exc:
        _grid(text)
    assert message in str(exc.value)
    assert str(exc.value).startswith("grid.yaml:")


def test_grid_list_and_lhs_modes() -> None:
    g = _grid("axes:\n  workloads[chat].requests_per_day: {range: [1000, 100000], steps: 3, scale: log}\n")
    assert [v[0] for v in g.variants] == pytest.approx([1000, 10000, 100000])
    g = _grid('mode: list\nvariants:\n  - {assumptions.region: de}\n  - {"options[onprem].pue": 1.1}\n')
    assert [a.path for a in g.axes] == ["assumptions.region", "options[onprem].pue"]
    assert g.variants == (("de", None), (None, 1.1))
    text = "mode: lhs\npoints: 10\nseed: 7\naxes:\n  workloads[0].growth_pct_per_year: {min: 0, max: 100}\n"
    a, b = _grid(text), _grid(text)
    assert a.variants == b.variants
    # Latin hypercube: one point in each tenth of the range
    assert sorted(int(v[0] // 10) for v in a.variants) == list(range(10))


def test_star_paths_write_every_option_and_scalar_rates_stay_structural() -> None:
    g = _grid("axes:\n  options[*].rates.maintenance_pct_per_year: [3]\n")
    assert g.axes[0].locs == tuple(("options", i, "rates", "maintenance_pct_per_year") for i in (0, 1, 2))
    doc = to_plain(load_yaml_text_(MINIMAL))
    key = draw_key(doc, ("options", 0, "rates", "maintenance_pct_per_year"))
    assert key == "option:onprem:rate:maintenance_pct_per_year"
    assert draw_key(doc, ("options", 0, "rates", "hardware_life_years")) is None
    assert draw_key(doc, ("workloads", 0, "input_tokens")) is None
    assert draw_key(doc, ("options", 0, "server")) is None


def load_yaml_text_(text: str) -> Any:
    from llmtco.yamlio import load_yaml_text

    return load_yaml_text(text)


def test_servers_that_fit_screens_by_weights(catalog: Any) -> None:
    big = MINIMAL.replace("llama-3.1-8b", "llama-3.1-405b").replace("precision: fp8", "precision: bf16")
    sc, cat = parse_scenario(to_plain(load_yaml_text_(big)))
    fit = servers_that_fit(sc, cat, ("options", 0, "server"))
    weights_gb = cat.models.get("llama-3.1-405b").params_b * 2
    assert fit
    for s in cat.servers:
        usable = s.gpus * (0.9 * cat.accelerators.get(s.accelerator).vram_gb - 2.0)
        assert (s.id in fit) == (weights_gb <= usable)
    assert "hgx-h100-8" not in fit  # 810 GB of weights do not fit in 8 x 80 GB


def test_list_mode_keeps_the_scenario_value_where_a_variant_is_silent(write: Write) -> None:
    grid = write(
        "mode: list\nvariants:\n"
        '  - {"options[onprem].pue": 1.1, "workloads[chat].growth_pct_per_year": 30}\n'
        '  - {"workloads[chat].growth_pct_per_year": 30}\n'
        '  - {"options[onprem].pue": 1.6, "workloads[chat].growth_pct_per_year": 30}\n',
        "grid.yaml",
    )
    sc = write(MINIMAL)
    batched = sweep(sc, grid, scheduler="synchronous")
    same(batched, sweep(sc, grid, scheduler="synchronous", batch=False))
    assert batched.engine_runs == 2  # pue given (variants 0, 2) and not given (variant 1) are two structures
    onprem = batched.columns["option"] == "onprem"
    e0, e1, e2 = batched.columns["energy_mwh"][onprem]
    assert e0 < e1 < e2  # the region's PUE lies between 1.1 and 1.6
    assert np.isnan(batched.columns["options[onprem].pue"][onprem][1])


def test_sampled_token_lengths_do_not_couple_block_mates(write: Write) -> None:
    # Llama 70B on H100: tensor parallel 2 at 200 input tokens, 4 from 1,000 (the engine picks it on sample 0)
    big = MINIMAL.replace("llama-3.1-8b", "llama-3.3-70b").replace("together-llama-3.1-8b", "together-llama-3.3-70b")
    sc = write(big.replace("input_tokens: 1000", "input_tokens: {min: 100, max: 2000}"))
    grid = write("axes:\n  options[onprem].electricity_usd_per_kwh: [0.05, 0.1, 0.2]\n", "grid.yaml")
    # seed 0: the first draws of variants 0, 1, 2 are about 1,310, 1,791 and 254 tokens
    batched = sweep(sc, grid, scheduler="synchronous", samples=12, seed=0)
    same(batched, sweep(sc, grid, scheduler="synchronous", samples=12, seed=0, batch=False))
