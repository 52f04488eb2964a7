"""llmtco actuals against a real Prometheus backfilled with the generated vLLM and DCGM history."""

from __future__ import annotations

import http.server
import json
import socket
import threading
import time
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from llmtco.analysis.actuals import sources
from llmtco.analysis.actuals.sources import PrometheusSource, SourceFailed
from llmtco.analysis.actuals.telemetry import Selection, read_telemetry
from llmtco.cli import main
from tests.analysis.actuals.history import DAYS, START, generate

RANGE = ["--from", "2026-09-01", "--to", "2026-11-30"]


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def expected_by_month() -> dict[str, dict[str, float]]:
    """Sums of the generated increments per month (hour h starts at START + h)."""
    h = generate()
    out: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for k, month in enumerate(h.month_of_hour()):
        out[month]["input_tokens"] += float(h.prompt[:, k].sum())
        out[month]["output_tokens"] += float(h.generation[:, k].sum())
        out[month]["requests"] += float(h.requests[:, k].sum())
        out[month]["gpu_energy_j"] += float(h.power_w[:, k].sum() * 3600.0)
    return out


def actuals_json(capsys: pytest.CaptureFixture[str], example: Path, *source: str) -> tuple[int, dict, str]:  # type: ignore[type-arg]
    code, out, err = run(
        capsys, "actuals", str(example / "scenario.yaml"), "--option", "onprem-h100", *RANGE, *source, "-f", "json"
    )
    return code, json.loads(out) if out.strip() else {}, err


def test_totals_equal_the_generated_increments_exactly(
    prom_url: str, example: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, doc, err = actuals_json(capsys, example, "--prometheus", prom_url)
    assert code == 0, err
    want = expected_by_month()
    months = {m["month"]: m for m in doc["months"]}
    for month in ("2026-09", "2026-10"):
        for key in ("input_tokens", "output_tokens", "requests"):
            assert months[month]["actual"][key] == want[month][key], (month, key)
        assert months[month]["status"] == "complete"
    # the counter reset of instance 2 is counted from zero, and said
    assert "counter reset of vllm:prompt_tokens_total" in err and "2026-10-12 10:00Z" in err
    # November has no telemetry: missing, never zero
    nov = months["2026-11"]
    assert nov["status"] == "missing"
    assert nov["actual"]["output_tokens"] is None and nov["actual"]["cost_usd"] is None
    assert nov["plan"]["output_tokens"] > 0


def test_gpu_energy_is_the_measured_power_integrated(prom_url: str) -> None:
    start = START.timestamp()
    tel = read_telemetry(PrometheusSource(prom_url), start, start + DAYS * 86400, 3600, Selection(), ["chat"])
    want = expected_by_month()
    for month in ("2026-09", "2026-10"):
        assert tel.months[month].gpu_energy_j == pytest.approx(want[month]["gpu_energy_j"], rel=1e-12)
        assert tel.months[month].gpu_hours == 8 * 24 * (30 if month == "2026-09" else 31)
    assert tel.gpus_seen == 8
    assert [p for p in tel.problems if p.severity == "error"] == []


def test_the_committed_export_reads_the_same_as_the_server(
    prom_url: str, example: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, live, _ = actuals_json(capsys, example, "--prometheus", prom_url)
    code, offline, err = actuals_json(capsys, example, "--export", str(example / "telemetry-export.json.gz"))
    assert code == 0, err
    for a, b in zip(live["months"], offline["months"], strict=True):
        assert a["actual"] == b["actual"]


def test_a_selector_matching_nothing_names_the_label_and_what_exists(
    prom_url: str, example: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, doc, err = actuals_json(
        capsys, example, "--prometheus", prom_url, "--serving-selector", 'model_name="llama-70b"',
        "--ledger", str(example / "onprem-ledger.csv"),
    )  # fmt: skip
    assert code == 2
    assert 'vllm:generation_tokens_total{model_name="llama-70b"} matches no series' in err
    assert "'meta-llama/Llama-3.3-70B-Instruct'" in err
    assert "Traceback" not in err
    # the ledger read before is all there
    sept = next(m for m in doc["months"] if m["month"] == "2026-09")
    assert sept["actual"]["cost_usd"] is not None and sept["actual"]["output_tokens"] is None


def _unused_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_prometheus_down_is_one_clear_message_and_keeps_the_ledger(
    example: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"http://127.0.0.1:{_unused_port()}"
    code, doc, err = actuals_json(capsys, example, "--prometheus", url, "--ledger", str(example / "onprem-ledger.csv"))
    assert code == 2
    assert f"cannot reach Prometheus at {url}" in err
    assert err.count("cannot reach") == 1  # the first refusal stops the other queries
    sept = next(m for m in doc["months"] if m["month"] == "2026-09")
    assert sept["actual"]["cost_usd"] == pytest.approx(sum(i["actual_usd"] or 0 for i in sept["items"]))
    assert "serving telemetry" in sept["missing"]


AUTH: list[str] = []
"""Authorization headers the proxy saw."""


@pytest.fixture
def stalling_proxy(prom_url: str) -> Iterator[tuple[str, list[int]]]:
    """A loopback HTTP proxy to the real Prometheus that answers the first N requests, then stalls."""
    state = [0, 10**9]  # requests seen, how many to answer
    AUTH.clear()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            state[0] += 1
            AUTH.append(self.headers.get("Authorization", ""))
            if state[0] > state[1]:
                time.sleep(1.5)
                return
            r = httpx.get(prom_url + self.path, timeout=30)
            self.send_response(r.status_code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(r.content)))
            self.end_headers()
            self.wfile.write(r.content)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", state
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_a_query_timeout_keeps_the_windows_read_before(
    stalling_proxy: tuple[str, list[int]], monkeypatch: pytest.MonkeyPatch
) -> None:
    url, state = stalling_proxy
    monkeypatch.setattr(sources, "MAX_POINTS", 500)  # 61 days of hours: 3 windows
    state[1] = 2
    start = START.timestamp()
    src = PrometheusSource(url, timeout_s=0.5)
    with pytest.raises(SourceFailed) as info:
        src.query_range("vllm:generation_tokens_total", start, start + DAYS * 86400, 3600)
    exc = info.value
    assert "did not answer within 0.5 s" in str(exc) and "window from 2026-10-12T16:00Z" in str(exc)
    assert len(exc.partial) == 2 and all(s.times_s.size == 1000 for s in exc.partial)
    assert not exc.fatal


def test_a_timeout_in_the_cli_is_exit_2_with_the_query(
    stalling_proxy: tuple[str, list[int]], example: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url, state = stalling_proxy
    state[1] = 1  # the first query answers, every later one stalls
    code, doc, err = actuals_json(capsys, example, "--prometheus", url, "--timeout", "0.3s")
    assert code == 2
    assert "did not answer within 0.3 s (query 'vllm:generation_tokens_total'" in err
    sept = next(m for m in doc["months"] if m["month"] == "2026-09")
    want = expected_by_month()["2026-09"]
    assert sept["actual"]["input_tokens"] == want["input_tokens"]  # read before the timeout, kept
    assert sept["actual"]["output_tokens"] is None
    assert sept["status"] == "partial" and "telemetry after 2026-09-01 00:00Z (a query failed)" in sept["missing"]


def test_save_export_round_trips(
    prom_url: str, tmp_path: Path, example: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "saved.json"
    code, live, err = actuals_json(capsys, example, "--prometheus", prom_url, "--save-export", str(path))
    assert code == 0, err
    code, offline, err = actuals_json(capsys, example, "--export", str(path))
    assert code == 0, err
    assert [m["actual"] for m in live["months"]] == [m["actual"] for m in offline["months"]]
    assert offline["months"][0]["actual"]["energy_kwh"] > 0


def test_headers_reach_prometheus(
    stalling_proxy: tuple[str, list[int]], example: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url, _ = stalling_proxy
    code, _, err = actuals_json(capsys, example, "--prometheus", url, "--header", "Authorization: Bearer s3cret")
    assert code == 0, err
    assert AUTH and set(AUTH) == {"Bearer s3cret"}
