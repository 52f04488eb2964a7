"""Sweeps on a real Dask cluster: two worker processes on loopback, a worker killed mid-sweep."""

from __future__ import annotations

import os
import signal
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from llmtco.analysis.sweep import sweep
from llmtco.cli import main
from llmtco.report.sweep import render_csv, render_parquet
from tests.conftest import MINIMAL

distributed = pytest.importorskip("distributed")

Write = Callable[..., Path]

GRID = """\
axes:
  workloads[chat].requests_per_day: {range: [20000, 2000000], steps: 4, scale: log}
  options[onprem].electricity_usd_per_kwh: [0.06, 0.18]
  options[onprem].server: [hgx-h100-8, hgx-h200-8, dgx-b200-8]
  options[onprem].spare_servers: [0, 1]
"""


@pytest.fixture(scope="module")
def cluster() -> Iterator[Any]:
    from llmtco.analysis.sweep.dispatch import local_cluster

    # distributed.LocalCluster(n_workers=2, processes=True) on 127.0.0.1, as `--workers 2` starts it
    with local_cluster(2) as c:
        assert len(c.workers) == 2
        yield c


@pytest.fixture(scope="module")
def client(cluster: Any) -> Iterator[Any]:
    with distributed.Client(cluster) as cl:
        yield cl


def test_two_worker_processes_give_the_local_result_byte_for_byte(write: Write, client: Any) -> None:
    sc, grid = write(MINIMAL), write(GRID, "grid.yaml")
    local = sweep(sc, grid, scheduler="synchronous")
    # small tasks: many of them, spread over both workers
    remote = sweep(sc, grid, client=client, chunk_variants=3)
    assert local.variants == 48 and local.rows == 48 * 3
    assert render_parquet(remote) == render_parquet(local)
    assert len(client.run(os.getpid)) == 2
    assert set(client.run(lambda: os.environ.get("MALLOC_MMAP_THRESHOLD_")).values()) == {"33554432"}


def test_a_worker_killed_mid_sweep_is_replaced_and_every_row_comes_back_once(
    write: Write, client: Any, cluster: Any
) -> None:
    sc = write(MINIMAL.replace("requests_per_day: 100000", "requests_per_day: {min: 80000, max: 120000}"))
    grid = write(GRID, "grid.yaml")
    # 200 samples per variant: 20 variants per engine run, each task long enough to be in flight when killed
    expected = sweep(sc, grid, scheduler="synchronous", samples=200, seed=5)
    pids = client.run(os.getpid)
    victim = sorted(pids.values())[0]
    killed: list[int] = []

    def kill_once(done: int, total: int) -> None:
        if not killed:
            os.kill(victim, signal.SIGKILL)
            killed.append(victim)

    got = sweep(sc, grid, client=client, samples=200, seed=5, chunk_variants=1, progress=kill_once)
    assert killed
    client.wait_for_workers(2, timeout=60)
    assert victim not in client.run(os.getpid).values()
    counts = np.bincount(got.columns["variant"], minlength=got.variants)
    assert np.all(counts == 3)  # every variant x option exactly once
    assert render_parquet(got) == render_parquet(expected)


def test_cli_scheduler_address_and_environment(
    write: Write, cluster: Any, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    sc, grid = write(MINIMAL), write(GRID, "grid.yaml")
    local = render_csv(sweep(sc, grid, scheduler="synchronous"))
    assert main(["sweep", str(sc), "--grid", str(grid), "--scheduler", cluster.scheduler_address, "-f", "csv"]) == 0
    assert capsys.readouterr().out == local
    monkeypatch.setenv("DASK_SCHEDULER_ADDRESS", cluster.scheduler_address)
    assert main(["sweep", str(sc), "--grid", str(grid), "-f", "csv"]) == 0
    assert capsys.readouterr().out == local


def test_an_unreachable_scheduler_is_a_usage_error(write: Write, capsys: pytest.CaptureFixture[str]) -> None:
    sc, grid = write(MINIMAL), write("axes:\n  options[onprem].pue: [1.2]\n", "grid.yaml")
    code = main(["sweep", str(sc), "--grid", str(grid), "--scheduler", "tcp://127.0.0.1:9"])
    assert code == 2
    assert "cannot reach a Dask scheduler" in capsys.readouterr().err
