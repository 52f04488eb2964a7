"""Typed results of ``llmtco actuals``: documented dataclasses with units in the names.

A figure that no source measured is ``None`` ("missing"), never zero.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray


@dataclass(frozen=True)
class Problem:
    """Something a source could not give, with where it happened; what was read before it is kept."""

    source: str
    """telemetry, billing or ledger."""
    where: str
    """URL, file or file:line."""
    message: str
    severity: str = "error"
    """error (the CLI exits 2 after reporting) or notice (reported, handled)."""

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


@dataclass
class MonthTelemetry:
    """Measured serving and GPU figures of one calendar month."""

    month: str
    """YYYY-MM."""
    input_tokens: float | None = None
    """Prompt tokens processed [tokens]."""
    output_tokens: float | None = None
    """Generated tokens [tokens]."""
    tokens_by_workload: dict[str, dict[str, float]] = field(default_factory=dict)
    """Workload → {input, output} [tokens]."""
    requests: float | None = None
    """Requests that got a first token (the TTFT histogram's count)."""
    running_seconds: float | None = None
    """Integral of running requests over time [request-seconds]."""
    waiting_seconds: float | None = None
    """Integral of waiting requests over time [request-seconds]."""
    gpu_seconds: float | None = None
    """Observed GPU time: GPUs reporting power × time [GPU-s]."""
    busy_gpu_seconds: float | None = None
    """DCGM_FI_DEV_GPU_UTIL/100 × time, over GPUs [GPU-s]."""
    gpu_energy_j: float | None = None
    """Measured GPU power × time [J] (DCGM_FI_DEV_POWER_USAGE; GPU board only)."""
    fb_mib_seconds: float | None = None
    """GPU memory used × time [MiB-s]."""
    quantiles_ms: dict[str, dict[str, float | None]] = field(default_factory=dict)
    """ttft / tpot → {p50, p90, p99} [ms] from the histograms' monthly increases."""

    def add(self, attr: str, value: float) -> None:
        setattr(self, attr, (getattr(self, attr) or 0.0) + value)

    def add_tokens(self, workload: str, key: str, value: float) -> None:
        self.add(f"{key}_tokens", value)
        per = self.tokens_by_workload.setdefault(workload, {"input": 0.0, "output": 0.0})
        per[key] += value

    @property
    def gpu_hours(self) -> float | None:
        """Observed (provisioned) GPU-hours [GPU-h]."""
        return None if self.gpu_seconds is None else self.gpu_seconds / 3600.0

    @property
    def busy_gpu_hours(self) -> float | None:
        return None if self.busy_gpu_seconds is None else self.busy_gpu_seconds / 3600.0

    @property
    def gpu_energy_kwh(self) -> float | None:
        return None if self.gpu_energy_j is None else self.gpu_energy_j / 3.6e6


@dataclass
class StepSeries:
    """Fleet totals per step interval (by interval start), for recalibration."""

    start_s: NDArray[np.float64]
    """Interval start times [Unix s]."""
    step_s: float
    sums: dict[str, NDArray[np.float64]] = field(default_factory=dict)
    """output_tokens [tokens], running_seconds [request-s], gpu_energy_j [J], gpu_seconds [GPU-s] per interval."""

    @classmethod
    def empty(cls, start_s: float, end_s: float, step_s: float) -> StepSeries:
        n = max(round((end_s - start_s) / step_s), 0)
        return cls(start_s=start_s + step_s * np.arange(n, dtype=float), step_s=step_s)

    def add(self, t0: NDArray[np.float64], values: NDArray[np.float64], key: str) -> None:
        acc = self.sums.setdefault(key, np.zeros(self.start_s.size))
        if self.start_s.size == 0 or t0.size == 0:
            return
        idx = np.round((t0 - self.start_s[0]) / self.step_s).astype(int)
        ok = (idx >= 0) & (idx < acc.size)
        np.add.at(acc, idx[ok], values[ok])

    def get(self, key: str) -> NDArray[np.float64]:
        return self.sums.get(key, np.zeros(self.start_s.size))


@dataclass
class Telemetry:
    """What the serving and GPU telemetry measured."""

    source: str
    engine: str
    step_s: float
    """Query resolution [s]."""
    months: dict[str, MonthTelemetry]
    steps: StepSeries
    gpus_seen: int
    """Distinct GPUs (Hostname, gpu, UUID) in the DCGM series."""
    complete_until_s: float | None = None
    """Every query answered up to this time [Unix s]; a month reaching past it is partial."""
    problems: list[Problem] = field(default_factory=list)


@dataclass(frozen=True)
class CostRecord:
    """One cost line read from a bill or the ledger."""

    month: str
    """YYYY-MM the cost is booked to (FOCUS: the month of ChargePeriodStart)."""
    item: str
    """Ledger item (``llmtco.costing.ledger.ITEMS``)."""
    amount: float
    """Amount in ``currency``."""
    currency: str
    amount_usd: float
    """Amount converted at the catalog's FX rate [USD]."""
    source: str
    """file:line it came from."""
    note: str = ""


@dataclass
class ItemComparison:
    """One line item of one month: plan beside actual."""

    item: str
    category: str
    """capex or opex."""
    plan_usd: float
    actual_usd: float | None
    """None: no source reported this item for the month."""
    sources: list[str] = field(default_factory=list)
    """Where the actual came from (files, or ``telemetry × tariff`` for energy)."""


@dataclass
class Variance:
    """Gap between actual and plan cost of the compared items, split into effects that sum to it exactly.

    Cost = tokens / (tokens per busy GPU-h × utilisation) × cost per provisioned GPU-h; the effects
    substitute actual for planned values one at a time in that order (volume, efficiency,
    utilisation, price). Options without GPU-hours (an API) have volume and price effects only.
    """

    plan_usd: float
    actual_usd: float
    volume_usd: float
    """Effect of serving more or fewer tokens than planned [USD]."""
    efficiency_usd: float | None
    """Effect of more or fewer tokens per busy GPU-hour than planned [USD]."""
    utilisation_usd: float | None
    """Effect of busy / provisioned GPU-hours differing from plan [USD]."""
    price_usd: float
    """Effect of the cost per provisioned GPU-hour (or per token) differing from plan [USD]."""

    @property
    def total_usd(self) -> float:
        return self.actual_usd - self.plan_usd


@dataclass
class MonthComparison:
    """One month: plan beside actual."""

    month: str
    plan_month_index: int | None
    """0-based month of the plan's horizon (None: outside it)."""
    status: str
    """complete, partial (some items or telemetry missing) or missing (no source has data)."""
    missing: list[str] = field(default_factory=list)
    """What no source reported for this month."""
    plan: dict[str, float | None] = field(default_factory=dict)
    """input_tokens, output_tokens, requests, gpu_hours, busy_gpu_hours, utilisation_pct, energy_kwh,
    energy_cost_usd, cost_usd (all items), cost_usd_per_mtok."""
    actual: dict[str, float | None] = field(default_factory=dict)
    """The same keys, measured (None: missing), plus gpu_util_dcgm_pct, gpu_power_w [W per GPU] and
    gpu_memory_used_gib [GiB per GPU]; cost_usd sums only the items with actuals."""
    items: list[ItemComparison] = field(default_factory=list)
    slo: dict[str, dict[str, float | None]] = field(default_factory=dict)
    """ttft / tpot → {target_ms (the SLO), plan_ms (the plan's operating point), p50, p90, p99 (measured)} [ms]."""
    variance: Variance | None = None
    """None when the month has no cost or no token actuals."""


@dataclass
class Recalibration:
    """Efficiency factors refitted to the measured throughput and power, and what they change."""

    profile_path: str
    efficiency_id: str
    """Catalog efficiency record the profile replaces (what the option's plan looks up)."""
    observed_batch: float
    """Mean running requests per replica in the busiest steps used [sequences]."""
    observed_output_tok_s_per_gpu: float
    observed_power_w_per_gpu: float
    planned_output_tok_s_per_gpu: float
    """The plan's prediction at the observed batch, before the refit."""
    recalibrated_output_tok_s_per_gpu: float
    planned_power_w_per_gpu: float
    recalibrated_power_w_per_gpu: float
    factors_before: dict[str, float]
    factors_after: dict[str, float]
    forecast_months: int
    """Months of the horizon after the last measured month."""
    forecast_cost_usd_before: float
    forecast_cost_usd_after: float
    forecast_energy_kwh_before: float | None
    forecast_energy_kwh_after: float | None
    gpus_before: int | None
    gpus_after: int | None


@dataclass
class ActualsResult:
    """Plan against actual for one option over a date range."""

    scenario: str
    option: str
    kind: str
    currency: str
    usd_per_currency_unit: float
    date_from: str
    date_to: str
    """Inclusive last day."""
    sources: list[str]
    months: list[MonthComparison]
    totals: dict[str, dict[str, float | None]]
    """plan / actual → sums over the months where the actual is present (like for like)."""
    variance: Variance | None
    """Over all months that have one."""
    assumptions: list[str] = field(default_factory=list)
    """Rates and conventions used (PUE, tariff, host power), with their sources."""
    problems: list[Problem] = field(default_factory=list)
    recalibration: Recalibration | None = None
