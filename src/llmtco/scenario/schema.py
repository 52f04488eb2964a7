"""The scenario file: typed, documented, with units in the field names.

Every field has a default where a sensible one exists; the JSON Schema that
``llmtco schema`` prints is generated from these models.

Every number is finite (``allow_inf_nan=False`` on every model) and bounded by
its physical range: shares 0-100 %, rates non-negative, volumes within what
the largest services serve, dates within ``START_DATE_RANGE``. Lists are
capped (``MAX_WORKLOADS``, ``MAX_OPTIONS``, ...) so a scenario stays a
scenario. Errors name the field and the allowed range.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Annotated, Literal

from pydantic import (
    Discriminator,
    Field,
    PrivateAttr,
    Tag,
    ValidationInfo,
    model_validator,
)

from llmtco.catalog.records import Int, Num
from llmtco.scenario.distributions import Dist
from llmtco.scenario.fields import (
    MAX_OPTIONS,
    MAX_WORKLOADS,
    START_DATE_RANGE,
    FilePath,
    Label,
    Labels,
    ModelRef,
    ProfileValue,
    Share,
    Tokens,
    _Model,
)

DISTRIBUTIONS = "distributions"
"""Validation-context key under which the loader passes the distributions it took out of the fields."""


class Assumptions(_Model):
    """Horizon, money and place."""

    horizon_months: Int = Field(36, ge=1, le=180, description="Planning horizon [months].")
    start_date: dt.date = Field(
        dt.date(2027, 1, 1),
        ge=START_DATE_RANGE[0],
        le=START_DATE_RANGE[1],
        description="First month of the horizon; prices are looked up at this date (2000-01-01 to 2100-01-01).",
    )
    currency: Literal["USD", "EUR"] = Field(
        "USD", description="Currency of the printed table. JSON amounts stay in USD (keys end in _usd)."
    )
    discount_rate_pct: Num = Field(8.0, ge=0, le=100, description="Annual discount rate for NPV [%].")
    region: Label = Field("us-average", description="Default site region (catalog `regions`).")


class Slo(_Model):
    """Latency targets. A workload without an ``slo`` block gets TTFT 2000 ms and TPOT 50 ms; inside a
    block, a target left out does not constrain (``slo: {ttft_ms: 500}`` leaves TPOT free)."""

    ttft_ms: Num | None = Field(
        None, gt=0, le=3_600_000, description="Time to first token target [ms], up to an hour; absent: unconstrained."
    )
    tpot_ms: Num | None = Field(
        None,
        gt=0,
        le=60_000,
        description="Time per output token target [ms] (50 ms = 20 tokens/s per user); absent: unconstrained.",
    )
    percentile: Literal["p50", "p90", "p99"] = Field(
        "p50", description="Percentile of TTFT (queueing wait + prefill at the planned utilisation) the target holds."
    )


DEFAULT_SLO = {"ttft_ms": 2000.0, "tpot_ms": 50.0}
"""Targets of a workload that has no ``slo`` block."""


class LengthSpread(_Model):
    """Distribution of request lengths [tokens]: two percentiles (a lognormal through them) or a histogram."""

    p50: Num | None = Field(None, gt=0, le=10_000_000, description="Median length [tokens].")
    p90: Num | None = Field(None, gt=0, le=10_000_000, description="90th-percentile length [tokens] (>= p50).")
    histogram: list[tuple[Annotated[Num, Field(gt=0, le=10_000_000)], Annotated[Num, Field(ge=0, le=1e12)]]] | None = (
        Field(
            None,
            min_length=1,
            max_length=256,
            description="[[tokens, weight], ...]: lengths and their relative counts.",
        )
    )

    @model_validator(mode="after")
    def _one_form(self) -> LengthSpread:
        pair = self.p50 is not None or self.p90 is not None
        if pair == (self.histogram is not None):
            raise ValueError("give either p50 and p90, or histogram")
        if pair and (self.p50 is None or self.p90 is None):
            raise ValueError("give both p50 and p90")
        if self.p50 is not None and self.p90 is not None and self.p90 < self.p50:
            raise ValueError(f"p90 ({self.p90:g}) must be >= p50 ({self.p50:g})")
        if self.histogram is not None and sum(w for _, w in self.histogram) <= 0:
            raise ValueError("histogram weights must not all be zero")
        return self

    @property
    def mean_tokens(self) -> float:
        """Mean length [tokens] (lognormal: exp(mu + sigma^2 / 2))."""
        if self.histogram is not None:
            total = sum(w for _, w in self.histogram)
            return sum(t * w for t, w in self.histogram) / total
        assert self.p50 is not None and self.p90 is not None
        sigma = math.log(self.p90 / self.p50) / Z90
        return self.p50 * math.exp(sigma * sigma / 2.0)


Z90 = 1.2815515655446004
"""Standard-normal 90th percentile."""


class InferenceWorkload(_Model):
    """Requests to serve."""

    name: Label
    kind: Literal["inference"] = "inference"
    model: ModelRef = Field(
        description="Catalog model id (`llmtco catalog list models`), or a path to a Hugging Face config.json "
        "(ending in .json, relative to the scenario file) whose shape is imported."
    )
    precision: Literal["bf16", "fp16", "fp8", "int8", "fp4", "mxfp4", "int4"] | None = Field(
        None, description="Weight precision when self-hosting; default: the model's release precision."
    )
    requests_per_day: Num | None = Field(
        None,
        ge=0.001,
        le=1e10,
        description="Average requests per day in the first month (0.001 to 10^10, about 115,000 per second).",
    )
    tokens_per_month: Tokens | None = Field(
        None, description="Alternative to requests_per_day: input + output tokens per month (1 to 10^15)."
    )
    input_tokens: Num = Field(
        1000.0, ge=1, le=10_000_000, description="Mean input (prompt) tokens per request (1 to 10^7)."
    )
    output_tokens: Num = Field(250.0, ge=1, le=1_000_000, description="Mean output tokens per request (1 to 10^6).")
    cached_input_fraction: Share = Field(0.0, description="Share of input tokens billed as cached input by APIs.")
    peak_to_average: Num = Field(
        2.0, ge=1, le=24, description="Peak-hour load / average load (used when hourly_profile is absent)."
    )
    hourly_profile: list[ProfileValue] | None = Field(
        None, min_length=24, max_length=24, description="24 relative load values, hour 0-23 (UTC); scaled to mean 1."
    )
    weekly_profile: list[ProfileValue] | None = Field(
        None, min_length=7, max_length=7, description="7 relative day loads, Monday first; scaled to mean 1."
    )
    growth_pct_per_year: Num = Field(0.0, ge=-90, le=1000, description="Load growth per year [%], compounded monthly.")
    slo: Slo = Field(default_factory=lambda: Slo(ttft_ms=DEFAULT_SLO["ttft_ms"], tpot_ms=DEFAULT_SLO["tpot_ms"]))
    # --- serving configuration and length spread (issue 12) ---
    input_length: LengthSpread | None = Field(
        None, description="Spread of input lengths; sets input_tokens to its mean (give one of the two)."
    )
    output_length: LengthSpread | None = Field(
        None, description="Spread of output lengths; sets output_tokens to its mean (give one of the two)."
    )
    trace: str | None = Field(
        None,
        min_length=1,
        max_length=1024,
        description="Request trace CSV (TIMESTAMP,ContextTokens,GeneratedTokens, as the Azure LLM inference "
        "traces), relative to the scenario: sets requests_per_day, hourly_profile or peak_to_average, the "
        "length spreads and arrival_cv2 where the scenario does not.",
    )
    arrival_cv2: Num = Field(
        1.0, ge=0, le=100, description="Squared coefficient of variation of inter-arrival times (1 = Poisson)."
    )
    batch: int | None = Field(
        None, ge=1, le=4096, description="Fixed maximum concurrent sequences per replica (an engine's max_num_seqs)."
    )
    kv_cache: Literal["bf16", "fp16", "fp8"] | None = Field(
        None, description="KV-cache precision; default FP8 with FP8/FP4 compute, else BF16."
    )
    prefix_cache_hit_fraction: Num = Field(
        0.0, ge=0, lt=1, description="Share of input tokens the engine's prefix cache serves without prefill."
    )

    @model_validator(mode="after")
    def _one_volume(self) -> InferenceWorkload:
        for name in ("input", "output"):
            spread: LengthSpread | None = getattr(self, f"{name}_length")
            if spread is not None:
                given = float(getattr(self, f"{name}_tokens"))
                mean = spread.mean_tokens
                # a re-validated dump carries the mean it was given; anything else is a conflict
                if f"{name}_tokens" in self.model_fields_set and abs(given - mean) > 1e-6 * mean:
                    raise ValueError(f"give {name}_tokens (a mean) or {name}_length (a spread), not both")
                setattr(self, f"{name}_tokens", mean)
        if (self.requests_per_day is None) == (self.tokens_per_month is None):  # a trace sets requests_per_day
            raise ValueError("give exactly one of requests_per_day or tokens_per_month")
        for field, profile in (("hourly_profile", self.hourly_profile), ("weekly_profile", self.weekly_profile)):
            if profile is not None and sum(profile) <= 0:
                raise ValueError(f"{field} must have some load: its values sum to 0 (they are relative loads >= 0)")
        tokens = self.requests_per_day_value * (self.input_tokens + self.output_tokens) * 365.25 / 12
        if not 1 <= tokens <= 1e15:
            raise ValueError(
                f"requests_per_day x (input_tokens + output_tokens) is {tokens:.3g} tokens per month; "
                "allowed: 1 to 1e15"
            )
        return self

    @property
    def requests_per_day_value(self) -> float:
        if self.requests_per_day is not None:
            return self.requests_per_day
        assert self.tokens_per_month is not None
        return self.tokens_per_month / (self.input_tokens + self.output_tokens) / (365.25 / 12)


class FinetuneWorkload(_Model):
    """Periodic fine-tuning runs of a base model."""

    name: Label
    kind: Literal["finetune"] = "finetune"
    model: ModelRef = Field(description="Catalog model id of the base model, or a path to its config.json.")
    method: Literal["full", "lora", "qlora"] = Field(
        "lora", description="Full fine-tuning, LoRA, or QLoRA (4-bit base)."
    )
    lora_rank: Int = Field(16, ge=1, le=1024, description="LoRA rank (adapters on every linear layer).")
    tokens_per_run: Tokens | None = Field(
        None, description="Tokens trained per run (dataset tokens x epochs), 1 to 10^15."
    )
    dataset_tokens: Tokens | None = Field(None, description="Alternative: dataset size in tokens ...")
    epochs: Num = Field(1.0, gt=0, le=100, description="... and epochs per run.")
    runs_per_year: Num = Field(12.0, gt=0, le=365, description="Runs per year, spread evenly over the months.")
    seq_len: Int = Field(2048, ge=16, le=1_000_000, description="Training sequence length [tokens].")
    micro_batch: Int = Field(1, ge=1, le=1024, description="Sequences per GPU per step.")
    precision: Literal["bf16", "fp8"] = Field("bf16", description="Training compute precision.")
    optimizer: Literal["adamw", "adamw_8bit", "sgd"] = "adamw"
    gradient_checkpointing: bool = True
    deadline_hours: Num | None = Field(
        72.0,
        gt=0,
        le=8784,
        description="A run must finish within this many hours of starting (null: in the month).",
    )
    serves: Label | None = Field(
        None,
        description="Name of the inference workload that serves the fine-tuned model "
        "(APIs then bill fine-tuned prices).",
    )
    engine: Label | None = Field(None, description="Training engine whose fitted efficiency to use (e.g. torchtune).")

    @model_validator(mode="after")
    def _one_size(self) -> FinetuneWorkload:
        if (self.tokens_per_run is None) == (self.dataset_tokens is None):
            raise ValueError("give exactly one of tokens_per_run or dataset_tokens (with epochs)")
        if self.tokens_per_run_value > 1e15:
            raise ValueError(f"dataset_tokens x epochs is {self.tokens_per_run_value:.3g} tokens; allowed: 1 to 1e15")
        return self

    @property
    def tokens_per_run_value(self) -> float:
        if self.tokens_per_run is not None:
            return self.tokens_per_run
        assert self.dataset_tokens is not None
        return self.dataset_tokens * self.epochs


def _workload_kind(value: object) -> str:
    if isinstance(value, dict):
        return str(value.get("kind", "inference"))
    return str(getattr(value, "kind", "inference"))


Workload = Annotated[
    Annotated[InferenceWorkload, Tag("inference")] | Annotated[FinetuneWorkload, Tag("finetune")],
    Discriminator(_workload_kind),
]


class Staffing(_Model):
    fte_base: Num | None = Field(
        None, ge=0, le=100_000, description="FTE for the platform regardless of size (default from catalog rates)."
    )
    servers_per_fte: Num | None = Field(
        None, ge=0.01, le=1_000_000, description="Servers (or instances) per additional FTE."
    )
    salary_usd_per_year: Num | None = Field(
        None, ge=0, le=100_000_000, description="Base salary per FTE [USD/yr]; default from the region."
    )


class Financing(_Model):
    rate_pct_per_year: Num = Field(ge=0, le=50, description="Loan interest rate [%/yr].")
    term_months: Int = Field(60, ge=1, le=180, description="Loan term [months].")


class _OptionBase(_Model):
    name: Label
    target_utilisation_pct: Num = Field(
        70.0, gt=0, le=100, description="Load per replica at peak as a share of its capacity [%]."
    )
    redundancy: Literal["none", "n+1"] = Field("n+1", description="n+1 adds one spare replica per workload.")
    engine: Label | None = Field(
        None,
        description="Serving engine whose fitted efficiency factors to use (e.g. vllm, trtllm); "
        "default: the accelerator's factors fitted across engines.",
    )
    tensor_parallel: Int | None = Field(
        None, ge=1, le=8, description="Force a tensor-parallel degree (default: smallest that fits and meets the SLO)."
    )
    rates: dict[Label, Num] = Field(
        default_factory=dict,
        max_length=100,
        description="Override catalog rates for this option, by rate id (`llmtco catalog list rates`); "
        "each value must lie in its rate's allowed range (`catalog.records.RATE_LIMITS`).",
    )
    staffing: Staffing = Field(default_factory=Staffing)
    certifications: Labels = Field(
        default_factory=list, description="Compliance regimes this option's contract covers (e.g. gdpr, hipaa, soc2)."
    )


class OnPremOption(_OptionBase):
    """Own GPU servers in a colocation facility or your own data centre."""

    kind: Literal["onprem"] = "onprem"
    server: Label | None = Field(
        None, description="Catalog server id; or give accelerator and the first matching server is used."
    )
    accelerator: Label | None = Field(None, description="Catalog accelerator id (alternative to server).")
    region: Label | None = Field(None, description="Site region (default: assumptions.region).")
    facility: Literal["colocation", "owned"] = Field(
        "colocation", description="Rent colocation space, or build out your own facility."
    )
    pue: Num | None = Field(None, ge=1, le=3, description="Power usage effectiveness of the site (default: region).")
    electricity_usd_per_kwh: Num | None = Field(None, ge=0, le=10, description="Tariff override [USD/kWh], 0 to 10.")
    server_price_usd: Num | None = Field(
        None, ge=0, le=1e9, description="Negotiated price per server [USD], overrides the catalog."
    )
    spare_servers: Int = Field(0, ge=0, le=100_000, description="Cold-spare servers on top of the sized fleet.")
    servers: Int | None = Field(
        None, ge=0, le=100_000, description="Fix the fleet at this many servers instead of sizing it from the load."
    )
    hardware_life_years: Num | None = Field(
        None, gt=0, le=15, description="Refresh interval [years] (default from catalog rates)."
    )
    warranty_years: Num = Field(0.0, ge=0, le=10, description="Years covered before maintenance contracts start.")
    financing: Financing | None = None

    @model_validator(mode="after")
    def _hardware(self) -> OnPremOption:
        if (self.server is None) == (self.accelerator is None):
            raise ValueError("give exactly one of server or accelerator")
        return self


class CloudGpuOption(_OptionBase):
    """Rent GPU instances and run the serving stack yourself."""

    kind: Literal["cloud_gpu"] = "cloud_gpu"
    instance: Label = Field(description="Catalog cloud instance id (`llmtco catalog list cloud_instances`).")
    pricing: Literal["on_demand", "reserved_1y", "reserved_3y", "spot"] = "on_demand"
    autoscaling: bool = Field(
        True, description="On-demand and spot fleets follow the hourly load; reserved fleets are fixed."
    )
    min_replicas: Int = Field(1, ge=0, le=100_000, description="Replicas kept running at the quietest hour.")
    instances: Int | None = Field(
        None,
        ge=0,
        le=100_000,
        description="Rent exactly this many instances all the time instead of sizing from the load.",
    )
    price_change_pct_per_year: Num | None = Field(
        None, ge=-90, le=100, description="GPU-hour price change per year [%] (default: catalog rate)."
    )


class ApiOption(_OptionBase):
    """Pay per token to a hosted API."""

    kind: Literal["api"] = "api"
    offering: Label = Field(description="Catalog API offering id (`llmtco catalog list api_offerings`).")
    price_change_pct_per_year: Num | None = Field(
        None,
        ge=-90,
        le=100,
        description="Token price change per year [%] (default: catalog rate; negative: prices fall).",
    )


class HybridOption(_Model):
    """A base fleet sized to a percentile of the hourly load, with the rest overflowing elsewhere."""

    name: Label
    kind: Literal["hybrid"] = "hybrid"
    base: Annotated[OnPremOption | CloudGpuOption, Field(discriminator="kind")] = Field(
        description="On-prem servers or reserved cloud instances (its name is ignored)."
    )
    overflow: Annotated[CloudGpuOption | ApiOption, Field(discriminator="kind")] = Field(
        description="On-demand cloud GPUs or a hosted API for the load above the base (its name is ignored)."
    )
    base_percentile: Num = Field(
        90.0, ge=0, le=100, description="The base carries the load up to this percentile of the day's hours [%]."
    )
    certifications: Labels = Field(default_factory=list)


Option = Annotated[OnPremOption | CloudGpuOption | ApiOption | HybridOption, Field(discriminator="kind")]


class Constraints(_Model):
    """Non-cost requirements; options that break them are excluded with a reason."""

    data_residency: Labels = Field(
        default_factory=list, description="Allowed jurisdictions for data processing (e.g. [EU]); empty = any."
    )
    air_gapped: bool = Field(False, description="No external network: excludes hosted APIs and public cloud.")
    compliance: Labels = Field(
        default_factory=list,
        description="Regimes every option must cover (e.g. [hipaa]); "
        "cloud and API options must list them in certifications.",
    )


class Uncertainty(_Model):
    """What ``simulate`` and ``sensitivity`` sample besides the distributions written in fields."""

    catalog_ranges: bool = Field(
        True, description="Also sample the ranges the catalog records (server prices, tariffs, rates)."
    )


class Scenario(_Model):
    """What to serve, which ways to compare, and under which constraints."""

    _distributions: list[Dist] = PrivateAttr(default_factory=list)

    @property
    def distributions(self) -> list[Dist]:
        """Uncertain inputs written as distributions in the file (the loader passes them in the
        validation context under ``DISTRIBUTIONS``; ``scenario.distributions``)."""
        return self._distributions

    @model_validator(mode="after")
    def _keep_distributions(self, info: ValidationInfo) -> Scenario:
        if isinstance(info.context, dict) and DISTRIBUTIONS in info.context:
            self._distributions = list(info.context[DISTRIBUTIONS])
        return self

    name: str = Field("Unnamed scenario", max_length=200)
    description: str = Field("", max_length=100_000)
    assumptions: Assumptions = Field(default_factory=Assumptions)
    workloads: list[Workload] = Field(min_length=1, max_length=MAX_WORKLOADS)

    @property
    def inference_workloads(self) -> list[InferenceWorkload]:
        return [w for w in self.workloads if isinstance(w, InferenceWorkload)]

    @property
    def finetune_workloads(self) -> list[FinetuneWorkload]:
        return [w for w in self.workloads if isinstance(w, FinetuneWorkload)]

    options: list[Option] = Field(min_length=1, max_length=MAX_OPTIONS)
    constraints: Constraints = Field(default_factory=Constraints)
    uncertainty: Uncertainty = Field(default_factory=Uncertainty, description="Uncertainty analysis settings.")
    calibration: FilePath | None = Field(
        None,
        description="Calibration profile YAML written by `llmtco calibrate` (path relative to this file).",
    )
    catalog: dict[str, list[dict[str, object]]] | FilePath | Annotated[list[FilePath], Field(max_length=16)] | None = (
        Field(
            None,
            description="Catalog overlay: inline records {kind: [records]}, or a path (relative to this file) "
            "or a list of paths to overlay YAML files; added to or replacing bundled records.",
        )
    )
