"""Accounts on the web app: the authorisation matrix, sessions, tokens, CSRF with sessions, sign-in limits.

Runs on SQLite and PostgreSQL (``db_url``). The expected table below is
written out on purpose, not imported: a route the app serves that is missing
here fails ``test_every_route_is_in_the_expected_table`` (add its row).
"""

from __future__ import annotations

import datetime as dt
import statistics
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, text, update

from llmtco.web.accounts import Accounts, Role, SessionRow, TokenRow, sha256
from llmtco.web.app import create_app
from llmtco.web.auth import ROUTE_ROLES, SESSION_COOKIE, declared_routes
from llmtco.web.worker import WorkerPool
from tests.conftest import MINIMAL
from tests.web.browser import chromium

YAML = {"content-type": "application/yaml"}
PASSWORD = "a long enough password"
PUBLIC, VIEWER, EDITOR, ADMIN = "public", "viewer", "editor", "admin"

EXPECTED: dict[tuple[str, str], str] = {
    ("GET", "/login"): PUBLIC,
    ("POST", "/login"): PUBLIC,
    ("POST", "/logout"): PUBLIC,
    ("GET", "/static"): PUBLIC,
    ("GET", "/favicon.ico"): PUBLIC,
    ("GET", "/"): VIEWER,
    ("POST", "/editor/form"): VIEWER,
    ("POST", "/editor/yaml"): VIEWER,
    ("GET", "/scenarios"): VIEWER,
    ("GET", "/scenarios/{scenario_id}"): VIEWER,
    ("GET", "/scenarios/{scenario_id}/history"): VIEWER,
    ("GET", "/compare"): VIEWER,
    ("GET", "/catalog"): VIEWER,
    ("GET", "/docs"): VIEWER,
    ("GET", "/openapi.json"): VIEWER,
    ("GET", "/account"): VIEWER,
    ("POST", "/account/tokens"): VIEWER,
    ("POST", "/account/tokens/{token_id}/revoke"): VIEWER,
    ("POST", "/api/v1/evaluate"): VIEWER,
    ("GET", "/api/v1/scenarios"): VIEWER,
    ("GET", "/api/v1/scenarios/{scenario_id}"): VIEWER,
    ("GET", "/api/v1/scenarios/{scenario_id}/versions"): VIEWER,
    ("GET", "/api/v1/scenarios/{scenario_id}/versions/{number}"): VIEWER,
    ("GET", "/api/v1/scenarios/{scenario_id}/evaluate"): VIEWER,
    ("GET", "/api/v1/catalog/{kind}"): VIEWER,
    ("GET", "/api/v1/catalog/{kind}/{record_id}"): VIEWER,
    ("GET", "/catalog/search"): VIEWER,
    ("POST", "/editor/export.{fmt}"): VIEWER,
    ("GET", "/scenarios/{scenario_id}/versions/{number}/export.{fmt}"): VIEWER,
    ("POST", "/results/how-sure"): VIEWER,
    ("GET", "/results/jobs/{job_id}"): VIEWER,
    ("POST", "/results/jobs/{job_id}/cancel"): VIEWER,
    ("POST", "/api/v1/jobs"): VIEWER,
    ("GET", "/api/v1/jobs/{job_id}"): VIEWER,
    ("POST", "/api/v1/jobs/{job_id}/cancel"): VIEWER,
    ("POST", "/scenarios"): EDITOR,
    ("POST", "/scenarios/{scenario_id}/save"): EDITOR,
    ("POST", "/scenarios/{scenario_id}/rename"): EDITOR,
    ("POST", "/scenarios/{scenario_id}/duplicate"): EDITOR,
    ("POST", "/scenarios/{scenario_id}/delete"): EDITOR,
    ("POST", "/scenarios/{scenario_id}/restore"): EDITOR,
    ("POST", "/api/v1/scenarios"): EDITOR,
    ("PATCH", "/api/v1/scenarios/{scenario_id}"): EDITOR,
    ("DELETE", "/api/v1/scenarios/{scenario_id}"): EDITOR,
    ("POST", "/api/v1/scenarios/{scenario_id}/restore"): EDITOR,
    ("POST", "/api/v1/scenarios/{scenario_id}/duplicate"): EDITOR,
    ("POST", "/api/v1/scenarios/{scenario_id}/versions"): EDITOR,
    ("GET", "/admin/users"): ADMIN,
    ("POST", "/admin/users"): ADMIN,
    ("POST", "/admin/users/{name}/disable"): ADMIN,
}
"""(method, path template) → least role. Other branches' routes get their rows here at merge."""

RANK = {PUBLIC: 0, VIEWER: 1, EDITOR: 2, ADMIN: 3}
CALLERS = ["anonymous", "viewer", "editor", "admin", "wrong token", "expired session"]


@dataclass
class Team:
    client: TestClient
    accounts: Accounts
    tokens: dict[str, str]
    """role → API token"""
    scenario_id: int
    csrf: str


def _make_team(db_url: str, pool: WorkerPool) -> Iterator[Team]:
    app = create_app(db_url, pool=pool)
    accounts: Accounts = app.state.accounts
    with TestClient(app, base_url="http://localhost") as c:
        tokens = {}
        for role in Role:
            accounts.add(role.value, PASSWORD, role)
            tokens[role.value] = accounts.create_token(role.value, "test")[1]
        accounts.add("victim", PASSWORD, Role.viewer)
        c.get("/login")
        csrf = c.cookies.get("llmtco_csrf")
        assert csrf
        r = c.post("/api/v1/scenarios", content=MINIMAL, headers={**YAML, "authorization": f"Bearer {tokens['admin']}"})
        assert r.status_code == 201, r.text
        yield Team(c, accounts, tokens, r.json()["id"], csrf)


@pytest.fixture
def team(db_url: str, pool: WorkerPool) -> Iterator[Team]:
    yield from _make_team(db_url, pool)


def test_every_route_is_in_the_expected_table(team: Team) -> None:
    served = declared_routes(team.client.app.routes)  # type: ignore[attr-defined]
    missing = sorted(served - set(EXPECTED))
    assert missing == [], f"routes with no row in EXPECTED (add them with their least role): {missing}"
    assert sorted(set(EXPECTED) - served) == [], "rows for routes the app no longer serves"
    assert {k: (v.value if v else PUBLIC) for k, v in ROUTE_ROLES.items()} == EXPECTED


def _request_for(method: str, path: str, team: Team) -> tuple[str, dict[str, Any]]:
    """A concrete URL and body for a route template (valid enough that authorisation is what decides)."""
    url = (
        path.replace("{scenario_id}", str(team.scenario_id))
        .replace("{number}", "1")
        .replace("{kind}", "accelerators")
        .replace("{record_id}", "h100-sxm")
        .replace("{token_id}", "999999")  # no such token: 404 once past authorisation
        .replace("{name}", "victim")
        .replace("{job_id}", "no-such-job")  # 404 once past authorisation
        .replace("{fmt}", "md")
    )
    if path == "/static":
        url = "/static/style.css"
    kwargs: dict[str, Any] = {}
    if path.startswith("/api/"):
        if method in ("POST", "PATCH"):
            body = '{"name": "renamed"}' if method == "PATCH" else MINIMAL
            kwargs = {
                "content": body,
                "headers": {"content-type": "application/json" if method == "PATCH" else YAML["content-type"]},
            }
    elif method == "POST":
        form = {"csrf_token": team.csrf, "yaml": MINIMAL, "name": "x", "label": "t", "role": "viewer"}
        if path == "/login":
            form |= {"name": "viewer", "password": PASSWORD}
        kwargs = {"data": form}
    return url, kwargs


def _credentials(caller: str, team: Team, api: bool) -> tuple[dict[str, str], dict[str, str]]:
    """(headers, cookies) a caller sends: a token on the API, a fresh session on pages."""
    cookies = {"llmtco_csrf": team.csrf}
    headers = {"x-csrf-token": team.csrf}
    if caller in ("viewer", "editor", "admin"):
        if api:
            headers["authorization"] = f"Bearer {team.tokens[caller]}"
        else:
            cookies[SESSION_COOKIE] = team.accounts.start_session(team.accounts.get(caller))
    elif caller == "wrong token":
        headers["authorization"] = "Bearer llmtco_" + "x" * 43
    elif caller == "expired session":
        cookies[SESSION_COOKIE] = _expired_session(team, "admin")
    return headers, cookies


def _expired_session(team: Team, name: str) -> str:
    secret = team.accounts.start_session(team.accounts.get(name))
    past = dt.datetime.now(dt.UTC).replace(tzinfo=None) - dt.timedelta(seconds=team.accounts.limits.idle_s + 60)
    with team.accounts.store.session() as s:
        s.execute(update(SessionRow).where(SessionRow.secret_sha256 == sha256(secret)).values(last_seen_at=past))
    return secret


def _expected(need: str, caller: str, api: bool) -> str:
    if need == PUBLIC:
        return "allowed"
    if caller in ("viewer", "editor", "admin"):
        return "allowed" if RANK[caller] >= RANK[need] else "403"
    return "401" if api else "login"


def _outcome(r: Any) -> str:
    if r.status_code == 401:
        return "401"
    if r.status_code == 403:
        return "403"
    if r.status_code == 303 and r.headers["location"].startswith("/login?next="):
        return "login"
    return "allowed"


def test_authorisation_matrix(team: Team) -> None:
    """Every route × {anonymous, viewer, editor, admin, wrong token, expired session}: the expected answer."""
    c = team.client
    wrong: list[str] = []
    for (method, path), need in EXPECTED.items():
        api = path.startswith("/api/")
        for caller in CALLERS:
            url, kwargs = _request_for(method, path, team)
            headers, cookies = _credentials(caller, team, api)
            c.cookies.clear()
            for k, v in cookies.items():
                c.cookies.set(k, v)
            kwargs = {**kwargs, "headers": {**kwargs.get("headers", {}), **headers}}
            r = c.request(method, url, follow_redirects=False, **kwargs)
            got, want = _outcome(r), _expected(need, caller, api)
            if got != want:
                wrong.append(f"{method} {path} as {caller}: {r.status_code} ({got}), expected {want}")
            if want == "allowed":
                assert r.status_code < 500, (method, path, caller, r.text[:300])
            if want == "401":
                assert r.headers.get("www-authenticate", "").startswith("Bearer")
    assert wrong == [], "\n".join(wrong)


def test_a_viewer_cannot_save_rename_or_delete(team: Team) -> None:
    c, sid = team.client, team.scenario_id
    viewer = {"authorization": f"Bearer {team.tokens['viewer']}"}
    assert (
        c.post(f"/api/v1/scenarios/{sid}/versions", content=MINIMAL + "# v\n", headers={**YAML, **viewer}).status_code
        == 403
    )
    assert c.patch(f"/api/v1/scenarios/{sid}", json={"name": "taken"}, headers=viewer).status_code == 403
    assert c.delete(f"/api/v1/scenarios/{sid}", headers=viewer).status_code == 403
    c.cookies.set(SESSION_COOKIE, team.accounts.start_session(team.accounts.get("viewer")))
    form = {"csrf_token": team.csrf, "yaml": MINIMAL + "# page\n", "name": "taken"}
    for action in ("save", "rename", "delete"):
        assert c.post(f"/scenarios/{sid}/{action}", data=form, follow_redirects=False).status_code == 403
    got = c.get(f"/api/v1/scenarios/{sid}", headers=viewer).json()
    assert got["name"] != "taken" and got["versions"] == 1 and not got["deleted"]


def test_a_viewer_cancels_only_the_jobs_it_started(team: Team) -> None:
    c = team.client

    def caller(token: str) -> dict[str, str]:
        return {"authorization": f"Bearer {token}", "x-csrf-token": team.csrf}

    viewer, victim = caller(team.tokens["viewer"]), caller(team.accounts.create_token("victim", "t")[1])
    editor = caller(team.tokens["editor"])
    r = c.post("/api/v1/jobs?samples=100", content=MINIMAL, headers={**YAML, **viewer})
    assert r.status_code == 202, r.text
    job = r.json()
    assert job["owner"] == "viewer"
    refused = c.post(f"/api/v1/jobs/{job['id']}/cancel", headers=victim)
    assert refused.status_code == 403 and "only the jobs it started" in refused.text
    assert c.get(f"/api/v1/jobs/{job['id']}", headers=victim).status_code == 200  # reading is not cancelling
    assert c.post(f"/api/v1/jobs/{job['id']}/cancel", headers=viewer).json()["state"] in ("cancelled", "done")
    r = c.post("/api/v1/jobs?samples=100", content=MINIMAL, headers={**YAML, **victim})
    assert r.status_code == 202 and r.json()["owner"] == "victim"
    # an editor may stop anyone's job
    assert c.post(f"/api/v1/jobs/{r.json()['id']}/cancel", headers=editor).json()["state"] in ("cancelled", "done")


def test_csrf_is_still_enforced_with_a_session(team: Team) -> None:
    c, sid = team.client, team.scenario_id
    c.cookies.set(SESSION_COOKIE, team.accounts.start_session(team.accounts.get("editor")))
    no_token = c.post(f"/scenarios/{sid}/rename", data={"name": "forged"}, follow_redirects=False)
    bad_token = c.post(
        f"/scenarios/{sid}/rename", data={"name": "forged", "csrf_token": "x" * 32}, follow_redirects=False
    )
    assert (no_token.status_code, bad_token.status_code) == (403, 403)
    cross_site = c.post(
        f"/api/v1/scenarios/{sid}/versions",
        content="a=b",
        headers={"content-type": "application/x-www-form-urlencoded", "origin": "https://evil.example"},
    )
    assert cross_site.status_code == 403
    assert c.get(f"/api/v1/scenarios/{sid}").json()["name"] != "forged"
    ok = c.post(
        f"/scenarios/{sid}/rename", data={"name": "by the editor", "csrf_token": team.csrf}, follow_redirects=False
    )
    assert ok.status_code == 303
    assert c.get(f"/api/v1/scenarios/{sid}").json()["name"] == "by the editor"


def test_sign_in_sets_a_hardened_cookie_and_stores_only_its_hash(team: Team, monkeypatch: pytest.MonkeyPatch) -> None:
    c = team.client
    r = c.post(
        "/login",
        data={"csrf_token": team.csrf, "name": "editor", "password": PASSWORD, "next": "/scenarios"},
        follow_redirects=False,
    )
    assert r.status_code == 303 and r.headers["location"] == "/scenarios"
    cookie = r.headers["set-cookie"]
    assert cookie.startswith(f"{SESSION_COOKIE}=")
    low = cookie.lower()
    assert "httponly" in low and "samesite=lax" in low and "path=/" in low and "max-age=" in low
    assert "secure" not in low  # plain http on loopback
    secret = cookie.split(";")[0].split("=", 1)[1]
    with team.accounts.store.session() as s:
        stored = list(s.scalars(select(SessionRow.secret_sha256)))
        tokens = list(s.scalars(select(TokenRow.secret_sha256)))
        dump = " ".join(str(v) for row in s.execute(text("SELECT * FROM login_sessions")) for v in row)
    assert sha256(secret) in stored and secret not in dump
    assert sha256(team.tokens["viewer"]) in tokens
    assert "editor (editor)" in c.get("/scenarios").text  # the page knows who is signed in
    second = c.post(
        "/login", data={"csrf_token": team.csrf, "name": "editor", "password": PASSWORD}, follow_redirects=False
    )
    out = c.post("/logout", data={"csrf_token": team.csrf}, follow_redirects=False)
    assert out.status_code == 303
    c.cookies.clear()
    c.cookies.set(SESSION_COOKIE, secret)
    assert _outcome(c.get("/scenarios", follow_redirects=False)) == "allowed"  # the other session lives on
    c.cookies.clear()
    c.cookies.set(SESSION_COOKIE, second.headers["set-cookie"].split(";")[0].split("=", 1)[1])
    assert _outcome(c.get("/scenarios", follow_redirects=False)) == "login"  # signed out: that session is gone
    monkeypatch.setenv("LLMTCO_SECURE_COOKIES", "1")
    c.cookies.set("llmtco_csrf", team.csrf)
    third = c.post(
        "/login", data={"csrf_token": team.csrf, "name": "editor", "password": PASSWORD}, follow_redirects=False
    )
    assert "secure" in third.headers["set-cookie"].lower()


def test_sessions_expire_idle_and_absolute(team: Team) -> None:
    c = team.client
    c.cookies.set(SESSION_COOKIE, _expired_session(team, "viewer"))
    r = c.get("/api/v1/scenarios")
    assert r.status_code == 401 and "max-age=0" in r.headers.get("set-cookie", "").lower()
    secret = team.accounts.start_session(team.accounts.get("viewer"))
    old = dt.datetime.now(dt.UTC).replace(tzinfo=None) - dt.timedelta(seconds=team.accounts.limits.absolute_s + 1)
    with team.accounts.store.session() as s:
        s.execute(update(SessionRow).where(SessionRow.secret_sha256 == sha256(secret)).values(created_at=old))
    c.cookies.set(SESSION_COOKIE, secret)
    assert c.get("/api/v1/scenarios").status_code == 401  # recently used, but past its absolute limit


def test_failed_sign_ins_look_alike_and_are_rate_limited(team: Team) -> None:
    c = team.client

    def attempt(name: str, password: str) -> Any:
        return c.post(
            "/login", data={"csrf_token": team.csrf, "name": name, "password": password}, follow_redirects=False
        )

    unknown, wrong, disabled = attempt("nobody", PASSWORD), attempt("editor", "not the password"), None
    team.accounts.disable("victim")
    disabled = attempt("victim", PASSWORD)
    for r in (unknown, wrong, disabled):
        assert r.status_code == 401 and "wrong account name or password" in r.text
    assert len({r.text.replace(team.csrf, "") for r in (unknown, wrong, disabled)}) == 1  # the same page
    for _ in range(4):
        attempt("editor", "still wrong")
        attempt("nobody", "still wrong")
    # five failures per name: the next attempt is refused, even with the right password, real and unknown names alike
    assert attempt("editor", PASSWORD).status_code == 429
    assert attempt("nobody", PASSWORD).status_code == 429
    # per client address: 20 failures over any names (11 so far: refused attempts do not count)
    for n in range(9):
        attempt(f"someone{n}", "wrong")
    assert attempt("admin", PASSWORD).status_code == 429


def test_an_unknown_name_costs_a_password_check(team: Team) -> None:
    """No enumeration by timing: an unknown name verifies a dummy argon2 hash (a missing check would be ~50x faster)."""

    def median_s(name: str) -> float:
        times = []
        for _ in range(5):
            t = time.perf_counter()
            assert team.accounts.verify(name, "wrong password") is None
            times.append(time.perf_counter() - t)
        return statistics.median(times)

    known, unknown = median_s("editor"), median_s("no-such-account")
    assert unknown > 0.4 * known, (unknown, known)


def test_tokens_revoked_or_of_disabled_accounts_stop_working(team: Team) -> None:
    c, sid = team.client, team.scenario_id
    info, secret = team.accounts.create_token("editor", "ci")
    bearer = {"authorization": f"Bearer {secret}"}
    assert c.get("/api/v1/scenarios", headers=bearer).status_code == 200
    team.accounts.revoke_token("editor", info.id)
    assert c.get("/api/v1/scenarios", headers=bearer).status_code == 401
    assert (
        c.get(f"/api/v1/scenarios/{sid}", headers={"authorization": f"Bearer {team.tokens['viewer']}"}).status_code
        == 200
    )
    team.accounts.disable("viewer")
    assert c.get("/api/v1/scenarios", headers={"authorization": f"Bearer {team.tokens['viewer']}"}).status_code == 401


def test_tokens_from_the_account_page(team: Team) -> None:
    c = team.client
    c.cookies.set(SESSION_COOKIE, team.accounts.start_session(team.accounts.get("viewer")))
    r = c.post("/account/tokens", data={"csrf_token": team.csrf, "label": "laptop"})
    assert r.status_code == 200 and r.headers["cache-control"] == "no-store"
    secret = r.text.split('id="new-token"')[1].split("<code>")[1].split("</code>")[0]
    assert secret.startswith("llmtco_")
    assert c.get("/api/v1/scenarios", headers={"authorization": f"Bearer {secret}"}).status_code == 200
    token_id = next(t.id for t in team.accounts.tokens("viewer") if t.label == "laptop")
    assert (
        c.post(f"/account/tokens/{token_id}/revoke", data={"csrf_token": team.csrf}, follow_redirects=False).status_code
        == 303
    )
    assert c.get("/api/v1/scenarios", headers={"authorization": f"Bearer {secret}"}).status_code == 401
    # another account's token cannot be revoked from here
    other = team.accounts.tokens("editor")[0].id
    assert c.post(f"/account/tokens/{other}/revoke", data={"csrf_token": team.csrf}).status_code == 404


def test_the_author_of_each_version_is_recorded_and_shown(team: Team) -> None:
    c, sid = team.client, team.scenario_id
    r = c.post(
        f"/api/v1/scenarios/{sid}/versions",
        content=MINIMAL + "# edit\n",
        headers={**YAML, "authorization": f"Bearer {team.tokens['editor']}"},
    )
    assert r.status_code == 201 and r.json()["author"] == "editor"
    versions = c.get(
        f"/api/v1/scenarios/{sid}/versions", headers={"authorization": f"Bearer {team.tokens['viewer']}"}
    ).json()
    assert [v["author"] for v in versions] == ["admin", "editor"]
    c.cookies.set(SESSION_COOKIE, team.accounts.start_session(team.accounts.get("viewer")))
    page = c.get(f"/scenarios/{sid}/history").text
    assert page.count('<td class="author">') == 2 and '<td class="author">editor</td>' in page


def test_admins_add_and_disable_accounts_in_the_app(team: Team) -> None:
    c = team.client
    c.cookies.set(SESSION_COOKIE, team.accounts.start_session(team.accounts.get("admin")))
    bad = c.post("/admin/users", data={"csrf_token": team.csrf, "name": "carol", "role": "boss", "password": PASSWORD})
    assert bad.status_code == 422 and "allowed roles are viewer, editor, admin" in bad.text
    ok = c.post(
        "/admin/users",
        data={"csrf_token": team.csrf, "name": "carol", "role": "editor", "password": PASSWORD},
        follow_redirects=False,
    )
    assert ok.status_code == 303 and team.accounts.get("carol").role is Role.editor
    assert (
        c.post("/admin/users/carol/disable", data={"csrf_token": team.csrf}, follow_redirects=False).status_code == 303
    )
    assert team.accounts.verify("carol", PASSWORD) is None


def test_next_after_sign_in_stays_on_this_site(team: Team) -> None:
    for target in ("//evil.example/", "https://evil.example/", "/\\evil.example"):
        r = team.client.post(
            "/login",
            data={"csrf_token": team.csrf, "name": "viewer", "password": PASSWORD, "next": target},
            follow_redirects=False,
        )
        assert r.headers["location"] == "/"


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_single_user_mode_needs_no_sign_in(client: TestClient) -> None:
    assert client.get("/api/v1/scenarios").status_code == 200
    assert client.get("/scenarios", follow_redirects=False).status_code == 200
    assert 'id="single-user"' in client.get("/login").text


def test_upgrading_a_database_saved_before_accounts_keeps_its_versions(db_url: str) -> None:
    """Migration 0002 on a 0001 database: versions stay, their author is empty, accounts work."""
    from alembic import command
    from alembic.config import Config

    from llmtco.web import store as store_module
    from llmtco.web.store import Store, migrate

    url = Store(db_url, run_migrations=False).url
    cfg = Config()
    cfg.set_main_option("script_location", str(Path(store_module.__file__).parent / "migrations"))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    command.upgrade(cfg, "0001")
    old = Store(url, run_migrations=False)
    with old.engine.begin() as conn:
        conn.execute(
            text("INSERT INTO scenarios (id, name, created_at, updated_at) VALUES (1, 'old', :t, :t)"),
            {"t": dt.datetime(2026, 1, 1)},
        )
        conn.execute(
            text(
                "INSERT INTO scenario_versions (scenario_id, number, document, content_hash, created_at) "
                "VALUES (1, 1, :d, 'h', :t)"
            ),
            {"d": MINIMAL, "t": dt.datetime(2026, 1, 1)},
        )
    old.engine.dispose()
    migrate(url)
    store = Store(url)
    assert store.version(1).document == MINIMAL and store.version(1).author is None
    accounts = Accounts(store)
    assert not accounts.exist()
    accounts.add("first", PASSWORD, Role.admin)
    assert accounts.exist() and store.save(1, MINIMAL + "# new\n", author="first").author == "first"
    store.engine.dispose()


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_browser_sign_in_see_who_and_sign_out(db_url: str, live_server: str) -> None:
    from llmtco.web.store import Store

    store = Store(db_url)
    Accounts(store).add("dana", PASSWORD, Role.editor)
    store.engine.dispose()
    with chromium() as browser:
        page = browser.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(live_server + "/scenarios")
        page.wait_for_url("**/login?next=/scenarios")
        page.fill("#login-name", "dana")
        page.fill("#login-password", "not it at all")
        page.click("#login-button")
        assert page.locator("#login-error").inner_text() == "wrong account name or password"
        page.fill("#login-name", "dana")
        page.fill("#login-password", PASSWORD)
        page.click("#login-button")
        page.wait_for_url("**/scenarios")
        assert "dana (editor)" in page.locator("nav").inner_text()
        cookie = next(c for c in page.context.cookies() if c["name"] == SESSION_COOKIE)
        assert cookie["httpOnly"] and cookie["sameSite"] == "Lax"
        assert page.evaluate("document.cookie").find(SESSION_COOKIE) == -1  # not readable by scripts
        page.click("#logout-button")
        page.wait_for_url("**/login")
        page.goto(live_server + "/scenarios")
        page.wait_for_url("**/login?next=/scenarios")
    assert errors == []
