"""The app on a real loopback server: concurrent clients, and a real browser (Debian's chromium via Playwright)."""

from __future__ import annotations

import os
import shutil
import threading
import time
from pathlib import Path

import httpx
import pytest

from tests.conftest import MINIMAL
from tests.web.conftest import ROOT

YAML = {"content-type": "application/yaml"}


def test_fifty_clients_save_and_evaluate_without_losing_versions(live_server: str) -> None:
    with httpx.Client(base_url=live_server, timeout=60) as c:
        ids = [c.post("/api/v1/scenarios", content=MINIMAL, headers=YAML).json()["id"] for _ in range(5)]
    saved: dict[int, list[tuple[int, str]]] = {sid: [] for sid in ids}
    errors: list[str] = []
    lock = threading.Lock()
    stop_at = time.monotonic() + 4.0

    def client(n: int) -> None:
        with httpx.Client(base_url=live_server, timeout=60) as c:
            for k in range(40):  # bounded: at most 40 requests per client, and 4 seconds
                if time.monotonic() > stop_at:
                    return
                sid = ids[(n + k) % len(ids)]
                if k % 4 == 3:
                    r = c.post("/api/v1/evaluate", content=MINIMAL, headers=YAML)
                    if r.status_code != 200:
                        with lock:
                            errors.append(f"evaluate {r.status_code}")
                    continue
                doc = MINIMAL + f"# client {n} save {k}\n"
                r = c.post(f"/api/v1/scenarios/{sid}/versions", content=doc, headers=YAML)
                with lock:
                    if r.status_code == 201:
                        saved[sid].append((r.json()["number"], doc))
                    else:
                        errors.append(f"save {r.status_code} {r.text[:100]}")

    threads = [threading.Thread(target=client, args=(n,)) for n in range(50)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sum(len(v) for v in saved.values()) > 50
    with httpx.Client(base_url=live_server, timeout=60) as c:
        for sid, saves in saved.items():
            versions = c.get(f"/api/v1/scenarios/{sid}/versions").json()
            numbers = [v["number"] for v in versions]
            assert numbers == list(range(1, len(saves) + 2))  # version 1 plus one per save, no gaps, none lost
            stored = {v["number"]: v["document"] for v in versions}
            for number, doc in saves:
                assert stored[number] == doc  # nothing overwritten or corrupted


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_browser_edit_save_reload_history(live_server: str) -> None:
    if CHROMIUM is None:
        if os.environ.get("LLMTCO_REQUIRE_BROWSER"):
            pytest.fail("chromium is required (LLMTCO_REQUIRE_BROWSER is set) but not installed")
        pytest.skip("Debian's chromium is not installed (make test installs it when run as root)")
    sync_api = pytest.importorskip("playwright.sync_api")
    artifacts = ROOT / "artifacts"
    artifacts.mkdir(exist_ok=True)
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
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
        browser.close()
    assert errors == []
    assert Path(artifacts / "web-editor.png").stat().st_size > 10_000


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_browser_api_docs_render_offline_under_the_csp(live_server: str) -> None:
    if CHROMIUM is None:
        if os.environ.get("LLMTCO_REQUIRE_BROWSER"):
            pytest.fail("chromium is required (LLMTCO_REQUIRE_BROWSER is set) but not installed")
        pytest.skip("Debian's chromium is not installed (make test installs it when run as root)")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page()
        errors: list[str] = []
        outside: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on("request", lambda r: None if r.url.startswith(live_server) else outside.append(r.url))
        page.goto(live_server + "/docs")
        page.wait_for_selector('.opblock-summary-path[data-path="/api/v1/evaluate"]', timeout=15_000)
        browser.close()
    assert errors == [] and outside == []
