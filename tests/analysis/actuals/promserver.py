"""A real Prometheus server on loopback, backfilled with the generated history (Debian's `prometheus` package)."""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx

from tests.analysis.actuals.history import DAYS, START, generate, openmetrics

RETENTION = "100y"
"""Time retention counts back from the newest block, not from now; the backfilled history is all there is,
so any retention longer than its 61 days keeps it. 100y also keeps it if the server ever scrapes."""


def installed() -> bool:
    return shutil.which("prometheus") is not None and shutil.which("promtool") is not None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def backfill(folder: Path) -> Path:
    """Write the history as OpenMetrics and turn it into TSDB blocks under ``folder/data``."""
    om = folder / "history.om"
    om.write_text(openmetrics(generate()), encoding="utf-8")
    data = folder / "data"
    subprocess.run(
        ["promtool", "tsdb", "create-blocks-from", "openmetrics", "--max-block-duration=744h", str(om), str(data)],
        check=True,
        capture_output=True,
    )
    om.unlink()
    return data


@contextlib.contextmanager
def prometheus(folder: Path) -> Iterator[str]:
    """Start Prometheus on 127.0.0.1 over the backfilled data; yield its URL; stop it."""
    data = backfill(folder)
    config = folder / "prometheus.yml"
    config.write_text("global:\n  scrape_interval: 1h\nscrape_configs: []\n", encoding="utf-8")
    port = _free_port()
    log = (folder / "prometheus.log").open("wb")
    proc = subprocess.Popen(
        [
            "prometheus",
            f"--config.file={config}",
            f"--storage.tsdb.path={data}",
            f"--storage.tsdb.retention.time={RETENTION}",
            f"--web.listen-address=127.0.0.1:{port}",
            "--query.lookback-delta=5m",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"prometheus exited: {(folder / 'prometheus.log').read_text()[-2000:]}")
            try:
                if httpx.get(f"{url}/-/ready", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("prometheus did not become ready within 60 s")
            time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def write_export(path: Path) -> None:
    """Query the real server for the whole history and save it as the offline export."""
    from llmtco.analysis.actuals import PrometheusSource, Selection, queries, save_export

    with tempfile.TemporaryDirectory() as tmp, prometheus(Path(tmp)) as url:
        start = START.timestamp()
        end = start + DAYS * 86400
        src = PrometheusSource(url)
        src.name = "Prometheus backfilled by tests/analysis/actuals/history.py"  # not the random port
        n = save_export(src, queries(Selection()), start, end, 3600, path)
    print(f"wrote {path}: {n} series, {path.stat().st_size / 1024:.0f} KiB")
