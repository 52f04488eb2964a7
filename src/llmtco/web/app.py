"""FastAPI application: server-rendered pages (Jinja2 + vendored htmx) and a JSON/YAML REST API under /api/v1.

Errors become HTTP statuses only here: invalid scenarios are 422 with field
paths, unknown ids 404, oversized bodies 413, missing CSRF tokens 403.
"""

from __future__ import annotations

import difflib
import io
import json
import secrets
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from ruamel.yaml import YAML

from llmtco.analysis.breakeven import compare
from llmtco.catalog import KINDS, Catalog, load_catalog
from llmtco.errors import Issue, LlmtcoError, ScenarioError
from llmtco.report.diff import diff_results
from llmtco.result import Result
from llmtco.scenario import parse_scenario, parse_scenario_text
from llmtco.web.charts import cumulative_svg, per_mtok_svg
from llmtco.web.store import NotFound, Store

MAX_BODY_BYTES = 1_000_000
CSRF_COOKIE = "llmtco_csrf"
EXAMPLES_DIR = Path(__file__).resolve().parents[3] / "examples"
STATIC = Path(__file__).parent / "static"


SECURITY_HEADERS = [
    (
        b"content-security-policy",
        b"default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
        b"img-src 'self' data:; frame-ancestors 'none'",
    ),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
]


class _TooLarge(Exception):
    pass


class BodyLimit:
    """ASGI middleware: 413 for bodies over MAX_BODY_BYTES (declared or streamed); security headers on responses."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared and declared.isdigit() and int(declared) > MAX_BODY_BYTES:
            await _send_413(send)
            return
        received = 0
        started = False

        async def limited() -> dict[str, Any]:
            nonlocal received
            message: dict[str, Any] = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > MAX_BODY_BYTES:
                    raise _TooLarge
            return message

        async def sending(message: dict[str, Any]) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                message["headers"] = [*message.get("headers", []), *SECURITY_HEADERS]
            await send(message)

        try:
            await self.app(scope, limited, sending)
        except _TooLarge:
            if not started:
                await _send_413(send)


async def _send_413(send: Any) -> None:
    body = json.dumps({"detail": f"request body over {MAX_BODY_BYTES} bytes"}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [(b"content-type", b"application/json"), *SECURITY_HEADERS],
        }
    )
    await send({"type": "http.response.body", "body": body})


def issues_json(exc: ScenarioError) -> list[dict[str, Any]]:
    return [{"path": i.path, "message": i.message, "line": i.line, "column": i.column} for i in exc.issues]


def examples() -> dict[str, str]:
    """The repository's examples; an installed package without them offers the `llmtco init` starter."""
    if EXAMPLES_DIR.is_dir() and any(EXAMPLES_DIR.glob("*.yaml")):
        return {p.stem: p.read_text(encoding="utf-8") for p in sorted(EXAMPLES_DIR.glob("*.yaml"))}
    from importlib import resources

    return {"starter": resources.files("llmtco.scenario").joinpath("starter.yaml").read_text(encoding="utf-8")}


def _yaml() -> YAML:
    y = YAML(typ="rt")
    y.width = 120
    return y


def set_path(doc: Any, path: str, value: Any) -> None:
    """Set (or, for None, remove) a dotted path like options.0.server in a round-trip YAML document."""
    parts = [int(p) if p.isdigit() else p for p in path.split(".")]
    node = doc
    for p in parts[:-1]:
        node = node[p]
    last = parts[-1]
    if value is None:
        if isinstance(node, dict) and last in node:
            del node[last]
    else:
        node[last] = value


def _number(text: str) -> float | int | None:
    text = text.strip()
    if not text:
        return None
    value = float(text)
    return int(value) if value.is_integer() and "." not in text and "e" not in text.lower() else value


def create_app(database_url: str | None = None, catalog_files: list[str] | None = None) -> FastAPI:
    store = Store(database_url)
    overlay = list(catalog_files or [])
    app = FastAPI(
        title="llmtco",
        version=__import__("llmtco").__version__,
        description="LLM TCO: evaluate scenarios, save versions, browse the catalog.",
    )
    app.add_middleware(BodyLimit)
    app.mount("/static", StaticFiles(directory=str(STATIC)), name="static")
    templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
    app.state.store = store

    def catalog() -> Catalog:
        return load_catalog(overlay)

    def evaluate_text(text: str, file: str = "<editor>") -> tuple[Result | None, list[Issue]]:
        try:
            sc, cat = parse_scenario_text(text, file, overlay)
            return compare(sc, cat), []
        except ScenarioError as exc:
            return None, exc.issues
        except LlmtcoError as exc:
            return None, [Issue(path="", message=str(exc))]

    def csrf_token(request: Request) -> str:
        return request.cookies.get(CSRF_COOKIE) or secrets.token_urlsafe(24)

    def page(request: Request, name: str, **ctx: Any) -> HTMLResponse:
        token = csrf_token(request)
        resp = templates.TemplateResponse(request, name, {"csrf": token, **ctx})
        resp.set_cookie(CSRF_COOKIE, token, httponly=True, samesite="strict")
        return resp

    async def check_csrf(request: Request) -> dict[str, str]:
        form = dict((k, str(v)) for k, v in (await request.form()).items())
        sent = form.get("csrf_token") or request.headers.get("x-csrf-token", "")
        cookie = request.cookies.get(CSRF_COOKIE, "")
        if not cookie or not secrets.compare_digest(sent, cookie):
            raise PermissionError("missing or wrong CSRF token")
        return form

    @app.exception_handler(PermissionError)
    async def _csrf(request: Request, exc: PermissionError) -> Response:
        return JSONResponse({"detail": str(exc)}, status_code=403)

    @app.exception_handler(NotFound)
    async def _nf(request: Request, exc: NotFound) -> Response:
        return JSONResponse({"detail": str(exc)}, status_code=404)

    @app.exception_handler(ScenarioError)
    async def _se(request: Request, exc: ScenarioError) -> Response:
        return JSONResponse({"detail": issues_json(exc)}, status_code=422)

    # ------------------------------------------------------------------ pages

    @app.get("/favicon.ico", include_in_schema=False)
    def favicon() -> Response:
        return Response(status_code=204)

    def editor_ctx(text: str, scenario_id: int | None = None, version: int | None = None) -> dict[str, Any]:
        result, issues = evaluate_text(text)
        doc: Any = None
        try:
            doc = _yaml().load(text)
        except Exception:  # the YAML panel shows the syntax error from the issues
            doc = None
        return {
            "yaml_text": text,
            "result": result,
            "issues": issues,
            "doc": doc if isinstance(doc, dict) else None,
            "field_issues": {i.path: i.message for i in issues if i.path},
            "catalog": catalog(),
            "scenario_id": scenario_id,
            "version": version,
            "chart": (cumulative_svg(result) + per_mtok_svg(result)) if result else "",
            "examples": list(examples()),
        }

    @app.get("/", response_class=HTMLResponse)
    def home(request: Request, example: str = "chat-assistant-70b") -> HTMLResponse:
        texts = examples()
        text = texts.get(example) or next(iter(texts.values()), "workloads: []\noptions: []\n")
        return page(request, "editor.html", title="Scenario editor", current_example=example, **editor_ctx(text))

    @app.post("/editor/form", response_class=HTMLResponse)
    async def editor_form(request: Request) -> HTMLResponse:
        form = await check_csrf(request)
        text = form.get("yaml", "")
        try:
            doc = _yaml().load(text)
            for key, value in form.items():
                if not key.startswith("f:"):
                    continue
                path = key[2:]
                if path.endswith(
                    (
                        "requests_per_day",
                        "input_tokens",
                        "output_tokens",
                        "peak_to_average",
                        "electricity_usd_per_kwh",
                        "server_price_usd",
                        "horizon_months",
                        "discount_rate_pct",
                    )
                ):
                    set_path(doc, path, _number(value))
                else:
                    set_path(doc, path, value or None)
            buf = io.StringIO()
            _yaml().dump(doc, buf)
            text = buf.getvalue()
        except (ValueError, KeyError, IndexError, TypeError) as exc:
            return page(request, "workspace.html", **editor_ctx(text), form_error=f"cannot apply the form: {exc}")
        except Exception:  # invalid YAML: keep it, the issues say why
            pass
        return page(request, "workspace.html", **editor_ctx(text, _int(form.get("scenario_id"))))

    @app.post("/editor/yaml", response_class=HTMLResponse)
    async def editor_yaml(request: Request) -> HTMLResponse:
        form = await check_csrf(request)
        return page(
            request, "workspace.html", **editor_ctx(form.get("yaml", ""), _int(form.get("scenario_id"))), keep_yaml=True
        )

    @app.get("/scenarios", response_class=HTMLResponse)
    def scenarios_page(request: Request, deleted: int | None = None) -> HTMLResponse:
        return page(
            request,
            "scenarios.html",
            title="Saved scenarios",
            scenarios=store.list(),
            trash=[s for s in store.list(include_deleted=True) if s.deleted],
            just_deleted=deleted,
        )

    @app.post("/scenarios")
    async def create_page(request: Request) -> Response:
        form = await check_csrf(request)
        text = form.get("yaml", "")
        result, issues = evaluate_text(text)
        if issues:
            return page(
                request,
                "editor.html",
                title="Scenario editor",
                **editor_ctx(text),
                form_error="fix the scenario before saving",
            )
        name = (form.get("name") or (result.scenario if result else "scenario"))[:200]
        v = store.create(name, text)
        return RedirectResponse(f"/scenarios/{v.scenario_id}", status_code=303)

    @app.get("/scenarios/{scenario_id}", response_class=HTMLResponse)
    def open_page(request: Request, scenario_id: int, version: int | None = None) -> HTMLResponse:
        info = store.get(scenario_id)
        v = store.version(scenario_id, version)
        return page(request, "editor.html", title=info.name, info=info, **editor_ctx(v.document, scenario_id, v.number))

    @app.post("/scenarios/{scenario_id}/save")
    async def save_page(request: Request, scenario_id: int) -> Response:
        form = await check_csrf(request)
        text = form.get("yaml", "")
        _, issues = evaluate_text(text)
        if issues:
            info = store.get(scenario_id)
            return page(
                request,
                "editor.html",
                title=info.name,
                info=info,
                **editor_ctx(text, scenario_id),
                form_error="not saved: fix the scenario first",
            )
        store.save(scenario_id, text)
        return RedirectResponse(f"/scenarios/{scenario_id}", status_code=303)

    @app.post("/scenarios/{scenario_id}/rename")
    async def rename_page(request: Request, scenario_id: int) -> Response:
        form = await check_csrf(request)
        name = form.get("name", "").strip()[:200]
        if name:
            store.rename(scenario_id, name)
        return RedirectResponse("/scenarios", status_code=303)

    @app.post("/scenarios/{scenario_id}/duplicate")
    async def duplicate_page(request: Request, scenario_id: int) -> Response:
        await check_csrf(request)
        v = store.duplicate(scenario_id)
        return RedirectResponse(f"/scenarios/{v.scenario_id}", status_code=303)

    @app.post("/scenarios/{scenario_id}/delete")
    async def delete_page(request: Request, scenario_id: int) -> Response:
        await check_csrf(request)
        store.delete(scenario_id)
        return RedirectResponse(f"/scenarios?deleted={scenario_id}", status_code=303)

    @app.post("/scenarios/{scenario_id}/restore")
    async def restore_page(request: Request, scenario_id: int) -> Response:
        await check_csrf(request)
        store.restore(scenario_id)
        return RedirectResponse("/scenarios", status_code=303)

    @app.get("/scenarios/{scenario_id}/history", response_class=HTMLResponse)
    def history_page(request: Request, scenario_id: int, a: int | None = None, b: int | None = None) -> HTMLResponse:
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
            ra, _ = evaluate_text(va.document)
            rb, _ = evaluate_text(vb.document)
            if ra and rb:
                costs = [
                    c for c in diff_results(ra.to_dict(), rb.to_dict(), f"v{a}", f"v{b}").costs if c.item == "total"
                ]
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

    @app.get("/compare", response_class=HTMLResponse)
    def compare_page(request: Request, a: int | None = None, b: int | None = None) -> HTMLResponse:
        sides = []
        for sid in (a, b):
            if sid:
                info = store.get(sid)
                result, issues = evaluate_text(store.version(sid).document)
                sides.append(
                    {
                        "info": info,
                        "result": result,
                        "issues": issues,
                        "chart": cumulative_svg(result) if result else "",
                    }
                )
        return page(request, "compare.html", title="Compare scenarios", scenarios=store.list(), sides=sides, a=a, b=b)

    @app.get("/catalog", response_class=HTMLResponse)
    def catalog_page(request: Request, kind: str = "accelerators") -> HTMLResponse:
        if kind not in KINDS:
            kind = "accelerators"
        records = list(catalog().table(kind))
        return page(request, "catalog.html", title=f"Catalog: {kind}", kind=kind, kinds=list(KINDS), records=records)

    # ------------------------------------------------------------------ API

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

    @app.post("/api/v1/evaluate")
    async def api_evaluate(request: Request) -> Response:
        data, text = await read_scenario_body(request)
        if data is None:
            sc, cat = parse_scenario_text(text, "<request>", overlay)
        else:
            sc, cat = parse_scenario(data, "<request>", None, overlay)
        return JSONResponse(compare(sc, cat).to_dict())

    def _document(data: Any) -> str:
        """A saved document is YAML text; JSON scenarios are stored as YAML."""
        buf = io.StringIO()
        _yaml().dump(data, buf)
        return buf.getvalue()

    async def _doc_from_request(request: Request) -> tuple[str, str | None]:
        data, text = await read_scenario_body(request)
        name = None
        if data is not None:
            if not isinstance(data, dict):
                raise ScenarioError([Issue(path="", message="expected an object")])
            if "document" in data or "scenario" in data:
                name = data.get("name") if isinstance(data.get("name"), str) else None
                doc = data.get("document")
                text = doc if isinstance(doc, str) else _document(data.get("scenario"))
            else:
                text = _document(data)
        parse_scenario_text(text, "<request>", overlay)  # 422 when invalid
        return text, name

    def info_json(i: Any) -> dict[str, Any]:
        return dict(vars(i))

    @app.get("/api/v1/scenarios")
    def api_list() -> list[dict[str, Any]]:
        return [info_json(i) for i in store.list()]

    @app.post("/api/v1/scenarios", status_code=201)
    async def api_create(request: Request) -> dict[str, Any]:
        text, name = await _doc_from_request(request)
        v = store.create((name or "scenario")[:200], text)
        return {**info_json(store.get(v.scenario_id)), "version": v.number}

    @app.get("/api/v1/scenarios/{scenario_id}")
    def api_get(scenario_id: int) -> dict[str, Any]:
        return {**info_json(store.get(scenario_id)), "document": store.version(scenario_id).document}

    @app.patch("/api/v1/scenarios/{scenario_id}")
    async def api_rename(scenario_id: int, request: Request) -> dict[str, Any]:
        try:
            body = json.loads(await request.body())
        except ValueError:
            raise ScenarioError([Issue(path="", message="malformed JSON")]) from None
        name = body.get("name") if isinstance(body, dict) else None
        if not isinstance(name, str) or not name.strip() or len(name) > 200:
            raise ScenarioError([Issue(path="name", message="a non-empty string of at most 200 characters")])
        return info_json(store.rename(scenario_id, name.strip()))

    @app.delete("/api/v1/scenarios/{scenario_id}", status_code=204)
    def api_delete(scenario_id: int) -> Response:
        store.delete(scenario_id)
        return Response(status_code=204)

    @app.post("/api/v1/scenarios/{scenario_id}/restore")
    def api_restore(scenario_id: int) -> dict[str, Any]:
        return info_json(store.restore(scenario_id))

    @app.post("/api/v1/scenarios/{scenario_id}/duplicate", status_code=201)
    def api_duplicate(scenario_id: int) -> dict[str, Any]:
        v = store.duplicate(scenario_id)
        return info_json(store.get(v.scenario_id))

    @app.get("/api/v1/scenarios/{scenario_id}/versions")
    def api_versions(scenario_id: int) -> list[dict[str, Any]]:
        return [dict(vars(v)) for v in store.versions(scenario_id)]

    @app.post("/api/v1/scenarios/{scenario_id}/versions", status_code=201)
    async def api_save(scenario_id: int, request: Request) -> dict[str, Any]:
        text, _ = await _doc_from_request(request)
        return dict(vars(store.save(scenario_id, text)))

    @app.get("/api/v1/scenarios/{scenario_id}/versions/{number}")
    def api_version(scenario_id: int, number: int) -> dict[str, Any]:
        return dict(vars(store.version(scenario_id, number)))

    @app.get("/api/v1/scenarios/{scenario_id}/evaluate")
    def api_evaluate_saved(scenario_id: int) -> Response:
        sc, cat = parse_scenario_text(store.version(scenario_id).document, f"scenario {scenario_id}", overlay)
        return JSONResponse(compare(sc, cat).to_dict())

    @app.get("/api/v1/catalog/{kind}")
    def api_catalog(kind: str) -> Response:
        if kind not in KINDS:
            return JSONResponse(
                {"detail": [{"path": "kind", "message": f"unknown kind; allowed: {', '.join(KINDS)}"}]}, status_code=422
            )
        return JSONResponse([r.model_dump(mode="json") for r in catalog().table(kind)])

    @app.get("/api/v1/catalog/{kind}/{record_id}")
    def api_catalog_record(kind: str, record_id: str) -> Response:
        if kind not in KINDS:
            return JSONResponse(
                {"detail": [{"path": "kind", "message": f"unknown kind; allowed: {', '.join(KINDS)}"}]}, status_code=422
            )
        table = catalog().table(kind)
        if record_id not in table:
            return JSONResponse({"detail": f"no {kind} record {record_id!r}"}, status_code=404)
        return JSONResponse(table.get(record_id).model_dump(mode="json"))

    return app


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value else None
    except ValueError:
        return None
