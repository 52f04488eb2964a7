"""The throughput–interactivity frontier of a model on an accelerator type.

Every colocated layout (``sizing.layouts``: TP, EP with DP attention, PP) at
every batch, through the serving layer as the plan serves it
(``sizing.serving.point_at_batch`` on a ``perf.replica.LayoutReplica``: chunked
prefill, engine time, TTFT queueing), every disaggregated pairing of a prefill pool with a decode layout
(``sizing.disaggregated``), at every weight precision the accelerator runs,
gives one point (output tokens/s per user = 1000 / TPOT, output tokens/s per
GPU). The frontier keeps the points no other point beats on both axes (Pareto).
Cost per million output tokens at a point = price [USD/GPU-h] /
(tokens/s per GPU x 3600) x 1e6, at the hour price ``engine.layouts.hour_price``
names (cloud on-demand, or on-prem hardware amortised).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace

import numpy as np

from llmtco.catalog import Catalog
from llmtco.engine.adapters import efficiency_for, engine_shape, model_shape, takes_stack_step
from llmtco.engine.layouts import HourPrice, fabric_for, hour_price, layout_inputs, server_for
from llmtco.errors import UsageError
from llmtco.perf.parallel import Fabric
from llmtco.perf.replica import LayoutReplica
from llmtco.sizing.disaggregated import decode_curve, disaggregated_points, prefill_pool
from llmtco.sizing.layouts import BATCH_GRID, candidate_layouts
from llmtco.sizing.serving import Load, point_at_batch

PREFILL_POOLS_TRIED = 3
"""Prefill layouts (the best by input tokens/s per GPU) paired with every decode layout."""


@dataclass(frozen=True)
class FrontierPoint:
    """One deployment at one batch."""

    precision: str
    layout: str
    """Decode (or colocated) layout, e.g. ``EP8 (DP8 attention)``."""
    disaggregated: bool
    prefill_layout: str | None
    """Prefill pool layout and pool counts, e.g. ``TP8 x2 : 1`` (disaggregated only)."""
    batch: float
    """Concurrent sequences per (decode) instance."""
    gpus: int
    """GPUs of one instance (colocated) or of both pools (disaggregated) [count]."""
    output_tokens_per_s_per_gpu: float
    tokens_per_s_per_user: float
    tpot_ms: float
    ttft_ms: float
    cost_usd_per_mtok: float
    """Hardware hour price / output tokens per GPU-hour x 1e6 [USD per million output tokens]."""


@dataclass(frozen=True)
class Frontier:
    """The Pareto set of deployments and what it was computed for."""

    model: str
    accelerator: str
    server: str
    domain_gpus: int
    scaleout_gb_s_per_gpu: float
    input_tokens: float
    output_tokens: float
    price_usd_per_gpu_h: float
    price_basis: str
    considered: int
    """Points evaluated before the Pareto filter [count]."""
    extra_step_ms: float = 0.0
    """Time added to every step beyond the fitted overhead [ms] (0: the catalog's factors as they are)."""
    stack_step: dict[str, str] = field(default_factory=dict)
    """Per precision, the shipped ``stack_step_ms`` of the serving stack added to every step and the efficiency
    record (and fit node) it comes from (empty for a model it is not on, ``engine.adapters.takes_stack_step``,
    or ``stack_step=False``)."""
    points: list[FrontierPoint] = field(default_factory=list)
    """Pareto points, by tokens/s per user ascending."""


def pareto(points: list[FrontierPoint]) -> list[FrontierPoint]:
    """Points no other point beats on both tokens/s per user and tokens/s per GPU, by per-user ascending."""
    best: list[FrontierPoint] = []
    top = -1.0
    for p in sorted(points, key=lambda p: (-p.tokens_per_s_per_user, -p.output_tokens_per_s_per_gpu)):
        if p.output_tokens_per_s_per_gpu > top:
            best.append(p)
            top = p.output_tokens_per_s_per_gpu
    return best[::-1]


def _precisions(cat: Catalog, model_id: str, accelerator: str, asked: list[str] | None) -> list[str]:
    if asked:
        return asked
    acc = cat.accelerators.get(accelerator)
    out = [cat.models.get(model_id).default_precision]
    out += [p for p in ("fp8", "fp4") if p in acc.tflops_dense and p not in out]
    return out


def _points(
    cat: Catalog,
    model_id: str,
    accelerator: str,
    precision: str,
    fabric: Fabric,
    lin: float,
    lout: float,
    max_gpus: int,
    price: HourPrice,
    engine: str | None,
    extra_step_ms: float,
    stack_step: bool,
) -> list[FrontierPoint]:
    acc = cat.accelerators.get(accelerator)
    li = layout_inputs(cat, model_id, acc, precision, engine)
    eff = efficiency_for(cat, accelerator, engine, precision)
    eng = engine_shape(eff, engine, 1, moe=li.model.experts > 1, stack_step=stack_step and takes_stack_step(li.model))
    # a serving stack's own time per step is engine time: it adds to every step as the scheduler's does
    eng = replace(eng, scheduler_ms_per_step=np.asarray(eng.scheduler_ms_per_step) + extra_step_ms)
    layouts = candidate_layouts(li.model, fabric.domain_gpus, max_gpus)

    def cost(per_gpu: float) -> float:
        return price.usd_per_gpu_h / (per_gpu * 3600.0) * 1e6 if per_gpu > 0 else float("inf")

    out: list[FrontierPoint] = []
    fitting = []
    for lay in layouts:
        rep = LayoutReplica(lay, fabric)
        top = float(
            np.asarray(rep.memory(li.model, li.hw, li.bytes_per_weight, li.kv_bytes, lin + lout).max_batch).min()
        )
        if top < 1:
            continue
        fitting.append(lay)
        for b in np.unique(np.concatenate([BATCH_GRID[top >= BATCH_GRID], [top]])):
            sp = point_at_batch(li.model, li.hw, li.bytes_per_weight, li.kv_bytes, lay.gpus, lin, lout, float(b), eng,
                                Load(), replica=rep)  # fmt: skip
            per_gpu = float(sp.output_tokens_per_s[0]) / lay.gpus
            tpot = float(sp.tpot_ms[0])
            out.append(
                FrontierPoint(
                    precision, lay.label, False, None, float(b), lay.gpus, per_gpu, 1e3 / tpot, tpot,
                    float(sp.ttft_ms[0]), cost(per_gpu),
                )
            )  # fmt: skip
    pools = sorted(
        (prefill_pool(li.model, li.hw, fabric, li.bytes_per_weight, lay, lin, eng) for lay in fitting),
        key=lambda p: -p.input_tokens_per_s_per_gpu,
    )[:PREFILL_POOLS_TRIED]
    curves = {
        dec: decode_curve(li.model, li.hw, fabric, li.bytes_per_weight, li.kv_bytes, dec, lin, lout, eng)
        for dec in fitting
    }
    for pool in pools:
        for dec in fitting:
            for d in disaggregated_points(
                li.model, li.hw, fabric, li.bytes_per_weight, li.kv_bytes, pool.layout, dec, lin, lout, eng,
                curves[dec],
            ):  # fmt: skip
                if d.fits:
                    out.append(
                        FrontierPoint(
                            precision, dec.label, True,
                            f"{pool.layout.label} x{d.prefill_instances} : {d.decode_instances}",
                            d.decode_batch, d.gpus, d.output_tokens_per_s_per_gpu, d.tokens_per_s_per_user,
                            d.tpot_ms, d.ttft_ms, cost(d.output_tokens_per_s_per_gpu),
                        )
                    )  # fmt: skip
    return out


def frontier(
    cat: Catalog,
    model_id: str,
    accelerator: str,
    server_id: str | None = None,
    precisions: list[str] | None = None,
    input_tokens: float = 1024.0,
    output_tokens: float = 1024.0,
    max_gpus: int | None = None,
    price_basis: str = "auto",
    on: dt.date | None = None,
    engine: str | None = None,
    ttft_limit_ms: float | None = None,
    extra_step_ms: float = 0.0,
    stack_step: bool = True,
) -> Frontier:
    """The Pareto frontier of ``model_id`` on ``accelerator`` (see the module docstring).

    ``max_gpus`` bounds one instance (default: 9 servers of 8, the SGLang wide-EP
    deployment, or one 72-GPU rack); ``ttft_limit_ms`` drops points slower to the first token;
    ``extra_step_ms`` adds a serving stack's own time to every step; for an MoE model the shipped
    ``stack_step_ms`` of the efficiency record for accelerator@engine@precision is on every step as in the
    sizing (``stack_step=False``: the layout physics alone), on top of ``extra_step_ms``.
    """
    if accelerator not in cat.accelerators:
        raise UsageError(f"--accelerator: {accelerator!r} is not in the catalog")
    if model_id not in cat.models:
        raise UsageError(f"--model: {model_id!r} is not in the catalog")
    server = server_for(cat, accelerator, server_id)
    fabric = fabric_for(cat, server)
    price = hour_price(cat, cat.accelerators.get(accelerator), server, price_basis, on or dt.date.today())
    limit = max_gpus or max(72, server.gpus)
    pts: list[FrontierPoint] = []
    stack: dict[str, str] = {}
    stacked = takes_stack_step(model_shape(cat.models.get(model_id)))
    for p in _precisions(cat, model_id, accelerator, precisions):
        if stack_step and stacked:
            eff = efficiency_for(cat, accelerator, engine, p)
            stack[p] = f"{eff.id}: {eff.notes.partition('stack: ')[2] or f'{eff.stack_step_ms:g} ms'}"
        pts += _points(
            cat, model_id, accelerator, p, fabric, input_tokens, output_tokens, limit, price, engine, extra_step_ms,
            stack_step,
        )  # fmt: skip
    if not pts:
        raise UsageError(
            f"--model: {model_id} fits no layout of at most {limit} GPUs on {accelerator} ({server.id}) at "
            f"{', '.join(_precisions(cat, model_id, accelerator, precisions))}; raise --max-gpus or use a lower "
            "--precision or a larger GPU"
        )
    if ttft_limit_ms is not None:
        pts = [p for p in pts if p.ttft_ms <= ttft_limit_ms]
        if not pts:
            raise UsageError(f"--ttft-ms: no deployment reaches the first token within {ttft_limit_ms:g} ms")
    return Frontier(
        model=model_id,
        accelerator=accelerator,
        server=server.id,
        domain_gpus=fabric.domain_gpus,
        scaleout_gb_s_per_gpu=fabric.scaleout_gb_s,
        input_tokens=input_tokens,
        output_tokens=output_tokens,
        price_usd_per_gpu_h=price.usd_per_gpu_h,
        price_basis=price.basis,
        considered=len(pts),
        extra_step_ms=extra_step_ms,
        stack_step=stack,
        points=pareto(pts),
    )


def per_gpu_at(f: Frontier, tokens_per_s_per_user: float, precision: str | None = None) -> float:
    """The most output tokens/s per GPU the frontier offers at or above an interactivity (0 if none) [tokens/s]."""
    ok = [
        p.output_tokens_per_s_per_gpu
        for p in f.points
        if p.tokens_per_s_per_user >= tokens_per_s_per_user and (precision is None or p.precision == precision)
    ]
    return max(ok, default=0.0)
