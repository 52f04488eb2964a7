"""Shared state and helpers of the web routers: the store, the catalog overlay, templates, CSRF, scenario bodies."""

from __future__ import annotations

import io
import json
import math
import secrets
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit

from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from ruamel.yaml import YAML

from llmtco import errors
from llmtco.catalog import Catalog, load_catalog
from llmtco.errors import Issue, LlmtcoError, ScenarioError
from llmtco.result import Result
from llmtco.web.charts import per_mtok_svg
from llmtco.web.form import build_form
from llmtco.web.results import results_ctx
from llmtco.web.store import Store
from llmtco.web.worker import Job, Outcome, WorkerPool, check_flow_depth

CSRF_COOKIE = "llmtco_csrf"
EXAMPLES_DIR = Path(__file__).resolve().parents[3] / "examples"
STATIC = Path(__file__).parent / "static"
TEMPLATES = Path(__file__).parent / "templates"


MAX_JSON_DEPTH = 32
"""Deepest nesting of arrays and objects accepted in a JSON body (a scenario needs about 6)."""
YAML_TYPES = ("application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml")
BODY_TYPES = ("application/json", *YAML_TYPES)
"""Content types that a cross-site form cannot send without a CORS preflight (which this server never grants)."""


@dataclass
class WebState:
    """What every route needs: the scenario store, the catalog overlay files, the page templates, the workers."""

    store: Store
    overlay: list[str]
    templates: Jinja2Templates
    pool: WorkerPool

    def catalog(self) -> Catalog:
        return load_catalog(self.overlay)

    def job(self, file: str, text: str | None = None, data: Any = None, evaluate: bool = True) -> Job:
        return Job(file=file, text=text, data=data, overlay=tuple(self.overlay), evaluate=evaluate)

    async def evaluate_text(self, text: str, file: str = "<editor>") -> tuple[Result | None, list[Issue]]:
        """Result or issues for the pages (which show issues instead of answering 422)."""
        try:
            outcome = await self.pool.run(self.job(file, text))
        except LlmtcoError as exc:
            return None, [Issue(path="", message=str(exc))]
        return outcome.result, outcome.issues

    async def result(self, job: Job) -> Result:
        """Run a job for the API; its issues are raised as the LlmtcoError they came from (422)."""
        outcome = raise_issues(await self.pool.run(replace(job, evaluate=True)))
        if outcome.result is None:
            raise LlmtcoError("the evaluation gave no result")
        return outcome.result

    async def check(self, job: Job) -> None:
        raise_issues(await self.pool.run(job))


def raise_issues(outcome: Outcome) -> Outcome:
    """Turn an outcome's issues back into the exception class that produced them."""
    if not outcome.issues:
        return outcome
    if outcome.error in (None, "ScenarioError"):
        raise ScenarioError(outcome.issues)
    cls = getattr(errors, outcome.error or "", LlmtcoError)
    if not (isinstance(cls, type) and issubclass(cls, LlmtcoError)):
        cls = LlmtcoError
    raise cls("; ".join(str(i) for i in outcome.issues))


def web_state(request: Request) -> WebState:
    state: WebState = request.app.state.web
    return state


State = Annotated[WebState, Depends(web_state)]


def issues_json(exc: ScenarioError) -> list[dict[str, Any]]:
    return [{"path": i.path, "message": i.message, "line": i.line, "column": i.column} for i in exc.issues]


def examples() -> dict[str, str]:
    """The repository's examples; an installed package without them offers the `llmtco init` starter."""
    if EXAMPLES_DIR.is_dir() and any(EXAMPLES_DIR.glob("*.yaml")):
        return {p.stem: p.read_text(encoding="utf-8") for p in sorted(EXAMPLES_DIR.glob("*.yaml"))}
    from importlib import resources

    return {"starter": resources.files("llmtco.scenario").joinpath("starter.yaml").read_text(encoding="utf-8")}


def round_trip_yaml() -> YAML:
    y = YAML(typ="rt")
    y.width = 120
    return y


def dump_document(data: Any) -> str:
    """A saved document is YAML text; JSON scenarios are stored as YAML."""
    buf = io.StringIO()
    round_trip_yaml().dump(data, buf)
    return buf.getvalue()


def csrf_token(request: Request) -> str:
    return request.cookies.get(CSRF_COOKIE) or secrets.token_urlsafe(24)


def _same_token(sent: str, cookie: str) -> bool:
    return bool(cookie) and secrets.compare_digest(sent.encode(), cookie.encode())


def page(request: Request, name: str, **ctx: Any) -> HTMLResponse:
    token = csrf_token(request)
    resp = web_state(request).templates.TemplateResponse(request, name, {"csrf": token, **ctx})
    resp.set_cookie(CSRF_COOKIE, token, httponly=True, samesite="strict")
    return resp


async def check_csrf(request: Request) -> dict[str, str]:
    form = {k: str(v) for k, v in (await request.form()).items()}
    sent = form.get("csrf_token") or request.headers.get("x-csrf-token", "")
    cookie = request.cookies.get(CSRF_COOKIE, "")
    if not _same_token(sent, cookie):
        raise PermissionError("missing or wrong CSRF token")
    return form


def _load_for_form(text: str) -> Any:
    """The round-trip document for the form (aliases stay shared, nothing is expanded), None if it does not parse."""
    try:
        check_flow_depth(text, "<editor>")
        return round_trip_yaml().load(text)
    except Exception:  # the YAML panel shows the syntax error from the issues
        return None


async def editor_ctx(
    state: WebState, text: str, scenario_id: int | None = None, version: int | None = None
) -> dict[str, Any]:
    result, issues = await state.evaluate_text(text)
    doc = await run_in_threadpool(_load_for_form, text)
    catalog = state.catalog()
    return {
        "yaml_text": text,
        "result": result,
        "issues": issues,
        "form": build_form(doc, catalog),
        "field_issues": {i.path: i.message for i in issues if i.path},
        "field_errors": {},
        "typed": {},
        "catalog": catalog,
        "scenario_id": scenario_id,
        "version": version,
        "chart": per_mtok_svg(result) if result else "",  # the cumulative chart: results_ctx, with break-even
        "examples": list(examples()),
        **results_ctx(result),
    }


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number; numbers must be finite")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"{text} is out of range for a number")
    return value


def _depth(value: Any) -> int:
    deepest, stack = 0, [(value, 1)]
    while stack:
        v, d = stack.pop()
        if isinstance(v, dict | list):
            deepest = max(deepest, d)
            if d > MAX_JSON_DEPTH:
                break
            stack.extend((x, d + 1) for x in (v.values() if isinstance(v, dict) else v))
    return deepest


def load_json(text: str) -> Any:
    """Parse a JSON body: finite numbers only, at most MAX_JSON_DEPTH levels deep; a ScenarioError otherwise."""
    try:
        data = json.loads(text, parse_constant=_refuse_constant, parse_float=_finite_float)
    except RecursionError:
        raise ScenarioError([Issue("", f"JSON nested deeper than {MAX_JSON_DEPTH} levels")]) from None
    except ValueError as exc:
        raise ScenarioError([Issue("", f"malformed JSON: {exc}")]) from None
    if _depth(data) > MAX_JSON_DEPTH:
        raise ScenarioError([Issue("", f"JSON nested deeper than {MAX_JSON_DEPTH} levels")])
    return data


def content_type(request: Request) -> str:
    return request.headers.get("content-type", "").split(";")[0].strip().lower()


async def read_scenario_body(request: Request) -> tuple[Any, str]:
    """(plain data, text) of a JSON body, or (None, text) of a YAML one; a ScenarioError for anything else."""
    ctype = content_type(request)
    raw = await request.body()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ScenarioError([Issue(path="", message="body is not UTF-8 text")]) from None
    if ctype in YAML_TYPES:
        check_flow_depth(text, "<request>")  # here too: a cheap refusal needs no worker
        return None, text
    if ctype == "application/json":
        return load_json(text), text
    raise ScenarioError([Issue(path="", message="send the scenario as application/json or application/yaml")])


def _origin_of(url: str) -> str | None:
    parts = urlsplit(url)
    return parts.netloc.lower() if parts.scheme in ("http", "https") and parts.netloc else None


async def require_proof(request: Request) -> None:
    """Refuse state-changing API requests that a cross-site page could have sent (403).

    Proof is the CSRF token (``X-CSRF-Token`` header equal to the cookie), or
    both of: an Origin (or, without one, a Referer) that is absent or names
    this server, and a body that is JSON or YAML (or no body at all).
    Browsers send Origin with every cross-site POST, PATCH and DELETE, and
    cannot send a JSON or YAML body cross-site without a CORS preflight,
    which this server never answers.
    """
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return
    sent = request.headers.get("x-csrf-token", "")
    cookie = request.cookies.get(CSRF_COOKIE, "")
    if _same_token(sent, cookie):
        return
    claimed = request.headers.get("origin") or request.headers.get("referer")
    if claimed is not None:
        host = request.headers.get("host", "").lower()
        if _origin_of(claimed) != host:
            raise PermissionError(f"cross-site request refused: origin {claimed[:100]!r} is not this server")
    ctype = content_type(request)
    if ctype and ctype not in BODY_TYPES:
        raise PermissionError("state-changing requests need a JSON or YAML body (or the CSRF token)")


def to_int(value: str | None) -> int | None:
    try:
        return int(value) if value else None
    except ValueError:
        return None
