"""The ledger holds every line item to quantity x unit price = amount (or to amounts alone)."""

from __future__ import annotations

import numpy as np
import pytest

from llmtco.costing.ledger import Ledger, LineItem


def test_priced_item_multiplies_out_per_month() -> None:
    ledger = Ledger(option="x", months=3, samples=1)
    ledger.add(LineItem.priced("energy_it", "opex", np.array([[10.0, 20.0, 30.0]]), "kWh (IT)", 0.1))
    li = ledger.items[0]
    assert li.monthly_usd[0].tolist() == pytest.approx([1.0, 2.0, 3.0])
    assert li.total_quantity is not None and li.mean_unit_price_usd is not None
    assert li.total_quantity[0] * li.mean_unit_price_usd[0] == pytest.approx(li.total_usd[0])


def test_varying_price_gives_the_quantity_weighted_mean() -> None:
    li = LineItem.priced("cloud_compute", "opex", np.array([[100.0, 300.0]]), "GPU-hours", np.array([[2.0, 1.0]]))
    assert li.mean_unit_price_usd is not None
    assert li.mean_unit_price_usd[0] == pytest.approx((200.0 + 300.0) / 400.0)


def test_an_item_whose_amount_does_not_multiply_out_is_refused() -> None:
    ledger = Ledger(option="x", months=2, samples=1)
    bad = LineItem("personnel", "opex", np.array([[100.0, 100.0]]), np.array([[0.54, 0.54]]), "FTE", np.ones((1, 2)))
    with pytest.raises(ValueError, match="quantity x unit price"):
        ledger.add(bad)


def test_the_amount_check_allows_rounding_and_refuses_nan() -> None:
    ledger = Ledger(option="x", months=2, samples=2)
    q, p = np.array([[3.0, 7.0], [1e9, 2.0]]), np.full((2, 2), 0.1)
    ledger.add(LineItem("personnel", "opex", q * p * (1 + 1e-12), q, "FTE", p))  # within 1e-9 relative
    nan = LineItem("personnel", "opex", np.array([[np.nan, 0.7], [1e8, 0.2]]), q, "FTE", p)
    with pytest.raises(ValueError, match="quantity x unit price"):
        ledger.add(nan)
    off = LineItem("personnel", "opex", q * p + np.array([[0.0, 0.0], [0.0, 1e-5]]), q, "FTE", p)
    with pytest.raises(ValueError, match="quantity x unit price"):
        ledger.add(off)


def test_quantity_unit_and_price_come_together_or_not_at_all() -> None:
    with pytest.raises(ValueError, match="together"):
        LineItem("personnel", "opex", np.zeros((1, 2)), quantity=np.zeros((1, 2)))
    amount_only = LineItem("financing_interest", "opex", np.array([[5.0, 4.0]]))
    assert amount_only.total_quantity is None and amount_only.mean_unit_price_usd is None
