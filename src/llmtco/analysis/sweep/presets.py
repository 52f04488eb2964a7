"""Named axis values drawn from the catalog: ``{preset: servers_that_fit}``.

"Fits" is a weights-only screen: every inference workload's model weights at
its precision, split over all GPUs of one server (instance), plus the runtime
reserve, fit in the usable 90 % of memory (decimal GB). KV cache and the SLO are the engine's
to check: a preset value that passes here may still come out infeasible, and
that row says why.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from llmtco.catalog import Catalog
from llmtco.perf.memory import BYTES_PER_WEIGHT
from llmtco.scenario.schema import Scenario

USABLE_VRAM_FRACTION = 0.9
"""Share of VRAM the serving engine may use (the engine's default, see DESIGN.md)."""
RUNTIME_RESERVE_GB = 2.0
"""Per-GPU reserve for the runtime and activations [GB] (the engine's default)."""

Preset = Callable[[Scenario, Catalog, tuple[str | int, ...]], list[Any]]


def _weights_fit(sc: Scenario, cat: Catalog, gpus: int, memory_gb: float) -> bool:
    for w in sc.inference_workloads:
        model = cat.models.get(w.model)
        bpw = BYTES_PER_WEIGHT[w.precision or model.default_precision]
        per_gpu_gb = model.params_b * bpw / gpus
        if per_gpu_gb + RUNTIME_RESERVE_GB > USABLE_VRAM_FRACTION * memory_gb:
            return False
    return True


def servers_that_fit(sc: Scenario, cat: Catalog, loc: tuple[str | int, ...]) -> list[Any]:
    """Catalog server ids whose GPUs hold every served model's weights."""
    return [s.id for s in cat.servers if _weights_fit(sc, cat, s.gpus, cat.accelerators.get(s.accelerator).memory_gb)]


def accelerators_that_fit(sc: Scenario, cat: Catalog, loc: tuple[str | int, ...]) -> list[Any]:
    """Catalog accelerator ids with at least one catalog server that fits (``servers_that_fit``)."""
    fit = {cat.servers.get(s).accelerator for s in servers_that_fit(sc, cat, loc)}
    return [a.id for a in cat.accelerators if a.id in fit]


def instances_that_fit(sc: Scenario, cat: Catalog, loc: tuple[str | int, ...]) -> list[Any]:
    """Cloud instance ids that fit and publish the option's pricing model (on-demand by default)."""
    pricing = "on_demand"
    if len(loc) >= 2 and loc[0] == "options" and isinstance(loc[1], int) and loc[1] < len(sc.options):
        pricing = str(getattr(sc.options[loc[1]], "pricing", pricing))
    return [
        i.id
        for i in cat.cloud_instances
        if i.price(pricing) is not None and _weights_fit(sc, cat, i.gpus, cat.accelerators.get(i.accelerator).memory_gb)
    ]


def regions(sc: Scenario, cat: Catalog, loc: tuple[str | int, ...]) -> list[Any]:
    """Every catalog region id."""
    return [r.id for r in cat.regions]


def api_offerings_same_model(sc: Scenario, cat: Catalog, loc: tuple[str | int, ...]) -> list[Any]:
    """API offerings that serve the first inference workload's model (like for like)."""
    model = sc.inference_workloads[0].model
    return [o.id for o in cat.api_offerings if o.model == model]


PRESETS: dict[str, Preset] = {
    "servers_that_fit": servers_that_fit,
    "accelerators_that_fit": accelerators_that_fit,
    "instances_that_fit": instances_that_fit,
    "regions": regions,
    "api_offerings_same_model": api_offerings_same_model,
}
"""Registry: preset name → function giving the axis values for a scenario."""
