"""Hybrid: a base option carries the load up to a percentile hour of the day, an overflow option the rest.

The two parts are costed by their own kinds' builders on their share of the
demand (``demand.split_demand``) and merged into one ledger whose items say
which part they belong to; fine-tuning runs on the base only.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from llmtco.costing.ledger import Ledger
from llmtco.engine.demand import Demand, split_at, split_demand
from llmtco.engine.options import api, cloud, onprem
from llmtco.engine.options.base import OptionInputs, OptionKind, Outcome
from llmtco.errors import CapacityExceeded, InfeasibleError
from llmtco.scenario.schema import ApiOption, CloudGpuOption, HybridOption, OnPremOption

PARTS: dict[str, OptionKind[OnPremOption] | OptionKind[CloudGpuOption] | OptionKind[ApiOption]] = {
    "onprem": OptionKind(OnPremOption, onprem.build),
    "cloud_gpu": OptionKind(CloudGpuOption, cloud.build),
    "api": OptionKind(ApiOption, api.build),
}
"""The kinds a hybrid's base and overflow can be."""


def build(o: HybridOption, inputs: OptionInputs) -> Outcome:
    """Base fleet for the load up to a percentile hour, overflow option for the rest; one merged ledger."""
    sc, demands, days, ctx = inputs.scenario, inputs.demands, inputs.days, inputs.ctx
    parts = [split_demand(d, o.base_percentile, days) for d in demands]
    base_d, over_d = [p[0] for p in parts], [p[1] for p in parts]
    base_opt = o.base.model_copy(update={"name": o.name})
    over_update: dict[str, object] = {"name": o.name}
    if isinstance(o.overflow, CloudGpuOption):
        over_update["min_replicas"] = 0  # no overflow, no instance
    over_opt = o.overflow.model_copy(update=over_update)
    base_out, base_d, over_d = _base_within_capacity(base_opt, base_d, inputs)
    inference_only = sc.model_copy(update={"workloads": list(sc.inference_workloads)})
    over_out = PARTS[over_opt.kind](over_opt, replace(inputs, scenario=inference_only, demands=over_d))
    ledger = Ledger(option=o.name, months=days.size, samples=ctx.samples)
    for label, out in (("base", base_out), ("overflow", over_out)):
        for item in out.ledger.items:
            item.notes = f"{label}: {item.notes}".rstrip(": ")
            ledger.add(item)
    base_share = sum(float((b.requests[0]).sum()) for b in base_d) / max(
        sum(float(d.requests[0].sum()) for d in demands), 1e-12
    )
    energies = [x.energy_kwh for x in (base_out, over_out) if x.energy_kwh is not None]
    notes = [
        f"Base ({o.base.kind}) carries the load up to the P{o.base_percentile:g} hour of the day"
        + (" or its fixed capacity" if _fixed(base_opt) else "")
        + f" ({base_share * 100:.0f} % of requests); the rest overflows to {o.overflow.kind}."
    ]
    notes += [f"base: {n}" for n in base_out.notes] + [f"overflow: {n}" for n in over_out.notes]
    return Outcome(
        ledger=ledger,
        sizing=base_out.sizing,
        energy_kwh=np.sum(energies, axis=0) if energies else None,
        grid_kgco2e_per_kwh=base_out.grid_kgco2e_per_kwh or over_out.grid_kgco2e_per_kwh,
        busy_gpu_h=base_out.busy_gpu_h,
        provisioned_gpu_h=base_out.provisioned_gpu_h,
        gpus_peak=base_out.gpus_peak,
        notes=notes,
        finetune=base_out.finetune,
    )


def _fixed(o: OnPremOption | CloudGpuOption | ApiOption) -> bool:
    return (isinstance(o, OnPremOption) and o.servers is not None) or (
        isinstance(o, CloudGpuOption) and o.instances is not None
    )


def _base_within_capacity(
    base_opt: OnPremOption | CloudGpuOption | ApiOption, base_d: list[Demand], inputs: OptionInputs
) -> tuple[Outcome, list[Demand], list[Demand]]:
    """Cost the base on its share of the load; where a fixed base fleet cannot carry that share, it carries
    what it can and the excess goes to the overflow (tried a few times: whole replicas round up)."""
    demands = inputs.demands
    for _ in range(4):
        try:
            out = PARTS[base_opt.kind](base_opt, replace(inputs, demands=base_d))
        except CapacityExceeded as exc:
            share = np.asarray(exc.served_fraction, dtype=float) * (1.0 - 1e-9)
            base_d = [split_at(d, b.rps_hourly * share, inputs.days)[0] for d, b in zip(demands, base_d, strict=True)]
            continue
        over_d = [split_at(d, b.rps_hourly, inputs.days)[1] for d, b in zip(demands, base_d, strict=True)]
        return out, base_d, over_d
    raise InfeasibleError(f"options.{inputs.index}: the hybrid's fixed base cannot be fitted to its share of the load")
