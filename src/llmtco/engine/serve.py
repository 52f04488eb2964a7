"""Serving a workload on an accelerator type: the parallel layout and operating point.

The engine-side wiring of ``sizing.serving``: catalog records become shapes
(``adapters``), every candidate layout is evaluated on the first sample, the
best is kept for all samples, and a workload that cannot be served raises
``InfeasibleError`` with the numbers that decide it.

Tensor parallelism up to 8 inside one machine is tried first (``TP_CANDIDATES``).
Where the machine is a rack-scale domain of more than 8 GPUs (GB200/GB300
NVL72) or no TP degree fits the model on one machine, the layout search of
``sizing.layouts`` (TP in the NVLink domain, EP with DP attention, PP across
servers) runs too, over replicas of whole machines up to ``MULTI_SERVER_MAX_GPUS``,
each layout through the serving layer (``serving_point`` on a ``LayoutReplica``),
and wins when it serves more output tokens per GPU; the point's ``tp`` is then
the replica's GPU count. The best disaggregated prefill/decode deployment is
compared there and chosen when the plan needs fewer GPUs at peak with it.
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
    takes_stack_step,
)
from llmtco.engine.context import Ctx
from llmtco.engine.demand import Demand
from llmtco.errors import InfeasibleError
from llmtco.perf.memory import BYTES_PER_WEIGHT, CUDA_TOTAL_FRACTION, reservation_gb
from llmtco.perf.parallel import Fabric, Layout, layout_decode_step, layout_memory, layout_prefill_step
from llmtco.perf.power import gpu_power_w
from llmtco.perf.replica import LayoutReplica
from llmtco.perf.shapes import HardwareShape, ModelShape
from llmtco.result import PoolLayout, ServingLayout, WorkloadSizing
from llmtco.scenario.schema import InferenceWorkload
from llmtco.sizing.disaggregated import DisaggPoint, PlanDemand, best_disaggregated_over
from llmtco.sizing.layouts import candidate_layouts
from llmtco.sizing.serving import EngineShape, Load, ServingPoint, serving_point

TP_CANDIDATES = (1, 2, 4, 8)
"""Tensor-parallel degrees tried inside one machine."""
MULTI_SERVER_MAX_GPUS = 72
"""Largest replica spread over several 8-GPU servers (SGLang's wide-EP DeepSeek deployment: 9 x 8 H100)."""


@dataclass
class Served:
    """A workload's operating point on one accelerator type (per-sample TP choice)."""

    demand: Demand
    point: ServingPoint
    precision: str
    replicas: FloatArray = field(default_factory=lambda: np.zeros(0))
    """Replicas per month (kept capacity for on-prem), shape (S, M)."""
    notes: list[str] = field(default_factory=list)
    """What the layout search chose and how disaggregated serving compares (for the option's notes)."""
    layout: ServingLayout | None = None
    """The replica's layout (None: plain TP of ``point.tp`` GPUs)."""


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
    utilisation: float = 0.7,
) -> Served:
    """The workload's layout and operating point on ``acc``; ``utilisation`` is the planned load of a
    replica as a share of its capacity (the option's target), which sets the TTFT queueing wait."""
    samples = ctx.samples
    precision = w.precision or model.default_precision
    eff = efficiency_for(cat, acc.id, engine, precision)
    compute = compute_precision(precision, acc)
    shape = model_shape(model)
    hw = hardware_shape(acc, eff, compute, samples, ctx, engine=engine)
    eng = engine_shape(
        eff, engine, samples, ctx, moe=shape.experts > 1, accelerator=acc, stack_step=takes_stack_step(shape)
    )
    load = load_shape(w, utilisation)
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
    wider = _wider_layout(
        shape, hw, hw0, cat, bpw, kvb, w, d, max_tp, forced_tp, points, samples, utilisation, (eng0, eng), load
    )
    if wider is not None:
        return Served(demand=d, point=wider[0], precision=precision, notes=wider[1], layout=wider[2])
    if not any(p.feasible[0] > 0 for p in points):
        last = points[-1]
        weights = float(last.weights_gb[0])
        usable = float(last.usable_gb[0])
        reserve = float(np.asarray(reservation_gb(shape, hw0, last.tp)).reshape(-1)[0])
        if float(last.max_batch_memory[0]) < 1:
            raise InfeasibleError(
                f"{field_path}: workload {w.name!r}: {model.id} ({precision}) does not fit on {acc.id}: "
                f"{weights:.1f} GB of weights per GPU at tensor parallel {last.tp} plus KV cache for one "
                f"{int(w.input_tokens + w.output_tokens)}-token sequence and the engine's reserve of "
                f"{reserve:.1f} GB exceed {usable:.1f} GB usable ({acc.vram_gb:g} GiB = {acc.memory_gb:.1f} GB, "
                f"{CUDA_TOTAL_FRACTION:.0%} of it visible to CUDA, x {first(hw.usable_vram_fraction):g} "
                "for the engine). "
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
    return Served(demand=d, point=chosen, precision=precision, layout=colocated_layout(Layout(tp=chosen.tp)))


def _pool(role: str, lay: Layout, instances: int) -> PoolLayout:
    return PoolLayout(role, lay.label, lay.tp, lay.ep, lay.pp, lay.dp, lay.gpus, instances)


def colocated_layout(lay: Layout) -> ServingLayout:
    """The result's description of one colocated replica under ``lay``."""
    return ServingLayout(lay.label, False, lay.gpus, lay.tp, lay.ep, lay.pp, lay.dp, [_pool("colocated", lay, 1)])


def disaggregated_layout(dis: DisaggPoint) -> ServingLayout:
    """The result's description of one disaggregated replica: its prefill and decode pools."""
    p, dec = dis.prefill.layout, dis.decode_layout
    label = f"{dis.prefill_instances} x {p.label} prefill : {dis.decode_instances} x {dec.label} decode"
    pools = [_pool("prefill", p, dis.prefill_instances), _pool("decode", dec, dis.decode_instances)]
    return ServingLayout(label, True, dis.gpus, dec.tp, dec.ep, dec.pp, dec.dp, pools, dis.kv_transfer_ms)


def disaggregated_point(
    shape: ModelShape, hw: HardwareShape, fabric: Fabric, bpw: float, kvb: float, dis: DisaggPoint, d: Demand
) -> ServingPoint:
    """``ServingPoint`` of one disaggregated replica (both pools, ``tp`` = their GPUs), per sample.

    The pool ratio and decode batch are chosen on the first sample; each sample's throughput scales as
    1 / its decode step at that batch (decode-bound pools; the step physics per sample plus the engine time
    of the chosen point), TTFT = prefill + KV transfer + decode step.
    """
    samples = int(np.asarray(hw.hbm_bandwidth_tb_s).size)
    lin = float(d.input_len()[0])
    lout = np.maximum(np.broadcast_to(np.asarray(d.output_len(), dtype=float).reshape(-1), (samples,)), 1.0)
    dec = dis.decode_layout
    st = layout_decode_step(shape, hw, fabric, bpw, kvb, dec, dis.decode_batch, lin + float(lout[0]) / 2.0)
    physics = np.broadcast_to(np.asarray(st.step_ms, dtype=float).reshape(-1), (samples,))
    # dis.tpot_ms is the serving layer's step (engine time included, ``decode_curve``): the samples keep that
    # engine time and vary in their physics, so sample 0 is the chosen point itself
    step = physics + (dis.tpot_ms - float(physics[0]))
    scale = dis.tpot_ms / step
    out_tps = dis.output_tokens_per_s_per_gpu * dis.gpus * scale
    pf = layout_prefill_step(shape, hw, fabric, bpw, dis.prefill.layout, dis.prefill.prompts_per_step, lin)
    pf_share = np.minimum(1.0, np.asarray(pf.compute_ms, dtype=float) / np.asarray(pf.step_ms, dtype=float))
    dec_share = np.minimum(1.0, np.asarray(st.compute_ms, dtype=float).reshape(-1) / step)
    n_pf = dis.prefill_instances * dis.prefill.layout.gpus
    power = (n_pf * gpu_power_w(hw, pf_share) + (dis.gpus - n_pf) * gpu_power_w(hw, dec_share)) / dis.gpus
    power = np.broadcast_to(np.asarray(power, dtype=float).reshape(-1), (samples,))
    mem = layout_memory(shape, hw, bpw, kvb, dec, lin + float(lout[0]))
    max_batch = np.broadcast_to(np.asarray(mem.max_batch, dtype=float).reshape(-1), (samples,)) * dis.decode_instances
    return ServingPoint(
        tp=dis.gpus,
        feasible=np.ones(samples),
        batch=np.full(samples, dis.decode_batch * dis.decode_instances),
        requests_per_s=out_tps / lout,
        output_tokens_per_s=out_tps,
        tpot_ms=step.copy(),
        ttft_ms=dis.prefill.prefill_ms + dis.kv_transfer_ms + step,
        step_ms=step.copy(),
        busy_power_w=power.copy(),
        energy_j_per_output_token=power * dis.gpus / np.maximum(out_tps, 1e-12),
        weights_gb=np.full(samples, mem.weights_gb),
        max_batch_memory=max_batch.copy(),
        usable_gb=np.broadcast_to(np.asarray(mem.usable_gb, dtype=float).reshape(-1), (samples,)).copy(),
        prefill_ms=np.full(samples, dis.prefill.prefill_ms),
    )


@dataclass(frozen=True)
class _Best:
    """The best colocated layout on the first sample."""

    layout: Layout
    batch: float
    requests_per_s: float
    output_tokens_per_s: float

    @property
    def gpus(self) -> int:
        return self.layout.gpus

    @property
    def output_tokens_per_s_per_gpu(self) -> float:
        return self.output_tokens_per_s / self.layout.gpus


def _wider_layout(
    shape: ModelShape,
    hw: HardwareShape,
    hw0: HardwareShape,
    cat: Catalog,
    bpw: float,
    kvb: float,
    w: InferenceWorkload,
    d: Demand,
    max_tp: int,
    forced_tp: int | None,
    points: list[ServingPoint],
    samples: int,
    utilisation: float,
    engines: tuple[EngineShape, EngineShape],
    load: Load,
) -> tuple[ServingPoint, list[str], ServingLayout] | None:
    """The best layout beyond TP <= 8 in one machine, where the machine is a rack or the model does not fit
    one machine and that layout serves more output tokens per GPU than the TP points, with a note naming
    it and comparing the best disaggregated prefill/decode deployment under the same SLO, which is chosen
    instead when the plan needs fewer GPUs for the peak with it (the same price per GPU: cheaper); else None.

    Each layout runs through the serving layer (``sizing.serving.serving_point`` on its ``LayoutReplica``:
    chunked prefill, engine time, TTFT queueing), as the TP points do; ``engines``: the engine factors of
    the first sample and of all samples."""
    tp_ok = [p for p in points if p.feasible[0] > 0]
    if forced_tp is not None or (max_tp <= max(TP_CANDIDATES) and tp_ok):
        return None
    fabric = Fabric(domain_gpus=max_tp, scaleout_gb_s=cat.rate("scaleout_gb_s_per_gpu"))
    limit = max_tp if max_tp > max(TP_CANDIDATES) else max(MULTI_SERVER_MAX_GPUS, max_tp)
    layouts = [
        lay
        for lay in candidate_layouts(shape, fabric.domain_gpus, limit)
        if lay.gpus <= max_tp or lay.gpus % max_tp == 0
    ]
    lin, lout = float(d.input_len()[0]), float(d.output_len()[0])
    eng0, eng = engines
    slo = w.slo

    def at(lay: Layout, h: HardwareShape, e: EngineShape, n: int, a: FloatArray, b: FloatArray) -> ServingPoint:
        rep = LayoutReplica(lay, fabric)
        return serving_point(shape, h, bpw, kvb, 0, a, b, slo.tpot_ms, slo.ttft_ms, n, e, load, replica=rep)

    found = [(lay, at(lay, hw0, eng0, 1, d.input_len()[:1], d.output_len()[:1])) for lay in layouts]
    feasible = [(lay, p) for lay, p in found if p.feasible[0] > 0 and p.output_tokens_per_s[0] > 0]
    if not feasible:
        return None
    lay_best, p0 = max(feasible, key=lambda t: (round(float(t[1].output_tokens_per_s[0]) / t[0].gpus, 9), -t[0].gpus))
    best = _Best(lay_best, float(p0.batch[0]), float(p0.requests_per_s[0]), float(p0.output_tokens_per_s[0]))
    tp_best = max((float(p.output_tokens_per_s[0]) / p.tp for p in tp_ok), default=0.0)
    if best.output_tokens_per_s_per_gpu <= tp_best * (1 + 1e-9):
        return None
    point = at(lay_best, hw, eng, samples, d.input_len(), d.output_len()) if samples > 1 else p0
    note = (
        f"Workload {w.name!r}: best colocated layout {best.layout.label}, {best.gpus} GPUs per replica, "
        f"batch {best.batch:,.0f}, "
        f"{best.output_tokens_per_s_per_gpu:,.0f} output tokens/s per GPU (best TP <= {max(TP_CANDIDATES)} in one "
        f"machine: {tp_best:,.0f})."
    )
    peak_rps = float(np.max(np.asarray(d.rps_hourly, dtype=float)[:1]))
    demand = PlanDemand(peak_rps, utilisation, max_tp)
    dis = best_disaggregated_over(
        shape, hw0, fabric, bpw, kvb, layouts, lin, lout, w.slo.tpot_ms, w.slo.ttft_ms, eng=eng0, demand=demand
    )
    if dis is None:
        return (
            point,
            [note + " No disaggregated prefill/decode deployment meets the SLO."],
            colocated_layout(best.layout),
        )
    colo_gpus = demand.gpus(best.requests_per_s, best.gpus)
    dis_gpus = demand.gpus(dis.requests_per_s, dis.gpus)
    chosen = dis_gpus < colo_gpus
    note += (
        f" Disaggregated prefill/decode under the same SLO: {dis.prefill_instances} x {dis.prefill.layout.label}"
        f" prefill : {dis.decode_instances} x {dis.decode_layout.label} decode, "
        f"{dis.output_tokens_per_s_per_gpu:,.0f} tokens/s per GPU, TTFT {dis.ttft_ms:,.0f} ms, KV transfer "
        f"{dis.kv_transfer_ms:.1f} ms per prompt; {dis_gpus:,} GPUs at peak against {colo_gpus:,} colocated "
        f"({'chosen: cheaper per token' if chosen else 'colocated kept'})."
    )
    if not chosen:
        return point, [note], colocated_layout(best.layout)
    return disaggregated_point(shape, hw, fabric, bpw, kvb, dis, d), [note], disaggregated_layout(dis)


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
        layout=s.layout or colocated_layout(Layout(tp=p.tp)),
    )
