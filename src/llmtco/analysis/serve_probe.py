"""``llmtco perf serve``: both layers of the model at one serving configuration and load.

The step layer answers what one engine step costs on the GPU (kernel time and
its parts); the serving layer answers what the replica delivers (batch,
throughput, TPOT, TTFT percentiles at the load) and whether a fixed
configuration (max batch, TP, replicas) meets the SLO.
"""

from __future__ import annotations

import math
from dataclasses import replace

from llmtco.arrays import first
from llmtco.catalog import Catalog
from llmtco.engine.adapters import (
    compute_precision,
    efficiency_for,
    engine_shape,
    hardware_shape,
    kv_bytes_for,
    model_shape,
    takes_stack_step,
)
from llmtco.engine.serve import TP_CANDIDATES, pick_tensor_parallel
from llmtco.errors import InfeasibleError
from llmtco.perf.memory import BYTES_PER_WEIGHT
from llmtco.perf.shapes import HardwareShape, ModelShape
from llmtco.perf.timing import mixed_step
from llmtco.sizing.lengths import FIXED, LengthSpread, from_percentiles
from llmtco.sizing.operating import OperatingPoint, at_concurrency, at_rate
from llmtco.sizing.serving import (
    EngineShape,
    Load,
    ServingPoint,
    carried_prompt_tokens,
    prefill_chunk_tokens,
    prompt_hardware,
    serving_point,
)

PERCENTILES = ("p50", "p90", "p99")


def spread(name: str, p50: float | None, p90: float | None) -> tuple[LengthSpread, float | None]:
    """The spread and mean length [tokens] from ``--NAME-p50/--NAME-p90`` (both or neither)."""
    if p50 is None and p90 is None:
        return FIXED, None
    if p50 is None or p90 is None or p90 < p50:
        raise InfeasibleError(f"--{name}-p50 and --{name}-p90: give both, with p90 >= p50")
    s = from_percentiles(p50, p90)
    sigma = s.sigma or 0.0
    return s, p50 * math.exp(sigma * sigma / 2.0)


def probe_serve(
    cat: Catalog,
    model_id: str,
    accelerator_id: str,
    *,
    input_tokens: float,
    output_tokens: float,
    input_spread: LengthSpread = FIXED,
    output_spread: LengthSpread = FIXED,
    tp: int | None = None,
    max_tp: int = 8,
    batch: int | None = None,
    precision: str | None = None,
    kv_cache: str | None = None,
    engine: str | None = None,
    utilisation: float = 0.7,
    percentile: str = "p50",
    tpot_ms: float | None = None,
    ttft_ms: float | None = None,
    rate_rps: float | None = None,
    replicas: int | None = None,
    prefix_cache_hit: float = 0.0,
    concurrency: float | None = None,
) -> dict[str, object]:
    """Step time and its parts, and end-to-end throughput, TPOT and TTFT percentiles at a load.

    With ``rate_rps`` (open loop) or ``concurrency`` (closed loop) the result also has ``operating_point``:
    the replica at that load (``sizing.operating``), the load split evenly over ``replicas`` (given, or
    the fleet's ``replicas_needed`` for a rate; 1 for a concurrency).
    """
    model = cat.models.get(model_id, "--model")
    acc = cat.accelerators.get(accelerator_id, "--accelerator")
    prec = precision or model.default_precision
    if prec not in BYTES_PER_WEIGHT:
        raise InfeasibleError(f"--precision: unknown precision {prec!r}. Allowed: {', '.join(BYTES_PER_WEIGHT)}.")
    eff = efficiency_for(cat, acc.id, engine, prec)
    compute = compute_precision(prec, acc)
    shape = model_shape(model)
    hw = hardware_shape(acc, eff, compute, 1, engine=engine)
    eng = engine_shape(eff, engine, 1, accelerator=acc, moe=shape.experts > 1, stack_step=takes_stack_step(shape))
    bpw, kvb = BYTES_PER_WEIGHT[prec], kv_bytes_for(compute, kv_cache)
    load = Load(input_spread, output_spread, utilisation, percentile, prefix_cache_hit, batch)
    tps = [tp] if tp else [t for t in TP_CANDIDATES if t <= max_tp]

    def point(t: int, ld: Load, targets: bool = True) -> ServingPoint:
        tpot, ttft = (tpot_ms, ttft_ms) if targets else (None, None)
        return serving_point(shape, hw, bpw, kvb, t, input_tokens, output_tokens, tpot, ttft, 1, eng, ld)

    chosen = pick_tensor_parallel([point(t, load) for t in tps])
    meets = bool(chosen.feasible[0] > 0)
    if not meets:  # what the configuration delivers without the targets (at its fixed batch, if any)
        chosen = point(chosen.tp, load, targets=False)
    fixed = replace(load, max_batch=float(chosen.batch[0]))
    ttft = {p: first(point(chosen.tp, replace(fixed, percentile=p)).ttft_ms) for p in PERCENTILES}
    b = float(chosen.batch[0])
    context = input_tokens + output_tokens * output_spread.second_moment / 2.0
    prompt_tokens = b * input_tokens * (1.0 - prefix_cache_hit) / output_tokens
    pf_chunk = prefill_chunk_tokens(eng.chunk_tokens, b, input_tokens * (1.0 - prefix_cache_hit))  # as serving runs it
    # prompt FLOP/s as the engine runs them (an MoE model's experts see the tokens of a step that carries prefill)
    carried = carried_prompt_tokens(eng.chunk_tokens, b, pf_chunk, prompt_tokens)
    kernel_hw = prompt_hardware(replace(hw, per_sequence_overhead_us=0.0), eng, shape, carried)
    kernel = mixed_step(
        shape,
        kernel_hw,
        bpw,
        kvb,
        chosen.tp,
        b,
        context,
        prompt_tokens,
        input_tokens * input_spread.second_moment / 2.0,
        pf_chunk,
    )
    capacity_rps = float(chosen.requests_per_s[0])
    out: dict[str, object] = {
        "model": model.id,
        "accelerator": acc.id,
        "precision": prec,
        "compute_precision": compute,
        "kv_cache_bytes_per_value": kvb,
        "engine": eng.name,
        "efficiency": {"id": eff.id, "answered_by": eff.notes or eff.id, "fitted_on": eff.fitted_on},
        "tensor_parallel": chosen.tp,
        "meets_slo": meets,
        "step_layer": {
            "kernel_ms": first(kernel.step_ms),
            "compute_ms": first(kernel.compute_ms),
            "memory_ms": first(kernel.memory_ms),
            "launch_overhead_ms": first(kernel.overhead_ms),
            "allreduce_ms": first(kernel.comm_ms),
            "prompt_tokens_per_step": prompt_tokens,
        },
        "serving_layer": {
            "batch": b,
            "batch_fixed": batch is not None,
            "max_batch_memory": first(chosen.max_batch_memory),
            "step_ms": first(chosen.step_ms),
            "host_ms": first(chosen.step_ms) - first(kernel.step_ms) / first(eng.mixed_step_efficiency),
            "mixed_step_efficiency": first(eng.mixed_step_efficiency),
            "engine_prefill_efficiency": first(eng.prefill_efficiency),
            "token_budget": eng.chunk_tokens,
            "tpot_ms": first(chosen.tpot_ms),
            **{f"ttft_{p}_ms": v for p, v in ttft.items()},
            "utilisation": utilisation,
            "requests_per_s_per_replica": capacity_rps,
            "output_tokens_per_s_per_replica": first(chosen.output_tokens_per_s),
            "output_tokens_per_s_per_gpu": first(chosen.output_tokens_per_s) / chosen.tp,
            "power_w_per_gpu": first(chosen.busy_power_w),
            "energy_j_per_output_token": first(chosen.energy_j_per_output_token),
        },
    }
    if rate_rps is not None:
        usable = capacity_rps * utilisation
        need = math.ceil(rate_rps / usable) if usable > 0 else None
        fleet: dict[str, object] = {"rate_rps": rate_rps, "replicas_needed": need}
        if replicas is not None:
            fleet.update(
                replicas=replicas,
                gpus=replicas * chosen.tp,
                delivered_rps=min(rate_rps, replicas * capacity_rps),
                load_per_replica=rate_rps / (replicas * capacity_rps) if capacity_rps > 0 else math.inf,
                meets_load=need is not None and replicas >= need,
            )
        out["fleet"] = fleet
    if rate_rps is not None or concurrency is not None:
        n = replicas or (math.ceil(rate_rps / (capacity_rps * utilisation)) if rate_rps and capacity_rps > 0 else 1)
        op_load = replace(load, max_batch=None if batch is None else float(batch))
        out["operating_point"] = _operating(
            shape, hw, eng, bpw, kvb, chosen.tp, input_tokens, output_tokens, op_load, rate_rps, concurrency, n
        ) | {"meets_slo": None}
        point_out = out["operating_point"]
        assert isinstance(point_out, dict)
        if tpot_ms is not None or ttft_ms is not None:
            ttft_at = point_out[f"ttft_{percentile}_ms"]
            point_out["meets_slo"] = bool(
                (tpot_ms is None or point_out["tpot_ms"] <= tpot_ms)
                and (ttft_ms is None or (ttft_at is not None and ttft_at <= ttft_ms))
            )
    return out


def _operating(
    shape: ModelShape,
    hw: HardwareShape,
    eng: EngineShape,
    bpw: float,
    kvb: float,
    tp: int,
    input_tokens: float,
    output_tokens: float,
    load: Load,
    rate_rps: float | None,
    concurrency: float | None,
    replicas: int,
) -> dict[str, object]:
    """The replica at the offered rate or concurrency, with TTFT at each percentile (None: unbounded)."""
    per_replica = (rate_rps if rate_rps is not None else concurrency or 1.0) / replicas

    def at(percentile: str) -> OperatingPoint:
        ld = replace(load, percentile=percentile)
        if rate_rps is not None:
            return at_rate(shape, hw, bpw, kvb, tp, input_tokens, output_tokens, per_replica, eng, ld)
        return at_concurrency(shape, hw, bpw, kvb, tp, input_tokens, output_tokens, per_replica, eng, ld)

    ops = {p: at(p) for p in PERCENTILES}
    op = ops["p50"]

    def finite(x: float) -> float | None:
        return x if math.isfinite(x) else None

    return {
        "mode": "open loop (offered rate)" if rate_rps is not None else "closed loop (fixed concurrency)",
        "replicas": replicas,
        "rate_rps_per_replica" if rate_rps is not None else "concurrency_per_replica": per_replica,
        "saturated": bool(op.saturated[0] > 0),
        "batch": first(op.batch),
        "batch_bound": first(op.batch_bound),
        "tpot_ms": first(op.tpot_ms),
        **{f"ttft_{p}_ms": finite(first(o.ttft_ms)) for p, o in ops.items()},
        "queue_wait_p50_ms": finite(first(op.queue_wait_ms)),
        "requests_per_s_per_replica": first(op.requests_per_s),
        "capacity_rps_per_replica": first(op.capacity_rps),
        "utilisation": first(op.utilisation),
        "output_tokens_per_s_per_replica": first(op.output_tokens_per_s),
        "output_tokens_per_s_per_gpu": first(op.output_tokens_per_s) / tp,
        "power_w_per_gpu": first(op.busy_power_w),
        "energy_j_per_output_token": first(op.energy_j_per_output_token),
    }
