"""Serving a workload on an accelerator type: the tensor-parallel layout and operating point.

The engine-side wiring of ``sizing.serving``: catalog records become shapes
(``adapters``), every candidate layout is evaluated on the first sample, the
best is kept for all samples, and a workload that cannot be served raises
``InfeasibleError`` with the numbers that decide it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from llmtco.arrays import FloatArray, first
from llmtco.catalog import Catalog
from llmtco.catalog.records import Accelerator, Model
from llmtco.engine.adapters import (
    compute_precision,
    efficiency_for,
    engine_shape,
    first_engine_sample,
    first_sample,
    hardware_shape,
    kv_bytes_for,
    load_shape,
    model_shape,
)
from llmtco.engine.context import Ctx
from llmtco.engine.demand import Demand
from llmtco.errors import InfeasibleError
from llmtco.perf.memory import BYTES_PER_WEIGHT
from llmtco.result import WorkloadSizing
from llmtco.scenario.schema import InferenceWorkload
from llmtco.sizing.serving import ServingPoint, serving_point

TP_CANDIDATES = (1, 2, 4, 8)
"""Tensor-parallel degrees tried inside one machine."""


@dataclass
class Served:
    """A workload's operating point on one accelerator type (per-sample TP choice)."""

    demand: Demand
    point: ServingPoint
    precision: str
    replicas: FloatArray = field(default_factory=lambda: np.zeros(0))
    """Replicas per month (kept capacity for on-prem), shape (S, M)."""


def pick_tensor_parallel(points: list[ServingPoint]) -> ServingPoint:
    """The tensor-parallel degree with the most requests/s per GPU, for the first sample.

    DESIGN.md says "smallest TP that fits and meets the SLO"; that picks a
    memory-starved TP 1 (a 70B FP8 model on one 80 GB GPU has room for a handful
    of sequences) over a far cheaper TP 2. Throughput per GPU is what a fleet pays
    for, so it decides; ties go to the smaller degree. All samples share the
    degree (a fleet uses one layout); samples for which it is infeasible keep zero
    capacity and show up as infeasible downstream.
    """
    feasible = [p for p in points if p.feasible[0] > 0]
    if not feasible:
        return points[-1]
    return max(feasible, key=lambda p: (round(float(p.requests_per_s[0]) / p.tp, 9), -p.tp))


def serve(
    w: InferenceWorkload,
    d: Demand,
    model: Model,
    acc: Accelerator,
    cat: Catalog,
    engine: str | None,
    max_tp: int,
    forced_tp: int | None,
    ctx: Ctx,
    field_path: str,
) -> Served:
    samples = ctx.samples
    precision = w.precision or model.default_precision
    eff = efficiency_for(cat, acc.id, engine, precision)
    compute = compute_precision(precision, acc)
    shape = model_shape(model)
    hw = hardware_shape(acc, eff, compute, samples, ctx)
    eng = engine_shape(eff, engine, samples, ctx)
    load = load_shape(w)
    bpw, kvb = BYTES_PER_WEIGHT[precision], kv_bytes_for(compute, w.kv_cache)
    tps = [forced_tp] if forced_tp else [t for t in TP_CANDIDATES if t <= max_tp]
    if not tps:
        raise InfeasibleError(f"{field_path}: tensor_parallel {forced_tp} exceeds the {max_tp} GPUs per machine")
    # the tensor-parallel layout is chosen on the first sample; only that layout is evaluated for all samples
    hw0 = first_sample(hw) if samples > 1 else hw
    eng0 = first_engine_sample(eng) if samples > 1 else eng
    slo = w.slo
    points = [
        serving_point(
            shape, hw0, bpw, kvb, t, d.input_len()[:1], d.output_len()[:1], slo.tpot_ms, slo.ttft_ms, 1, eng0, load
        )
        for t in tps
    ]
    if not any(p.feasible[0] > 0 for p in points):
        last = points[-1]
        weights = float(last.weights_gb[0])
        usable = float(last.usable_gb[0])
        if float(last.max_batch_memory[0]) < 1:
            raise InfeasibleError(
                f"{field_path}: workload {w.name!r}: {model.id} ({precision}) does not fit on {acc.id}: "
                f"{weights:.1f} GB of weights per GPU at tensor parallel {last.tp} plus KV cache for one "
                f"{int(w.input_tokens + w.output_tokens)}-token sequence exceed {usable:.1f} GB usable "
                f"({acc.vram_gb:g} GB x {first(hw.usable_vram_fraction):g}, less "
                f"{first(hw.runtime_overhead_gb):g} GB runtime). "
                "Use more GPUs per replica, a lower precision, or a larger GPU."
            )
        best = min(points, key=lambda p: float(p.tpot_ms[0]))
        raise InfeasibleError(
            f"{field_path}: workload {w.name!r}: no batch on {acc.id} meets the SLO "
            f"(ttft_ms {w.slo.ttft_ms} at {w.slo.percentile}, tpot_ms {w.slo.tpot_ms}"
            f"{f', batch {w.batch}' if w.batch else ''}); best reachable at tensor parallel {best.tp}: "
            f"TTFT {float(best.ttft_ms[0]):.0f} ms, TPOT {float(best.tpot_ms[0]):.1f} ms. "
            "Relax the SLO or use a faster accelerator."
        )
    chosen = pick_tensor_parallel(points)
    if samples > 1:
        chosen = serving_point(
            shape, hw, bpw, kvb, chosen.tp, d.input_len(), d.output_len(), slo.tpot_ms, slo.ttft_ms, samples, eng, load
        )
    return Served(demand=d, point=chosen, precision=precision)


def workload_sizing(s: Served) -> WorkloadSizing:
    p = s.point
    return WorkloadSizing(
        workload=s.demand.workload.name,
        tensor_parallel=p.tp,
        batch=float(p.batch[0]),
        replicas_peak=int(s.replicas[0, -1]) if s.replicas.size else 0,
        requests_per_s_per_replica=float(p.requests_per_s[0]),
        output_tokens_per_s_per_replica=float(p.output_tokens_per_s[0]),
        tpot_ms=float(p.tpot_ms[0]),
        ttft_ms=float(p.ttft_ms[0]),
        busy_power_w_per_gpu=float(p.busy_power_w[0]),
        weights_gb_per_gpu=float(p.weights_gb[0]),
        precision=s.precision,
    )
