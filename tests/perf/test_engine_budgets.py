"""Engine-specific physics: how engines budget memory, and the precision attention runs at."""

from dataclasses import replace

import numpy as np
import pytest

from llmtco.catalog import Catalog
from llmtco.engine.adapters import hardware_shape, model_shape
from llmtco.perf.memory import CUDA_TOTAL_FRACTION, memory_breakdown
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
