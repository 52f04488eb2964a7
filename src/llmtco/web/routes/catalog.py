"""The catalog: a browsable page and the read-only JSON API under /api/v1/catalog."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from llmtco.catalog import KINDS
from llmtco.web.deps import State, page

router = APIRouter()


def _unknown_kind() -> Response:
    return JSONResponse(
        {"detail": [{"path": "kind", "message": f"unknown kind; allowed: {', '.join(KINDS)}"}]}, status_code=422
    )


@router.get("/catalog", response_class=HTMLResponse)
def catalog_page(request: Request, state: State, kind: str = "accelerators") -> HTMLResponse:
    if kind not in KINDS:
        kind = "accelerators"
    records = list(state.catalog().table(kind))
    return page(request, "catalog.html", title=f"Catalog: {kind}", kind=kind, kinds=list(KINDS), records=records)


@router.get("/api/v1/catalog/{kind}")
def api_catalog(state: State, kind: str) -> Response:
    if kind not in KINDS:
        return _unknown_kind()
    return JSONResponse([r.model_dump(mode="json") for r in state.catalog().table(kind)])


@router.get("/api/v1/catalog/{kind}/{record_id}")
def api_catalog_record(state: State, kind: str, record_id: str) -> Response:
    if kind not in KINDS:
        return _unknown_kind()
    table = state.catalog().table(kind)
    if record_id not in table:
        return JSONResponse({"detail": f"no {kind} record {record_id!r}"}, status_code=404)
    return JSONResponse(table.get(record_id).model_dump(mode="json"))
