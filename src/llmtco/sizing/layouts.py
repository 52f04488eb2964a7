"""The parallel layouts an engine offers for a model on a server type, and the cheapest under the SLO.

Layouts (``candidate_layouts``), as vLLM, SGLang and TensorRT-LLM offer them:

- TP t inside the scale-up domain (t <= domain GPUs, t <= attention heads);
  on a 72-GPU NVL72 rack that includes multi-node TP 16/32/64, never TP over
  the scale-out network;
- for MoE models, EP g with attention either DP over the g GPUs (tp = 1,
  "DP attention") or TP-split over them (tp = g, "TP attention + EP MoE"),
  g from 4 up to ``max_gpus`` (wide EP across servers runs its all-to-all over
  the network);
- PP 2 or 4 stages across servers, each stage a full-domain TP group, for
  models that need more than one domain.

The plan (``engine.serve``) serves each layout through the serving layer itself:
``sizing.serving.serving_point(..., replica=perf.replica.LayoutReplica(layout, fabric))``
(chunked prefill mixed into the step, engine time per step and per sequence of
each DP rank, TTFT queueing), the same path as plain TP. ``layout_curve`` below,
which the decode pool of ``sizing.disaggregated`` uses when no engine factors
are given, is the older continuous-batching approximation over the step physics
of ``perf.parallel`` (no engine time):

    X(B) = B / (Lout x t_step(B) + B x t_pf)      requests/s per replica
    TPOT(B) = t_step(B) + B x t_pf / Lout         ms per output token
    TTFT(B) = t_prefill(Lin) + q x t_step(B)

where it fits memory (``fits``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from llmtco.perf.parallel import Fabric, Layout, layout_decode_step, layout_memory, layout_prefill_step
from llmtco.perf.shapes import FloatArray, HardwareShape, ModelShape

BATCH_GRID = np.array(
    [1, 2, 4, 8, 16, 32, 48, 64, 96, 128, 192, 256, 384, 512, 768, 1024, 1536, 2048, 3072, 4096, 6144, 8192,
     12288, 16384, 24576, 32768],
    dtype=float,
)  # fmt: skip
"""Candidate concurrent sequences per replica (a wide-EP replica of 72 GPUs runs tens of thousands)."""

TP_DEGREES = (1, 2, 4, 8, 16, 32, 64)
EP_DEGREES = (4, 8, 16, 32, 64, 72, 128, 144)
PP_DEGREES = (2, 4)


def candidate_layouts(model: ModelShape, domain_gpus: int, max_gpus: int) -> list[Layout]:
    """Every layout of the module docstring for ``model`` with at most ``max_gpus`` GPUs per replica."""
    out: list[Layout] = []
    tps = [t for t in TP_DEGREES if t <= domain_gpus and t <= model.heads and t <= max_gpus]
    out += [Layout(tp=t) for t in tps]
    if model.experts > 1:
        for g in EP_DEGREES:
            if g <= max_gpus and g <= model.experts:
                out.append(Layout(tp=1, ep=g))
                if g <= domain_gpus and g <= model.heads:
                    out.append(Layout(tp=g, ep=g))
    stage = max(tps) if tps else 1
    out += [Layout(tp=stage, pp=p) for p in PP_DEGREES if stage * p <= max_gpus and p <= model.layers]
    return out


@dataclass(frozen=True)
class LayoutCurve:
    """One layout at every batch of the grid, for the first sample (arrays over the batch grid)."""

    layout: Layout
    batch: FloatArray
    fits: FloatArray
    """1.0 where the batch's KV cache fits beside the weights."""
    requests_per_s: FloatArray
    """Requests per second one replica sustains [1/s]."""
    output_tokens_per_s_per_gpu: FloatArray
    tokens_per_s_per_user: FloatArray
    """1000 / TPOT [tokens/s]."""
    tpot_ms: FloatArray
    ttft_ms: FloatArray
    step_ms: FloatArray
    comm_share: FloatArray
    """Share of the decode step spent in collectives (0..1)."""
    weights_gb_per_gpu: float
    max_batch: float


def _f(x: object) -> float:
    return float(np.asarray(x, dtype=float).reshape(-1)[0])


def layout_curve(
    model: ModelShape,
    hw: HardwareShape,
    fabric: Fabric,
    bytes_per_weight: float,
    kv_bytes: float,
    layout: Layout,
    input_tokens: float,
    output_tokens: float,
    batches: FloatArray | None = None,
) -> LayoutCurve:
    """X(B), TPOT(B), TTFT(B) of the module docstring over ``batches`` (default: the grid plus the memory limit).

    ``hw`` fields are scalars or one-element arrays (one sample).
    """
    lout = max(float(output_tokens), 1.0)
    mem = layout_memory(model, hw, bytes_per_weight, kv_bytes, layout, input_tokens + lout)
    max_batch = _f(mem.max_batch)
    if batches is None:
        top = max(max_batch, 1.0)
        grid = BATCH_GRID[top >= BATCH_GRID]
        batches = np.unique(np.concatenate([grid, [top]]))
    b = np.asarray(batches, dtype=float)
    step = layout_decode_step(model, hw, fabric, bytes_per_weight, kv_bytes, layout, b, input_tokens + lout / 2.0)
    step_ms = np.broadcast_to(np.asarray(step.step_ms, dtype=float), b.shape)
    comm = np.broadcast_to(np.asarray(step.comm_ms, dtype=float), b.shape)
    # a prefill occupies one DP rank per prompt, all ranks at once; PP stages work on different prompts
    pf = layout_prefill_step(model, hw, fabric, bytes_per_weight, layout, float(layout.dp), input_tokens)
    t_pf = (_f(pf.compute_ms) + _f(pf.comm_ms)) / layout.dp / layout.pp
    prefill_ms = _f(pf.step_ms)
    rps = b / (lout * step_ms + b * t_pf) * 1e3
    tpot = step_ms + b * t_pf / lout
    ttft = prefill_ms + step_ms * _f(hw.ttft_queue_steps)
    return LayoutCurve(
        layout=layout,
        batch=b,
        fits=(b <= max_batch).astype(float),
        requests_per_s=rps,
        output_tokens_per_s_per_gpu=rps * lout / layout.gpus,
        tokens_per_s_per_user=1e3 / tpot,
        tpot_ms=tpot,
        ttft_ms=ttft,
        step_ms=step_ms,
        comm_share=comm / np.maximum(step_ms, 1e-12),
        weights_gb_per_gpu=mem.weights_gb,
        max_batch=max_batch,
    )
