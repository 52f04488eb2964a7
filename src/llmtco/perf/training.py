"""Training and fine-tuning speed.

FLOPs per trained token (the work the GPU does, per token of a sequence of S tokens):

    F_linear = k x N_active                      k = 6 full (forward 2, backward 4: gradients for
                                                 activations and weights); 4 LoRA/QLoRA (frozen base
                                                 weights: activation gradients only; adapters negligible)
    F_attn   = 6 x L x d_attn x S                causal attention: Q.K^T and A.V cost 2 x 2 x d_attn x S/2
                                                 per token per layer forward, backward twice that (no
                                                 weights: activation gradients only, also for LoRA)
    F        = F_linear + F_attn
    recompute: full activation checkpointing runs the forward again: + (2 N_active + 2 L d_attn S);
               selective recomputation (attention core only) adds nothing measurable

``N_active`` is the parameters a token passes through (MoE: shared + routed experts, not the total).
The attention term and its causal halving follow Megatron-LM's ``num_floating_point_operations``
(training.py), whose count reproduces the "Model TFLOP/sec/GPU" column of NVIDIA's Megatron-Bridge
performance summary (Llama 3 8B on H100: 744 TFLOP/s at 14,451 tokens/s/GPU = 5.15e10 FLOP/token =
6 x 7.5e9 non-embedding-input params + 6 x 32 x 4096 x 8192); Narayanan et al. 2021 (eq. 3) and
Korthikanti et al. 2022 give the recomputation cost. QLoRA also dequantises the 4-bit base weights on
every use; that cost is the ``QLORA_OVERHEAD`` factor (an estimate).

FP8 training (Transformer Engine, torchao Float8) runs the linear layers' GEMMs in FP8 and keeps
attention (FlashAttention) and everything else in BF16, so

    time per token = (F_linear x r / peak_fp8 + F_attn x r / (a x peak_bf16)) / MFU_train

(r: recomputation; a = ``ATTENTION_EFFICIENCY_RATIO``: attention kernels run at half the GEMMs' rate),
and BF16 training uses peak_bf16 for the linear layers. Two terms are added that are not FLOPs:

    + r_f x NON_GEMM_BYTES x L x d_attn / HBM bandwidth     memory-bound kernels (norms, activation
                                                            functions, residuals, casts), forward and backward
    + tp x (tensor-parallel bytes per token) / link bandwidth   Megatron tensor-parallel collectives
    x (1 + (p - 1) / (v m))                                 pipeline bubble of p stages, v virtual stages,
                                                            m micro-batches per step

(r_f = 4/3 with full recomputation). Tokens/s per GPU = 1 / time per token.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from llmtco.perf.shapes import Num

FLOPS_PER_PARAM = {"full": 6.0, "lora": 4.0, "qlora": 4.0}
"""Training FLOPs per active parameter per token, by method."""
QLORA_OVERHEAD = 1.3
"""Extra compute of QLoRA over LoRA for dequantising NF4 weights (estimate; fitted rows absorb the rest)."""
ATTENTION_FLOPS_PER_LAYER_DIM_TOKEN = 6.0
"""Causal attention FLOPs per layer, per attention-dimension unit, per context token, forward + backward
(Megatron-LM ``num_floating_point_operations`` with causal masking)."""
NON_GEMM_BYTES = 612.0
"""HBM bytes per token, per layer and per unit of attention width that the memory-bound kernels of one
training step move (norms, activation functions, residual adds, casts; forward and backward) [B]
(estimate: 18 passes over the 34 bytes per token and width unit a layer's activations occupy, Korthikanti
et al. 2022, eq. 1 without the attention scores; the pass count was set by hand so that one GEMM
efficiency fits MosaicML's MPT-3B to MPT-70B rows, the size dependence a FLOP-only model misses.
Without it the leave-one-source-out training error is 19 %, with 300 B 13 %)."""
ATTENTION_EFFICIENCY_RATIO = 0.5
"""Share of the GEMMs' achieved FLOP/s that attention kernels reach in training (estimate: FlashAttention-2
reaches about 35 % of an H100's peak, Shah et al. 2024, FlashAttention-3, abstract, where well-shaped
GEMMs reach about 70 %; the backward pass, two thirds of the attention work, is the slower half)."""
RECOMPUTE = ("none", "selective", "full")
"""Activation recomputation: none, selective (attention core only: no extra GEMM FLOPs) or full (the
whole forward again)."""


@dataclass(frozen=True)
class TrainFlops:
    """FLOPs the GPUs execute per trained token, split by the kernels' precision [FLOP/token]."""

    linear: float
    """Linear-layer GEMMs (FP8 tensor cores in FP8 training), recomputation included."""
    attention: float
    """Attention matrix products (BF16 FlashAttention in every recipe), recomputation included."""
    model: float
    """Model FLOPs without recomputation (the MFU numerator sources quote)."""


def train_flops(
    active_params: float,
    method: str,
    *,
    layers: int = 0,
    attention_dim: int = 0,
    seq_len: float = 0.0,
    recompute: str = "none",
    qlora_overhead: float = QLORA_OVERHEAD,
) -> TrainFlops:
    """FLOPs per trained token of a model with ``active_params`` per token at sequence length ``seq_len``."""
    if method not in FLOPS_PER_PARAM:
        raise ValueError(f"unknown fine-tuning method {method!r}; allowed: {', '.join(FLOPS_PER_PARAM)}")
    if recompute not in RECOMPUTE:
        raise ValueError(f"unknown activation recomputation {recompute!r}; allowed: {', '.join(RECOMPUTE)}")
    linear = FLOPS_PER_PARAM[method] * active_params * (qlora_overhead if method == "qlora" else 1.0)
    attention = ATTENTION_FLOPS_PER_LAYER_DIM_TOKEN * layers * attention_dim * seq_len
    model = linear + attention
    if recompute == "full":  # one more forward: 2 N + a third of the attention work
        linear += 2.0 * active_params
        attention += attention / 3.0
    return TrainFlops(linear=linear, attention=attention, model=model)


def train_flops_per_token(params: float, method: str, qlora_overhead: float = 1.0) -> float:
    """Linear-layer FLOPs to train on one token, without attention or recomputation [FLOP]."""
    return train_flops(params, method, qlora_overhead=qlora_overhead).linear


def train_tokens_per_s_per_gpu(peak_tflops: Num, efficiency: Num, flops_per_token: float) -> Num:
    """Trained tokens per second on one GPU at the given model FLOPs utilisation."""
    out: Num = np.asarray(peak_tflops, dtype=float) * 1e12 * efficiency / flops_per_token
    return out


def training_rate(
    params: float,
    method: str,
    precision: str,
    tflops_dense: Mapping[str, float],
    efficiency: float,
    *,
    layers: int = 0,
    attention_dim: int = 0,
    seq_len: float = 0.0,
    recompute: str = "none",
    hbm_bandwidth_tb_s: float = 0.0,
    hidden: int = 0,
    tp: int = 1,
    interconnect_gb_s: float = 0.0,
    bubble: float = 0.0,
) -> float:
    """Trained tokens per second on one GPU [tokens/s]: the linear layers on FP8 tensor cores for FP8
    training where the chip has them (else BF16), attention on BF16 (module docstring)."""
    flops = train_flops(
        params, method, layers=layers, attention_dim=attention_dim, seq_len=seq_len, recompute=recompute
    )
    linear_peak = tflops_dense["fp8"] if precision == "fp8" and "fp8" in tflops_dense else tflops_dense["bf16"]
    attention_peak = ATTENTION_EFFICIENCY_RATIO * tflops_dense["bf16"]
    seconds = (flops.linear / linear_peak + flops.attention / attention_peak) / (1e12 * efficiency)
    if hbm_bandwidth_tb_s > 0:
        passes = 4.0 / 3.0 if recompute == "full" else 1.0
        seconds += passes * NON_GEMM_BYTES * layers * attention_dim / (hbm_bandwidth_tb_s * 1e12)
    if tp > 1 and interconnect_gb_s > 0:
        # every GPU of the group sends the group's per-token bytes; per GPU, tp tokens share that time
        seconds += tp * tensor_parallel_bytes_per_token(layers, hidden, tp) / (interconnect_gb_s * 1e9)
    return 1.0 / (seconds * (1.0 + bubble))


def pipeline_bubble(stages: int, virtual_stages: int, microbatches: int) -> float:
    """Idle time of a 1F1B pipeline as a share of its busy time: (p - 1) / (v x m) for p stages, v virtual
    stages (model chunks) per GPU and m micro-batches per step (Narayanan et al. 2021, sec. 2.2)."""
    if stages <= 1:
        return 0.0
    return (stages - 1) / (max(virtual_stages, 1) * max(microbatches, 1))


def tensor_parallel_bytes_per_token(layers: int, hidden: int, tp: int) -> float:
    """Bytes each GPU of a tensor-parallel group sends per trained token [B].

    Megatron tensor parallelism runs two all-reduces (or, with sequence parallelism, an all-gather and a
    reduce-scatter of the same volume) per layer forward and two backward, each of ``hidden`` BF16 values
    per token; a ring moves 2 (tp - 1) / tp of the message per GPU (Shoeybi et al. 2019, fig. 3;
    Korthikanti et al. 2022, sec. 4.2.2).
    """
    return 4.0 * 2.0 * (tp - 1) / tp * hidden * 2.0 * layers


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
