"""Demand: each inference workload's requests over the horizon and over the hours of a day.

Requests per month grow with the workload's yearly growth; the day's shape
(an hourly profile, or a business-hours shape from a peak-to-average ratio)
is grouped into hour classes so hourly work runs once per class.
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass, field

import numpy as np

from llmtco.arrays import FloatArray
from llmtco.engine.context import Ctx
from llmtco.scenario.schema import InferenceWorkload
from llmtco.sizing.fleet import business_hours_profile, normalise_profile


@dataclass
class Demand:
    """One workload's demand over the horizon."""

    workload: InferenceWorkload
    profile24: FloatArray
    """24-hour shape, mean 1."""
    rps_avg: FloatArray
    """Average requests/s per month, shape (S, M)."""
    requests: FloatArray
    """Requests per month, shape (S, M)."""
    profile: FloatArray = field(default_factory=lambda: np.zeros(0))
    """Load level of each hour class, shape (H,) (see ``hour_classes``)."""
    hour_weights: FloatArray = field(default_factory=lambda: np.zeros(0))
    """Hours per day in each hour class, shape (H,), summing to 24."""
    _hourly: FloatArray | None = field(default=None, repr=False)
    lengths: tuple[FloatArray, FloatArray] | None = None
    """Mean input and output tokens per request, each shape (S,) (None: the workload's values)."""

    def input_len(self) -> FloatArray:
        return self.lengths[0] if self.lengths is not None else np.array([self.workload.input_tokens])

    def output_len(self) -> FloatArray:
        return self.lengths[1] if self.lengths is not None else np.array([self.workload.output_tokens])

    @property
    def rps_hourly(self) -> FloatArray:
        """Requests/s per month and hour class, shape (S, M, H)."""
        if self._hourly is None:
            self._hourly = self.rps_avg[..., None] * self.profile
        return self._hourly

    @property
    def input_tokens(self) -> FloatArray:
        out: FloatArray = self.requests * self.input_len()[:, None]
        return out

    @property
    def output_tokens(self) -> FloatArray:
        out: FloatArray = self.requests * self.output_len()[:, None]
        return out


def month_days(start: dt.date, months: int) -> FloatArray:
    days = []
    y, m = start.year, start.month
    for _ in range(months):
        days.append(calendar.monthrange(y, m)[1])
        m += 1
        if m > 12:
            y, m = y + 1, 1
    return np.array(days, dtype=float)


def demand(w: InferenceWorkload, days: FloatArray, ctx: Ctx) -> Demand:
    months = days.size
    growth_pct = ctx.draw(f"workload:{w.name}:growth_pct_per_year", w.growth_pct_per_year)[:, None]
    growth = (1.0 + growth_pct / 100.0) ** (np.arange(months)[None, :] / 12.0)
    rpd = ctx.draw(f"workload:{w.name}:requests_per_day", w.requests_per_day_value) * ctx.draw("volume_scale", 1.0)
    per_day = rpd[:, None] * growth
    profile = (
        normalise_profile(w.hourly_profile)
        if w.hourly_profile is not None
        else business_hours_profile(w.peak_to_average)
    )
    lengths = (
        ctx.draw(f"workload:{w.name}:input_tokens", w.input_tokens),
        ctx.draw(f"workload:{w.name}:output_tokens", w.output_tokens),
    )
    return Demand(
        workload=w, profile24=profile, rps_avg=per_day / 86400.0, requests=per_day * days[None, :], lengths=lengths
    )


def hour_classes(demands: list[Demand]) -> None:
    """Group the 24 hours (168 with a weekly shape) into classes with the same load for every workload.

    Every hourly computation (replicas, energy, instance-hours, idle windows) is
    the same for hours of one class, so it runs once per class and is weighted by
    the class's hours: a business-hours profile has 3-4 classes instead of 24,
    which is what makes 100,000-sample Monte Carlo runs fast.
    """
    if not demands:
        return
    weekly = any(d.workload.weekly_profile is not None for d in demands)

    def hours(d: Demand) -> FloatArray:
        if not weekly:
            return d.profile24
        days = np.asarray(d.workload.weekly_profile or [1.0] * 7, dtype=float)
        days = days / days.mean()
        out: FloatArray = (days[:, None] * d.profile24[None, :]).reshape(-1)  # 168 hours of a week
        return out

    stacked = np.round(np.vstack([hours(d) for d in demands]), 12)  # (W, 24 or 168)
    columns, counts = np.unique(stacked.T, axis=0, return_counts=True)  # (H, W), (H,)
    for i, d in enumerate(demands):
        d.profile = np.asarray(columns[:, i], dtype=float)
        d.hour_weights = counts.astype(float) / (7.0 if weekly else 1.0)  # average hours per day
        d._hourly = None


def split_demand(d: Demand, percentile: float, days: FloatArray) -> tuple[Demand, Demand]:
    """Split a demand at the load of the day's ``percentile`` hour: (base part, overflow part)."""
    hourly = d.rps_hourly
    w = d.hour_weights
    order = np.argsort(d.profile, kind="stable")
    share = np.cumsum(w[order]) / w.sum()
    if percentile <= 0:
        cap = np.zeros(hourly.shape[:-1])
    else:
        cls = order[min(int(np.searchsorted(share, percentile / 100.0 - 1e-12)), order.size - 1)]
        cap = hourly[..., cls]
    return split_at(d, np.minimum(hourly, cap[..., None]), days)


def split_at(d: Demand, base_rps_hourly: FloatArray, days: FloatArray) -> tuple[Demand, Demand]:
    """Split a demand into the part given per month and hour class [requests/s], shape (S, M, H), and the rest."""
    w = d.hour_weights

    def part(h: FloatArray) -> Demand:
        per_s = h @ w / 24.0
        out = Demand(
            workload=d.workload,
            profile24=d.profile24,
            rps_avg=per_s,
            requests=per_s * 86400.0 * days[None, :],
            profile=d.profile,
            hour_weights=w,
            lengths=d.lengths,
        )
        out._hourly = h
        return out

    return part(base_rps_hourly), part(d.rps_hourly - base_rps_hourly)
