"""The app's one authorisation point: who is asking (session cookie or API token) and may they use this route.

``ROUTE_ROLES`` declares, for every route (method, path template), the least
role it needs, or ``PUBLIC``. The ``Authorize`` middleware finds the route a
request will reach, identifies the caller and answers before any handler runs:

- unknown caller on a page: 303 to ``/login``; on the API: 401 (``WWW-Authenticate: Bearer``);
- known caller without the role: 403;
- a route missing from the table needs ``admin`` (``UNDECLARED``), so a new
  route cannot be served to everyone by forgetting its row; the authorisation
  matrix test fails until the row is added.

Callers are identified by a session cookie (pages and API) or, on ``/api/``,
by ``Authorization: Bearer <token>``. Both are looked up by SHA-256 (see
``llmtco.web.accounts``). When no account exists the app is in single-user
mode: every request acts as a local admin, as before accounts existed;
``llmtco serve`` refuses to bind a non-loopback address in that mode.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections import deque
from typing import Any
from urllib.parse import quote

from fastapi.concurrency import run_in_threadpool
from starlette.routing import Match

from llmtco.web.accounts import Accounts, Role, User

SESSION_COOKIE = "llmtco_session"
PUBLIC: Role | None = None
"""A route anyone may use, signed in or not."""

LOCAL_ADMIN = User(id=0, name="", role=Role.admin, created_at="", disabled=False)
"""The caller in single-user mode (no accounts exist): allowed everything, records no author."""

V, E, A = Role.viewer, Role.editor, Role.admin
ROUTE_ROLES: dict[tuple[str, str], Role | None] = {
    # public: signing in, and what the login page itself needs
    ("GET", "/login"): PUBLIC,
    ("POST", "/login"): PUBLIC,
    ("POST", "/logout"): PUBLIC,
    ("GET", "/static"): PUBLIC,
    ("GET", "/favicon.ico"): PUBLIC,
    # reading
    ("GET", "/"): V,
    ("POST", "/editor/form"): V,  # recomputes the editor's results; saves nothing
    ("POST", "/editor/yaml"): V,
    ("GET", "/scenarios"): V,
    ("GET", "/scenarios/{scenario_id}"): V,
    ("GET", "/scenarios/{scenario_id}/history"): V,
    ("GET", "/compare"): V,
    ("GET", "/catalog"): V,
    ("GET", "/docs"): V,
    ("GET", "/openapi.json"): V,
    ("GET", "/account"): V,
    ("POST", "/account/tokens"): V,  # one's own tokens
    ("POST", "/account/tokens/{token_id}/revoke"): V,
    ("POST", "/api/v1/evaluate"): V,
    ("GET", "/api/v1/scenarios"): V,
    ("GET", "/api/v1/scenarios/{scenario_id}"): V,
    ("GET", "/api/v1/scenarios/{scenario_id}/versions"): V,
    ("GET", "/api/v1/scenarios/{scenario_id}/versions/{number}"): V,
    ("GET", "/api/v1/scenarios/{scenario_id}/evaluate"): V,
    ("GET", "/api/v1/catalog/{kind}"): V,
    ("GET", "/api/v1/catalog/{kind}/{record_id}"): V,
    ("GET", "/catalog/search"): V,  # the editor's catalog pickers
    # computing and exporting: nothing is saved (a job's id is random; jobs have no owner)
    ("POST", "/editor/export.{fmt}"): V,
    ("GET", "/scenarios/{scenario_id}/versions/{number}/export.{fmt}"): V,
    ("POST", "/results/how-sure"): V,
    ("GET", "/results/jobs/{job_id}"): V,
    ("POST", "/results/jobs/{job_id}/cancel"): V,
    ("POST", "/api/v1/jobs"): V,
    ("GET", "/api/v1/jobs/{job_id}"): V,
    ("POST", "/api/v1/jobs/{job_id}/cancel"): V,
    # changing scenarios
    ("POST", "/scenarios"): E,
    ("POST", "/scenarios/{scenario_id}/save"): E,
    ("POST", "/scenarios/{scenario_id}/rename"): E,
    ("POST", "/scenarios/{scenario_id}/duplicate"): E,
    ("POST", "/scenarios/{scenario_id}/delete"): E,
    ("POST", "/scenarios/{scenario_id}/restore"): E,
    ("POST", "/api/v1/scenarios"): E,
    ("PATCH", "/api/v1/scenarios/{scenario_id}"): E,
    ("DELETE", "/api/v1/scenarios/{scenario_id}"): E,
    ("POST", "/api/v1/scenarios/{scenario_id}/restore"): E,
    ("POST", "/api/v1/scenarios/{scenario_id}/duplicate"): E,
    ("POST", "/api/v1/scenarios/{scenario_id}/versions"): E,
    # managing accounts
    ("GET", "/admin/users"): A,
    ("POST", "/admin/users"): A,
    ("POST", "/admin/users/{name}/disable"): A,
}
"""Least role each route needs (``PUBLIC``: none). HEAD is checked as GET."""
UNDECLARED = Role.admin
"""Role needed by a route missing from ``ROUTE_ROLES`` (fail safe: the highest)."""


def current_user(request: Any) -> User:
    """The caller the middleware identified (``LOCAL_ADMIN`` in single-user mode)."""
    user: User = request.state.user
    return user


def author_of(request: Any) -> str | None:
    """Name recorded as a saved version's author: the account, or None in single-user mode."""
    user = getattr(request.state, "user", None)
    return user.name or None if isinstance(user, User) else None


def secure_cookies(scheme: str) -> bool:
    """``LLMTCO_SECURE_COOKIES``: ``auto`` (default: when served over https), ``1`` always, ``0`` never."""
    mode = os.environ.get("LLMTCO_SECURE_COOKIES", "auto").strip().lower()
    if mode in ("1", "true", "yes", "on"):
        return True
    if mode in ("0", "false", "no", "off"):
        return False
    return scheme == "https"


class FailedLogins:
    """Failed sign-ins in a sliding window, per account name and per client address.

    An account name is counted whether it exists or not, so the limit says
    nothing about which names exist. ``LLMTCO_LOGIN_MAX_FAILURES`` per name
    (default 5) and ``LLMTCO_LOGIN_MAX_FAILURES_PER_ADDRESS`` (default 20)
    within ``LLMTCO_LOGIN_WINDOW_S`` (default 900 s). Kept in memory: a restart
    forgets them, which costs an attacker a restart per window.
    """

    def __init__(self) -> None:
        self.per_name = int(os.environ.get("LLMTCO_LOGIN_MAX_FAILURES", "5"))
        self.per_address = int(os.environ.get("LLMTCO_LOGIN_MAX_FAILURES_PER_ADDRESS", "20"))
        self.window_s = float(os.environ.get("LLMTCO_LOGIN_WINDOW_S", "900"))
        self._seen: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, key: str, now: float) -> deque[float]:
        q = self._seen.setdefault(key, deque())
        while q and q[0] <= now - self.window_s:
            q.popleft()
        return q

    def retry_after_s(self, name: str, address: str) -> float:
        """Seconds until a sign-in may be tried again for this name from this address (0: now)."""
        now = time.monotonic()
        waits = [0.0]
        with self._lock:
            for key, cap in ((f"n:{name.lower()}", self.per_name), (f"a:{address}", self.per_address)):
                q = self._recent(key, now)
                if len(q) >= cap:
                    waits.append(q[-cap] + self.window_s - now)
        return max(waits)

    def failed(self, name: str, address: str) -> None:
        now = time.monotonic()
        with self._lock:
            self._recent(f"n:{name.lower()}", now).append(now)
            self._recent(f"a:{address}", now).append(now)
            if len(self._seen) > 100_000:  # bounded memory under a flood of names
                for key in [k for k, q in self._seen.items() if not q]:
                    del self._seen[key]

    def succeeded(self, name: str) -> None:
        with self._lock:
            self._seen.pop(f"n:{name.lower()}", None)


def leaf_routes(routes: list[Any]) -> list[Any]:
    """The app's routes, with included routers opened up (FastAPI ≥ 0.16x keeps them as one entry each).

    Routers are included without a prefix here (each APIRouter carries its own), so a leaf's path is its template.
    """
    leaves: list[Any] = []
    for route in routes:
        inner = getattr(route, "original_router", None)
        if inner is None:
            leaves.append(route)
            continue
        if getattr(getattr(route, "include_context", None), "prefix", ""):
            raise RuntimeError("include routers without a prefix: the authorisation table names full paths")
        leaves.extend(leaf_routes(list(inner.routes)))
    return leaves


def declared_routes(routes: list[Any]) -> set[tuple[str, str]]:
    """(method, path template) of every route, as ``ROUTE_ROLES`` names them (HEAD folded into GET, a mount as GET)."""
    keys: set[tuple[str, str]] = set()
    for route in leaf_routes(routes):
        methods = getattr(route, "methods", None) or {"GET"}
        keys |= {(m, route.path) for m in methods if m != "HEAD"}
    return keys


def route_key(scope: dict[str, Any], leaves: list[Any]) -> tuple[str, str] | None:
    """(method, path template) of the route this request reaches; None when no route matches its path and method."""
    method = "GET" if scope["method"] == "HEAD" else scope["method"]
    for route in leaves:
        match, _ = route.matches(scope)
        if match == Match.FULL:
            return method, route.path
    return None


def _header(scope: dict[str, Any], name: bytes) -> str:
    for key, value in scope.get("headers") or []:
        if key == name:
            return str(value.decode("latin-1"))
    return ""


def _cookie(scope: dict[str, Any], name: str) -> str:
    for part in _header(scope, b"cookie").split(";"):
        key, _, value = part.strip().partition("=")
        if key == name:
            return value
    return ""


class Authorize:
    """ASGI middleware: identify the caller, check ``ROUTE_ROLES``, answer 303/401/403 before any handler runs."""

    def __init__(self, app: Any, accounts: Accounts) -> None:
        self.app = app
        self.accounts = accounts
        self._leaves: list[Any] | None = None

    def identify(self, scope: dict[str, Any]) -> tuple[User | None, bool]:
        """(caller or None, whether a session cookie was sent but is no longer valid)."""
        bearer = _header(scope, b"authorization")
        if scope["path"].startswith("/api/") and bearer[:7].lower() == "bearer ":
            user = self.accounts.token_user(bearer[7:].strip())
            if user is not None:
                return user, False
            return (None, False) if self.accounts.exist() else (LOCAL_ADMIN, False)
        session = _cookie(scope, SESSION_COOKIE)
        if session:
            user = self.accounts.session_user(session)
            if user is not None:
                return user, False
        if not self.accounts.exist():
            return LOCAL_ADMIN, False
        return None, bool(session)

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if self._leaves is None:  # the routes are all added once the first request arrives
            self._leaves = leaf_routes(list(scope["app"].router.routes))
        key = route_key(scope, self._leaves)
        if key is None:  # 404 or 405 from the router: no handler runs
            await self.app(scope, receive, send)
            return
        need = ROUTE_ROLES.get(key, UNDECLARED)
        user, stale = (
            (None, False) if need is PUBLIC and key[1] == "/static" else await run_in_threadpool(self.identify, scope)
        )
        scope.setdefault("state", {})["user"] = user
        if need is None or (user is not None and user.may(need)):
            await self.app(scope, receive, send)
            return
        clear = (
            [(b"set-cookie", f"{SESSION_COOKIE}=; Max-Age=0; Path=/; HttpOnly; SameSite=Lax".encode())] if stale else []
        )
        if user is not None:
            await _deny(
                send, scope, 403, f"this needs the {need.value} role; your account {user.name!r} is a {user.role.value}"
            )
        elif scope["path"].startswith("/api/"):
            await _deny(send, scope, 401, "sign in: send Authorization: Bearer <token> (see /account)", clear)
        else:
            target = scope["path"] if scope["method"] in ("GET", "HEAD") else "/"
            await _send(send, 303, b"", [(b"location", f"/login?next={quote(target, safe='/')}".encode()), *clear])


async def _deny(
    send: Any, scope: dict[str, Any], status: int, message: str, extra: list[tuple[bytes, bytes]] | None = None
) -> None:
    headers = list(extra or [])
    if status == 401:
        headers.append((b"www-authenticate", b'Bearer realm="llmtco"'))
    body = json.dumps({"detail": message}).encode()
    await _send(send, status, body, [(b"content-type", b"application/json"), *headers])


async def _send(send: Any, status: int, body: bytes, headers: list[tuple[bytes, bytes]]) -> None:
    """A complete response (``BodyLimit``, outside this middleware, adds the security headers)."""
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
