"""Typed catalog records. Every record carries ``source`` and ``as_of``.

Every number is finite (``allow_inf_nan=False``) and the physical quantities
have sane upper bounds, so an overlay record with ``inf`` or ``1e308`` is
refused with the field named; a rate must lie in its ``RATE_LIMITS`` range.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

_DATE = re.compile(r"^(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?")


def parse_as_of(value: object) -> dt.date:
    """Read an as-of date written as YYYY, YYYY-MM or YYYY-MM-DD (or a date)."""
    if isinstance(value, dt.date):
        return value
    if isinstance(value, int):
        value = str(value)
    if not isinstance(value, str):
        raise ValueError("as_of must be a date: YYYY, YYYY-MM or YYYY-MM-DD")
    m = _DATE.match(value.strip())
    if not m:
        raise ValueError(f"as_of {value!r} is not a date: write YYYY, YYYY-MM or YYYY-MM-DD")
    year, month, day = int(m.group(1)), int(m.group(2) or 1), int(m.group(3) or 1)
    return dt.date(year, month, day)


def not_bool(value: object) -> object:
    """Refuse ``true``/``false`` where a number is expected (pydantic would read them as 1 and 0)."""
    if isinstance(value, bool):
        raise ValueError("expected a number, not true/false")
    return value


Num = Annotated[float, BeforeValidator(not_bool)]
"""A float that is not a boolean in disguise."""
Int = Annotated[int, BeforeValidator(not_bool)]
"""An int that is not a boolean in disguise."""

AsOf = Annotated[dt.date, BeforeValidator(parse_as_of), Field(ge=dt.date(1990, 1, 1), le=dt.date(2100, 1, 1))]
NonNeg = Annotated[Num, Field(ge=0, le=1e12)]
"""A non-negative quantity or price, at most 10^12 in its unit."""
Positive = Annotated[Num, Field(gt=0, le=1e12)]

RATE_LIMITS: dict[str, tuple[float, float]] = {
    "maintenance_pct_per_year": (0, 100),
    "software_licence_usd_per_gpu_year": (0, 10_000_000),
    "colocation_usd_per_kw_month": (0, 100_000),
    "facility_buildout_usd_per_kw": (0, 1_000_000),
    "facility_life_years": (1, 100),
    "hardware_life_years": (0.5, 30),
    "network_fabric_pct_of_servers": (0, 100),
    "storage_tb_per_server": (0, 100_000),
    "storage_usd_per_tb": (0, 100_000),
    "racks_installation_usd_per_server": (0, 10_000_000),
    "insurance_pct_per_year": (0, 100),
    "salary_overhead_factor": (1, 5),
    "onprem_fte_base": (0, 100_000),
    "onprem_servers_per_fte": (0.01, 1_000_000),
    "cloud_fte_base": (0, 100_000),
    "cloud_instances_per_fte": (0.01, 1_000_000),
    "api_fte": (0, 100_000),
    "software_update_hours_per_server_month": (0, 744),
    "engineer_hours_per_year": (1, 8784),
    "internet_transit_usd_per_month": (0, 100_000_000),
    "network_fte": (0, 100_000),
    "cloud_egress_usd_per_gb": (0, 100),
    "bytes_per_token_egress": (0, 1_000_000),
    "cloud_pue": (1, 3),
    "spot_interruption_overhead_pct": (0, 100),
    "stale_after_months": (1, 1200),
    "cloud_price_change_pct_per_year": (-90, 100),
    "api_price_change_pct_per_year": (-90, 100),
    "hardware_price_change_pct_per_year": (-90, 100),
}
"""Physical range of each rate the engine reads, inclusive: shares 0-100 %, counts and prices >= 0,
divisors (servers per FTE) > 0, hours within a month or a year, a PUE between 1 and 3, price trends
-90 % to +100 % a year (the same bounds as the scenario's price_change_pct_per_year fields)."""
OTHER_RATE_LIMITS = (-1e12, 1e12)
"""Range of a rate id the engine does not read (an overlay may add its own)."""


def rate_problem(rate_id: str, value: float) -> str | None:
    """Why ``value`` is not allowed for rate ``rate_id``, or None."""
    lo, hi = RATE_LIMITS.get(rate_id, OTHER_RATE_LIMITS)
    if not math.isfinite(value) or not lo <= value <= hi:
        return f"rate {rate_id} must be a finite number from {lo:g} to {hi:g}; got {value!r}"
    return None


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class Sourced(_Strict):
    """One number with its own provenance."""

    value: NonNeg
    range: tuple[NonNeg, NonNeg] | None = None
    """Low and high values seen across sources, kept for uncertainty analysis."""
    source: str = Field(min_length=3)
    as_of: AsOf
    estimate: bool = False
    unit: str = ""
    notes: str = ""

    @model_validator(mode="after")
    def _ordered(self) -> Sourced:
        if self.range is not None and self.range[0] > self.range[1]:
            raise ValueError(f"range must be [low, high] with low <= high; got {list(self.range)}")
        return self


class Record(_Strict):
    """Base of every catalog record."""

    id: str = Field(min_length=1)
    source: str = Field(min_length=3)
    as_of: AsOf
    estimate: bool = False
    notes: str = ""
    overlay: bool = False
    """True when the record came from a user overlay file."""


class Accelerator(Record):
    name: str
    vendor: str
    form_factor: Literal["sxm", "pcie", "oam"]
    vram_gb: Positive
    """Memory per GPU as the vendor quotes it: binary, so "80 GB" is 80 GiB [GiB]."""
    hbm_bandwidth_tb_s: Positive
    """Peak memory bandwidth [TB/s, decimal]."""
    tflops_dense: dict[str, Positive]
    """Dense tensor throughput per compute precision [TFLOP/s]."""
    tdp_w: Positive
    interconnect: str
    interconnect_gb_s: Positive
    """Scale-up bandwidth per GPU, one direction [GB/s]."""
    idle_w: Sourced
    unit_price_usd: Sourced

    @property
    def memory_gb(self) -> float:
        """Memory per GPU in decimal GB, the unit of every memory formula: ``vram_gb`` x 2^30 / 1e9 [GB].

        Vendors quote HBM capacity in binary units (an H100 SXM's "80 GB" is 80 GiB; ``llmtco measure``
        read 85.52 GB from NVML on one: ``examples/calibration/h100-sxm-measured.json``).
        """
        return float(self.vram_gb) * 2**30 / 1e9

    @model_validator(mode="after")
    def _needs_bf16(self) -> Accelerator:
        if "bf16" not in self.tflops_dense:
            raise ValueError("tflops_dense must give bf16")
        return self


class Server(Record):
    name: str
    accelerator: str
    gpus: int = Field(ge=1, le=72)
    """GPUs in the system; a rack-scale NVLink domain (GB200/GB300 NVL72) is one system of 72."""
    price_usd: NonNeg | None = None
    """Whole system with GPUs; null means priced from parts (chassis + GPUs)."""
    price_range_usd: tuple[NonNeg, NonNeg] | None = None
    chassis_usd: NonNeg | None = None
    non_gpu_power_w: NonNeg
    rack_units: int = Field(ge=1, le=10_000_000)

    @model_validator(mode="after")
    def _priced(self) -> Server:
        if self.price_usd is None and self.chassis_usd is None:
            raise ValueError("give price_usd (whole system) or chassis_usd (priced from parts)")
        return self


PricingModel = Literal["on_demand", "reserved_1y", "reserved_3y", "spot"]


class PricePoint(_Strict):
    """An earlier list price of a cloud instance, in force from ``from`` until the next one took effect."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    from_date: AsOf = Field(alias="from")
    """First day this price was in force."""
    usd_per_gpu_h: NonNeg
    source: str = Field(min_length=3)
    as_of: AsOf
    """When the source observed this price."""


class CloudPrice(_Strict):
    model: PricingModel
    usd_per_gpu_h: NonNeg
    """The current price [USD/GPU-h]."""
    as_of: AsOf
    source: str = Field(min_length=3)
    since: AsOf | None = None
    """First day the current price was in force (needed when ``history`` is given)."""
    history: list[PricePoint] = Field(default_factory=list)
    """Earlier prices, so a plan can be priced at the rate of its start date."""

    @model_validator(mode="after")
    def _dated_history(self) -> CloudPrice:
        if self.history and self.since is None:
            raise ValueError("a price with history needs since: the day the current price took effect")
        if any(self.since is not None and h.from_date >= self.since for h in self.history):
            raise ValueError("every history entry must start before since")
        return self

    def on(self, day: dt.date) -> CloudPrice:
        """This price as it stood on ``day``: the history entry in force then, or the current price.

        Before the first recorded date the earliest known price is used.
        """
        if not self.history or self.since is None or day >= self.since:
            return self
        past = sorted(self.history, key=lambda h: h.from_date)
        chosen = past[0]
        for h in past:
            if h.from_date <= day:
                chosen = h
        return CloudPrice(
            model=self.model, usd_per_gpu_h=chosen.usd_per_gpu_h, as_of=chosen.as_of, source=chosen.source
        )


class CloudInstance(Record):
    provider: str
    instance: str
    accelerator: str
    gpus: int = Field(ge=1, le=16)
    region: str
    jurisdiction: str
    prices: list[CloudPrice] = Field(min_length=1)

    def price(self, model: str, on: dt.date | None = None) -> CloudPrice | None:
        """The price under a pricing model; with ``on``, the price in force that day (price history)."""
        for p in self.prices:
            if p.model == model:
                return p if on is None else p.on(on)
        return None


class StaticTokenPrices(_Strict):
    input_usd_per_mtok: NonNeg
    output_usd_per_mtok: NonNeg
    cached_input_usd_per_mtok: NonNeg | None = None


class FinetunePrices(_Strict):
    """A provider's fine-tuning offer for a model."""

    training_usd_per_mtok: NonNeg
    """Per million trained tokens (dataset tokens x epochs)."""
    methods: tuple[Literal["full", "lora", "qlora"], ...] = ("lora",)
    """Methods the price covers (a provider's managed tuning counts as any of them)."""
    input_usd_per_mtok: NonNeg | None = None
    """Inference price of the fine-tuned model (null: the base model's price)."""
    output_usd_per_mtok: NonNeg | None = None
    hosting_usd_per_month: NonNeg = 0.0
    source: str = Field(min_length=3)
    as_of: AsOf
    estimate: bool = False


class ApiOffering(Record):
    provider: str
    genai_provider: str | None = None
    """Provider id in genai-prices; null when the catalog gives the prices."""
    model_ref: str
    model: str | None = None
    """Catalog model id served, when the API serves an open-weight model."""
    jurisdiction: str
    prices: StaticTokenPrices | None = None
    finetune: FinetunePrices | None = None

    @model_validator(mode="after")
    def _priced(self) -> ApiOffering:
        if self.genai_provider is None and self.prices is None:
            raise ValueError("give genai_provider (prices from genai-prices) or a prices block")
        return self


class Model(Record):
    name: str
    params_b: Positive
    active_params_b: Positive | None = None
    layers: int = Field(ge=1, le=10_000_000)
    hidden: int = Field(ge=1, le=10_000_000)
    heads: int = Field(ge=1, le=10_000_000)
    kv_heads: int = Field(ge=1, le=10_000_000)
    head_dim: int = Field(ge=1, le=10_000_000)
    ffn: int = Field(ge=1, le=10_000_000)
    vocab: int = Field(ge=1, le=10_000_000)
    experts: int = Field(default=1, ge=1, le=100_000)
    """Routed experts per MoE layer (1: dense)."""
    active_experts: int = Field(default=1, ge=1, le=100_000)
    """Routed experts each token uses per MoE layer."""
    shared_experts: int = Field(default=0, ge=0, le=100_000)
    """Experts every token uses per MoE layer besides the routed ones (DeepSeek, Llama 4, Qwen2-MoE)."""
    moe_layers: int | None = Field(default=None, ge=0, le=10_000_000)
    """Layers with a MoE FFN; null: every layer when experts > 1 (DeepSeek: layers - first_k_dense_replace)."""
    attention: Literal["gqa", "mla"] = "gqa"
    kv_lora_rank: int | None = None
    qk_rope_head_dim: int | None = None
    sliding_window: int | None = None
    sliding_window_layers: int = 0
    context_max: int = Field(ge=1, le=1_000_000_000)
    default_precision: str = "bf16"
    tie_word_embeddings: bool = False
    """The LM head shares the input embedding matrix (config.json ``tie_word_embeddings``)."""

    @property
    def active_b(self) -> float:
        return self.active_params_b if self.active_params_b is not None else self.params_b

    @model_validator(mode="after")
    def _consistent(self) -> Model:
        if self.attention == "mla" and (self.kv_lora_rank is None or self.qk_rope_head_dim is None):
            raise ValueError("mla attention needs kv_lora_rank and qk_rope_head_dim")
        if self.active_experts > self.experts:
            raise ValueError("active_experts cannot exceed experts")
        if self.sliding_window_layers > self.layers:
            raise ValueError("sliding_window_layers cannot exceed layers")
        if self.moe_layers is not None and self.moe_layers > self.layers:
            raise ValueError("moe_layers cannot exceed layers")
        return self


class Region(Record):
    name: str
    country: str
    jurisdiction: str
    electricity_usd_per_kwh: Sourced
    grid_kgco2e_per_kwh: Sourced
    pue: Sourced
    engineer_salary_usd_per_year: Sourced


class Rate(Record):
    value: float
    unit: str
    range: tuple[float, float] | None = None

    @model_validator(mode="after")
    def _allowed(self) -> Rate:
        for v in (self.value, *(self.range or ())):
            problem = rate_problem(self.id, v)
            if problem is not None:
                raise ValueError(problem)
        if self.range is not None and self.range[0] > self.range[1]:
            raise ValueError(f"range must be [low, high] with low <= high; got {list(self.range)}")
        return self


class Fx(Record):
    usd_per_unit: Positive


class Efficiency(Record):
    """Fitted efficiency factors of the performance model for one accelerator."""

    decode_bandwidth_efficiency: Annotated[float, Field(gt=0, le=1)]
    """Achieved / peak HBM bandwidth while decoding (MBU)."""
    prefill_compute_efficiency: Annotated[float, Field(gt=0, le=1)]
    """Achieved / peak dense FLOP/s during prefill (MFU)."""
    decode_compute_efficiency: Annotated[float, Field(gt=0, le=1)]
    """Achieved / peak dense FLOP/s for the compute part of a decode step."""
    train_compute_efficiency: Annotated[float, Field(gt=0, le=1)]
    step_overhead_ms: NonNeg
    """Kernel-launch time per forward step of a 32-layer model, scaled by the model's layer count [ms]."""
    per_sequence_overhead_us: NonNeg = 10.0
    """Time per running sequence per step outside the GPU kernels: sampling, scheduling, detokenising [us]."""
    allreduce_latency_us: NonNeg
    """Latency of one tensor-parallel all-reduce [us]."""
    power_activity_floor: Annotated[float, Field(ge=0, le=1)]
    """Share of the idle-to-TDP range drawn by a busy but memory-bound GPU."""
    ttft_queue_steps: NonNeg = 1.0
    """Steps between a prompt's last prefill chunk and its first token, on top of queueing and prefill."""
    scheduler_ms_per_step: NonNeg = 0.0
    """Serving layer: host time per engine step outside the GPU kernels (scheduling, sampling) [ms]."""
    mixed_step_efficiency: Annotated[float, Field(gt=0, le=1)] = 1.0
    """Serving layer: kernel-level step time / achieved step time with prefill chunks mixed into decode."""
    engine_prefill_efficiency: Annotated[float, Field(gt=0, le=2)] = 1.0
    """Serving layer: the prompt FLOP/s a serving stack's prefill kernels reach, over the step layer's
    ``prefill_compute_efficiency`` (MoE grouped GEMMs, quantised-weight and attention kernels of real
    models, not the step layer's dense stack) [1]; fitted on TTFT, 1 where no row says otherwise."""
    moe_prefill_half_tokens: NonNeg = 0.0
    """Serving layer of MoE models only: tokens per routed expert at which a prompt chunk's expert GEMMs
    reach half their large-GEMM FLOP/s [tokens]; 0: no such loss."""
    stack_step_ms: NonNeg = 0.0
    """Serving layer of MoE models only: time per engine step a serving stack adds beyond the layout
    physics (MoE and MLA kernel launches, DP-attention balancing) [ms]; fitted on published MoE decode rows
    (``calibration.stack_step``), 0 where no MoE row says otherwise."""
    fitted_on: int = 0
    """Number of measurements the factors were fitted on (0 = prior only)."""
