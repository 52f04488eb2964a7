"""Engine-specific physics: how engines budget memory, and the precision attention runs at."""

from dataclasses import replace

import numpy as np
import pytest

from llmtco.catalog import Catalog
from llmtco.engine.adapters import hardware_shape, model_shape
from llmtco.perf.memory import CUDA_TOTAL_FRACTION, memory_breakdown
from llmtco.perf.shapes import ModelShape
from llmtco.perf.timing import prefill_attention_flops, prefill_step
from tests.conftest import llama8b, simple_hw


def test_trtllm_gives_the_kv_cache_a_share_of_the_free_memory(catalog: Catalog) -> None:
    """70B FP8 on one H100: vLLM's 0.9 of the total leaves 1.5 GB for KV; TensorRT-LLM's 0.9 of what is
    free after the weights leaves 9 GB, as its KvCacheConfig documents."""
    acc = catalog.accelerators.get("h100-sxm")
    eff = next(e for e in catalog.efficiency if e.id == "h100-sxm")
    shape = model_shape(catalog.models.get("llama-3.1-70b"))
    vllm = memory_breakdown(shape, hardware_shape(acc, eff, "fp8", 1, engine="vllm"), 1.0, 1.0, 1, 1.0, 2048.0)
    trt = memory_breakdown(shape, hardware_shape(acc, eff, "fp8", 1, engine="trtllm"), 1.0, 1.0, 1, 1.0, 2048.0)
    total = CUDA_TOTAL_FRACTION * acc.memory_gb
    fixed = float(trt.weights_gb) + float(np.asarray(trt.runtime_overhead_gb).reshape(-1)[0])
    assert float(np.asarray(trt.usable_gb).reshape(-1)[0]) == pytest.approx(fixed + 0.9 * (total - fixed))
    assert float(np.asarray(vllm.usable_gb).reshape(-1)[0]) == pytest.approx(0.9 * total)
    room_vllm = float(np.asarray(vllm.usable_gb).reshape(-1)[0]) - fixed
    room_trt = float(np.asarray(trt.usable_gb).reshape(-1)[0]) - fixed
    assert room_trt > 3 * room_vllm  # 9.0 against 1.5 GB
    assert float(np.asarray(trt.max_batch).reshape(-1)[0]) > 2 * float(np.asarray(vllm.max_batch).reshape(-1)[0])


def test_fp4_weights_do_not_make_prefill_attention_fp4() -> None:
    """With NVFP4 weights the linear layers run at the FP4 peak, attention at FP8: doubling only the FP4
    peak shortens the linear part and leaves the attention part as it was."""
    model = llama8b()
    hw = replace(simple_hw(peak_tflops=4500.0), bf16_tflops=2250.0, fp8_tflops=4500.0)
    fast = replace(hw, peak_tflops=9000.0)
    seq = 16384.0
    a, b = prefill_step(model, hw, 0.5625, 1, 1.0, seq), prefill_step(model, fast, 0.5625, 1, 1.0, seq)
    attn_ms = float(prefill_attention_flops(model, seq)) / (4500e12 * 0.5) * 1e3
    linear_ms = 2.0 * model.active_params * seq / (4500e12 * 0.5) * 1e3
    assert float(np.asarray(a.compute_ms)) == pytest.approx(attn_ms + linear_ms)
    assert float(np.asarray(b.compute_ms)) == pytest.approx(attn_ms + linear_ms / 2)
    # a 16-bit KV cache runs attention at BF16
    c = prefill_step(model, hw, 0.5625, 1, 1.0, seq, kv_bytes=2.0)
    assert float(np.asarray(c.compute_ms)) == pytest.approx(2 * attn_ms + linear_ms)


def test_moe_weight_reads_follow_the_chunks_not_the_mean_prompt_tokens() -> None:
    """Four decoding sequences and an 8k prompt every other step: the decode-only steps touch few experts,
    the chunk steps nearly all; spreading the prompt evenly would make every step read most experts."""
    from llmtco.perf.timing import mixed_step, weights_read_bytes

    moe = ModelShape(
        params=117e9, active_params=5.1e9, layers=36, hidden=2880, heads=64, head_dim=64, kv_heads=8,
        kv_values_per_token_layer=2 * 8 * 64, experts=128, active_experts=4,
    )  # fmt: skip
    hw = simple_hw(hbm_bandwidth_tb_s=8.0)
    even = mixed_step(moe, hw, 0.53, 1.0, 1, 4.0, 9000.0, 4096.0, 4096.0)
    chunked = mixed_step(moe, hw, 0.53, 1.0, 1, 4.0, 9000.0, 4096.0, 4096.0, prefill_chunk=8192.0)
    expected = 0.5 * weights_read_bytes(moe, 0.53, 4.0) + 0.5 * weights_read_bytes(moe, 0.53, 4.0 + 8192.0)
    bandwidth = 8.0e12 * hw.decode_bandwidth_efficiency
    kv_ms = float(np.asarray(even.memory_ms)) - float(weights_read_bytes(moe, 0.53, 4.0 + 4096.0)) / bandwidth * 1e3
    assert float(np.asarray(chunked.memory_ms)) == pytest.approx(float(expected) / bandwidth * 1e3 + kv_ms)
    assert float(np.asarray(chunked.memory_ms)) < float(np.asarray(even.memory_ms))
    # a dense model reads all its weights either way
    dense = llama8b()
    a = mixed_step(dense, hw, 2.0, 2.0, 1, 4.0, 9000.0, 4096.0, 4096.0)
    b = mixed_step(dense, hw, 2.0, 2.0, 1, 4.0, 9000.0, 4096.0, 4096.0, prefill_chunk=8192.0)
    assert float(np.asarray(a.step_ms)) == pytest.approx(float(np.asarray(b.step_ms)))
