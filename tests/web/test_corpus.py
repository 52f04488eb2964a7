"""Done-when #2 (API half): mutations of every example posted to /api/v1/evaluate get 200 or 422, never 500."""

from __future__ import annotations

import json
import math
import os

import pytest
from fastapi.testclient import TestClient
from ruamel.yaml import YAML as RuamelYAML

from tests.mutations import mutated_scenarios

LIMIT = int(os.environ.get("LLMTCO_CORPUS_LIMIT", "40"))
"""Cases per example (the whole corpus, about 1,100 cases, with LLMTCO_CORPUS_LIMIT=0)."""


def _finite(value: object) -> bool:
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, dict):
        return all(_finite(v) for v in value.values())
    if isinstance(value, list):
        return all(_finite(v) for v in value)
    return True


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_mutated_examples_get_200_or_422(client: TestClient) -> None:
    counts = {200: 0, 422: 0}
    for case_id, text in mutated_scenarios(LIMIT or None):
        r = client.post("/api/v1/evaluate", content=text, headers={"content-type": "application/yaml"})
        assert r.status_code in (200, 422), (case_id, r.status_code, r.text[:300])
        counts[r.status_code] += 1
        if r.status_code == 200:
            assert _finite(r.json()), case_id
        data = RuamelYAML(typ="safe").load(text)
        body = json.dumps(data, default=str)  # NaN and Infinity become JSON's non-standard tokens: refused
        r = client.post("/api/v1/evaluate", content=body, headers={"content-type": "application/json"})
        assert r.status_code in (200, 422), ("json", case_id, r.status_code, r.text[:300])
        if not _finite(data):
            assert r.status_code == 422, case_id
    assert counts[200] and counts[422]
