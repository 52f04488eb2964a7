"""Results: documented dataclasses, JSON-serialisable, with a versioned schema.

``Result.to_dict()`` is the contract behind ``--format json``; bump
``SCHEMA_VERSION`` when a field changes meaning or disappears. Amounts are in
USD whatever the scenario's currency (``usd_per_currency_unit`` converts);
"first sample" figures are what a plain evaluation reports.

2.0: line items carry their quantity per month and a unit price that multiply
to the amount (or none); ``cost_per_m_output_tok_usd`` became
``cost_per_output_mtok_usd``; ``unmet_demand`` on options a fixed fleet cannot
carry the load of.

2.1: ``sizing.workloads[].layout`` (``ServingLayout``): the chosen parallel
layout (tp/ep/pp/dp, GPUs per replica) and, for disaggregated prefill/decode
serving, its two pools; ``tensor_parallel`` keeps its meaning (GPUs per replica).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

SCHEMA_VERSION = "2.1"


@dataclass
class LineItemResult:
    """One cost item of one option (first sample)."""

    item: str
    """Ledger item name (``costing.ledger.ITEMS``)."""
    category: str
    """capex or opex."""
    total_usd: float
    """Amount over the horizon [USD]."""
    monthly_usd: list[float]
    """Amount per month [USD], one value per month of the horizon."""
    quantity: float | None
    """Units over the horizon, in ``unit`` (None: an amount-only item such as loan interest)."""
    unit: str | None
    """What the quantity counts (kWh, GPU-hours, FTE-months, servers bought, ...)."""
    unit_price_usd: float | None
    """USD per unit over the horizon: quantity x unit price = total (quantity-weighted mean where the price
    changes from month to month)."""
    monthly_quantity: list[float] | None
    """Units per month, in ``unit``."""
    monthly_unit_price_usd: list[float] | None
    """USD per unit in each month: monthly quantity x monthly unit price = monthly amount."""
    source: str
    """Where the unit price came from (catalog record, rate, scenario field)."""
    notes: str = ""
    """How the item was computed, in words."""


@dataclass
class PoolLayout:
    """One pool of a serving layout: the only one when colocated, prefill or decode when disaggregated."""

    role: str
    """``colocated``, ``prefill`` or ``decode``."""
    label: str
    """Short name of the instance layout, e.g. ``TP8``, ``EP16 (DP16 attention)``, ``TP8 x PP2``."""
    tp: int
    """Tensor-parallel degree of attention and dense weights [count]."""
    ep: int
    """Expert-parallel degree: GPUs the routed experts are sharded over, per stage (1: none) [count]."""
    pp: int
    """Pipeline stages [count]."""
    dp: int
    """Data-parallel attention ranks per stage (1 without EP) [count]."""
    gpus_per_instance: int
    """GPUs of one instance of the pool [count]."""
    instances: int
    """Instances of this pool in one replica [count]."""


@dataclass
class ServingLayout:
    """How one replica of a workload is laid out over GPUs (``sizing.layouts``, ``sizing.disaggregated``)."""

    label: str
    """``TP8``, ``EP16 (DP16 attention)`` or ``6 x EP8 (DP8 attention) prefill : 7 x EP8 (DP8 attention) decode``."""
    disaggregated: bool
    """True when prefill and decode run in separate pools."""
    gpus_per_replica: int
    """GPUs of one replica, all pools [count] (= ``WorkloadSizing.tensor_parallel``)."""
    tp: int
    """Tensor-parallel degree of the colocated (or decode) pool [count]."""
    ep: int
    """Expert-parallel degree of the colocated (or decode) pool [count]."""
    pp: int
    """Pipeline stages of the colocated (or decode) pool [count]."""
    dp: int
    """Data-parallel attention ranks of the colocated (or decode) pool [count]."""
    pools: list[PoolLayout]
    """One ``colocated`` pool, or a ``prefill`` and a ``decode`` pool."""
    kv_transfer_ms: float | None = None
    """One prompt's KV cache sent from the prefill to the decode pool [ms] (None: colocated)."""


@dataclass
class WorkloadSizing:
    """How one workload is served by one self-hosted option (first sample)."""

    workload: str
    """Workload name."""
    tensor_parallel: int
    """GPUs per replica [count]."""
    batch: float
    """Concurrent sequences per replica at the chosen operating point [sequences]."""
    replicas_peak: int
    """Replicas at the busiest hour of the last month, redundancy included [count]."""
    requests_per_s_per_replica: float
    """Requests one replica completes per second at the operating point [requests/s]."""
    output_tokens_per_s_per_replica: float
    """Output tokens one replica generates per second [tokens/s]."""
    tpot_ms: float
    """Time per output token at the operating point [ms]."""
    ttft_ms: float
    """Time to first token at the operating point [ms]."""
    busy_power_w_per_gpu: float
    """Power of one GPU while serving [W]."""
    weights_gb_per_gpu: float
    """Model weights held by one GPU [GB]."""
    precision: str
    """Weight precision (bf16, fp8, fp4, int4, ...)."""
    layout: ServingLayout | None = None
    """The parallel layout of a replica (schema 2.1)."""


@dataclass
class FinetuneResult:
    """How one fine-tuning workload runs on one option."""

    workload: str
    """Workload name."""
    method: str
    """full, lora or qlora."""
    accelerator: str | None
    """Catalog accelerator id (None for a hosted API)."""
    gpus: int
    """GPUs one run uses [count] (0 for a hosted API)."""
    runs: float
    """Runs over the horizon [count]."""
    tokens_per_run: float
    """Training tokens per run [tokens]."""
    tokens_trained: float
    """Training tokens over the horizon [tokens]."""
    gpu_hours_per_run: float
    """GPU-hours of one run [GPU-h]."""
    wall_hours_per_run: float
    """Wall-clock hours of one run [h]."""
    gpu_hours: float
    """GPU-hours over the horizon [GPU-h]."""
    schedule: str
    """idle_hours (in the inference fleet's idle hours), dedicated (added servers), cloud, or api."""
    note: str
    """How the runs are scheduled, in words."""


@dataclass
class Sizing:
    """What a self-hosted option owns or rents (first sample, last month)."""

    gpus: int
    """GPUs owned or rented at peak, spares and redundancy included [count]."""
    servers: int
    """Servers (on-prem) or instances (cloud) at peak [count]."""
    replicas: int
    """Replicas of all workloads at the busiest hour [count]."""
    accelerator: str | None = None
    """Catalog accelerator id."""
    hardware: str | None = None
    """Server or instance id."""
    peak_it_power_kw: float | None = None
    """Nameplate power of the servers at the end of the horizon [kW] (on-prem)."""
    workloads: list[WorkloadSizing] = field(default_factory=list)
    """Per inference workload."""


@dataclass
class UnmetDemand:
    """Load a fixed fleet cannot carry (``servers:`` or ``instances:`` set below what the load needs)."""

    requests: list[float]
    """Requests not served per month [requests]."""
    tokens: list[float]
    """Input + output tokens not served per month [tokens]."""
    share_pct: float
    """Share of the horizon's requests not served [%]."""


@dataclass
class OptionResult:
    """One option's costs and figures (first sample)."""

    name: str
    """Option name."""
    kind: str
    """onprem, cloud_gpu, api or hybrid."""
    excluded: bool = False
    """True when constraints exclude the option or it cannot serve the workloads."""
    reason: str | None = None
    """Why it was excluded."""
    total_cost_usd: float | None = None
    """All line items over the horizon [USD]."""
    npv_usd: float | None = None
    """Net present value of the monthly costs at the scenario's discount rate [USD]."""
    capex_usd: float | None = None
    """CapEx line items over the horizon, net of the residual-value credit [USD]."""
    opex_usd: float | None = None
    """OpEx line items over the horizon [USD]."""
    cost_per_mtok_usd: float | None = None
    """Total cost per million tokens served, input + output [USD/Mtok]."""
    cost_per_output_mtok_usd: float | None = None
    """Total cost per million output tokens served, the unit most published figures use [USD/Mtok]."""
    line_items: list[LineItemResult] = field(default_factory=list)
    """Every cost item; they sum to the total."""
    sizing: Sizing | None = None
    """What is owned or rented (self-hosted options)."""
    energy_mwh: float | None = None
    """Energy over the horizon, cooling included [MWh] (self-hosted options)."""
    emissions_tco2e: float | None = None
    """Emissions of that energy at the region's grid intensity [t CO2e]."""
    avg_utilisation_pct: float | None = None
    """Busy GPU-hours / provisioned GPU-hours over the horizon [%] (self-hosted options; at most 100)."""
    finetune: list[FinetuneResult] = field(default_factory=list)
    """Per fine-tuning workload."""
    breakeven_month: dict[str, float | None] = field(default_factory=dict)
    """Per other option: first month from which this option's cumulative cost stays at or below the
    other's [month] (0: from the start; null: not within the horizon)."""
    breakeven_volume: dict[str, dict[str, float] | None] = field(default_factory=dict)
    """On-prem options only, per cloud/API option: the volume at which both cost the same over the horizon
    (``scale`` [x] on every inference workload, ``tokens_per_month`` in the first month, ``requests_per_day``),
    or null when it is outside 1 %-100 x the scenario's volume (``analysis.breakeven``)."""
    cumulative_usd: list[float] = field(default_factory=list)
    """Cumulative cost at the end of each month [USD]."""
    unmet_demand: UnmetDemand | None = None
    """Load the option's fixed fleet cannot carry (the option is then excluded)."""
    notes: list[str] = field(default_factory=list)
    """Assumptions worth reading beside the numbers."""


@dataclass
class WorkloadSummary:
    """One inference workload over the horizon (first sample)."""

    name: str
    """Workload name."""
    model: str
    """Catalog model id."""
    requests_per_day_start: float
    """Requests per day in the first month [requests/day]."""
    input_tokens_total: float
    """Input tokens over the horizon [tokens]."""
    output_tokens_total: float
    """Output tokens over the horizon [tokens]."""


@dataclass
class Assumption:
    """One input the evaluation used, with its provenance."""

    scope: str
    """'scenario', or the option name it applies to."""
    name: str
    """Field, record or rate name."""
    value: float | str
    """Its value, in ``unit``."""
    unit: str
    """Unit of the value."""
    source: str
    """Where the value comes from."""
    as_of: str | None = None
    """Date of the source (ISO)."""
    estimate: bool = False
    """True when no public source gives the figure and it is an estimate (the source says why)."""


@dataclass
class Result:
    """A scenario's options compared (``evaluate``; ``compare`` adds break-even volumes)."""

    schema_version: str
    """Version of this document's shape (``SCHEMA_VERSION``)."""
    metadata: dict[str, Any]
    """Tool and genai-prices versions, catalog as-of range, overlays, samples, seed, generation time."""
    scenario: str
    """Scenario name."""
    horizon_months: int
    """Planning horizon [months]."""
    start_date: str
    """First month (ISO date)."""
    currency: str
    """Currency of the tables (amounts in this document are USD)."""
    usd_per_currency_unit: float
    """USD per unit of ``currency`` (the explicit rate in fx.yaml)."""
    discount_rate_pct: float
    """Discount rate for NPV [%/year]."""
    workloads: list[WorkloadSummary]
    """Inference workloads."""
    options: list[OptionResult]
    """Every option, excluded ones with their reason."""
    cheapest: str | None
    """Name of the option with the lowest total cost among those not excluded."""
    warnings: list[str] = field(default_factory=list)
    """Stale catalog records the scenario uses, and similar cautions."""
    assumptions: list[Assumption] = field(default_factory=list)
    """Every input with its value, unit, source and date."""

    def option(self, name: str) -> OptionResult:
        for o in self.options:
            if o.name == name:
                return o
        raise KeyError(name)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = _clean(asdict(self))
        return out


def _clean(x: Any) -> Any:
    """Replace NaN/inf by None so the JSON is standard."""
    if isinstance(x, float):
        return None if (math.isnan(x) or math.isinf(x)) else x
    if isinstance(x, dict):
        return {k: _clean(v) for k, v in x.items()}
    if isinstance(x, list):
        return [_clean(v) for v in x]
    return x
