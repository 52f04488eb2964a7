"""The catalog: a browsable page, the editor's picker search and the read-only JSON API under /api/v1/catalog."""

from __future__ import annotations

import re

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from llmtco.catalog import KINDS
from llmtco.web.deps import State, page
from llmtco.web.pickers import kind_of, search

router = APIRouter()

TARGET = re.compile(r"f-[A-Za-z0-9_-]{1,200}")
"""A picker's target: the id of an editor field (``f-options-0-server``)."""


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


@router.get("/catalog/search", response_class=HTMLResponse)
def catalog_search(request: Request, state: State, kind: str = "", q: str = "", target: str = "") -> Response:
    """Picker results (an HTML fragment): each record's key specs and price; picking one fills ``target``."""
    table = kind_of(kind)
    if table is None:
        return _unknown_kind()
    target = target if TARGET.fullmatch(target) else ""
    hits = search(state.catalog(), table, q[:200])
    return page(request, "picks.html", kind=table, hits=hits, target=target, q=q[:200])
