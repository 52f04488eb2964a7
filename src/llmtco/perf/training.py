"""Training and fine-tuning speed.

FLOPs per trained token ≈ 6 x params for full fine-tuning (forward 2, backward
4: gradients for activations and weights). LoRA and QLoRA freeze the base
weights, so the backward pass needs activation gradients but no weight
gradients: ≈ 4 x params (the adapters are negligible). QLoRA also dequantises
the 4-bit base weights on every use; that cost is in the fitted
``qlora_overhead`` factor. Time = FLOPs / (GPUs x peak x MFU_train).
"""

from __future__ import annotations

import numpy as np

from llmtco.perf.shapes import Num

FLOPS_PER_PARAM = {"full": 6.0, "lora": 4.0, "qlora": 4.0}
"""Training FLOPs per parameter per token, by method."""


def train_flops_per_token(params: float, method: str, qlora_overhead: float = 1.0) -> float:
    """FLOPs to train on one token [FLOP]."""
    if method not in FLOPS_PER_PARAM:
        raise ValueError(f"unknown fine-tuning method {method!r}; allowed: {', '.join(FLOPS_PER_PARAM)}")
    flops = FLOPS_PER_PARAM[method] * params
    return flops * (qlora_overhead if method == "qlora" else 1.0)


def train_tokens_per_s_per_gpu(peak_tflops: Num, efficiency: Num, flops_per_token: float) -> Num:
    """Trained tokens per second on one GPU at the given model FLOPs utilisation."""
    out: Num = np.asarray(peak_tflops, dtype=float) * 1e12 * efficiency / flops_per_token
    return out
