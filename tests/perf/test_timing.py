import numpy as np
import pytest

from llmtco.perf.power import average_power_w, gpu_power_w
from llmtco.perf.shapes import ModelShape
from llmtco.perf.timing import decode_step, experts_touched, prefill_flops, prefill_step, weights_read_bytes
from tests.conftest import llama8b, simple_hw


def test_decode_step_batch1_is_memory_bound_plus_overhead() -> None:
    hw = simple_hw()
    step = decode_step(llama8b(), hw, 2.0, 2.0, tp=1, batch=1, context=1000)
    # bytes = 16.06e9 weights + 1000 x 131,072 KV, read once at 3.35e12 x 0.5 B/s
    expected_mem_ms = (16.06e9 + 1000 * 131_072) / (3.35e12 * 0.5) * 1e3
    assert step.memory_ms == pytest.approx(expected_mem_ms)
    assert step.step_ms == pytest.approx(expected_mem_ms + 1.0)  # + 1 ms fixed overhead, no TP
    assert step.comm_ms == 0


def test_kv_cache_is_read_once_per_step() -> None:
    hw = simple_hw()
    a = decode_step(llama8b(), hw, 2.0, 2.0, 1, batch=1, context=1000)
    b = decode_step(llama8b(), hw, 2.0, 2.0, 1, batch=1, context=2000)
    assert float(b.memory_ms - a.memory_ms) == pytest.approx(1000 * 131_072 / (3.35e12 * 0.5) * 1e3)


def test_large_batch_becomes_compute_bound() -> None:
    hw = simple_hw()
    step = decode_step(llama8b(), hw, 1.0, 1.0, 1, batch=4096, context=200)
    assert step.compute_ms > step.memory_ms
    flops = 4096 * (2 * 8.03e9 + 4 * 32 * 32 * 128 * 200)
    assert step.compute_ms == pytest.approx(flops / (989.4e12 * 0.5) * 1e3)


def test_tensor_parallel_adds_allreduce_time() -> None:
    hw = simple_hw()
    step = decode_step(llama8b(), hw, 2.0, 2.0, tp=2, batch=1, context=10)
    # 2 all-reduces x 32 layers x (10 us + 4096 x 2 B x 2 x 1/2 / 450 GB/s)
    expected = 64 * (10e-3 + 4096 * 2 * 2 * 0.5 / 2 / 450e9 * 1e3 * 2)
    assert step.comm_ms == pytest.approx(expected, rel=1e-6)


def test_moe_experts_touched() -> None:
    assert experts_touched(8, 2, 1) == pytest.approx(2.0)
    assert experts_touched(8, 2, 1000) == pytest.approx(8.0)
    mix = ModelShape(
        params=46.7e9,
        active_params=12.9e9,
        layers=32,
        hidden=4096,
        heads=32,
        head_dim=128,
        kv_heads=8,
        kv_values_per_token_layer=2048,
        experts=8,
        active_experts=2,
    )
    # one token reads only the active parameters; a big batch reads them all
    assert weights_read_bytes(mix, 1.0, 1) == pytest.approx(12.9e9)
    assert weights_read_bytes(mix, 1.0, 10_000) == pytest.approx(46.7e9, rel=1e-6)


def test_prefill_flops_hand_worked() -> None:
    m = llama8b()
    # 2 x params x S + 2 x layers x heads x head_dim x S^2 (causal QK^T and AV)
    assert prefill_flops(m, 1000) == pytest.approx(2 * 8.03e9 * 1000 + 2 * 32 * 32 * 128 * 1000**2)


def test_prefill_is_compute_bound_for_long_prompts() -> None:
    step = prefill_step(llama8b(), simple_hw(), 2.0, 1, 1, 4000)
    assert step.compute_ms > step.memory_ms
    assert step.tokens_per_s > 10_000


def test_power_between_idle_and_tdp() -> None:
    hw = simple_hw()
    assert gpu_power_w(hw, 0.0) == pytest.approx(70 + 630 * 0.5)
    assert gpu_power_w(hw, 1.0) == pytest.approx(700)
    assert average_power_w(70.0, 500.0, 0.0) == 70.0
    assert average_power_w(70.0, 500.0, np.array([0.5]))[0] == pytest.approx(285.0)


def test_per_sequence_overhead_grows_with_batch() -> None:
    hw = simple_hw(per_sequence_overhead_us=20.0)
    step = decode_step(llama8b(), hw, 2.0, 2.0, 1, batch=500, context=10)
    # 1 ms fixed + 500 sequences x 20 us = 11 ms of host overhead per step
    assert step.overhead_ms == pytest.approx(11.0)
