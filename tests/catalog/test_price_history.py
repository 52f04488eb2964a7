"""Cloud price history: a plan is priced at the list price in force on its start date."""

from __future__ import annotations

import datetime as dt

import pytest
from pydantic import ValidationError

from llmtco.catalog import load_catalog
from llmtco.catalog.records import CloudPrice
from llmtco.engine import evaluate
from llmtco.scenario import parse_scenario_text

P5 = "aws-p5-48xlarge-us-east-1"

SCENARIO = """\
name: p5-at-its-date
assumptions: {{horizon_months: 3, start_date: {start}, region: us-average}}
workloads:
  - {{name: chat, model: llama-3.1-8b, precision: fp8, requests_per_day: 200000,
      input_tokens: 1000, output_tokens: 200}}
options:
  - {{name: p5, kind: cloud_gpu, instance: {instance}, pricing: on_demand}}
"""


def _price(**kw: object) -> CloudPrice:
    base: dict[str, object] = {"model": "on_demand", "usd_per_gpu_h": 6.88, "as_of": "2026-11-09", "source": "list"}
    return CloudPrice.model_validate({**base, **kw})


def test_price_on_a_day_walks_the_history() -> None:
    p = _price(
        since="2025-06-01",
        history=[
            {"from": "2024-01-01", "usd_per_gpu_h": 10.0, "as_of": "2024-01-05", "source": "list a"},
            {"from": "2023-07-26", "usd_per_gpu_h": 12.29, "as_of": "2023-08-01", "source": "list b"},
        ],
    )
    on = {d: p.on(dt.date.fromisoformat(d)) for d in ("2023-01-01", "2023-12-31", "2024-06-30", "2025-06-01")}
    assert [v.usd_per_gpu_h for v in on.values()] == [12.29, 12.29, 10.0, 6.88]
    assert on["2024-06-30"].source == "list a" and on["2024-06-30"].as_of == dt.date(2024, 1, 5)
    assert p.on(dt.date(2030, 1, 1)) is p


def test_history_needs_since_before_every_entry() -> None:
    entry = {"from": "2025-01-01", "usd_per_gpu_h": 10.0, "as_of": "2025-01-01", "source": "list a"}
    with pytest.raises(ValidationError, match="needs since"):
        _price(history=[entry])
    with pytest.raises(ValidationError, match="must start before since"):
        _price(since="2024-12-31", history=[entry])


def test_bundled_p5_carries_the_mid_2025_cut() -> None:
    inst = load_catalog().cloud_instances.get(P5)
    before = inst.price("on_demand", on=dt.date(2025, 3, 1))
    after = inst.price("on_demand", on=dt.date(2025, 7, 1))
    assert before is not None and after is not None
    assert (before.usd_per_gpu_h, after.usd_per_gpu_h) == (12.29, 6.88)
    assert "web.archive.org" in before.source


def _cloud_compute(start: str) -> tuple[float, float]:
    sc, cat = parse_scenario_text(SCENARIO.format(start=start, instance=P5))
    option = evaluate(sc, cat).options[0]
    assert not option.excluded, option.reason
    item = next(li for li in option.line_items if li.item == "cloud_compute")
    assert item.monthly_unit_price_usd is not None  # the first month's price: later ones follow the price trend
    return item.monthly_unit_price_usd[0], item.total_usd


def test_engine_prices_a_plan_at_its_start_date() -> None:
    unit_2025, total_2025 = _cloud_compute("2025-01-01")
    unit_2026, total_2026 = _cloud_compute("2026-01-01")
    assert (unit_2025, unit_2026) == pytest.approx((12.29, 6.88))
    # Same load, same hours (January to March, both non-leap years): the bill scales with the rate.
    assert total_2025 / total_2026 == pytest.approx(12.29 / 6.88, rel=1e-6)


@pytest.mark.parametrize(
    ("instance", "before", "after", "old_rate", "new_rate"),
    [
        # AWS P5en, June 2025 P-family cut: 84.8 -> 63.296 USD/instance-h
        ("aws-p5en-48xlarge-us-east-1", "2025-03-01", "2025-09-01", 10.6, 7.912),
        # Google Cloud a3-highgpu-1g, October 2024: aligned with the a3-highgpu-8g per-GPU rate
        ("gcp-a3-highgpu-1g-us-central1", "2024-10-01", "2025-01-01", 11.6366, 10.9791),
    ],
)
def test_a_plan_dated_before_a_cut_prices_at_the_old_rate(
    instance: str, before: str, after: str, old_rate: float, new_rate: float
) -> None:
    sc, cat = parse_scenario_text(SCENARIO.format(start=before, instance=instance))
    old = next(li for li in evaluate(sc, cat).options[0].line_items if li.item == "cloud_compute")
    sc, cat = parse_scenario_text(SCENARIO.format(start=after, instance=instance))
    new = next(li for li in evaluate(sc, cat).options[0].line_items if li.item == "cloud_compute")
    assert old.monthly_unit_price_usd is not None and new.monthly_unit_price_usd is not None
    assert (old.monthly_unit_price_usd[0], new.monthly_unit_price_usd[0]) == pytest.approx((old_rate, new_rate))
    assert old.total_usd > new.total_usd
