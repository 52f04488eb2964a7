"""Bundled cloud prices: spot coverage, and price history that a dated plan can rely on."""

from __future__ import annotations

import datetime as dt

import pytest

from llmtco.catalog import Catalog, load_catalog
from llmtco.catalog.records import CloudInstance, CloudPrice

# Providers that publish spot or preemptible prices for GPU instances.
HYPERSCALERS = {"AWS", "Google Cloud", "Azure"}


def _dated_prices() -> list[tuple[str, CloudPrice]]:
    return [(f"{c.id}.{p.model}", p) for c in load_catalog().cloud_instances for p in c.prices if p.history]


def test_every_instance_has_spot_or_says_why_not(catalog: Catalog) -> None:
    """A missing spot price is stated in the notes, never silently absent."""
    silent = [c.id for c in catalog.cloud_instances if c.price("spot") is None and "spot" not in c.notes.lower()]
    assert silent == []


def test_hyperscaler_spot_coverage(catalog: Catalog) -> None:
    with_spot: dict[str, set[str]] = {}
    for c in catalog.cloud_instances:
        if c.provider in HYPERSCALERS and c.price("spot") is not None:
            with_spot.setdefault(c.provider, set()).add(c.accelerator)
    assert set(with_spot) == HYPERSCALERS
    # the inference GPUs of the new catalog are rentable as spot somewhere
    assert {
        "l4",
        "a10g",
        "t4",
        "a100-40gb",
        "h100-sxm",
        "h200",
        "b200",
        "b300",
        "mi300x",
        "rtx-pro-6000-server",
    } <= set().union(*with_spot.values())


def _spot_below_on_demand(c: CloudInstance) -> bool:
    spot, od = c.price("spot"), c.price("on_demand")
    return spot is None or od is None or spot.usd_per_gpu_h < od.usd_per_gpu_h


def test_spot_is_cheaper_than_on_demand(catalog: Catalog) -> None:
    assert [c.id for c in catalog.cloud_instances if not _spot_below_on_demand(c)] == []


def test_bundled_history_is_covered(catalog: Catalog) -> None:
    dated = {name.split(".")[0] for name, _ in _dated_prices()}
    assert {
        "aws-p5-48xlarge-us-east-1",
        "aws-p5en-48xlarge-us-east-1",
        "aws-p4de-24xlarge-us-east-1",
        "aws-p4d-24xlarge-us-east-1",
        "gcp-a3-highgpu-1g-us-central1",
        "gcp-g2-standard-96-europe-west4",
        "lambda-8x-h100-sxm",
        "runpod-secure-h100-sxm",
    } <= dated


@pytest.mark.parametrize(("name", "price"), _dated_prices(), ids=lambda v: v if isinstance(v, str) else "")
def test_history_entries_are_dated_before_the_change(name: str, price: CloudPrice) -> None:
    assert price.since is not None
    last = max(price.history, key=lambda h: h.from_date)
    # an earlier list price was observed before it was replaced, and differs from the current one
    assert all(h.as_of < price.since for h in price.history), name
    assert last.usd_per_gpu_h != price.usd_per_gpu_h, name
    day_before = price.since - dt.timedelta(days=1)
    assert price.on(day_before).usd_per_gpu_h == last.usd_per_gpu_h
    assert price.on(day_before).source == last.source
    assert price.on(price.since) is price


def test_hyperscaler_blackwell_2026(catalog: Catalog) -> None:
    """The 2026 hyperscaler Blackwell instances carry only the prices a dated public source gives (issue 13).

    Azure ND GB200 v6: the Retail Prices API list rate of its 4-GPU VM. Google Cloud A4: no regular
    on-demand rate exists, so only the 1- and 3-year commitment rates. A4X and ND GB300 v6 have no
    sourced price, so the catalog holds no record for them rather than a guessed one.
    """
    gb200 = catalog.cloud_instances.get("azure-nd128isr-gb200-v6-westus3")
    assert (gb200.provider, gb200.instance, gb200.accelerator, gb200.gpus) == (
        "Azure",
        "Standard_ND128isr_NDR_GB200_v6",
        "gb200",
        4,
    )
    od = gb200.price("on_demand")
    assert od is not None and od.usd_per_gpu_h * gb200.gpus == pytest.approx(108.16)
    assert od.as_of == dt.date(2026, 9, 6) and "Retail Prices API" in od.source
    assert [p.model for p in gb200.prices] == ["on_demand"]
    assert "spot" in gb200.notes.lower() and "reserved" in gb200.notes.lower()

    a4 = catalog.cloud_instances.get("gcp-a4-highgpu-8g-us")
    assert (a4.provider, a4.instance, a4.accelerator, a4.gpus) == ("Google Cloud", "a4-highgpu-8g", "b200", 8)
    assert a4.price("on_demand") is None and a4.price("spot") is None
    one, three = a4.price("reserved_1y"), a4.price("reserved_3y")
    assert one is not None and three is not None
    assert one.usd_per_gpu_h * 8 == pytest.approx(88.68, abs=0.01)
    assert three.usd_per_gpu_h * 8 == pytest.approx(56.55, abs=0.01)
    assert three.usd_per_gpu_h < one.usd_per_gpu_h
    assert all(p.as_of == dt.date(2025, 12, 23) and "lenovopress" in p.source for p in a4.prices)

    instances = {c.instance for c in catalog.cloud_instances}
    assert not instances & {"a4x-highgpu-4g", "Standard_ND128isr_GB300_v6"}
