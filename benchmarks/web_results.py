"""Recompute latency of the web results panel (issue 16): one form change → the whole workspace back.

Run:  .venv/bin/python benchmarks/web_results.py [ROUNDS]

Serves the app with uvicorn on a loopback port (SQLite in a temporary folder, 2 evaluation
workers) and posts each bundled example to ``/editor/yaml`` ROUNDS times (default 15) with httpx,
as the editor does on every change. Prints per example the median and p95 round trip [ms] and the
size of the page fragment, and, separately, the median time of building the results panel itself
(``web.results.results_ctx``: report facts, their HTML, the two inline SVG charts) in this process.
"""

from __future__ import annotations

import json
import socket
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _serve(app: object) -> tuple[str, object]:
    import uvicorn

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))  # type: ignore[arg-type]
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.05)
    return f"http://127.0.0.1:{port}", server


def main() -> None:
    import httpx

    from llmtco.analysis.breakeven import compare
    from llmtco.scenario import load_scenario
    from llmtco.web.app import create_app
    from llmtco.web.results import results_ctx
    from llmtco.web.worker import WorkerPool

    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 15
    examples = {p.stem: p for p in sorted((ROOT / "examples").glob("*.yaml"))}
    pool = WorkerPool(workers=2, time_limit_s=60)
    report: dict[str, dict[str, float]] = {}

    with tempfile.TemporaryDirectory() as tmp:
        url, server = _serve(create_app(f"sqlite:///{tmp}/bench.db", pool=pool))
        with httpx.Client(base_url=url, timeout=60) as c:
            c.get("/scenarios")
            token = c.cookies["llmtco_csrf"]
            for name, path in examples.items():
                text = path.read_text(encoding="utf-8")
                times, size = [], 0
                for i in range(rounds + 1):
                    t = time.perf_counter()
                    r = c.post("/editor/yaml", data={"yaml": text, "csrf_token": token})
                    dt = (time.perf_counter() - t) * 1000
                    r.raise_for_status()
                    size = len(r.content)
                    if 'id="results-table"' not in r.text:
                        break  # refused over the network (a trace or calibration file path): no panel
                    if i:  # the first round warms the worker's caches
                        times.append(dt)
                if not times:
                    report[name] = {"skipped": 1.0}  # the editor shows why instead of results
                    continue
                sc, cat = load_scenario(path)
                result = compare(sc, cat)
                results_ctx(result)
                panel = []
                for _ in range(rounds):
                    t = time.perf_counter()
                    results_ctx(result)
                    panel.append((time.perf_counter() - t) * 1000)
                times.sort()
                report[name] = {
                    "round_trip_median_ms": round(statistics.median(times), 1),
                    "round_trip_p95_ms": round(times[min(len(times) - 1, int(0.95 * len(times)))], 1),
                    "panel_build_median_ms": round(statistics.median(panel), 1),
                    "page_kb": round(size / 1024, 1),
                }
        server.should_exit = True  # type: ignore[attr-defined]
    pool.close()
    print(json.dumps({"rounds": rounds, "examples": report}, indent=2))


if __name__ == "__main__":
    main()
