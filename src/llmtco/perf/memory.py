"""GPU memory: weights, KV cache and what fits, accounted as vLLM does it.

Weights bytes = params x bytes per weight (bf16 2, fp8 1, 4-bit formats 0.5 plus
block scales); quantized checkpoints keep the embeddings and LM head at 16 bits.
KV cache bytes per token = layers x values per layer x bytes (GQA: 2 x kv_heads
x head_dim; MLA: kv_lora_rank + rope dims), sharded over min(TP, kv_heads) GPUs.

The KV cache gets what is left of the engine's share: vLLM takes
``gpu_memory_utilization`` (0.9) of the *total* memory and subtracts the weights,
the peak activation memory of its profiling forward pass and the non-torch memory
(NCCL and all-reduce buffers); the rest is KV cache (``vllm/v1/worker/gpu_worker.py``
``determine_available_memory``). The CUDA context predates its baseline snapshot
and CUDA graphs are captured after the KV cache is allocated (unless
``VLLM_MEMORY_PROFILER_ESTIMATE_CUDAGRAPHS`` is set): both live in the remaining
10 %. Memory is in decimal GB; the catalog's binary ``vram_gb`` is converted
(``Accelerator.memory_gb``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from llmtco.perf.shapes import HardwareShape, ModelShape, Num

BYTES_PER_WEIGHT: dict[str, float] = {
    "bf16": 2.0,
    "fp16": 2.0,
    "fp8": 1.0,
    "int8": 1.0,
    # 4 bits + one FP8 scale per 16 weights (NVFP4)
    "fp4": 0.5 + 1 / 16,
    # 4 bits + one E8M0 scale per 32 weights (OCP MX)
    "mxfp4": 0.5 + 1 / 32,
    # 4 bits + FP16 scale and zero per 128 weights (AWQ/GPTQ)
    "int4": 0.5 + 4 / 128,
}
"""Storage bytes per weight for each weight precision."""

GB = 1e9
GIB = 2**30

CUDA_TOTAL_FRACTION = 79.22 / 80
"""Share of the nominal memory CUDA reports as total (``cudaMemGetInfo``), the total vLLM's
``gpu_memory_utilization`` multiplies: 79.22 GiB on an 80 GiB H100 (vLLM PR #10511, its memory-profiling
log); the driver keeps the rest."""

PROFILE_TOKENS = 8192.0
"""Tokens of vLLM's profiling forward pass: ``max_num_batched_tokens``, 8192 for the V1 OpenAI server
(estimate: versions and GPUs differ; ``sizing.serving.CHUNK_TOKENS`` uses the same budget)."""
PROFILE_SEQUENCES = 256
"""Requests of vLLM's dummy sampler run: ``max_num_seqs``, default 256 (vLLM ``EngineArgs``)."""
NON_TORCH_GB = 0.16 * GIB / GB
"""Non-torch memory vLLM measures on one GPU (cuBLAS workspaces and the like) [GB]: 0.16 GiB on an
H100 (vLLM PR #12126, its memory-profiling log)."""
NON_TORCH_TP_GB = 1.79 * GIB / GB
"""Extra non-torch memory with tensor parallelism (NCCL communicators, custom all-reduce buffers) [GB]:
Llama-3-8B on H100 went from 1.79 to 3.58 GiB at TP 2 (vLLM PR #10511, its memory-profiling log)."""
HIDDEN_BUFFERS = 4
"""Live [tokens, hidden] 16-bit tensors of one decoder layer in the profiling pass: hidden states,
residual, normed input, layer output (estimate: read from vLLM's Llama forward, not measured)."""
LOGIT_COPIES = 2
"""FP32 [sequences, vocab] tensors of the dummy sampler run: logits and probabilities (estimate)."""


def weights_bytes(params: float, embedding_params: float, bytes_per_weight: float) -> float:
    """Checkpoint bytes [B]: the embeddings and LM head stay 16-bit when the rest is quantized.

    GPTQ/AWQ (``lm_head`` and ``embed_tokens`` are not quantized), FP8 (DeepSeek-V3, llm-compressor's
    ``ignore: [lm_head]``), NVFP4 (ModelOpt excludes ``lm_head``) and MXFP4 (gpt-oss quantizes the MoE
    experts only) checkpoints all keep them at BF16. Norms, and for gpt-oss the attention, are not counted.
    """
    if bytes_per_weight >= 2.0:
        return params * bytes_per_weight
    sixteen = min(embedding_params, params)
    return (params - sixteen) * bytes_per_weight + sixteen * 2.0


def model_weights_gb(model: ModelShape, bytes_per_weight: float, shards: int = 1) -> float:
    """Weights per GPU with the whole model split evenly over ``shards`` GPUs [GB]."""
    return weights_bytes(model.params, model.embedding_params, bytes_per_weight) / shards / GB


def engine_reservation_gb(model: ModelShape, tp: int, tokens: float = PROFILE_TOKENS) -> float:
    """What vLLM subtracts from its share besides the weights, per GPU [GB] (estimate from the shape).

    Peak activations of the profiling pass of ``tokens`` tokens (``GPUModelRunner.profile_run``):
    ``HIDDEN_BUFFERS`` x tokens x hidden x 2 B, plus the MLP's gate/up output and its activation,
    tokens x active experts x 3 x ffn / tp x 2 B, plus the dummy sampler's ``LOGIT_COPIES`` x
    ``PROFILE_SEQUENCES`` x vocab x 4 B; then non-torch memory (``NON_TORCH_GB``, + ``NON_TORCH_TP_GB``
    at tp > 1). Llama-3.1-8B at tp 1: 1.15 GiB of activations against 1.26 GiB in vLLM PR #10511's log.
    """
    hidden_b = HIDDEN_BUFFERS * tokens * model.hidden * 2.0
    mlp_b = tokens * max(model.active_experts, 1) * 3 * model.ffn / tp * 2.0
    logits_b = LOGIT_COPIES * min(PROFILE_SEQUENCES, tokens) * model.vocab * 4.0
    non_torch = NON_TORCH_GB + (NON_TORCH_TP_GB if tp > 1 else 0.0)
    return (hidden_b + mlp_b + logits_b) / GB + non_torch


def engine_usable_gb(hw: HardwareShape) -> Num:
    """The engine's share of the memory CUDA reports [GB]: usable fraction x ``CUDA_TOTAL_FRACTION`` x memory."""
    out: Num = hw.usable_vram_fraction * CUDA_TOTAL_FRACTION * hw.vram_gb
    return out


def engine_share_gb(hw: HardwareShape, weights_gb: Num, reserve_gb: Num) -> Num:
    """Memory the engine may fill with weights, its reservation and KV cache, per GPU [GB].

    vLLM and SGLang take their fraction of the total (``engine_usable_gb``). TensorRT-LLM loads the
    weights and sizes its activations first, then gives the KV cache ``free_gpu_memory_fraction`` (0.9)
    of what is free (https://nvidia.github.io/TensorRT-LLM/examples/kvcacheconfig.html: "allocate 90% of
    free GPU memory for KV cache"); NVIDIA's aiconfigurator models the two budgets the same way. On a
    70B FP8 model on one 80 GB H100 that is the difference between 1.5 and 9 GB of KV cache.
    """
    if not hw.kv_of_free_memory:
        return engine_usable_gb(hw)
    total = CUDA_TOTAL_FRACTION * np.asarray(hw.vram_gb, dtype=float)
    fixed = np.asarray(weights_gb, dtype=float) + np.asarray(reserve_gb, dtype=float)
    out: Num = fixed + hw.usable_vram_fraction * np.maximum(total - fixed, 0.0)
    return out


def reservation_gb(model: ModelShape, hw: HardwareShape, tp: int) -> Num:
    """The hardware's fixed reservation where one is given, else ``engine_reservation_gb`` [GB]."""
    return hw.runtime_overhead_gb if hw.runtime_overhead_gb is not None else engine_reservation_gb(model, tp)


def kv_bytes_per_token(model: ModelShape, kv_bytes: float) -> float:
    """KV-cache bytes per cached token over all layers (unsharded) [B]."""
    return float(model.layers * model.kv_values_per_token_layer * kv_bytes)


def kv_tokens_effective(model: ModelShape, context: Num) -> Num:
    """Tokens whose K/V must be stored or read, averaged over layers.

    Sliding-window layers keep only the last ``sliding_window`` tokens.
    """
    if not model.sliding_window or model.sliding_window_layers == 0:
        return context
    full = model.layers - model.sliding_window_layers
    windowed = np.minimum(context, model.sliding_window)
    out: Num = (full * np.asarray(context, dtype=float) + model.sliding_window_layers * windowed) / model.layers
    return out


def kv_shards(model: ModelShape, tp: int) -> int:
    """GPUs the KV cache is split over: min(TP, kv_heads) (MLA: 1, replicated)."""
    return max(1, min(tp, model.kv_heads))


@dataclass(frozen=True)
class MemoryBreakdown:
    """Memory per GPU for one replica at a batch and context [GB]."""

    weights_gb: Num
    kv_cache_gb: Num
    runtime_overhead_gb: Num
    """The engine's reservation besides weights and KV: profiling activations and non-torch memory."""
    usable_gb: Num
    """The engine's share of the memory (``engine_share_gb``)."""
    max_batch: Num
    """Largest batch whose KV cache fits at this context (0 if weights alone do not fit)."""

    @property
    def total_gb(self) -> Num:
        out: Num = self.weights_gb + self.kv_cache_gb + self.runtime_overhead_gb
        return out

    @property
    def fits(self) -> bool:
        """True when the batch fits on every sample."""
        return bool(np.all(np.asarray(self.total_gb) <= np.asarray(self.usable_gb)))


def memory_breakdown(
    model: ModelShape, hw: HardwareShape, bytes_per_weight: float, kv_bytes: float, tp: int, batch: Num, context: Num
) -> MemoryBreakdown:
    """Per-GPU memory of one replica of ``tp`` GPUs holding ``batch`` sequences of ``context`` tokens."""
    weights_gb = model_weights_gb(model, bytes_per_weight, tp)
    reserve = reservation_gb(model, hw, tp)
    per_token_gb = kv_bytes_per_token(model, kv_bytes) / kv_shards(model, tp) / GB
    tokens = kv_tokens_effective(model, context)
    kv_gb = np.asarray(batch, dtype=float) * tokens * per_token_gb
    usable = engine_share_gb(hw, weights_gb, reserve)
    room = usable - weights_gb - reserve
    max_batch = np.floor(np.maximum(room, 0.0) / np.maximum(tokens * per_token_gb, 1e-12))
    return MemoryBreakdown(
        weights_gb=weights_gb,
        kv_cache_gb=kv_gb,
        runtime_overhead_gb=reserve,
        usable_gb=usable,
        max_batch=max_batch,
    )
