"""Sweep renderers: golden table and CSV, Parquet round trip, hand-checked flips and Pareto fronts.
Regenerate the golden files after an intended change with LLMTCO_UPDATE_GOLDEN=1."""

from __future__ import annotations

import csv
import io
import os
from pathlib import Path

import numpy as np
import pytest

from llmtco.analysis.sweep import SweepResult, sweep
from llmtco.analysis.sweep.result import AxisInfo
from llmtco.report.sweep import read_parquet, render_csv, render_parquet, render_table
from tests.conftest import MINIMAL

GOLDEN = Path(__file__).parent / "golden"
GRID = """\
axes:
  workloads[chat].requests_per_day: [10000, 1000000, 100000000]
  options[onprem].server: [hgx-h100-8, hgx-h200-8]
"""


@pytest.fixture(scope="module")
def result(tmp_path_factory: pytest.TempPathFactory) -> SweepResult:
    d = tmp_path_factory.mktemp("sweep")
    (d / "s.yaml").write_text(MINIMAL, encoding="utf-8")
    (d / "g.yaml").write_text(GRID, encoding="utf-8")
    return sweep(d / "s.yaml", d / "g.yaml", scheduler="synchronous")


def test_golden_table(result: SweepResult) -> None:
    text = render_table(result)
    path = GOLDEN / "sweep.table"
    if os.environ.get("LLMTCO_UPDATE_GOLDEN"):
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8")


def test_golden_csv(result: SweepResult) -> None:
    """Text cells exactly, numbers to a relative 1e-9 (the last bits of a float are not a contract)."""
    text = render_csv(result)
    path = GOLDEN / "sweep.csv"
    if os.environ.get("LLMTCO_UPDATE_GOLDEN"):
        path.write_text(text, encoding="utf-8")
    got = list(csv.reader(io.StringIO(text)))
    want = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))
    assert len(got) == len(want) and got[0] == want[0]
    for g, w in zip(got[1:], want[1:], strict=True):
        for name, a, b in zip(want[0], g, w, strict=True):
            try:
                fa, fb = float(a), float(b)
            except ValueError:
                assert a == b, name
            else:
                assert fa == pytest.approx(fb, rel=1e-9), name


def test_parquet_round_trip(result: SweepResult, tmp_path: Path) -> None:
    path = tmp_path / "r.parquet"
    path.write_bytes(render_parquet(result))
    back = read_parquet(str(path))
    assert back.axes == result.axes and back.variants == result.variants and back.seed == result.seed
    for k, col in result.columns.items():
        if col.dtype.kind == "f":
            assert np.array_equal(back.columns[k], col, equal_nan=True), k
        else:
            assert list(back.columns[k]) == list(col), k
    assert render_parquet(back) == render_parquet(result)


def synthetic(totals: list[list[float]], xs: list[float], ys: list[str]) -> SweepResult:
    """variants = xs x ys (x major); options a and b with the given totals per variant."""
    variants = [(x, y) for x in xs for y in ys]
    cols: dict[str, list[object]] = {k: [] for k in ("variant", "x", "y", "option", "status", "total")}
    for i, (x, y) in enumerate(variants):
        for name, t in zip(("a", "b"), totals[i], strict=True):
            cols["variant"].append(i)
            cols["x"].append(x)
            cols["y"].append(y)
            cols["option"].append(name)
            cols["status"].append("ok")
            cols["total"].append(t)
    total = np.array(cols["total"], dtype=float)
    cheapest = np.zeros(total.size, dtype=bool)
    for i in range(len(variants)):
        cheapest[2 * i + int(np.argmin(total[2 * i : 2 * i + 2]))] = True
    return SweepResult(
        scenario="s",
        grid_file="g",
        mode="grid",
        axes=[AxisInfo("x", "x", "number", True), AxisInfo("y", "y", "text", False)],
        variants=len(variants),
        samples=0,
        seed=0,
        engine_runs=1,
        columns={
            "variant": np.array(cols["variant"]),
            "x": np.array(cols["x"], dtype=float),
            "y": np.array(cols["y"], dtype=object),
            "option": np.array(cols["option"], dtype=object),
            "status": np.array(cols["status"], dtype=object),
            "cheapest": cheapest,
            "total_cost_usd": total,
            "ttft_ms": np.array([100.0, 300.0] * len(variants)),
        },
    )


def test_flips_hold_the_other_axes_fixed() -> None:
    # variants (x, y) = (1,p) (1,q) (2,p) (2,q) (3,p) (3,q): for p, b wins from x = 2; for q, from x = 3
    r = synthetic([[1, 2], [1, 2], [3, 2], [1, 2], [3, 2], [3, 2]], [1.0, 2.0, 3.0], ["p", "q"])
    assert r.winners() == ["a", "a", "b", "a", "b", "b"]
    flips = [(f.axis, f.low, f.high, f.before, f.after, f.count) for f in r.flips()]
    assert flips == [("x", 1.0, 2.0, "a", "b", 1), ("x", 2.0, 3.0, "a", "b", 1)]
    assert r.winners_by("y") == {"p": {"a": 1, "b": 2}, "q": {"a": 2, "b": 1}}


def test_pareto_front_keeps_only_undominated_rows() -> None:
    # rows (cost, ttft): (1,100) (2,300) (1,100) (2,300) -> only the first is on the front
    r = synthetic([[1, 2], [1, 2]], [1.0, 2.0], ["p"])
    assert r.pareto("total_cost_usd", "ttft_ms").tolist() == [True, False, False, False]
    r.columns["ttft_ms"] = np.array([100.0, 50.0, 100.0, 20.0])
    # (1,100) front; (2,50) beats it on latency; (1,100) tie keeps the first; (2,20) beats (2,50)
    assert r.pareto("total_cost_usd", "ttft_ms").tolist() == [True, False, False, True]
