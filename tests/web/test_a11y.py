"""Accessibility: axe-core (vendored, tests/web/vendor) in Chromium on every page: no serious or critical violation."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.routing import APIRoute

from llmtco.web.app import create_app
from llmtco.web.worker import WorkerPool
from tests.web.browser import AXE, FRAGMENTS, PAGES, chromium, seed, urls
from tests.web.conftest import EXAMPLE

BLOCKING = ("serious", "critical")

SCAN = """async () => {
  const r = await axe.run(document, {resultTypes: ["violations"]});
  return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 5).map(n => n.target.join(" "))}));
}"""


def _scan(page: Any) -> list[dict[str, Any]]:
    page.add_script_tag(path=str(AXE))
    found: list[dict[str, Any]] = page.evaluate(SCAN)
    return [v for v in found if v["impact"] in BLOCKING]


def _routes(routes: list[Any]) -> list[APIRoute]:
    """The app's routes, through included routers (``original_router`` on FastAPI >= 0.16x)."""
    out: list[APIRoute] = []
    for r in routes:
        inner = getattr(r, "original_router", None)
        if inner is not None:
            out.extend(_routes(list(inner.routes)))
        elif isinstance(r, APIRoute):
            out.append(r)
    return out


def test_every_html_page_of_the_app_is_listed(pool: WorkerPool) -> None:
    html_routes = {
        r.path
        for r in _routes(list(create_app("sqlite://", pool=pool).routes))
        if "GET" in r.methods and (r.path == "/docs" or getattr(r.response_class, "__name__", "") == "HTMLResponse")
    }
    assert len(html_routes) >= 7  # the walk found the routers' routes
    assert html_routes - set(PAGES) - set(FRAGMENTS) == set(), "add the new page to tests/web/browser.py PAGES"
    assert set(PAGES) - html_routes == set(), "PAGES names a route the app no longer has"


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_axe_finds_no_serious_or_critical_violation_on_any_page(live_server: str) -> None:
    ids = seed(live_server, EXAMPLE)
    problems: dict[str, list[dict[str, Any]]] = {}
    with chromium() as browser:
        # axe is injected as a script tag: this context lets it past the app's CSP (the app's own pages are unchanged)
        context = browser.new_context(bypass_csp=True, viewport={"width": 1400, "height": 1000})
        page = context.new_page()
        for url in urls(ids):
            page.goto(live_server + url)
            page.wait_for_load_state("networkidle")
            if url == "/docs":
                page.wait_for_selector(".opblock", timeout=15_000)
            found = _scan(page)
            if found:
                problems[url] = found
        # the picker results, opened inside the editor
        page.goto(live_server + "/")
        page.fill("#f-options-0-server-q", "h100")
        page.wait_for_selector("#f-options-0-server-picks .pick", timeout=15_000)
        found = _scan(page)
        if found:
            problems["/ (server picker open)"] = found
        # the "How sure?" panel (/results/jobs/{id}, polled into the editor) while running and when done
        page.goto(live_server + "/?example=chat-assistant-70b")
        page.fill("#how-sure-samples", "500")
        page.click("#how-sure-button")
        page.wait_for_selector("#job", timeout=15_000)
        found = _scan(page)
        if found:
            problems["/ (How sure? running)"] = found
        page.wait_for_selector("#uncertainty", timeout=90_000)
        found = _scan(page)
        if found:
            problems["/ (How sure? done)"] = found
        # the editor with a refused value shown beside its field
        page.fill("#f-assumptions-horizon_months", "999")
        page.dispatch_event("#f-assumptions-horizon_months", "change")
        page.wait_for_selector("#f-assumptions-horizon_months-error", timeout=15_000)
        found = _scan(page)
        if found:
            problems["/ (field error shown)"] = found
        context.close()
    assert problems == {}, json.dumps(problems, indent=1)


HOSTILE_LABEL = '"><img src=x onerror=alert(1)><script>alert(2)</script>'


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_account_pages_with_accounts_pass_axe_and_keep_a_hostile_token_label_inert(
    db_url: str, live_server: str
) -> None:
    """The sign-in page with its error, the account page with a token and the users page, signed in as an admin."""
    from llmtco.web.accounts import Accounts, Role
    from llmtco.web.store import Store

    password = "correct horse battery staple"
    store = Store(db_url)
    accounts = Accounts(store)
    accounts.add("ada", password, Role.admin)
    accounts.add("vic", password, Role.viewer)
    accounts.create_token("ada", HOSTILE_LABEL)
    store.engine.dispose()
    problems: dict[str, list[dict[str, Any]]] = {}
    dialogs: list[str] = []
    with chromium() as browser:
        context = browser.new_context(bypass_csp=True, viewport={"width": 1400, "height": 1000})
        page = context.new_page()
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        page.goto(live_server + "/login")
        page.fill("#login-name", "ada")
        page.fill("#login-password", "wrong")
        page.click("#login-button")
        page.wait_for_selector("#login-error")
        if found := _scan(page):
            problems["/login (error shown)"] = found
        page.fill("#login-name", "ada")
        page.fill("#login-password", password)
        page.click("#login-button")
        page.wait_for_url("**/")
        for url in ("/account", "/admin/users", "/scenarios"):
            page.goto(live_server + url)
            page.wait_for_load_state("networkidle")
            if found := _scan(page):
                problems[url] = found
        page.goto(live_server + "/account")
        assert HOSTILE_LABEL in page.inner_text("body")  # shown as text
        assert page.locator("img[src=x]").count() == 0
        context.close()
    assert dialogs == []
    assert problems == {}, json.dumps(problems, indent=1)
