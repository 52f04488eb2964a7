"""Typed catalog records. Every record carries ``source`` and ``as_of``."""

from __future__ import annotations

import datetime as dt
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


AsOf = Annotated[dt.date, BeforeValidator(parse_as_of)]
NonNeg = Annotated[float, Field(ge=0)]
Positive = Annotated[float, Field(gt=0)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


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

    @model_validator(mode="after")
    def _needs_bf16(self) -> Accelerator:
        if "bf16" not in self.tflops_dense:
            raise ValueError("tflops_dense must give bf16")
        return self


class Server(Record):
    name: str
    accelerator: str
    gpus: int = Field(ge=1, le=16)
    price_usd: NonNeg | None = None
    """Whole system with GPUs; null means priced from parts (chassis + GPUs)."""
    price_range_usd: tuple[NonNeg, NonNeg] | None = None
    chassis_usd: NonNeg | None = None
    non_gpu_power_w: NonNeg
    rack_units: int = Field(ge=1)

    @model_validator(mode="after")
    def _priced(self) -> Server:
        if self.price_usd is None and self.chassis_usd is None:
            raise ValueError("give price_usd (whole system) or chassis_usd (priced from parts)")
        return self


PricingModel = Literal["on_demand", "reserved_1y", "reserved_3y", "spot"]


class CloudPrice(_Strict):
    model: PricingModel
    usd_per_gpu_h: NonNeg
    as_of: AsOf
    source: str = Field(min_length=3)


class CloudInstance(Record):
    provider: str
    instance: str
    accelerator: str
    gpus: int = Field(ge=1, le=16)
    region: str
    jurisdiction: str
    prices: list[CloudPrice] = Field(min_length=1)

    def price(self, model: str) -> CloudPrice | None:
        for p in self.prices:
            if p.model == model:
                return p
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
    layers: int = Field(ge=1)
    hidden: int = Field(ge=1)
    heads: int = Field(ge=1)
    kv_heads: int = Field(ge=1)
    head_dim: int = Field(ge=1)
    ffn: int = Field(ge=1)
    vocab: int = Field(ge=1)
    experts: int = Field(default=1, ge=1)
    active_experts: int = Field(default=1, ge=1)
    attention: Literal["gqa", "mla"] = "gqa"
    kv_lora_rank: int | None = None
    qk_rope_head_dim: int | None = None
    sliding_window: int | None = None
    sliding_window_layers: int = 0
    context_max: int = Field(ge=1)
    default_precision: str = "bf16"

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
    fitted_on: int = 0
    """Number of measurements the factors were fitted on (0 = prior only)."""
