"""Cloud GPUs: instance-hours at the pricing model's price, egress, and a smaller staff.

``build`` reads as its steps: serve each workload on the instance's
accelerator, size the instances hour class by hour class (on-demand and spot
follow the load; reserved or non-autoscaled fleets hold their peak), rent
instances for fine-tuning runs, estimate the energy, then cost it in one
ledger (``costing.cloud``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from llmtco.arrays import FloatArray
from llmtco.catalog.records import Accelerator, CloudInstance, CloudPrice
from llmtco.costing.cloud import CloudInputs, cloud_ledger
from llmtco.costing.finance import running_max, yearly_trend
from llmtco.engine import finetune
from llmtco.engine.adapters import price_in_force
from llmtco.engine.context import Rates, staff
from llmtco.engine.options.base import OptionInputs, Outcome, capacity_exceeded
from llmtco.engine.serve import Served, serve, workload_sizing
from llmtco.perf.power import host_max_w, host_power_w, wall_power_w
from llmtco.result import FinetuneResult, Sizing
from llmtco.scenario.schema import CloudGpuOption
from llmtco.sizing.fleet import busy_fraction, monthly_energy_kwh, pool_power_w, replicas_needed, served_share

PRICING_LABELS = {
    "on_demand": "on-demand",
    "reserved_1y": "1-year reserved",
    "reserved_3y": "3-year reserved",
    "spot": "spot",
}


@dataclass
class Rented:
    """Instances rented for inference, per hour class, shape (S, M, H)."""

    instances: FloatArray
    busy_gpus: FloatArray
    """GPU-equivalents working."""
    gpu_power_w: FloatArray
    """Power of the rented GPUs."""


@dataclass
class FinetuneRental:
    gpu_hours: FloatArray
    """GPU-hours rented for fine-tuning runs per month, shape (S, M)."""
    energy_kwh: FloatArray
    price: CloudPrice
    results: list[FinetuneResult]


def build(o: CloudGpuOption, inputs: OptionInputs) -> Outcome:
    """Cost a cloud-GPU option for the scenario's workloads."""
    cat = inputs.catalog
    rates = Rates(cat, o.rates, inputs.ctx, o.name)
    inst = cat.cloud_instances.get(o.instance)
    acc = cat.accelerators.get(inst.accelerator)
    served = [
        serve(
            d.workload,
            d,
            cat.models.get(d.workload.model),
            acc,
            cat,
            o.engine,
            inst.gpus,
            o.tensor_parallel,
            inputs.ctx,
            f"options.{inputs.index}",
            o.target_utilisation_pct / 100.0,
        )
        for d in inputs.demands
    ]
    rented = _rent(o, inst, acc, served, inputs)
    overhead = 1.0 + (rates("spot_interruption_overhead_pct")[:, None] / 100.0 if o.pricing == "spot" else 0.0)
    instance_hours = (rented.instances @ inputs.hour_weights) * inputs.days[None, :] * overhead
    ft = _finetune(o, inst, acc, rates, inputs)
    ledger = cloud_ledger(_ledger_inputs(o, inst, acc, rented, instance_hours, ft, rates, inputs))
    energy_kwh = _energy_kwh(inst, acc, rented, overhead, ft, rates, inputs)
    peak_instances = rented.instances.max(axis=-1)
    sizing = Sizing(
        gpus=int(peak_instances[0].max() * inst.gpus),
        servers=int(peak_instances[0].max()),
        replicas=int(sum(s.replicas[0, -1] for s in served)),
        accelerator=acc.id,
        hardware=inst.id,
        workloads=[workload_sizing(s) for s in served],
    )
    region = cat.regions.get(inputs.scenario.assumptions.region)
    notes = [
        f"{inst.provider} {inst.region} ({inst.jurisdiction}); energy estimated with the perf model and "
        f"PUE {rates.scalar('cloud_pue'):.2f}, emissions with the {region.id} grid intensity (estimate)."
    ]
    notes += [n for s in served for n in s.notes]
    busy_gpu_h = (rented.busy_gpus @ inputs.hour_weights) * inputs.days[None, :]
    return Outcome(
        ledger=ledger,
        sizing=sizing,
        energy_kwh=energy_kwh,
        grid_kgco2e_per_kwh=region.grid_kgco2e_per_kwh.value,
        busy_gpu_h=busy_gpu_h.sum(axis=-1),
        provisioned_gpu_h=instance_hours.sum(axis=-1) * inst.gpus,
        gpus_peak=peak_instances.max(axis=-1) * inst.gpus,
        notes=notes,
        finetune=ft.results,
    )


def replicas_per_instance(instance_gpus: int, replica_gpus: int) -> float:
    """Whole replicas one instance holds, or the fraction of a replica it is when a replica spans
    several instances (a multi-node layout: ``replica_gpus`` a multiple of ``instance_gpus``)."""
    if replica_gpus <= instance_gpus:
        return float(instance_gpus // replica_gpus)
    return instance_gpus / replica_gpus


def _rent(
    o: CloudGpuOption, inst: CloudInstance, acc: Accelerator, served: list[Served], inputs: OptionInputs
) -> Rented:
    """Instances per hour class for the load (whole replicas, packed into whole instances)."""
    ctx = inputs.ctx
    shape = (inputs.samples, inputs.months, inputs.hour_weights.size)
    util = ctx.draw(f"option:{o.name}:target_utilisation_pct", o.target_utilisation_pct)[:, None, None] / 100.0
    redundancy = 1 if o.redundancy == "n+1" else 0
    fixed = o.pricing.startswith("reserved") or not o.autoscaling
    out = Rented(np.zeros(shape), np.zeros(shape), np.zeros(shape))
    if o.instances is not None:
        _check_fixed_instances(o, inst, served, inputs)
    for s in served:
        capacity = s.point.requests_per_s[:, None, None]
        need = np.maximum(replicas_needed(s.demand.rps_hourly, capacity, util, redundancy), o.min_replicas)
        if fixed:
            need = np.broadcast_to(running_max(need.max(axis=-1))[..., None], need.shape)
        if o.instances is not None:  # the replicas the fixed instances hold, shared by GPUs between workloads
            share_of_gpus = 1.0 / len(served)
            held = o.instances * replicas_per_instance(inst.gpus, s.point.tp) * share_of_gpus
            need = np.minimum(need, np.floor(held + 1e-9))
        s.replicas = need.max(axis=-1)
        instances = np.ceil(need / replicas_per_instance(inst.gpus, s.point.tp) - 1e-9)
        busy_gpus = need * s.point.tp * busy_fraction(s.demand.rps_hourly, need, capacity)
        busy_w = np.asarray(s.point.busy_power_w, dtype=float).reshape(-1, 1, 1)
        out.instances += instances
        out.busy_gpus += busy_gpus
        out.gpu_power_w += pool_power_w(instances * inst.gpus, busy_gpus, np.asarray(acc.idle_w.value), busy_w)
    if o.instances is not None:
        out.instances = np.full_like(out.instances, float(o.instances))
    return out


def _check_fixed_instances(o: CloudGpuOption, inst: CloudInstance, served: list[Served], inputs: OptionInputs) -> None:
    """A fixed number of instances is a hard limit: refuse a load it cannot carry, with what it leaves unserved."""
    assert o.instances is not None
    physical = sum(
        replicas_needed(s.demand.rps_hourly, s.point.requests_per_s[:, None, None], np.ones((1, 1, 1)), 0) * s.point.tp
        for s in served
    )
    usable_gpus = (
        min(o.instances * replicas_per_instance(inst.gpus, s.point.tp) * s.point.tp for s in served) if served else 0
    )
    share = served_share(np.asarray(physical, dtype=float), float(usable_gpus))
    if np.any(share[0] < 1.0 - 1e-9):
        raise capacity_exceeded(f"instances: {o.instances}", share, inputs)


def _finetune(
    o: CloudGpuOption, inst: CloudInstance, acc: Accelerator, rates: Rates, inputs: OptionInputs
) -> FinetuneRental:
    """Whole instances rented for each run (on-demand price; spot where the option uses spot)."""
    shape = (inputs.samples, inputs.months)
    start = inputs.scenario.assumptions.start_date
    main_price = price_in_force(inst, o.pricing, start)
    assert main_price is not None  # checked when the scenario was loaded
    price = price_in_force(inst, "spot" if o.pricing == "spot" else "on_demand", start) or main_price
    overhead = 1.0 + (rates.scalar("spot_interruption_overhead_pct") / 100.0 if price.model == "spot" else 0.0)
    out = FinetuneRental(np.zeros(shape), np.zeros(shape), price, [])
    for w, tp_plan, runs in finetune.planned_runs(inputs.scenario, inputs.catalog, acc, inputs.index, inputs.months):
        instances = float(np.ceil(tp_plan.gpus / inst.gpus - 1e-9))
        out.gpu_hours = out.gpu_hours + (runs * tp_plan.wall_hours_per_run * instances * inst.gpus * overhead)[None, :]
        gpu_wh = runs[None, :] * tp_plan.gpu_hours_per_run * tp_plan.power_w_per_gpu
        out.energy_kwh = out.energy_kwh + wall_power_w(gpu_wh, 0.0) / 1000.0
        note = f"{int(instances)} x {inst.instance} per run at {price.model} prices" + (
            f", +{(overhead - 1) * 100:g} % for interruptions" if overhead > 1 else ""
        )
        out.results.append(finetune.finetune_result(w, tp_plan, runs, "cloud", note))
    return out


def _ledger_inputs(
    o: CloudGpuOption,
    inst: CloudInstance,
    acc: Accelerator,
    rented: Rented,
    instance_hours: FloatArray,
    ft: FinetuneRental,
    rates: Rates,
    inputs: OptionInputs,
) -> CloudInputs:
    ctx, cat = inputs.ctx, inputs.catalog
    price = price_in_force(inst, o.pricing, inputs.scenario.assumptions.start_date)
    assert price is not None
    out_tokens = np.sum([d.output_tokens for d in inputs.demands], axis=0)
    region = cat.regions.get(inputs.scenario.assumptions.region)
    people = staff(o, rates, region.engineer_salary_usd_per_year.value, "cloud_fte_base", "cloud_instances_per_fte")
    assert people.machines_per_fte is not None
    fte = people.fte_base[:, None] + rented.instances.max(axis=-1) / people.machines_per_fte[:, None]
    fixed = o.pricing.startswith("reserved") or not o.autoscaling
    mode = "fixed fleet sized for the peak" if fixed else "autoscaled hour by hour"
    spot_note = (
        f"; +{rates.scalar('spot_interruption_overhead_pct'):g} % for interruptions" if o.pricing == "spot" else ""
    )
    trend_pct = (
        ctx.draw(f"option:{o.name}:price_change_pct_per_year", o.price_change_pct_per_year)
        if o.price_change_pct_per_year is not None
        else rates("cloud_price_change_pct_per_year")
    )
    return CloudInputs(
        price_trend=yearly_trend(trend_pct, inputs.months),
        finetune_gpu_hours=ft.gpu_hours if ft.results else None,
        finetune_usd_per_gpu_h=np.full(inputs.samples, ft.price.usd_per_gpu_h),
        finetune_price_source=f"cloud_instances/{inst.id}: {ft.price.source} ({ft.price.as_of.isoformat()})",
        name=o.name,
        instance_hours=instance_hours,
        gpus_per_instance=inst.gpus,
        usd_per_gpu_h=ctx.draw(f"option:{o.name}:usd_per_gpu_h", price.usd_per_gpu_h),
        price_label=PRICING_LABELS[o.pricing],
        price_source=f"cloud_instances/{inst.id}: {price.source} ({price.as_of.isoformat()})",
        egress_gb=out_tokens * rates("bytes_per_token_egress")[:, None] / 1e9,
        egress_usd_per_gb=rates("cloud_egress_usd_per_gb"),
        fte=fte,
        loaded_salary_usd_per_year=people.salary_usd_per_year,
        notes=f"{inst.instance} ({inst.gpus} x {acc.id}), {mode}{spot_note}",
    )


def _energy_kwh(
    inst: CloudInstance,
    acc: Accelerator,
    rented: Rented,
    overhead: FloatArray | float,
    ft: FinetuneRental,
    rates: Rates,
    inputs: OptionInputs,
) -> FloatArray:
    """Energy of the rented GPUs and their share of the host platform, times the cloud PUE [kWh/month]."""
    # host power (CPUs, fans, NICs) of the same platform, pro rata to the instance's GPUs
    platform = next((sv for sv in inputs.catalog.servers if sv.accelerator == acc.id), None)
    host_w_per_gpu = (
        host_max_w(platform.non_gpu_power_w, platform.gpus, acc.tdp_w) / platform.gpus if platform is not None else 0.0
    )
    paid_gpus = rented.instances * inst.gpus
    load_share = rented.busy_gpus / np.maximum(paid_gpus, 1e-12)
    host_w = host_power_w(paid_gpus * host_w_per_gpu, load_share)
    wall_w = np.asarray(wall_power_w(rented.gpu_power_w, host_w), dtype=float)
    it_kwh = monthly_energy_kwh(wall_w, inputs.hour_weights, inputs.days) * overhead
    out: FloatArray = (it_kwh + ft.energy_kwh) * rates.scalar("cloud_pue")
    return out
