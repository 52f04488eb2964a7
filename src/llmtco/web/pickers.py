"""Catalog pickers: search one catalog table and describe each record by its key specs and price.

The editor's catalog-id fields (model, server, accelerator, instance,
offering, region) search here (``GET /catalog/search?kind=servers&q=h100``);
each hit shows what a buyer compares (memory, bandwidth, GPUs, price) with
the record's as-of date, so a pick is made on the record's facts, not its id.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from llmtco.catalog import KINDS, Catalog
from llmtco.errors import CatalogError

__all__ = ["MAX_HITS", "Hit", "kind_of", "search"]

MAX_HITS = 20
"""Most records one search shows."""


@dataclass(frozen=True)
class Hit:
    """One record as a picker shows it."""

    id: str
    name: str
    specs: str
    """Key specifications, in words with units."""
    price: str
    """Its price with unit, or '' for records without one."""
    as_of: str
    overlay: bool


def _money(usd: float) -> str:
    return f"{usd:,.0f} USD" if usd >= 100 else f"{usd:,.4g} USD"


def _accelerator(r: Any, cat: Catalog) -> tuple[str, str, str]:
    flops = ", ".join(f"{p} {v:,.0f} TFLOPS" for p, v in r.tflops_dense.items())
    specs = f"{r.vram_gb:g} GB HBM, {r.hbm_bandwidth_tb_s:g} TB/s, {flops}, TDP {r.tdp_w:g} W"
    return r.name, specs, _money(r.unit_price_usd.value) + " per GPU"


def _server(r: Any, cat: Catalog) -> tuple[str, str, str]:
    specs = f"{r.gpus} x {r.accelerator}, {r.non_gpu_power_w:g} W besides the GPUs, {r.rack_units} U"
    return r.name, specs, _money(r.price_usd) + " per server" if r.price_usd is not None else ""


def _instance(r: Any, cat: Catalog) -> tuple[str, str, str]:
    price = r.price("on_demand") or (r.prices[0] if r.prices else None)
    text = f"{price.usd_per_gpu_h:.4g} USD/GPU-h {price.model.replace('_', '-')}" if price is not None else ""
    return f"{r.provider} {r.instance}", f"{r.gpus} x {r.accelerator}, {r.region} ({r.jurisdiction})", text


def _offering(r: Any, cat: Catalog) -> tuple[str, str, str]:
    from llmtco.catalog.api_prices import token_prices

    try:
        p = token_prices(r, dt.date.today(), 1000.0, 250.0, 0.0, [1.0])
        price = f"{p.input_usd_per_mtok:.4g} in / {p.output_usd_per_mtok:.4g} out USD/Mtok"
    except (CatalogError, LookupError, ValueError):
        price = "no price today"
    return (
        f"{r.provider} {r.model_ref}",
        f"jurisdiction {r.jurisdiction}" + (", fine-tuning offered" if r.finetune else ""),
        price,
    )


def _model(r: Any, cat: Catalog) -> tuple[str, str, str]:
    active = f" ({r.active_params_b:g} B active)" if r.active_params_b else ""
    specs = f"{r.params_b:g} B params{active}, {r.layers} layers, context {r.context_max:,} tokens"
    return r.name, specs, ""


def _region(r: Any, cat: Catalog) -> tuple[str, str, str]:
    specs = f"{r.country} ({r.jurisdiction}), PUE {r.pue.value:g}"
    return r.name, specs, f"{r.electricity_usd_per_kwh.value:.4g} USD/kWh"


def _rate(r: Any, cat: Catalog) -> tuple[str, str, str]:
    return r.id, r.notes, f"{r.value:g} {r.unit}"


def _other(r: Any, cat: Catalog) -> tuple[str, str, str]:
    return r.id, r.notes, ""


DESCRIBE: dict[str, Callable[[Any, Catalog], tuple[str, str, str]]] = {
    "accelerators": _accelerator,
    "servers": _server,
    "cloud_instances": _instance,
    "api_offerings": _offering,
    "models": _model,
    "regions": _region,
    "rates": _rate,
}
"""(name, key specs, price) of a record, by catalog kind; other kinds show their id and notes."""


def kind_of(text: str) -> str | None:
    """The catalog kind for a picker's ``kind`` (plural or singular: ``accelerator``), None if there is none."""
    text = text.strip().lower()
    for k in KINDS:
        if text in (k, k.removesuffix("s"), k.removesuffix("es")):
            return k
    return None


def search(cat: Catalog, kind: str, query: str, limit: int = MAX_HITS) -> list[Hit]:
    """Records of ``kind`` whose id, name or specs contain every word of ``query`` (case-insensitive)."""
    words = query.lower().split()
    describe = DESCRIBE.get(kind, _other)
    hits = []
    for r in cat.table(kind):
        name, specs, price = describe(r, cat)
        hay = f"{r.id} {name} {specs}".lower()
        if all(w in hay for w in words):
            hits.append(Hit(r.id, name, specs, price, r.as_of.isoformat(), bool(r.overlay)))
            if len(hits) >= limit:
                break
    return hits
