"""Recompute latency of the web app (``POST /api/v1/evaluate``) with authenticated clients. Rerun:

    .venv/bin/python benchmarks/web_latency.py [--clients 50] [--seconds 20] [--think-s 0 5] [--workers 2]
                                               [--database-url URL] [-o result.json]

It starts ``llmtco serve`` in its own process on a free loopback port (so the
clients' threads do not share its interpreter), with one editor account and a
personal API token per client, and measures:

- ``job_ms``: one evaluation in this process, no HTTP or IPC (the CPU floor);
- ``token_lookup_us``: authenticating one request (SHA-256 and one indexed query);
- ``auth_overhead_ms``: median extra time of a cheap authenticated request (``GET /api/v1/scenarios``
  with a token) over the same request to a second server in single-user mode, requests alternating
  between the two so both see the same machine load;
- ``serial``: one client, one recompute after another (service time through HTTP and the worker pool);
- ``load``: N clients, each recomputing, then waiting an exponentially distributed think time
  (``--think-s 0`` is a closed loop: every client asks again at once, which saturates the workers).

Latency figures depend on what else the machine is running: the load average
before and after is printed beside them.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from tests.conftest import MINIMAL  # noqa: E402  (the scenario the 50-client test uses)

YAML = {"content-type": "application/yaml"}


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))] if ordered else float("nan")


def summary(values: list[float]) -> dict[str, float]:
    return {"n": len(values), "p50": pct(values, 50), "p95": pct(values, 95), "p99": pct(values, 99)}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def job_ms(repeats: int = 20) -> float:
    from llmtco.web.worker import Job, run_job

    run_job(Job("<bench>", MINIMAL))
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        run_job(Job("<bench>", MINIMAL))
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times)


def start_server(url: str, workers: int) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = {**os.environ, "LLMTCO_WEB_WORKERS": str(workers)}
    cmd = [sys.executable, "-c", "from llmtco.cli import entry; entry()", "serve", "--port", str(port)]
    server = subprocess.Popen([*cmd, "--database-url", url], env=env, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(base + "/login", timeout=2).status_code == 200:
                return server, base
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            server.terminate()
            raise SystemExit("the server did not start")
        time.sleep(0.2)


def auth_overhead_ms(with_accounts: str, token: str, single_user: str, repeats: int = 300) -> dict[str, float]:
    """Median time of GET /api/v1/scenarios with a token, and without accounts, alternating requests [ms]."""
    times: dict[str, list[float]] = {"token": [], "single_user": []}
    with (
        httpx.Client(base_url=with_accounts, headers={"authorization": f"Bearer {token}"}) as a,
        httpx.Client(base_url=single_user) as b,
    ):
        for n in range(repeats + 20):
            for key, c in (("token", a), ("single_user", b)) if n % 2 else (("single_user", b), ("token", a)):
                t = time.perf_counter()
                assert c.get("/api/v1/scenarios").status_code == 200
                if n >= 20:  # warm-up
                    times[key].append((time.perf_counter() - t) * 1000)
    token_ms, single_ms = statistics.median(times["token"]), statistics.median(times["single_user"])
    return {"token_ms": token_ms, "single_user_ms": single_ms, "overhead_ms": token_ms - single_ms}


def load(url: str, tokens: list[str], seconds: float, think_s: float) -> tuple[list[float], list[str]]:
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    stop_at = time.monotonic() + seconds

    def client(n: int) -> None:
        rng = random.Random(n)
        with httpx.Client(base_url=url, timeout=120, headers={"authorization": f"Bearer {tokens[n]}"}) as c:
            if think_s:
                time.sleep(rng.uniform(0, think_s))  # clients do not start in step
            while time.monotonic() < stop_at:
                t = time.perf_counter()
                r = c.post("/api/v1/evaluate", content=MINIMAL, headers=YAML)
                ms = (time.perf_counter() - t) * 1000
                with lock:
                    (latencies.append(ms) if r.status_code == 200 else errors.append(str(r.status_code)))
                if think_s:
                    time.sleep(rng.expovariate(1 / think_s))

    threads = [threading.Thread(target=client, args=(n,)) for n in range(len(tokens))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return latencies, errors


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--seconds", type=float, default=20)
    ap.add_argument("--think-s", type=float, nargs="+", default=[0.0, 5.0])
    ap.add_argument("--workers", type=int, default=int(os.environ.get("LLMTCO_WEB_WORKERS", "2")))
    ap.add_argument("--database-url", default=None, help="default: a fresh SQLite file")
    ap.add_argument("--no-accounts", action="store_true", help="single-user mode: no accounts, no credentials")
    ap.add_argument("-o", "--output", type=Path)
    args = ap.parse_args()

    from llmtco.web.accounts import Accounts, Role
    from llmtco.web.store import Store

    tmp = tempfile.TemporaryDirectory()
    url = args.database_url or f"sqlite:///{Path(tmp.name) / 'bench.db'}"
    store = Store(url)
    accounts = Accounts(store)
    token_lookup_us = 0.0
    if args.no_accounts:
        tokens = ["none"] * args.clients  # ignored in single-user mode (the lookup finds no token)
    else:
        if "bench-editor" not in {u.name for u in accounts.list()}:
            accounts.add("bench-editor", "a long enough password", Role.editor)
        tokens = [accounts.create_token("bench-editor", f"bench {n}")[1] for n in range(args.clients)]
        t = time.perf_counter()
        for _ in range(500):
            accounts.token_user(tokens[0])
        token_lookup_us = (time.perf_counter() - t) / 500 * 1e6
    store.engine.dispose()

    server, base = start_server(url, args.workers)
    try:
        out: dict[str, Any] = {
            "cpus": os.cpu_count(),
            "workers": args.workers,
            "clients": args.clients,
            "database": url.split(":")[0],
            "accounts": not args.no_accounts,
            "load_average_before": os.getloadavg(),
            "job_ms": job_ms(),
            "token_lookup_us": token_lookup_us,
        }
        if not args.no_accounts:
            plain, plain_base = start_server(f"sqlite:///{Path(tmp.name) / 'single-user.db'}", 1)
            try:
                out["auth_overhead"] = auth_overhead_ms(base, tokens[0], plain_base)
            finally:
                plain.terminate()
                plain.wait(timeout=20)
        serial, _ = load(base, tokens[:1], min(args.seconds, 5.0), 0.0)
        out["serial_ms"] = summary(serial)
        out["load"] = []
        for think_s in args.think_s:
            latencies, errors = load(base, tokens, args.seconds, think_s)
            rate = len(latencies) / args.seconds
            out["load"].append(
                {"think_s": think_s, "evaluations_per_s": rate, "errors": len(errors), "ms": summary(latencies)}
            )
        out["load_average_after"] = os.getloadavg()
    finally:
        server.terminate()
        server.wait(timeout=20)
        tmp.cleanup()
    text = json.dumps(out, indent=2)
    print(text)
    if args.output:
        args.output.write_text(text + "\n")


if __name__ == "__main__":
    main()
