"""Server-rendered pages: the scenario editor with live results, saved scenarios, history and compare."""

from __future__ import annotations

import difflib

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from llmtco.report.diff import diff_results
from llmtco.web.auth import author_of
from llmtco.web.charts import cumulative_svg
from llmtco.web.deps import State, check_csrf, editor_ctx, examples, page, to_int
from llmtco.web.form_apply import apply_form

router = APIRouter()


@router.get("/favicon.ico", include_in_schema=False)
def favicon() -> Response:
    return Response(status_code=204)


@router.get("/", response_class=HTMLResponse)
async def home(request: Request, state: State, example: str = "chat-assistant-70b") -> HTMLResponse:
    texts = examples()
    text = texts.get(example) or next(iter(texts.values()), "workloads: []\noptions: []\n")
    return page(
        request, "editor.html", title="Scenario editor", current_example=example, **await editor_ctx(state, text)
    )


@router.post("/editor/form", response_class=HTMLResponse)
async def editor_form(request: Request, state: State) -> HTMLResponse:
    form = await check_csrf(request)
    done = await run_in_threadpool(apply_form, form.get("yaml", ""), form, state.catalog())
    ctx = await editor_ctx(state, done.text, to_int(form.get("scenario_id")))
    ctx.update(field_errors=done.errors, typed=done.typed)
    return page(request, "workspace.html", **ctx, form_error=done.error)


@router.post("/editor/yaml", response_class=HTMLResponse)
async def editor_yaml(request: Request, state: State) -> HTMLResponse:
    form = await check_csrf(request)
    ctx = await editor_ctx(state, form.get("yaml", ""), to_int(form.get("scenario_id")))
    return page(request, "workspace.html", **ctx, keep_yaml=True)


@router.get("/scenarios", response_class=HTMLResponse)
def scenarios_page(request: Request, state: State, deleted: int | None = None) -> HTMLResponse:
    return page(
        request,
        "scenarios.html",
        title="Saved scenarios",
        scenarios=state.store.list(),
        trash=[s for s in state.store.list(include_deleted=True) if s.deleted],
        just_deleted=deleted,
    )


@router.post("/scenarios")
async def create_page(request: Request, state: State) -> Response:
    form = await check_csrf(request)
    text = form.get("yaml", "")
    result, issues = await state.evaluate_text(text)
    if issues:
        return page(
            request,
            "editor.html",
            title="Scenario editor",
            **await editor_ctx(state, text),
            form_error="fix the scenario before saving",
        )
    name = (form.get("name") or (result.scenario if result else "scenario"))[:200]
    v = state.store.create(name, text, author_of(request))
    return RedirectResponse(f"/scenarios/{v.scenario_id}", status_code=303)


@router.get("/scenarios/{scenario_id}", response_class=HTMLResponse)
async def open_page(request: Request, state: State, scenario_id: int, version: int | None = None) -> HTMLResponse:
    info = state.store.get(scenario_id)
    v = state.store.version(scenario_id, version)
    ctx = await editor_ctx(state, v.document, scenario_id, v.number)
    return page(request, "editor.html", title=info.name, info=info, **ctx)


@router.post("/scenarios/{scenario_id}/save")
async def save_page(request: Request, state: State, scenario_id: int) -> Response:
    form = await check_csrf(request)
    text = form.get("yaml", "")
    _, issues = await state.evaluate_text(text)
    if issues:
        info = state.store.get(scenario_id)
        return page(
            request,
            "editor.html",
            title=info.name,
            info=info,
            **await editor_ctx(state, text, scenario_id),
            form_error="not saved: fix the scenario first",
        )
    state.store.save(scenario_id, text, author=author_of(request))
    return RedirectResponse(f"/scenarios/{scenario_id}", status_code=303)


@router.post("/scenarios/{scenario_id}/rename")
async def rename_page(request: Request, state: State, scenario_id: int) -> Response:
    form = await check_csrf(request)
    name = form.get("name", "").strip()[:200]
    if name:
        state.store.rename(scenario_id, name)
    return RedirectResponse("/scenarios", status_code=303)


@router.post("/scenarios/{scenario_id}/duplicate")
async def duplicate_page(request: Request, state: State, scenario_id: int) -> Response:
    await check_csrf(request)
    v = state.store.duplicate(scenario_id, author=author_of(request))
    return RedirectResponse(f"/scenarios/{v.scenario_id}", status_code=303)


@router.post("/scenarios/{scenario_id}/delete")
async def delete_page(request: Request, state: State, scenario_id: int) -> Response:
    await check_csrf(request)
    state.store.delete(scenario_id)
    return RedirectResponse(f"/scenarios?deleted={scenario_id}", status_code=303)


@router.post("/scenarios/{scenario_id}/restore")
async def restore_page(request: Request, state: State, scenario_id: int) -> Response:
    await check_csrf(request)
    state.store.restore(scenario_id)
    return RedirectResponse("/scenarios", status_code=303)


@router.get("/scenarios/{scenario_id}/history", response_class=HTMLResponse)
async def history_page(
    request: Request, state: State, scenario_id: int, a: int | None = None, b: int | None = None
) -> HTMLResponse:
    store = state.store
    info = store.get(scenario_id)
    versions = store.versions(scenario_id)
    diff_lines: list[str] = []
    costs = None
    if a and b:
        va, vb = store.version(scenario_id, a), store.version(scenario_id, b)
        diff_lines = list(
            difflib.unified_diff(
                va.document.splitlines(), vb.document.splitlines(), f"version {a}", f"version {b}", lineterm=""
            )
        )
        ra, _ = await state.evaluate_text(va.document)
        rb, _ = await state.evaluate_text(vb.document)
        if ra and rb:
            costs = [c for c in diff_results(ra.to_dict(), rb.to_dict(), f"v{a}", f"v{b}").costs if c.item == "total"]
    return page(
        request,
        "history.html",
        title=f"History: {info.name}",
        info=info,
        versions=versions,
        diff_lines=diff_lines,
        costs=costs,
        a=a,
        b=b,
    )


@router.get("/compare", response_class=HTMLResponse)
async def compare_page(request: Request, state: State, a: int | None = None, b: int | None = None) -> HTMLResponse:
    sides = []
    for sid in (a, b):
        if sid:
            info = state.store.get(sid)
            result, issues = await state.evaluate_text(state.store.version(sid).document)
            sides.append(
                {
                    "info": info,
                    "result": result,
                    "issues": issues,
                    "chart": cumulative_svg(result) if result else "",
                }
            )
    return page(request, "compare.html", title="Compare scenarios", scenarios=state.store.list(), sides=sides, a=a, b=b)
