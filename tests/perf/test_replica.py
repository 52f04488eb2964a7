"""perf.replica and the MLA decode attention: one serving path for TP and the wide layouts."""

from dataclasses import replace

import numpy as np
import pytest

from llmtco.perf.parallel import Fabric, Layout, ep_mixed_step, layout_decode_step
from llmtco.perf.replica import LayoutReplica, layout_mixed_step
from llmtco.perf.shapes import ModelShape
from llmtco.perf.timing import attention_peak_tflops, decode_attention_flops, mixed_step
from llmtco.sizing.serving import EngineShape, Load, point_at_batch, serving_point
from tests.conftest import llama8b, simple_hw
from tests.perf.test_parallel import toy_moe

HGX = Fabric(domain_gpus=8, scaleout_gb_s=50.0)


def deepseek_like() -> ModelShape:
    """DeepSeek-V3's attention: 61 layers, 128 heads, MLA latent 512 + rope 64."""
    return ModelShape(
        params=671e9,
        active_params=37e9,
        layers=61,
        hidden=7168,
        heads=128,
        head_dim=192,
        kv_heads=1,
        kv_values_per_token_layer=512 + 64,
        experts=256,
        active_experts=8,
        mla_latent_dim=512,
    )


def test_mla_decode_attention_counts_the_absorbed_latent() -> None:
    # scores over 576 latent + rope values and a weighted sum of 512 latent values, 2 FLOPs each, per head and layer
    assert decode_attention_flops(deepseek_like()) == 2 * 61 * 128 * (576 + 512)
    # 2.8x what the MHA count over heads x head_dim gives
    mha = replace(deepseek_like(), mla_latent_dim=0)
    assert decode_attention_flops(mha) == 4 * 61 * 128 * 192
    assert decode_attention_flops(deepseek_like()) / decode_attention_flops(mha) == pytest.approx(2.83, abs=0.01)


def test_decode_attention_runs_at_the_kv_cache_precision() -> None:
    hw = simple_hw(peak_tflops=4500.0, bf16_tflops=2250.0, fp8_tflops=4500.0)
    assert attention_peak_tflops(hw, 2.0) == 2250.0  # BF16 cache
    assert attention_peak_tflops(hw, 1.0) == 4500.0  # FP8 cache
    fp4 = simple_hw(peak_tflops=9000.0, bf16_tflops=2250.0, fp8_tflops=4500.0)
    assert attention_peak_tflops(fp4, 1.0) == 4500.0  # FP4 weights: attention still FP8
    bf16_only = simple_hw(peak_tflops=989.4, bf16_tflops=989.4)
    assert attention_peak_tflops(bf16_only, 1.0) == 989.4  # no FP8 tensor cores: BF16
    assert attention_peak_tflops(simple_hw(), 1.0) == 989.4  # no per-precision figures: the weights' peak


def test_plain_tp_replica_is_mixed_step_itself() -> None:
    m, hw = llama8b(), simple_hw()
    b, ctx, p, pc = np.array([1.0, 16.0, 128.0]), 2000.0, np.array([0.0, 500.0, 4000.0]), 400.0
    got = layout_mixed_step(m, hw, HGX, 1.0, 1.0, Layout(tp=4), b, ctx, p, pc)
    want = mixed_step(m, hw, 1.0, 1.0, 4, b, ctx, p, pc)
    np.testing.assert_allclose(got.step_ms, want.step_ms)
    np.testing.assert_allclose(got.compute_ms, want.compute_ms)


def test_serving_point_on_a_tp_replica_equals_plain_tp() -> None:
    """The plan's TP points and the wide-layout search run the same serving layer: identical numbers."""
    m, hw = llama8b(), simple_hw(per_sequence_overhead_us=10.0)
    eng, load = EngineShape(scheduler_ms_per_step=2.0, per_sequence_us=15.0, mixed_step_efficiency=0.9), Load()
    plain = serving_point(m, hw, 1.0, 1.0, 2, 1500.0, 300.0, 40.0, 1000.0, 1, eng, load)
    rep = serving_point(m, hw, 1.0, 1.0, 0, 1500.0, 300.0, 40.0, 1000.0, 1, eng, load, LayoutReplica(Layout(tp=2), HGX))
    assert rep.tp == plain.tp == 2
    for name in ("batch", "requests_per_s", "tpot_ms", "ttft_ms", "step_ms", "max_batch_memory"):
        np.testing.assert_allclose(getattr(rep, name), getattr(plain, name), err_msg=name)


@pytest.mark.parametrize("model", [llama8b, deepseek_like], ids=["dense", "moe"])
def test_plain_tp_replica_follows_the_prefill_chunk_as_mixed_step_does(model) -> None:  # type: ignore[no-untyped-def]
    """An MoE step that carries a prompt chunk touches nearly every expert, a decode-only step a few: both
    paths read (1 - f) W(B) + f W(B + chunk), not W(B + mean prompt tokens) every step."""
    m, hw = model(), simple_hw(vram_gb=192.0)
    b, ctx, p, pc, chunk = np.array([4.0, 64.0]), 9000.0, np.array([32.0, 512.0]), 4096.0, 8192.0
    got = layout_mixed_step(m, hw, HGX, 1.0, 1.0, Layout(tp=8), b, ctx, p, pc, chunk)
    want = mixed_step(m, hw, 1.0, 1.0, 8, b, ctx, p, pc, chunk)
    np.testing.assert_allclose(got.step_ms, want.step_ms)
    if m.experts > 1:  # the mean prompt tokens spread over every step would touch far more experts
        spread = layout_mixed_step(m, hw, HGX, 1.0, 1.0, Layout(tp=8), b, ctx, p, pc)
        assert float(spread.memory_ms[0]) > 1.5 * float(got.memory_ms[0])


def test_moe_serving_point_on_a_tp_replica_equals_plain_tp() -> None:
    """The InferenceMAX DeepSeek rows run TP8 through LayoutReplica in `perf moe-check` and plain TP in the
    corpus: at a small batch with long prompts the two once differed by 2.5x."""
    m, hw = deepseek_like(), simple_hw(vram_gb=192.0)
    eng = EngineShape(scheduler_ms_per_step=1.0, per_sequence_us=10.0, mixed_step_efficiency=0.8)
    plain = point_at_batch(m, hw, 1.0, 1.0, 8, 8192.0, 1024.0, 4.0, eng, Load())
    rep = point_at_batch(m, hw, 1.0, 1.0, 8, 8192.0, 1024.0, 4.0, eng, Load(), replica=LayoutReplica(Layout(tp=8), HGX))
    for name in ("tpot_ms", "requests_per_s", "step_ms"):
        np.testing.assert_allclose(getattr(rep, name), getattr(plain, name), err_msg=name)


def test_ep_prompt_chunks_touch_the_experts_of_their_own_steps() -> None:
    m, hw = deepseek_like(), simple_hw(vram_gb=192.0)
    lay, b = Layout(tp=1, ep=8), np.array([4.0])
    spread = ep_mixed_step(m, hw, HGX, 1.0, 1.0, lay, b, 9000.0, 32.0, 4096.0, 8192.0)
    chunked = ep_mixed_step(m, hw, HGX, 1.0, 1.0, lay, b, 9000.0, 32.0, 4096.0, 8192.0, 8192.0)
    decode = ep_mixed_step(m, hw, HGX, 1.0, 1.0, lay, b, 9000.0, 0.0, 0.0)
    # the chunked step reads a little more than decode alone (1 step in 256 reads every expert), far less
    # than 36 tokens' experts every step
    assert float(decode.memory_ms[0]) < float(chunked.memory_ms[0]) < 0.7 * float(spread.memory_ms[0])


def test_ep_mixed_step_without_prompt_tokens_is_the_decode_step() -> None:
    m, hw = toy_moe(), simple_hw()
    lay = Layout(tp=1, ep=4)
    dec = layout_decode_step(m, hw, HGX, 1.0, 1.0, lay, np.array([64.0]), 1000.0)
    mix = ep_mixed_step(m, hw, HGX, 1.0, 1.0, lay, np.array([64.0]), 1000.0, 0.0, 0.0)
    np.testing.assert_allclose(dec.step_ms, mix.step_ms)
    # prompt tokens lengthen the step: more expert FLOPs, more all-to-all, their attention
    more = ep_mixed_step(m, hw, HGX, 1.0, 1.0, lay, np.array([64.0]), 1000.0, 2000.0, 500.0)
    assert float(more.step_ms[0]) > float(mix.step_ms[0])
    assert float(more.comm_ms[0]) > float(mix.comm_ms[0])


def test_dp_ranks_schedule_their_own_sequences() -> None:
    """Host time per sequence is paid per DP rank, in parallel: at the same batch an EP4 replica with DP
    attention pays a quarter of it."""
    m, hw = toy_moe(), simple_hw()
    rep = LayoutReplica(Layout(tp=1, ep=4), HGX)
    assert rep.ranks == 4 and rep.gpus == 4
    slow = EngineShape(per_sequence_us=100.0)
    fast = EngineShape(per_sequence_us=0.0)
    a = point_at_batch(m, hw, 1.0, 1.0, 4, 1000.0, 500.0, 256.0, slow, Load(), replica=rep)
    b = point_at_batch(m, hw, 1.0, 1.0, 4, 1000.0, 500.0, 256.0, fast, Load(), replica=rep)
    # 256 sequences / 4 ranks x 100 us = 6.4 ms per step
    assert float(a.step_ms[0] - b.step_ms[0]) == pytest.approx(6.4)
