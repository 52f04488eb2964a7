"""Shared pieces of the browser tests: Debian's chromium through Playwright, and the list of every page of the app.

``PAGES`` is the one place that names the app's pages: the accessibility
scan and the XSS check visit each of them, and a test fails when the app has
an HTML page (a GET route answering HTML) that is not listed here.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest

from tests.web.conftest import ROOT

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
AXE = ROOT / "tests" / "web" / "vendor" / "axe.min.js"
ARTIFACTS = ROOT / "artifacts"

PAGES: dict[str, list[str]] = {
    "/": ["/", "/?example=chat-with-monthly-lora", "/?example=airgapped-regulated"],
    "/scenarios": ["/scenarios", "/scenarios?deleted={trash}"],
    "/scenarios/{scenario_id}": ["/scenarios/{sid}", "/scenarios/{sid}?version=1"],
    "/scenarios/{scenario_id}/history": ["/scenarios/{sid}/history", "/scenarios/{sid}/history?a=1&b=2"],
    "/compare": ["/compare", "/compare?a={sid}&b={sid}"],
    "/catalog": [
        "/catalog?kind=accelerators",
        "/catalog?kind=servers",
        "/catalog?kind=cloud_instances",
        "/catalog?kind=api_offerings",
        "/catalog?kind=models",
        "/catalog?kind=regions",
        "/catalog?kind=rates",
    ],
    "/docs": ["/docs"],
    "/login": ["/login", "/login?next=/scenarios"],
    "/account": ["/account"],
    "/admin/users": ["/admin/users"],
}
"""Every HTML page of the app (route -> the URLs visited), with {sid} a saved scenario and {trash} a deleted one."""

FRAGMENTS = {
    "/catalog/search": "picker results, swapped into the editor; scanned there (picker opened)",
    "/results/jobs/{job_id}": "the How sure? panel, polled into the editor; scanned there (running and done)",
}
"""HTML routes that are parts of a page, not pages, and where they are checked."""


def chromium_or_skip() -> Any:
    if CHROMIUM is None:
        if os.environ.get("LLMTCO_REQUIRE_BROWSER"):
            pytest.fail("chromium is required (LLMTCO_REQUIRE_BROWSER is set) but not installed")
        pytest.skip("Debian's chromium is not installed (make test installs it when run as root)")
    return pytest.importorskip("playwright.sync_api")


@contextmanager
def chromium() -> Iterator[Any]:
    sync_api = chromium_or_skip()
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            yield browser
        finally:
            browser.close()


def seed(base: str, document: str, name: str = "seeded scenario") -> dict[str, int]:
    """A saved scenario named ``name`` with two versions ({sid}) and a deleted one ({trash}), through the API."""
    yaml = {"content-type": "application/yaml"}
    with httpx.Client(base_url=base, timeout=60) as c:
        r = c.post("/api/v1/scenarios", content=document, headers=yaml)
        assert r.status_code == 201, r.text
        sid = r.json()["id"]
        assert c.patch(f"/api/v1/scenarios/{sid}", json={"name": name}).status_code == 200
        r = c.post(f"/api/v1/scenarios/{sid}/versions", content=document + "# second version\n", headers=yaml)
        assert r.status_code == 201, r.text
        trash = c.post("/api/v1/scenarios", content=document, headers=yaml).json()["id"]
        assert c.delete(f"/api/v1/scenarios/{trash}").status_code in (200, 204)
    return {"sid": sid, "trash": trash}


def urls(ids: dict[str, int]) -> list[str]:
    return [u.format(**ids) for group in PAGES.values() for u in group]
