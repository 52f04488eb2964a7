"""A workload built from a request trace CSV.

Columns (the public Azure LLM inference traces, github.com/Azure/AzurePublicDataset:
``AzureLLMInferenceTrace_{code,conv}.csv`` 2023 and ``AzureLLMInferenceTrace_*_1week.csv`` 2024):
``TIMESTAMP`` (ISO date-time, or seconds), ``ContextTokens`` (input), ``GeneratedTokens`` (output).

What the trace sets on the workload, unless the scenario gives it itself:

- ``requests_per_day``: requests / trace span x 86,400 s;
- ``hourly_profile``: requests per hour of day (UTC) when the trace covers >= 23 hours, else
  ``peak_to_average``: the busiest 5-minute window's rate / the mean rate (burstiness);
- ``input_length`` / ``output_length``: histograms of 32 equal-count bins (bin means, counts);
- ``arrival_cv2``: squared coefficient of variation of inter-arrival times (1 = Poisson), used by
  the TTFT queue (Kingman's G/G/1 correction).
"""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path
from typing import Any

import numpy as np

from llmtco.files import read_text_limited

COLUMNS = ("TIMESTAMP", "ContextTokens", "GeneratedTokens")
BINS = 32


class TraceError(ValueError):
    """A trace file that cannot be read; the message names the file and the problem."""


def _seconds(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        pass
    try:
        stamp = dt.datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise TraceError(f"TIMESTAMP {text!r} is neither seconds nor an ISO date-time") from None
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=dt.UTC)
    return stamp.timestamp()


def read_trace(path: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Arrival times [s since epoch], input and output tokens of every request, sorted by arrival."""
    try:
        text = read_text_limited(path)
    except (OSError, ValueError) as exc:  # ValueError: a NUL byte in the path
        raise TraceError(f"cannot read trace {str(path)!r}: {getattr(exc, 'strerror', None) or exc}") from None
    reader = csv.DictReader(text.splitlines())
    missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise TraceError(f"trace {path.name}: missing columns {', '.join(missing)}; expected {', '.join(COLUMNS)}")
    t, lin, lout = [], [], []
    for n, row in enumerate(reader, start=2):
        try:
            t.append(_seconds(row["TIMESTAMP"]))
            lin.append(float(row["ContextTokens"]))
            lout.append(float(row["GeneratedTokens"]))
        except (TraceError, ValueError) as exc:
            raise TraceError(f"trace {path.name} line {n}: {exc}") from None
    if len(t) < 2:
        raise TraceError(f"trace {path.name}: needs at least two requests")
    order = np.argsort(t)
    return np.asarray(t)[order], np.asarray(lin)[order], np.maximum(np.asarray(lout)[order], 1.0)


def _histogram(values: np.ndarray) -> list[list[float]]:
    bins = np.array_split(np.sort(values), min(BINS, values.size))
    return [[round(float(b.mean()), 3), float(b.size)] for b in bins if b.size and b.mean() > 0]


def summarise_trace(path: Path) -> dict[str, Any]:
    """Workload fields the trace implies (see the module docstring)."""
    t, lin, lout = read_trace(path)
    span = float(t[-1] - t[0])
    if span <= 0:
        raise TraceError(f"trace {path.name}: all requests have the same TIMESTAMP")
    gaps = np.diff(t)
    out: dict[str, Any] = {
        "requests_per_day": t.size / span * 86400.0,
        "input_length": {"histogram": _histogram(lin)},
        "output_length": {"histogram": _histogram(lout)},
        "arrival_cv2": round(float(np.var(gaps)) / max(float(np.mean(gaps)) ** 2, 1e-12), 4),
    }
    if span >= 23 * 3600:
        hours = ((t % 86400.0) // 3600).astype(int)
        out["hourly_profile"] = [float(c) for c in np.bincount(hours, minlength=24)]
    else:
        window = 300.0
        edges = np.arange(t[0], t[-1] + window, window)
        counts, _ = np.histogram(t, bins=edges)
        mean_rate = t.size / max(span, window)
        out["peak_to_average"] = float(np.clip(counts.max() / window / mean_rate, 1.0, 24.0))
    return out


def expand_traces(data: dict[str, Any], base: Path | None) -> list[tuple[tuple[str | int, ...], str]]:
    """Fill each workload with a ``trace`` from its file (fields the scenario sets win); return problems."""
    problems: list[tuple[tuple[str | int, ...], str]] = []
    workloads = data.get("workloads")
    if not isinstance(workloads, list):
        return problems
    for i, w in enumerate(workloads):
        if not isinstance(w, dict) or not isinstance(w.get("trace"), str):
            continue
        path = Path(w["trace"]) if base is None else base / w["trace"]
        try:
            derived = summarise_trace(path)
        except TraceError as exc:
            problems.append((("workloads", i, "trace"), str(exc)))
            continue
        if "tokens_per_month" in w:
            derived.pop("requests_per_day")
        if "input_tokens" in w:
            derived.pop("input_length")
        if "output_tokens" in w:
            derived.pop("output_length")
        if "peak_to_average" in w or "hourly_profile" in w:
            derived.pop("hourly_profile", None)
            derived.pop("peak_to_average", None)
        for key, value in derived.items():
            w.setdefault(key, value)
    return problems
