"""Sweep results out: Parquet (and back), CSV, and a text table of winners and where they flip."""

from __future__ import annotations

import csv
import io
import json
import math
from typing import Any

import numpy as np

from llmtco._version import __version__
from llmtco.analysis.sweep.result import AxisInfo, SweepResult

SCHEMA_VERSION = "1.0"
"""Version of the sweep table layout (``SweepResult`` columns and the metadata below)."""
META_KEY = b"llmtco.sweep"
"""Parquet schema-metadata key holding the sweep's metadata as JSON."""
TABLE_ROWS = 40
"""Variants the text table lists before it summarises."""


def _metadata(r: SweepResult) -> dict[str, Any]:
    return {
        "schema_version": SCHEMA_VERSION,
        "tool_version": __version__,
        "scenario": r.scenario,
        "grid_file": r.grid_file,
        "mode": r.mode,
        "axes": [{"name": a.name, "path": a.path, "kind": a.kind, "continuous": a.continuous} for a in r.axes],
        "variants": r.variants,
        "samples": r.samples,
        "seed": r.seed,
        "engine_runs": r.engine_runs,
    }


def to_arrow(r: SweepResult) -> Any:
    """The result as a ``pyarrow.Table`` (NaN stored as null), metadata under ``llmtco.sweep``."""
    import pyarrow as pa

    arrays = {}
    for name, col in r.columns.items():
        if col.dtype.kind == "f":
            arrays[name] = pa.array(col, type=pa.float64(), from_pandas=True)
        elif col.dtype.kind == "b":
            arrays[name] = pa.array(col, type=pa.bool_())
        elif col.dtype.kind in "iu":
            arrays[name] = pa.array(col, type=pa.int64())
        else:
            arrays[name] = pa.array(list(col), type=pa.string())
    table = pa.table(arrays)
    return table.replace_schema_metadata({META_KEY: json.dumps(_metadata(r), sort_keys=True).encode()})


def render_parquet(r: SweepResult) -> bytes:
    """Parquet bytes: one row per variant x option (query with DuckDB or pandas)."""
    import pyarrow.parquet as pq

    buf = io.BytesIO()
    pq.write_table(to_arrow(r), buf, compression="zstd")
    return buf.getvalue()


def read_parquet(path: str) -> SweepResult:
    """A sweep result back from a Parquet file written by ``render_parquet``; ValueError if it is not one."""
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(path)
    except (OSError, ValueError) as exc:
        raise ValueError(f"{path}: not a readable Parquet file ({exc})") from None
    raw = (table.schema.metadata or {}).get(META_KEY)
    if raw is None:
        raise ValueError(f"{path}: not an `llmtco sweep` result (no {META_KEY.decode()} metadata)")
    meta = json.loads(raw)
    columns: dict[str, Any] = {}
    for name in table.column_names:
        col = table.column(name)
        kind = str(col.type)
        if kind == "double":
            columns[name] = np.array([np.nan if x is None else x for x in col.to_pylist()], dtype=float)
        elif kind == "bool":
            columns[name] = np.array(col.to_pylist(), dtype=bool)
        elif kind == "int64":
            columns[name] = np.array(col.to_pylist(), dtype=np.int64)
        else:
            columns[name] = np.array(col.to_pylist(), dtype=object)
    return SweepResult(
        scenario=meta["scenario"],
        grid_file=meta["grid_file"],
        mode=meta["mode"],
        axes=[AxisInfo(**a) for a in meta["axes"]],
        variants=int(meta["variants"]),
        samples=int(meta["samples"]),
        seed=int(meta["seed"]),
        engine_runs=int(meta["engine_runs"]),
        columns=columns,
    )


def _cell(x: Any) -> str:
    if x is None:
        return ""
    if isinstance(x, float | np.floating):
        return "" if math.isnan(x) else repr(float(x))
    if isinstance(x, bool | np.bool_):
        return "true" if x else "false"
    return str(x)


def render_csv(r: SweepResult) -> str:
    """CSV with a header row; empty cells where a figure does not apply."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    names = list(r.columns)
    w.writerow(names)
    cols = [r.columns[n] for n in names]
    for i in range(r.rows):
        w.writerow([_cell(c[i]) for c in cols])
    return buf.getvalue()


def _short(x: Any) -> str:
    if isinstance(x, float | int) and not isinstance(x, bool):
        if math.isnan(x):
            return "-"
        return f"{x:,.0f}" if abs(x) >= 100 else f"{x:.4g}"
    return "-" if x is None else str(x)


def _money(v: float) -> str:
    if math.isnan(v):
        return "-"
    return f"{v / 1e6:,.2f}M" if abs(v) >= 1e6 else f"{v / 1e3:,.1f}k"


def render_table(r: SweepResult, limit: int = TABLE_ROWS) -> str:
    """The cheapest option per variant (first ``limit``), how often each option wins, and the flips."""
    winners = r.winners()
    cheapest = r.columns["cheapest"]
    total = {
        int(v): t for v, t, c in zip(r.columns["variant"], r.columns["total_cost_usd"], cheapest, strict=True) if c
    }
    mtok = {
        int(v): t for v, t, c in zip(r.columns["variant"], r.columns["cost_per_mtok_usd"], cheapest, strict=True) if c
    }
    axis_vals = [r.axis_values(a.name) for a in r.axes]
    failed = sum(1 for w in winners if w is None)
    lines = [
        f"{r.scenario}: {r.variants:,} variants x {len(set(r.columns['option']))} options"
        f" ({r.engine_runs:,} engine runs{f', {r.samples:,} samples each' if r.samples else ''})",
        "",
    ]
    headers = [a.name for a in r.axes] + ["cheapest", "total", "USD/Mtok"]
    rows = []
    for i in range(min(limit, r.variants)):
        w = winners[i]
        rows.append(
            [_short(axis_vals[j][i]) for j in range(len(r.axes))]
            + [w or "(none ok)", _money(total.get(i, math.nan)), _short(mtok.get(i, math.nan))]
        )
    widths = [max(len(h), *(len(row[k]) for row in rows)) for k, h in enumerate(headers)] if rows else []
    lines.append("  ".join(h.ljust(widths[k]) for k, h in enumerate(headers)).rstrip())
    for row in rows:
        lines.append("  ".join(c.ljust(widths[k]) for k, c in enumerate(row)).rstrip())
    if r.variants > limit:
        lines.append(f"... {r.variants - limit:,} more variants (-f csv or -o FILE.parquet for all)")
    lines.append("")
    counts: dict[str, int] = {}
    for w in winners:
        if w is not None:
            counts[w] = counts.get(w, 0) + 1
    lines.append("cheapest option: " + ", ".join(f"{k} {n:,}" for k, n in sorted(counts.items(), key=lambda x: -x[1])))
    if failed:
        statuses: dict[str, int] = {}
        for s, c in zip(r.columns["status"], r.columns["option"], strict=True):
            if s != "ok" and c is not None:
                statuses[str(s)] = statuses.get(str(s), 0) + 1
        lines.append(f"{failed:,} variant(s) have no ok option (rows: {statuses}); see the reason column")
    flips = r.flips()
    lines.append("")
    if not flips:
        lines.append("the cheapest option does not flip along any numeric axis")
    for a in r.axes:
        if a.kind != "number":
            parts = []
            for value, counts in r.winners_by(a.name).items():
                best = ", ".join(f"{k} {n:,}" for k, n in sorted(counts.items(), key=lambda x: (-x[1], x[0])))
                parts.append(f"{_short(value)}: {best}")
            lines.append(f"cheapest by {a.name}: " + "; ".join(parts))
    for f in flips:
        lines.append(
            f"flip along {f.axis}: {f.before} -> {f.after} between {_short(f.low)} and {_short(f.high)}"
            f" ({f.count:,} of the other axes' combinations)"
        )
    return "\n".join(lines) + "\n"
