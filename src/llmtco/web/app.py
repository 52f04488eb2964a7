"""FastAPI application: server-rendered pages (Jinja2 + vendored htmx) and a JSON/YAML REST API under /api/v1.

Errors become HTTP statuses only here, in ``STATUS``: invalid scenarios and
every other user error (``LlmtcoError``: catalog, infeasible, calibration) are
422 with field paths, unknown ids 404, work over its time limit 503; the
middleware answers oversized bodies 413 and unknown Host headers 400; missing
CSRF proof is 403. Who may use which route is declared in one table,
``llmtco.web.auth.ROUTE_ROLES``, checked by the ``Authorize`` middleware
(401/403, or a redirect to the sign-in page). The routes live in ``llmtco.web.routes`` (pages, api,
catalog, results, account); what they share is in ``llmtco.web.deps``; CPU work runs in
``llmtco.web.worker``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from llmtco.errors import Busy, GateFailed, InternalError, LlmtcoError, NotFound, ScenarioError
from llmtco.web.accounts import Accounts
from llmtco.web.auth import Authorize, FailedLogins
from llmtco.web.deps import STATIC, TEMPLATES, WebState, issues_json
from llmtco.web.jobs import JobManager
from llmtco.web.middleware import MAX_BODY_BYTES, BodyLimit, TrustedHosts, allowed_hosts
from llmtco.web.routes import account, api, catalog, pages, results
from llmtco.web.store import Store
from llmtco.web.worker import WorkerPool

__all__ = ["MAX_BODY_BYTES", "STATUS", "create_app", "status_of"]

STATUS: dict[type[LlmtcoError], int] = {
    ScenarioError: 422,
    NotFound: 404,
    Busy: 503,
    GateFailed: 409,
    InternalError: 500,
    LlmtcoError: 422,
}
"""HTTP status of each error class; a subclass not listed takes its nearest listed base's status."""

DOCS_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>llmtco API</title>
<link rel="stylesheet" href="/static/swagger-ui.css"><link rel="stylesheet" href="/static/swagger-a11y.css"></head>
<body><div id="swagger-ui"></div>
<script src="/static/swagger-ui-bundle.js"></script><script src="/static/swagger-init.js"></script>
</body></html>
"""


def status_of(exc: LlmtcoError) -> int:
    for cls in type(exc).__mro__:
        if cls in STATUS:
            return STATUS[cls]
    return 422


def error_response(exc: LlmtcoError) -> Response:
    status = status_of(exc)
    if isinstance(exc, ScenarioError):
        return JSONResponse({"detail": issues_json(exc)}, status_code=status)
    if status == 422:
        return JSONResponse({"detail": [{"path": "", "message": str(exc), "line": None, "column": None}]}, 422)
    return JSONResponse({"detail": str(exc)}, status_code=status)


def create_app(
    database_url: str | None = None,
    catalog_files: list[str] | None = None,
    *,
    hosts: list[str] | None = None,
    pool: WorkerPool | None = None,
) -> FastAPI:
    """The web app on a database URL.

    ``hosts`` adds served host names to loopback and ``LLMTCO_ALLOWED_HOSTS``;
    ``pool`` shares worker processes between apps (tests), else the app starts
    its own and stops them at shutdown.
    """
    store = Store(database_url)
    workers = pool or WorkerPool()
    jobs = JobManager()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await run_in_threadpool(workers.warm_up)
        yield
        jobs.close()  # kill "How sure?" processes still running
        store.engine.dispose()  # close pooled database connections
        if pool is None:  # a pool handed in belongs to the caller
            workers.close()

    app = FastAPI(
        title="llmtco",
        version=__import__("llmtco").__version__,
        description="LLM TCO: evaluate scenarios, save versions, browse the catalog.",
        docs_url=None,  # served below from vendored files: FastAPI's page loads them from a CDN
        redoc_url=None,
        lifespan=lifespan,
    )
    accounts = Accounts(store)
    app.add_middleware(Authorize, accounts=accounts)  # inside BodyLimit: its answers get the security headers
    app.add_middleware(BodyLimit)
    app.add_middleware(TrustedHosts, hosts=allowed_hosts(hosts))  # outermost: checked before anything else
    app.mount("/static", StaticFiles(directory=str(STATIC)), name="static")
    app.state.store = store
    app.state.jobs = jobs
    app.state.accounts = accounts
    app.state.failed_logins = FailedLogins()
    app.state.web = WebState(store, list(catalog_files or []), Jinja2Templates(directory=str(TEMPLATES)), workers)

    @app.exception_handler(PermissionError)
    async def _csrf(request: Request, exc: PermissionError) -> Response:
        return JSONResponse({"detail": str(exc)}, status_code=403)

    @app.exception_handler(LlmtcoError)
    async def _llmtco(request: Request, exc: LlmtcoError) -> Response:
        return error_response(exc)

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        return HTMLResponse(DOCS_PAGE)

    app.include_router(pages.router)
    app.include_router(api.router)
    app.include_router(catalog.router)
    app.include_router(results.router)
    app.include_router(account.router)
    return app
