"""Memory fit of bundled models against published deployment minimums.

Each case is a deployment a model's authors or a serving engine's documentation
says works (fits) or needs more GPUs than given (does not fit). The check uses
``perf.memory.memory_breakdown`` with the catalog's shapes: weights sharded over
all GPUs of the deployment, one sequence of 4,096 tokens of KV cache, 2 GB
runtime overhead, 90 % of VRAM usable.
"""

from __future__ import annotations

import pytest

from llmtco.catalog import Accelerator, Model, load_catalog
from llmtco.perf.memory import BYTES_PER_WEIGHT, memory_breakdown
from llmtco.perf.shapes import HardwareShape, ModelShape

SGLANG_DSV3 = "docs.sglang.io/docs/basic_usage/deepseek_v3.md (recommended hardware per weight type)"
VLLM_DSV3 = "docs.vllm.ai/projects/recipes/en/latest/DeepSeek/DeepSeek-V3.html (8xH200 fp8, 4xB200 fp4)"
KIMI = "github.com/MoonshotAI/Kimi-K2 docs/deploy_guidance.md (smallest FP8 unit on H200: 16 GPUs)"
META_405 = "ai.meta.com/blog/meta-llama-3-1 (405B: FP8 on a single 8xH100 node; BF16 needs two)"
QWEN_SGL = "github.com/sgl-project/sglang/issues/5858 (Qwen3-235B-A22B BF16 --tp 8, FP8 --tp 4)"
QWEN_VLLM = "github.com/vllm-project/vllm/issues/17327 (Qwen3-235B-A22B BF16 OOM on 4xH20 96GB, runs on 8xH20)"
OSS = "openai.com/index/introducing-gpt-oss (120b on one 80 GB GPU, 20b within 16 GB)"
LLAMA4 = "ai.meta.com/blog/llama-4-multimodal-intelligence (Scout on one H100 with int4; Maverick on one H100 host)"

CASES: list[tuple[str, str, str, int, bool, str]] = [
    # model, precision, accelerator, GPUs, fits, source
    ("deepseek-r1", "fp8", "h100-sxm", 8, False, SGLANG_DSV3),
    ("deepseek-r1", "fp8", "h100-sxm", 16, True, SGLANG_DSV3),
    ("deepseek-r1", "fp8", "h200", 8, True, SGLANG_DSV3),
    ("deepseek-r1", "fp8", "b200", 8, True, SGLANG_DSV3),
    ("deepseek-r1", "fp8", "mi300x", 8, True, SGLANG_DSV3),
    ("deepseek-v3", "bf16", "h200", 8, False, SGLANG_DSV3),
    ("deepseek-v3", "bf16", "h200", 16, True, SGLANG_DSV3),
    ("deepseek-v3", "bf16", "h100-sxm", 16, False, SGLANG_DSV3),
    ("deepseek-v3", "bf16", "h100-sxm", 32, True, SGLANG_DSV3),
    ("deepseek-r1", "fp4", "b200", 4, True, VLLM_DSV3),
    ("kimi-k2", "fp8", "h200", 8, False, KIMI),
    ("kimi-k2", "fp8", "h200", 16, True, KIMI),
    ("llama-3.1-405b", "fp8", "h100-sxm", 8, True, META_405),
    ("llama-3.1-405b", "bf16", "h100-sxm", 8, False, META_405),
    ("llama-3.1-405b", "bf16", "h100-sxm", 16, True, META_405),
    ("qwen3-235b-a22b", "bf16", "h100-sxm", 8, True, QWEN_SGL),
    ("qwen3-235b-a22b", "fp8", "h100-sxm", 4, True, QWEN_SGL),
    ("qwen3-235b-a22b", "bf16", "h20", 4, False, QWEN_VLLM),
    ("qwen3-235b-a22b", "bf16", "h20", 8, True, QWEN_VLLM),
    ("gpt-oss-120b", "mxfp4", "h100-sxm", 1, True, OSS),
    ("gpt-oss-20b", "mxfp4", "rtx-5080", 1, True, OSS),
    ("llama-4-scout", "int4", "h100-sxm", 1, True, LLAMA4),
    ("llama-4-scout", "bf16", "h100-sxm", 1, False, LLAMA4),
    ("llama-4-maverick", "fp8", "h100-sxm", 8, True, LLAMA4),
]


def _model(m: Model) -> ModelShape:
    mla = m.attention == "mla"
    assert not mla or (m.kv_lora_rank is not None and m.qk_rope_head_dim is not None)
    kv_values = (m.kv_lora_rank or 0) + (m.qk_rope_head_dim or 0) if mla else 2 * m.kv_heads * m.head_dim
    return ModelShape(
        params=m.params_b * 1e9,
        active_params=m.active_b * 1e9,
        layers=m.layers,
        hidden=m.hidden,
        heads=m.heads,
        head_dim=m.head_dim,
        kv_heads=1 if mla else m.kv_heads,
        kv_values_per_token_layer=kv_values,
        experts=m.experts,
        active_experts=m.active_experts,
        sliding_window=m.sliding_window,
        sliding_window_layers=m.sliding_window_layers,
    )


def _memory_only(a: Accelerator) -> HardwareShape:
    """The accelerator for a memory check: only vram_gb, the usable fraction and the overhead matter."""
    return HardwareShape(
        vram_gb=a.vram_gb,
        hbm_bandwidth_tb_s=a.hbm_bandwidth_tb_s,
        peak_tflops=a.tflops_dense["bf16"],
        tdp_w=a.tdp_w,
        idle_w=a.idle_w.value,
        interconnect_gb_s=a.interconnect_gb_s,
        decode_bandwidth_efficiency=0.6,
        decode_compute_efficiency=0.3,
        prefill_compute_efficiency=0.6,
        step_overhead_ms=1.0,
        allreduce_latency_us=10.0,
        power_activity_floor=0.3,
    )


@pytest.mark.parametrize(
    ("model_id", "precision", "accelerator", "gpus", "fits", "source"),
    CASES,
    ids=[f"{m}-{p}-{g}x{a}" for m, p, a, g, _, _ in CASES],
)
def test_memory_fit_matches_published_deployments(
    model_id: str, precision: str, accelerator: str, gpus: int, fits: bool, source: str
) -> None:
    cat = load_catalog()
    model = cat.models.get(model_id)
    acc = cat.accelerators.get(accelerator)
    kv_bytes = 1.0 if precision in ("fp8", "fp4", "mxfp4") else 2.0
    mem = memory_breakdown(_model(model), _memory_only(acc), BYTES_PER_WEIGHT[precision], kv_bytes, gpus, 1, 4096)
    got = "fits" if mem.fits else "does not fit"
    per_gpu = f"{float(mem.total_gb):.1f} of {float(mem.usable_gb):.1f} GB per GPU"
    assert mem.fits is fits, f"{model_id} {precision} on {gpus}x {accelerator} {got}: {per_gpu}; published: {source}"
