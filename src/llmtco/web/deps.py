"""Shared state and helpers of the web routers: the store, the catalog overlay, templates, CSRF, scenario bodies."""

from __future__ import annotations

import io
import json
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from ruamel.yaml import YAML

from llmtco.catalog import Catalog, load_catalog
from llmtco.engine import evaluate
from llmtco.errors import Issue, LlmtcoError, ScenarioError
from llmtco.result import Result
from llmtco.scenario import parse_scenario_text
from llmtco.web.charts import cumulative_svg, per_mtok_svg
from llmtco.web.store import Store

CSRF_COOKIE = "llmtco_csrf"
EXAMPLES_DIR = Path(__file__).resolve().parents[3] / "examples"
STATIC = Path(__file__).parent / "static"
TEMPLATES = Path(__file__).parent / "templates"


@dataclass
class WebState:
    """What every route needs: the scenario store, the catalog overlay files and the page templates."""

    store: Store
    overlay: list[str]
    templates: Jinja2Templates

    def catalog(self) -> Catalog:
        return load_catalog(self.overlay)

    def evaluate_text(self, text: str, file: str = "<editor>") -> tuple[Result | None, list[Issue]]:
        try:
            sc, cat = parse_scenario_text(text, file, self.overlay)
            return evaluate(sc, cat), []
        except ScenarioError as exc:
            return None, exc.issues
        except LlmtcoError as exc:
            return None, [Issue(path="", message=str(exc))]


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


def page(request: Request, name: str, **ctx: Any) -> HTMLResponse:
    token = csrf_token(request)
    resp = web_state(request).templates.TemplateResponse(request, name, {"csrf": token, **ctx})
    resp.set_cookie(CSRF_COOKIE, token, httponly=True, samesite="strict")
    return resp


async def check_csrf(request: Request) -> dict[str, str]:
    form = {k: str(v) for k, v in (await request.form()).items()}
    sent = form.get("csrf_token") or request.headers.get("x-csrf-token", "")
    cookie = request.cookies.get(CSRF_COOKIE, "")
    if not cookie or not secrets.compare_digest(sent, cookie):
        raise PermissionError("missing or wrong CSRF token")
    return form


def editor_ctx(
    state: WebState, text: str, scenario_id: int | None = None, version: int | None = None
) -> dict[str, Any]:
    result, issues = state.evaluate_text(text)
    doc: Any = None
    try:
        doc = round_trip_yaml().load(text)
    except Exception:  # the YAML panel shows the syntax error from the issues
        doc = None
    return {
        "yaml_text": text,
        "result": result,
        "issues": issues,
        "doc": doc if isinstance(doc, dict) else None,
        "field_issues": {i.path: i.message for i in issues if i.path},
        "catalog": state.catalog(),
        "scenario_id": scenario_id,
        "version": version,
        "chart": (cumulative_svg(result) + per_mtok_svg(result)) if result else "",
        "examples": list(examples()),
    }


async def read_scenario_body(request: Request) -> tuple[Any, str]:
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    raw = await request.body()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ScenarioError([Issue(path="", message="body is not UTF-8 text")]) from None
    if ctype in ("application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml"):
        return None, text
    if ctype == "application/json":
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise ScenarioError([Issue(path="", message=f"malformed JSON: {exc}")]) from None
        return data, text
    raise ScenarioError([Issue(path="", message="send the scenario as application/json or application/yaml")])


def to_int(value: str | None) -> int | None:
    try:
        return int(value) if value else None
    except ValueError:
        return None
