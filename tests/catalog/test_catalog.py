import datetime as dt

import pytest

from llmtco.catalog import KINDS, Catalog, load_catalog
from llmtco.catalog.api_prices import token_prices
from llmtco.errors import CatalogError, ScenarioError


def _sourced_values(record: object) -> list[object]:
    return [v for v in vars(record).values() if hasattr(v, "source") and hasattr(v, "as_of")]


def test_every_record_has_source_and_as_of(catalog: Catalog) -> None:
    for kind in KINDS:
        table = catalog.table(kind)
        assert len(table) > 0, kind
        for rec in table:
            assert rec.source and len(rec.source) >= 3, (kind, rec.id)
            assert isinstance(rec.as_of, dt.date), (kind, rec.id)
            for nested in _sourced_values(rec):
                assert nested.source and isinstance(nested.as_of, dt.date), (kind, rec.id)  # type: ignore[attr-defined]
            for price in getattr(rec, "prices", None) or []:
                if hasattr(price, "source"):
                    assert price.source and isinstance(price.as_of, dt.date), (kind, rec.id)
                # earlier list prices (cloud price history) carry their own source and date
                for past in getattr(price, "history", None) or []:
                    assert len(past.source) >= 3 and isinstance(past.as_of, dt.date), (kind, rec.id)
                    assert isinstance(past.from_date, dt.date), (kind, rec.id)


def test_estimates_say_so(catalog: Catalog) -> None:
    for kind in KINDS:
        for rec in catalog.table(kind):
            if rec.estimate:
                assert "estimate" in (rec.source + rec.notes).lower(), (kind, rec.id)
            for nested in _sourced_values(rec):
                if nested.estimate:  # type: ignore[attr-defined]
                    assert "estimate" in nested.source.lower(), (kind, rec.id)  # type: ignore[attr-defined]


def test_required_coverage(catalog: Catalog) -> None:
    for acc in (
        "h100-sxm",
        "h100-pcie",
        "h100-nvl",
        "h200",
        "b200",
        "a100-40gb",
        "a100-80gb",
        "l40s",
        "l4",
        "mi300x",
        "mi325x",
        "gaudi3",
        "rtx-4090",
        "rtx-5090",
    ):
        assert acc in catalog.accelerators
    for m in (
        "llama-3.1-8b",
        "llama-3.1-70b",
        "llama-3.1-405b",
        "llama-3.3-70b",
        "qwen2.5-7b",
        "qwen2.5-14b",
        "qwen2.5-32b",
        "qwen2.5-72b",
        "mistral-7b",
        "mixtral-8x7b",
        "deepseek-v3",
        "deepseek-r1",
        "gpt-oss-20b",
        "gpt-oss-120b",
        "qwen3-30b-a3b",
    ):
        assert m in catalog.models
    providers = {c.provider for c in catalog.cloud_instances}
    assert {"AWS", "Google Cloud", "Azure"} <= providers and len(providers) >= 6
    api_providers = {a.provider for a in catalog.api_offerings}
    assert len(catalog.api_offerings) >= 20 and len(api_providers) >= 6
    # open-weight APIs map to models that can be self-hosted
    assert sum(1 for a in catalog.api_offerings if a.model in catalog.models) >= 10
    for s in catalog.servers:
        assert s.accelerator in catalog.accelerators
    for c in catalog.cloud_instances:
        assert c.accelerator in catalog.accelerators
    for a in catalog.accelerators:
        assert a.id in catalog.efficiency


def test_unknown_key_suggests_alternatives(catalog: Catalog) -> None:
    with pytest.raises(CatalogError, match="Did you mean 'h100-sxm'"):
        catalog.accelerators.get("h100-smx")


def test_overlay_replaces_and_adds(tmp_path) -> None:  # type: ignore[no-untyped-def]
    overlay = tmp_path / "quote.yaml"
    overlay.write_text(
        "servers:\n"
        "  - {id: hgx-h100-8, name: Quoted HGX, accelerator: h100-sxm, gpus: 8, price_usd: 200000,\n"
        "     non_gpu_power_w: 4600, rack_units: 8, source: vendor quote Q-1, as_of: 2026-10-01}\n"
        "  - {id: my-box, name: My box, accelerator: l40s, gpus: 4, chassis_usd: 9000,\n"
        "     non_gpu_power_w: 800, rack_units: 2, source: vendor quote Q-2, as_of: 2026-10-01}\n"
    )
    cat = load_catalog([overlay])
    assert cat.servers.get("hgx-h100-8").price_usd == 200000
    assert cat.servers.get("hgx-h100-8").overlay
    assert "my-box" in cat.servers


def test_overlay_record_without_source_is_rejected(tmp_path) -> None:  # type: ignore[no-untyped-def]
    overlay = tmp_path / "bad.yaml"
    overlay.write_text(
        "servers:\n  - {id: x, name: X, accelerator: l40s, gpus: 4, chassis_usd: 1,\n"
        "     non_gpu_power_w: 1, rack_units: 1, as_of: 2026}\n"
    )
    with pytest.raises(ScenarioError) as info:
        load_catalog([overlay])
    assert "servers.0.source" in str(info.value)
    assert f"{overlay}:2:" in str(info.value)


def test_stale_records_are_flagged(catalog: Catalog) -> None:
    stale = catalog.stale(dt.date(2027, 1, 1))
    ids = {rid for _, rid, _ in stale}
    assert "dgx-a100-40-8" in ids  # priced in 2020
    assert "aws-p5-48xlarge-us-east-1" not in ids


def test_genai_prices_lookup(catalog: Catalog) -> None:
    off = catalog.api_offerings.get("openai-gpt-4o")
    p = token_prices(off, dt.date(2026, 11, 1), 1000, 200, 0.5, [1.0] * 24)
    assert p.input_usd_per_mtok == pytest.approx(2.5)
    assert p.cached_input_usd_per_mtok == pytest.approx(1.25)
    assert p.output_usd_per_mtok == pytest.approx(10.0)
    assert "genai-prices" in p.source


def test_time_of_day_prices_follow_the_load(catalog: Catalog) -> None:
    off = catalog.api_offerings.get("deepseek-chat")
    day = [1.0 if 1 <= h < 16 else 0.0 for h in range(24)]
    night = [0.0 if 1 <= h < 16 else 1.0 for h in range(24)]
    p_day = token_prices(off, dt.date(2026, 11, 2), 1000, 200, 0.0, day)
    p_night = token_prices(off, dt.date(2026, 11, 2), 1000, 200, 0.0, night)
    assert p_night.output_usd_per_mtok < p_day.output_usd_per_mtok
