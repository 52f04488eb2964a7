"""The app on a real loopback server: concurrent clients, and a real browser (Debian's chromium via Playwright)."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import httpx
import pytest

from tests.conftest import MINIMAL
from tests.web.browser import chromium
from tests.web.conftest import ROOT

YAML = {"content-type": "application/yaml"}


def test_fifty_clients_save_and_evaluate_without_losing_versions(live_server: str) -> None:
    fifty_clients(live_server, [{} for _ in range(50)])


P95_BOUND_MS = float(os.environ.get("LLMTCO_P95_EVALUATE_BOUND_MS", "15000"))
"""Generous bound on p95 recompute latency under this test's saturating load [ms]; the measured figure is in
README (benchmarks/web_latency.py); the issue's target of 300 ms is for a team's load, not this closed loop."""


def test_fifty_authenticated_clients_save_and_evaluate_without_losing_versions(
    db_url: str, live_server: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Half the clients use personal API tokens, half a session from signing in on the login page."""
    from llmtco.web.accounts import Accounts, Role
    from llmtco.web.store import Store

    store = Store(db_url)
    accounts = Accounts(store)
    accounts.add("team-editor", "a long enough password", Role.editor)
    accounts.add("team-viewer", "a long enough password", Role.viewer)
    credentials: list[dict[str, str]] = []
    for n in range(50):
        if n % 2:
            credentials.append({"authorization": f"Bearer {accounts.create_token('team-editor', f'client {n}')[1]}"})
            continue
        with httpx.Client(base_url=live_server) as c:
            c.get("/login")
            r = c.post(
                "/login",
                data={
                    "csrf_token": c.cookies["llmtco_csrf"],
                    "name": "team-editor",
                    "password": "a long enough password",
                },
            )
            assert r.status_code == 303, r.text
            credentials.append({"cookie": f"llmtco_session={r.cookies['llmtco_session']}"})
    with httpx.Client(base_url=live_server) as c:  # the accounts are enforced: anonymous and viewer are refused
        assert c.post("/api/v1/evaluate", content=MINIMAL, headers=YAML).status_code == 401
        viewer = {"authorization": f"Bearer {accounts.create_token('team-viewer')[1]}"}
        assert c.post("/api/v1/scenarios", content=MINIMAL, headers={**YAML, **viewer}).status_code == 403
    store.engine.dispose()
    # evaluating second (not fourth) gets every client to measure at least once on a slow database
    latencies_ms = fifty_clients(live_server, credentials, author="team-editor", evaluate_at=1)
    p95 = percentile(latencies_ms, 95)
    with capsys.disabled():
        print(
            f"\n[{db_url.split(':')[0]}] authenticated: {len(latencies_ms)} evaluations, p50 "
            f"{percentile(latencies_ms, 50):.0f} ms, p95 {p95:.0f} ms (bound {P95_BOUND_MS:.0f} ms)"
        )
    assert p95 < P95_BOUND_MS


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(pct / 100 * len(ordered)) - 1))]


def fifty_clients(
    url: str, credentials: list[dict[str, str]], author: str | None = None, evaluate_at: int = 3
) -> list[float]:
    """50 concurrent clients (headers from ``credentials``) save versions and evaluate for up to 4 s.

    Each client's requests k = 0, 1, 2, ... evaluate when ``k % 4 == evaluate_at`` and save otherwise.

    Asserts no errors and no lost or overwritten version; returns the evaluate latencies [ms].
    """
    with httpx.Client(base_url=url, timeout=60, headers=credentials[0]) as c:
        ids = [c.post("/api/v1/scenarios", content=MINIMAL, headers=YAML).json()["id"] for _ in range(5)]
    saved: dict[int, list[tuple[int, str]]] = {sid: [] for sid in ids}
    errors: list[str] = []
    latencies_ms: list[float] = []
    lock = threading.Lock()
    stop_at = time.monotonic() + 4.0

    def client(n: int) -> None:
        with httpx.Client(base_url=url, timeout=60, headers=credentials[n]) as c:
            for k in range(40):  # bounded: at most 40 requests per client, and 4 seconds
                if time.monotonic() > stop_at:
                    return
                sid = ids[(n + k) % len(ids)]
                if k % 4 == evaluate_at:
                    started = time.perf_counter()
                    r = c.post("/api/v1/evaluate", content=MINIMAL, headers=YAML)
                    elapsed_ms = (time.perf_counter() - started) * 1000
                    with lock:
                        if r.status_code != 200:
                            errors.append(f"evaluate {r.status_code}")
                        else:
                            latencies_ms.append(elapsed_ms)
                    continue
                doc = MINIMAL + f"# client {n} save {k}\n"
                r = c.post(f"/api/v1/scenarios/{sid}/versions", content=doc, headers=YAML)
                with lock:
                    if r.status_code == 201:
                        saved[sid].append((r.json()["number"], doc))
                        if r.json()["author"] != author:
                            errors.append(f"author {r.json()['author']!r}, expected {author!r}")
                    else:
                        errors.append(f"save {r.status_code} {r.text[:100]}")

    threads = [threading.Thread(target=client, args=(n,)) for n in range(50)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sum(len(v) for v in saved.values()) > 50, f"{sum(len(v) for v in saved.values())} saves in 4 s"
    with httpx.Client(base_url=url, timeout=60, headers=credentials[0]) as c:
        for sid, saves in saved.items():
            versions = c.get(f"/api/v1/scenarios/{sid}/versions").json()
            numbers = [v["number"] for v in versions]
            assert numbers == list(range(1, len(saves) + 2))  # version 1 plus one per save, no gaps, none lost
            stored = {v["number"]: v["document"] for v in versions}
            for number, doc in saves:
                assert stored[number] == doc  # nothing overwritten or corrupted
    return latencies_ms


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_browser_edit_save_reload_history(live_server: str) -> None:
    artifacts = ROOT / "artifacts"
    artifacts.mkdir(exist_ok=True)
    with chromium() as browser:
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(live_server + "/")
        page.select_option("#example-select", "chat-assistant-70b")
        page.click("#load-example")
        total = page.locator('td.total[data-option="onprem-h100"]')
        before = total.inner_text()
        field = page.locator("#f-options-0-electricity_usd_per_kwh")
        field.fill("0.35")
        field.dispatch_event("change")
        page.wait_for_function(
            "([sel, old]) => { const e = document.querySelector(sel); return e && e.textContent !== old; }",
            arg=['td.total[data-option="onprem-h100"]', before],
            timeout=15_000,
        )
        after = page.locator('td.total[data-option="onprem-h100"]').inner_text()
        assert after != before
        assert "electricity_usd_per_kwh: 0.35" in page.locator("#yaml").input_value()
        page.screenshot(path=str(artifacts / "web-editor.png"), full_page=True)
        page.fill("#save-name", "browser test <b>bold</b>")
        page.click("#save-button")
        page.wait_for_url("**/scenarios/*")
        page.reload()
        assert page.locator('td.total[data-option="onprem-h100"]').inner_text() == after
        page.goto(live_server + "/scenarios")
        row = page.locator("#scenario-list tr", has_text="browser test <b>bold</b>")
        assert row.count() == 1
        row.locator("a").nth(1).click()
        page.wait_for_url("**/history")
        assert page.locator("#versions tbody tr").count() == 1
    assert errors == []
    assert Path(artifacts / "web-editor.png").stat().st_size > 10_000


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_browser_api_docs_render_offline_under_the_csp(live_server: str) -> None:
    with chromium() as browser:
        page = browser.new_page()
        errors: list[str] = []
        outside: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on("request", lambda r: None if r.url.startswith(live_server) else outside.append(r.url))
        page.goto(live_server + "/docs")
        page.wait_for_selector('.opblock-summary-path[data-path="/api/v1/evaluate"]', timeout=15_000)
    assert errors == [] and outside == []
