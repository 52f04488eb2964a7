"""XSS strings in every field a user or a catalog overlay can set stay inert on every page, checked in Chromium.

Inert means, in the browser under the app's own CSP: no dialog opens, no
injected element or handler exists in the DOM, nothing sets the canary
``window.__xss``, no console error (a CSP refusal is one), and the string
is shown as text where the page shows it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from llmtco.web.app import create_app
from llmtco.web.worker import WorkerPool
from tests.web.browser import chromium, seed, urls
from tests.web.conftest import serve

PAYLOADS = [
    "<script>window.__xss=1</script>",
    '"><img src=x id=xss-img onerror=alert(1)>',
    "'><svg id=xss-svg onload=alert(2)>",
    "javascript:alert(3)",
    "{{7*7}} ${7*7} <%= 7*7 %> {% raw %}",
    "</textarea><iframe id=xss-frame src=javascript:alert(4)></iframe>",
    '<a id=xss-a href="javascript:alert(5)">x</a>',
]
"""Script tags, attribute breakers, javascript: URLs, SVG onload, template-injection strings."""

q = json.dumps  # a JSON string is a YAML double-quoted scalar

SCENARIO = f"""# {" ".join(PAYLOADS)}
name: {q(PAYLOADS[1] + " " + PAYLOADS[4])}
description: {q(" ".join(PAYLOADS))}
workloads:
  - name: {q(PAYLOADS[0])}  # {PAYLOADS[5]}
    model: llama-3.1-8b
    requests_per_day: 20000
options:
  - name: {q(PAYLOADS[2])}
    kind: onprem
    server: xss-box
    engine: {q(PAYLOADS[3])}
  - name: {q(PAYLOADS[5][:80])}
    kind: api
    offering: together-llama-3.1-8b
    certifications: [{q(PAYLOADS[6])}]
  - name: {q(PAYLOADS[6])}
    kind: cloud_gpu
    instance: lambda-8x-h100-sxm
"""

OVERLAY = f"""servers:
  - id: xss-box
    name: {q(PAYLOADS[2] + " " + PAYLOADS[4])}
    accelerator: h100-sxm
    gpus: 8
    price_usd: 200000
    non_gpu_power_w: 4600
    rack_units: 8
    source: {q("vendor quote " + PAYLOADS[0] + " " + PAYLOADS[3])}
    notes: {q(PAYLOADS[5])}
    as_of: 2026-10-01
"""

PROBE = """() => {
  const bad = [];
  for (const sel of ["#xss-img", "#xss-svg", "#xss-frame", "#xss-a", "iframe", "script:not([src])", "[onerror]",
                     "[onload]", "a[href^='javascript:' i]", "img[src='x']"]) {
    if (document.querySelector(sel)) bad.push(sel);
  }
  if (window.__xss) bad.push("window.__xss");
  return bad;
}"""


@pytest.fixture
def hostile_server(tmp_path: Path, pool: WorkerPool) -> Iterator[str]:
    overlay = tmp_path / "overlay.yaml"
    overlay.write_text(OVERLAY, encoding="utf-8")
    yield from serve(create_app(f"sqlite:///{tmp_path / 'xss.db'}", [str(overlay)], pool=pool))


def _watch(page: Any) -> dict[str, list[str]]:
    seen: dict[str, list[str]] = {"dialogs": [], "errors": []}

    def dialog(d: Any) -> None:
        seen["dialogs"].append(d.message)
        d.dismiss()

    page.on("dialog", dialog)
    page.on("console", lambda m: seen["errors"].append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: seen["errors"].append(str(e)))
    return seen


def test_xss_strings_stay_inert_on_every_page(hostile_server: str) -> None:
    ids = seed(hostile_server, SCENARIO, PAYLOADS[1] + " " + PAYLOADS[4])
    findings: dict[str, Any] = {}
    with chromium() as browser:
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        seen = _watch(page)

        def check(where: str) -> None:
            page.wait_for_load_state("networkidle")
            bad = page.evaluate(PROBE)
            if bad or seen["dialogs"] or seen["errors"]:
                findings[where] = {"dom": bad, "dialogs": list(seen["dialogs"]), "errors": list(seen["errors"])}
            seen["dialogs"].clear()
            seen["errors"].clear()

        for url in [*urls(ids), "/catalog?kind=servers"]:
            page.goto(hostile_server + url)
            if url == "/docs":
                page.wait_for_selector(".opblock", timeout=15_000)
            check(url)

        # shown as text, not interpreted: the saved name on the list, the catalog overlay's name and source
        page.goto(hostile_server + "/scenarios")
        assert PAYLOADS[1] + " " + PAYLOADS[4] in page.inner_text("#scenario-list")
        page.goto(hostile_server + "/catalog?kind=servers")
        assert PAYLOADS[2] + " " + PAYLOADS[4] in page.inner_text("#catalog-table")

        # the editor: every field round-trips the strings as values; the picker shows the overlay's strings
        page.goto(f"{hostile_server}/scenarios/{ids['sid']}")
        assert page.input_value("#f-name") == PAYLOADS[1] + " " + PAYLOADS[4]
        assert page.input_value("#f-workloads-0-name") == PAYLOADS[0]
        assert page.input_value("#f-options-1-certifications") == PAYLOADS[6]
        assert "window.__xss" in page.input_value("#yaml")  # the YAML comment, as text
        page.fill("#f-options-0-server-q", "xss")
        page.wait_for_selector("#f-options-0-server-picks .pick[data-value='xss-box']", timeout=15_000)
        assert PAYLOADS[4] in page.inner_text("#f-options-0-server-picks")
        check("editor: server picker open")
        # an htmx swap re-renders every field with the strings in it
        page.fill("#f-options-2-name", PAYLOADS[1][:80])
        page.dispatch_event("#f-options-2-name", "change")
        page.wait_for_function(
            "v => document.getElementById('yaml').value.includes(v)", arg="xss-img onerror", timeout=15_000
        )
        check("editor: after a form edit")
        page.fill("#yaml", page.input_value("#yaml") + f"\n# {PAYLOADS[5]}\n")
        page.dispatch_event("#yaml", "change")
        page.wait_for_timeout(500)
        check("editor: after a YAML edit")
        page.close()
    assert findings == {}, json.dumps(findings, indent=1)
