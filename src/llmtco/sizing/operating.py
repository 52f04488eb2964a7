"""The operating point of one replica at a load: an offered request rate (open loop) or a fixed number of
concurrent clients (closed loop), on the serving layer of ``sizing.serving``.

``sizing.serving.serving_point`` answers what a replica can sustain (its best batch, at saturation or
under an SLO); a benchmark run at ``--request-rate R`` or ``--max-concurrency C`` measures a lighter
point, where TPOT and TTFT are far lower. With X(B) = B / (E[Lout] x t(B)) the requests/s the serving
layer sustains at B running sequences (t(B): its step time) and B_max the batch bound (KV capacity,
``max_num_seqs``):

Open loop, offered rate lambda [requests/s] (Poisson unless ``Load.arrival_cv2`` says otherwise):

    capacity       X_max = max over B <= B_max of X(B)
    batch          B = max(1, lambda x E[Lout] x t(B))     (Little's law over the running sequences;
                   solved on a geometric grid of B between 1 and B_max, every figure linear between
                   the two grid points around B; a lone request still runs at batch 1)
    TPOT           t(B);   throughput = lambda;   utilisation = lambda / X_max
    TTFT           queueing wait (Kingman, arrivals at lambda) + prefill at that load
                   (``sizing.serving``'s TTFT with the arrival rate given instead of utilisation x X(B))
    saturated      lambda >= X_max: the queue grows without bound; the point reports the capacity
                   (B = B_max, throughput X_max, TPOT t(B_max)) and TTFT = inf

Closed loop, C clients, each sending its next request when the last one finished:

    running        B = min(C, B_max); the other C - B wait for a free slot
    TPOT           t(B);   TTFT_0 = prefill at that load, prompts arriving at X (their queueing wait for the
                   prefill budget included: the fixed point in X, the prompts a request finds ahead
                   arriving at X (B - 1) / B, the arrival theorem in Schweitzer's form; X held below
                   0.95 / E[S], a closed loop cannot overload the prefill server)
    throughput     X = B / (TTFT_0 + E[Lout] x t(B))          (each slot turns over once per request)
    TTFT           TTFT_0 + (C - B) / X                       (Little's law over the waiting clients:
                                                              the slot wait is a mean at every percentile)
                   so that X = C / (TTFT + E[Lout] x TPOT), the closed-loop identity

Limits (tested): lambda -> 0 and C = 1 give the batch-1 figures of ``serving.point_at_batch`` with no
queueing wait; lambda -> X_max gives B -> B_max; B, TPOT and TTFT rise with lambda and with C.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from llmtco.perf.memory import MemoryBreakdown
from llmtco.perf.parallel import LayoutMemory
from llmtco.perf.power import gpu_power_w
from llmtco.perf.replica import LayoutReplica
from llmtco.perf.shapes import FloatArray, HardwareShape, ModelShape
from llmtco.sizing.serving import (
    BATCH_GRID,
    EngineShape,
    Load,
    _default_engine,
    _lengths,
    _memory,
    _rates,
    engine_batch_cap,
)

GRID_POINTS = 48
"""Geometric grid points between batch 1 and the batch bound on which the open-loop batch is solved."""
CLOSED_LOOP_GRID = 12
"""Prompt rates, from 0 to the wait-free one, on which a closed loop's fixed point is solved."""
PREFILL_RHO_MAX = 0.95
"""Highest utilisation of the prefill server a closed loop's prompt rate is taken at."""


@dataclass(frozen=True)
class OperatingPoint:
    """One replica of ``tp`` GPUs at a load, per sample (arrays of shape (S,))."""

    tp: int
    mode: str
    """``rate`` (open loop at an offered request rate) or ``concurrency`` (closed loop, fixed clients)."""
    offered: FloatArray
    """The load: offered requests/s (rate) or concurrent clients (concurrency)."""
    batch: FloatArray
    """Sequences running in the replica at this load (time average) [1]."""
    requests_per_s: FloatArray
    """Requests completed per second: the offered rate below capacity, the capacity above it."""
    output_tokens_per_s: FloatArray
    """Output tokens per second of the replica [tokens/s]."""
    tpot_ms: FloatArray
    """Time per output token: the engine step at this batch [ms]."""
    ttft_ms: FloatArray
    """TTFT at the load's percentile (``Load.percentile``) [ms]; inf for an open loop above capacity."""
    queue_wait_ms: FloatArray
    """The queueing part of TTFT: prompts waiting for the prefill budget, and in a closed loop also clients
    waiting for a free slot [ms]."""
    step_ms: FloatArray
    """Engine step time: kernel step / mixed-step efficiency + host time [ms]."""
    capacity_rps: FloatArray
    """Highest requests/s the replica sustains within its batch bound [requests/s]."""
    batch_bound: FloatArray
    """Batch bound: KV capacity, ``Load.max_batch`` (max_num_seqs) and the grid's largest batch [1]."""
    utilisation: FloatArray
    """Completed requests/s / capacity [1]."""
    saturated: FloatArray
    """1.0 where the offered rate is at or above capacity (open loop) or the clients exceed the batch
    bound (closed loop), else 0.0."""
    busy_power_w: FloatArray
    """Power of one GPU at this point [W]."""
    energy_j_per_output_token: FloatArray
    """Energy of the replica's GPUs per output token at this point [J]."""
    max_batch_memory: FloatArray
    """Sequences the KV cache holds at the time-weighted context [1]."""


def _bound(mem: MemoryBreakdown | LayoutMemory, load: Load, samples: int, ranks: int, eng: EngineShape) -> FloatArray:
    memory = np.broadcast_to(np.asarray(mem.max_batch, dtype=float), (samples,))
    top = engine_batch_cap(eng, load, BATCH_GRID[-1] * ranks, ranks)
    return np.asarray(np.maximum(np.minimum(memory, top), 1.0), dtype=float)


class _Replica(NamedTuple):
    """What both loads start from: the engine, the load, the lengths and the memory bound, on one sample axis."""

    eng: EngineShape
    load: Load
    tp: int
    offered: FloatArray
    """The rate [requests/s] or the clients [1], broadcast to the samples."""
    lin: FloatArray
    lout: FloatArray
    mem: MemoryBreakdown | LayoutMemory
    bound: FloatArray
    """Largest batch the memory and ``max_num_seqs`` allow [sequences]."""


def _replica(
    model: ModelShape,
    hw: HardwareShape,
    bytes_per_weight: float,
    kv_bytes: float,
    tp: int,
    input_tokens: float | FloatArray,
    output_tokens: float | FloatArray,
    offered: FloatArray,
    eng: EngineShape | None,
    load: Load | None,
    replica: LayoutReplica | None,
) -> _Replica:
    eng = eng or _default_engine(hw)
    load = load or Load()
    tp = replica.gpus if replica is not None else tp
    offered = np.atleast_1d(offered)
    samples = max(offered.size, np.size(input_tokens), np.size(output_tokens))
    offered = np.broadcast_to(offered.reshape(-1), (samples,))
    lin, lout = _lengths(input_tokens, output_tokens, samples)
    mem = _memory(model, hw, load, bytes_per_weight, kv_bytes, tp, lin, lout, replica)
    bound = _bound(mem, load, samples, replica.ranks if replica is not None else 1, eng)
    return _Replica(eng, load, tp, offered, lin, lout, mem, bound)


def _first_crossing(excess: FloatArray) -> tuple[Callable[[FloatArray], FloatArray], FloatArray]:
    """Where each row of ``excess`` (falling along its grid) first reaches 0: a function giving any field of
    the same grid there, linear between the two grid points around the crossing (exact at grid points), and
    the rows that never reach it (their field is taken at the grid's last point)."""
    carried = excess <= 0.0
    never = ~np.any(carried, axis=1)
    i = np.where(never, excess.shape[1] - 1, np.argmax(carried, axis=1))
    rows = np.arange(excess.shape[0])
    lo, hi = np.maximum(i - 1, 0), i
    e_lo, e_hi = excess[rows, lo], excess[rows, hi]
    frac = np.where((i > 0) & ~never, e_lo / np.maximum(e_lo - e_hi, 1e-300), 1.0)

    def at(field: FloatArray) -> FloatArray:
        a, b = field[rows, lo], field[rows, hi]
        with np.errstate(invalid="ignore"):
            mid = a + frac * (b - a)
        return np.asarray(np.where(frac >= 1.0, b, np.where(frac <= 0.0, a, mid)), dtype=float)

    return at, never


def at_rate(
    model: ModelShape,
    hw: HardwareShape,
    bytes_per_weight: float,
    kv_bytes: float,
    tp: int,
    input_tokens: float | FloatArray,
    output_tokens: float | FloatArray,
    rate_rps: float | FloatArray,
    eng: EngineShape | None = None,
    load: Load | None = None,
    replica: LayoutReplica | None = None,
) -> OperatingPoint:
    """One replica fed requests at ``rate_rps`` [requests/s] (open loop; the module docstring)."""
    rate_in = np.asarray(rate_rps, dtype=float)
    eng, load, tp, rate, lin, lout, mem, bound = _replica(
        model, hw, bytes_per_weight, kv_bytes, tp, input_tokens, output_tokens, rate_in, eng, load, replica
    )
    samples = rate.size
    grid = bound[:, None] ** np.linspace(0.0, 1.0, GRID_POINTS)[None, :]
    # one pass over the grid with the prompts arriving at the offered rate; the point between two grid
    # points is interpolated linearly (exact at the grid points: batch 1 and the batch bound)
    g = _rates(model, hw, eng, load, bytes_per_weight, kv_bytes, tp, lin, lout, grid, replica, rate)
    capacity = np.max(g.requests_per_s, axis=1)
    # excess(B) = lambda x E[Lout] x t(B) - B: positive while B running sequences cannot carry the rate
    at, saturated = _first_crossing(rate[:, None] * lout[:, None] * g.step_ms / 1e3 - g.batch)
    served = np.where(saturated, capacity, rate)
    tps = served * lout
    power = np.asarray(gpu_power_w(hw, at(g.compute_share)), dtype=float) * np.ones(samples)
    return OperatingPoint(
        tp=tp,
        mode="rate",
        offered=np.asarray(rate, dtype=float),
        batch=at(g.batch),
        requests_per_s=served,
        output_tokens_per_s=tps,
        tpot_ms=at(g.tpot_ms),
        ttft_ms=np.where(saturated, np.inf, at(g.ttft_ms)),
        queue_wait_ms=np.where(saturated, np.inf, at(g.queue_ms)),
        step_ms=at(g.step_ms),
        capacity_rps=capacity,
        batch_bound=bound,
        utilisation=served / np.maximum(capacity, 1e-300),
        saturated=saturated.astype(float),
        busy_power_w=power,
        energy_j_per_output_token=power * tp / np.maximum(tps, 1e-12),
        max_batch_memory=np.broadcast_to(np.asarray(mem.max_batch, dtype=float), (samples,)),
    )


def at_concurrency(
    model: ModelShape,
    hw: HardwareShape,
    bytes_per_weight: float,
    kv_bytes: float,
    tp: int,
    input_tokens: float | FloatArray,
    output_tokens: float | FloatArray,
    concurrency: float | FloatArray,
    eng: EngineShape | None = None,
    load: Load | None = None,
    replica: LayoutReplica | None = None,
) -> OperatingPoint:
    """One replica serving ``concurrency`` clients in a closed loop (the module docstring)."""
    clients_in = np.maximum(np.asarray(concurrency, dtype=float), 1.0)
    eng, load, tp, clients, lin, lout, mem, bound = _replica(
        model, hw, bytes_per_weight, kv_bytes, tp, input_tokens, output_tokens, clients_in, eng, load, replica
    )
    samples = clients.size
    running = np.minimum(clients, bound)
    zero = np.zeros(samples)
    # column 0: the clients' batch; column 1: the batch bound, for the capacity
    cols = np.stack([running, bound], axis=1)
    r = _rates(model, hw, eng, load, bytes_per_weight, kv_bytes, tp, lin, lout, cols, replica, zero)
    ttft0, tpot, batch = r.ttft_ms[:, 0], r.tpot_ms[:, 0], r.batch[:, 0]
    rps = batch / (ttft0 + lout * tpot) * 1e3
    # the running clients' prompts queue for the prefill budget at the rate X they complete: the fixed point
    # X = B / (TTFT(X) + E[Lout] x t(B)) on a grid of rates up to the wait-free rate, held below the prefill
    # server's capacity (a closed loop cannot overload it), linear between the two grid points around it
    top = PREFILL_RHO_MAX / np.maximum(r.prefill_work_ms[:, 0], 1e-12) * 1e3
    x_max = np.minimum(rps, top)
    rates = x_max[:, None] * np.linspace(0.0, 1.0, CLOSED_LOOP_GRID)[None, :]
    runs = np.repeat(running[:, None], CLOSED_LOOP_GRID, axis=1)
    # a prompt queues behind the other B - 1 clients' prompts only (the arrival theorem, Schweitzer's form)
    others = rates * ((running - 1.0) / running)[:, None]
    g = _rates(model, hw, eng, load, bytes_per_weight, kv_bytes, tp, lin, lout, runs, replica, others)
    at, _ = _first_crossing(batch[:, None] / (g.ttft_ms + lout[:, None] * tpot[:, None]) * 1e3 - rates)
    ttft0, prompt_wait = at(g.ttft_ms), at(g.queue_ms)
    rps = batch / (ttft0 + lout * tpot) * 1e3
    wait = (clients - batch) / rps * 1e3
    capacity = np.maximum(r.requests_per_s[:, 1], rps)
    tps = rps * lout
    power = np.asarray(gpu_power_w(hw, r.compute_share[:, 0]), dtype=float) * np.ones(samples)
    return OperatingPoint(
        tp=tp,
        mode="concurrency",
        offered=np.asarray(clients, dtype=float),
        batch=batch,
        requests_per_s=rps,
        output_tokens_per_s=tps,
        tpot_ms=tpot,
        ttft_ms=ttft0 + wait,
        queue_wait_ms=prompt_wait + wait,
        step_ms=r.step_ms[:, 0],
        capacity_rps=capacity,
        batch_bound=bound,
        utilisation=rps / np.maximum(capacity, 1e-300),
        saturated=(clients > bound).astype(float),
        busy_power_w=power,
        energy_j_per_output_token=power * tp / np.maximum(tps, 1e-12),
        max_batch_memory=np.broadcast_to(np.asarray(mem.max_batch, dtype=float), (samples,)),
    )


LIMIT_GRID = np.linspace(0.01, 0.999, 80)
"""Offered rates, as shares of the replica's capacity, on which ``rate_within_limits`` searches (the crossing
is interpolated between the two grid points around it)."""


def rate_within_limits(
    model: ModelShape,
    hw: HardwareShape,
    bytes_per_weight: float,
    kv_bytes: float,
    tp: int,
    input_tokens: float,
    output_tokens: float,
    ttft_limit_ms: float,
    tpot_limit_ms: float,
    eng: EngineShape | None = None,
    load: Load | None = None,
    tpot_tail: float = 1.0,
) -> float:
    """The highest offered rate [requests/s] at which one replica's TTFT at ``load.percentile`` stays within
    ``ttft_limit_ms`` and ``tpot_tail`` x its TPOT (the mean step time) within ``tpot_limit_ms``: an MLPerf
    Server run's capacity, whose submitter raises the rate until one p99 limit binds.

    Each limit's crossing is interpolated on ``LIMIT_GRID`` x capacity, so the rate moves smoothly with the
    model's factors; the grid's top where neither limit binds, its bottom where the lightest load breaks one.
    """
    args = (model, hw, bytes_per_weight, kv_bytes, tp, input_tokens, output_tokens)
    capacity = float(at_rate(*args, 1e-6, eng, load).capacity_rps[0])
    rates = capacity * LIMIT_GRID
    grid = at_rate(*args, rates, eng, load)
    return min(
        _crossing(rates, np.asarray(grid.ttft_ms), ttft_limit_ms),
        _crossing(rates, tpot_tail * np.asarray(grid.tpot_ms), tpot_limit_ms),
    )


def _crossing(rates: FloatArray, values: FloatArray, limit: float) -> float:
    """The rate at which ``values`` (rising with the rate) reach ``limit``, linear between grid points."""
    over = ~(values <= limit)  # inf and nan count as over
    if not over.any():
        return float(rates[-1])
    i = int(np.argmax(over))
    if i == 0:
        return float(rates[0])
    v0, v1 = values[i - 1], values[i]
    frac = (limit - v0) / (v1 - v0) if np.isfinite(v1) and v1 > v0 else 0.0
    return float(rates[i - 1] + frac * (rates[i] - rates[i - 1]))
