"""The REST API under /api/v1: evaluate a scenario, and saved scenarios with their versions (JSON or YAML bodies)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response

from llmtco.errors import Issue, ScenarioError
from llmtco.web.auth import author_of
from llmtco.web.deps import State, dump_document, load_json, read_scenario_body, require_proof

router = APIRouter(prefix="/api/v1")
PROOF = [Depends(require_proof)]
"""State-changing routes: refused (403) when a cross-site page could have sent them."""


async def _doc_from_request(request: Request, state: State) -> tuple[str, str | None]:
    data, text = await read_scenario_body(request)
    name = None
    if data is not None:
        if not isinstance(data, dict):
            raise ScenarioError([Issue(path="", message="expected an object")])
        if "document" in data or "scenario" in data:
            name = data.get("name") if isinstance(data.get("name"), str) else None
            doc = data.get("document")
            text = doc if isinstance(doc, str) else dump_document(data.get("scenario"))
        else:
            text = dump_document(data)
    await state.check(state.job("<request>", text, evaluate=False))  # 422 when invalid: nothing bad is saved
    return text, name


def info_json(i: Any) -> dict[str, Any]:
    return dict(vars(i))


@router.post("/evaluate")
async def api_evaluate(request: Request, state: State) -> Response:
    data, text = await read_scenario_body(request)
    job = state.job("<request>", text) if data is None else state.job("<request>", data=data)
    return JSONResponse((await state.result(job)).to_dict())


@router.get("/scenarios")
def api_list(state: State) -> list[dict[str, Any]]:
    return [info_json(i) for i in state.store.list()]


@router.post("/scenarios", status_code=201, dependencies=PROOF)
async def api_create(request: Request, state: State) -> dict[str, Any]:
    text, name = await _doc_from_request(request, state)
    v = state.store.create((name or "scenario")[:200], text, author_of(request))
    return {**info_json(state.store.get(v.scenario_id)), "version": v.number}


@router.get("/scenarios/{scenario_id}")
def api_get(state: State, scenario_id: int) -> dict[str, Any]:
    return {**info_json(state.store.get(scenario_id)), "document": state.store.version(scenario_id).document}


@router.patch("/scenarios/{scenario_id}", dependencies=PROOF)
async def api_rename(scenario_id: int, request: Request, state: State) -> dict[str, Any]:
    try:
        text = (await request.body()).decode("utf-8")
    except UnicodeDecodeError:
        raise ScenarioError([Issue(path="", message="body is not UTF-8 text")]) from None
    body = load_json(text)
    name = body.get("name") if isinstance(body, dict) else None
    if not isinstance(name, str) or not name.strip() or len(name) > 200:
        raise ScenarioError([Issue(path="name", message="a non-empty string of at most 200 characters")])
    return info_json(state.store.rename(scenario_id, name.strip()))


@router.delete("/scenarios/{scenario_id}", status_code=204, dependencies=PROOF)
def api_delete(state: State, scenario_id: int) -> Response:
    state.store.delete(scenario_id)
    return Response(status_code=204)


@router.post("/scenarios/{scenario_id}/restore", dependencies=PROOF)
def api_restore(state: State, scenario_id: int) -> dict[str, Any]:
    return info_json(state.store.restore(scenario_id))


@router.post("/scenarios/{scenario_id}/duplicate", status_code=201, dependencies=PROOF)
def api_duplicate(request: Request, state: State, scenario_id: int) -> dict[str, Any]:
    v = state.store.duplicate(scenario_id, author=author_of(request))
    return info_json(state.store.get(v.scenario_id))


@router.get("/scenarios/{scenario_id}/versions")
def api_versions(state: State, scenario_id: int) -> list[dict[str, Any]]:
    return [dict(vars(v)) for v in state.store.versions(scenario_id)]


@router.post("/scenarios/{scenario_id}/versions", status_code=201, dependencies=PROOF)
async def api_save(scenario_id: int, request: Request, state: State) -> dict[str, Any]:
    text, _ = await _doc_from_request(request, state)
    return dict(vars(state.store.save(scenario_id, text, author=author_of(request))))


@router.get("/scenarios/{scenario_id}/versions/{number}")
def api_version(state: State, scenario_id: int, number: int) -> dict[str, Any]:
    return dict(vars(state.store.version(scenario_id, number)))


@router.get("/scenarios/{scenario_id}/evaluate")
async def api_evaluate_saved(state: State, scenario_id: int) -> Response:
    text = state.store.version(scenario_id).document
    return JSONResponse((await state.result(state.job(f"scenario {scenario_id}", text))).to_dict())
