"""Sweep throughput (issue 14 targets: >= 2,000 variants/s per core without sampling; 1 -> 2 workers within 20 %
of linear). Run:  .venv/bin/python benchmarks/sweep.py [--quick]

Every case sweeps the 4-option, 36-month scenario beside this file. "local" is Dask's synchronous scheduler
(one core); "cluster N" is a distributed.LocalCluster of N single-threaded worker processes on 127.0.0.1
(llmtco.analysis.sweep.dispatch.local_cluster, as `--workers N` starts it), started and warmed up
(one small sweep) before the clock starts. Variants/s per core = variants/s / cores used (wall clock); CPU time
is that of the process(es) running the engine (this process, or the workers), so "variants per CPU-second" is
the per-core throughput even on a machine shared with other jobs.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
SCENARIO = HERE / "scenario-4-options.yaml"

CONTINUOUS = """\
axes:  # 10 x 10 x 10 x 10 = 10,000 variants, all continuous: one engine run per 1,024 variants
  workloads[chat].requests_per_day: {range: [50000, 5000000], steps: 10, scale: log}
  workloads[chat].growth_pct_per_year: {range: [0, 90], steps: 10}
  options[onprem-h100].electricity_usd_per_kwh: {range: [0.04, 0.3], steps: 10}
  options[*].target_utilisation_pct: {range: [40, 85], steps: 10}
"""
MIXED = """\
axes:  # 10 structural values (spare servers) x 1,000 continuous = 10,000 variants in 10 groups
  options[onprem-h100].spare_servers: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]
  workloads[chat].requests_per_day: {range: [50000, 5000000], steps: 10, scale: log}
  options[onprem-h100].electricity_usd_per_kwh: {range: [0.04, 0.3], steps: 10}
  options[*].rates.maintenance_pct_per_year: {range: [4, 14], steps: 10}
"""
STRUCTURAL = """\
axes:  # 400 variants that all differ in structure (input tokens, spare servers): one engine run each
  workloads[chat].input_tokens: {range: [500, 4000], steps: 20}
  options[onprem-h100].spare_servers: {range: [0, 19], steps: 20, integer: true}
"""
SAMPLED = """\
axes:  # 10 x 10 x 10 = 1,000 variants, with --samples 1000 each
  workloads[chat].requests_per_day: {range: [50000, 5000000], steps: 10, scale: log}
  options[onprem-h100].electricity_usd_per_kwh: {range: [0.04, 0.3], steps: 10}
  options[*].target_utilisation_pct: {range: [40, 85], steps: 10}
"""


def _cpu_s(client: object | None) -> float:
    """CPU seconds used so far by this process, or by the cluster's worker processes."""
    import psutil

    if client is None:
        t = psutil.Process().cpu_times()
        return float(t.user + t.system)

    def mine() -> float:
        t = psutil.Process().cpu_times()
        return float(t.user + t.system)

    return float(sum(client.run(mine).values()))  # type: ignore[attr-defined]


def timed(grid: Path, **kw: object) -> tuple[float, float, int, int]:
    """(wall s, CPU s where the engine ran, variants, engine runs)."""
    from llmtco.analysis.sweep import sweep

    client = kw.get("client")
    cpu = _cpu_s(client)
    t = time.perf_counter()
    r = sweep(SCENARIO, grid, **kw)  # type: ignore[arg-type]
    wall = time.perf_counter() - t
    return wall, _cpu_s(client) - cpu, r.variants, r.engine_runs


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="skip the clusters (local scheduler only)")
    args = ap.parse_args()
    from distributed import Client

    from llmtco.analysis.sweep.dispatch import local_cluster

    load = os.getloadavg()[0]
    tmp = Path(tempfile.mkdtemp(prefix="llmtco-sweep-bench-"))
    grids = {}
    for name, text in (("continuous", CONTINUOUS), ("mixed", MIXED), ("structural", STRUCTURAL), ("sampled", SAMPLED)):
        grids[name] = tmp / f"{name}.yaml"
        grids[name].write_text(text, encoding="utf-8")
    timed(grids["structural"], scheduler="synchronous")  # warm up imports and the catalog
    rows: list[tuple[str, ...]] = []

    def record(case: str, where: str, cores: int, seconds: float, cpu: float, variants: int, runs: int) -> None:
        rows.append(
            (
                case,
                where,
                f"{variants:,} ({runs:,} engine runs)",
                f"{seconds:.2f} s",
                f"{variants / seconds / cores:,.0f}",
                f"{cpu:.2f} s",
                f"{variants / max(cpu, 1e-9):,.0f}",
            )
        )

    cases = [
        ("10,000 variants, all continuous", "continuous", {}),
        ("10,000 variants, 10 structures", "mixed", {}),
        ("400 variants, all structural", "structural", {}),
        ("1,000 variants x 1,000 samples", "sampled", {"samples": 1000}),
    ]
    for label, grid, kw in cases:
        record(label, "local (1 core)", 1, *timed(grids[grid], scheduler="synchronous", **kw))
    if not args.quick:
        for n in (1, 2):
            with local_cluster(n) as cluster, Client(cluster) as client:
                timed(grids["structural"], client=client)  # warm the workers
                for label, grid, kw in cases:
                    if grid == "structural":
                        continue
                    record(label, f"cluster, {n} worker(s)", n, *timed(grids[grid], client=client, **kw))
    print(f"CPU cores: {os.cpu_count()}, load average at start {load:.1f}, Python {sys.version.split()[0]}\n")
    print(
        "| sweep | scheduler | variants | wall | variants/s per core (wall) | CPU time | variants per CPU-second |"
        "\n|---|---|---:|---:|---:|---:|---:|"
    )
    for row in rows:
        print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    main()
