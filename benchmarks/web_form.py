"""Rerunnable timing of the editor's form round trip (POST /editor/form: apply the field, evaluate, render the
full generated form and the results). Run:  .venv/bin/python benchmarks/web_form.py

For each bundled example: median of five round trips through the app in process (FastAPI TestClient, the
real worker processes, SQLite), each changing one field, plus the size of the returned workspace; and the
part of it that is the generated form alone (build_form and rendering form_panel.html, median of five).
"""

from __future__ import annotations

import json
import statistics
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    from fastapi.testclient import TestClient

    from llmtco.web.app import create_app
    from llmtco.web.deps import round_trip_yaml
    from llmtco.web.form import build_form

    out = {}
    with tempfile.TemporaryDirectory() as tmp, TestClient(
        create_app(f"sqlite:///{tmp}/bench.db"), base_url="http://localhost"
    ) as c:
        c.get("/scenarios")
        token = c.cookies.get("llmtco_csrf")
        web = c.app.state.web  # type: ignore[attr-defined]
        panel = web.templates.get_template("form_panel.html")
        catalog = web.catalog()
        for path in sorted((ROOT / "examples").glob("*.yaml")):
            text = path.read_text(encoding="utf-8")
            c.post("/editor/form", data={"csrf_token": token, "yaml": text})  # warm the worker
            times, size = [], 0
            for k in range(5):
                form = {"csrf_token": token, "yaml": text, "f:assumptions.discount_rate_pct": str(5 + k)}
                t = time.perf_counter()
                r = c.post("/editor/form", data=form)
                times.append((time.perf_counter() - t) * 1000)
                assert r.status_code == 200
                size = len(r.content)
            form_ms = []
            for _ in range(5):
                t = time.perf_counter()
                tree = build_form(round_trip_yaml().load(text), catalog)
                panel.render(form=tree, field_issues={}, field_errors={}, typed={})
                form_ms.append((time.perf_counter() - t) * 1000)
            out[path.stem] = {
                "round_trip_median_ms": round(statistics.median(times), 1),
                "form_only_median_ms": round(statistics.median(form_ms), 1),
                "response_kb": round(size / 1024),
            }
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
