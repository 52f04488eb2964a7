"""Serving capacity of one tensor-parallel replica under latency targets.

Continuous batching at a steady batch B: every decode step advances B sequences
by one token, and each new request's prefill is interleaved with the steps.
Per request the replica spends its prefill compute time t_pf plus its share of
decode steps, Lout x t_step(B) / B, so at saturation

    requests/s per replica  X(B) = B / (Lout x t_step(B) + B x t_pf)
    time per output token   TPOT(B) = t_step(B) + B x t_pf / Lout
    time to first token     TTFT ≈ prefill(Lin) + q x t_step(B)   (q: fitted queueing steps)

The chosen batch is the one with the highest X(B) among those that fit in
memory and meet the TPOT and TTFT targets.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace

import numpy as np

from llmtco.perf.memory import MemoryBreakdown, memory_breakdown
from llmtco.perf.power import gpu_power_w
from llmtco.perf.shapes import FloatArray, HardwareShape, ModelShape
from llmtco.perf.timing import StepTime, decode_step, prefill_step

BATCH_GRID = np.array(
    [1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64, 96, 128, 192, 256, 384, 512, 768, 1024, 1536, 2048, 3072, 4096],
    dtype=float,
)
"""Candidate concurrent sequences per replica; the memory limit is added per sample."""


@dataclass(frozen=True)
class ServingPoint:
    """Operating point of one replica of ``tp`` GPUs, per sample (arrays of shape (S,))."""

    tp: int
    feasible: FloatArray
    """1.0 where some batch meets memory and SLO, else 0.0."""
    batch: FloatArray
    requests_per_s: FloatArray
    """Sustainable requests per second per replica at the chosen batch."""
    output_tokens_per_s: FloatArray
    tpot_ms: FloatArray
    ttft_ms: FloatArray
    step_ms: FloatArray
    busy_power_w: FloatArray
    """Power of one GPU while serving at this point [W]."""
    energy_j_per_output_token: FloatArray
    weights_gb: FloatArray
    max_batch_memory: FloatArray
    usable_gb: FloatArray
    prefill_ms: FloatArray
    """Prefill of one request's input on an idle replica [ms]."""


def _column(hw: HardwareShape) -> HardwareShape:
    """Add a trailing axis to array fields so they broadcast against a batch grid."""
    changes = {}
    for f in fields(hw):
        v = getattr(hw, f.name)
        if isinstance(v, np.ndarray):
            changes[f.name] = v[..., None]
    return replace(hw, **changes)


@dataclass(frozen=True)
class _Rates:
    """Per-sample, per-batch quantities of the continuous-batching model, shape (S, B)."""

    step_ms: FloatArray
    compute_share: FloatArray
    requests_per_s: FloatArray
    tpot_ms: FloatArray
    ttft_ms: FloatArray
    prefill_ms: FloatArray
    """Shape (S,): one request's prefill on an idle replica."""


def _rates(
    model: ModelShape,
    hw: HardwareShape,
    bytes_per_weight: float,
    kv_bytes: float,
    tp: int,
    lin: FloatArray,
    lout: FloatArray,
    batches: FloatArray,
) -> _Rates:
    """X(B), TPOT(B) and TTFT(B) of the module docstring for each sample's row of ``batches``."""
    samples = lin.shape[0]
    context_decode = (lin + lout / 2.0)[:, None]
    step: StepTime = decode_step(model, _column(hw), bytes_per_weight, kv_bytes, tp, batches, context_decode)
    step_ms = np.broadcast_to(np.asarray(step.step_ms, dtype=float), batches.shape)
    pf1 = prefill_step(model, hw, bytes_per_weight, tp, 1.0, lin)
    t_pf = np.broadcast_to(np.asarray(pf1.compute_ms + pf1.comm_ms, dtype=float), (samples,))[:, None]
    prefill_ms = np.broadcast_to(np.asarray(pf1.step_ms, dtype=float), (samples,))
    queue = np.broadcast_to(np.asarray(hw.ttft_queue_steps, dtype=float), (samples,))[:, None]
    return _Rates(
        step_ms=step_ms,
        compute_share=np.broadcast_to(np.asarray(step.compute_share, dtype=float), batches.shape),
        requests_per_s=batches / (lout[:, None] * step_ms + batches * t_pf) * 1e3,
        tpot_ms=step_ms + batches * t_pf / lout[:, None],
        ttft_ms=prefill_ms[:, None] + step_ms * queue,
        prefill_ms=prefill_ms,
    )


def _lengths(
    input_tokens: float | FloatArray, output_tokens: float | FloatArray, samples: int
) -> tuple[FloatArray, FloatArray]:
    lin = np.broadcast_to(np.asarray(input_tokens, dtype=float).reshape(-1), (samples,))
    lout = np.maximum(np.broadcast_to(np.asarray(output_tokens, dtype=float).reshape(-1), (samples,)), 1.0)
    return lin, lout


def _point(
    tp: int,
    hw: HardwareShape,
    mem: MemoryBreakdown,
    batches: FloatArray,
    r: _Rates,
    lout: FloatArray,
    idx: np.ndarray,
    feasible: np.ndarray,
    mask: np.ndarray,
) -> ServingPoint:
    """The ServingPoint at column ``idx`` of each sample's row; throughput is zeroed where ``mask`` is False."""
    samples = lout.shape[0]
    rows = np.arange(samples)
    power = np.broadcast_to(np.asarray(gpu_power_w(hw, r.compute_share[rows, idx]), dtype=float), (samples,))
    chosen_rps = r.requests_per_s[rows, idx]
    out_tps = chosen_rps * lout
    return ServingPoint(
        tp=tp,
        feasible=feasible.astype(float),
        batch=batches[rows, idx],
        requests_per_s=np.where(mask, chosen_rps, 0.0),
        output_tokens_per_s=np.where(mask, out_tps, 0.0),
        tpot_ms=r.tpot_ms[rows, idx],
        ttft_ms=r.ttft_ms[rows, idx],
        step_ms=r.step_ms[rows, idx],
        busy_power_w=power,
        energy_j_per_output_token=power * tp / np.maximum(out_tps, 1e-12),
        weights_gb=np.broadcast_to(np.asarray(mem.weights_gb, dtype=float), (samples,)),
        max_batch_memory=np.broadcast_to(np.asarray(mem.max_batch, dtype=float), (samples,)),
        usable_gb=np.broadcast_to(np.asarray(mem.usable_gb, dtype=float), (samples,)),
        prefill_ms=r.prefill_ms,
    )


def serving_point(
    model: ModelShape,
    hw: HardwareShape,
    bytes_per_weight: float,
    kv_bytes: float,
    tp: int,
    input_tokens: float | FloatArray,
    output_tokens: float | FloatArray,
    tpot_target_ms: float | None,
    ttft_target_ms: float | None,
    samples: int,
) -> ServingPoint:
    """Best batch and throughput of one replica for requests of the given mean lengths."""
    lin, lout = _lengths(input_tokens, output_tokens, samples)
    mem: MemoryBreakdown = memory_breakdown(model, hw, bytes_per_weight, kv_bytes, tp, 1.0, lin + lout)
    max_batch = np.broadcast_to(np.asarray(mem.max_batch, dtype=float), (samples,))
    grid = np.broadcast_to(BATCH_GRID, (samples, BATCH_GRID.size))
    grid = np.concatenate([grid, np.minimum(max_batch, BATCH_GRID[-1])[:, None]], axis=1)
    grid = np.maximum(grid, 1.0)
    r = _rates(model, hw, bytes_per_weight, kv_bytes, tp, lin, lout, grid)

    ok = grid <= max_batch[:, None]
    if tpot_target_ms is not None:
        ok &= r.tpot_ms <= tpot_target_ms
    if ttft_target_ms is not None:
        ok &= r.ttft_ms <= ttft_target_ms
    idx = np.argmax(np.where(ok, r.requests_per_s, -1.0), axis=1)
    feasible = ok[np.arange(samples), idx]
    return _point(tp, hw, mem, grid, r, lout, idx, feasible, feasible)


def point_at_batch(
    model: ModelShape,
    hw: HardwareShape,
    bytes_per_weight: float,
    kv_bytes: float,
    tp: int,
    input_tokens: float,
    output_tokens: float,
    batch: float,
) -> ServingPoint:
    """One replica held at ``batch`` concurrent sequences (a measured benchmark's operating point).

    ``feasible`` says whether the memory model fits that batch; the rates are
    reported either way, so a calibration sees what the model predicts there.
    """
    lin, lout = _lengths(input_tokens, output_tokens, 1)
    mem = memory_breakdown(model, hw, bytes_per_weight, kv_bytes, tp, 1.0, lin + lout)
    batches = np.full((1, 1), float(batch))
    r = _rates(model, hw, bytes_per_weight, kv_bytes, tp, lin, lout, batches)
    fits = np.asarray(batch <= np.asarray(mem.max_batch, dtype=float)).reshape(1)
    return _point(tp, hw, mem, batches, r, lout, np.zeros(1, dtype=int), fits, np.ones(1, dtype=bool))
