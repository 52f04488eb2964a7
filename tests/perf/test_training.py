"""Training FLOPs and speed (perf.training), checked against hand-worked figures."""

from __future__ import annotations

import pytest

from llmtco.perf.training import (
    ATTENTION_EFFICIENCY_RATIO,
    pipeline_bubble,
    tensor_parallel_bytes_per_token,
    train_flops,
    training_rate,
)

H100 = {"bf16": 989.4, "fp8": 1978.9}


def test_flops_reproduce_megatron_bridge_model_tflops() -> None:
    # Llama 3 8B at seq 8192: Megatron-Bridge quotes 744 TFLOP/s/GPU at 14,451 tokens/s/GPU = 5.148e10 FLOP/token;
    # 7.50e9 parameters outside the input embedding (8.03e9 - 128,256 x 4,096)
    f = train_flops(8.03e9 - 128_256 * 4096, "full", layers=32, attention_dim=4096, seq_len=8192)
    assert f.model == pytest.approx(744e12 / 14_451, rel=0.01)
    assert f.attention == pytest.approx(6 * 32 * 4096 * 8192)


def test_full_recomputation_adds_one_forward() -> None:
    none = train_flops(1e9, "full", layers=10, attention_dim=100, seq_len=1000)
    full = train_flops(1e9, "full", layers=10, attention_dim=100, seq_len=1000, recompute="full")
    assert full.linear == pytest.approx(8e9)
    assert full.attention == pytest.approx(none.attention * 4 / 3)
    assert full.model == none.model
    with pytest.raises(ValueError, match="allowed: none, selective, full"):
        train_flops(1e9, "full", recompute="some")


def test_fp8_speeds_up_the_linear_layers_only() -> None:
    kw = {"layers": 32, "attention_dim": 4096, "seq_len": 8192}
    bf16 = training_rate(7.5e9, "full", "bf16", H100, 0.5, **kw)
    fp8 = training_rate(7.5e9, "full", "fp8", H100, 0.5, **kw)
    f = train_flops(7.5e9, "full", **kw)
    attention_tflops = ATTENTION_EFFICIENCY_RATIO * 989.4
    assert bf16 == pytest.approx(1.0 / ((f.linear / 989.4 + f.attention / attention_tflops) / (1e12 * 0.5)))
    assert fp8 == pytest.approx(1.0 / ((f.linear / 1978.9 + f.attention / attention_tflops) / (1e12 * 0.5)))
    assert 1.0 < fp8 / bf16 < 2.0


def test_memory_bound_kernels_and_tensor_parallel_traffic_slow_a_step() -> None:
    kw = {"layers": 80, "attention_dim": 8192, "seq_len": 8192, "hidden": 8192}
    base = training_rate(70e9, "full", "bf16", H100, 0.6, **kw)
    mem = training_rate(70e9, "full", "bf16", H100, 0.6, hbm_bandwidth_tb_s=3.35, **kw)
    tp4 = training_rate(70e9, "full", "bf16", H100, 0.6, hbm_bandwidth_tb_s=3.35, tp=4, interconnect_gb_s=450, **kw)
    assert base > mem > tp4
    # 4 collectives x 2 (tp-1)/tp x hidden x 2 bytes per layer
    assert tensor_parallel_bytes_per_token(80, 8192, 4) == pytest.approx(4 * 1.5 * 8192 * 2 * 80)
    assert 1 / tp4 - 1 / mem == pytest.approx(4 * tensor_parallel_bytes_per_token(80, 8192, 4) / 450e9)


def test_pipeline_bubble_of_an_interleaved_schedule() -> None:
    # Megatron-Bridge Llama 3.1 405B on B200: PP8, VP8, 32 micro-batches per step
    assert pipeline_bubble(8, 8, 32) == pytest.approx(7 / 256)
    assert pipeline_bubble(1, 1, 1) == 0.0
    plain = training_rate(7.5e9, "full", "bf16", H100, 0.5)
    assert training_rate(7.5e9, "full", "bf16", H100, 0.5, bubble=0.25) == pytest.approx(plain / 1.25)
