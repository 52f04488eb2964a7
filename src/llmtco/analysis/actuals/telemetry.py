"""Serving and GPU telemetry → monthly figures.

Serving metrics as vLLM exposes them (docs.vllm.ai, "Production Metrics") or
SGLang's equivalents (docs.sglang.io, "Production Metrics", and
``python/sglang/srt/metrics/collector.py``, where the per-token latency histogram
is ``sglang:inter_token_latency_seconds``); GPU metrics as NVIDIA's DCGM
exporter exposes them (default counters: ``DCGM_FI_DEV_POWER_USAGE`` [W],
``DCGM_FI_DEV_GPU_UTIL`` [%], ``DCGM_FI_DEV_FB_USED`` [MiB], labels ``gpu``,
``UUID``, ``Hostname``, ``modelName``).

Raw series are read (no server-side ``rate``/``increase``, whose extrapolation
would not sum to the counters), and each step interval ``(t[i-1], t[i]]`` is
booked to the month in which it starts:

- counters: the increase over the interval, ``v[i] - v[i-1]``, or ``v[i]`` when the
  value dropped (a counter reset, e.g. a vLLM restart: the Prometheus rule);
- gauges: the value at the interval's end, weighted by the interval's length;
  intervals longer than 1.5 steps are gaps and count as not observed.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np

from llmtco.analysis.actuals.model import MonthTelemetry, Problem, StepSeries, Telemetry
from llmtco.analysis.actuals.sources import Series, SourceFailed, TelemetrySource


@dataclass(frozen=True)
class EngineMetrics:
    """Metric names of one serving engine."""

    prompt_tokens: str
    generation_tokens: str
    running: str
    waiting: str
    ttft_hist: str
    tpot_hist: str


ENGINES: dict[str, EngineMetrics] = {
    "vllm": EngineMetrics(
        "vllm:prompt_tokens_total",
        "vllm:generation_tokens_total",
        "vllm:num_requests_running",
        "vllm:num_requests_waiting",
        "vllm:time_to_first_token_seconds",
        "vllm:time_per_output_token_seconds",
    ),
    "sglang": EngineMetrics(
        "sglang:prompt_tokens_total",
        "sglang:generation_tokens_total",
        "sglang:num_running_reqs",
        "sglang:num_queue_reqs",
        "sglang:time_to_first_token_seconds",
        "sglang:inter_token_latency_seconds",
    ),
}
"""Serving engine → metric names (requests are counted by the TTFT histogram's ``_count``)."""

DCGM_POWER = "DCGM_FI_DEV_POWER_USAGE"
DCGM_UTIL = "DCGM_FI_DEV_GPU_UTIL"
DCGM_FB = "DCGM_FI_DEV_FB_USED"
GPU_ID_LABELS = ("Hostname", "gpu", "UUID")
"""Labels that identify one GPU in the DCGM exporter's series."""

QUANTILES = (0.5, 0.9, 0.99)

_MATCHER = re.compile(r'\s*([A-Za-z_][A-Za-z0-9_]*)\s*(=~|!~|!=|=)\s*"((?:[^"\\]|\\.)*)"\s*,?')


@dataclass
class Selection:
    """Which series belong to the option, and how serving series map to the plan's workloads."""

    serving_selector: str = ""
    """PromQL label matchers for the serving series, without braces, e.g. ``model_name="meta-llama/..."``."""
    gpu_selector: str = ""
    """PromQL label matchers for the DCGM series, e.g. ``Hostname=~"gpu-node-.*"``."""
    engine: str = "vllm"
    workload_label: str = "model_name"
    workloads: dict[str, str] = field(default_factory=dict)
    """Label value → workload name; with one inference workload every series maps to it."""

    def query(self, metric: str, gpu: bool = False) -> str:
        sel = self.gpu_selector if gpu else self.serving_selector
        return f"{metric}{{{sel}}}" if sel else metric


def matchers(selector: str) -> list[tuple[str, str, str]]:
    """Parse ``a="x",b=~"y"`` into (label, op, value); raise ValueError on anything else."""
    out, pos = [], 0
    text = selector.strip()
    while pos < len(text):
        m = _MATCHER.match(text, pos)
        if not m:
            raise ValueError(f'cannot read label matcher at {text[pos:]!r}: write label="value" (or =~, !=, !~)')
        out.append((m.group(1), m.group(2), m.group(3)))
        pos = m.end()
    return out


def month_of(t_s: float) -> str:
    d = dt.datetime.fromtimestamp(t_s, dt.UTC)
    return f"{d.year:04d}-{d.month:02d}"


def _intervals(s: Series, step_s: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(interval start times, lengths [s], end values) of the intervals that are not gaps."""
    if s.times_s.size < 2:
        return np.zeros(0), np.zeros(0), np.zeros(0)
    t0, t1 = s.times_s[:-1], s.times_s[1:]
    dt_s = t1 - t0
    ok = dt_s <= 1.5 * step_s
    return t0[ok], dt_s[ok], s.values[1:][ok]


def counter_increases(s: Series) -> tuple[np.ndarray, np.ndarray, list[int]]:
    """(interval start times, increases, indexes of resets): Prometheus's reset rule, gaps bridged."""
    v = s.values
    if v.size < 2:
        return np.zeros(0), np.zeros(0), []
    d = np.diff(v)
    reset = d < 0
    inc = np.where(reset, v[1:], d)
    return s.times_s[:-1], inc, [int(i) + 1 for i in np.flatnonzero(reset)]


def histogram_quantile(q: float, bounds: list[float], cumulative: list[float]) -> float | None:
    """Quantile from cumulative bucket counts, interpolated linearly inside the bucket (as PromQL does)."""
    total = cumulative[-1] if cumulative else 0.0
    if total <= 0:
        return None
    rank = q * total
    prev_b, prev_c = 0.0, 0.0
    for b, c in zip(bounds, cumulative, strict=True):
        if c >= rank:
            if math.isinf(b):
                return prev_b
            return prev_b + (b - prev_b) * (rank - prev_c) / max(c - prev_c, 1e-12)
        prev_b, prev_c = b, c
    return prev_b


class _Reader:
    def __init__(self, source: TelemetrySource, start_s: float, end_s: float, step_s: float) -> None:
        self.source, self.start_s, self.end_s, self.step_s = source, start_s, end_s, step_s
        self.problems: list[Problem] = []
        self.down = False
        self.complete_until_s = end_s
        """Every query answered up to this time; after it, at least one failed."""

    def read(self, query: str, selector_hint: tuple[str, str] | None = None) -> list[Series]:
        """Series of one query; a failure is recorded and what was read is kept."""
        if self.down:
            return []
        try:
            series = self.source.query_range(query, self.start_s, self.end_s, self.step_s)
        except SourceFailed as exc:
            self.problems.append(Problem("telemetry", self.source.name, str(exc)))
            self.down = self.down or exc.fatal
            read_to = max((float(x.times_s[-1]) for x in exc.partial if x.times_s.size), default=self.start_s)
            self.complete_until_s = min(self.complete_until_s, read_to)
            return exc.partial
        if not series and selector_hint is not None:
            self.problems.append(Problem("telemetry", self.source.name, self._nothing(query, *selector_hint)))
        return series

    def _nothing(self, query: str, metric: str, selector: str) -> str:
        msg = f"{query} matches no series between {_day(self.start_s)} and {_day(self.end_s)}"
        try:
            parsed = matchers(selector)
        except ValueError:
            parsed = []
        hints = []
        for label, _, value in parsed:
            try:
                present = self.source.label_values(label, metric)
            except SourceFailed:
                continue
            if value not in present:
                shown = ", ".join(repr(p) for p in present[:8]) or "none"
                hints.append(f"label {label} has {shown} on {metric}")
        return msg + ("; " + "; ".join(hints) if hints else "; check the selector and the date range")


def _day(t_s: float) -> str:
    return dt.datetime.fromtimestamp(t_s, dt.UTC).strftime("%Y-%m-%d")


def read_telemetry(
    source: TelemetrySource,
    start_s: float,
    end_s: float,
    step_s: float,
    selection: Selection,
    workload_names: list[str],
) -> Telemetry:
    """Read every serving and GPU query and aggregate it by month (and by step for recalibration)."""
    if selection.engine not in ENGINES:
        raise ValueError(f"unknown serving engine {selection.engine!r}; allowed: {', '.join(ENGINES)}")
    names = ENGINES[selection.engine]
    r = _Reader(source, start_s, end_s, step_s)
    sv = selection.serving_selector
    gp = selection.gpu_selector
    months: dict[str, MonthTelemetry] = defaultdict(lambda: MonthTelemetry(month=""))
    grid = StepSeries.empty(start_s, end_s, step_s)
    notices: list[Problem] = []

    def workload_of(s: Series) -> str | None:
        if len(workload_names) == 1:
            return workload_names[0]
        value = s.labels.get(selection.workload_label, "")
        name = selection.workloads.get(value, value)
        return name if name in workload_names else None

    unmapped: set[str] = set()
    for key, metric in (("input", names.prompt_tokens), ("output", names.generation_tokens)):
        for s in r.read(selection.query(metric), (metric, sv)):
            wl = workload_of(s)
            if wl is None:
                unmapped.add(s.labels.get(selection.workload_label, "<none>"))
                continue
            t0, inc, resets = counter_increases(s)
            for i in resets:
                notices.append(
                    Problem(
                        "telemetry",
                        source.name,
                        f"counter reset of {metric} {_short(s.labels)} at "
                        f"{dt.datetime.fromtimestamp(s.times_s[i], dt.UTC):%Y-%m-%d %H:%M}Z: "
                        "counted from zero, as Prometheus does",
                        severity="notice",
                    )
                )
            for t, x in zip(t0, inc, strict=True):
                m = months[month_of(t)]
                m.add_tokens(wl, key, float(x))
            if key == "output":
                grid.add(t0, inc, "output_tokens")
    if unmapped:
        r.problems.append(
            Problem(
                "telemetry",
                source.name,
                f"serving series with {selection.workload_label} {', '.join(sorted(unmapped))} map to no workload "
                f"({', '.join(workload_names)}); map them with --workload VALUE=WORKLOAD",
            )
        )
    requests = selection.query(names.ttft_hist + "_count")
    for s in r.read(requests, (names.ttft_hist + "_count", sv)):
        if workload_of(s) is None:
            continue
        t0, inc, _ = counter_increases(s)
        for t, x in zip(t0, inc, strict=True):
            months[month_of(t)].add("requests", float(x))
    for attr, metric in (("running", names.running), ("waiting", names.waiting)):
        for s in r.read(selection.query(metric), (metric, sv)):
            t0, dts, val = _intervals(s, step_s)
            for t, d, v in zip(t0, dts, val, strict=True):
                months[month_of(t)].add(f"{attr}_seconds", float(v * d))
            if attr == "running":
                grid.add(t0, val * dts, "running_seconds")
    for attr, metric in (("ttft", names.ttft_hist), ("tpot", names.tpot_hist)):
        per_month: dict[str, dict[float, float]] = defaultdict(lambda: defaultdict(float))
        for s in r.read(selection.query(metric + "_bucket"), (metric + "_bucket", sv)):
            le = float(s.labels.get("le", "inf").replace("+Inf", "inf"))
            t0, inc, _ = counter_increases(s)
            for t, x in zip(t0, inc, strict=True):
                per_month[month_of(t)][le] += float(x)
        for month, buckets in per_month.items():
            bounds = sorted(buckets)
            cum = [buckets[b] for b in bounds]
            months[month].quantiles_ms[attr] = {
                f"p{round(q * 100)}": _ms(histogram_quantile(q, bounds, cum)) for q in QUANTILES
            }
    gpus: set[tuple[str, ...]] = set()
    for attr, metric in (("power", DCGM_POWER), ("util", DCGM_UTIL), ("fb", DCGM_FB)):
        for s in r.read(selection.query(metric, gpu=True), (metric, gp)):
            gpus.add(tuple(s.labels.get(k, "") for k in GPU_ID_LABELS))
            t0, dts, val = _intervals(s, step_s)
            for t, d, v in zip(t0, dts, val, strict=True):
                m = months[month_of(t)]
                if attr == "power":
                    m.add("gpu_seconds", float(d))
                    m.add("gpu_energy_j", float(v * d))
                elif attr == "util":
                    m.add("busy_gpu_seconds", float(v / 100.0 * d))
                else:
                    m.add("fb_mib_seconds", float(v * d))
            if attr == "power":
                grid.add(t0, val * dts, "gpu_energy_j")
                grid.add(t0, dts, "gpu_seconds")
    for key, m in months.items():
        m.month = key
    return Telemetry(
        source=source.name,
        engine=selection.engine,
        step_s=step_s,
        months={k: months[k] for k in sorted(months)},
        steps=grid,
        gpus_seen=len(gpus),
        complete_until_s=r.complete_until_s,
        problems=r.problems + notices,
    )


def _ms(x: float | None) -> float | None:
    return None if x is None else x * 1000.0


def _short(labels: dict[str, str]) -> str:
    keep = {k: v for k, v in labels.items() if k not in ("__name__", "le")}
    return "{" + ",".join(f'{k}="{v}"' for k, v in sorted(keep.items())) + "}"


def queries(selection: Selection) -> list[str]:
    """Every query ``read_telemetry`` runs (what an export must hold)."""
    n = ENGINES[selection.engine]
    serving = [
        n.prompt_tokens,
        n.generation_tokens,
        n.ttft_hist + "_count",
        n.running,
        n.waiting,
        n.ttft_hist + "_bucket",
        n.tpot_hist + "_bucket",
    ]
    return [selection.query(m) for m in serving] + [
        selection.query(m, gpu=True) for m in (DCGM_POWER, DCGM_UTIL, DCGM_FB)
    ]
