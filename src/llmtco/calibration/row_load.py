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
from dataclasses import dataclass

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


@dataclass(frozen=True)
class RowLoad:
    """How a row's requests arrived."""

    kind: str = "saturation"
    """``rate`` (open loop), ``concurrency`` (closed loop) or ``saturation`` (none stated: max throughput)."""
    value: float | None = None
    """Offered requests/s of the whole system, or concurrent clients [requests/s | 1]."""
    text: str = ""
    """The source's words the load was read from."""

    def label(self) -> str:
        """Where the row is evaluated, for the accuracy report."""
        if self.kind == "rate":
            return f"rate {self.value:g} req/s ({self.text})"
        if self.kind == "concurrency":
            return f"concurrency {self.value:g} ({self.text})"
        return "saturation (no load stated)"


SATURATION = RowLoad()


def row_load(concurrency_or_batch: str, notes: str) -> RowLoad:
    """The load a row states (``concurrency_or_batch`` first, then ``notes``), else saturation."""
    for text in (concurrency_or_batch, notes):
        for pattern in RATE_PATTERNS:
            m = pattern.search(text)
            if m:
                return RowLoad("rate", float(m.group(1)), m.group(0))
    for pattern in CONCURRENCY_PATTERNS:
        m = pattern.search(concurrency_or_batch)
        if m:
            return RowLoad("concurrency", float(m.group(1)), m.group(0))
    return SATURATION


def latency_statistic(notes: str) -> str:
    """Which TTFT statistic the row's ``ttft_ms`` is: ``p50`` where the notes say median, else ``mean``."""
    return "p50" if re.search(r"median TTFT", notes, re.IGNORECASE) else "mean"
