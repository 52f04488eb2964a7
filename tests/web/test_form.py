"""The editor form generated from the schema: every leaf field has a control, values round-trip, bad values explain."""

from __future__ import annotations

import io
import re
import types
import typing
from typing import Any, Union, get_args, get_origin

import pytest
from fastapi.testclient import TestClient
from pydantic import BaseModel

from llmtco.catalog import load_catalog
from llmtco.scenario.loader import parse_scenario_text
from llmtco.scenario.schema import Scenario
from llmtco.web.deps import round_trip_yaml
from llmtco.web.form import build_form, controls
from llmtco.web.form_apply import apply_form
from tests.web.conftest import EXAMPLE, ROOT, csrf

CATALOG = load_catalog([])

EVERY_KIND = """# every workload and option kind, so that every model of the schema is in the form
name: every kind
workloads:
  - name: chat
    model: llama-3.1-8b
    requests_per_day: 10000
  - name: tune
    kind: finetune
    model: llama-3.1-8b
    tokens_per_run: 100000000
options:
  - {name: own, kind: onprem, server: hgx-h100-8}
  - {name: rent, kind: cloud_gpu, instance: lambda-8x-h100-sxm}
  - {name: pay, kind: api, offering: together-llama-3.1-8b}
  - name: mix-a
    kind: hybrid
    base: {name: b, kind: onprem, server: hgx-h100-8}
    overflow: {name: o, kind: cloud_gpu, instance: lambda-8x-h100-sxm}
  - name: mix-b
    kind: hybrid
    base: {name: b, kind: cloud_gpu, instance: lambda-8x-h100-sxm, pricing: reserved_1y}
    overflow: {name: o, kind: api, offering: together-llama-3.1-8b}
"""


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    """Every pydantic model an annotation can hold (through Optional, unions, lists, Annotated)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    origin = get_origin(annotation)
    if origin is typing.Annotated:
        return _models_in(get_args(annotation)[0])
    if origin in (Union, types.UnionType, list, tuple, dict):
        return [m for a in get_args(annotation) for m in _models_in(a)]
    return []


def schema_leaves(model: type[BaseModel] = Scenario) -> set[tuple[str, str]]:
    """(model, field) of every leaf field of the schema: fields that hold no sub-model."""
    leaves: set[tuple[str, str]] = set()
    seen: set[type[BaseModel]] = set()
    todo = [model]
    while todo:
        m = todo.pop()
        if m in seen:
            continue
        seen.add(m)
        for name, info in m.model_fields.items():
            subs = _models_in(info.annotation)
            if subs:
                todo.extend(subs)
            else:
                leaves.add((m.__name__, name))
    return leaves


def _doc(text: str) -> Any:
    return round_trip_yaml().load(text)


def test_every_schema_leaf_field_has_a_form_control() -> None:
    leaves = schema_leaves()
    assert len(leaves) > 100  # the walk reached the nested models
    form = build_form(_doc(EVERY_KIND), CATALOG)
    assert form is not None
    covered = {(c.owner, c.name) for c in controls(form)}
    assert leaves - covered == set(), "schema fields with no form control"


def test_every_control_is_rendered_with_its_label_help_and_allowed_values(client: TestClient) -> None:
    token = csrf(client)
    page = client.post("/editor/yaml", data={"csrf_token": token, "yaml": EVERY_KIND}).text
    form = build_form(_doc(EVERY_KIND), CATALOG)
    assert form is not None
    for c in controls(form):
        assert f'id="{c.id}"' in page, c.path
        if c.kind not in ("fixed", "addrate"):
            assert f'<label for="{c.id}">' in page, c.path
    assert "Planning horizon [months]. Allowed: a whole number, 1 to 180. Default: 36." in page
    assert 'name="f:options.3.base.server"' in page and 'name="f:options.4.overflow.offering"' in page


def test_submitting_the_form_unchanged_keeps_the_yaml_byte_for_byte() -> None:
    form = build_form(_doc(EXAMPLE), CATALOG)
    assert form is not None
    sent = {f"f:{c.path}": c.value for c in controls(form) if c.kind not in ("fixed", "addrate")}
    done = apply_form(EXAMPLE, sent, CATALOG)
    assert done.error is None and done.errors == {}
    assert done.text == EXAMPLE


EDITS = {
    "assumptions.horizon_months": "48",  # integer
    "assumptions.start_date": "2028-03-01",  # date
    "assumptions.currency": "EUR",  # select
    "workloads.0.growth_pct_per_year": "12.5",  # number
    "workloads.0.slo.percentile": "p90",  # nested select
    "workloads.0.hourly_profile": ", ".join(["1"] * 12 + ["3"] * 12),  # numbers
    "workloads.0.input_length.histogram": "[[1000, 1], [3000, 2]]",  # YAML flow
    "options.0.staffing.fte_base": "1.5",  # a sub-model created on the way
    "options.0.financing.rate_pct_per_year": "6",
    "options.0.certifications": "gdpr, iso27001",  # labels
    "options.1.autoscaling": "false",  # bool
    "constraints.air_gapped": "false",
    "uncertainty.catalog_ranges": "false",
    "options.0.electricity_usd_per_kwh": "{p10: 0.07, p90: 0.15}",  # a distribution
}


def test_form_to_yaml_to_form_keeps_the_values_and_the_comments() -> None:
    text = EXAMPLE.replace("    input_tokens: 2000\n", "")  # a histogram sets input_tokens
    done = apply_form(text, {f"f:{k}": v for k, v in EDITS.items()}, CATALOG)
    assert done.errors == {} and done.error is None
    assert "# Compares owning 8x H100 servers in colocation" in done.text  # comments kept
    form = build_form(_doc(done.text), CATALOG)
    assert form is not None
    shown = {c.path: c.value for c in controls(form)}
    for path, value in EDITS.items():
        assert shown[path].replace(" ", "") == value.replace(" ", ""), path
    sc, _ = parse_scenario_text(done.text, allow_paths=False)  # and the scenario is valid
    assert sc.assumptions.currency == "EUR" and sc.options[0].staffing.fte_base == 1.5
    assert sc.workloads[0].input_tokens == pytest.approx((1000 + 2 * 3000) / 3)
    # clearing a field removes its key, and a sub-model left empty goes with it
    cleared = apply_form(done.text, {"f:options.0.staffing.fte_base": ""}, CATALOG)
    assert "staffing" not in cleared.text and "fte_base" not in cleared.text


BAD = [
    ("assumptions.horizon_months", "999", "allowed: a whole number, 1 to 180"),
    ("assumptions.horizon_months", "12.5", "not a whole number; allowed: a whole number, 1 to 180"),
    ("workloads.0.requests_per_day", "abc", "'abc' is not a number; allowed: 0.001 to 1e10"),
    ("workloads.0.requests_per_day", "nan", "not a finite number"),
    ("workloads.0.slo.tpot_ms", "0", "allowed: 0 (exclusive) to 60000"),
    ("workloads.0.precision", "fp3", "allowed: bf16, fp16, fp8, int8, fp4, mxfp4, int4"),
    ("options.1.autoscaling", "yes", "allowed: true, false"),
    ("assumptions.start_date", "2027-13-01", "allowed: a date YYYY-MM-DD from 2000-01-01 to 2100-01-01"),
    ("workloads.0.name", "", "required"),
    ("options.0.rates.maintenance_pct_per_year", "300", "allowed: 0 to 100"),
]


@pytest.mark.parametrize(("path", "value", "message"), BAD, ids=[f"{p}={v}" for p, v, _ in BAD])
def test_bad_values_are_refused_with_a_message_naming_the_field_and_allowed_values(
    path: str, value: str, message: str
) -> None:
    rates = "    facility: colocation\n    rates: {maintenance_pct_per_year: 12}\n"
    text = EXAMPLE.replace("    facility: colocation\n", rates)
    done = apply_form(text, {f"f:{path}": value}, CATALOG)
    assert message in done.errors[path]
    assert done.text == text  # nothing written
    assert done.error is not None and path in done.error


def test_the_message_is_shown_beside_the_field(client: TestClient) -> None:
    token = csrf(client)
    r = client.post("/editor/form", data={"csrf_token": token, "yaml": EXAMPLE, "f:assumptions.horizon_months": "999"})
    error = re.search(r'<span class="error" id="f-assumptions-horizon_months-error"[^>]*>([^<]*)<', r.text)
    assert error and "allowed: a whole number, 1 to 180" in error.group(1)
    assert re.search(r'id="f-assumptions-horizon_months" value="999"', r.text)  # the typed text stays in the field
    # a schema error from the YAML side is shown beside its field too, with the allowed values
    r = client.post(
        "/editor/yaml", data={"csrf_token": token, "yaml": EXAMPLE.replace("pricing: on_demand", "pricing: daily", 1)}
    )
    error = re.search(r'<span class="error" id="f-options-1-pricing-error"[^>]*>([^<]*)<', r.text)
    assert error and "on_demand, reserved_1y, reserved_3y, spot" in error.group(1)


@pytest.mark.parametrize("kind", ["inference", "finetune", "onprem", "cloud_gpu", "api", "hybrid"])
def test_entries_of_every_kind_can_be_added_and_removed(kind: str) -> None:
    done = apply_form(EXAMPLE, {"action": f"add:{kind}"}, CATALOG)
    assert done.error is None
    sc, _ = parse_scenario_text(done.text, allow_paths=False)  # the new entry is a valid one
    key = "workloads" if kind in ("inference", "finetune") else "options"
    entries = getattr(sc, key)
    assert entries[-1].kind == kind and entries[-1].name == f"{kind}-{len(entries)}"
    removed = apply_form(done.text, {"action": f"remove:{key}.{len(entries) - 1}"}, CATALOG)
    assert _plain(removed.text) == _plain(EXAMPLE)


def _plain(text: str) -> Any:
    buf = io.StringIO()
    round_trip_yaml().dump(_doc(text), buf)
    return round_trip_yaml().load(buf.getvalue())


def test_catalog_search_shows_specs_and_price_and_explains_a_bad_kind(client: TestClient) -> None:
    r = client.get("/catalog/search", params={"kind": "accelerator", "q": "h1", "target": "f-options-0-accelerator"})
    assert r.status_code == 200
    assert 'data-value="h100-sxm"' in r.text and "80 GB HBM, 3.35 TB/s" in r.text and "USD per GPU" in r.text
    assert 'data-target="f-options-0-accelerator"' in r.text
    r = client.get("/catalog/search", params={"kind": "cloud_instances", "q": "aws h100"})
    assert "USD/GPU-h" in r.text and 'data-value="aws-p5-48xlarge-us-east-1"' in r.text
    r = client.get("/catalog/search", params={"kind": "servers", "q": "h1", "target": '"><script>'})
    assert 'data-target=""' in r.text  # a target that is not a field id is dropped
    r = client.get("/catalog/search", params={"kind": "gpus", "q": "x"})
    assert r.status_code == 422 and "allowed: accelerators, servers" in r.json()["detail"][0]["message"]


def test_axe_core_is_vendored_with_its_licence_and_version() -> None:
    vendor = ROOT / "tests" / "web" / "vendor"
    assert (vendor / "axe.min.js").read_text(encoding="utf-8").startswith("/*! axe v4.14.1")
    assert "Mozilla Public License" in (vendor / "axe-core-LICENSE.txt").read_text(encoding="utf-8")
    assert "axe-core@4.14.1" in (vendor / "README.md").read_text(encoding="utf-8")
