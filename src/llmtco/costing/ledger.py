"""The single cost structure: line items, each an (S, M) array of USD per month."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from llmtco.arrays import FloatArray

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
    """One cost item of an option over the horizon.

    A priced item carries its driver — ``quantity`` of ``unit`` each month (kWh,
    GPU-hours, FTE-months, servers bought, ...) — and the ``unit_price_usd`` in
    force that month; its amount is their product, month by month, so quantity
    x unit price = amount holds per month and over the horizon (where the price
    changes over time, the horizon's unit price is the quantity-weighted mean).
    An item without a meaningful unit (loan principal and interest) carries
    amounts only. Build priced items with ``LineItem.priced``.
    """

    item: str
    """One of ``ITEMS``."""
    category: Category
    monthly_usd: FloatArray
    """USD per month, shape (S, M)."""
    quantity: FloatArray | None = None
    """Units per month, shape (S, M) (None: an amount-only item)."""
    unit: str | None = None
    """What ``quantity`` counts, e.g. ``kWh (IT)`` or ``GPU-hours (on-demand)``."""
    unit_price_usd: FloatArray | None = None
    """USD per unit in each month, shape (S, M)."""
    source: str = ""
    """Where the unit price came from."""
    notes: str = ""

    def __post_init__(self) -> None:
        if self.item not in ITEMS:
            raise ValueError(f"unknown ledger item {self.item!r}")
        given = [self.quantity is not None, self.unit is not None, self.unit_price_usd is not None]
        if any(given) and not all(given):
            raise ValueError(f"{self.item}: a line item carries quantity, unit and unit price together, or none")

    @classmethod
    def priced(
        cls,
        item: str,
        category: Category,
        quantity: FloatArray,
        unit: str,
        unit_price_usd: FloatArray | float,
        source: str = "",
        notes: str = "",
    ) -> LineItem:
        """An item whose amount is quantity x unit price in every month."""
        q = np.asarray(quantity, dtype=float)
        p = np.asarray(unit_price_usd, dtype=float)
        return cls(item, category, q * p, q, unit, p, source, notes)

    def check(self) -> None:
        """Raise if a priced item's amount is not its quantity times its unit price in some month."""
        if self.quantity is None or self.unit_price_usd is None:
            return
        # |q p - amount| <= 1e-6 + 1e-9 |amount| (np.allclose's test, in place: this runs on every (S, M)
        # item of every Monte Carlo chunk); a NaN fails it as allclose's does
        diff = self.quantity * self.unit_price_usd
        diff -= self.monthly_usd
        np.abs(diff, out=diff)
        tol = np.abs(self.monthly_usd)
        tol *= 1e-9
        tol += 1e-6
        if not (diff <= tol).all():
            raise ValueError(f"{self.item}: quantity x unit price differs from the amount")

    @property
    def total_usd(self) -> FloatArray:
        """Sum over the horizon, shape (S,)."""
        out: FloatArray = self.monthly_usd.sum(axis=-1)
        return out

    @property
    def total_quantity(self) -> FloatArray | None:
        """Units over the horizon, shape (S,)."""
        return None if self.quantity is None else np.asarray(self.quantity.sum(axis=-1), dtype=float)

    @property
    def mean_unit_price_usd(self) -> FloatArray | None:
        """Amount / quantity over the horizon, shape (S,); the price itself where the quantity is 0."""
        if self.quantity is None or self.unit_price_usd is None:
            return None
        q = self.quantity.sum(axis=-1)
        fallback = self.unit_price_usd[..., 0]
        out: FloatArray = np.where(q != 0, self.total_usd / np.where(q != 0, q, 1.0), fallback)
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

        def full(x: FloatArray) -> FloatArray:
            return np.broadcast_to(np.asarray(x, dtype=float), shape).copy()

        item.monthly_usd = full(item.monthly_usd)
        if item.quantity is not None and item.unit_price_usd is not None:
            item.quantity, item.unit_price_usd = full(item.quantity), full(item.unit_price_usd)
        item.check()
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
