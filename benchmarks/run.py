"""Rerunnable speed benchmark (issue targets: evaluate < 20 ms median, 100k-sample simulate < 3 s and < 2 GB,
optimize < 5 s). Run:  .venv/bin/python benchmarks/run.py

Each figure is measured on the 4-option, 36-month scenario beside this file; simulate runs in a fresh
process so its peak memory (ru_maxrss) is its own.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
SCENARIO = HERE / "scenario-4-options.yaml"

SIMULATE = """
import json, resource, sys, time
from llmtco import load_scenario
from llmtco.analysis.montecarlo import simulate
sc, cat = load_scenario(sys.argv[1])
simulate(sc, cat, samples=1000, seed=0)
t = time.perf_counter(); simulate(sc, cat, samples=100_000, seed=0); dt = time.perf_counter() - t
print(json.dumps({"seconds": dt, "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def main() -> None:
    from llmtco import compare, evaluate, load_scenario
    from llmtco.analysis.optimize import optimize_fleet
    from llmtco.engine import run

    sc, cat = load_scenario(SCENARIO)
    run(sc, cat)
    engine_ms = []
    for _ in range(50):
        t = time.perf_counter()
        run(sc, cat)
        engine_ms.append((time.perf_counter() - t) * 1e3)
    eval_ms = []
    for _ in range(20):
        t = time.perf_counter()
        evaluate(sc, cat)
        eval_ms.append((time.perf_counter() - t) * 1e3)
    full_ms = []
    for _ in range(10):
        t = time.perf_counter()
        compare(sc, cat)
        full_ms.append((time.perf_counter() - t) * 1e3)
    proc = subprocess.run([sys.executable, "-c", SIMULATE, str(SCENARIO)], capture_output=True, text=True,
                          check=True, env={**os.environ})
    sim = json.loads(proc.stdout.strip().splitlines()[-1])
    t = time.perf_counter()
    plan = optimize_fleet(sc, cat)
    opt_s = time.perf_counter() - t
    rows = [
        ("engine: 4 options x 36 months (median of 50)", f"{statistics.median(engine_ms):.1f} ms", "< 20 ms"),
        ("evaluate: the Result of one scenario (median of 20)", f"{statistics.median(eval_ms):.1f} ms", "-"),
        ("compare = evaluate + break-even volumes, what breakdown runs (median of 10)",
         f"{statistics.median(full_ms):.0f} ms", "-"),
        ("simulate, 100,000 samples", f"{sim['seconds']:.2f} s, peak {sim['peak_rss_mb']:.0f} MB",
         "< 3 s, < 2 GB"),
        (f"optimize ({plan.candidates} candidates, MILP + engine check)", f"{opt_s:.2f} s", "< 5 s"),
    ]
    print(f"CPU cores: {os.cpu_count()}, Python {sys.version.split()[0]}\n")
    print("| benchmark | measured | target |\n|---|---:|---:|")
    for name, value, target in rows:
        print(f"| {name} | {value} | {target} |")


if __name__ == "__main__":
    main()
