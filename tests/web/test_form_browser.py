"""The generated editor form in Chromium: fields that were YAML-only, pickers, add/remove, messages beside fields."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.web.browser import ARTIFACTS, chromium


def _total(page: Any, option: str) -> str:
    text: str = page.locator(f'td.total[data-option="{option}"]').inner_text()
    return text


def _wait_changed(page: Any, selector: str, before: str) -> None:
    page.wait_for_function(
        "([sel, old]) => { const e = document.querySelector(sel); return e && e.textContent !== old; }",
        arg=[selector, before],
        timeout=20_000,
    )


def _posted(page: Any, act: Any) -> None:
    """Run an action that posts the form, and return once htmx has swapped the re-rendered workspace in.

    The response arriving is not enough: htmx swaps a moment later, and on a loaded machine a field
    filled in that moment belongs to the old workspace and is lost with it.
    """
    page.evaluate("() => { document.getElementById('workspace').dataset.stale = '1'; }")
    with page.expect_response("**/editor/form"):
        act()
    page.wait_for_function(
        "() => { const w = document.getElementById('workspace');"
        " return w && !w.dataset.stale && !document.querySelector('.htmx-settling, .htmx-swapping, .htmx-request'); }",
        timeout=20_000,
    )


def _change(page: Any, selector: str, value: str) -> None:
    """Type into a field and let the form post it; returns once the re-rendered workspace is in."""

    def act() -> None:
        page.fill(selector, value)
        page.dispatch_event(selector, "change")

    _posted(page, act)


def _select(page: Any, selector: str, value: str) -> None:
    _posted(page, lambda: page.select_option(selector, value))


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_yaml_only_fields_edited_through_the_form_change_yaml_and_results(live_server: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    with chromium() as browser:
        page = browser.new_page(viewport={"width": 1600, "height": 1200})
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(live_server + "/?example=chat-with-monthly-lora")
        onprem = 'td.total[data-option="onprem-h100"]'

        # a rate override (options.0.rates), added through the "add a rate override" row
        before = _total(page, "onprem-h100")
        _select(page, "#f-options-0-rates-id", "maintenance_pct_per_year")
        _change(page, "#f-options-0-rates", "20")
        _wait_changed(page, onprem, before)
        assert re.search(r"maintenance_pct_per_year: 20\b", page.input_value("#yaml"))
        assert "software_licence_usd_per_gpu_year: 0" in page.input_value("#yaml")  # the existing override stays
        assert page.input_value("#f-options-0-rates-maintenance_pct_per_year") == "20"

        # a fine-tuning field (workloads.1.runs_per_year): more runs cost more
        before = _total(page, "onprem-h100")
        _change(page, "#f-workloads-1-runs_per_year", "52")
        _wait_changed(page, onprem, before)
        assert "runs_per_year: 52" in page.input_value("#yaml")
        assert "# office hours; the fleet idles at night" in page.input_value("#yaml")  # YAML comments kept

        # an SLO percentile (a select from the schema's Literal)
        _select(page, "#f-workloads-0-slo-percentile", "p99")
        page.wait_for_function("() => document.getElementById('yaml').value.includes('percentile: p99')")

        # the uncertainty settings are in the form too
        _select(page, "#f-uncertainty-catalog_ranges", "false")
        page.wait_for_function("() => document.getElementById('yaml').value.includes('catalog_ranges: false')")

        # a catalog picker: search the servers, see specs and price, pick one
        page.fill("#f-options-0-server-q", "h200")
        page.wait_for_selector("#f-options-0-server-picks .pick[data-value='hgx-h200-8']", timeout=15_000)
        pick = page.locator("#f-options-0-server-picks .pick[data-value='hgx-h200-8']")
        assert "USD per server" in pick.inner_text() and "x h200" in pick.inner_text()
        before = _total(page, "onprem-h100")
        pick.click()
        _wait_changed(page, onprem, before)
        assert "server: hgx-h200-8" in page.input_value("#yaml")

        # lists: add an API option, then remove it
        options = page.locator("#g-options > fieldset").count()
        page.click("#g-options > p.add button[value='add:api']")
        page.wait_for_function(f"() => document.querySelectorAll('#g-options > fieldset').length === {options + 1}")
        assert "name: api-5" in page.input_value("#yaml")
        page.click(f"#g-options-{options} button.remove")
        page.wait_for_function(f"() => document.querySelectorAll('#g-options > fieldset').length === {options}")
        assert "api-5" not in page.input_value("#yaml")

        # a bad value: refused, its message beside the field names the allowed values
        _change(page, "#f-assumptions-horizon_months", "999")
        page.wait_for_selector("#f-assumptions-horizon_months-error", timeout=15_000)
        assert "allowed: a whole number, 1 to 180" in page.inner_text("#f-assumptions-horizon_months-error")
        assert "horizon_months: 36" in page.input_value("#yaml")
        page.screenshot(path=str(ARTIFACTS / "web-form-every-field.png"), full_page=True)
    assert errors == []
    assert (ARTIFACTS / "web-form-every-field.png").stat().st_size > 10_000
