import numpy as np
import pytest

from llmtco.costing.finance import (
    breakeven_month,
    discount_factors,
    financed,
    in_service,
    npv,
    purchases_with_refresh,
    residual_book_value,
    running_max,
)


def test_npv_at_zero_rate_is_the_sum() -> None:
    cf = np.array([[100.0, 50.0, 25.0]])
    assert npv(cf, 0.0)[0] == pytest.approx(175.0)


def test_discount_factor_after_one_year() -> None:
    f = discount_factors(13, 10.0)
    assert f[0, 0] == 1.0
    assert f[0, 12] == pytest.approx(1 / 1.1)


def test_breakeven_hand_worked() -> None:
    a = np.array([[100.0] + [0.0] * 11])  # buy once
    b = np.full((1, 12), 10.0)  # rent at 10 per month
    # cumulative: A = 100 flat; B = 10 m → equal at month 10
    assert breakeven_month(a, b)[0] == 10.0
    # renting is cheaper until month 10, then dearer for good: it never breaks even with buying
    assert np.isnan(breakeven_month(b, a)[0])
    never = np.full((1, 12), 1.0)
    assert np.isnan(breakeven_month(a, never)[0])


def test_breakeven_cheaper_from_start() -> None:
    a = np.full((1, 6), 1.0)
    b = np.full((1, 6), 2.0)
    assert breakeven_month(a, b)[0] == 0.0


def test_refresh_and_service_windows() -> None:
    add = np.array([[2.0, 0, 0, 1.0, 0, 0, 0, 0]])
    bought = purchases_with_refresh(add, 3)
    assert bought.tolist() == [[2.0, 0, 0, 3.0, 0, 0, 3.0, 0]]
    assert in_service(add, 0, 3).tolist() == [[2.0, 2.0, 2.0, 1.0, 1.0, 1.0, 0.0, 0.0]]
    assert in_service(add, 1, 3).tolist() == [[0.0, 2.0, 2.0, 0.0, 1.0, 1.0, 0.0, 0.0]]
    assert running_max(np.array([[1.0, 3.0, 2.0]])).tolist() == [[1.0, 3.0, 3.0]]


def test_residual_book_value_straight_line() -> None:
    capex = np.array([[120.0, 0, 0, 0, 0, 0]])
    # 6 months used of a 12-month life → half the value remains
    assert residual_book_value(capex, 12)[0] == pytest.approx(60.0)


def test_financing_repays_principal_with_interest() -> None:
    capex = np.zeros((1, 24))
    capex[0, 0] = 1000.0
    principal, interest = financed(capex, 12.0, 12)
    assert principal.sum() == pytest.approx(1000.0)
    assert interest.sum() > 0
    # annuity at 1 %/month over 12 months: payment 88.85, interest 66.19 in total
    assert interest.sum() == pytest.approx(66.19, abs=0.05)
    assert principal[0, 12:].sum() == 0
