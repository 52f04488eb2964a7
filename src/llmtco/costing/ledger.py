"""The single cost structure: line items, each an (S, M) array of USD per month."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from llmtco.perf.shapes import FloatArray

Category = Literal["capex", "opex"]

ITEMS: dict[str, str] = {
    "gpu_servers": "GPU servers (with their GPUs), bought and refreshed at end of life",
    "network_fabric": "switches, NICs, optics and cabling for the GPU servers",
    "storage": "NVMe storage for weights, images, logs and indexes",
    "racks_installation": "rack share, power distribution, cabling and installation labour",
    "facility": "data-centre build-out (power and cooling plant) per kW of IT capacity",
    "colocation": "colocation rent per contracted kW",
    "residual_value": "book value of hardware still in service at the end of the horizon (a credit)",
    "financing_interest": "interest on financed hardware",
    "energy_it": "electricity drawn by the IT equipment (GPUs, servers)",
    "energy_cooling": "electricity for cooling and facility overhead, from PUE",
    "maintenance": "hardware support contracts",
    "software_licences": "per-GPU enterprise AI software subscriptions",
    "software_updates": "engineering time for driver, firmware and serving-stack updates",
    "network_management": "internet transit and network engineering",
    "personnel": "platform and operations engineers (loaded cost)",
    "insurance": "insurance of installed hardware",
    "cloud_compute": "rented GPU instance-hours",
    "cloud_egress": "data transfer out of the cloud",
    "api_tokens": "hosted-API input, cached-input and output tokens",
    "finetune_compute": "fine-tuning: added servers (on-prem), GPU-hours (cloud) or training tokens (API)",
    "finetune_energy": "electricity of fine-tuning runs above idle power (on-prem)",
}
"""Ledger item names and what each one covers."""


@dataclass
class LineItem:
    """One cost item of an option over the horizon."""

    item: str
    """One of ``ITEMS``."""
    category: Category
    monthly_usd: FloatArray
    """USD per month, shape (S, M)."""
    quantity: float
    """How many units the price applies to (first sample, over the horizon or at peak: see unit)."""
    unit: str
    unit_price_usd: float
    """USD per unit (first sample)."""
    source: str = ""
    """Where the unit price came from."""
    notes: str = ""

    def __post_init__(self) -> None:
        if self.item not in ITEMS:
            raise ValueError(f"unknown ledger item {self.item!r}")

    @property
    def total_usd(self) -> FloatArray:
        """Sum over the horizon, shape (S,)."""
        out: FloatArray = self.monthly_usd.sum(axis=-1)
        return out


@dataclass
class Ledger:
    """All line items of one option."""

    option: str
    months: int
    samples: int
    items: list[LineItem] = field(default_factory=list)

    _monthly: FloatArray | None = field(default=None, repr=False)

    def add(self, item: LineItem) -> None:
        shape = (self.samples, self.months)
        item.monthly_usd = np.broadcast_to(np.asarray(item.monthly_usd, dtype=float), shape).copy()
        self.items.append(item)
        self._monthly = None

    @property
    def monthly_usd(self) -> FloatArray:
        """Total per month, shape (S, M) (computed once; items are only ever added)."""
        if self._monthly is None:
            total = np.zeros((self.samples, self.months))
            for i in self.items:
                total += i.monthly_usd
            self._monthly = total
        return self._monthly

    def category_monthly_usd(self, category: Category) -> FloatArray:
        parts = [i.monthly_usd for i in self.items if i.category == category]
        if not parts:
            return np.zeros((self.samples, self.months))
        out: FloatArray = np.sum(parts, axis=0)
        return out

    @property
    def total_usd(self) -> FloatArray:
        out: FloatArray = self.monthly_usd.sum(axis=-1)
        return out
