"""Money over time: discounting, NPV, cumulative curves, break-even, schedules."""

from __future__ import annotations

import numpy as np

from llmtco.perf.shapes import FloatArray


def discount_factors(months: int, rate_pct_per_year: FloatArray | float) -> FloatArray:
    """Factor per month for cash paid at the start of month m: (1 + r)^(-m/12), shape (S, M)."""
    r = np.asarray(rate_pct_per_year, dtype=float).reshape(-1, 1) / 100.0
    n = r.shape[0]
    if n > 1 and np.all(r == r[0]):
        r = r[:1]
    m = np.arange(months, dtype=float)[None, :]
    out: FloatArray = np.broadcast_to((1.0 + r) ** (-m / 12.0), (n, months))
    return out


def npv(monthly_usd: FloatArray, rate_pct_per_year: FloatArray | float) -> FloatArray:
    """Net present value of monthly cash flows (S, M) at an annual rate [USD], shape (S,)."""
    f = discount_factors(monthly_usd.shape[-1], rate_pct_per_year)
    out: FloatArray = (monthly_usd * f).sum(axis=-1)
    return out


def cumulative(monthly_usd: FloatArray) -> FloatArray:
    """Cumulative cost at the end of each month, shape (S, M)."""
    out: FloatArray = np.cumsum(monthly_usd, axis=-1)
    return out


def breakeven_month(a_monthly: FloatArray, b_monthly: FloatArray) -> FloatArray:
    """First month (1-based) from which A's cumulative cost stays at or below B's.

    Returns 0 where A is never above B (A is cheaper from the start) and NaN
    where A's cumulative cost is still above B's at the end of the horizon.
    Shape (S,).
    """
    return breakeven_from_cumulative(cumulative(a_monthly), cumulative(b_monthly))


def breakeven_from_cumulative(cum_a: FloatArray, cum_b: FloatArray) -> FloatArray:
    """``breakeven_month`` on cumulative curves already computed (Monte Carlo reuses them for every pair)."""
    above = (cum_a - cum_b) > 1e-6  # A has cost more so far
    months = above.shape[-1]
    any_above = above.any(axis=-1)
    # last month index where A is above B; break-even is the month after it
    last_above = months - 1 - np.argmax(above[..., ::-1], axis=-1)
    out = np.where(any_above, last_above + 2.0, 0.0)
    out = np.where(any_above & (last_above == months - 1), np.nan, out)
    return np.asarray(out, dtype=float)


def running_max(x: FloatArray) -> FloatArray:
    """Capacity that is bought and kept: running maximum along months."""
    out: FloatArray = np.maximum.accumulate(x, axis=-1)
    return out


def purchases_with_refresh(additions: FloatArray, life_months: int) -> FloatArray:
    """Units bought per month: new additions, plus each cohort bought again at end of life."""
    out = np.array(additions, dtype=float, copy=True)
    months = out.shape[-1]
    if life_months <= 0:
        return out
    for m in range(life_months, months):
        out[..., m] += out[..., m - life_months]
    return out


def in_service(purchases: FloatArray, start_after: int, life_months: int) -> FloatArray:
    """Per month, sum of cohorts bought at p with p + start_after <= m < p + life, shape (S, M)."""
    months = purchases.shape[-1]
    c = np.concatenate([np.zeros((*purchases.shape[:-1], 1)), np.cumsum(purchases, axis=-1)], axis=-1)
    m = np.arange(months)
    hi = np.clip(m - start_after + 1, 0, months)
    lo = np.clip(m - life_months + 1, 0, months)
    out: FloatArray = np.maximum(c[..., hi] - c[..., lo], 0.0)
    return out


def residual_book_value(capex_monthly: FloatArray, life_months: int) -> FloatArray:
    """Straight-line book value left at the end of the horizon of each month's purchases, shape (S,)."""
    months = capex_monthly.shape[-1]
    age = months - np.arange(months)  # months in service by the end
    remaining = np.clip(1.0 - age / max(life_months, 1), 0.0, 1.0)
    out: FloatArray = (capex_monthly * remaining).sum(axis=-1)
    return out


def financed(capex_monthly: FloatArray, rate_pct_per_year: float, term_months: int) -> tuple[FloatArray, FloatArray]:
    """Turn purchases into annuity payments: (principal per month, interest per month).

    Any principal still owed at the end of the horizon is paid in the last month,
    so financed and bought-outright totals compare like with like.
    """
    months = capex_monthly.shape[-1]
    r = rate_pct_per_year / 100.0 / 12.0
    principal = np.zeros_like(capex_monthly)
    interest = np.zeros_like(capex_monthly)
    for p in range(months):
        amount = capex_monthly[..., p]
        if not np.any(amount):
            continue
        balance = amount.astype(float).copy()
        payment = amount * (r / (1 - (1 + r) ** -term_months)) if r > 0 else amount / term_months
        for k in range(term_months):
            m = p + k
            if m >= months:
                break
            i = balance * r
            pr = payment - i
            if m == months - 1 or k == term_months - 1:
                pr = balance
            interest[..., m] += i
            principal[..., m] += pr
            balance = balance - pr
    return principal, interest


def yearly_trend(pct_per_year: FloatArray, months: int) -> FloatArray:
    """Price multiplier per month from a yearly % change, shape (S, M) (or (1, M) when every sample agrees):
    (1 + r)^(m / 12)."""
    r = np.asarray(pct_per_year, dtype=float).reshape(-1, 1)
    if r.shape[0] > 1 and np.all(r == r[0]):
        r = r[:1]
    out: FloatArray = (1.0 + r / 100.0) ** (np.arange(months)[None, :] / 12.0)
    return np.broadcast_to(out, (np.asarray(pct_per_year).size, months))
