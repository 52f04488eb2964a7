"""Telemetry sources behind one small interface: a Prometheus server, or a saved ``query_range`` export.

Both answer ``query_range(query, start_s, end_s, step_s)`` with the raw series
Prometheus returns (``/api/v1/query_range``, result type ``matrix``). A failure
raises ``SourceFailed``, which carries the series read before it failed (a long
range is read in chunks of at most ``MAX_POINTS`` points, the server's limit
being 11,000 per series), so nothing already read is lost.

Export file (JSON, optionally gzip-compressed, written by ``save_export``)::

    {"llmtco_export": 1, "source": URL, "start_s": ..., "end_s": ..., "step_s": ...,
     "results": [{"query": QUERY, "data": {"resultType": "matrix", "result": [...]}}]}

``data`` is the ``data`` member of Prometheus's query_range answer (values
written as numbers rather than strings; integers stay exact).
"""

from __future__ import annotations

import gzip
import json
import math
import zlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray

from llmtco.errors import ActualsError
from llmtco.files import read_bytes_limited, write_atomic

MAX_POINTS = 10_000
"""Points per series per request (Prometheus refuses more than 11,000)."""

EXPORT_VERSION = 1


@dataclass(frozen=True)
class Series:
    """One time series of a query_range answer."""

    labels: dict[str, str]
    """Label set, with ``__name__`` for the metric name."""
    times_s: NDArray[np.float64]
    """Sample times [Unix seconds], increasing."""
    values: NDArray[np.float64]
    """Sample values [the metric's unit]."""

    @property
    def name(self) -> str:
        return self.labels.get("__name__", "")


@dataclass
class SourceFailed(ActualsError):
    """A query failed; ``partial`` holds what it returned before failing."""

    message: str
    partial: list[Series] = field(default_factory=list)
    fatal: bool = False
    """True when the source cannot answer any further query (server down)."""

    def __post_init__(self) -> None:
        super().__init__(self.message)

    def __str__(self) -> str:
        return self.message


class TelemetrySource(Protocol):
    """What the telemetry reader needs from Prometheus or an export."""

    name: str
    """Human-readable origin (URL or file) for messages."""

    def query_range(self, query: str, start_s: float, end_s: float, step_s: float) -> list[Series]: ...

    def label_values(self, label: str, metric: str) -> list[str]: ...


def _parse_matrix(data: Any, where: str) -> list[Series]:
    if not isinstance(data, dict) or data.get("resultType") != "matrix" or not isinstance(data.get("result"), list):
        raise ActualsError(f"{where}: expected a query_range answer (resultType matrix)")
    out = []
    for row in data["result"]:
        values = row.get("values") or []
        t = np.array([float(v[0]) for v in values], dtype=float)
        y = np.array([float(v[1]) for v in values], dtype=float)
        out.append(Series(labels={str(k): str(v) for k, v in (row.get("metric") or {}).items()}, times_s=t, values=y))
    return out


def merge(chunks: Iterable[list[Series]]) -> list[Series]:
    """Concatenate the chunks of one query, series by series (same label set)."""
    parts: dict[tuple[tuple[str, str], ...], list[Series]] = {}
    for chunk in chunks:
        for s in chunk:
            parts.setdefault(tuple(sorted(s.labels.items())), []).append(s)
    return [
        Series(dict(key), np.concatenate([p.times_s for p in ps]), np.concatenate([p.values for p in ps]))
        for key, ps in parts.items()
    ]


def chunk_ranges(start_s: float, end_s: float, step_s: float) -> list[tuple[float, float]]:
    """Consecutive [start, end] windows of at most ``MAX_POINTS`` points, with no point read twice."""
    out = []
    span = step_s * (MAX_POINTS - 1)
    t = start_s
    while t <= end_s:
        stop = min(t + span, end_s)
        out.append((t, stop))
        t = stop + step_s
    return out


class PrometheusSource:
    """The Prometheus HTTP API (``/api/v1/query_range``) through httpx."""

    def __init__(self, url: str, timeout_s: float = 30.0, headers: dict[str, str] | None = None) -> None:
        self.url = url.rstrip("/")
        self.name = self.url
        self.timeout_s = timeout_s
        self.headers = headers or {}

    def _get(self, path: str, params: dict[str, str]) -> Any:
        import httpx

        try:
            resp = httpx.get(f"{self.url}{path}", params=params, timeout=self.timeout_s, headers=self.headers)
        except httpx.TimeoutException:
            raise SourceFailed(f"Prometheus at {self.url} did not answer within {self.timeout_s:g} s") from None
        except httpx.HTTPError as exc:
            raise SourceFailed(f"cannot reach Prometheus at {self.url}: {exc}", fatal=True) from None
        try:
            body = resp.json()
        except ValueError:
            raise SourceFailed(
                f"{self.url}{path} answered HTTP {resp.status_code} without a Prometheus JSON body", fatal=True
            ) from None
        if body.get("status") != "success":
            kind = body.get("errorType", f"HTTP {resp.status_code}")
            raise SourceFailed(f"Prometheus at {self.url} refused the query ({kind}): {body.get('error', '')}")
        return body.get("data")

    def query_range(self, query: str, start_s: float, end_s: float, step_s: float) -> list[Series]:
        chunks: list[list[Series]] = []
        for a, b in chunk_ranges(start_s, end_s, step_s):
            params = {"query": query, "start": f"{a:.3f}", "end": f"{b:.3f}", "step": f"{step_s:g}"}
            # Prometheus durations are integers with a unit
            params["timeout"] = f"{max(round(self.timeout_s * 1000), 1)}ms"
            try:
                chunks.append(_parse_matrix(self._get("/api/v1/query_range", params), query))
            except SourceFailed as exc:
                read = merge(chunks)
                exc.message = f"{exc.message} (query {query!r}, window from {_iso(a)}; {len(read)} series read before)"
                exc.partial = read
                raise
        return merge(chunks)

    def label_values(self, label: str, metric: str) -> list[str]:
        data = self._get(f"/api/v1/label/{label}/values", {"match[]": metric})
        return sorted(str(v) for v in data or [])


MAX_EXPORT_BYTES = 256 * 1024 * 1024
"""Largest saved export read, compressed or not [bytes] (a year of a large fleet at hourly steps is far less)."""


def _gunzip_limited(raw: bytes) -> bytes:
    """Decompressed gzip data, refusing more than ``MAX_EXPORT_BYTES`` (a gzip bomb stops there)."""
    z = zlib.decompressobj(16 + zlib.MAX_WBITS)
    out = z.decompress(raw, MAX_EXPORT_BYTES + 1)
    if len(out) > MAX_EXPORT_BYTES or z.unconsumed_tail:
        raise OSError(f"the export decompresses to more than {MAX_EXPORT_BYTES:,} bytes")
    return out


class ExportSource:
    """A saved export: the same answers, offline."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.name = str(path)
        if not self.path.is_file():
            raise ActualsError(f"--export: file {str(path)!r} not found")
        try:
            raw = read_bytes_limited(self.path, MAX_EXPORT_BYTES)
            doc = json.loads(_gunzip_limited(raw) if raw[:2] == b"\x1f\x8b" else raw)
        except (ValueError, OSError) as exc:
            raise ActualsError(f"{path}: not a query_range export (JSON): {exc}") from None
        if not isinstance(doc, dict) or doc.get("llmtco_export") != EXPORT_VERSION:
            raise ActualsError(f"{path}: not an llmtco query_range export (missing 'llmtco_export': {EXPORT_VERSION})")
        self.step_s = float(doc["step_s"])
        self.results: dict[str, list[Series]] = {
            r["query"]: _parse_matrix(r["data"], f"{path}: {r['query']}") for r in doc["results"]
        }

    def query_range(self, query: str, start_s: float, end_s: float, step_s: float) -> list[Series]:
        if query not in self.results:
            raise SourceFailed(
                f"{self.path} holds no answer for {query!r}; it holds: {', '.join(sorted(self.results))}"
            )
        out = []
        for s in self.results[query]:
            keep = (s.times_s >= start_s) & (s.times_s <= end_s)
            out.append(Series(s.labels, s.times_s[keep], s.values[keep]))
        return out

    def label_values(self, label: str, metric: str) -> list[str]:
        names = {metric}
        return sorted(
            {s.labels[label] for rows in self.results.values() for s in rows if s.name in names and label in s.labels}
        )


def save_export(
    source: TelemetrySource, queries: Iterable[str], start_s: float, end_s: float, step_s: float, path: str | Path
) -> int:
    """Run each query and write the answers as an export (gzip when ``path`` ends in .gz); return the series count."""
    results = []
    count = 0
    for q in queries:
        series = source.query_range(q, start_s, end_s, step_s)
        count += len(series)
        results.append(
            {
                "query": q,
                "data": {
                    "resultType": "matrix",
                    "result": [
                        {
                            "metric": s.labels,
                            "values": [[_num(t), _num(v)] for t, v in zip(s.times_s, s.values, strict=True)],
                        }
                        for s in series
                    ],
                },
            }
        )
    doc = {
        "llmtco_export": EXPORT_VERSION,
        "source": source.name,
        "start_s": start_s,
        "end_s": end_s,
        "step_s": step_s,
        "results": results,
    }
    text = json.dumps(doc, separators=(",", ":")).encode("utf-8")
    write_atomic(path, gzip.compress(text, mtime=0) if str(path).endswith(".gz") else text)
    return count


def _num(x: float) -> Any:
    """Prometheus writes values as strings and times as numbers; integers stay integers (exact)."""
    return int(x) if float(x).is_integer() and math.isfinite(x) else float(x)


def _iso(t_s: float) -> str:
    import datetime as dt

    return dt.datetime.fromtimestamp(t_s, dt.UTC).strftime("%Y-%m-%dT%H:%MZ")
