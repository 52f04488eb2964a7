"""The serving layer: SLO targets left out, fixed batch, KV-cache precision, length spread, TTFT under load."""

from dataclasses import replace

import numpy as np
import pytest

from llmtco import evaluate
from llmtco.engine.adapters import kv_bytes_for
from llmtco.perf.parallel import Fabric, Layout
from llmtco.perf.shapes import ModelShape
from llmtco.scenario import parse_scenario_text
from llmtco.sizing.disaggregated import prefill_pool
from llmtco.sizing.lengths import FIXED, from_histogram, from_percentiles
from llmtco.sizing.serving import EngineShape, Load, moe_prompt_share, point_at_batch, serving_point
from tests.conftest import MINIMAL, llama8b, simple_hw

ENGINE = EngineShape(scheduler_ms_per_step=0.5, per_sequence_us=10.0, mixed_step_efficiency=0.9)


def _scenario(extra: str) -> str:
    return MINIMAL.replace("    output_tokens: 200\n", "    output_tokens: 200\n" + extra)


def test_slo_target_left_out_does_not_constrain() -> None:
    sc, _ = parse_scenario_text(_scenario("    slo: {ttft_ms: 5000}\n"))
    assert sc.workloads[0].slo.tpot_ms is None and sc.workloads[0].slo.ttft_ms == 5000
    default, _ = parse_scenario_text(MINIMAL)
    assert (default.workloads[0].slo.ttft_ms, default.workloads[0].slo.tpot_ms) == (2000.0, 50.0)


def test_unconstrained_tpot_lets_the_batch_grow_past_50_ms() -> None:
    hw = simple_hw(vram_gb=np.array([80.0]))
    free = serving_point(llama8b(), hw, 2.0, 2.0, 1, 1000, 200, None, 5000.0, 1, ENGINE)
    capped = serving_point(llama8b(), hw, 2.0, 2.0, 1, 1000, 200, 50.0, 5000.0, 1, ENGINE)
    assert free.tpot_ms[0] > 50.0 >= capped.tpot_ms[0]
    assert free.requests_per_s[0] > capped.requests_per_s[0]


def test_fixed_batch_in_a_scenario_caps_concurrency() -> None:
    sc, cat = parse_scenario_text(_scenario("    batch: 8\n"))
    assert sc.workloads[0].batch == 8
    fixed = evaluate(sc, cat)
    free = evaluate(*parse_scenario_text(MINIMAL))
    onprem = next(o for o in fixed.options if o.name == "onprem")
    onprem_free = next(o for o in free.options if o.name == "onprem")
    assert onprem.sizing is not None and onprem_free.sizing is not None
    assert onprem.sizing.workloads[0].batch == 8.0 < onprem_free.sizing.workloads[0].batch


def test_fixed_batch_reports_what_it_delivers() -> None:
    hw = simple_hw(vram_gb=np.array([80.0]))
    p = serving_point(llama8b(), hw, 2.0, 2.0, 1, 1000, 200, None, None, 1, ENGINE, Load(max_batch=8.0))
    assert p.batch[0] == 8.0
    at = point_at_batch(llama8b(), hw, 2.0, 2.0, 1, 1000, 200, 8.0, ENGINE)
    assert p.output_tokens_per_s[0] == pytest.approx(at.output_tokens_per_s[0])


def test_kv_cache_precision_is_a_separate_choice() -> None:
    assert kv_bytes_for("bf16") == 2.0 and kv_bytes_for("fp8") == 1.0
    assert kv_bytes_for("bf16", "fp8") == 1.0 and kv_bytes_for("fp8", "bf16") == 2.0
    hw = simple_hw(vram_gb=np.array([80.0]))
    bf16 = serving_point(llama8b(), hw, 1.0, 2.0, 1, 8000, 1000, None, None, 1, ENGINE)
    fp8 = serving_point(llama8b(), hw, 1.0, 1.0, 1, 8000, 1000, None, None, 1, ENGINE)
    assert fp8.max_batch_memory[0] == pytest.approx(2 * bf16.max_batch_memory[0], rel=0.02)


def test_lognormal_spread_keeps_the_mean_and_its_percentiles() -> None:
    s = from_percentiles(200.0, 1000.0)
    assert float(np.sum(s.weight * s.rel)) == pytest.approx(1.0)
    sigma = np.log(5.0) / 1.2815515655446004
    assert s.second_moment == pytest.approx(np.exp(sigma**2), rel=0.1)  # lognormal E[L^2]/E[L]^2
    assert s.quantile(0.9) > 1.0 > s.quantile(0.5)
    h = from_histogram([(100.0, 1.0), (300.0, 1.0)])
    assert h.second_moment == pytest.approx((100**2 + 300**2) / 2 / 200**2)


def test_output_spread_raises_kv_use_and_lowers_the_memory_batch() -> None:
    hw = simple_hw(vram_gb=np.array([40.0]))
    fixed = serving_point(llama8b(), hw, 2.0, 2.0, 1, 2000, 1000, None, None, 1, ENGINE)
    spread = Load(output_spread=from_percentiles(500.0, 2500.0))
    wide = serving_point(llama8b(), hw, 2.0, 2.0, 1, 2000, 1000, None, None, 1, ENGINE, spread)
    assert wide.max_batch_memory[0] < fixed.max_batch_memory[0]


def test_ttft_grows_with_load_and_percentile() -> None:
    hw = simple_hw(vram_gb=np.array([80.0]))
    spread = from_percentiles(1000.0, 4000.0)

    def ttft(util: float, pct: str) -> float:
        load = Load(input_spread=spread, utilisation=util, percentile=pct, max_batch=16.0)
        eng = EngineShape(chunk_tokens=512.0)  # a small budget: prompts queue for it
        return float(serving_point(llama8b(), hw, 2.0, 2.0, 1, 1500, 200, None, None, 1, eng, load).ttft_ms[0])

    assert ttft(0.3, "p90") < ttft(0.9, "p90")
    assert ttft(0.9, "p50") < ttft(0.9, "p90") < ttft(0.9, "p99")


def test_token_budget_bounds_concurrency_of_prefill_heavy_work() -> None:
    hw = simple_hw(vram_gb=np.array([800.0]))
    small = EngineShape(chunk_tokens=2048.0)
    p = serving_point(llama8b(), hw, 1.0, 1.0, 1, 2000, 100, None, None, 1, small)
    # B + B x Lin / Lout <= C  =>  B <= 2048 / 21
    assert p.batch[0] <= 2048.0 / 21.0 + 1e-9
    assert FIXED.second_moment == 1.0


def test_engine_prefill_efficiency_scales_the_prompt_flops_only() -> None:
    """The engine's prompt FLOP/s (``EngineShape.prefill_efficiency``) lengthens prefill, not decode."""
    hw = simple_hw(vram_gb=np.array([80.0]))
    slow = EngineShape(
        scheduler_ms_per_step=0.5, per_sequence_us=10.0, mixed_step_efficiency=0.9, prefill_efficiency=0.5
    )
    args = (llama8b(), hw, 2.0, 2.0, 1, 8000.0, 200.0, 1.0)
    base, half = (
        point_at_batch(*args, ENGINE, Load(utilisation=0.0)),
        point_at_batch(*args, slow, Load(utilisation=0.0)),
    )
    assert half.prefill_ms[0] > 1.6 * base.prefill_ms[0] and half.ttft_ms[0] > 1.6 * base.ttft_ms[0]
    decode_only = Load(utilisation=0.0, prefix_cache_hit=1.0)
    a, b = point_at_batch(*args, ENGINE, decode_only), point_at_batch(*args, slow, decode_only)
    assert a.tpot_ms[0] == pytest.approx(b.tpot_ms[0])


def _deepseek() -> ModelShape:
    return ModelShape(
        params=671e9, active_params=37e9, layers=61, hidden=7168, heads=128, head_dim=192, kv_heads=1,
        kv_values_per_token_layer=512 + 64, experts=256, active_experts=8,
    )  # fmt: skip


def test_moe_prompt_share_follows_the_tokens_each_expert_sees() -> None:
    """A chunk of T prompt tokens gives each routed expert m = T k / E; its GEMMs run at m / (m + h)."""
    ds = _deepseek()
    assert moe_prompt_share(llama8b(), 1024.0, 256.0) == 1.0  # dense: no routed experts
    assert moe_prompt_share(ds, 1024.0, 0.0) == 1.0  # no half length: no loss
    routed = ds.expert_params * 8 / ds.active_params
    m = 8192.0 * 8 / 256  # 256 tokens per expert
    expected = 1.0 / ((1.0 - routed) + routed * (m + 256.0) / m)
    assert float(moe_prompt_share(ds, 8192.0, 256.0)) == pytest.approx(expected)
    shares = np.asarray(moe_prompt_share(ds, np.array([1024.0, 8192.0, 1e7]), 256.0))
    assert shares[0] < shares[1] < shares[2] <= 1.0 and shares[2] == pytest.approx(1.0, abs=1e-3)


def test_moe_prompts_run_slower_in_small_chunks() -> None:
    """The engine's half length lengthens an MoE model's prefill (TTFT) and leaves a dense one alone."""
    hw = simple_hw(vram_gb=np.array([2000.0]))
    args = (2.0, 2.0, 8, 1024.0, 200.0, 1.0)
    lossy = replace(ENGINE, moe_half_tokens=256.0)
    ds_base = point_at_batch(_deepseek(), hw, *args, ENGINE, Load(utilisation=0.0))
    ds_lossy = point_at_batch(_deepseek(), hw, *args, lossy, Load(utilisation=0.0))
    assert ds_lossy.ttft_ms[0] > ds_base.ttft_ms[0] and ds_lossy.prefill_ms[0] > ds_base.prefill_ms[0]
    dense = (point_at_batch(llama8b(), hw, *args, e, Load(utilisation=0.0)) for e in (ENGINE, lossy))
    assert next(dense).ttft_ms[0] == pytest.approx(next(dense).ttft_ms[0])


def test_disaggregated_prefill_pool_carries_the_moe_share_of_its_step() -> None:
    """A prefill pool's experts see the step's prompt tokens over every DP rank: a TP8 pool (one rank,
    16k tokens, 512 per expert) loses more of its prompt FLOP/s than an EP32 pool (32 ranks, 16k per expert);
    a dense model's pool is unchanged."""
    hw = simple_hw(vram_gb=np.array([2000.0]))
    fabric = Fabric(domain_gpus=72, scaleout_gb_s=50.0)
    lossy = replace(ENGINE, moe_half_tokens=256.0)

    def slowdown(model: ModelShape, layout: Layout) -> float:
        base = prefill_pool(model, hw, fabric, 2.0, layout, 2048.0, ENGINE)
        return prefill_pool(model, hw, fabric, 2.0, layout, 2048.0, lossy).prefill_ms / base.prefill_ms

    tp8, ep32 = slowdown(_deepseek(), Layout(tp=8)), slowdown(_deepseek(), Layout(tp=1, ep=32))
    assert tp8 > ep32 > 1.0
    assert slowdown(llama8b(), Layout(tp=8)) == pytest.approx(1.0)
