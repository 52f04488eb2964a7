"""REST API and pages through the ASGI client, on SQLite and on a real PostgreSQL server."""

from __future__ import annotations

import json
import re

import pytest
from fastapi.testclient import TestClient

from llmtco.result import SCHEMA_VERSION
from tests.web.conftest import EXAMPLE, csrf

YAML = {"content-type": "application/yaml"}
JSON = {"content-type": "application/json"}


def test_evaluate_yaml_and_json_match_breakdown(client: TestClient) -> None:
    r = client.post("/api/v1/evaluate", content=EXAMPLE, headers=YAML)
    assert r.status_code == 200
    doc = r.json()
    assert doc["schema_version"] == SCHEMA_VERSION == "2.1" and {o["name"] for o in doc["options"]} >= {"onprem-h100"}
    from ruamel.yaml import YAML as Y

    data = Y(typ="safe").load(EXAMPLE)
    data["assumptions"]["start_date"] = str(data["assumptions"]["start_date"])
    r2 = client.post("/api/v1/evaluate", content=json.dumps(data), headers=JSON)
    assert r2.status_code == 200
    a = {o["name"]: o["total_cost_usd"] for o in doc["options"]}
    b = {o["name"]: o["total_cost_usd"] for o in r2.json()["options"]}
    assert a == pytest.approx(b)


def test_scenario_crud_and_versions(client: TestClient) -> None:
    r = client.post("/api/v1/scenarios", content=json.dumps({"name": "chat", "document": EXAMPLE}), headers=JSON)
    assert r.status_code == 201
    sid = r.json()["id"]
    v2 = client.post(f"/api/v1/scenarios/{sid}/versions", content=EXAMPLE.replace("200000", "250000"), headers=YAML)
    assert v2.status_code == 201 and v2.json()["number"] == 2
    same = client.post(f"/api/v1/scenarios/{sid}/versions", content=EXAMPLE.replace("200000", "250000"), headers=YAML)
    assert same.json()["number"] == 2  # unchanged content: no new version
    versions = client.get(f"/api/v1/scenarios/{sid}/versions").json()
    assert [v["number"] for v in versions] == [1, 2] and versions[0]["content_hash"] != versions[1]["content_hash"]
    assert "250000" in client.get(f"/api/v1/scenarios/{sid}").json()["document"]
    assert client.get(f"/api/v1/scenarios/{sid}/versions/1").json()["document"] == EXAMPLE
    assert (
        client.patch(f"/api/v1/scenarios/{sid}", content=json.dumps({"name": "renamed"}), headers=JSON).json()["name"]
        == "renamed"
    )
    dup = client.post(f"/api/v1/scenarios/{sid}/duplicate")
    assert dup.status_code == 201 and dup.json()["id"] != sid
    assert client.get(f"/api/v1/scenarios/{sid}/evaluate").status_code == 200
    assert client.delete(f"/api/v1/scenarios/{sid}").status_code == 204
    assert client.get(f"/api/v1/scenarios/{sid}").status_code == 404
    assert client.post(f"/api/v1/scenarios/{sid}/restore").status_code == 200
    assert len(client.get(f"/api/v1/scenarios/{sid}/versions").json()) == 2  # nothing lost by delete/undo


def test_catalog_api(client: TestClient) -> None:
    rows = client.get("/api/v1/catalog/accelerators").json()
    assert any(r["id"] == "h100-sxm" and r["source"] and r["as_of"] for r in rows)
    assert client.get("/api/v1/catalog/servers/hgx-h100-8").json()["price_usd"] == 255237
    assert client.get("/api/v1/catalog/servers/nope").status_code == 404
    bad = client.get("/api/v1/catalog/gpus")
    assert bad.status_code == 422 and "allowed" in bad.json()["detail"][0]["message"]


BAD_BODIES = [
    ("malformed JSON", b"{not json", JSON),
    ("wrong type", json.dumps({"workloads": "many", "options": 3}).encode(), JSON),
    ("unknown catalog key", EXAMPLE.replace("hgx-h100-8", "hgx-h100-9").encode(), YAML),
    ("YAML syntax", b"workloads: [\n", YAML),
    ("form post", b"a=1", {"content-type": "application/x-www-form-urlencoded"}),
    ("not UTF-8", b"\xff\xfe\x00", YAML),
    (
        "hostile strings",
        EXAMPLE.replace("name: onprem-h100", "name: '<script>alert(1)</script>'")
        .replace("model: llama-3.3-70b", 'model: "\'; DROP TABLE scenarios; --"')
        .encode(),
        YAML,
    ),
]


@pytest.mark.parametrize("endpoint", ["/api/v1/evaluate", "/api/v1/scenarios", "/api/v1/scenarios/{sid}/versions"])
@pytest.mark.parametrize(("label", "body", "headers"), BAD_BODIES, ids=[b[0] for b in BAD_BODIES])
def test_bad_input_is_422_with_field_paths(
    client: TestClient, endpoint: str, label: str, body: bytes, headers: dict[str, str]
) -> None:
    sid = client.post("/api/v1/scenarios", content=EXAMPLE, headers=YAML).json()["id"]
    r = client.post(endpoint.format(sid=sid), content=body, headers=headers)
    if label == "form post" and endpoint != "/api/v1/evaluate":  # a form could come from any site: no proof
        assert r.status_code == 403, r.text
        assert client.get(f"/api/v1/scenarios/{sid}/versions").json()[-1]["number"] == 1
        return
    assert r.status_code == 422, r.text
    detail = r.json()["detail"]
    assert isinstance(detail, list) and detail and "message" in detail[0] and "Traceback" not in r.text
    if label == "unknown catalog key":
        assert detail[0]["path"] == "options.0.server" and "Did you mean" in detail[0]["message"]
    if label == "hostile strings":
        assert any("model" in d["path"] for d in detail)
    assert client.get(f"/api/v1/scenarios/{sid}/versions").json()[-1]["number"] == 1  # nothing saved


def test_huge_payload_is_413(client: TestClient) -> None:
    big = b"x" * 1_200_000
    for endpoint in ("/api/v1/evaluate", "/api/v1/scenarios", "/editor/yaml"):
        assert client.post(endpoint, content=big, headers=YAML).status_code == 413


def test_unknown_ids_are_404(client: TestClient) -> None:
    for method, path in (
        ("get", "/api/v1/scenarios/999"),
        ("get", "/api/v1/scenarios/999/versions"),
        ("delete", "/api/v1/scenarios/999"),
        ("get", "/api/v1/scenarios/999/versions/1"),
        ("get", "/scenarios/999"),
    ):
        assert getattr(client, method)(path).status_code == 404
    r = client.patch("/api/v1/scenarios/1", content=json.dumps({"name": ""}), headers=JSON)
    assert r.status_code in (404, 422)


def test_pages_need_csrf_and_escape_hostile_names(client: TestClient) -> None:
    token = csrf(client)
    assert client.post("/scenarios", data={"yaml": EXAMPLE, "name": "x"}).status_code == 403
    assert client.post("/scenarios", data={"yaml": EXAMPLE, "name": "x", "csrf_token": "forged"}).status_code == 403
    r = client.post(
        "/scenarios",
        data={"yaml": EXAMPLE, "name": "<script>alert(1)</script>", "csrf_token": token},
        follow_redirects=False,
    )
    assert r.status_code == 303
    page = client.get("/scenarios").text
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "script-src 'self'" in client.get("/").headers["content-security-policy"]


def test_editor_form_updates_yaml_and_results(client: TestClient) -> None:
    token = csrf(client)
    totals = []
    for price in ("0.30", "0.05"):
        r = client.post(
            "/editor/form", data={"csrf_token": token, "yaml": EXAMPLE, "f:options.0.electricity_usd_per_kwh": price}
        )
        assert r.status_code == 200
        assert f"electricity_usd_per_kwh: {price.rstrip('0')}" in r.text or price in r.text
        totals.append(re.findall(r'data-option="onprem-h100" class="total">([^<]*)<', r.text)[0])
    assert totals[0] != totals[1]
    bad = client.post("/editor/yaml", data={"csrf_token": token, "yaml": EXAMPLE.replace("llama-3.3-70b", "llama-9")})
    assert "workloads.0.model" in bad.text and "Did you mean" in bad.text


def test_history_diff_and_compare_pages(client: TestClient) -> None:
    token = csrf(client)
    client.post("/scenarios", data={"yaml": EXAMPLE, "name": "a", "csrf_token": token})
    client.post("/scenarios/1/save", data={"yaml": EXAMPLE.replace("200000", "260000"), "csrf_token": token})
    page = client.get("/scenarios/1/history?a=1&b=2").text
    assert "requests_per_day: 260000" in page and "Cost change" in page
    client.post("/scenarios/1/duplicate", data={"csrf_token": token})
    assert "Compare" in client.get("/compare?a=1&b=2").text
    assert "h100-sxm" in client.get("/catalog?kind=accelerators").text
