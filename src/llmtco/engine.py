"""The one orchestrator: Scenario + Catalog → perf → sizing → costing → Result.

Everything numeric flows as numpy arrays with a leading sample axis S (S = 1
for a plain evaluation), so Monte Carlo runs use this same code.
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from llmtco import __version__, finetune
from llmtco.arrays import first
from llmtco.catalog import Catalog
from llmtco.catalog.api_prices import TokenPrices, genai_prices_version, token_prices
from llmtco.catalog.records import Accelerator, Efficiency, Model, Server
from llmtco.costing.api import ApiInputs, api_ledger
from llmtco.costing.cloud import CloudInputs, cloud_ledger
from llmtco.costing.finance import breakeven_month, cumulative, npv, running_max
from llmtco.costing.ledger import Ledger
from llmtco.costing.onprem import OnPremInputs, onprem_ledger
from llmtco.errors import InfeasibleError
from llmtco.perf.memory import BYTES_PER_WEIGHT, MemoryBreakdown
from llmtco.perf.power import average_power_w
from llmtco.perf.shapes import FloatArray, HardwareShape, ModelShape
from llmtco.perf.timing import StepTime
from llmtco.result import (
    SCHEMA_VERSION,
    Assumption,
    FinetuneResult,
    LineItemResult,
    OptionResult,
    Result,
    Sizing,
    WorkloadSizing,
    WorkloadSummary,
)
from llmtco.scenario.schema import (
    ApiOption,
    CloudGpuOption,
    FinetuneWorkload,
    HybridOption,
    InferenceWorkload,
    OnPremOption,
    Scenario,
)
from llmtco.sizing.fleet import business_hours_profile, normalise_profile, replicas_needed
from llmtco.sizing.serving import ServingPoint, serving_point

TP_CANDIDATES = (1, 2, 4, 8)


# ---------------------------------------------------------------- shapes from the catalog


def model_shape(m: Model) -> ModelShape:
    """The perf model's view of a catalog model."""
    if m.attention == "mla":
        assert m.kv_lora_rank is not None and m.qk_rope_head_dim is not None
        kv_values, kv_heads = m.kv_lora_rank + m.qk_rope_head_dim, 1
    else:
        kv_values, kv_heads = 2 * m.kv_heads * m.head_dim, m.kv_heads
    return ModelShape(
        params=m.params_b * 1e9,
        active_params=m.active_b * 1e9,
        layers=m.layers,
        hidden=m.hidden,
        heads=m.heads,
        head_dim=m.head_dim,
        kv_heads=kv_heads,
        kv_values_per_token_layer=kv_values,
        experts=m.experts,
        active_experts=m.active_experts,
        sliding_window=m.sliding_window,
        sliding_window_layers=m.sliding_window_layers,
    )


def efficiency_for(cat: Catalog, accelerator: str, engine: str | None, precision: str | None = None) -> Efficiency:
    """The most specific fitted factors: ``h100-sxm@vllm@bf16``, ``h100-sxm@vllm``, then ``h100-sxm``."""
    if engine:
        for key in (f"{accelerator}@{engine}@{precision}" if precision else None, f"{accelerator}@{engine}"):
            if key and key in cat.efficiency:
                return cat.efficiency.get(key)
    return cat.efficiency.get(accelerator, "efficiency")


def compute_precision(weight_precision: str, acc: Accelerator) -> str:
    """Tensor-core precision used with these weights on this accelerator.

    FP8/FP4 weights run on FP8/FP4 tensor cores where the chip has them;
    otherwise (and for int4/int8/mxfp4 weight-only formats) activations stay BF16.
    """
    if weight_precision in ("fp4", "mxfp4") and "fp4" in acc.tflops_dense:
        return "fp4"
    if weight_precision in ("fp8", "fp4") and "fp8" in acc.tflops_dense:
        return "fp8"
    return "bf16"


def kv_bytes_for(compute: str) -> float:
    """KV-cache bytes per value: FP8 cache alongside FP8/FP4 compute, else BF16."""
    return 1.0 if compute in ("fp8", "fp4") else 2.0


def hardware_shape(
    acc: Accelerator, eff: Efficiency, compute: str, samples: int, ctx: Ctx | None = None
) -> HardwareShape:
    def a(x: float) -> FloatArray:
        return np.full(samples, float(x))

    def e(name: str) -> FloatArray:
        value = float(getattr(eff, name))
        return ctx.draw(f"efficiency:{acc.id}:{name}", value) if ctx is not None else a(value)

    return HardwareShape(
        vram_gb=a(acc.vram_gb),
        hbm_bandwidth_tb_s=a(acc.hbm_bandwidth_tb_s),
        peak_tflops=a(acc.tflops_dense[compute]),
        tdp_w=a(acc.tdp_w),
        idle_w=a(acc.idle_w.value),
        interconnect_gb_s=a(acc.interconnect_gb_s),
        decode_bandwidth_efficiency=e("decode_bandwidth_efficiency"),
        decode_compute_efficiency=e("decode_compute_efficiency"),
        prefill_compute_efficiency=e("prefill_compute_efficiency"),
        step_overhead_ms=e("step_overhead_ms"),
        allreduce_latency_us=a(eff.allreduce_latency_us),
        power_activity_floor=e("power_activity_floor"),
        ttft_queue_steps=e("ttft_queue_steps"),
        per_sequence_overhead_us=e("per_sequence_overhead_us"),
    )


# ---------------------------------------------------------------- workload over time


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


# ---------------------------------------------------------------- serving a workload on hardware


@dataclass
class Served:
    """A workload's operating point on one accelerator type (per-sample TP choice)."""

    demand: Demand
    point: ServingPoint
    precision: str
    replicas: FloatArray = field(default_factory=lambda: np.zeros(0))
    """Replicas per month (kept capacity for on-prem), shape (S, M)."""


def pick_tensor_parallel(points: list[ServingPoint]) -> ServingPoint:
    """The tensor-parallel degree with the most requests/s per GPU, for the first sample.

    DESIGN.md says "smallest TP that fits and meets the SLO"; that picks a
    memory-starved TP 1 (a 70B FP8 model on one 80 GB GPU has room for a handful
    of sequences) over a far cheaper TP 2. Throughput per GPU is what a fleet pays
    for, so it decides; ties go to the smaller degree. All samples share the
    degree (a fleet uses one layout); samples for which it is infeasible keep zero
    capacity and show up as infeasible downstream.
    """
    feasible = [p for p in points if p.feasible[0] > 0]
    if not feasible:
        return points[-1]
    return max(feasible, key=lambda p: (round(float(p.requests_per_s[0]) / p.tp, 9), -p.tp))


def serve(
    w: InferenceWorkload,
    d: Demand,
    model: Model,
    acc: Accelerator,
    cat: Catalog,
    engine: str | None,
    max_tp: int,
    forced_tp: int | None,
    ctx: Ctx,
    field_path: str,
) -> Served:
    samples = ctx.samples
    precision = w.precision or model.default_precision
    eff = efficiency_for(cat, acc.id, engine, precision)
    compute = compute_precision(precision, acc)
    shape = model_shape(model)
    hw = hardware_shape(acc, eff, compute, samples, ctx)
    bpw, kvb = BYTES_PER_WEIGHT[precision], kv_bytes_for(compute)
    tps = [forced_tp] if forced_tp else [t for t in TP_CANDIDATES if t <= max_tp]
    if not tps:
        raise InfeasibleError(f"{field_path}: tensor_parallel {forced_tp} exceeds the {max_tp} GPUs per machine")
    # the tensor-parallel layout is chosen on the first sample; only that layout is evaluated for all samples
    hw0 = _first_sample(hw) if samples > 1 else hw
    points = [
        serving_point(shape, hw0, bpw, kvb, t, d.input_len()[:1], d.output_len()[:1], w.slo.tpot_ms, w.slo.ttft_ms, 1)
        for t in tps
    ]
    if not any(p.feasible[0] > 0 for p in points):
        last = points[-1]
        weights = float(last.weights_gb[0])
        usable = float(last.usable_gb[0])
        if float(last.max_batch_memory[0]) < 1:
            raise InfeasibleError(
                f"{field_path}: workload {w.name!r}: {model.id} ({precision}) does not fit on {acc.id}: "
                f"{weights:.1f} GB of weights per GPU at tensor parallel {last.tp} plus KV cache for one "
                f"{int(w.input_tokens + w.output_tokens)}-token sequence exceed {usable:.1f} GB usable "
                f"({acc.vram_gb:g} GB x 0.9, less 2 GB runtime). "
                "Use more GPUs per replica, a lower precision, or a larger GPU."
            )
        best = min(points, key=lambda p: float(p.tpot_ms[0]))
        raise InfeasibleError(
            f"{field_path}: workload {w.name!r}: no batch on {acc.id} meets the SLO "
            f"(ttft_ms {w.slo.ttft_ms}, tpot_ms {w.slo.tpot_ms}); best reachable at tensor parallel {best.tp}: "
            f"TTFT {float(best.ttft_ms[0]):.0f} ms, TPOT {float(best.tpot_ms[0]):.1f} ms. "
            "Relax the SLO or use a faster accelerator."
        )
    chosen = pick_tensor_parallel(points)
    if samples > 1:
        chosen = serving_point(
            shape, hw, bpw, kvb, chosen.tp, d.input_len(), d.output_len(), w.slo.tpot_ms, w.slo.ttft_ms, samples
        )
    return Served(demand=d, point=chosen, precision=precision)


def _first_sample(hw: HardwareShape) -> HardwareShape:
    """The hardware of sample 0 only (fields as one-element arrays)."""
    from dataclasses import fields, replace

    changes = {
        f.name: np.asarray(getattr(hw, f.name)).reshape(-1)[:1]
        for f in fields(hw)
        if isinstance(getattr(hw, f.name), np.ndarray)
    }
    return replace(hw, **changes)


def _col(x: FloatArray) -> FloatArray:
    return np.asarray(x, dtype=float).reshape(-1, 1, 1)


def workload_sizing(s: Served) -> WorkloadSizing:
    p = s.point
    return WorkloadSizing(
        workload=s.demand.workload.name,
        tensor_parallel=p.tp,
        batch=float(p.batch[0]),
        replicas_peak=int(s.replicas[0, -1]) if s.replicas.size else 0,
        requests_per_s_per_replica=float(p.requests_per_s[0]),
        output_tokens_per_s_per_replica=float(p.output_tokens_per_s[0]),
        tpot_ms=float(p.tpot_ms[0]),
        ttft_ms=float(p.ttft_ms[0]),
        busy_power_w_per_gpu=float(p.busy_power_w[0]),
        weights_gb_per_gpu=float(p.weights_gb[0]),
        precision=s.precision,
    )


# ---------------------------------------------------------------- options


def yearly_trend(pct_per_year: FloatArray, months: int) -> FloatArray:
    """Price multiplier per month from a yearly % change, shape (S, M) (or (1, M) when every sample agrees):
    (1 + r)^(m / 12)."""
    r = np.asarray(pct_per_year, dtype=float).reshape(-1, 1)
    if r.shape[0] > 1 and np.all(r == r[0]):
        r = r[:1]
    out: FloatArray = (1.0 + r / 100.0) ** (np.arange(months)[None, :] / 12.0)
    return np.broadcast_to(out, (np.asarray(pct_per_year).size, months))


@dataclass
class Outcome:
    ledger: Ledger
    sizing: Sizing | None
    energy_kwh: FloatArray | None
    """Energy per month incl. cooling (S, M), where known."""
    grid_kgco2e_per_kwh: float | None
    busy_gpu_h: float | None = None
    provisioned_gpu_h: float | None = None
    notes: list[str] = field(default_factory=list)
    finetune: list[FinetuneResult] = field(default_factory=list)
    gpus_peak_s: FloatArray | None = None
    """GPUs in the last (largest) month, per sample, shape (S,) (``sizing.gpus`` is sample 0's)."""
    busy_gpu_h_s: FloatArray | None = None
    """Busy GPU-hours over the horizon, per sample, shape (S,)."""
    provisioned_gpu_h_s: FloatArray | None = None
    """Provisioned GPU-hours over the horizon, per sample, shape (S,)."""


class OptionExcluded(Exception):
    """Raised by an option builder when the option cannot serve the scenario (e.g. no fine-tuning offer)."""


@dataclass
class Ctx:
    """Sample count and sampled inputs for one evaluation.

    ``draws`` maps an input key to an (S,) array of sampled values; inputs not
    drawn take their scenario or catalog value. Keys:
    ``rate:<rate id>``, ``option:<name>:<field>`` (server_price_usd,
    electricity_usd_per_kwh, pue, usd_per_gpu_h, token_price_factor),
    ``workload:<name>:<field>`` (requests_per_day, growth_pct_per_year),
    ``assumptions:discount_rate_pct``, ``efficiency:<accelerator>:<factor>``,
    ``volume_scale`` (multiplies every inference workload's requests).
    """

    samples: int = 1
    draws: dict[str, FloatArray] = field(default_factory=dict)

    def draw(self, key: str, default: float) -> FloatArray:
        if key in self.draws:
            return np.asarray(self.draws[key], dtype=float).reshape(self.samples)
        return np.full(self.samples, float(default))


class Rates:
    """Catalog rates with per-option overrides, as (S,) arrays (sampled where the context draws them)."""

    def __init__(self, catalog: Catalog, overrides: dict[str, float], ctx: Ctx, option: str = "") -> None:
        self.catalog, self.overrides, self.ctx, self.samples = catalog, overrides, ctx, ctx.samples
        self.option = option

    def __call__(self, key: str) -> FloatArray:
        value = self.overrides.get(key, self.catalog.rate(key))
        if self.option and f"option:{self.option}:rate:{key}" in self.ctx.draws:
            return self.ctx.draw(f"option:{self.option}:rate:{key}", value)
        if key in self.overrides:
            return self.ctx.draw("", value)
        return self.ctx.draw(f"rate:{key}", value)

    def scalar(self, key: str) -> float:
        return float(self(key)[0])


def _engineer_salary(region_salary: float, o: OnPremOption | CloudGpuOption | ApiOption, rates: Rates) -> FloatArray:
    base = o.staffing.salary_usd_per_year if o.staffing.salary_usd_per_year is not None else region_salary
    out: FloatArray = np.full(rates.samples, base) * rates("salary_overhead_factor")
    return out


def server_max_power_kw(server: Server, acc: Accelerator) -> float:
    """A server's nameplate draw: every GPU at TDP plus the host [kW] (sizes colocation and facility)."""
    return (server.gpus * acc.tdp_w + server.non_gpu_power_w) / 1000.0


def onprem_outcome(
    sc: Scenario, cat: Catalog, o: OnPremOption, idx: int, demands: list[Demand], days: FloatArray, ctx: Ctx
) -> Outcome:
    samples = ctx.samples
    rates = Rates(cat, o.rates, ctx, o.name)
    if o.server is not None:
        server = cat.servers.get(o.server)
    else:
        server = next(s for s in cat.servers if s.accelerator == o.accelerator)
    acc = cat.accelerators.get(server.accelerator)
    eff = efficiency_for(cat, acc.id, o.engine)
    region = cat.regions.get(o.region or sc.assumptions.region)
    served = [
        serve(
            d.workload,
            d,
            cat.models.get(d.workload.model),
            acc,
            cat,
            o.engine,
            server.gpus,
            o.tensor_parallel,
            ctx,
            f"options.{idx}",
        )
        for d in demands
    ]
    util = ctx.draw(f"option:{o.name}:target_utilisation_pct", o.target_utilisation_pct)[:, None] / 100.0
    redundancy = 1 if o.redundancy == "n+1" else 0
    gpus_needed = np.zeros((samples, days.size))
    for s in served:
        peak = s.demand.rps_hourly.max(axis=-1)
        need = replicas_needed(peak, s.point.requests_per_s[:, None], util, redundancy)
        s.replicas = running_max(need)
        gpus_needed += s.replicas * s.point.tp
    servers_needed = np.ceil(gpus_needed / server.gpus - 1e-9) + o.spare_servers
    if o.servers is not None:
        servers_needed = np.full_like(servers_needed, float(o.servers))
    # fine-tuning: in the idle hours of the inference fleet where they leave room, else on added servers
    hw_ = demands[0].hour_weights if demands else np.ones(24)
    n_cls = hw_.size
    hourly_need = np.zeros((samples, days.size, n_cls))
    for s in served:
        need_h = replicas_needed(
            s.demand.rps_hourly, s.point.requests_per_s[:, None, None], util[..., None], redundancy
        )
        hourly_need += need_h * s.point.tp
    ft_servers = np.zeros((samples, days.size))
    ft_kwh = np.zeros((samples, days.size))
    ft_busy_gpu_h = np.zeros((samples, days.size))
    ft_results: list[FinetuneResult] = []
    for i, w in ((i, w) for i, w in enumerate(sc.workloads) if isinstance(w, FinetuneWorkload)):
        model = cat.models.get(w.model)
        tp_plan = finetune.plan_or_fail(
            w, model, acc, efficiency_for(cat, acc.id, w.engine), 64, f"options.{idx} (workloads.{i})"
        )
        runs = finetune.runs_per_month(w.runs_per_year, days.size)
        owned_gpus_now = running_max(servers_needed + ft_servers) * server.gpus
        free = owned_gpus_now[..., None] - hourly_need
        fits, usable_h = finetune.idle_schedule(
            free, tp_plan.gpus, tp_plan.wall_hours_per_run, runs[None, :], w.deadline_hours, days, hw_
        )
        idle_ok = bool(fits[0].all())
        if not idle_ok:
            first = int(np.argmax(runs > 0))
            extra = np.zeros(days.size)
            extra[first:] = np.ceil(tp_plan.gpus / server.gpus - 1e-9)
            ft_servers = ft_servers + extra[None, :]
        gpu_h = runs[None, :] * tp_plan.gpu_hours_per_run
        ft_busy_gpu_h += gpu_h
        ft_kwh += gpu_h * (tp_plan.power_w_per_gpu - acc.idle_w.value) / 1000.0
        ft_results.append(
            _finetune_result(
                w,
                tp_plan,
                runs,
                "idle_hours" if idle_ok else "dedicated",
                (
                    f"runs in the idle hours of the inference fleet ({float(usable_h[0].min()):.0f}+ h/day with "
                    f"{tp_plan.gpus} free GPUs): no extra hardware, only its energy"
                    if idle_ok
                    else f"the inference fleet has too few idle hours for {tp_plan.gpus} GPUs within "
                    f"{w.deadline_hours or 'a month of'} h: {int(np.ceil(tp_plan.gpus / server.gpus))} server(s) added"
                ),
            )
        )
    owned_servers = running_max(servers_needed + ft_servers)
    gpus_owned = owned_servers * server.gpus

    # energy: per hour, busy share of each workload's replicas; the rest of the GPUs idle
    idle_w = np.full((samples, 1, 1), acc.idle_w.value)
    gpu_w = np.zeros((samples, days.size, n_cls))
    busy_gpus = np.zeros((samples, days.size, n_cls))
    for s in served:
        cap = np.maximum(s.replicas[..., None] * s.point.requests_per_s[:, None, None], 1e-12)
        busy = np.clip(s.demand.rps_hourly / cap, 0.0, 1.0)
        gpus = s.replicas[..., None] * s.point.tp
        gpu_w += gpus * average_power_w(idle_w, _col(s.point.busy_power_w), busy)
        busy_gpus += gpus * busy
    idle_gpus = gpus_owned[..., None] - np.sum([s.replicas[..., None] * s.point.tp for s in served], axis=0)
    gpu_w += idle_gpus * idle_w
    load_share = busy_gpus / np.maximum(gpus_owned[..., None], 1e-12)
    server_w = owned_servers[..., None] * server.non_gpu_power_w * (0.5 + 0.5 * load_share)
    energy_it_kwh = ((gpu_w + server_w) @ hw_) * days[None, :] / 1000.0

    server_price = (
        o.server_price_usd
        if o.server_price_usd is not None
        else (
            server.price_usd
            if server.price_usd is not None
            else (server.chassis_usd or 0.0) + server.gpus * acc.unit_price_usd.value
        )
    )
    price_source = (
        "scenario: server_price_usd"
        if o.server_price_usd is not None
        else f"catalog servers/{server.id}: {server.source} ({server.as_of.isoformat()})"
        if server.price_usd is not None
        else f"priced from parts: chassis {server.chassis_usd:,.0f} ({server.source}) + "
        f"{server.gpus} x {acc.unit_price_usd.value:,.0f} ({acc.unit_price_usd.source})"
    )
    tariff = (
        o.electricity_usd_per_kwh if o.electricity_usd_per_kwh is not None else region.electricity_usd_per_kwh.value
    )
    tariff_source = (
        "scenario: electricity_usd_per_kwh"
        if o.electricity_usd_per_kwh is not None
        else f"regions/{region.id}: {region.electricity_usd_per_kwh.source}"
    )
    pue = o.pue if o.pue is not None else region.pue.value
    tariff_arr = ctx.draw(f"option:{o.name}:electricity_usd_per_kwh", tariff)
    pue_arr = ctx.draw(f"option:{o.name}:pue", pue)
    salary = _engineer_salary(region.engineer_salary_usd_per_year.value, o, rates)
    life_months = round(12 * (o.hardware_life_years or rates.scalar("hardware_life_years")))
    fte_base = np.full(samples, o.staffing.fte_base) if o.staffing.fte_base is not None else rates("onprem_fte_base")
    per_fte = (
        np.full(samples, o.staffing.servers_per_fte)
        if o.staffing.servers_per_fte is not None
        else rates("onprem_servers_per_fte")
    )
    max_kw = server_max_power_kw(server, acc)
    inputs = OnPremInputs(
        name=o.name,
        servers_needed=servers_needed,
        gpus_per_server=server.gpus,
        server_price_usd=ctx.draw(f"option:{o.name}:server_price_usd", server_price),
        server_price_source=price_source,
        network_pct_of_servers=rates("network_fabric_pct_of_servers"),
        storage_usd_per_server=rates("storage_tb_per_server") * rates("storage_usd_per_tb"),
        racks_usd_per_server=rates("racks_installation_usd_per_server"),
        life_months=life_months,
        warranty_months=round(12 * o.warranty_years),
        facility=o.facility,
        facility_usd_per_kw=rates("facility_buildout_usd_per_kw"),
        facility_life_months=round(12 * rates.scalar("facility_life_years")),
        colocation_usd_per_kw_month=rates("colocation_usd_per_kw_month"),
        server_max_power_kw=np.full(samples, max_kw),
        energy_it_kwh=energy_it_kwh,
        electricity_usd_per_kwh=tariff_arr,
        electricity_source=tariff_source,
        pue=pue_arr,
        maintenance_pct_per_year=rates("maintenance_pct_per_year"),
        licence_usd_per_gpu_year=rates("software_licence_usd_per_gpu_year"),
        update_hours_per_server_month=rates("software_update_hours_per_server_month"),
        engineer_usd_per_hour=salary / rates("engineer_hours_per_year"),
        transit_usd_per_month=rates("internet_transit_usd_per_month"),
        network_fte=rates("network_fte"),
        fte_base=fte_base,
        servers_per_fte=per_fte,
        loaded_salary_usd_per_year=salary,
        insurance_pct_per_year=rates("insurance_pct_per_year"),
        financing_rate_pct_per_year=o.financing.rate_pct_per_year if o.financing else None,
        financing_term_months=o.financing.term_months if o.financing else 60,
        hardware_price_trend=yearly_trend(rates("hardware_price_change_pct_per_year"), days.size),
        finetune_servers=ft_servers if ft_results else None,
        finetune_energy_kwh=ft_kwh if ft_results else None,
    )
    ledger = onprem_ledger(inputs)
    hours = days[None, :] * 24.0
    sizing = Sizing(
        gpus=int(gpus_owned[0, -1]),
        servers=int(owned_servers[0, -1]),
        replicas=int(sum(s.replicas[0, -1] for s in served)),
        accelerator=acc.id,
        hardware=server.id,
        peak_it_power_kw=float(owned_servers[0, -1] * max_kw),
        workloads=[workload_sizing(s) for s in served],
    )
    notes = [
        f"Site {region.id}: {tariff:.4f} USD/kWh, PUE {pue:.2f}, {o.facility}.",
        f"Performance factors {eff.id} "
        f"({f'fitted on {eff.fitted_on} measurements' if eff.fitted_on else 'prior estimate'}).",
    ]
    if server.estimate or acc.estimate:
        notes.append(f"Hardware record {server.id} is an estimate: {server.source}")
    return Outcome(
        ledger=ledger,
        sizing=sizing,
        energy_kwh=(energy_it_kwh + ft_kwh) * pue_arr[:, None],
        grid_kgco2e_per_kwh=region.grid_kgco2e_per_kwh.value,
        busy_gpu_h=float(((busy_gpus @ hw_) * days[None, :])[0].sum() + ft_busy_gpu_h[0].sum()),
        provisioned_gpu_h=float((gpus_owned * hours)[0].sum()),
        notes=notes,
        finetune=ft_results,
        gpus_peak_s=gpus_owned[:, -1],
        busy_gpu_h_s=((busy_gpus @ hw_) * days[None, :]).sum(axis=-1) + ft_busy_gpu_h.sum(axis=-1),
        provisioned_gpu_h_s=(gpus_owned * hours).sum(axis=-1),
    )


def _finetune_result(
    w: FinetuneWorkload, p: finetune.TrainPlan, runs: FloatArray, schedule: str, note: str
) -> FinetuneResult:
    n_runs = float(runs.sum())
    return FinetuneResult(
        workload=w.name,
        method=w.method,
        accelerator=p.accelerator,
        gpus=p.gpus,
        runs=n_runs,
        tokens_per_run=p.tokens_per_run,
        tokens_trained=p.tokens_per_run * n_runs,
        gpu_hours_per_run=p.gpu_hours_per_run,
        wall_hours_per_run=p.wall_hours_per_run,
        gpu_hours=p.gpu_hours_per_run * n_runs,
        schedule=schedule,
        note=note,
    )


def cloud_outcome(
    sc: Scenario, cat: Catalog, o: CloudGpuOption, idx: int, demands: list[Demand], days: FloatArray, ctx: Ctx
) -> Outcome:
    samples = ctx.samples
    rates = Rates(cat, o.rates, ctx, o.name)
    inst = cat.cloud_instances.get(o.instance)
    acc = cat.accelerators.get(inst.accelerator)
    price = inst.price(o.pricing)
    assert price is not None  # checked when the scenario was loaded
    served = [
        serve(
            d.workload,
            d,
            cat.models.get(d.workload.model),
            acc,
            cat,
            o.engine,
            inst.gpus,
            o.tensor_parallel,
            ctx,
            f"options.{idx}",
        )
        for d in demands
    ]
    util = ctx.draw(f"option:{o.name}:target_utilisation_pct", o.target_utilisation_pct)[:, None, None] / 100.0
    redundancy = 1 if o.redundancy == "n+1" else 0
    fixed = o.pricing.startswith("reserved") or not o.autoscaling
    hw_ = demands[0].hour_weights if demands else np.ones(24)
    n_cls = hw_.size
    instances_h = np.zeros((samples, days.size, n_cls))
    busy_gpus = np.zeros((samples, days.size, n_cls))
    paid_gpus_power = np.zeros((samples, days.size, n_cls))
    for s in served:
        per_instance = inst.gpus // s.point.tp
        need = replicas_needed(s.demand.rps_hourly, s.point.requests_per_s[:, None, None], util, redundancy)
        need = np.maximum(need, o.min_replicas)
        if fixed:
            need = np.broadcast_to(running_max(need.max(axis=-1))[..., None], need.shape)
        s.replicas = need.max(axis=-1)
        inst_w = np.ceil(need / per_instance - 1e-9)
        instances_h += inst_w
        cap = np.maximum(need * s.point.requests_per_s[:, None, None], 1e-12)
        busy = np.clip(s.demand.rps_hourly / cap, 0.0, 1.0)
        gpus = inst_w * inst.gpus
        busy_gpus += need * s.point.tp * busy
        paid_gpus_power += gpus * average_power_w(
            acc.idle_w.value, _col(s.point.busy_power_w), busy * need * s.point.tp / np.maximum(gpus, 1e-12)
        )
    overhead = 1.0 + (rates("spot_interruption_overhead_pct")[:, None] / 100.0 if o.pricing == "spot" else 0.0)
    if o.instances is not None:
        instances_h = np.full_like(instances_h, float(o.instances))
    instance_hours = (instances_h @ hw_) * days[None, :] * overhead
    out_tokens = np.sum([d.output_tokens for d in demands], axis=0)
    egress_gb = out_tokens * rates("bytes_per_token_egress")[:, None] / 1e9
    peak_instances = instances_h.max(axis=-1)
    base = np.full(samples, o.staffing.fte_base) if o.staffing.fte_base is not None else rates("cloud_fte_base")
    per_fte = (
        np.full(samples, o.staffing.servers_per_fte)
        if o.staffing.servers_per_fte is not None
        else rates("cloud_instances_per_fte")
    )
    fte = base[:, None] + peak_instances / per_fte[:, None]
    region = cat.regions.get(sc.assumptions.region)
    salary = _engineer_salary(region.engineer_salary_usd_per_year.value, o, rates)
    label = {
        "on_demand": "on-demand",
        "reserved_1y": "1-year reserved",
        "reserved_3y": "3-year reserved",
        "spot": "spot",
    }[o.pricing]
    mode = "fixed fleet sized for the peak" if fixed else "autoscaled hour by hour"
    # fine-tuning: rent whole instances for each run (on-demand price; spot where the option uses spot)
    ft_results: list[FinetuneResult] = []
    ft_gpu_h = np.zeros((samples, days.size))
    ft_kwh = np.zeros((samples, days.size))
    ft_price = inst.price("spot" if o.pricing == "spot" else "on_demand") or price
    ft_overhead = 1.0 + (rates.scalar("spot_interruption_overhead_pct") / 100.0 if ft_price.model == "spot" else 0.0)
    for i, w in ((i, w) for i, w in enumerate(sc.workloads) if isinstance(w, FinetuneWorkload)):
        tp_plan = finetune.plan_or_fail(
            w, cat.models.get(w.model), acc, efficiency_for(cat, acc.id, w.engine), 64, f"options.{idx} (workloads.{i})"
        )
        runs = finetune.runs_per_month(w.runs_per_year, days.size)
        instances = float(np.ceil(tp_plan.gpus / inst.gpus - 1e-9))
        rented = runs * tp_plan.wall_hours_per_run * instances * inst.gpus * ft_overhead
        ft_gpu_h = ft_gpu_h + rented[None, :]
        ft_kwh = ft_kwh + runs[None, :] * tp_plan.gpu_hours_per_run * tp_plan.power_w_per_gpu / 1000.0
        ft_results.append(
            _finetune_result(
                w,
                tp_plan,
                runs,
                "cloud",
                f"{int(instances)} x {inst.instance} per run at {ft_price.model} prices"
                + (f", +{(ft_overhead - 1) * 100:g} % for interruptions" if ft_overhead > 1 else ""),
            )
        )
    cloud_trend = yearly_trend(
        ctx.draw(f"option:{o.name}:price_change_pct_per_year", o.price_change_pct_per_year)
        if o.price_change_pct_per_year is not None
        else rates("cloud_price_change_pct_per_year"),
        days.size,
    )
    ledger = cloud_ledger(
        CloudInputs(
            price_trend=cloud_trend,
            finetune_gpu_hours=ft_gpu_h if ft_results else None,
            finetune_usd_per_gpu_h=np.full(samples, ft_price.usd_per_gpu_h),
            finetune_price_source=f"cloud_instances/{inst.id}: {ft_price.source} ({ft_price.as_of.isoformat()})",
            name=o.name,
            instance_hours=instance_hours,
            gpus_per_instance=inst.gpus,
            usd_per_gpu_h=ctx.draw(f"option:{o.name}:usd_per_gpu_h", price.usd_per_gpu_h),
            price_label=label,
            price_source=f"cloud_instances/{inst.id}: {price.source} ({price.as_of.isoformat()})",
            egress_gb=egress_gb,
            egress_usd_per_gb=rates("cloud_egress_usd_per_gb"),
            fte=fte,
            loaded_salary_usd_per_year=salary,
            notes=f"{inst.instance} ({inst.gpus} x {acc.id}), {mode}"
            + (
                f"; +{rates.scalar('spot_interruption_overhead_pct'):g} % for interruptions"
                if o.pricing == "spot"
                else ""
            ),
        )
    )
    # host power (CPUs, fans, NICs) of the same platform, pro rata to the instance's GPUs
    platform = next((sv for sv in cat.servers if sv.accelerator == acc.id), None)
    host_w_per_gpu = platform.non_gpu_power_w / platform.gpus if platform is not None else 0.0
    paid_gpus = instances_h * inst.gpus
    load_share = busy_gpus / np.maximum(paid_gpus, 1e-12)
    host_w = paid_gpus * host_w_per_gpu * (0.5 + 0.5 * load_share)
    energy_kwh = (((paid_gpus_power + host_w) @ hw_) * days[None, :] / 1000.0 * overhead + ft_kwh) * rates.scalar(
        "cloud_pue"
    )
    peak_gpus = int(peak_instances[0].max() * inst.gpus)
    sizing = Sizing(
        gpus=peak_gpus,
        servers=int(peak_instances[0].max()),
        replicas=int(sum(s.replicas[0, -1] for s in served)),
        accelerator=acc.id,
        hardware=inst.id,
        workloads=[workload_sizing(s) for s in served],
    )
    notes = [
        f"{inst.provider} {inst.region} ({inst.jurisdiction}); energy estimated with the perf model and "
        f"PUE {rates.scalar('cloud_pue'):.2f}, emissions with the {region.id} grid intensity (estimate)."
    ]
    return Outcome(
        ledger=ledger,
        sizing=sizing,
        energy_kwh=energy_kwh,
        grid_kgco2e_per_kwh=region.grid_kgco2e_per_kwh.value,
        busy_gpu_h=float(((busy_gpus @ hw_) * days[None, :])[0].sum()),
        provisioned_gpu_h=float(instance_hours[0].sum() * inst.gpus),
        notes=notes,
        finetune=ft_results,
        gpus_peak_s=peak_instances.max(axis=-1) * inst.gpus,
        busy_gpu_h_s=((busy_gpus @ hw_) * days[None, :]).sum(axis=-1),
        provisioned_gpu_h_s=instance_hours.sum(axis=-1) * inst.gpus,
    )


def api_outcome(
    sc: Scenario, cat: Catalog, o: ApiOption, idx: int, demands: list[Demand], days: FloatArray, ctx: Ctx
) -> Outcome:
    samples = ctx.samples
    rates = Rates(cat, o.rates, ctx, o.name)
    off = cat.api_offerings.get(o.offering)
    months = days.size
    zero = np.zeros((samples, months))
    tok_in, tok_cached, tok_out = zero.copy(), zero.copy(), zero.copy()
    cost_in, cost_cached, cost_out = zero.copy(), zero.copy(), zero.copy()
    notes = []
    sources = set()
    # fine-tuning through the provider: training tokens, hosting, and fine-tuned prices for the served workload
    ft_results: list[FinetuneResult] = []
    ft_usd = zero.copy()
    ft_mtok = 0.0
    tuned: set[str] = set()
    for w_ft in sc.finetune_workloads:
        offer = off.finetune
        if offer is None:
            raise OptionExcluded(
                f"fine-tuning: {off.id} has no fine-tuning offer in the catalog (workload {w_ft.name!r})"
            )
        if w_ft.method not in offer.methods:
            raise OptionExcluded(
                f"fine-tuning: {off.id} offers {', '.join(offer.methods)}, "
                f"workload {w_ft.name!r} asks for {w_ft.method}"
            )
        if off.model is not None and off.model != w_ft.model:
            notes.append(f"{off.id} fine-tunes {off.model}, workload {w_ft.name!r} asks for {w_ft.model}.")
        runs = finetune.runs_per_month(w_ft.runs_per_year, months)
        tokens = runs * w_ft.tokens_per_run_value
        ft_usd = ft_usd + tokens[None, :] / 1e6 * offer.training_usd_per_mtok
        first_run = int(np.argmax(runs > 0))
        hosting = np.zeros(months)
        hosting[first_run:] = offer.hosting_usd_per_month
        ft_usd = ft_usd + hosting[None, :]
        ft_mtok += float(tokens.sum()) / 1e6
        sources.add(f"fine-tuning: {offer.source} ({offer.as_of.isoformat()})")
        if w_ft.serves is not None:
            tuned.add(w_ft.serves)
        ft_results.append(
            FinetuneResult(
                workload=w_ft.name,
                method=w_ft.method,
                accelerator=None,
                gpus=0,
                runs=float(runs.sum()),
                tokens_per_run=w_ft.tokens_per_run_value,
                tokens_trained=float(tokens.sum()),
                gpu_hours_per_run=0.0,
                wall_hours_per_run=0.0,
                gpu_hours=0.0,
                schedule="api",
                note=f"{offer.training_usd_per_mtok:g} USD per M training tokens"
                + (
                    f", fine-tuned model billed at {offer.input_usd_per_mtok:g}/{offer.output_usd_per_mtok:g} USD "
                    f"per M input/output tokens"
                    if offer.input_usd_per_mtok is not None
                    else ""
                ),
            )
        )
    for d in demands:
        w = d.workload
        tp = token_prices(
            off, sc.assumptions.start_date, w.input_tokens, w.output_tokens, w.cached_input_fraction, list(d.profile24)
        )
        if w.name in tuned and off.finetune is not None and off.finetune.input_usd_per_mtok is not None:
            ratio = off.finetune.input_usd_per_mtok / max(tp.input_usd_per_mtok, 1e-12)
            tp = TokenPrices(
                off.finetune.input_usd_per_mtok,
                tp.cached_input_usd_per_mtok * ratio,
                off.finetune.output_usd_per_mtok or tp.output_usd_per_mtok,
                f"fine-tuned model prices: {off.finetune.source}",
            )
        sources.add(tp.source)
        cached = d.input_tokens * ctx.draw(f"workload:{w.name}:cached_input_fraction", w.cached_input_fraction)[:, None]
        tok_in += d.input_tokens - cached
        tok_cached += cached
        tok_out += d.output_tokens
        factor = ctx.draw(f"option:{o.name}:token_price_factor", 1.0)[:, None]
        cost_in += (d.input_tokens - cached) * tp.input_usd_per_mtok * factor
        cost_cached += cached * tp.cached_input_usd_per_mtok * factor
        cost_out += d.output_tokens * tp.output_usd_per_mtok * factor
        if off.model is not None and off.model != w.model:
            notes.append(f"{off.id} serves {off.model}, workload {w.name!r} asks for {w.model}: not like for like.")
        elif off.model is None:
            notes.append(f"{off.id} is a proprietary model; workload {w.name!r} is sized for {w.model} elsewhere.")

    def unit(cost: FloatArray, tok: FloatArray) -> FloatArray:
        t = tok.sum(axis=-1)
        out: FloatArray = np.where(t > 0, cost.sum(axis=-1) / np.maximum(t, 1e-12), 0.0)
        return out

    trend = yearly_trend(
        ctx.draw(f"option:{o.name}:price_change_pct_per_year", o.price_change_pct_per_year)
        if o.price_change_pct_per_year is not None
        else rates("api_price_change_pct_per_year"),
        months,
    )
    region = cat.regions.get(sc.assumptions.region)
    salary = _engineer_salary(region.engineer_salary_usd_per_year.value, o, rates)
    fte = np.full(samples, o.staffing.fte_base) if o.staffing.fte_base is not None else rates("api_fte")
    ledger = api_ledger(
        ApiInputs(
            name=o.name,
            input_tokens=tok_in,
            cached_input_tokens=tok_cached,
            output_tokens=tok_out,
            input_usd_per_mtok=unit(cost_in, tok_in),
            cached_input_usd_per_mtok=unit(cost_cached, tok_cached),
            output_usd_per_mtok=unit(cost_out, tok_out),
            price_trend=trend,
            price_source="; ".join(sorted(sources)),
            fte=fte,
            loaded_salary_usd_per_year=salary,
            finetune_usd=ft_usd if ft_results else None,
            finetune_mtok=ft_mtok,
            finetune_source="; ".join(sorted(x for x in sources if x.startswith("fine-tuning"))),
        )
    )
    notes.append(f"{off.provider} ({off.jurisdiction}); energy and emissions are not disclosed by API providers.")
    return Outcome(
        ledger=ledger, sizing=None, energy_kwh=None, grid_kgco2e_per_kwh=None, notes=notes, finetune=ft_results
    )


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
    base_h = np.minimum(hourly, cap[..., None])

    def part(h: FloatArray) -> Demand:
        per_s = h @ w / 24.0
        out = Demand(
            workload=d.workload,
            profile24=d.profile24,
            rps_avg=per_s,
            requests=per_s * 86400.0 * days[None, :],
            profile=d.profile,
            hour_weights=w,
        )
        out._hourly = h
        return out

    return part(base_h), part(hourly - base_h)


def hybrid_outcome(
    sc: Scenario, cat: Catalog, o: HybridOption, idx: int, demands: list[Demand], days: FloatArray, ctx: Ctx
) -> Outcome:
    """Base fleet for the load up to a percentile hour, overflow option for the rest; one merged ledger."""
    parts = [split_demand(d, o.base_percentile, days) for d in demands]
    base_d, over_d = [p[0] for p in parts], [p[1] for p in parts]
    base_opt = o.base.model_copy(update={"name": o.name})
    over_update: dict[str, object] = {"name": o.name}
    if isinstance(o.overflow, CloudGpuOption):
        over_update["min_replicas"] = 0  # no overflow, no instance
    over_opt = o.overflow.model_copy(update=over_update)
    base_out = OPTION_KINDS[base_opt.kind](sc, cat, base_opt, idx, base_d, days, ctx)  # type: ignore[operator]
    inference_only = sc.model_copy(update={"workloads": list(sc.inference_workloads)})
    over_out = OPTION_KINDS[over_opt.kind](inference_only, cat, over_opt, idx, over_d, days, ctx)  # type: ignore[operator]
    ledger = Ledger(option=o.name, months=days.size, samples=ctx.samples)
    for label, out in (("base", base_out), ("overflow", over_out)):
        for item in out.ledger.items:
            item.notes = f"{label}: {item.notes}".rstrip(": ")
            ledger.add(item)
    base_share = sum(float((b.requests[0]).sum()) for b in base_d) / max(
        sum(float(d.requests[0].sum()) for d in demands), 1e-12
    )
    energies = [x.energy_kwh for x in (base_out, over_out) if x.energy_kwh is not None]
    notes = [
        f"Base ({o.base.kind}) carries the load up to the P{o.base_percentile:g} hour of the day "
        f"({base_share * 100:.0f} % of requests); the rest overflows to {o.overflow.kind}."
    ]
    notes += [f"base: {n}" for n in base_out.notes] + [f"overflow: {n}" for n in over_out.notes]
    return Outcome(
        ledger=ledger,
        sizing=base_out.sizing,
        energy_kwh=np.sum(energies, axis=0) if energies else None,
        grid_kgco2e_per_kwh=base_out.grid_kgco2e_per_kwh or over_out.grid_kgco2e_per_kwh,
        busy_gpu_h=base_out.busy_gpu_h,
        provisioned_gpu_h=base_out.provisioned_gpu_h,
        notes=notes,
        finetune=base_out.finetune,
        gpus_peak_s=base_out.gpus_peak_s,
        busy_gpu_h_s=base_out.busy_gpu_h_s,
        provisioned_gpu_h_s=base_out.provisioned_gpu_h_s,
    )


OPTION_KINDS = {"onprem": onprem_outcome, "cloud_gpu": cloud_outcome, "api": api_outcome, "hybrid": hybrid_outcome}
"""Registry: option kind → function building its Outcome."""


# ---------------------------------------------------------------- constraints


def exclusion_reason(
    sc: Scenario, cat: Catalog, o: OnPremOption | CloudGpuOption | ApiOption | HybridOption
) -> str | None:
    """Why an option breaks the scenario's constraints, or None."""
    c = sc.constraints
    if isinstance(o, HybridOption):
        for label, part in (("base", o.base), ("overflow", o.overflow)):
            part = part.model_copy(update={"certifications": [*part.certifications, *o.certifications]})
            reason = exclusion_reason(sc, cat, part)
            if reason is not None:
                return f"{label}: {reason}"
        return None
    if c.air_gapped and o.kind == "api":
        return "air-gapped operation: a hosted API needs an external network connection"
    if c.air_gapped and o.kind == "cloud_gpu":
        return "air-gapped operation: rented cloud GPUs are reached over an external network"
    if isinstance(o, OnPremOption):
        jurisdiction = cat.regions.get(o.region or sc.assumptions.region).jurisdiction
    elif isinstance(o, CloudGpuOption):
        jurisdiction = cat.cloud_instances.get(o.instance).jurisdiction
    else:
        jurisdiction = cat.api_offerings.get(o.offering).jurisdiction
    allowed = [j.upper() for j in c.data_residency]
    if allowed and jurisdiction.upper() not in allowed:
        return f"data residency: processes data in {jurisdiction}, allowed: {', '.join(c.data_residency)}"
    if o.kind != "onprem":
        missing = [r for r in c.compliance if r.lower() not in {x.lower() for x in o.certifications}]
        if missing:
            return (
                f"compliance: option does not declare {', '.join(missing)} "
                "(list it under certifications if your contract covers it)"
            )
    return None


# ---------------------------------------------------------------- evaluate


@dataclass
class Run:
    """Every option's outcome for S samples: what ``evaluate`` reports (sample 0) and analysis consumes."""

    ctx: Ctx
    days: FloatArray
    demands: list[Demand]
    outcomes: dict[str, Outcome]
    excluded: dict[str, str]
    """Option name → reason."""
    kinds: dict[str, str]
    tokens: FloatArray
    """Input + output tokens per month, shape (S, M)."""
    output_tokens: FloatArray
    discount_rate_pct: FloatArray

    def monthly(self, name: str) -> FloatArray:
        return self.outcomes[name].ledger.monthly_usd

    def total(self, name: str) -> FloatArray:
        return self.outcomes[name].ledger.total_usd

    def npv(self, name: str) -> FloatArray:
        return npv(self.monthly(name), self.discount_rate_pct)

    def per_mtok(self, name: str) -> FloatArray:
        out: FloatArray = self.total(name) / self.tokens.sum(axis=-1) * 1e6
        return out


def run(sc: Scenario, cat: Catalog, ctx: Ctx | None = None) -> Run:
    """Evaluate every option for the context's samples (one by default)."""
    ctx = ctx or Ctx()
    months = sc.assumptions.horizon_months
    days = month_days(sc.assumptions.start_date, months)
    demands = [demand(w, days, ctx) for w in sc.inference_workloads]
    hour_classes(demands)
    outcomes: dict[str, Outcome] = {}
    excluded: dict[str, str] = {}
    for idx, o in enumerate(sc.options):
        reason = exclusion_reason(sc, cat, o)
        if reason is None:
            try:
                outcomes[o.name] = OPTION_KINDS[o.kind](sc, cat, o, idx, demands, days, ctx)  # type: ignore[operator]
            except OptionExcluded as exc:
                reason = str(exc)
        if reason is not None:
            excluded[o.name] = reason
    return Run(
        ctx=ctx,
        days=days,
        demands=demands,
        outcomes=outcomes,
        excluded=excluded,
        kinds={o.name: o.kind for o in sc.options},
        tokens=np.sum([d.input_tokens + d.output_tokens for d in demands], axis=0),
        output_tokens=np.sum([d.output_tokens for d in demands], axis=0),
        discount_rate_pct=ctx.draw("assumptions:discount_rate_pct", sc.assumptions.discount_rate_pct),
    )


def evaluate(sc: Scenario, cat: Catalog, ctx: Ctx | None = None) -> Result:
    """Evaluate every option of a scenario and compare them (the first sample is reported)."""
    r = run(sc, cat, ctx)
    months = sc.assumptions.horizon_months
    rate = sc.assumptions.discount_rate_pct
    results: list[OptionResult] = []
    for o in sc.options:
        if o.name in r.excluded:
            results.append(OptionResult(name=o.name, kind=o.kind, excluded=True, reason=r.excluded[o.name]))
            continue
        outcome = r.outcomes[o.name]
        ledger = outcome.ledger
        total = ledger.total_usd
        energy_mwh = None if outcome.energy_kwh is None else first(outcome.energy_kwh.sum(axis=-1)) / 1000.0
        emissions = (
            None
            if energy_mwh is None or outcome.grid_kgco2e_per_kwh is None
            else energy_mwh * outcome.grid_kgco2e_per_kwh
        )
        util = (
            None
            if not outcome.provisioned_gpu_h or outcome.busy_gpu_h is None
            else 100.0 * outcome.busy_gpu_h / outcome.provisioned_gpu_h
        )
        results.append(
            OptionResult(
                name=o.name,
                kind=o.kind,
                total_cost_usd=first(total),
                npv_usd=first(r.npv(o.name)),
                capex_usd=first(ledger.category_monthly_usd("capex").sum(axis=-1)),
                opex_usd=first(ledger.category_monthly_usd("opex").sum(axis=-1)),
                cost_per_mtok_usd=first(r.per_mtok(o.name)),
                cost_per_m_output_tok_usd=first(total / r.output_tokens.sum(axis=-1) * 1e6),
                line_items=[
                    LineItemResult(
                        item=i.item,
                        category=i.category,
                        total_usd=first(i.total_usd),
                        monthly_usd=[float(v) for v in i.monthly_usd[0]],
                        quantity=i.quantity,
                        unit=i.unit,
                        unit_price_usd=i.unit_price_usd,
                        source=i.source,
                        notes=i.notes,
                    )
                    for i in ledger.items
                ],
                sizing=outcome.sizing,
                energy_mwh=energy_mwh,
                emissions_tco2e=emissions,
                avg_utilisation_pct=util,
                cumulative_usd=[float(v) for v in cumulative(ledger.monthly_usd)[0]],
                notes=outcome.notes,
                finetune=outcome.finetune,
            )
        )
    for res in results:
        if res.excluded:
            continue
        for other in results:
            if other is res or other.excluded:
                continue
            be = breakeven_month(r.monthly(res.name)[:1], r.monthly(other.name)[:1])
            res.breakeven_month[other.name] = None if np.isnan(be[0]) else float(be[0])
    if r.ctx.samples == 1 and not r.ctx.draws:
        from llmtco.analysis.breakeven import breakeven_volumes

        for name, row in breakeven_volumes(sc, cat).items():
            next(x for x in results if x.name == name).breakeven_volume = row
    included = [x for x in results if not x.excluded]
    cheapest = min(included, key=lambda x: x.total_cost_usd or 0.0).name if included else None
    warnings = [
        f"stale catalog record {kind}/{rid}: as of {d.isoformat()}"
        for kind, rid, d in cat.stale(sc.assumptions.start_date)
        if _used(sc, kind, rid, cat)
    ]
    fx = cat.fx.get(sc.assumptions.currency, "assumptions.currency")
    return Result(
        assumptions=assumptions_used(sc, cat),
        schema_version=SCHEMA_VERSION,
        metadata={
            "tool": "llmtco",
            "tool_version": __version__,
            "genai_prices_version": genai_prices_version(),
            "catalog_as_of": cat.as_of_range(),
            "catalog_overlays": cat.overlay_files,
            "samples": r.ctx.samples,
            "seed": None,
            "generated_at": dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
        },
        scenario=sc.name,
        horizon_months=months,
        start_date=sc.assumptions.start_date.isoformat(),
        currency=sc.assumptions.currency,
        usd_per_currency_unit=fx.usd_per_unit,
        discount_rate_pct=rate,
        workloads=[
            WorkloadSummary(
                name=d.workload.name,
                model=d.workload.model,
                requests_per_day_start=d.workload.requests_per_day_value,
                input_tokens_total=first(d.input_tokens.sum(axis=-1)),
                output_tokens_total=first(d.output_tokens.sum(axis=-1)),
            )
            for d in r.demands
        ],
        options=results,
        cheapest=cheapest,
        warnings=warnings,
    )


def expanded_options(sc: Scenario) -> list[OnPremOption | CloudGpuOption | ApiOption]:
    """Options with each hybrid replaced by its base and overflow parts."""
    out: list[OnPremOption | CloudGpuOption | ApiOption] = []
    for opt in sc.options:
        if isinstance(opt, HybridOption):
            out += [
                opt.base.model_copy(update={"name": f"{opt.name} (base)"}),
                opt.overflow.model_copy(update={"name": f"{opt.name} (overflow)"}),
            ]
        else:
            out.append(opt)
    return out


def _used(sc: Scenario, kind: str, rid: str, cat: Catalog) -> bool:
    """Is this catalog record used by the scenario (for stale warnings)?"""
    for o in expanded_options(sc):
        if kind == "servers" and isinstance(o, OnPremOption):
            sid = o.server or next((s.id for s in cat.servers if s.accelerator == o.accelerator), None)
            if sid == rid:
                return True
        if kind == "cloud_instances" and isinstance(o, CloudGpuOption) and o.instance == rid:
            return True
        if kind == "api_offerings" and isinstance(o, ApiOption) and o.offering == rid:
            return True
    return False


# ---------------------------------------------------------------- single-step probes (llmtco perf)


def _probe_setup(
    cat: Catalog, model_id: str, accelerator_id: str, precision: str | None, engine: str | None = None
) -> tuple[Model, Accelerator, Efficiency, str, str, ModelShape, HardwareShape]:
    model = cat.models.get(model_id, "--model")
    acc = cat.accelerators.get(accelerator_id, "--accelerator")
    eff = efficiency_for(cat, acc.id, engine)
    prec = precision or model.default_precision
    if prec not in BYTES_PER_WEIGHT:
        raise InfeasibleError(f"--precision: unknown precision {prec!r}. Allowed: {', '.join(BYTES_PER_WEIGHT)}.")
    compute = compute_precision(prec, acc)
    return model, acc, eff, prec, compute, model_shape(model), hardware_shape(acc, eff, compute, 1)


def _efficiency_used(eff: Efficiency) -> dict[str, object]:
    return {
        k: getattr(eff, k)
        for k in (
            "decode_bandwidth_efficiency",
            "decode_compute_efficiency",
            "prefill_compute_efficiency",
            "step_overhead_ms",
            "allreduce_latency_us",
            "power_activity_floor",
            "fitted_on",
            "source",
        )
    }


def _parts_ms(step: StepTime) -> dict[str, float]:
    return {
        "compute": first(step.compute_ms),
        "memory": first(step.memory_ms),
        "overhead": first(step.overhead_ms),
        "allreduce": first(step.comm_ms),
    }


def _memory_gb(mem: MemoryBreakdown) -> dict[str, float]:
    return {
        "weights": first(mem.weights_gb),
        "kv_cache": first(mem.kv_cache_gb),
        "runtime_overhead": first(mem.runtime_overhead_gb),
        "total": first(mem.total_gb),
        "usable": first(mem.usable_gb),
    }


def _probe_identity(
    model: Model, acc: Accelerator, eff: Efficiency, prec: str, compute: str, tp: int
) -> dict[str, object]:
    """What a probe ran: model, accelerator, precisions, parallelism and the efficiency record used."""
    return {
        "model": model.id,
        "accelerator": acc.id,
        "precision": prec,
        "compute_precision": compute,
        "tensor_parallel": tp,
        "efficiency": {"id": eff.id, **_efficiency_used(eff)},
    }


def _step_figures(step: StepTime, hw: HardwareShape, tp: int, tokens_per_step: float) -> dict[str, Any]:
    """Time, token rate, power and energy per token of one step on ``tp`` GPUs."""
    from llmtco.perf.power import gpu_power_w

    power = first(gpu_power_w(hw, step.compute_share))
    step_ms = first(step.step_ms)
    tokens_per_s = tokens_per_step / (step_ms / 1e3)
    return {
        "step_ms": step_ms,
        "tokens_per_s": tokens_per_s,
        "power_w": power,
        "power_w_total": power * tp,
        "energy_j_per_token": power * tp / tokens_per_s,
        "parts_ms": _parts_ms(step),
    }


def probe_decode(
    cat: Catalog,
    model_id: str,
    accelerator_id: str,
    batch: int,
    context: int,
    tp: int = 1,
    precision: str | None = None,
    engine: str | None = None,
) -> dict[str, object]:
    """One decode step of ``batch`` sequences at ``context`` cached tokens (``llmtco perf decode``)."""
    from llmtco.perf.memory import memory_breakdown
    from llmtco.perf.timing import decode_step

    model, acc, eff, prec, compute, shape, hw = _probe_setup(cat, model_id, accelerator_id, precision, engine)
    kvb = kv_bytes_for(compute)
    mem = memory_breakdown(shape, hw, BYTES_PER_WEIGHT[prec], kvb, tp, batch, context)
    step = decode_step(shape, hw, BYTES_PER_WEIGHT[prec], kvb, tp, batch, context)
    figures = _step_figures(step, hw, tp, tokens_per_step=batch)
    fits = mem.fits
    reason = (
        None
        if fits
        else (
            f"needs {first(mem.total_gb):.1f} GB per GPU (weights {first(mem.weights_gb):.1f}, KV cache "
            f"{first(mem.kv_cache_gb):.1f}, runtime {first(mem.runtime_overhead_gb):.1f}) but {acc.id} has "
            f"{first(mem.usable_gb):.1f} GB usable; largest batch at this context: {int(first(mem.max_batch))}"
        )
    )
    return {
        **_probe_identity(model, acc, eff, prec, compute, tp),
        "kv_cache_bytes_per_value": kvb,
        "batch": batch,
        "context": context,
        "fits": fits,
        "reason": reason,
        **figures,
        "tokens_per_s_per_gpu": figures["tokens_per_s"] / tp,
        "power_w_per_gpu": figures["power_w"],
        "memory_gb": {**_memory_gb(mem), "max_batch_at_context": int(first(mem.max_batch))},
    }


def probe_prefill(
    cat: Catalog,
    model_id: str,
    accelerator_id: str,
    batch: int,
    seq: int,
    tp: int = 1,
    precision: str | None = None,
    engine: str | None = None,
) -> dict[str, object]:
    """One prefill step of ``batch`` sequences of ``seq`` tokens (``llmtco perf prefill``)."""
    from llmtco.perf.memory import memory_breakdown
    from llmtco.perf.timing import prefill_step

    model, acc, eff, prec, compute, shape, hw = _probe_setup(cat, model_id, accelerator_id, precision, engine)
    kvb = kv_bytes_for(compute)
    mem = memory_breakdown(shape, hw, BYTES_PER_WEIGHT[prec], kvb, tp, batch, seq)
    step = prefill_step(shape, hw, BYTES_PER_WEIGHT[prec], tp, batch, seq)
    fits = mem.fits
    return {
        **_probe_identity(model, acc, eff, prec, compute, tp),
        "batch": batch,
        "seq": seq,
        "fits": fits,
        "reason": None if fits else f"needs {first(mem.total_gb):.1f} GB per GPU, {first(mem.usable_gb):.1f} GB usable",
        **_step_figures(step, hw, tp, tokens_per_step=batch * seq),
        "memory_gb": _memory_gb(mem),
    }


def probe_train(
    cat: Catalog,
    model_id: str,
    accelerator_id: str,
    gpus: int | None,
    method: str,
    seq: int,
    micro_batch: int = 1,
    lora_rank: int = 16,
    optimizer: str = "adamw",
    checkpointing: bool = True,
    precision: str = "bf16",
    tokens_per_run: float | None = None,
    engine: str | None = None,
) -> dict[str, object]:
    """Speed and memory of a fine-tuning job (``llmtco perf train``)."""
    model = cat.models.get(model_id, "--model")
    acc = cat.accelerators.get(accelerator_id, "--accelerator")
    eff = efficiency_for(cat, acc.id, engine)
    w = FinetuneWorkload(
        name="probe",
        model=model.id,
        method=method,
        lora_rank=lora_rank,
        tokens_per_run=tokens_per_run or 1e9,
        seq_len=seq,
        micro_batch=micro_batch,
        optimizer=optimizer,
        gradient_checkpointing=checkpointing,
        precision=precision,
    )
    p = finetune.plan(w, model, acc, eff, gpus=gpus)
    smallest = None
    for cand in sorted(cat.accelerators, key=lambda a: a.vram_gb):
        if finetune.plan(w, model, cand, efficiency_for(cat, cand.id, engine), gpus=p.gpus).fits:
            smallest = cand.id
            break
    min_gpus = finetune.plan(w, model, acc, eff, gpus=None)
    return {
        "model": model.id,
        "accelerator": acc.id,
        "method": method,
        "gpus": p.gpus,
        "seq": seq,
        "micro_batch": micro_batch,
        "fits": p.fits,
        "reason": p.reason,
        "tokens_per_s": p.tokens_per_s_per_gpu * p.gpus,
        "tokens_per_s_per_gpu": p.tokens_per_s_per_gpu,
        "step_ms": p.step_ms,
        "mfu": eff.train_compute_efficiency,
        "gpu_hours_per_run": p.gpu_hours_per_run if tokens_per_run else None,
        "wall_hours_per_run": p.wall_hours_per_run if tokens_per_run else None,
        "memory_gb_per_gpu": {**p.memory_gb, "usable": finetune.USABLE_FRACTION * acc.vram_gb},
        "min_gpus": min_gpus.gpus if min_gpus.fits else None,
        "smallest_accelerator_at_these_gpus": smallest,
        "efficiency": {
            "id": eff.id,
            "train_compute_efficiency": eff.train_compute_efficiency,
            "fitted_on": eff.fitted_on,
            "source": eff.source,
        },
    }


def assumptions_used(sc: Scenario, cat: Catalog) -> list[Assumption]:
    """Every input of the evaluation with its value, unit, source and date (for reports and workbooks)."""
    out: list[Assumption] = []
    a = sc.assumptions
    for name, value, unit in (
        ("horizon_months", a.horizon_months, "months"),
        ("start_date", a.start_date.isoformat(), "date"),
        ("discount_rate_pct", a.discount_rate_pct, "%/year"),
        ("currency", a.currency, ""),
        ("region", a.region, "catalog region"),
    ):
        out.append(Assumption("scenario", name, value, unit, "scenario file"))
    for w in sc.workloads:
        for key, value in w.model_dump(exclude={"name", "kind", "slo", "hourly_profile"}).items():
            if value is not None and isinstance(value, int | float | str) and not isinstance(value, bool):
                out.append(Assumption("scenario", f"{w.name}.{key}", value, "", "scenario file"))
        if isinstance(w, InferenceWorkload):
            out.append(Assumption("scenario", f"{w.name}.slo.ttft_ms", w.slo.ttft_ms or "none", "ms", "scenario file"))
            out.append(Assumption("scenario", f"{w.name}.slo.tpot_ms", w.slo.tpot_ms or "none", "ms", "scenario file"))

    def sourced(scope: str, name: str, value: float, unit: str, src: object) -> None:
        out.append(
            Assumption(
                scope,
                name,
                value,
                unit,
                getattr(src, "source", ""),
                getattr(getattr(src, "as_of", None), "isoformat", lambda: None)(),
                bool(getattr(src, "estimate", False)),
            )
        )

    for o in expanded_options(sc):
        if isinstance(o, OnPremOption):
            server = (
                cat.servers.get(o.server)
                if o.server
                else next(s for s in cat.servers if s.accelerator == o.accelerator)
            )
            acc = cat.accelerators.get(server.accelerator)
            region = cat.regions.get(o.region or a.region)
            if o.server_price_usd is not None:
                out.append(Assumption(o.name, "server_price_usd", o.server_price_usd, "USD/server", "scenario"))
            elif server.price_usd is not None:
                sourced(o.name, f"{server.id}.price_usd", server.price_usd, "USD/server", server)
            else:
                sourced(o.name, f"{server.id}.chassis_usd", server.chassis_usd or 0.0, "USD/server", server)
                sourced(o.name, f"{acc.id}.unit_price_usd", acc.unit_price_usd.value, "USD/GPU", acc.unit_price_usd)
            sourced(o.name, f"{server.id}.non_gpu_power_w", server.non_gpu_power_w, "W", server)
            sourced(o.name, f"{acc.id}.tdp_w", acc.tdp_w, "W", acc)
            sourced(o.name, f"{acc.id}.idle_w", acc.idle_w.value, "W", acc.idle_w)
            if o.electricity_usd_per_kwh is not None:
                out.append(
                    Assumption(o.name, "electricity_usd_per_kwh", o.electricity_usd_per_kwh, "USD/kWh", "scenario")
                )
            else:
                sourced(
                    o.name,
                    f"{region.id}.electricity_usd_per_kwh",
                    region.electricity_usd_per_kwh.value,
                    "USD/kWh",
                    region.electricity_usd_per_kwh,
                )
            if o.pue is not None:
                out.append(Assumption(o.name, "pue", o.pue, "ratio", "scenario"))
            else:
                sourced(o.name, f"{region.id}.pue", region.pue.value, "ratio", region.pue)
            sourced(
                o.name,
                f"{region.id}.grid_kgco2e_per_kwh",
                region.grid_kgco2e_per_kwh.value,
                "kg CO2e/kWh",
                region.grid_kgco2e_per_kwh,
            )
            sourced(
                o.name,
                f"{region.id}.engineer_salary_usd_per_year",
                region.engineer_salary_usd_per_year.value,
                "USD/year",
                region.engineer_salary_usd_per_year,
            )
            eff = efficiency_for(cat, acc.id, o.engine)
        elif isinstance(o, CloudGpuOption):
            inst = cat.cloud_instances.get(o.instance)
            price = inst.price(o.pricing)
            if price is not None:
                sourced(o.name, f"{inst.id}.{o.pricing}", price.usd_per_gpu_h, "USD/GPU-h", price)
            eff = efficiency_for(cat, inst.accelerator, o.engine)
        else:
            off = cat.api_offerings.get(o.offering)
            out.append(
                Assumption(
                    o.name,
                    f"{off.id}.token_prices",
                    f"{off.provider} {off.model_ref}",
                    "USD/M tokens (see line item)",
                    off.source,
                    off.as_of.isoformat(),
                    off.estimate,
                )
            )
            eff = None
        if eff is not None:
            for key in (
                "decode_bandwidth_efficiency",
                "decode_compute_efficiency",
                "prefill_compute_efficiency",
                "step_overhead_ms",
                "per_sequence_overhead_us",
                "power_activity_floor",
            ):
                sourced(o.name, f"{eff.id}.{key}", float(getattr(eff, key)), "", eff)
        for rate in cat.rates:
            if o.kind == "api" and not rate.id.startswith(("api_", "salary_")):
                continue
            if rate.id in o.rates:
                out.append(Assumption(o.name, rate.id, o.rates[rate.id], rate.unit, "scenario (overrides catalog)"))
            else:
                sourced(o.name, rate.id, rate.value, rate.unit, rate)
    return out
