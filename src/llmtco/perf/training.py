"""Training and fine-tuning speed.

FLOPs per trained token ≈ 6 x params for full fine-tuning (forward 2, backward
4: gradients for activations and weights). LoRA and QLoRA freeze the base
weights, so the backward pass needs activation gradients but no weight
gradients: ≈ 4 x params (the adapters are negligible). QLoRA also dequantises
the 4-bit base weights on every use; that cost is the ``QLORA_OVERHEAD``
factor (an estimate; the fitted MFU absorbs the rest). Time = FLOPs /
(GPUs x peak x MFU_train).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from llmtco.perf.shapes import Num

FLOPS_PER_PARAM = {"full": 6.0, "lora": 4.0, "qlora": 4.0}
"""Training FLOPs per parameter per token, by method."""
QLORA_OVERHEAD = 1.3
"""Extra compute of QLoRA over LoRA for dequantising NF4 weights (estimate; fitted rows absorb the rest)."""


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


def training_rate(
    params: float, method: str, precision: str, tflops_dense: Mapping[str, float], efficiency: float
) -> float:
    """Trained tokens per second on one GPU: FP8 tensor cores for FP8 weights where the chip has them, else BF16."""
    compute = "fp8" if precision == "fp8" and "fp8" in tflops_dense else "bf16"
    flops = train_flops_per_token(params, method, QLORA_OVERHEAD)
    return float(train_tokens_per_s_per_gpu(tflops_dense[compute], efficiency, flops))


OPTIMIZER_BYTES = {"adamw": 12.0, "adamw_8bit": 6.0, "sgd": 4.0}
"""Optimizer state bytes per trained parameter: FP32 master copy + moments (AdamW 4+4+4;
8-bit AdamW 4+1+1; SGD with FP32 master 4)."""


def lora_params(layers: int, hidden: int, heads: int, kv_heads: int, head_dim: int, ffn: int, rank: int) -> float:
    """Trainable adapter parameters: rank x (in + out) for each adapted matrix [count].

    LoRA adapts every linear layer of a block: q, k, v, o, gate, up, down.
    """
    q = hidden + heads * head_dim
    kv = 2 * (hidden + kv_heads * head_dim)
    o = heads * head_dim + hidden
    mlp = 2 * (hidden + ffn) + (ffn + hidden)
    return float(layers * rank * (q + kv + o + mlp))


def train_memory_gb(
    *,
    params: float,
    trainable: float,
    method: str,
    weight_bytes: float,
    optimizer: str,
    gpus: int,
    layers: int,
    hidden: int,
    vocab: int,
    seq: int,
    micro_batch: int,
    checkpointing: bool,
) -> dict[str, float]:
    """Memory per GPU of a fine-tuning job with all states sharded over ``gpus`` (FSDP / ZeRO-3) [GB].

    Activations (BF16, FlashAttention): 34 x seq x batch x hidden bytes per layer
    (Korthikanti et al. 2022, without the attention-matrix term); with activation
    checkpointing only each layer's input (2 bytes x seq x batch x hidden) is kept,
    plus one layer being recomputed. Logits and their gradient in FP32 on top.
    """
    if method == "full":
        trainable = params
    sbh = float(seq * micro_batch * hidden)
    acts = (2.0 * sbh * layers + 34.0 * sbh) if checkpointing else 34.0 * sbh * layers
    logits = 2.0 * seq * micro_batch * vocab * 4.0
    return {
        "weights": params * weight_bytes / gpus / 1e9,
        "gradients": trainable * 2.0 / gpus / 1e9,
        "optimizer": trainable * OPTIMIZER_BYTES[optimizer] / gpus / 1e9,
        "activations": (acts + logits) / 1e9,
    }
