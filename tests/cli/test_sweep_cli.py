"""`llmtco sweep` and `llmtco report RESULT.parquet` end to end: formats, errors, the example, Ctrl-C."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from llmtco.analysis.sweep import sweep
from llmtco.cli import main
from llmtco.report.sweep import read_parquet
from tests.conftest import MINIMAL, ROOT

Write = Callable[..., Path]

GRID = """\
axes:
  workloads[chat].requests_per_day: {range: [10000, 10000000], steps: 5, scale: log, name: volume}
  options[onprem].server: [hgx-h100-8, hgx-h200-8]
"""


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_table_lists_winners_and_flips(write: Write, capsys: pytest.CaptureFixture[str]) -> None:
    sc, grid = write(MINIMAL), write(GRID, "grid.yaml")
    code, out, err = run(capsys, "sweep", str(sc), "--grid", str(grid), "--scheduler", "synchronous")
    assert code == 0, err
    r = sweep(sc, grid, scheduler="synchronous")
    winners = r.winners()
    assert "10 variants x 3 options" in out
    assert "cheapest option: " in out
    for w in set(winners):
        assert w is not None and w in out
    if len({winners[i] for i in range(0, 10, 2)}) > 1:  # volume is the first axis: even variants are h100
        assert "flip along volume:" in out


def test_parquet_is_queryable_with_duckdb_and_pandas(
    write: Write, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    duckdb = pytest.importorskip("duckdb")
    pd = pytest.importorskip("pandas")
    sc, grid, out = write(MINIMAL), write(GRID, "grid.yaml"), tmp_path / "sweep.parquet"
    code, _, err = run(capsys, "sweep", str(sc), "--grid", str(grid), "-o", str(out), "--scheduler", "threads")
    assert code == 0, err
    r = read_parquet(str(out))
    assert r.variants == 10 and r.rows == 30 and [a.name for a in r.axes] == ["volume", "options[onprem].server"]
    df = pd.read_parquet(out)
    assert len(df) == 30 and set(df["status"]) == {"ok"}
    cheapest = df[df["cheapest"]].sort_values("variant")["option"].tolist()
    assert cheapest == r.winners()
    rows = duckdb.sql(f"SELECT variant, option, total_cost_usd FROM '{out}' WHERE cheapest ORDER BY variant").fetchall()
    assert [x[1] for x in rows] == r.winners()
    best = df.loc[df.groupby("variant")["total_cost_usd"].idxmin()]
    assert best["option"].tolist() == r.winners()
    assert np.allclose([x[2] for x in rows], best["total_cost_usd"].to_numpy())


def test_csv_has_one_row_per_variant_and_option(write: Write, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "sweep", str(write(MINIMAL)), "--grid", str(write(GRID, "grid.yaml")), "-f", "csv")
    assert code == 0, err
    lines = out.splitlines()
    header = lines[0].split(",")
    assert header[:4] == ["variant", "volume", "options[onprem].server", "option"]
    assert {"total_cost_usd", "npv_usd", "cost_per_mtok_usd", "gpus", "emissions_tco2e", "cheapest"} <= set(header)
    assert len(lines) == 1 + 30


@pytest.mark.parametrize(
    ("grid", "message"),
    [
        ("axes:\n  options[onprem].srever: [x]\n", "grid.yaml:2:27: options[onprem].srever: unknown field 'srever'"),
        ("axes:\n  options[onprem].pue: {range: [2, 1], steps: two}\n", "options[onprem].pue: steps is a whole number"),
    ],
)
def test_bad_grid_exits_2_naming_the_path(
    write: Write, capsys: pytest.CaptureFixture[str], grid: str, message: str
) -> None:
    code, _, err = run(capsys, "sweep", str(write(MINIMAL)), "--grid", str(write(grid, "grid.yaml")))
    assert code == 2
    assert message in err and "Traceback" not in err


def test_parquet_needs_a_file_and_a_bad_scheduler_is_named(write: Write, capsys: pytest.CaptureFixture[str]) -> None:
    sc, grid = write(MINIMAL), write(GRID, "grid.yaml")
    code, _, err = run(capsys, "sweep", str(sc), "--grid", str(grid), "-f", "parquet")
    assert code == 2 and "give -o FILE.parquet" in err
    code, _, err = run(capsys, "sweep", str(sc), "--grid", str(grid), "--scheduler", "gpu")
    assert code == 2 and "--scheduler 'gpu'" in err


def test_report_of_a_sweep_draws_map_curves_and_fronts(
    write: Write, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sc, grid, out = write(MINIMAL), write(GRID, "grid.yaml"), tmp_path / "s.parquet"
    assert run(capsys, "sweep", str(sc), "--grid", str(grid), "-o", str(out))[0] == 0
    html = tmp_path / "s.html"
    code, _, err = run(capsys, "report", str(out), "-o", str(html), "--axes", "options[onprem].server,volume")
    assert code == 0, err
    text = html.read_text(encoding="utf-8")
    assert text.count("<svg") == 1 + 2 + 2  # winner map, cost per Mtok per axis, two Pareto fronts
    for title in ("Winner map", "Cost per million tokens: volume", "time to first token", "emissions"):
        assert title in text
    assert "<script" not in text
    code, _, err = run(capsys, "report", str(out), "-o", str(html), "--axes", "volume,region")
    assert code == 2 and "'region' is not an axis" in err
    bogus = tmp_path / "other.parquet"
    bogus.write_bytes(b"not parquet")
    code, _, err = run(capsys, "report", str(bogus), "-o", str(html))
    assert code == 2 and "not a readable Parquet file" in err


def test_the_example_grid_runs_and_flips_along_volume(capsys: pytest.CaptureFixture[str]) -> None:
    example = ROOT / "examples" / "sweep"
    code, out, err = run(capsys, "sweep", str(example / "chat-70b.yaml"), "--grid", str(example / "chat-70b-grid.yaml"))
    assert code == 0, err
    assert "flip along requests_per_day:" in out
    assert "cheapest by server:" in out


def test_ctrl_c_stops_the_local_cluster_without_orphans(write: Write) -> None:
    psutil = pytest.importorskip("psutil")
    sc = write(MINIMAL.replace("requests_per_day: 100000", "requests_per_day: {min: 80000, max: 120000}"))
    grid = write("axes:\n  workloads[chat].growth_pct_per_year: {range: [0, 100], steps: 400}\n", "grid.yaml")
    cmd = [sys.executable, "-m", "llmtco", "sweep", str(sc), "--grid", str(grid), "--workers", "2", "-n", "2000"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=ROOT)
    try:
        parent = psutil.Process(proc.pid)
        deadline = time.monotonic() + 90
        children: list[object] = []
        while time.monotonic() < deadline and proc.poll() is None:
            children = parent.children(recursive=True)
            if len([c for c in children if "python" in c.name().lower()]) >= 2:
                break
            time.sleep(0.2)
        assert proc.poll() is None, "the sweep ended before it could be interrupted"
        time.sleep(2.0)  # let the workers start on their tasks
        proc.send_signal(signal.SIGINT)
        _, stderr = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 130, stderr.decode()
    assert "sweep interrupted" in stderr.decode()
    time.sleep(1.0)
    alive = [c for c in children if psutil.pid_exists(c.pid) and c.status() != psutil.STATUS_ZOMBIE]  # type: ignore[attr-defined]
    assert not alive, f"orphaned processes: {alive}"
