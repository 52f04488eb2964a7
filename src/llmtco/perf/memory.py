"""GPU memory: weights, KV cache and what fits.

Weights bytes = params x bytes per weight (bf16 2, fp8 1, 4-bit formats 0.5 plus
block scales). KV cache bytes per token = layers x values per layer x bytes
(GQA: 2 x kv_heads x head_dim; MLA: kv_lora_rank + rope dims), sharded over
min(TP, kv_heads) GPUs. Usable memory = usable fraction x VRAM.
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
    usable_gb: Num
    """usable_vram_fraction x VRAM."""
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
    weights_gb = model.params * bytes_per_weight / tp / GB
    per_token_gb = kv_bytes_per_token(model, kv_bytes) / kv_shards(model, tp) / GB
    tokens = kv_tokens_effective(model, context)
    kv_gb = np.asarray(batch, dtype=float) * tokens * per_token_gb
    usable = hw.usable_vram_fraction * hw.vram_gb
    room = usable - weights_gb - hw.runtime_overhead_gb
    max_batch = np.floor(np.maximum(room, 0.0) / np.maximum(tokens * per_token_gb, 1e-12))
    return MemoryBreakdown(
        weights_gb=weights_gb,
        kv_cache_gb=kv_gb,
        runtime_overhead_gb=hw.runtime_overhead_gb,
        usable_gb=usable,
        max_batch=max_batch,
    )
