"""Invariants of the whole engine, checked with hypothesis over random scenarios."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from llmtco import evaluate, parse_scenario_text
from llmtco.costing.finance import npv

BASE = """\
name: inv
assumptions: {{horizon_months: {months}, start_date: 2027-01-01, region: us-average, discount_rate_pct: 0}}
workloads:
  - name: w
    model: llama-3.1-8b
    precision: fp8
    requests_per_day: {rpd}
    input_tokens: {lin}
    output_tokens: {lout}
    peak_to_average: {peak}
    growth_pct_per_year: {growth}
    slo: {{ttft_ms: 5000, tpot_ms: 100}}
options:
  - name: onprem
    kind: onprem
    server: hgx-h100-8
    server_price_usd: {server_price}
    electricity_usd_per_kwh: {tariff}
    facility: {facility}
    {financing}
  - name: cloud
    kind: cloud_gpu
    instance: lambda-8x-h100-sxm
    rates: {{cloud_egress_usd_per_gb: {egress}}}
  - name: api
    kind: api
    offering: together-llama-3.1-8b
"""

params = st.fixed_dictionaries(
    {
        "months": st.integers(1, 72),
        "rpd": st.floats(100, 5e6),
        "lin": st.integers(10, 8000),
        "lout": st.integers(1, 2000),
        "peak": st.floats(1.0, 6.0),
        "growth": st.floats(-50, 200),
        "server_price": st.floats(1e4, 1e6),
        "tariff": st.floats(0.0, 1.0),
        "facility": st.sampled_from(["colocation", "owned"]),
        "egress": st.floats(0.0, 0.5),
        "financing": st.sampled_from(["", "financing: {rate_pct_per_year: 7, term_months: 36}"]),
    }
)


def _evaluate(p: dict[str, object]):  # type: ignore[no-untyped-def]
    sc, cat = parse_scenario_text(BASE.format(**p))
    return evaluate(sc, cat)


SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(params)
def test_line_items_sum_to_total_and_are_not_negative(p: dict[str, object]) -> None:
    r = _evaluate(p)
    for o in r.options:
        assert o.total_cost_usd is not None and o.total_cost_usd >= 0
        assert sum(li.total_usd for li in o.line_items) == pytest.approx(o.total_cost_usd, rel=1e-9, abs=1e-6)
        for li in o.line_items:
            if li.item != "residual_value":
                assert min(li.monthly_usd) >= -1e-9, li.item
        # discount rate 0 → NPV equals the plain sum
        assert o.npv_usd == pytest.approx(o.total_cost_usd, rel=1e-9, abs=1e-6)


@SETTINGS
@given(params, st.sampled_from(["server_price", "tariff", "egress"]), st.floats(1.01, 3.0))
def test_raising_a_price_never_lowers_a_total(p: dict[str, object], key: str, factor: float) -> None:
    before = _evaluate(p)
    raised = dict(p)
    raised[key] = float(p[key]) * factor + 1e-3  # type: ignore[arg-type]
    after = _evaluate(raised)
    for a, b in zip(before.options, after.options, strict=True):
        assert b.total_cost_usd >= a.total_cost_usd - 1e-6  # type: ignore[operator]


@SETTINGS
@given(params)
def test_line_items_multiply_out(p: dict[str, object]) -> None:
    """Every line item carries quantity, unit and unit price that multiply to its amount, per month and over
    the horizon, or carries none of them (issue 10, item 7)."""
    r = _evaluate(p)
    for o in r.options:
        for li in o.line_items:
            fields = (li.quantity, li.unit, li.unit_price_usd, li.monthly_quantity, li.monthly_unit_price_usd)
            if li.quantity is None:
                assert all(f is None for f in fields), li.item
                continue
            assert all(f is not None for f in fields), li.item
            assert li.quantity * li.unit_price_usd == pytest.approx(li.total_usd, rel=1e-9, abs=1e-6), li.item
            assert li.monthly_quantity is not None and li.monthly_unit_price_usd is not None
            for q, price, amount in zip(li.monthly_quantity, li.monthly_unit_price_usd, li.monthly_usd, strict=True):
                assert q * price == pytest.approx(amount, rel=1e-9, abs=1e-6), li.item
        if o.avg_utilisation_pct is not None:
            assert 0.0 <= o.avg_utilisation_pct <= 100.0 + 1e-9


def test_npv_discounts_later_costs() -> None:
    flows = np.array([[0.0] * 12 + [100.0]])
    assert npv(flows, 10.0)[0] == pytest.approx(100 / 1.1)
