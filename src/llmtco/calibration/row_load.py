"""The load an end-to-end corpus row was measured at, read from the words of its source.

A serving benchmark runs at an offered request rate (open loop: MLPerf Server's ``target_qps``, an
online table's "offered N QPS", ``vllm bench serve --request-rate``), at a fixed number of concurrent
clients (closed loop: ``--max-concurrency C``, "concurrency C" of a fixed-concurrency sweep), or at
saturation (offline: every request queued at once). The accuracy report compares each row with the
model at that load (``sizing.operating``); a row whose text states none stays at saturation and says so.

Only what the row states is read, never a guess: the rate is the whole system's (``gpu_count``
GPUs), split over its replicas at prediction time; a harness setting ``max_concurrency`` in a CSV row
(an engine's cap) is not a load. A user's ``vllm bench serve`` result, where ``max_concurrency`` is
the client's concurrency, carries its ``request_rate`` or ``max_concurrency`` the same way
(``calibration.imports``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

RATE_PATTERNS = (
    re.compile(r"target_qps ([0-9]+(?:\.[0-9]+)?)"),
    re.compile(r"offered ([0-9]+(?:\.[0-9]+)?) QPS"),
    re.compile(r"--request-rate ([0-9]+(?:\.[0-9]+)?)"),
)
"""Offered request rate of the whole system [requests/s] (MLPerf Server, online tables, vLLM bench)."""
CONCURRENCY_PATTERNS = (
    re.compile(r"(?<![\w-])concurrency ([0-9]+)"),
    re.compile(r"--max-concurrency ([0-9]+)"),
)
"""Concurrent clients of a closed-loop run, in ``concurrency_or_batch`` only (``max_concurrency`` is a cap)."""
LIMITS_PATTERN = re.compile(r"constraints p99 TTFT<=([0-9.]+) ms, p99 TPOT<=([0-9.]+) ms")
"""The latency limits an MLPerf Server run met (``loadgen/mlperf.conf``: e.g. llama2-70b 2000/200 ms,
llama2-70b-interactive 450/40 ms), as the corpus notes quote them."""
REQUESTS_PATTERN = re.compile(r"(?<![\w.])([0-9]+) requests")
"""Requests in a finite benchmark run ("500 requests"): no more than these can run at once."""
ENGINE_CAP_PATTERN = re.compile(r"(?:gpu_batch_size|max_batch_size|max_num_seqs) ([0-9]+)\b(?! per rank)")
"""The engine's configured cap on running sequences per replica, as the row's layout states it."""


@dataclass(frozen=True)
class RowLoad:
    """How a row's requests arrived."""

    kind: str = "saturation"
    """``rate`` (open loop), ``concurrency`` (closed loop) or ``saturation`` (none stated: max throughput)."""
    value: float | None = None
    """Offered requests/s of the whole system, or concurrent clients [requests/s | 1]."""
    text: str = ""
    """The source's words the load was read from."""
    limits_ms: tuple[float, float] | None = None
    """(p99 TTFT, p99 TPOT) limits the run met [ms]: an MLPerf Server run, whose ``target_qps`` the
    submitter raised until one of them bound. Its throughput is then a capacity under those limits, not
    the offered load."""
    requests: int | None = None
    """Requests in the run, where the source states a finite run; None: a long or unstated run."""
    engine_cap: int | None = None
    """Running sequences per replica the engine was configured to allow (``gpu_batch_size``,
    ``max_batch_size``, ``max_num_seqs`` as the row states it); None: the engine's default."""

    def label(self) -> str:
        """Where the row is evaluated, for the accuracy report."""
        if self.limits_ms is not None:
            ttft, tpot = self.limits_ms
            measured = f"; measured at {self.text}" if self.text else ""
            return f"the highest rate meeting p99 TTFT <= {ttft:g} ms and TPOT <= {tpot:g} ms (MLPerf Server{measured})"
        if self.kind == "rate":
            return f"rate {self.value:g} req/s ({self.text})"
        if self.kind == "concurrency":
            return f"concurrency {self.value:g} ({self.text})"
        return "saturation (no load stated)"


SATURATION = RowLoad()

MLPERF_SERVER_LIMITS_MS: dict[str, tuple[float, float]] = {
    "llama-2-70b": (2000.0, 200.0),
    "mixtral-8x7b": (2000.0, 200.0),
    "llama-3.1-405b": (6000.0, 175.0),
    "llama-3.1-8b": (2000.0, 100.0),
    "deepseek-r1": (2000.0, 80.0),
}
"""(p99 TTFT, p99 TPOT) limits of each MLPerf Inference Server benchmark [ms], for rows whose notes do not
quote them. Source: mlcommons/inference ``loadgen/mlperf.conf`` (commit 001712e9, ``<model>.Server.
ttft_latency`` / ``tpot_latency``; the interactive classes have tighter limits, which their rows quote)."""
OFFERED_SHARE = 0.9
"""An open-loop row carried its offered load when its achieved rate (throughput / output length) is at
least this share of it; its throughput is then the offered load, not a measure of the model."""


def row_load(concurrency_or_batch: str, notes: str) -> RowLoad:
    """The load a row states (``concurrency_or_batch`` first, then ``notes``), else saturation; with the
    run's latency limits, its number of requests and the engine's batch cap where the row states them."""
    limits = LIMITS_PATTERN.search(notes)
    requests = REQUESTS_PATTERN.search(concurrency_or_batch) or REQUESTS_PATTERN.search(notes)
    cap = ENGINE_CAP_PATTERN.search(concurrency_or_batch)
    run = RowLoad(
        limits_ms=(float(limits.group(1)), float(limits.group(2))) if limits else None,
        requests=int(requests.group(1)) if requests else None,
        engine_cap=int(cap.group(1)) if cap else None,
    )
    for text in (concurrency_or_batch, notes):
        for pattern in RATE_PATTERNS:
            m = pattern.search(text)
            if m:
                return replace(run, kind="rate", value=float(m.group(1)), text=m.group(0))
    for pattern in CONCURRENCY_PATTERNS:
        m = pattern.search(concurrency_or_batch)
        if m:
            return replace(run, kind="concurrency", value=float(m.group(1)), text=m.group(0))
    return SATURATION


def with_server_limits(load: RowLoad, scenario: str, model: str) -> RowLoad:
    """An MLPerf Server row's load with its benchmark's latency limits (``MLPERF_SERVER_LIMITS_MS``) where
    its notes do not quote them; any other row's load unchanged."""
    if load.limits_ms is not None or "mlperf-server" not in scenario.lower():
        return load
    limits = MLPERF_SERVER_LIMITS_MS.get(model)
    return load if limits is None else replace(load, limits_ms=limits)


def carried_offered_load(load: RowLoad, total_tok_s: float | None, output_tokens: float) -> bool:
    """True where an open-loop row without latency limits served its whole offered rate: its measured
    throughput is then (offered rate x output length), an input of the run, and comparing the model's
    throughput with it would test nothing. A row that fell short of its offered rate (a saturated run)
    measured a capacity and keeps its throughput."""
    if load.kind != "rate" or load.limits_ms is not None or load.value is None or total_tok_s is None:
        return False
    return total_tok_s / max(output_tokens, 1e-9) >= OFFERED_SHARE * load.value


MEDIAN_TTFT_PATTERN = re.compile(r"ttft_ms = mean TTFT \(median ([0-9]+(?:\.[0-9]+)?(?:e[+-]?[0-9]+)?)")
"""A row whose ``ttft_ms`` is a mean and whose notes quote the median beside it (InferenceMAX's artifacts)."""


def published_median_ttft(notes: str) -> float | None:
    """The median TTFT the notes quote beside a mean ``ttft_ms`` [ms]; None where they quote none.

    The corpus compares it instead of the mean: the model predicts a steady state, and a few requests
    stalled outside it move a mean by any amount (DeepSeek-R1 on B200 at 64 clients: mean 5,445 ms,
    median 583 ms, p99 73 s)."""
    m = MEDIAN_TTFT_PATTERN.search(notes)
    return float(m.group(1)) if m else None


def latency_statistic(notes: str) -> str:
    """Which TTFT statistic the row's compared TTFT is: ``p50`` where the notes say median or quote one
    (``published_median_ttft``), else ``mean``."""
    if re.search(r"median TTFT", notes, re.IGNORECASE) or published_median_ttft(notes) is not None:
        return "p50"
    return "mean"
