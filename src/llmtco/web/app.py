"""FastAPI application: server-rendered pages (Jinja2 + vendored htmx) and a JSON/YAML REST API under /api/v1.

Errors become HTTP statuses only here: invalid scenarios are 422 with field
paths, unknown ids 404, oversized bodies 413, missing CSRF tokens 403. The
routes live in ``llmtco.web.routes`` (pages, api, catalog); what they share
is in ``llmtco.web.deps``.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from llmtco.errors import NotFound, ScenarioError
from llmtco.web.deps import STATIC, TEMPLATES, WebState, issues_json
from llmtco.web.middleware import MAX_BODY_BYTES, BodyLimit
from llmtco.web.routes import api, catalog, pages
from llmtco.web.store import Store

__all__ = ["MAX_BODY_BYTES", "create_app"]


def create_app(database_url: str | None = None, catalog_files: list[str] | None = None) -> FastAPI:
    store = Store(database_url)
    app = FastAPI(
        title="llmtco",
        version=__import__("llmtco").__version__,
        description="LLM TCO: evaluate scenarios, save versions, browse the catalog.",
    )
    app.add_middleware(BodyLimit)
    app.mount("/static", StaticFiles(directory=str(STATIC)), name="static")
    app.state.store = store
    app.state.web = WebState(store, list(catalog_files or []), Jinja2Templates(directory=str(TEMPLATES)))

    @app.exception_handler(PermissionError)
    async def _csrf(request: Request, exc: PermissionError) -> Response:
        return JSONResponse({"detail": str(exc)}, status_code=403)

    @app.exception_handler(NotFound)
    async def _nf(request: Request, exc: NotFound) -> Response:
        return JSONResponse({"detail": str(exc)}, status_code=404)

    @app.exception_handler(ScenarioError)
    async def _se(request: Request, exc: ScenarioError) -> Response:
        return JSONResponse({"detail": issues_json(exc)}, status_code=422)

    app.include_router(pages.router)
    app.include_router(api.router)
    app.include_router(catalog.router)
    return app
