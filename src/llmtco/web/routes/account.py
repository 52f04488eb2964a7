"""Signing in and out, one's own API tokens, and (for admins) the accounts.

Who may use each route is declared in ``llmtco.web.auth.ROUTE_ROLES``, not here.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from llmtco.errors import LlmtcoError
from llmtco.web.accounts import Accounts, parse_role
from llmtco.web.auth import SESSION_COOKIE, FailedLogins, current_user, secure_cookies
from llmtco.web.deps import check_csrf, page, to_int

router = APIRouter(include_in_schema=False)
WRONG = "wrong account name or password"
"""The one answer to every failed sign-in: unknown name, wrong password or disabled account alike."""


def accounts_of(request: Request) -> Accounts:
    accounts: Accounts = request.app.state.accounts
    return accounts


def safe_next(target: str | None) -> str:
    """A local path to go to after signing in (never another site: ``//host`` and ``/\\host`` are refused)."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")) or any(c < " " for c in target):
        return "/"
    return target[:500]


def _login_page(request: Request, next_path: str, error: str | None = None, status: int = 200) -> HTMLResponse:
    single = not accounts_of(request).exist()
    resp = page(request, "login.html", title="Sign in", next=next_path, error=error, single_user=single)
    resp.status_code = status
    return resp


@router.get("/login", response_class=HTMLResponse)
async def login_page(request: Request, next: str = "/") -> HTMLResponse:
    return await run_in_threadpool(_login_page, request, safe_next(next))


@router.post("/login")
async def login(request: Request) -> Response:
    form = await check_csrf(request)
    name, password, next_path = form.get("name", "").strip(), form.get("password", ""), safe_next(form.get("next"))
    address = request.client.host if request.client else ""
    limiter: FailedLogins = request.app.state.failed_logins
    wait_s = limiter.retry_after_s(name, address)
    if wait_s > 0:
        message = f"too many failed sign-ins; try again in {max(1, round(wait_s / 60))} min"
        resp = await run_in_threadpool(_login_page, request, next_path, message, 429)
        resp.headers["retry-after"] = str(int(wait_s) + 1)
        return resp
    accounts = accounts_of(request)
    user = await run_in_threadpool(accounts.verify, name, password)
    if user is None:
        limiter.failed(name, address)
        return await run_in_threadpool(_login_page, request, next_path, WRONG, 401)
    limiter.succeeded(name)
    secret = await run_in_threadpool(accounts.start_session, user)
    signed_in = RedirectResponse(next_path, status_code=303)
    signed_in.set_cookie(
        SESSION_COOKIE,
        secret,
        max_age=int(accounts.limits.absolute_s),
        path="/",
        secure=secure_cookies(request.url.scheme),
        httponly=True,
        samesite="lax",  # sent when following a link to the app from elsewhere; never on cross-site POSTs
    )
    return signed_in


@router.post("/logout")
async def logout(request: Request) -> Response:
    await check_csrf(request)
    secret = request.cookies.get(SESSION_COOKIE)
    if secret:
        await run_in_threadpool(accounts_of(request).end_session, secret)
    resp = RedirectResponse("/login", status_code=303)
    resp.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="lax")
    return resp


def _account_page(request: Request, new_token: str | None = None, error: str | None = None) -> HTMLResponse:
    user = current_user(request)
    tokens = accounts_of(request).tokens(user.name) if user.name else []
    resp = page(request, "account.html", title="Account", user=user, tokens=tokens, new_token=new_token, error=error)
    resp.headers["cache-control"] = "no-store"  # a new token is shown once; no cache keeps it
    return resp


@router.get("/account", response_class=HTMLResponse)
async def account_page(request: Request) -> HTMLResponse:
    return await run_in_threadpool(_account_page, request)


@router.post("/account/tokens", response_class=HTMLResponse)
async def create_token(request: Request) -> HTMLResponse:
    form = await check_csrf(request)
    user = current_user(request)
    if not user.name:
        return await run_in_threadpool(_account_page, request, None, "no accounts yet: tokens belong to an account")
    _, secret = await run_in_threadpool(accounts_of(request).create_token, user.name, form.get("label", ""))
    return await run_in_threadpool(_account_page, request, secret)


@router.post("/account/tokens/{token_id}/revoke")
async def revoke_token(request: Request, token_id: int) -> Response:
    await check_csrf(request)
    user = current_user(request)
    if user.name:
        await run_in_threadpool(accounts_of(request).revoke_token, user.name, token_id)
    return RedirectResponse("/account", status_code=303)


def _users_page(request: Request, error: str | None = None, status: int = 200) -> HTMLResponse:
    resp = page(request, "users.html", title="Accounts", users=accounts_of(request).list(), error=error)
    resp.status_code = status
    return resp


@router.get("/admin/users", response_class=HTMLResponse)
async def users_page(request: Request) -> HTMLResponse:
    return await run_in_threadpool(_users_page, request)


@router.post("/admin/users")
async def add_user(request: Request) -> Response:
    form = await check_csrf(request)
    try:
        role = parse_role(form.get("role", ""))
        await run_in_threadpool(accounts_of(request).add, form.get("name", "").strip(), form.get("password", ""), role)
    except LlmtcoError as exc:
        return await run_in_threadpool(_users_page, request, str(exc), 422)
    return RedirectResponse("/admin/users", status_code=303)


@router.post("/admin/users/{name}/disable")
async def disable_user(request: Request, name: str) -> Response:
    await check_csrf(request)
    await run_in_threadpool(accounts_of(request).disable, name)
    return RedirectResponse("/admin/users", status_code=303)


__all__ = ["router", "safe_next", "to_int"]
