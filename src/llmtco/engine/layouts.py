"""Catalog records → the inputs of the layout search (``perf.parallel``, ``sizing.layouts``).

The fabric comes from the server: its ``gpus`` are one scale-up domain (8 in an
HGX or an MI300X platform, 72 in a GB200/GB300 NVL72 rack), the accelerator's
``interconnect_gb_s`` is the bandwidth inside it, and the catalog rate
``scaleout_gb_s_per_gpu`` (400 Gb/s InfiniBand/RoCE per GPU) the bandwidth
between servers. The hour price a frontier is costed at is a cloud instance's
on-demand price where the catalog rents the accelerator, else the on-prem
server price amortised over ``hardware_life_years`` (hardware only: no energy,
staff or facility; ``llmtco breakdown`` itemises those).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from llmtco.catalog import Catalog
from llmtco.catalog.records import Accelerator, Server
from llmtco.engine.adapters import (
    compute_precision,
    efficiency_for,
    first_sample,
    hardware_shape,
    kv_bytes_for,
    model_shape,
    server_price,
)
from llmtco.errors import UsageError
from llmtco.perf.memory import BYTES_PER_WEIGHT
from llmtco.perf.parallel import Fabric
from llmtco.perf.shapes import HardwareShape, ModelShape

HOURS_PER_YEAR = 8760.0


@dataclass(frozen=True)
class LayoutInputs:
    """Shapes and byte sizes for one model on one accelerator at one precision (first sample)."""

    model: ModelShape
    hw: HardwareShape
    bytes_per_weight: float
    kv_bytes: float
    compute: str
    """Tensor-core precision the weights run at (``bf16``, ``fp8``, ``fp4``)."""


@dataclass(frozen=True)
class HourPrice:
    """What one GPU-hour costs and where that comes from."""

    usd_per_gpu_h: float
    basis: str
    """``cloud on-demand: <instance>`` or ``on-prem: <server> amortised over N years (hardware only)``."""


def layout_inputs(cat: Catalog, model_id: str, acc: Accelerator, precision: str, engine: str | None) -> LayoutInputs:
    """The model and accelerator shapes for the layout search (efficiency factors of the catalog; a serving
    stack's own time per step is the serving layer's, ``engine_shape(..., moe=..., stack_step=...)``)."""
    if precision not in BYTES_PER_WEIGHT:
        raise UsageError(f"--precision: {precision!r} is not one of {', '.join(BYTES_PER_WEIGHT)}")
    compute = compute_precision(precision, acc)
    hw = first_sample(hardware_shape(acc, efficiency_for(cat, acc.id, engine, precision), compute, 1, engine=engine))
    return LayoutInputs(
        model=model_shape(cat.models.get(model_id, "--model")),
        hw=hw,
        bytes_per_weight=BYTES_PER_WEIGHT[precision],
        kv_bytes=kv_bytes_for(compute),
        compute=compute,
    )


def fabric_for(cat: Catalog, server: Server) -> Fabric:
    """The server's scale-up domain and the catalog's scale-out bandwidth per GPU."""
    scaleout = cat.rate("scaleout_gb_s_per_gpu") if "scaleout_gb_s_per_gpu" in cat.rates else 50.0
    return Fabric(domain_gpus=server.gpus, scaleout_gb_s=scaleout)


def server_for(cat: Catalog, accelerator: str, server_id: str | None) -> Server:
    """The named server, or the first catalog server carrying the accelerator."""
    if server_id is not None:
        server = cat.servers.get(server_id, "--server")
        if server.accelerator != accelerator:
            raise UsageError(f"--server: {server_id} carries {server.accelerator}, not {accelerator}")
        return server
    for s in cat.servers:
        if s.accelerator == accelerator:
            found: Server = s
            return found
    raise UsageError(f"--accelerator: no catalog server carries {accelerator}; name one with --server")


def hour_price(cat: Catalog, acc: Accelerator, server: Server, basis: str, on: dt.date) -> HourPrice:
    """USD per GPU-hour: the cheapest on-demand cloud price for ``acc`` (basis ``cloud``), or the server
    price over ``hardware_life_years`` (basis ``onprem``); ``auto`` takes cloud where the catalog has it."""
    if basis not in ("auto", "cloud", "onprem"):
        raise UsageError(f"--price: {basis!r} is not one of auto, cloud, onprem")
    if basis in ("auto", "cloud"):
        offers = []
        for inst in cat.cloud_instances:
            if inst.accelerator == acc.id:
                p = inst.price("on_demand", on=on)
                if p is not None:
                    offers.append((p.usd_per_gpu_h, f"{inst.provider} {inst.instance}"))
        if offers:
            usd, name = min(offers)
            return HourPrice(usd, f"cloud on-demand: {name} ({usd:.2f} USD/GPU-h)")
        if basis == "cloud":
            raise UsageError(f"--price cloud: no catalog cloud instance rents {acc.id}")
    life = cat.rate("hardware_life_years")
    price, _ = server_price(server, acc, None)
    usd = price / (server.gpus * life * HOURS_PER_YEAR)
    return HourPrice(
        usd,
        f"on-prem: {server.id} at {price:,.0f} USD amortised over {life:g} years ({usd:.2f} USD/GPU-h, hardware only)",
    )
