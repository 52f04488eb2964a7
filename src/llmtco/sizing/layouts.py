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
which ``perf frontier``, ``perf moe-check`` and the decode pool of
``sizing.disaggregated`` still use, is the older continuous-batching
approximation over the step physics of ``perf.parallel`` (no engine time):

    X(B) = B / (Lout x t_step(B) + B x t_pf)      requests/s per replica
    TPOT(B) = t_step(B) + B x t_pf / Lout         ms per output token
    TTFT(B) = t_prefill(Lin) + q x t_step(B)

and its best batch is the largest X(B) that fits memory and meets the SLO.
Between layouts the pick is the lowest cost per output token,
price [USD/GPU-h] / (output tokens/s per GPU x 3600): with one price per GPU
type that is the highest tokens/s per GPU; ties go to fewer GPUs.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace

import numpy as np

from llmtco.perf.parallel import Fabric, Layout, layout_decode_step, layout_memory, layout_prefill_step
from llmtco.perf.power import gpu_power_w
from llmtco.perf.shapes import FloatArray, HardwareShape, ModelShape
from llmtco.sizing.serving import ServingPoint

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


@dataclass(frozen=True)
class LayoutPoint:
    """A layout at its best batch under the SLO."""

    layout: Layout
    feasible: bool
    batch: float
    requests_per_s: float
    output_tokens_per_s_per_gpu: float
    tokens_per_s_per_user: float
    tpot_ms: float
    ttft_ms: float
    step_ms: float
    comm_share: float
    weights_gb_per_gpu: float
    max_batch: float
    """Largest batch the memory holds [sequences per replica]."""

    @property
    def gpus(self) -> int:
        return self.layout.gpus

    def cost_usd_per_mtok(self, price_usd_per_gpu_h: float) -> float:
        """Hardware cost of a million output tokens at this point [USD/Mtok] (inf when infeasible)."""
        if not self.feasible or self.output_tokens_per_s_per_gpu <= 0:
            return float("inf")
        return price_usd_per_gpu_h / (self.output_tokens_per_s_per_gpu * 3600.0) * 1e6


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


def best_point(curve: LayoutCurve, tpot_target_ms: float | None, ttft_target_ms: float | None) -> LayoutPoint:
    """The batch with the most requests/s that fits and meets the targets (infeasible: the lowest TPOT)."""
    ok = curve.fits > 0
    if tpot_target_ms is not None:
        ok &= curve.tpot_ms <= tpot_target_ms
    if ttft_target_ms is not None:
        ok &= curve.ttft_ms <= ttft_target_ms
    feasible = bool(ok.any())
    i = int(np.argmax(np.where(ok, curve.requests_per_s, -1.0))) if feasible else int(np.argmin(curve.tpot_ms))
    return LayoutPoint(
        layout=curve.layout,
        feasible=feasible,
        batch=float(curve.batch[i]),
        requests_per_s=float(curve.requests_per_s[i]),
        output_tokens_per_s_per_gpu=float(curve.output_tokens_per_s_per_gpu[i]),
        tokens_per_s_per_user=float(curve.tokens_per_s_per_user[i]),
        tpot_ms=float(curve.tpot_ms[i]),
        ttft_ms=float(curve.ttft_ms[i]),
        step_ms=float(curve.step_ms[i]),
        comm_share=float(curve.comm_share[i]),
        weights_gb_per_gpu=curve.weights_gb_per_gpu,
        max_batch=curve.max_batch,
    )


def search_layouts(
    model: ModelShape,
    hw: HardwareShape,
    fabric: Fabric,
    bytes_per_weight: float,
    kv_bytes: float,
    input_tokens: float,
    output_tokens: float,
    tpot_target_ms: float | None,
    ttft_target_ms: float | None,
    max_gpus: int,
    layouts: list[Layout] | None = None,
) -> list[LayoutPoint]:
    """Each candidate layout at its best batch under the SLO (infeasible ones included, flagged)."""
    cands = layouts if layouts is not None else candidate_layouts(model, fabric.domain_gpus, max_gpus)
    return [
        best_point(
            layout_curve(model, hw, fabric, bytes_per_weight, kv_bytes, lay, input_tokens, output_tokens),
            tpot_target_ms,
            ttft_target_ms,
        )
        for lay in cands
    ]


def pick_layout(points: list[LayoutPoint], price_usd_per_gpu_h: float = 1.0) -> LayoutPoint | None:
    """The feasible point with the lowest cost per output token; ties go to fewer GPUs (None if none)."""
    feasible = [p for p in points if p.feasible and p.output_tokens_per_s_per_gpu > 0]
    if not feasible:
        return None
    return min(feasible, key=lambda p: (round(p.cost_usd_per_mtok(price_usd_per_gpu_h), 9), p.gpus))


def _column(hw: HardwareShape) -> HardwareShape:
    """Array fields with a trailing axis, to broadcast per sample against a batch grid."""
    changes = {
        f.name: getattr(hw, f.name)[..., None] for f in fields(hw) if isinstance(getattr(hw, f.name), np.ndarray)
    }
    return replace(hw, **changes)


def layout_serving_point(
    model: ModelShape,
    hw: HardwareShape,
    fabric: Fabric,
    bytes_per_weight: float,
    kv_bytes: float,
    layout: Layout,
    input_tokens: float | FloatArray,
    output_tokens: float | FloatArray,
    tpot_target_ms: float | None,
    ttft_target_ms: float | None,
    samples: int,
) -> ServingPoint:
    """``sizing.serving.ServingPoint`` of one replica under ``layout``, per sample (its ``tp`` is the
    replica's GPU count), with the best batch per sample as ``serving_point`` picks it."""
    lin = np.broadcast_to(np.asarray(input_tokens, dtype=float).reshape(-1), (samples,))
    lout = np.maximum(np.broadcast_to(np.asarray(output_tokens, dtype=float).reshape(-1), (samples,)), 1.0)
    mem = layout_memory(model, hw, bytes_per_weight, kv_bytes, layout, lin + lout)
    max_batch = np.broadcast_to(np.asarray(mem.max_batch, dtype=float), (samples,))
    grid = np.broadcast_to(BATCH_GRID, (samples, BATCH_GRID.size))
    grid = np.maximum(np.concatenate([grid, np.minimum(max_batch, BATCH_GRID[-1])[:, None]], axis=1), 1.0)
    hwc = _column(hw)
    step = layout_decode_step(model, hwc, fabric, bytes_per_weight, kv_bytes, layout, grid, (lin + lout / 2)[:, None])
    step_ms = np.broadcast_to(np.asarray(step.step_ms, dtype=float), grid.shape)
    share = np.broadcast_to(np.minimum(1.0, np.asarray(step.compute_ms, dtype=float) / step_ms), grid.shape)
    pf = layout_prefill_step(model, hw, fabric, bytes_per_weight, layout, float(layout.dp), lin)
    t_pf = np.broadcast_to((pf.compute_ms + pf.comm_ms) / layout.dp / layout.pp, (samples,))[:, None]
    prefill_ms = np.broadcast_to(np.asarray(pf.step_ms, dtype=float), (samples,))
    queue = np.broadcast_to(np.asarray(hw.ttft_queue_steps, dtype=float), (samples,))[:, None]
    rps = grid / (lout[:, None] * step_ms + grid * t_pf) * 1e3
    tpot = step_ms + grid * t_pf / lout[:, None]
    ttft = prefill_ms[:, None] + step_ms * queue
    ok = grid <= max_batch[:, None]
    if tpot_target_ms is not None:
        ok &= tpot <= tpot_target_ms
    if ttft_target_ms is not None:
        ok &= ttft <= ttft_target_ms
    rows = np.arange(samples)
    idx = np.argmax(np.where(ok, rps, -1.0), axis=1)
    feasible = ok[rows, idx]
    power = np.broadcast_to(np.asarray(gpu_power_w(hw, share[rows, idx]), dtype=float), (samples,))
    out_tps = np.where(feasible, rps[rows, idx] * lout, 0.0)
    return ServingPoint(
        tp=layout.gpus,
        feasible=feasible.astype(float),
        batch=grid[rows, idx],
        requests_per_s=np.where(feasible, rps[rows, idx], 0.0),
        output_tokens_per_s=out_tps,
        tpot_ms=tpot[rows, idx],
        ttft_ms=ttft[rows, idx],
        step_ms=step_ms[rows, idx],
        busy_power_w=power,
        energy_j_per_output_token=power * layout.gpus / np.maximum(out_tps, 1e-12),
        weights_gb=np.full(samples, mem.weights_gb),
        max_batch_memory=max_batch.copy(),
        usable_gb=np.broadcast_to(np.asarray(mem.usable_gb, dtype=float), (samples,)).copy(),
        prefill_ms=prefill_ms.copy(),
    )
