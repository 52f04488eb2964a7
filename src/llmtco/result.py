"""Results: documented dataclasses, JSON-serialisable, with a versioned schema.

``Result.to_dict()`` is the contract behind ``--format json``; bump
``SCHEMA_VERSION`` when a field changes meaning or disappears.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

from llmtco.errors import InternalError

SCHEMA_VERSION = "1.0"


@dataclass
class LineItemResult:
    item: str
    category: str
    """capex or opex."""
    total_usd: float
    monthly_usd: list[float]
    quantity: float
    unit: str
    unit_price_usd: float
    source: str
    notes: str = ""


@dataclass
class WorkloadSizing:
    """How one workload is served by one self-hosted option."""

    workload: str
    tensor_parallel: int
    batch: float
    """Concurrent sequences per replica at the chosen operating point."""
    replicas_peak: int
    """Replicas at the busiest hour of the last month (redundancy included)."""
    requests_per_s_per_replica: float
    output_tokens_per_s_per_replica: float
    tpot_ms: float
    ttft_ms: float
    busy_power_w_per_gpu: float
    weights_gb_per_gpu: float
    precision: str


@dataclass
class FinetuneResult:
    """How one fine-tuning workload runs on one option."""

    workload: str
    method: str
    accelerator: str | None
    gpus: int
    """GPUs one run uses (0 for a hosted API)."""
    runs: float
    tokens_per_run: float
    tokens_trained: float
    gpu_hours_per_run: float
    wall_hours_per_run: float
    gpu_hours: float
    schedule: str
    """idle_hours (in the inference fleet's idle hours), dedicated (added servers), cloud, or api."""
    note: str


@dataclass
class Sizing:
    gpus: int
    """GPUs owned or rented at peak (spares and redundancy included)."""
    servers: int
    """Servers (on-prem) or instances (cloud) at peak."""
    replicas: int
    accelerator: str | None = None
    hardware: str | None = None
    """Server or instance id."""
    peak_it_power_kw: float | None = None
    workloads: list[WorkloadSizing] = field(default_factory=list)


@dataclass
class OptionResult:
    name: str
    kind: str
    excluded: bool = False
    reason: str | None = None
    total_cost_usd: float | None = None
    npv_usd: float | None = None
    capex_usd: float | None = None
    opex_usd: float | None = None
    cost_per_mtok_usd: float | None = None
    """Total cost / million tokens served (input + output)."""
    cost_per_m_output_tok_usd: float | None = None
    line_items: list[LineItemResult] = field(default_factory=list)
    sizing: Sizing | None = None
    energy_mwh: float | None = None
    emissions_tco2e: float | None = None
    avg_utilisation_pct: float | None = None
    """Busy GPU-hours / provisioned GPU-hours over the horizon (self-hosted options)."""
    finetune: list[FinetuneResult] = field(default_factory=list)
    breakeven_month: dict[str, float | None] = field(default_factory=dict)
    breakeven_volume: dict[str, dict[str, float] | None] = field(default_factory=dict)
    """On-prem options only, per cloud/API option: the volume at which both cost the same over the horizon
    (scale factor on every inference workload, tokens per month in the first month, requests per day),
    or null when it is outside 1 %-100 x the scenario's volume."""
    """Per other option: first month from which this option's cumulative cost stays at or
    below the other's (0: from the start; null: not within the horizon)."""
    cumulative_usd: list[float] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass
class WorkloadSummary:
    name: str
    model: str
    requests_per_day_start: float
    input_tokens_total: float
    output_tokens_total: float


@dataclass
class Assumption:
    """One input the evaluation used, with its provenance."""

    scope: str
    """'scenario', or the option name it applies to."""
    name: str
    value: float | str
    unit: str
    source: str
    as_of: str | None = None
    estimate: bool = False


@dataclass
class Result:
    schema_version: str
    metadata: dict[str, Any]
    scenario: str
    horizon_months: int
    start_date: str
    currency: str
    usd_per_currency_unit: float
    discount_rate_pct: float
    workloads: list[WorkloadSummary]
    options: list[OptionResult]
    cheapest: str | None
    """Name of the option with the lowest total cost among those not excluded."""
    warnings: list[str] = field(default_factory=list)
    assumptions: list[Assumption] = field(default_factory=list)

    def option(self, name: str) -> OptionResult:
        for o in self.options:
            if o.name == name:
                return o
        raise KeyError(name)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = _clean(asdict(self))
        return out


def cheapest_of(options: list[OptionResult]) -> str | None:
    """Name of the included option with the lowest total cost; None when every option is excluded.

    A total that is missing or not finite is never ranked: it means the engine
    computed garbage from inputs the schema should have refused, and naming it
    cheapest would lie. That is a bug, raised as ``RankingError`` (exit 1).
    """
    included = [o for o in options if not o.excluded]
    bad = [o.name for o in included if o.total_cost_usd is None or not math.isfinite(o.total_cost_usd)]
    if bad:
        raise InternalError(
            f"cannot rank options: the total cost of {', '.join(map(repr, bad))} is not a finite number"
        )
    return min(included, key=lambda o: float(o.total_cost_usd or 0.0)).name if included else None


def _clean(x: Any) -> Any:
    """Replace NaN/inf by None so the JSON is standard."""
    if isinstance(x, float):
        return None if (math.isnan(x) or math.isinf(x)) else x
    if isinstance(x, dict):
        return {k: _clean(v) for k, v in x.items()}
    if isinstance(x, list):
        return [_clean(v) for v in x]
    return x
