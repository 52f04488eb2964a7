"""Memory fit of bundled models against published deployment minimums.

Each case is a deployment a model's authors or a serving engine's documentation
says works (fits) or needs more GPUs than given (does not fit). The check uses
``perf.memory.memory_breakdown`` with the catalog's shapes: weights sharded over
all GPUs of the deployment (embeddings and LM head at 16 bits), one sequence of
4,096 tokens of KV cache, the engine's reservation from the model's shape, 90 %
of the memory usable (the catalog's binary GiB in decimal GB).

Where the check and a source disagree, the case stays, marked as a strict
expected failure with what was found (``DISAGREES``): it fails the suite if the
model starts to agree, so the disagreement cannot be forgotten or hidden.
"""

from __future__ import annotations

import pytest

from llmtco.catalog import Accelerator, Model, load_catalog
from llmtco.engine.adapters import model_shape
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
QWEN25 = (
    "github.com/QwenLM/Qwen2.5 @2abc0f32 docs/source/benchmark/speed_benchmark.rst (A100 80GB, batch 1, the least "
    "number of GPUs; vLLM at gpu_memory_utilization 0.9 unless a setting says otherwise)"
)
QWEN25_72 = (
    QWEN25 + ": 72B BF16 on 2 GPUs only at gpu_memory_utilization 0.98 and max_model_len 4096, "
    "on 4 at the default 0.9; GPTQ-Int8 on 2; GPTQ-Int4 on 1"
)
QWEN3 = (
    "github.com/QwenLM/Qwen3 @7a2f61ff docs/source/getting_started/speed_benchmark.md (H20 96GB, batch 1, the minimum "
    "number of GPUs; SGLang mem_fraction_static 0.85)"
)
MISTRAL = (
    "docs.mistral.ai models/weights, Sizes: Min. GPU RAM for inference, BF16 "
    "(github.com/mistralai/platform-docs-public @222f4ba9 public/llms-full.txt): Mistral-7B 16 GB, "
    "Mixtral-8x7B 100, Mixtral-8x22B 300, Mistral-Large-2411 250, Mistral-Small-2501 60"
)
NV_RAG = (
    "docs.nvidia.com/ai-enterprise/rag-llm-operator/24.3.0/platform-support.html (NIM vLLM backend GPU requirements: "
    "Llama-2-70b-chat 8x L40S, 4x A100 80GB; Mixtral-8x7B-Instruct 4x L40S, 2x A100/H100 80GB)"
)
NIM_L33 = (
    "docs.nvidia.com/nim/benchmarking/llm/1.0.0/performance (Llama-3.3-70b-instruct NIM 1.8.0 on 2 x H100 80G, "
    "fp8 TP2); NIM profile llama-3.3-70b-instruct:a100x4-throughput-bf16 "
    "(NIM 1.8.5; github.com/cloudera/Model-Hub models/airgapped/private/1.51.0_concatenated.yaml)"
)
NIM_L3_8B = (
    "docs.nvidia.com/nim/large-language-models/24.05.rc15/support-matrix.html (Llama 3 8B Instruct, the 3.1 8B shape: "
    "A10G 24 GB, FP16, 1 GPU)"
)
NEMO_L32 = (
    "docs.nvidia.com/nemo-helix/v0.10/documentation/customizer-reference/models/llama (Llama-3.2-3B Instruct "
    "deployment: NIM llm-nim 1.15.5 on 1x 80GB GPU)"
)
GEMMA_QAT = (
    "Gemma 3 QAT launch post, developers.googleblog.com, as quoted in stored summaries (27B: 54 GB in BF16 on an "
    "NVIDIA H100; 14.1 GB in int4 on a 24 GB RTX 3090, the memory of the RTX 4090 used here)"
)

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
    ("qwen2.5-72b", "bf16", "a100-80gb", 2, False, QWEN25_72),
    ("qwen2.5-72b", "bf16", "a100-80gb", 4, True, QWEN25_72),
    ("qwen2.5-72b", "int8", "a100-80gb", 1, False, QWEN25_72),
    ("qwen2.5-72b", "int8", "a100-80gb", 2, True, QWEN25_72),
    ("qwen2.5-72b", "int4", "a100-80gb", 1, True, QWEN25_72),
    ("qwen2.5-32b", "bf16", "a100-80gb", 1, True, QWEN25 + ": 32B BF16 on 1 GPU, 61.6 GB in Transformers"),
    ("qwen2.5-14b", "bf16", "a100-80gb", 1, True, QWEN25 + ": 14B BF16 on 1 GPU, 28.1 GB in Transformers"),
    ("qwen2.5-7b", "bf16", "a100-80gb", 1, True, QWEN25 + ": 7B BF16 on 1 GPU, 14.4 GB in Transformers"),
    ("qwen3-32b", "bf16", "h20", 1, True, QWEN3 + ": 32B BF16 on 1 GPU, 62.8 GB in Transformers"),
    ("qwen3-30b-a3b", "bf16", "h20", 1, True, QWEN3 + ": 30B-A3B BF16 on 1 GPU, 58.5 GB in Transformers"),
    ("qwen3-14b", "bf16", "h20", 1, True, QWEN3 + ": 14B BF16 on 1 GPU, 28.4 GB in Transformers"),
    ("qwen3-8b", "bf16", "h20", 1, True, QWEN3 + ": 8B BF16 on 1 GPU, 15.9 GB in Transformers"),
    ("qwen3-4b", "bf16", "h20", 1, True, QWEN3 + ": 4B BF16 on 1 GPU, 8.0 GB in Transformers"),
    ("qwen3-1.7b", "bf16", "h20", 1, True, QWEN3 + ": 1.7B BF16 on 1 GPU, 3.4 GB in Transformers"),
    ("qwen3-0.6b", "bf16", "h20", 1, True, QWEN3 + ": 0.6B BF16 on 1 GPU, 1.4 GB in Transformers"),
    ("qwen3-235b-a22b", "fp8", "h20", 2, False, QWEN3 + ": 235B-A22B FP8 on 4 GPUs (TP=4)"),
    ("qwen3-235b-a22b", "fp8", "h20", 4, True, QWEN3 + ": 235B-A22B FP8 on 4 GPUs (TP=4)"),
    # The same table runs GPTQ-INT4 on no fewer than 4 H20s, while the check fits it on 2 (64.8 of 86.4 GB per
    # GPU); the table does not say that memory set this minimum (FP8 needs 4 by memory alone), so 2 is no case.
    ("qwen3-235b-a22b", "int4", "h20", 4, True, QWEN3 + ": 235B-A22B GPTQ-INT4 on 4 GPUs (TP=4)"),
    ("mixtral-8x7b", "bf16", "h100-sxm", 1, False, MISTRAL),
    ("mixtral-8x7b", "bf16", "h100-sxm", 2, True, NV_RAG),
    ("mixtral-8x7b", "bf16", "l40s", 2, False, MISTRAL),
    ("mixtral-8x7b", "bf16", "l40s", 4, True, NV_RAG),
    ("mixtral-8x22b", "bf16", "h200", 2, False, MISTRAL),
    ("mixtral-8x22b", "bf16", "h100-sxm", 4, True, MISTRAL),
    ("mixtral-8x22b", "bf16", "h100-sxm", 8, True, MISTRAL),
    ("mistral-large-2411", "bf16", "h100-sxm", 2, False, MISTRAL),
    ("mistral-large-2411", "bf16", "h100-sxm", 4, True, MISTRAL),
    ("mistral-large-2411", "bf16", "h200", 2, True, MISTRAL),
    ("mistral-small-24b", "bf16", "h100-sxm", 1, True, MISTRAL),
    ("mistral-small-24b", "bf16", "l40s", 1, False, MISTRAL),
    ("mistral-7b", "bf16", "l4", 1, True, MISTRAL),
    ("mistral-7b", "bf16", "rtx-5080", 1, True, MISTRAL),
    ("llama-2-70b", "fp16", "a100-80gb", 4, True, NV_RAG),
    ("llama-2-70b", "fp16", "l40s", 8, True, NV_RAG),
    ("llama-3.3-70b", "fp8", "h100-sxm", 2, True, NIM_L33),
    ("llama-3.3-70b", "bf16", "a100-80gb", 4, True, NIM_L33),
    ("llama-3.1-8b", "bf16", "a10g", 1, True, NIM_L3_8B),
    ("llama-3.2-3b", "bf16", "h100-sxm", 1, True, NEMO_L32),
    ("gemma-3-27b", "bf16", "h100-sxm", 1, True, GEMMA_QAT),
    ("gemma-3-27b", "int4", "rtx-4090", 1, True, GEMMA_QAT),
]

# Cases where the check disagrees with its source, and why (investigated; see the module docstring).
DISAGREES: dict[tuple[str, str, str, int], str] = {
    ("mistral-7b", "bf16", "rtx-5080", 1): (
        "a 16 GB card meets Mistral's 16 GB minimum, but the check needs 16.2 GB (14.5 GB of weights, 0.5 GB of KV "
        "at 4,096 tokens, 1.2 GB engine reservation) of 15.3 GB usable (16 GiB, 99 % visible to CUDA, 90 % for "
        "vLLM); whether vLLM starts there at its default 0.9 is not measured here"
    ),
    ("kimi-k2", "fp8", "h200", 8): (
        "Moonshot names 16 H200 as the smallest FP8 unit, but 8 hold it in the check: 131.7 of 134.9 GB per GPU "
        "(128.6 GB of weights with 16-bit embeddings, 3.0 GB reservation), room for 23 sequences of 4,096 tokens; "
        "the guidance leaves room for long contexts and large batches, the check asks for one sequence"
    ),
}


def _model(m: Model) -> ModelShape:
    """The engine's own view of the model (vocab, ffn and tied embeddings feed the reservation)."""
    return model_shape(m)


def _memory_only(a: Accelerator) -> HardwareShape:
    """The accelerator for a memory check: only its memory (decimal GB) and the usable fraction matter."""
    return HardwareShape(
        vram_gb=a.memory_gb,
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


def _params() -> list[object]:
    out: list[object] = []
    for case in CASES:
        m, p, a, g, _, _ = case
        why = DISAGREES.get((m, p, a, g))
        marks = [pytest.mark.xfail(strict=True, reason=why)] if why else []
        out.append(pytest.param(*case, id=f"{m}-{p}-{g}x{a}", marks=marks))
    return out


def test_every_disagreement_is_a_case() -> None:
    assert set(DISAGREES) <= {(m, p, a, g) for m, p, a, g, _, _ in CASES}


@pytest.mark.parametrize(("model_id", "precision", "accelerator", "gpus", "fits", "source"), _params())
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
