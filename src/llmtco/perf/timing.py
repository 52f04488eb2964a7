"""Step time of prefill and decode on one tensor-parallel replica.

Decode step ≈ max(linear FLOPs / (peak x MFU_decode), weight bytes / (HBM
bandwidth x MBU)) + max(attention FLOPs / (peak x MFU_decode), KV bytes / (HBM
bandwidth x MBU)) + fixed per-step overhead + tensor-parallel all-reduce time
(DESIGN.md; linear layers and attention are separate kernels, so each is bound
on its own). ``mixed_step`` adds prompt tokens of chunked prefill to the same
step. This is the *step layer*: GPU physics, fitted on kernel-level
measurements; engine behaviour (scheduler, batching, queueing) is in
``llmtco.sizing.serving``.
Bytes moved per step = weights (MoE: the shared part plus the experts that the
batch's tokens touch) + the KV cache of every sequence, read once.
Prefill ≈ (2 x active params x tokens + attention FLOPs) / (peak x MFU_prefill),
never faster than one read of the weights.

Bandwidth is decimal (1 TB/s = 1e12 B/s), as vendors quote it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from llmtco.arrays import FloatArray
from llmtco.perf.memory import kv_bytes_per_token, kv_shards, kv_tokens_effective
from llmtco.perf.shapes import HardwareShape, ModelShape, Num

ACTIVATION_BYTES = 2.0
"""Bytes per activation value sent in all-reduces (BF16)."""


@dataclass(frozen=True)
class StepTime:
    """One forward step of a replica, with its parts [ms]."""

    step_ms: Num
    compute_ms: Num
    memory_ms: Num
    overhead_ms: Num
    comm_ms: Num
    tokens: Num
    """Tokens produced (decode) or processed (prefill) by the step."""

    @property
    def compute_share(self) -> Num:
        """Fraction of the step the tensor cores are the bottleneck (0..1)."""
        out: Num = np.minimum(1.0, self.compute_ms / np.maximum(self.step_ms, 1e-12))
        return out

    @property
    def tokens_per_s(self) -> Num:
        out: Num = self.tokens / (self.step_ms / 1e3)
        return out


def experts_touched(experts: int, active: int, tokens: Num) -> Num:
    """Expected distinct experts a batch of ``tokens`` routes to, per layer.

    With independent uniform routing, each expert is missed by one token with
    probability (1 - k/E), so E x (1 - (1 - k/E)^tokens) are touched.
    """
    if experts <= 1:
        return np.asarray(1.0) if isinstance(tokens, np.ndarray) else 1.0
    out: Num = experts * (1.0 - (1.0 - active / experts) ** np.asarray(tokens, dtype=float))
    return out


def weights_read_bytes(model: ModelShape, bytes_per_weight: float, tokens: Num) -> Num:
    """Weight bytes one step reads for ``tokens`` tokens (whole replica) [B]."""
    if model.experts <= 1:
        return model.params * bytes_per_weight + 0.0 * np.asarray(tokens, dtype=float)
    touched = experts_touched(model.experts, model.active_experts, tokens)
    out: Num = (model.shared_params + touched * model.expert_params) * bytes_per_weight
    return out


def allreduce_ms(model: ModelShape, hw: HardwareShape, tp: int, tokens: Num) -> Num:
    """Two ring all-reduces per layer of ``tokens`` x hidden activations [ms]."""
    if tp <= 1:
        return 0.0 * np.asarray(tokens, dtype=float)
    message_b = np.asarray(tokens, dtype=float) * model.hidden * ACTIVATION_BYTES
    transfer_s = message_b * 2 * (tp - 1) / tp / (hw.interconnect_gb_s * 1e9)
    out: Num = 2 * model.layers * (hw.allreduce_latency_us * 1e-3 + transfer_s * 1e3)
    return out


def decode_attention_flops(model: ModelShape) -> float:
    """Attention FLOPs of one decoding token per cached token it attends to, all layers (unsharded) [FLOP].

    GQA/MHA: QK^T and PV over ``heads`` x ``head_dim``: 4 x L x H x d.
    MLA in decode runs with the up-projections absorbed (DeepSeek-V2 report §2.1.3;
    FlashMLA, SGLang and vLLM decode kernels): every head scores against the
    cached latent and rope key (``kv_lora_rank + qk_rope_head_dim`` values) and
    sums the latent (``kv_lora_rank``) values, 2 x L x H x (c + r + c) — for
    DeepSeek-V3 2 x 128 x (576 + 512) per layer, 2.8x the 4 x 128 x 192 of the
    MHA formula. Prefill runs MLA un-absorbed (MHA on the decompressed K/V), so
    ``prefill_flops`` keeps the MHA count.
    """
    if model.mla_latent_dim > 0:
        return 2.0 * model.layers * model.heads * (model.kv_values_per_token_layer + model.mla_latent_dim)
    return 4.0 * model.layers * model.heads * model.head_dim


def attention_peak_tflops(hw: HardwareShape, kv_bytes: float) -> Num:
    """Tensor throughput decode attention runs at [TFLOP/s]: the KV cache is a GEMM operand, so the
    kernels run at its precision (FP8 MMA over an FP8 cache, as FlashMLA's FP8 path and TensorRT-LLM's
    FP8 MLA do; BF16 over a 16-bit cache), never above the weights' compute peak. It binds only where
    attention is compute-bound: MLA with many heads per GPU (DP attention); GQA decode stays bound by
    the KV read (about 2 x group size FLOP per byte)."""
    fp16 = hw.bf16_tflops if hw.bf16_tflops is not None else hw.peak_tflops
    fp8 = hw.fp8_tflops if hw.fp8_tflops is not None else fp16
    out: Num = np.minimum(fp16 if kv_bytes >= 2.0 else fp8, hw.peak_tflops)
    return out


REFERENCE_LAYERS = 32
"""Layers of the model ``step_overhead_ms`` is quoted for (Llama-3.1-8B)."""


def launch_ms(model: ModelShape, hw: HardwareShape) -> Num:
    """Kernel-launch overhead of one step: ``step_overhead_ms`` per 32 layers, scaled by the layer count [ms].

    Each layer launches the same kernels (norms, GEMMs, attention, activations), so launch time grows
    with depth.
    """
    out: Num = hw.step_overhead_ms * model.layers / REFERENCE_LAYERS
    return out


def chunk_share(prefill: Num, prefill_chunk: Num) -> tuple[FloatArray, FloatArray]:
    """(f, c): a step that carries prefill carries a chunk of c = max(``prefill_chunk``, mean ``prefill``)
    prompt tokens, and a share f = mean prefill / c of the steps do (``mixed_step``)."""
    p = np.asarray(prefill, dtype=float)
    chunk = np.maximum(np.asarray(prefill_chunk, dtype=float), p)
    return np.where(chunk > 0, p / np.maximum(chunk, 1e-12), 0.0), chunk


def mixed_step(
    model: ModelShape,
    hw: HardwareShape,
    bytes_per_weight: float,
    kv_bytes: float,
    tp: int,
    batch: Num,
    context: Num,
    prefill_tokens: Num = 0.0,
    prefill_context: Num = 0.0,
    prefill_chunk: Num = 0.0,
) -> StepTime:
    """One forward step of ``batch`` decoding sequences plus ``prefill_tokens`` prompt tokens (chunked prefill).

    ``prefill_tokens`` is a mean over steps. Prompts are not spread evenly over steps: a step that carries
    prefill carries a chunk of ``prefill_chunk`` prompt tokens, a fraction f = min(1, p / chunk) of the
    steps does, the others decode only. Compute and KV reads are linear in tokens, so the mean is exact
    for them; the weights an MoE step reads are not (a chunk touches nearly every expert, a small decode
    batch a few), so MoE weight reads are (1 - f) W(B) + f W(B + chunk). For a dense model both terms are
    the whole model; ``prefill_chunk`` 0 reads W(B + p) every step.

    The linear layers run as one GEMM over every token, so they are bound by
    either their FLOPs or one read of the weights; attention runs in its own
    kernels, bound by the KV-cache read (decode) or its FLOPs (prefill):

        t = max(F_lin / (peak x MFU), W / (BW x MBU)) + max(F_att,dec / (peak x MFU), KV / (BW x MBU))
            + F_att,pf / (peak x MFU_prefill) + step overhead + per-sequence host time + all-reduce

    Decode tokens use the decode compute efficiency, prompt tokens the prefill one.
    ``prefill_context`` is the mean context a prompt token attends to [tokens].
    """
    batch = np.asarray(batch, dtype=float)
    prefill = np.asarray(prefill_tokens, dtype=float)
    tokens = batch + prefill
    peak = hw.peak_tflops * 1e12
    bandwidth = hw.hbm_bandwidth_tb_s * 1e12 * hw.decode_bandwidth_efficiency
    kv_tokens = kv_tokens_effective(model, context)
    kv_read = batch * kv_tokens * kv_bytes_per_token(model, kv_bytes) / kv_shards(model, tp)
    if model.experts > 1 and np.any(np.asarray(prefill_chunk, dtype=float) > 0):
        share, chunk = chunk_share(prefill, prefill_chunk)
        read: Num = (1.0 - share) * weights_read_bytes(model, bytes_per_weight, batch) + share * weights_read_bytes(
            model, bytes_per_weight, batch + chunk
        )
    else:
        read = weights_read_bytes(model, bytes_per_weight, tokens)
    weights_ms = read / tp / bandwidth * 1e3
    kv_ms = kv_read / bandwidth * 1e3
    attn_per_token = 4.0 * model.layers * model.heads * model.head_dim / tp
    attn_dec_per_token = decode_attention_flops(model) / tp
    linear_c = 2.0 * model.active_params / tp / peak * 1e3
    lin_compute_ms = linear_c * (batch / hw.decode_compute_efficiency + prefill / hw.prefill_compute_efficiency)
    attn_peak = attention_peak_tflops(hw, kv_bytes) * 1e12
    attn_dec_ms = batch * attn_dec_per_token * kv_tokens / (attn_peak * hw.decode_compute_efficiency) * 1e3
    attn_pf_ms = (
        prefill
        * attn_per_token
        * np.asarray(prefill_context, dtype=float)
        / (attn_peak * hw.prefill_compute_efficiency)
        * 1e3
    )
    comm = allreduce_ms(model, hw, tp, tokens)
    overhead = launch_ms(model, hw) + batch * hw.per_sequence_overhead_us * 1e-3
    step = np.maximum(lin_compute_ms, weights_ms) + np.maximum(attn_dec_ms, kv_ms) + attn_pf_ms + overhead + comm
    return StepTime(
        step_ms=step,
        compute_ms=lin_compute_ms + attn_dec_ms + attn_pf_ms,
        memory_ms=weights_ms + kv_ms,
        overhead_ms=overhead,
        comm_ms=comm,
        tokens=batch,
    )


def decode_step(
    model: ModelShape, hw: HardwareShape, bytes_per_weight: float, kv_bytes: float, tp: int, batch: Num, context: Num
) -> StepTime:
    """One decode step: each of ``batch`` sequences with ``context`` cached tokens makes one token."""
    return mixed_step(model, hw, bytes_per_weight, kv_bytes, tp, batch, context)


def prefill_attention_flops(model: ModelShape, seq: Num) -> Num:
    """Attention FLOPs (QK^T and PV, causal) to prefill one sequence of ``seq`` tokens [FLOP]."""
    seq = np.asarray(seq, dtype=float)
    out: Num = 2.0 * model.layers * model.heads * model.head_dim * seq * kv_tokens_effective(model, seq)
    return out


def prefill_flops(model: ModelShape, seq: Num) -> Num:
    """FLOPs to prefill one sequence of ``seq`` tokens (linear layers + causal attention) [FLOP]."""
    out: Num = 2.0 * model.active_params * np.asarray(seq, dtype=float) + prefill_attention_flops(model, seq)
    return out


def prefill_step(
    model: ModelShape,
    hw: HardwareShape,
    bytes_per_weight: float,
    tp: int,
    batch: Num,
    seq: Num,
    kv_bytes: float = 1.0,
) -> StepTime:
    """Prefill ``batch`` sequences of ``seq`` tokens in one step.

    The linear layers run at the weights' compute peak; attention runs at the peak of its own operands
    (``attention_peak_tflops``: FP8 over an FP8 KV cache, BF16 over a 16-bit one; NVFP4 weights do not
    make attention FP4, since the engines' attention kernels (TensorRT-LLM context FMHA, FlashAttention,
    FlashInfer) compute in FP8 at best). ``kv_bytes`` defaults to FP8, the fastest of them.
    """
    batch = np.asarray(batch, dtype=float)
    tokens = batch * np.asarray(seq, dtype=float)
    eff = hw.prefill_compute_efficiency
    linear_ms = batch * 2.0 * model.active_params * np.asarray(seq, dtype=float) / tp / (hw.peak_tflops * 1e12 * eff)
    attn_ms = batch * prefill_attention_flops(model, seq) / tp / (attention_peak_tflops(hw, kv_bytes) * 1e12 * eff)
    compute_ms = (linear_ms + attn_ms) * 1e3
    bytes_per_gpu = weights_read_bytes(model, bytes_per_weight, tokens) / tp
    memory_ms = bytes_per_gpu / (hw.hbm_bandwidth_tb_s * 1e12 * hw.decode_bandwidth_efficiency) * 1e3
    comm = allreduce_ms(model, hw, tp, tokens)
    step = np.maximum(compute_ms, memory_ms) + launch_ms(model, hw) + comm
    return StepTime(
        step_ms=step,
        compute_ms=compute_ms,
        memory_ms=memory_ms,
        overhead_ms=launch_ms(model, hw),
        comm_ms=comm,
        tokens=tokens,
    )
