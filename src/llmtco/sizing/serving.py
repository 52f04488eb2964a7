"""Serving dynamics of one tensor-parallel replica: the *serving layer* over the step layer.

Continuous batching with chunked prefill, at a steady number B of running
sequences (lengths are distributions; ``llmtco.sizing.lengths``):

    completions per step       B / E[Lout]                       (Little's law)
    prompt tokens per step     p = B x E[Lin_new] / E[Lout]      (Lin_new: after prefix-cache hits)
    token budget               B + p <= C  =>  B <= C / (1 + E[Lin_new] / E[Lout])
    step time                  t(B) = t_kernel(B decode + p prompt tokens) / eta_mix
                                      + t_sched + B x t_seq
    output tokens/s            B / t(B);  requests/s  X(B) = B / (E[Lout] x t(B))
    time per output token      TPOT(B) = t(B)

t_kernel is ``perf.timing.mixed_step`` at the time-weighted decode context
E[Lin] + E[Lout^2] / (2 E[Lout]); eta_mix (mixed-step efficiency), t_sched
(scheduler and sampling per step), t_seq (host time per running sequence), the
TTFT scheduling delay and the stack's prompt FLOP/s over the step layer's
(``engine_hardware``) are the engine's fitted factors (``EngineShape``).

TTFT under load: prompts queue for the prefill share of the token budget, a
G/G/1 server (Kingman; Pollaczek-Khinchine for Poisson arrivals) fed at
lambda = utilisation x X(B):

    work          S(L) = L_new x (t_dec(B) / (C - B) + tau_pf)
                  (its share of the free budget of a decode step t_dec, and tau_pf, the time each of its
                  tokens adds to the step that carries it: kernel(B, chunk) - kernel(B, 0) over the chunk)
    rho           lambda x E[S];  mean wait  Wq = rho / (1 - rho) x (ca^2 + cs^2) / 2 x E[S]
                  (ca^2: arrivals' squared CV, 1 for Poisson; cs^2 = E[S^2] / E[S]^2 - 1)
    percentile    W_q = (Wq / rho) x ln(rho / (1 - q))  for q > 1 - rho, else 0
                  (waiting time P(W > 0) = rho, exponential tail: Kingman)
    TTFT_q        W_q + max(1, L_q,new / (C - B)) x t(B) + t_pf,compute(L_q,new) / eta_mix
                  + (d + (k - 1) / 2 x min(1, B - 1)) x t(B)
                  (its own chunks take whole steps, lengthened by its own prompt FLOPs;
                  d: scheduling delay, fitted steps; k: decode steps between the scheduler's polls
                  for new requests, 1 unless a run sets it)

The chosen batch has the highest X(B) among those that fit in memory (KV at
the time-weighted context), respect a fixed ``max_batch`` and meet the TPOT
and TTFT targets.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import Any

import numpy as np

from llmtco.perf.memory import MemoryBreakdown, memory_breakdown
from llmtco.perf.parallel import LayoutMemory
from llmtco.perf.power import gpu_power_w
from llmtco.perf.replica import LayoutReplica
from llmtco.perf.shapes import FloatArray, HardwareShape, ModelShape, Num
from llmtco.perf.timing import mixed_step, prefill_step
from llmtco.sizing.lengths import FIXED, LengthSpread

BATCH_GRID = np.array(
    [1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64, 96, 128, 192, 256, 384, 512, 768, 1024, 1536, 2048, 3072, 4096],
    dtype=float,
)
"""Candidate concurrent sequences per replica; the memory limit is added per sample."""

QUANTILE = {"mean": 0.5, "p50": 0.5, "p90": 0.9, "p99": 0.99}

CHUNK_TOKENS: dict[str, float] = {"vllm": 8192.0, "sglang": 8192.0, "trtllm": 8192.0, "generic": 8192.0}
"""Per-step token budget by engine (estimate: 8192 is the documented order of the defaults of vLLM V1
``max_num_batched_tokens`` for the OpenAI server, SGLang ``chunked_prefill_size`` and TensorRT-LLM
``max_num_tokens``; versions differ, a benchmark's own setting wins)."""


@dataclass(frozen=True)
class EngineShape:
    """Serving behaviour of one engine on one accelerator: the serving layer's factors."""

    name: str = "generic"
    scheduler_ms_per_step: Num = 0.0
    """Host time per step outside the GPU kernels: scheduling, sampling launch [ms]."""
    per_sequence_us: Num = 10.0
    """Host time per running sequence per step: sampling, detokenising, bookkeeping [us]."""
    mixed_step_efficiency: Num = 1.0
    """Kernel-level step time / achieved step time when prefill chunks mix with decode (0..1]."""
    chunk_tokens: float = 8192.0
    """Token budget per step (vLLM max_num_batched_tokens, SGLang chunked_prefill_size, TRT-LLM max_num_tokens)."""
    ttft_queue_steps: Num = 1.0
    """Steps between a prompt's last prefill chunk and its first token reaching the client [steps]."""
    poll_steps: float = 1.0
    """Decode steps between the scheduler's polls for new requests (SGLang ``--scheduler-recv-interval``,
    ``--num-continuous-decode-steps``): a prompt that arrives while the engine decodes waits (k - 1) / 2
    steps on average for the next poll [steps]."""
    prefill_efficiency: Num = 1.0
    """The stack's prompt FLOP/s over the step layer's prefill compute efficiency [1] (``engine_hardware``)."""
    moe_half_tokens: Num = 0.0
    """MoE models: tokens per routed expert at which a chunk's expert GEMMs reach half their FLOP/s."""
    max_num_seqs: float | None = None
    """The engine's default cap on running sequences per scheduler (vLLM ``max_num_seqs``); None: memory only."""


@dataclass(frozen=True)
class Load:
    """How requests arrive at a replica."""

    input_spread: LengthSpread = FIXED
    output_spread: LengthSpread = FIXED
    utilisation: float = 0.7
    """Arrival rate / capacity at the chosen batch, for TTFT queueing [1]."""
    percentile: str = "p50"
    """TTFT statistic the result (and a TTFT target) refers to: p50, p90, p99, or mean."""
    prefix_cache_hit: float = 0.0
    """Share of input tokens served from the prefix cache [1]."""
    max_batch: float | None = None
    """Fixed maximum concurrent sequences (max_num_seqs); None: the model chooses."""
    arrival_cv2: float = 1.0
    """Squared coefficient of variation of inter-arrival times [1] (1: Poisson arrivals)."""


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
    """TTFT at the load's percentile and utilisation [ms]."""
    step_ms: FloatArray
    busy_power_w: FloatArray
    """Power of one GPU while serving at this point [W]."""
    energy_j_per_output_token: FloatArray
    weights_gb: FloatArray
    max_batch_memory: FloatArray
    usable_gb: FloatArray
    prefill_ms: FloatArray
    """Prefill of one mean-length request on an idle replica [ms]."""
    kernel_ms: FloatArray | None = None
    """Step-layer (GPU kernel) part of the step [ms]."""
    queue_wait_ms: FloatArray | None = None
    """TTFT queueing wait at the percentile [ms]."""


def _column(hw: HardwareShape) -> HardwareShape:
    """Add a trailing axis to array fields so they broadcast against a batch grid."""
    changes: dict[str, Any] = {}
    for f in fields(hw):
        v = getattr(hw, f.name)
        if isinstance(v, np.ndarray):
            changes[f.name] = v[..., None]
    return replace(hw, **changes)


def _shaped(x: Num, shape: tuple[int, ...]) -> FloatArray:
    """``x`` as a float array of ``shape``: itself where it has that shape already, else a broadcast view
    (np.broadcast_to costs about as much as the arithmetic of a one-sample prediction)."""
    a = np.asarray(x, dtype=float)
    return a if a.shape == shape else np.broadcast_to(a, shape)


def _col(x: Num, samples: int) -> FloatArray:
    """``x`` as a column (S, 1) or (1, 1) that broadcasts against the (S, B) grid."""
    return np.asarray(x, dtype=float).reshape(-1, 1)


@dataclass(frozen=True)
class _Rates:
    """Per-sample, per-batch quantities of the continuous-batching model, shape (S, B)."""

    batch: FloatArray
    step_ms: FloatArray
    kernel_ms: FloatArray
    compute_share: FloatArray
    requests_per_s: FloatArray
    tpot_ms: FloatArray
    ttft_ms: FloatArray
    queue_ms: FloatArray
    prefill_ms: FloatArray
    """Shape (S,): one request's prefill on an idle replica."""
    prefill_work_ms: FloatArray
    """Mean work of one prompt on the prefill server, E[S] [ms]."""


def _per_column(rates: FloatArray) -> FloatArray:
    """Arrival rates per sample (S,) as a column, or per sample and column (S, B) as they are."""
    return rates if rates.ndim == 2 else rates.reshape(-1, 1)


def engine_hardware(hw: HardwareShape, eng: EngineShape) -> HardwareShape:
    """The step layer's hardware with the engine's prompt FLOP/s: ``prefill_compute_efficiency`` x the
    engine's ``prefill_efficiency``, at most 1 (the step layer fits dense kernels; a stack's MoE, quantised
    and attention kernels on a real model reach their own share)."""
    share = np.asarray(eng.prefill_efficiency, dtype=float)
    if not np.any(share != 1.0):
        return hw
    pf = np.minimum(np.asarray(hw.prefill_compute_efficiency, dtype=float) * share, 1.0)
    return replace(hw, prefill_compute_efficiency=pf)


def prompt_hardware(hw: HardwareShape, eng: EngineShape, model: ModelShape, tokens: Num) -> HardwareShape:
    """``engine_hardware`` for a step that carries ``tokens`` prompt tokens (over every EP rank whose
    tokens reach the same experts): an MoE model's prompt FLOP/s also carry ``moe_prompt_share``. The
    serving layer, the disaggregated prefill pools and ``perf serve``'s step-layer breakdown use it."""
    return _with_moe_share(engine_hardware(hw, eng), model, tokens, eng.moe_half_tokens)


def carried_prompt_tokens(chunk: Num, batch: Num, pf_chunk: Num, prompt_tokens: Num) -> FloatArray:
    """Prompt tokens of one rank's step that carries prefill: one prompt's chunk ``pf_chunk``, or more
    prompts where they queue (as ``perf.timing.chunk_share``), at most the budget the decoding sequences
    leave free (mean ``prompt_tokens`` per step) [tokens]."""
    free = np.maximum(np.asarray(chunk) - np.asarray(batch), 1.0)
    return np.asarray(np.maximum(pf_chunk, np.minimum(prompt_tokens, free)), dtype=float)


def _with_moe_share(hw: HardwareShape, model: ModelShape, tokens: Num, half: Num) -> HardwareShape:
    """``hw`` whose prompt FLOP/s carry ``moe_prompt_share`` for ``tokens`` prompt tokens per step."""
    share = moe_prompt_share(model, tokens, half)
    if isinstance(share, float):
        return hw
    return replace(hw, prefill_compute_efficiency=np.asarray(hw.prefill_compute_efficiency) * share)


def moe_prompt_share(model: ModelShape, tokens: Num, half: Num) -> Num:
    """Multiplier on the prompt FLOP/s of ``tokens`` prompt tokens in one step of an MoE model: each routed
    expert sees m = tokens x k / E of them and its GEMMs run at m / (m + half) of the large-GEMM rate; the
    rest of the active parameters (attention, shared experts) are unaffected."""
    h = np.asarray(half, dtype=float)
    if model.experts <= 1 or not np.any(h > 0):
        return 1.0
    m = np.maximum(np.asarray(tokens, dtype=float), 1.0) * model.active_experts / model.experts
    eta = m / (m + h)
    routed = min(1.0, model.expert_params * model.active_experts / max(model.active_params, 1.0))
    return np.asarray(1.0 / ((1.0 - routed) + routed / eta), dtype=float)


def prefill_chunk_tokens(budget: Num, batch: Num, prompt_tokens: Num) -> FloatArray:
    """Prompt tokens a step that carries prefill carries: one prompt, up to the token budget the decoding
    sequences leave (at least one token) [tokens]."""
    return np.asarray(np.minimum(np.maximum(np.asarray(budget) - np.asarray(batch), 1.0), prompt_tokens), dtype=float)


def _rates(
    model: ModelShape,
    hw: HardwareShape,
    eng: EngineShape,
    load: Load,
    bytes_per_weight: float,
    kv_bytes: float,
    tp: int,
    lin: FloatArray,
    lout: FloatArray,
    batches: FloatArray,
    replica: LayoutReplica | None = None,
    arrivals_rps: FloatArray | None = None,
) -> _Rates:
    """The module docstring's quantities for each sample's row of ``batches`` (``replica``: the step
    physics of a parallel layout instead of plain TP ``tp``; each DP rank has its own token budget;
    ``arrivals_rps``: the prompts' arrival rate per sample, or per sample and column [requests/s], instead of
    utilisation x X(B))."""
    samples = lin.shape[0]
    hw = engine_hardware(hw, eng)
    hit = load.prefix_cache_hit
    m2_in, m2_out = load.input_spread.second_moment, load.output_spread.second_moment
    lin_c, lout_c = lin[:, None], lout[:, None]
    context = lin_c + lout_c * m2_out / 2.0
    new_per_out = lin_c * (1.0 - hit) / lout_c
    chunk = eng.chunk_tokens * (replica.ranks if replica is not None else 1)
    batch = np.minimum(batches, chunk / (1.0 + new_per_out))
    prompt_tokens = batch * new_per_out
    # a prompt token attends on average to half of its prompt (causal), weighted by prompt length
    pf_context = lin_c * m2_in / 2.0
    hw_col = _column(hw)
    hw_step = replace(hw_col, per_sequence_overhead_us=0.0) if np.any(hw_col.per_sequence_overhead_us) else hw_col
    pf_chunk = prefill_chunk_tokens(chunk, batch, lin_c * (1.0 - hit))
    ranks_ep = replica.ranks if replica is not None else 1
    half = _col(eng.moe_half_tokens, samples)
    # a step that carries prefill carries one prompt's chunk, or more prompts where they queue (as
    # perf.timing.chunk_share, within the free budget); the same share on the three steps of the call below
    if model.experts > 1:
        carried = carried_prompt_tokens(chunk, batch, pf_chunk, prompt_tokens)
        hw_step = _with_moe_share(hw_step, model, np.concatenate([carried] * 3, axis=-1) * ranks_ep, half)

    # three steps in one call, side by side on the batch axis: the mean step (its share of prompt tokens),
    # a decode-only step, and a step that carries a whole chunk (the prefill server's time per prompt token)
    width = batch.shape[-1]
    batch3 = np.concatenate([batch] * 3, axis=-1)
    prompt3 = np.concatenate([prompt_tokens, np.zeros_like(prompt_tokens), pf_chunk], axis=-1)
    chunk3 = np.concatenate([pf_chunk] * 3, axis=-1)
    if replica is not None:
        step3 = replica.mixed_step(
            model, hw_step, bytes_per_weight, kv_bytes, batch3, context, prompt3, pf_context, chunk3
        )
    else:
        step3 = mixed_step(model, hw_step, bytes_per_weight, kv_bytes, tp, batch3, context, prompt3, pf_context, chunk3)
    ms3 = _shaped(step3.step_ms, batch3.shape)
    kernel_ms = _shaped(ms3[..., :width], batches.shape)
    decode_ms, chunk_ms = ms3[..., width : 2 * width], ms3[..., 2 * width :]
    step_compute_ms = _shaped(step3.compute_ms, batch3.shape)[..., :width]
    eta = _col(eng.mixed_step_efficiency, samples)
    # each DP-attention rank schedules and samples its own sequences, in parallel with the others
    ranks = replica.ranks if replica is not None else 1
    host_ms = _col(eng.scheduler_ms_per_step, samples) + batch / ranks * _col(eng.per_sequence_us, samples) * 1e-3
    step_ms = kernel_ms / eta + host_ms
    rps = batch / (lout_c * step_ms) * 1e3

    # TTFT: M/G/1 queue for the prefill share of the budget
    free = np.maximum(chunk - batch, 1.0)
    lam = load.utilisation * rps / 1e3 if arrivals_rps is None else _per_column(arrivals_rps) / 1e3  # per ms
    # work of one prompt on the prefill server: its share of the free budget of a decode step, and the time
    # its own tokens add to the steps that carry them
    per_token_ms = np.maximum(chunk_ms - decode_ms, 0.0) / eta / np.maximum(pf_chunk, 1.0)
    mean_s = lin_c * (1.0 - hit) * ((decode_ms / eta + host_ms) / free + per_token_ms)
    cs2 = m2_in - 1.0
    rho = np.minimum(lam * mean_s, 0.999)
    wq = rho / (1.0 - rho) * (load.arrival_cv2 + cs2) / 2.0 * mean_s
    q = QUANTILE[load.percentile]
    tail = np.log(np.maximum(rho / (1.0 - q), 1.0))
    wait = wq if load.percentile == "mean" else np.where(rho > 0, wq / np.maximum(rho, 1e-12) * tail, 0.0)
    rel = 1.0 if load.percentile == "mean" else load.input_spread.quantile(q)
    l_q = lin_c * rel * (1.0 - hit)
    # one call for two prompts side by side: the percentile's (its own chunks take whole steps, and its own
    # prompt tokens' FLOPs lengthen them) and the mean one on an idle replica (``prefill_ms``)
    seqs = np.concatenate([np.broadcast_to(l_q, lin_c.shape), lin_c * (1.0 - hit)], axis=-1)
    hw_pf = _with_moe_share(hw_col, model, seqs * ranks_ep, half)
    pf2 = (
        replica.prefill_step(model, hw_pf, bytes_per_weight, seqs)
        if replica is not None
        else prefill_step(model, hw_pf, bytes_per_weight, tp, 1.0, seqs)
    )
    own_compute_ms = _shaped(pf2.compute_ms, seqs.shape)[..., :1]
    service_q = np.maximum(1.0, l_q / free) * step_ms + own_compute_ms / eta
    # a prompt that arrives while others decode waits for the scheduler's next poll
    poll = (eng.poll_steps - 1.0) / 2.0 * np.minimum(np.maximum(batch - 1.0, 0.0), 1.0)
    ttft = wait + service_q + (_col(eng.ttft_queue_steps, samples) + poll) * step_ms
    ttft = np.where(lam * mean_s >= 0.999, np.inf, ttft)

    prefill_ms = np.ascontiguousarray(_shaped(pf2.step_ms, seqs.shape)[:, 1])
    return _Rates(
        batch=_shaped(batch, batches.shape),
        step_ms=step_ms,
        kernel_ms=kernel_ms,
        compute_share=np.minimum(1.0, step_compute_ms / np.maximum(step_ms, 1e-12)),
        requests_per_s=rps,
        tpot_ms=step_ms,
        ttft_ms=ttft,
        queue_ms=_shaped(wait, batches.shape),
        prefill_ms=prefill_ms,
        prefill_work_ms=_shaped(mean_s, batches.shape),
    )


def _lengths(
    input_tokens: float | FloatArray, output_tokens: float | FloatArray, samples: int
) -> tuple[FloatArray, FloatArray]:
    lin = _shaped(np.asarray(input_tokens, dtype=float).reshape(-1), (samples,))
    lout = np.maximum(_shaped(np.asarray(output_tokens, dtype=float).reshape(-1), (samples,)), 1.0)
    return lin, lout


def _memory(
    model: ModelShape,
    hw: HardwareShape,
    load: Load,
    bpw: float,
    kvb: float,
    tp: int,
    lin: FloatArray,
    lout: FloatArray,
    replica: LayoutReplica | None = None,
) -> MemoryBreakdown | LayoutMemory:
    """Memory with the KV cache of sequences at their time-weighted mean context (paged KV, vLLM)."""
    context = lin + lout * load.output_spread.second_moment / 2.0
    if replica is not None:
        return replica.memory(model, hw, bpw, kvb, context)
    return memory_breakdown(model, hw, bpw, kvb, tp, 1.0, context)


def _point(
    tp: int,
    hw: HardwareShape,
    mem: MemoryBreakdown | LayoutMemory,
    r: _Rates,
    lout: FloatArray,
    idx: np.ndarray,
    feasible: np.ndarray,
    mask: np.ndarray,
) -> ServingPoint:
    """The ServingPoint at column ``idx`` of each sample's row; throughput is zeroed where ``mask`` is False."""
    samples = lout.shape[0]
    rows = np.arange(samples)
    power = _shaped(gpu_power_w(hw, r.compute_share[rows, idx]), (samples,))
    chosen_rps = r.requests_per_s[rows, idx]
    out_tps = chosen_rps * lout
    return ServingPoint(
        tp=tp,
        feasible=feasible.astype(float),
        batch=r.batch[rows, idx],
        requests_per_s=np.where(mask, chosen_rps, 0.0),
        output_tokens_per_s=np.where(mask, out_tps, 0.0),
        tpot_ms=r.tpot_ms[rows, idx],
        ttft_ms=r.ttft_ms[rows, idx],
        step_ms=r.step_ms[rows, idx],
        busy_power_w=power,
        energy_j_per_output_token=power * tp / np.maximum(out_tps, 1e-12),
        weights_gb=_shaped(mem.weights_gb, (samples,)),
        max_batch_memory=_shaped(mem.max_batch, (samples,)),
        usable_gb=_shaped(mem.usable_gb, (samples,)),
        prefill_ms=r.prefill_ms,
        kernel_ms=r.kernel_ms[rows, idx],
        queue_wait_ms=r.queue_ms[rows, idx],
    )


def engine_batch_cap(eng: EngineShape, load: Load, grid_top: float, ranks: int = 1) -> float:
    """Most running sequences a replica schedules: a fixed ``max_batch`` (the workload's ``max_num_seqs``)
    where given, else the engine's default cap per scheduler (``ranks`` DP-attention schedulers), else the
    batch grid's top."""
    if load.max_batch is not None:
        return float(load.max_batch)
    if eng.max_num_seqs is not None:
        return float(min(eng.max_num_seqs * ranks, grid_top))
    return float(grid_top)


def _default_engine(hw: HardwareShape) -> EngineShape:
    """The generic engine with the host factors a HardwareShape carries (callers without an EngineShape)."""
    return EngineShape(per_sequence_us=hw.per_sequence_overhead_us, ttft_queue_steps=hw.ttft_queue_steps)


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
    eng: EngineShape | None = None,
    load: Load | None = None,
    replica: LayoutReplica | None = None,
) -> ServingPoint:
    """Best batch and throughput of one replica for requests of the given mean lengths (``replica``: under
    a parallel layout, whose GPU count replaces ``tp``)."""
    eng = eng or _default_engine(hw)
    load = load or Load()
    tp = replica.gpus if replica is not None else tp
    lin, lout = _lengths(input_tokens, output_tokens, samples)
    mem = _memory(model, hw, load, bytes_per_weight, kv_bytes, tp, lin, lout, replica)
    max_batch = _shaped(mem.max_batch, (samples,))
    # the grid is per scheduler: a replica of several DP-attention ranks runs each rank's batch
    base = BATCH_GRID * (replica.ranks if replica is not None else 1)
    top = engine_batch_cap(eng, load, base[-1], replica.ranks if replica is not None else 1)
    cap = np.minimum(max_batch, top)
    grid = np.broadcast_to(base, (samples, base.size))
    grid = np.maximum(np.concatenate([grid, cap[:, None]], axis=1), 1.0)
    r = _rates(model, hw, eng, load, bytes_per_weight, kv_bytes, tp, lin, lout, grid, replica)

    ok = (grid <= max_batch[:, None]) & (grid <= top)
    if tpot_target_ms is not None:
        ok &= r.tpot_ms <= tpot_target_ms
    if ttft_target_ms is not None:
        ok &= r.ttft_ms <= ttft_target_ms
    idx = np.argmax(np.where(ok, r.requests_per_s, -1.0), axis=1)
    feasible = ok[np.arange(samples), idx]
    return _point(tp, hw, mem, r, lout, idx, feasible, feasible)


def point_at_batch(
    model: ModelShape,
    hw: HardwareShape,
    bytes_per_weight: float,
    kv_bytes: float,
    tp: int,
    input_tokens: float,
    output_tokens: float,
    batch: float,
    eng: EngineShape | None = None,
    load: Load | None = None,
    replica: LayoutReplica | None = None,
) -> ServingPoint:
    """One replica held at ``batch`` concurrent sequences (a measured benchmark's operating point).

    ``feasible`` says whether the memory model fits that batch; the rates are
    reported either way, so a calibration sees what the model predicts there.
    """
    eng = eng or _default_engine(hw)
    load = load or Load()
    tp = replica.gpus if replica is not None else tp
    lin, lout = _lengths(input_tokens, output_tokens, 1)
    mem = _memory(model, hw, load, bytes_per_weight, kv_bytes, tp, lin, lout, replica)
    batches = np.full((1, 1), float(batch))
    r = _rates(model, hw, eng, load, bytes_per_weight, kv_bytes, tp, lin, lout, batches, replica)
    fits = np.asarray(batch <= np.asarray(mem.max_batch, dtype=float)).reshape(1)
    return _point(tp, hw, mem, r, lout, np.zeros(1, dtype=int), fits, np.ones(1, dtype=bool))
