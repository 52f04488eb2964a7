"""Issue 13, item 5 ("Hardware of 2026"): every listed part keeps its accelerator, a server that carries it
and at least one priced way to run it, and the parts priced by estimate alone are known by name.

A failure names the item and what it lost, so a catalog edit that drops a record says what it broke.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from llmtco.catalog import Catalog
from llmtco.catalog.loader import Table
from llmtco.catalog.records import Server

# Item of the list -> (accelerator id, the server id the item names, or None for any server).
ITEMS: dict[str, tuple[str, str | None]] = {
    "B300": ("b300", "hgx-b300-8"),
    "GB200 NVL72": ("gb200", "gb200-nvl72"),
    "GB300 NVL72": ("gb300", "gb300-nvl72"),
    "MI325X": ("mi325x", None),
    "MI355X": ("mi355x", None),
    "H20": ("h20", None),
    "RTX PRO 6000 Blackwell": ("rtx-pro-6000-server", None),
    "L4": ("l4", None),
    "A10G": ("a10g", None),
    "T4": ("t4", None),
    "A100 40GB": ("a100-40gb", None),
    "RTX 5090": ("rtx-5090", None),
    "RTX 5080": ("rtx-5080", None),
    "RTX 5070 Ti": ("rtx-5070-ti", None),
    "RTX 5060 Ti": ("rtx-5060-ti", None),
    "Gaudi 3": ("gaudi3", None),
}

# Parts no one sells as a server: rented only, so no server record is required.
CLOUD_ONLY = {"A10G": "an AWS-only part (g5 instances); NVIDIA does not sell it"}

# Items whose every price carries an estimate (an estimated server or chassis price, and no cloud instance
# that rents them). Shrink this when a sourced price arrives; the README section "Hardware of 2026 and
# prices at a plan's date" says why each is here.
ESTIMATED_ONLY = {
    "H20": "no list price (analyst/press unit price), the HGX chassis an estimate; no cloud list price in our sources",
    "RTX 5080": "MSRP sourced, the workstation chassis around it is an estimate; no dated cloud price found",
    "RTX 5070 Ti": "MSRP sourced, the workstation chassis around it is an estimate; no dated cloud price found",
    "RTX 5060 Ti": "MSRP sourced, the workstation chassis around it is an estimate; no dated cloud price found",
    "Gaudi 3": "Intel's 8-chip kit list price is sourced, the server chassis an estimate; no dated cloud price found",
}


def _servers_for(cat: Catalog, acc: str) -> list[Server]:
    return [s for s in cat.servers if s.accelerator == acc]


def _onprem_priced(server: Server) -> bool:
    """A server has a price: its own, or chassis + GPUs at the accelerator's unit price (as the engine prices it)."""
    return server.price_usd is not None or server.chassis_usd is not None


def _onprem_sourced(cat: Catalog, server: Server) -> bool:
    acc = cat.accelerators.get(server.accelerator)
    if server.estimate:
        return False
    return server.price_usd is not None or not acc.unit_price_usd.estimate


def gaps(cat: Catalog) -> list[str]:
    """What each item of the list lacks: its accelerator, its server, or any priced way to run it."""
    problems: list[str] = []
    for item, (acc, server_id) in ITEMS.items():
        if acc not in cat.accelerators:
            problems.append(f"{item}: no accelerator record {acc!r}")
            continue
        servers = _servers_for(cat, acc)
        if server_id is not None and server_id not in {s.id for s in servers}:
            problems.append(f"{item}: no server record {server_id!r} carrying {acc}")
        if not servers and item not in CLOUD_ONLY:
            problems.append(f"{item}: no server carries {acc}")
        rented = [c.id for c in cat.cloud_instances if c.accelerator == acc and c.prices]
        if not rented and not any(_onprem_priced(s) for s in servers):
            problems.append(f"{item}: no priced way to run it (no priced server and no cloud instance rents {acc})")
    return problems


def estimated_only(cat: Catalog) -> set[str]:
    """Items with a price, but none free of estimates: no cloud instance rents them and no server price is sourced."""
    out = set()
    for item, (acc, _) in ITEMS.items():
        rented = any(c.accelerator == acc for c in cat.cloud_instances)
        sourced = any(_onprem_sourced(cat, s) for s in _servers_for(cat, acc))
        if not rented and not sourced:
            out.add(item)
    return out


def test_every_2026_item_has_hardware_a_server_and_a_price(catalog: Catalog) -> None:
    assert gaps(catalog) == []


def test_the_items_priced_by_estimate_alone_are_the_known_ones(catalog: Catalog) -> None:
    found = estimated_only(catalog)
    assert found - set(ESTIMATED_ONLY) == set(), "these items lost their last sourced price"
    assert set(ESTIMATED_ONLY) - found == set(), "these items gained a sourced price: take them out of ESTIMATED_ONLY"


def _without(cat: Catalog, kind: str, drop: set[str]) -> Catalog:
    table: Table[Any] = cat.table(kind)
    changes: dict[str, Any] = {kind: Table(kind, {k: v for k, v in table.records.items() if k not in drop})}
    return dataclasses.replace(cat, **changes)


def test_gaps_name_the_item_and_what_it_lost(catalog: Catalog) -> None:
    no_rack = _without(catalog, "servers", {"gb300-nvl72"})
    assert gaps(no_rack) == [
        "GB300 NVL72: no server record 'gb300-nvl72' carrying gb300",
        "GB300 NVL72: no server carries gb300",
    ]
    gb300_clouds = {c.id for c in catalog.cloud_instances if c.accelerator == "gb300"}
    assert gb300_clouds
    assert gaps(_without(no_rack, "cloud_instances", gb300_clouds))[-1] == (
        "GB300 NVL72: no priced way to run it (no priced server and no cloud instance rents gb300)"
    )
    no_chip = _without(catalog, "accelerators", {"h20"})
    assert gaps(no_chip) == ["H20: no accelerator record 'h20'"]
    a10g_clouds = {c.id for c in catalog.cloud_instances if c.accelerator == "a10g"}
    assert gaps(_without(catalog, "cloud_instances", a10g_clouds)) == [
        "A10G: no priced way to run it (no priced server and no cloud instance rents a10g)"
    ]


def test_a_rented_item_counts_as_sourced(catalog: Catalog) -> None:
    b300_clouds = {c.id for c in catalog.cloud_instances if c.accelerator == "b300"}
    assert len(b300_clouds) >= 3
    assert "B300" in estimated_only(_without(catalog, "cloud_instances", b300_clouds))
