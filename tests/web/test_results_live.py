"""Issue 16 in Chromium: an example's line items and break-even, "How sure?" to its P10-P90, the report download."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.web.browser import chromium
from tests.web.conftest import ROOT


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_browser_results_how_sure_and_export(live_server: str) -> None:
    artifacts = ROOT / "artifacts"
    artifacts.mkdir(exist_ok=True)
    with chromium() as browser:
        context = browser.new_context(viewport={"width": 1500, "height": 1100}, accept_downloads=True)
        page = context.new_page()
        errors: list[str] = []
        outside: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on("request", lambda r: None if r.url.startswith(live_server) else outside.append(r.url))
        page.goto(live_server + "/")
        page.select_option("#example-select", "chat-assistant-70b")
        page.click("#load-example")

        # line items: the stacked bar and the table, each item's source and as-of on expand
        assert page.locator("#chart-breakdown svg rect.item").count() >= 20
        page.click("#line-items-box summary")
        row = page.locator('#line-items tr[data-option="onprem-h100"][data-item="gpu_servers"]')
        row.locator("summary").click()
        assert "as of 2025-01-31" in row.inner_text() and "epoch-research" in row.inner_text()
        assert row.locator("td").nth(3).inner_text().startswith("$")
        # break-even: a marker on the cumulative chart, titled with both options and the month
        marker = page.locator("#chart-cumulative svg path.breakeven").first
        assert marker.is_visible()
        assert "= " in marker.locator("title").text_content() and "month" in marker.locator("title").text_content()
        assert "Recommendation:" in page.inner_text("#recommendation")
        assert page.locator("#sizing tbody tr").count() >= 2
        page.screenshot(path=str(artifacts / "web-results.png"), full_page=True)

        # How sure?: a background job with progress, then P10-P90 per option and the tornado
        page.fill("#how-sure-samples", "2000")
        page.click("#how-sure-button")
        page.wait_for_selector("#job", timeout=15_000)
        page.wait_for_selector("#uncertainty", timeout=90_000)
        rows = page.locator("#uncertainty tbody tr")
        assert rows.count() == 5
        cells = rows.first.locator("td")
        p10, p90 = cells.nth(1).inner_text(), cells.nth(3).inner_text()
        assert p10.startswith("$") and p90.startswith("$") and p10 != p90
        assert page.locator("#chart-distribution svg").count() == 1
        assert page.locator("#chart-tornado svg").count() == 1
        page.locator("#how-sure").scroll_into_view_if_needed()
        page.screenshot(path=str(artifacts / "web-how-sure.png"), full_page=True)
        page.locator("#how-sure").screenshot(path=str(artifacts / "web-how-sure-panel.png"))

        # export: the HTML report of what is on screen (unsaved text included) downloads
        yaml = page.locator("#yaml")
        yaml.fill(yaml.input_value().replace("name: Internal chat", "name: Exported chat", 1))
        with page.expect_download() as info:
            page.click("#export-html")
        download = info.value
        target = artifacts / "web-export.html"
        download.save_as(str(target))
        assert download.suggested_filename.startswith("Exported-chat") and download.suggested_filename.endswith(".html")
        report = target.read_text(encoding="utf-8")
        assert 'id="line-items"' in report and "Exported chat" in report
        report_page = context.new_page()
        report_page.goto(target.as_uri())
        assert "Recommendation:" in report_page.inner_text("#recommendation")
        report_page.screenshot(path=str(artifacts / "web-export.png"))
    assert errors == [] and outside == []
    for name in ("web-results.png", "web-how-sure.png", "web-how-sure-panel.png", "web-export.png"):
        assert Path(artifacts / name).stat().st_size > 10_000
