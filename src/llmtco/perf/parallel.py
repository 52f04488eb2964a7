"""Memory and step time of one model replica under a parallel layout (TP, EP with DP attention, PP).

A layout splits one replica over GPUs three ways:

- **TP** (tensor parallel, degree ``tp``): every weight matrix is split over
  ``tp`` GPUs; two all-reduces of the activations per layer (Megatron-LM,
  Shoeybi et al. 2019).
- **EP with data-parallel attention** (degree ``ep``, DeepSeek-V3 report §3.4,
  SGLang large-scale EP, TensorRT-LLM "attention DP"): the routed experts are
  sharded over ``ep`` GPUs (E/ep experts each); attention and the shared part
  are replicated over ``ep / tp`` data-parallel ranks, each TP-split ``tp``
  ways. Each rank runs its own sequences; each MoE layer sends every token to
  its k experts and back (dispatch + combine all-to-all). A GPU reads only its
  local experts that some token of the whole group routes to.
- **PP** (pipeline parallel, ``pp`` stages, usually one per server): each stage
  holds ceil(L / pp) layers; a decode step of a batch split into m = min(pp, B)
  micro-batches takes max(m x t_stage, pp x (t_stage + t_send)) per token of
  every sequence (GPipe-style bubble when B < pp), t_send the activations of one
  micro-batch over the link between stages.

Collectives run over the **fabric**: inside the scale-up domain (NVLink: 8 GPUs
in an HGX, 72 in an NVL72 rack; Infinity Fabric: 8 on an MI300X platform) at
the accelerator's ``interconnect_gb_s``; beyond it over the scale-out network at
``scaleout_gb_s`` per GPU (400 Gb/s InfiniBand/RoCE per GPU = 50 GB/s: catalog
rate ``scaleout_gb_s_per_gpu``). An all-to-all over g GPUs whose domains hold d
sends (d - 1)/g of its bytes over the scale-up links and (g - d)/g over the
network; the slower of the two decides (they run at once).

Two effects of EP with DP attention at scale (``ep_mixed_step``):

- **Prompt tokens cross the network once per node.** DeepEP's normal
  (prefill) kernels send a token over RDMA once to each remote node that holds
  one of its experts and forward it to those experts over NVLink there
  (DeepSeek-V3 report §3.2.2, arXiv:2412.19437; https://github.com/deepseek-ai/DeepEP:
  "asymmetric-domain bandwidth forwarding ... for training and inference
  prefilling"); its low-latency (decode) kernels send each expert copy by pure
  RDMA. A token's k experts, uniform over N = g/d nodes, touch
  (N - 1)(1 - (1 - 1/N)^k) remote nodes on average (≤ k (g - d)/g copies).
- **A prompt is prefilled on one DP rank.** Under in-flight batching each rank
  schedules its own requests; a step in which one rank prefills a prompt while
  the others decode takes the time of that rank (TensorRT-LLM, "ADP Balance
  Strategy", https://github.com/NVIDIA/TensorRT-LLM/blob/main/docs/source/blogs/tech_blog/blog10_ADP_Balance_Strategy.md:
  round-robin scheduling measured a 54 % average balance ratio on 8 GB200 with
  DP8 EP8). With P prompt tokens per step over R ranks in prompts of L tokens,
  the busiest rank carries min(P, max(P / R, L)): all of them when a step
  holds less than one prompt, one whole prompt while a step holds fewer than R,
  an even share beyond.

A plain TP layout inside one domain (ep = pp = 1) is exactly
``perf.timing.decode_step`` / ``prefill_step``; the other layouts reuse their
formulas term by term. Bandwidth is decimal (1 GB/s = 1e9 B/s).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

from llmtco.arrays import FloatArray
from llmtco.perf.memory import (
    GB,
    engine_share_gb,
    kv_bytes_per_token,
    kv_shards,
    kv_tokens_effective,
    reservation_gb,
    weights_bytes,
)
from llmtco.perf.shapes import HardwareShape, ModelShape, Num
from llmtco.perf.timing import (
    ACTIVATION_BYTES,
    StepTime,
    allreduce_ms,
    attention_peak_tflops,
    chunk_share,
    decode_attention_flops,
    decode_step,
    launch_ms,
    prefill_step,
)

DISPATCH_BYTES = 1.0
"""Bytes per hidden value sent to the experts (DeepEP dispatches FP8; DeepSeek-V3 report §3.3.2)."""
COMBINE_BYTES = 2.0
"""Bytes per hidden value sent back from the experts (combine in BF16; same source)."""
SCALEOUT_LATENCY_US = 10.0
"""Latency of one collective over the scale-out network [us] (estimate: a few us per RDMA hop,
DeepEP low-latency kernels report ~10-20 us per dispatch at small batches)."""


@dataclass(frozen=True)
class Layout:
    """How one replica is split over GPUs."""

    tp: int = 1
    """Tensor-parallel degree of attention and dense weights within one stage (and one DP rank)."""
    ep: int = 1
    """Expert-parallel degree: GPUs the routed experts are sharded over, per stage (1: experts TP-split)."""
    pp: int = 1
    """Pipeline stages."""

    def __post_init__(self) -> None:
        if self.tp < 1 or self.ep < 1 or self.pp < 1:
            raise ValueError(f"layout degrees must be >= 1, got tp={self.tp} ep={self.ep} pp={self.pp}")
        if self.ep > 1 and self.ep % self.tp:
            raise ValueError(f"ep {self.ep} must be a multiple of the attention tp {self.tp}")

    @property
    def stage_gpus(self) -> int:
        """GPUs in one pipeline stage [count]."""
        return self.ep if self.ep > 1 else self.tp

    @property
    def gpus(self) -> int:
        """GPUs in one replica [count]."""
        return self.stage_gpus * self.pp

    @property
    def dp(self) -> int:
        """Data-parallel attention ranks per stage (1 without EP)."""
        return self.ep // self.tp if self.ep > 1 else 1

    @property
    def label(self) -> str:
        """Short name, e.g. ``TP8``, ``EP32 (DP32 attention)``, ``TP8 x PP2``."""
        if self.ep > 1:
            attn = f"DP{self.dp} attention" + (f" x TP{self.tp}" if self.tp > 1 else "")
            base = f"EP{self.ep} ({attn})"
        else:
            base = f"TP{self.tp}"
        return base + (f" x PP{self.pp}" if self.pp > 1 else "")


@dataclass(frozen=True)
class Fabric:
    """The links collectives run over."""

    domain_gpus: int
    """GPUs in one scale-up (NVLink / Infinity Fabric) domain: 8 in an HGX, 72 in an NVL72 rack [count]."""
    scaleout_gb_s: float
    """Scale-out network bandwidth per GPU, one direction [GB/s] (400 Gb/s = 50 GB/s)."""


def collective_gb_s(hw: HardwareShape, fabric: Fabric, group: int) -> Num:
    """Per-GPU bandwidth of a ring collective over ``group`` GPUs: scale-up inside a domain, else
    the scale-out network (a ring is as fast as its slowest link) [GB/s]."""
    if group <= fabric.domain_gpus:
        return hw.interconnect_gb_s
    return np.minimum(hw.interconnect_gb_s, fabric.scaleout_gb_s)


def with_fabric(hw: HardwareShape, fabric: Fabric, group: int) -> HardwareShape:
    """``hw`` whose interconnect is the one a TP group of ``group`` GPUs sees."""
    if group <= fabric.domain_gpus:
        return hw
    return replace(
        hw,
        interconnect_gb_s=collective_gb_s(hw, fabric, group),
        allreduce_latency_us=hw.allreduce_latency_us + SCALEOUT_LATENCY_US,
    )


def stage_model(model: ModelShape, pp: int) -> ModelShape:
    """The share of ``model`` one of ``pp`` pipeline stages holds: ceil(L / pp) layers, parameters pro rata."""
    if pp <= 1:
        return model
    layers = math.ceil(model.layers / pp)
    f = layers / model.layers
    return replace(model, params=model.params * f, active_params=model.active_params * f, layers=layers)


def alltoall_ms(hw: HardwareShape, fabric: Fabric, group: int, bytes_per_gpu: Num) -> Num:
    """One all-to-all in which each GPU of ``group`` spreads ``bytes_per_gpu`` evenly over the group [ms].

    (d - 1)/g of the bytes cross the scale-up links, (g - d)/g the network (d:
    GPUs of the group in one domain); both run at once.
    """
    if group <= 1:
        return 0.0 * np.asarray(bytes_per_gpu, dtype=float)
    d = min(group, fabric.domain_gpus)
    local_s = np.asarray(bytes_per_gpu, dtype=float) * (d - 1) / group / (hw.interconnect_gb_s * 1e9)
    remote_s = np.asarray(bytes_per_gpu, dtype=float) * (group - d) / group / (fabric.scaleout_gb_s * 1e9)
    latency_us = hw.allreduce_latency_us + (SCALEOUT_LATENCY_US if group > d else 0.0)
    out: Num = latency_us * 1e-3 + np.maximum(local_s, remote_s) * 1e3
    return out


def remote_nodes_per_token(model: ModelShape, fabric: Fabric, group: int) -> float:
    """Remote nodes a token's k experts land on, uniform over the group's N = g / d nodes:
    (N - 1)(1 - (1 - 1/N)^k) [count] (0 inside one domain)."""
    nodes = group / min(group, fabric.domain_gpus)
    if nodes <= 1.0:
        return 0.0
    return (nodes - 1.0) * (1.0 - (1.0 - 1.0 / nodes) ** model.active_experts)


def moe_alltoall_ms(
    model: ModelShape, hw: HardwareShape, fabric: Fabric, ep: int, tokens_per_gpu: Num, forwarded_per_gpu: Num = 0.0
) -> Num:
    """Dispatch + combine of every MoE layer for ``tokens_per_gpu`` tokens on each of ``ep`` GPUs [ms].

    Each token goes to its k experts: k x hidden x (dispatch + combine bytes) per token per layer, (d - 1)/g
    of them over the scale-up links and (g - d)/g over the network. ``forwarded_per_gpu`` of the tokens
    (prompt tokens: DeepEP's normal kernels) cross the network once per remote node they reach
    (``remote_nodes_per_token``) and are forwarded inside it; the others once per remote expert.
    """
    if ep <= 1:
        return 0.0 * np.asarray(tokens_per_gpu, dtype=float)
    t = np.asarray(tokens_per_gpu, dtype=float)
    fwd = np.minimum(np.asarray(forwarded_per_gpu, dtype=float), t)
    k, h = model.active_experts, model.hidden
    d = min(ep, fabric.domain_gpus)
    local_b = t * k * h * (d - 1) / ep
    remote_b = (t - fwd) * k * h * (ep - d) / ep + fwd * h * remote_nodes_per_token(model, fabric, ep)
    latency_ms = (hw.allreduce_latency_us + (SCALEOUT_LATENCY_US if ep > d else 0.0)) * 1e-3
    per_byte_ms = np.maximum(local_b / (hw.interconnect_gb_s * 1e9), remote_b / (fabric.scaleout_gb_s * 1e9)) * 1e3
    out: Num = model.layers * (2.0 * latency_ms + per_byte_ms * (DISPATCH_BYTES + COMBINE_BYTES))
    return out


def busiest_rank_tokens(prompt_tokens: Num, ranks: int, prompt_len: Num | None) -> Num:
    """Prompt tokens of the busiest of ``ranks`` DP-attention ranks in a step: min(P, max(P / R, L)) for P
    prompt tokens in prompts of ``prompt_len`` L each prefilled on one rank (None: spread evenly, P / R)."""
    p = np.asarray(prompt_tokens, dtype=float)
    if prompt_len is None or ranks <= 1:
        return p / ranks
    out: Num = np.minimum(p, np.maximum(p / ranks, np.asarray(prompt_len, dtype=float)))
    return out


@dataclass(frozen=True)
class LayoutMemory:
    """Memory per GPU of one replica under a layout [GB]."""

    weights_gb: float
    kv_gb_per_sequence: Num
    """KV cache one sequence of the given context puts on each GPU that holds it [GB]."""
    usable_gb: Num
    runtime_overhead_gb: Num
    max_batch: Num
    """Largest number of sequences the whole replica holds at this context (0 if weights do not fit)."""


def weights_gb_per_gpu(model: ModelShape, bytes_per_weight: float, layout: Layout) -> float:
    """Weights on each GPU [GB]: all / (tp x pp) without EP; shared / tp + E / ep experts with EP (per stage)."""
    m = stage_model(model, layout.pp)
    # the 16-bit embeddings and LM head, pro rata over stages as the parameters are (perf.memory.weights_bytes)
    embed = model.embedding_params * m.params / model.params if model.params else 0.0
    if layout.ep <= 1 or model.experts <= 1:
        return weights_bytes(m.params, embed, bytes_per_weight) / layout.stage_gpus / GB
    experts_b = model.experts * m.expert_params / layout.ep
    return (weights_bytes(m.shared_params, embed, bytes_per_weight) / layout.tp + experts_b * bytes_per_weight) / GB


def layout_memory(
    model: ModelShape, hw: HardwareShape, bytes_per_weight: float, kv_bytes: float, layout: Layout, context: Num
) -> LayoutMemory:
    """Per-GPU weights and KV cache and the largest batch that fits (see ``perf.memory``)."""
    m = stage_model(model, layout.pp)
    weights = weights_gb_per_gpu(model, bytes_per_weight, layout)
    per_seq = kv_tokens_effective(m, context) * kv_bytes_per_token(m, kv_bytes) / kv_shards(m, layout.tp) / GB
    reserve = reservation_gb(model, hw, layout.tp)
    usable = engine_share_gb(hw, weights, reserve)
    room = np.maximum(usable - weights - reserve, 0.0)
    # each DP rank (or the one TP group) holds its own sequences
    max_batch: Num = np.floor(room / np.maximum(per_seq, 1e-12)) * layout.dp
    return LayoutMemory(
        weights_gb=weights,
        kv_gb_per_sequence=per_seq,
        usable_gb=usable,
        runtime_overhead_gb=reserve,
        max_batch=max_batch,
    )


def _touched_share(p: float, batch: FloatArray, prefill: FloatArray, prefill_chunk: Num) -> FloatArray:
    """Mean share of the routed experts a step touches, each token picking a share ``p`` of them: a share
    f of the steps carry a prompt chunk of c tokens beside the ``batch`` decode tokens, the others decode
    only (``perf.timing.chunk_share``; ``prefill_chunk`` 0: every step carries the mean prefill)."""
    if not np.any(np.asarray(prefill_chunk, dtype=float) > 0):
        return np.asarray(1.0 - (1.0 - p) ** (batch + prefill), dtype=float)
    f, chunk = chunk_share(prefill, prefill_chunk)
    return np.asarray((1.0 - f) * (1.0 - (1.0 - p) ** batch) + f * (1.0 - (1.0 - p) ** (batch + chunk)), dtype=float)


def ep_mixed_step(
    model: ModelShape,
    hw: HardwareShape,
    fabric: Fabric,
    bytes_per_weight: float,
    kv_bytes: float,
    layout: Layout,
    batch: Num,
    context: Num,
    prefill_tokens: Num,
    prefill_context: Num,
    prompt_len: Num | None = None,
    prefill_chunk: Num = 0.0,
) -> StepTime:
    """One step of one stage under EP with DP attention: ``batch`` decoding sequences spread evenly over its
    DP ranks and ``prefill_tokens`` prompt tokens in prompts of ``prompt_len`` tokens, each prompt on one
    rank (None: spread evenly); the step is the busiest rank's (``busiest_rank_tokens``). As in
    ``perf.timing.mixed_step``, a step that carries prefill carries a chunk of ``prefill_chunk`` prompt
    tokens (0: the mean every step), and the experts it touches follow the tokens of that step.

    ``perf.timing.mixed_step`` term by term, per GPU: weight bytes = shared / tp + the touched local
    experts; linear FLOPs = its rank's shared part / tp + its 1/ep of the routed-expert work (decode
    tokens at the decode, prompt tokens at the prefill efficiency); decode attention at the KV cache's
    precision against the KV read of its rank's sequences; prompt attention at ``prefill_context``;
    comm = the MoE all-to-all of every token, as large as the busiest rank's (prompt tokens forwarded per
    node), + the attention all-reduce if tp > 1.
    """
    b = np.asarray(batch, dtype=float)
    pf = np.asarray(prefill_tokens, dtype=float)
    tokens = b + pf
    rank_b, rank_pf = b / layout.dp, busiest_rank_tokens(pf, layout.dp, prompt_len)
    k, e = model.active_experts, model.experts
    touched_frac = _touched_share(k / e, b, pf, prefill_chunk)
    weight_b = model.shared_params * bytes_per_weight / layout.tp + (
        (e / layout.ep) * touched_frac * model.expert_params * bytes_per_weight
    )
    kv_tokens = kv_tokens_effective(model, context)
    kv_read = rank_b * kv_tokens * kv_bytes_per_token(model, kv_bytes) / kv_shards(model, layout.tp)
    bw = hw.hbm_bandwidth_tb_s * 1e12 * hw.decode_bandwidth_efficiency
    peak = hw.peak_tflops * 1e12
    eff_d, eff_p = hw.decode_compute_efficiency, hw.prefill_compute_efficiency
    shared_c = 2.0 * model.shared_params / layout.tp / peak * 1e3
    expert_c = 2.0 * k * model.expert_params / layout.ep / peak * 1e3
    linear_ms = shared_c * (rank_b / eff_d + rank_pf / eff_p) + expert_c * (b / eff_d + pf / eff_p)
    attn_dec_flops = rank_b * decode_attention_flops(model) * kv_tokens / layout.tp
    attn_dec_ms = attn_dec_flops / (attention_peak_tflops(hw, kv_bytes) * 1e12 * eff_d) * 1e3
    attn_pf_flops = (
        rank_pf * 4.0 * model.layers * model.heads * model.head_dim * np.asarray(prefill_context) / layout.tp
    )
    attn_pf_ms = attn_pf_flops / (peak * eff_p) * 1e3
    comm = moe_alltoall_ms(model, hw, fabric, layout.ep, (rank_b + rank_pf) / layout.tp, rank_pf / layout.tp)
    if layout.tp > 1:
        comm = comm + allreduce_ms(model, with_fabric(hw, fabric, layout.tp), layout.tp, rank_b + rank_pf)
    overhead = launch_ms(model, hw) + rank_b * hw.per_sequence_overhead_us * 1e-3
    weights_ms, kv_ms = weight_b / bw * 1e3, kv_read / bw * 1e3
    step = np.maximum(linear_ms, weights_ms) + np.maximum(attn_dec_ms, kv_ms) + attn_pf_ms + overhead + comm
    return StepTime(
        step_ms=step,
        compute_ms=linear_ms + attn_dec_ms + attn_pf_ms,
        memory_ms=weights_ms + kv_ms,
        overhead_ms=overhead,
        comm_ms=comm,
        tokens=tokens,
    )


def _stage_decode(
    model: ModelShape,
    hw: HardwareShape,
    fabric: Fabric,
    bytes_per_weight: float,
    kv_bytes: float,
    layout: Layout,
    batch: Num,
    context: Num,
) -> StepTime:
    """Decode step of one stage (``model`` already cut to the stage) for ``batch`` sequences."""
    if layout.ep <= 1 or model.experts <= 1:
        hw_tp = with_fabric(hw, fabric, layout.stage_gpus)
        return decode_step(model, hw_tp, bytes_per_weight, kv_bytes, layout.stage_gpus, batch, context)
    return ep_mixed_step(model, hw, fabric, bytes_per_weight, kv_bytes, layout, batch, context, 0.0, 0.0)


def pipeline_send_ms(model: ModelShape, hw: HardwareShape, fabric: Fabric, layout: Layout, tokens: Num) -> Num:
    """Activations of ``tokens`` tokens sent from one stage to the next [ms]: tokens x hidden x 2 B,
    over the network when a stage fills a domain (stages on different servers), else scale-up."""
    if layout.pp <= 1:
        return 0.0 * np.asarray(tokens, dtype=float)
    across = layout.stage_gpus >= fabric.domain_gpus
    bw = np.minimum(hw.interconnect_gb_s, fabric.scaleout_gb_s) if across else hw.interconnect_gb_s
    latency_us = hw.allreduce_latency_us + (SCALEOUT_LATENCY_US if across else 0.0)
    out: Num = latency_us * 1e-3 + np.asarray(tokens, dtype=float) * model.hidden * ACTIVATION_BYTES / (bw * 1e9) * 1e3
    return out


def layout_decode_step(
    model: ModelShape,
    hw: HardwareShape,
    fabric: Fabric,
    bytes_per_weight: float,
    kv_bytes: float,
    layout: Layout,
    batch: Num,
    context: Num,
) -> StepTime:
    """Time between two tokens of every one of ``batch`` sequences of one replica [ms].

    Without PP this is one step of the stage. With PP the batch runs as
    m = min(pp, B) micro-batches: step = max(m x t_stage(B/m), pp x (t_stage + t_send)).
    """
    if layout.pp <= 1:
        return _stage_decode(model, hw, fabric, bytes_per_weight, kv_bytes, layout, batch, context)
    b = np.asarray(batch, dtype=float)
    micro = np.minimum(float(layout.pp), np.maximum(b, 1.0))
    sm = stage_model(model, layout.pp)
    stage = _stage_decode(sm, hw, fabric, bytes_per_weight, kv_bytes, replace(layout, pp=1), b / micro, context)
    send = pipeline_send_ms(model, hw, fabric, layout, b / micro)
    step = np.maximum(micro * stage.step_ms, layout.pp * (stage.step_ms + send))
    return StepTime(
        step_ms=step,
        compute_ms=stage.compute_ms * layout.pp,
        memory_ms=stage.memory_ms * layout.pp,
        overhead_ms=stage.overhead_ms * layout.pp,
        comm_ms=(stage.comm_ms + send) * layout.pp,
        tokens=b,
    )


def layout_prefill_step(
    model: ModelShape,
    hw: HardwareShape,
    fabric: Fabric,
    bytes_per_weight: float,
    layout: Layout,
    batch: Num,
    seq: Num,
) -> StepTime:
    """Prefill of ``batch`` prompts of ``seq`` tokens on one replica (all stages in turn) [ms].

    With PP the prompts pass the stages one after another (latency = sum of the
    stages); ``tokens`` is what the replica processes per step.
    """
    sm = stage_model(model, layout.pp)
    flat = replace(layout, pp=1)
    if layout.ep <= 1 or model.experts <= 1:
        hw_tp = with_fabric(hw, fabric, flat.stage_gpus)
        stage = prefill_step(sm, hw_tp, bytes_per_weight, flat.stage_gpus, batch, seq)
    else:
        # a prompt token attends to half its prompt on average (causal), as perf.timing.prefill_flops
        tokens = np.asarray(batch, dtype=float) * np.asarray(seq, dtype=float)
        half = np.asarray(kv_tokens_effective(sm, seq), dtype=float) / 2.0
        stage = ep_mixed_step(sm, hw, fabric, bytes_per_weight, 1.0, flat, 0.0, 0.0, tokens, half, seq)
    if layout.pp <= 1:
        return stage
    send = pipeline_send_ms(model, hw, fabric, layout, stage.tokens)
    return StepTime(
        step_ms=layout.pp * (stage.step_ms + send),
        compute_ms=stage.compute_ms * layout.pp,
        memory_ms=stage.memory_ms * layout.pp,
        overhead_ms=stage.overhead_ms * layout.pp,
        comm_ms=(stage.comm_ms + send) * layout.pp,
        tokens=stage.tokens,
    )
