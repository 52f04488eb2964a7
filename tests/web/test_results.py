"""Issue 16 items 1, 2, 4 over HTTP: the results panel's facts, "How sure?" jobs, exports."""

from __future__ import annotations

import io
import time
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from llmtco.analysis.breakeven import compare
from llmtco.report.facts import FACT_SECTIONS, build_facts, facts_html
from llmtco.scenario import parse_scenario_text
from llmtco.web.app import create_app
from llmtco.web.jobs import FINAL, JobManager
from llmtco.web.worker import WorkerPool
from tests.conftest import MINIMAL
from tests.web.conftest import EXAMPLE, csrf

YAML = {"content-type": "application/yaml"}
sqlite_only = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


def _client(db_url: str, pool: WorkerPool, monkeypatch: pytest.MonkeyPatch, **env: str) -> TestClient:
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return TestClient(create_app(db_url, pool=pool), base_url="http://localhost")


@pytest.fixture
def jc(db_url: str, pool: WorkerPool, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    with _client(db_url, pool, monkeypatch) as c:
        yield c


def _wait(c: TestClient, job_id: str, limit_s: float = 90) -> list[dict[str, Any]]:
    seen = []
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        doc = c.get(f"/api/v1/jobs/{job_id}").json()
        seen.append(doc)
        if doc["state"] in FINAL:
            return seen
        time.sleep(0.1)
    raise AssertionError(f"job {job_id} did not finish: {seen[-1]}")


def _tags(html: str) -> list[tuple[str, list[str]]]:
    """(tag, attribute names) of every start tag, as a browser's parser sees them."""
    from html.parser import HTMLParser

    found: list[tuple[str, list[str]]] = []

    class Collect(HTMLParser):
        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            found.append((tag, [name for name, _ in attrs]))

    Collect().feed(html)
    return found


# ---- item 1: the results panel says what the report says -------------------------------------------------------


@sqlite_only
def test_editor_shows_the_reports_facts_verbatim(jc: TestClient) -> None:
    page = jc.get("/").text  # the chat-assistant-70b example
    sc, cat = parse_scenario_text(EXAMPLE)
    fragments = facts_html(build_facts(compare(sc, cat)))
    for name in FACT_SECTIONS:
        if fragments[name]:
            assert fragments[name] in page, name
    assert 'id="line-items"' in page and 'data-item="energy_cooling"' in page
    assert 'class="breakeven"' in page and "onprem-h100 = aws-h100-on-demand, month 21" in page
    assert 'id="chart-breakdown"' in page and "capex: gpu_servers" in page


@sqlite_only
def test_form_edits_redraw_the_facts(jc: TestClient) -> None:
    token = csrf(jc)
    r = jc.post("/editor/yaml", data={"yaml": MINIMAL, "csrf_token": token})
    assert r.status_code == 200
    assert 'id="sizing"' in r.text and 'data-option="onprem"' in r.text and "Recommendation:" in r.text


# ---- item 2: "How sure?" jobs -------------------------------------------------------------------------------------


@sqlite_only
def test_job_lifecycle_start_progress_done(jc: TestClient) -> None:
    r = jc.post("/api/v1/jobs", json={"document": EXAMPLE, "samples": 1000})
    assert r.status_code == 202
    job = r.json()
    assert job["state"] in ("starting", "running") and job["samples"] == 1000
    again = jc.post("/api/v1/jobs", json={"document": EXAMPLE, "samples": 1000})
    assert again.status_code == 200 and again.json()["id"] == job["id"]  # one per scenario: the running one
    seen = _wait(jc, job["id"])
    done = seen[-1]
    assert done["state"] == "done" and done["progress"] == 1.0 and done["done_samples"] == 1000
    progress = [s["progress"] for s in seen]
    assert progress == sorted(progress)  # never goes back
    sim = done["simulation"]
    assert sim["samples"] == 1000
    for o in sim["options"].values():
        t = o["total_cost_usd"]
        assert t["p10"] < t["p50"] < t["p90"]
    assert sum(o["probability_cheapest"] for o in sim["options"].values()) == pytest.approx(1.0)
    assert done["tornado"]["inputs"]
    fragment = jc.get(f"/results/jobs/{job['id']}").text
    assert 'id="uncertainty"' in fragment and 'id="chart-distribution"' in fragment and "hx-get" not in fragment
    # a finished job does not block a new start
    assert jc.post("/api/v1/jobs", json={"document": EXAMPLE, "samples": 1000}).status_code == 202


@sqlite_only
def test_job_of_a_saved_scenario_is_one_per_scenario(jc: TestClient) -> None:
    sid = jc.post("/api/v1/scenarios", content=EXAMPLE, headers=YAML).json()["id"]
    first = jc.post("/api/v1/jobs", json={"scenario_id": sid})
    second = jc.post("/api/v1/jobs", json={"scenario_id": sid, "samples": 500})
    assert first.status_code == 202 and second.status_code == 200 and second.json()["id"] == first.json()["id"]
    assert jc.post("/api/v1/jobs", json={"scenario_id": 9999}).status_code == 404
    jc.post(f"/api/v1/jobs/{first.json()['id']}/cancel")


@sqlite_only
def test_cancel_stops_the_process(jc: TestClient) -> None:
    job = jc.post("/api/v1/jobs?samples=3000", content=EXAMPLE, headers=YAML).json()
    assert job["samples"] == 3000
    r = jc.post(f"/api/v1/jobs/{job['id']}/cancel")
    assert r.status_code == 200 and r.json()["state"] == "cancelled"
    manager: JobManager = jc.app.state.jobs  # type: ignore[attr-defined]
    process = manager.get(job["id"]).process
    deadline = time.monotonic() + 10
    while process.is_alive() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not process.is_alive()
    assert jc.get(f"/api/v1/jobs/{job['id']}").json()["state"] == "cancelled"


@sqlite_only
def test_time_limit_reached_is_a_clear_final_state(
    db_url: str, pool: WorkerPool, monkeypatch: pytest.MonkeyPatch
) -> None:
    with _client(db_url, pool, monkeypatch, LLMTCO_WEB_JOB_TIME_LIMIT_S="0.3") as c:
        job = c.post("/api/v1/jobs", content=EXAMPLE, headers=YAML).json()
        done = _wait(c, job["id"], 20)[-1]
        assert done["state"] == "timed_out"
        assert done["error"] == "stopped: ran past the time limit of 0.3 s"
        assert "simulation" not in done
        fragment = c.get(f"/results/jobs/{job['id']}").text
        assert "timed out: stopped: ran past the time limit of 0.3 s" in fragment


@sqlite_only
def test_job_slots_are_bounded(db_url: str, pool: WorkerPool, monkeypatch: pytest.MonkeyPatch) -> None:
    with _client(db_url, pool, monkeypatch, LLMTCO_WEB_JOB_SLOTS="1") as c:
        first = c.post("/api/v1/jobs", content=EXAMPLE, headers=YAML).json()
        r = c.post("/api/v1/jobs", content=MINIMAL.replace("minimal", "other"), headers=YAML)
        assert r.status_code == 503 and "already running" in r.json()["detail"]
        c.post(f"/api/v1/jobs/{first['id']}/cancel")


def test_finished_jobs_expire_and_are_bounded_in_number() -> None:
    manager = JobManager(time_limit_s=0.05, ttl_s=600, max_jobs=2)
    ids = []
    for n in range(3):
        job, created = manager.start(f"text:{n}", MINIMAL)
        assert created
        deadline = time.monotonic() + 20
        while not job.final and time.monotonic() < deadline:
            time.sleep(0.02)
        ids.append(job.id)
    manager.start("text:last", MINIMAL)  # pruning happens on start: the oldest finished job goes
    with pytest.raises(Exception, match="no job"):
        manager.get(ids[0])
    manager.ttl_s = 0.01
    time.sleep(0.05)
    with pytest.raises(Exception, match="no job"):
        manager.get(ids[2])
    manager.close()


@sqlite_only
def test_unknown_job_is_404(jc: TestClient) -> None:
    assert jc.get("/api/v1/jobs/nope").status_code == 404
    assert jc.post("/api/v1/jobs/nope/cancel").status_code == 404
    assert jc.get("/results/jobs/nope").status_code == 404


@sqlite_only
@pytest.mark.parametrize(
    ("body", "path"),
    [
        ({"document": "workloads: 3\noptions: []\n"}, "workloads"),
        ({"document": EXAMPLE, "samples": 5}, "samples"),
        ({"document": EXAMPLE, "samples": "many"}, "samples"),
        ({"scenario_id": "1"}, "scenario_id"),
        ({"nothing": 1}, ""),
    ],
)
def test_bad_job_requests_are_422_with_field_paths(jc: TestClient, body: dict[str, Any], path: str) -> None:
    r = jc.post("/api/v1/jobs", json=body)
    assert r.status_code == 422, r.text
    assert path in [d["path"] for d in r.json()["detail"]]


@sqlite_only
def test_bad_samples_in_the_query_are_422(jc: TestClient) -> None:
    r = jc.post("/api/v1/jobs?samples=1e9", content=EXAMPLE, headers=YAML)
    assert r.status_code == 422 and r.json()["detail"][0]["path"] == "samples"
    assert "from 100 to 20000" in r.json()["detail"][0]["message"]


@sqlite_only
def test_job_routes_need_csrf_proof(jc: TestClient) -> None:
    evil = {"origin": "http://evil.example", "content-type": "application/json"}
    assert jc.post("/api/v1/jobs", content='{"document": "x"}', headers=evil).status_code == 403
    assert jc.post("/api/v1/jobs/x/cancel", headers={"origin": "http://evil.example"}).status_code == 403
    jc.cookies.clear()
    assert jc.post("/results/how-sure", data={"yaml": EXAMPLE}).status_code == 403
    assert jc.post("/editor/export.html", data={"yaml": EXAMPLE}).status_code == 403


@sqlite_only
def test_how_sure_page_fragment_polls_then_shows_the_range(jc: TestClient) -> None:
    token = csrf(jc)
    r = jc.post("/results/how-sure", data={"yaml": EXAMPLE, "samples": "500", "csrf_token": token})
    assert r.status_code == 200 and 'id="job-progress"' in r.text and 'hx-trigger="load delay:500ms"' in r.text
    job_id = r.text.split('hx-get="/results/jobs/')[1].split('"')[0]
    _wait(jc, job_id)
    done = jc.get(f"/results/jobs/{job_id}").text
    assert 'id="uncertainty"' in done and "Probability cheapest" in done and 'id="tornado"' in done
    bad = jc.post("/results/how-sure", data={"yaml": EXAMPLE, "samples": "3", "csrf_token": token})
    assert bad.status_code == 200 and "samples: an integer from 100 to 20000" in bad.text


# ---- item 4: exports ----------------------------------------------------------------------------------------------

TYPES = {
    "html": "text/html; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "md": "text/markdown; charset=utf-8",
}


def _check_export(r: Any, fmt: str, stem: str) -> None:
    assert r.status_code == 200, r.text[:300]
    assert r.headers["content-type"] == TYPES[fmt]
    assert r.headers["content-disposition"] == f'attachment; filename="{stem}.{fmt}"'
    if fmt == "html":
        assert 'id="line-items"' in r.text and "Recommendation:" in r.text
    elif fmt == "md":
        assert r.text.startswith("### LLM TCO:")
    else:
        from openpyxl import load_workbook

        wb = load_workbook(io.BytesIO(r.content))
        assert "Summary" in wb.sheetnames and "Inputs" in wb.sheetnames


@sqlite_only
@pytest.mark.parametrize("fmt", ["html", "xlsx", "md"])
def test_export_from_editor_text(jc: TestClient, fmt: str) -> None:
    token = csrf(jc)
    text = MINIMAL.replace("name: minimal", 'name: "unsaved / edit"')
    _check_export(jc.post(f"/editor/export.{fmt}", data={"yaml": text, "csrf_token": token}), fmt, "unsaved-edit")


@pytest.mark.parametrize("fmt", ["html", "xlsx", "md"])
def test_export_from_a_saved_version(jc: TestClient, fmt: str) -> None:
    sid = jc.post("/api/v1/scenarios", content=MINIMAL, headers=YAML).json()["id"]
    jc.post(f"/api/v1/scenarios/{sid}/versions", content=MINIMAL.replace("minimal", "second"), headers=YAML)
    _check_export(jc.get(f"/scenarios/{sid}/versions/1/export.{fmt}"), fmt, "minimal")
    _check_export(jc.get(f"/scenarios/{sid}/versions/2/export.{fmt}"), fmt, "second")
    assert jc.get(f"/scenarios/{sid}/versions/9/export.{fmt}").status_code == 404
    assert jc.get(f"/scenarios/9999/versions/1/export.{fmt}").status_code == 404


@sqlite_only
def test_bad_exports_are_422(jc: TestClient) -> None:
    token = csrf(jc)
    r = jc.post("/editor/export.md", data={"yaml": "workloads: 3\n", "csrf_token": token})
    assert r.status_code == 422 and "workloads" in [d["path"] for d in r.json()["detail"]]
    r = jc.post("/editor/export.pdf", data={"yaml": MINIMAL, "csrf_token": token})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["path", "fmt"]


@sqlite_only
def test_saved_version_page_links_its_exports(jc: TestClient) -> None:
    sid = jc.post("/api/v1/scenarios", content=MINIMAL, headers=YAML).json()["id"]
    page = jc.get(f"/scenarios/{sid}").text
    for fmt in ("html", "xlsx", "md"):
        assert f'href="/scenarios/{sid}/versions/1/export.{fmt}"' in page


@sqlite_only
def test_html_export_carries_the_finished_how_sure_run(jc: TestClient) -> None:
    token = csrf(jc)
    before = jc.post("/editor/export.html", data={"yaml": EXAMPLE, "csrf_token": token}).text
    assert 'id="chart-distribution"' not in before
    job = jc.post("/api/v1/jobs", json={"document": EXAMPLE, "samples": 500}).json()
    assert _wait(jc, job["id"])[-1]["state"] == "done"
    after = jc.post("/editor/export.html", data={"yaml": EXAMPLE, "csrf_token": token}).text
    assert 'id="chart-distribution"' in after and 'id="chart-tornado"' in after
    edited = jc.post("/editor/export.html", data={"yaml": EXAMPLE + "# edited\n", "csrf_token": token}).text
    assert 'id="chart-distribution"' not in edited  # the run was on other text


@sqlite_only
def test_jobs_run_beside_the_request_workers(jc: TestClient, pool: WorkerPool) -> None:
    job = jc.post("/api/v1/jobs", json={"document": EXAMPLE, "samples": 20_000}).json()
    manager: JobManager = jc.app.state.jobs  # type: ignore[attr-defined]
    deadline = time.monotonic() + 30
    while manager.get(job["id"]).process is None and time.monotonic() < deadline:
        time.sleep(0.02)
    process = manager.get(job["id"]).process
    assert process.pid not in {p.pid for p in pool.processes()}  # its own process, not a request worker
    assert jc.post("/api/v1/evaluate", content=MINIMAL, headers=YAML).status_code == 200  # workers still answer
    assert _wait(jc, job["id"])[-1]["state"] == "done"


@sqlite_only
def test_new_pages_keep_the_strict_csp_and_escape_names(jc: TestClient) -> None:
    hostile = EXAMPLE.replace("name: onprem-h100", "name: '<img src=x onerror=alert(1)>'")
    token = csrf(jc)
    page = jc.post("/editor/yaml", data={"yaml": hostile, "csrf_token": token})
    fragment = jc.post("/results/how-sure", data={"yaml": hostile, "samples": "200", "csrf_token": token})
    job_id = fragment.text.split('hx-get="/results/jobs/')[1].split('"')[0]
    _wait(jc, job_id)
    done = jc.get(f"/results/jobs/{job_id}")
    assert 'id="uncertainty"' in done.text
    for r in (page, fragment, done):
        assert "script-src 'self'" in r.headers["content-security-policy"]
        assert "<img src=x" not in r.text
        assert r is fragment or "&lt;img src=x onerror=alert(1)&gt;" in r.text  # the start fragment names no option
        tags = _tags(r.text)
        assert all("src" in attrs for tag, attrs in tags if tag == "script")  # no inline script
        assert not [a for _, attrs in tags for a in attrs if a.startswith("on")]  # no inline event handler
        assert not [t for t, _ in tags if t == "img"]  # the hostile name made no element


@sqlite_only
def test_job_api_is_in_the_openapi_document(jc: TestClient) -> None:
    paths = jc.get("/openapi.json").json()["paths"]
    assert "post" in paths["/api/v1/jobs"] and "get" in paths["/api/v1/jobs/{job_id}"]
    assert "post" in paths["/api/v1/jobs/{job_id}/cancel"]
