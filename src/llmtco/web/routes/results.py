"""Results beyond the summary: "How sure?" jobs (pages and ``/api/v1/jobs``) and exports of what the editor shows.

Every state-changing route takes the CSRF proof: the pages through
``check_csrf`` (form field or ``X-CSRF-Token`` header), the API through
``PROOF``. Jobs run in their own processes (``web.jobs``); exports evaluate in
the request workers and render in a thread, never on the event loop.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, JSONResponse, Response

from llmtco.errors import Issue, LlmtcoError, ScenarioError
from llmtco.report import render_html, render_markdown, render_xlsx
from llmtco.result import Result
from llmtco.web.accounts import Role
from llmtco.web.auth import author_of, current_user
from llmtco.web.deps import State, WebState, check_csrf, dump_document, page, read_scenario_body, to_int
from llmtco.web.jobs import DEFAULT_SAMPLES, MAX_SAMPLES, MIN_SAMPLES, JobManager, UncertaintyJob, scenario_key
from llmtco.web.results import job_view
from llmtco.web.routes.api import PROOF

router = APIRouter()

Format = Literal["html", "xlsx", "md"]
MEDIA_TYPES: dict[str, str] = {
    "html": "text/html; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "md": "text/markdown; charset=utf-8",
}
"""Export format → Content-Type."""


def jobs_of(request: Request) -> JobManager:
    manager: JobManager = request.app.state.jobs
    return manager


def _samples(value: Any) -> int:
    """The requested sample count, or a ScenarioError naming the field and the allowed range."""
    if value is None or value == "":
        return DEFAULT_SAMPLES
    try:
        n = int(value)
        if isinstance(value, float | bool) or (isinstance(value, str) and not value.strip().isdigit()):
            raise ValueError
    except (TypeError, ValueError):
        n = -1
    if not MIN_SAMPLES <= n <= MAX_SAMPLES:
        raise ScenarioError([Issue("samples", f"an integer from {MIN_SAMPLES} to {MAX_SAMPLES} (got {value!r})")])
    return n


async def _start(
    request: Request, state: WebState, text: str, scenario_id: int | None, samples: int
) -> tuple[UncertaintyJob, bool]:
    await state.check(state.job("<request>", text, evaluate=False))  # 422 with field paths before any process starts
    key = scenario_key(scenario_id, text)
    return jobs_of(request).start(key, text, tuple(state.overlay), samples, owner=author_of(request))


def _cancel(request: Request, job_id: str) -> UncertaintyJob:
    """Cancel as the caller: its own job, or anyone's for an editor or admin (single-user mode: the local admin)."""
    return jobs_of(request).cancel(job_id, by=author_of(request), any_job=current_user(request).may(Role.editor))


# ---- JSON API -------------------------------------------------------------------------------------------------


@router.post("/api/v1/jobs", status_code=202, dependencies=PROOF)
async def api_start_job(request: Request, state: State) -> Response:
    """Start a "How sure?" job: JSON ``{"scenario_id": N}`` or ``{"document": YAML}`` or ``{"scenario": {...}}``,
    with optional ``samples``; or a YAML body (``?samples=N``). 202 with the new job, 200 with the scenario's
    running one."""
    data, text = await read_scenario_body(request)
    scenario_id, samples = None, _samples(request.query_params.get("samples"))
    if data is not None:
        if not isinstance(data, dict):
            raise ScenarioError([Issue(path="", message="expected an object")])
        samples = _samples(data.get("samples"))
        if "scenario_id" in data:
            sid = data["scenario_id"]
            if not isinstance(sid, int) or isinstance(sid, bool):
                raise ScenarioError([Issue("scenario_id", "the id of a saved scenario (an integer)")])
            scenario_id, text = sid, state.store.version(sid).document
        elif isinstance(data.get("document"), str):
            text = data["document"]
        elif isinstance(data.get("scenario"), dict):
            text = dump_document(data["scenario"])
        else:
            raise ScenarioError([Issue("", "send scenario_id, document (YAML text) or scenario (an object)")])
    job, created = await _start(request, state, text, scenario_id, samples)
    return JSONResponse(job.to_dict(), status_code=202 if created else 200)


@router.get("/api/v1/jobs/{job_id}")
def api_job(request: Request, job_id: str) -> dict[str, Any]:
    return jobs_of(request).get(job_id).to_dict()


@router.post("/api/v1/jobs/{job_id}/cancel", dependencies=PROOF)
async def api_cancel_job(request: Request, job_id: str) -> dict[str, Any]:
    job = await run_in_threadpool(_cancel, request, job_id)
    return job.to_dict()


# ---- pages (htmx fragments) ------------------------------------------------------------------------------------


def _job_fragment(request: Request, job: UncertaintyJob) -> HTMLResponse:
    return page(request, "how_sure.html", job=job, view=job_view(job))


@router.post("/results/how-sure", response_class=HTMLResponse)
async def how_sure(request: Request, state: State) -> HTMLResponse:
    form = await check_csrf(request)
    try:
        samples = _samples(form.get("samples"))
        job, _ = await _start(request, state, form.get("yaml", ""), to_int(form.get("scenario_id")), samples)
    except ScenarioError as exc:
        return page(request, "how_sure_error.html", issues=exc.issues)
    except LlmtcoError as exc:  # Busy: every job slot is taken
        return page(request, "how_sure_error.html", issues=[Issue("", str(exc))])
    return _job_fragment(request, job)


@router.get("/results/jobs/{job_id}", response_class=HTMLResponse)
def job_page(request: Request, job_id: str) -> HTMLResponse:
    return _job_fragment(request, jobs_of(request).get(job_id))


@router.post("/results/jobs/{job_id}/cancel", response_class=HTMLResponse)
async def cancel_page(request: Request, job_id: str) -> HTMLResponse:
    await check_csrf(request)
    return _job_fragment(request, await run_in_threadpool(_cancel, request, job_id))


# ---- exports ----------------------------------------------------------------------------------------------------


def _filename(name: str, fmt: str) -> str:
    stem = re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-.")[:80] or "scenario"
    return f"{stem}.{fmt}"


def _render(result: Result, fmt: str, uncertainty: tuple[Any, Any] | None) -> bytes:
    if fmt == "xlsx":
        return render_xlsx(result)
    if fmt == "md":
        return render_markdown(result).encode("utf-8")
    return render_html(result, *(uncertainty or (None, None))).encode("utf-8")


async def _export(
    request: Request, state: WebState, text: str, fmt: str, file: str, scenario_id: int | None
) -> Response:
    """The report of ``text``; the HTML one with the distribution and tornado of a finished "How sure?" job that
    ran on exactly this text, so the download shows what the page shows."""
    result = await state.result(state.job(file, text))
    job = jobs_of(request).finished_for(scenario_key(scenario_id, text), text)
    uncertainty = job.result["objects"] if job is not None and job.result is not None else None
    body = await run_in_threadpool(_render, result, fmt, uncertainty)
    return Response(
        body,
        media_type=MEDIA_TYPES[fmt],
        headers={"content-disposition": f'attachment; filename="{_filename(result.scenario, fmt)}"'},
    )


@router.post("/editor/export.{fmt}")
async def export_editor(request: Request, state: State, fmt: Format) -> Response:
    """The editor's text (unsaved edits included) as a report download; 422 with field paths when invalid."""
    form = await check_csrf(request)
    return await _export(request, state, form.get("yaml", ""), fmt, "<editor>", to_int(form.get("scenario_id")))


@router.get("/scenarios/{scenario_id}/versions/{number}/export.{fmt}")
async def export_version(request: Request, state: State, scenario_id: int, number: int, fmt: Format) -> Response:
    """A saved version as a report download."""
    state.store.get(scenario_id)
    text = state.store.version(scenario_id, number).document
    return await _export(request, state, text, fmt, f"scenario {scenario_id}", scenario_id)
