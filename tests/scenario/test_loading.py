from collections.abc import Callable
from pathlib import Path

import pytest

from llmtco.errors import ScenarioError
from llmtco.scenario import json_schema, load_scenario
from tests.conftest import MINIMAL


def _issues(path: Path) -> str:
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    return str(info.value)


def test_minimal_scenario_loads_with_defaults(write: Callable[..., Path]) -> None:
    sc, cat = load_scenario(write(MINIMAL))
    assert sc.assumptions.discount_rate_pct == 8.0
    assert sc.workloads[0].slo.tpot_ms == 50.0
    assert sc.options[0].redundancy == "n+1"
    assert "hgx-h100-8" in cat.servers


def test_yaml_syntax_error_has_position(write: Callable[..., Path]) -> None:
    p = write("name: x\nworkloads: [\n  - oops\n")
    msg = _issues(p)
    assert msg.startswith(f"{p}:")
    assert "YAML syntax error" in msg


def test_unknown_accelerator_names_field_and_suggests(write: Callable[..., Path]) -> None:
    p = write(MINIMAL.replace("server: hgx-h100-8", "server: hgx-h100-9"))
    msg = _issues(p)
    assert f"{p}:11:42:" in msg
    assert "options.0.server" in msg
    assert "Did you mean 'hgx-h100-8'" in msg


def test_negative_rate_names_field(write: Callable[..., Path]) -> None:
    p = write(MINIMAL.replace("requests_per_day: 100000", "requests_per_day: -5"))
    msg = _issues(p)
    assert "workloads.0.requests_per_day" in msg
    assert f"{p}:7:23:" in msg
    assert "greater than or equal to 0" in msg


def test_typo_in_field_name_suggests(write: Callable[..., Path]) -> None:
    p = write(MINIMAL.replace("output_tokens: 200", "output_tokns: 200"))
    msg = _issues(p)
    assert "workloads.0.output_tokns" in msg
    assert "Did you mean 'output_tokens'" in msg


def test_bad_literal_lists_allowed_values(write: Callable[..., Path]) -> None:
    p = write(MINIMAL.replace("instance: lambda-8x-h100-sxm}", "instance: lambda-8x-h100-sxm, pricing: monthly}"))
    msg = _issues(p)
    assert "options.1.pricing" in msg and "'on_demand'" in msg and "'spot'" in msg


def test_unpublished_pricing_model_is_rejected(write: Callable[..., Path]) -> None:
    p = write(MINIMAL.replace("instance: lambda-8x-h100-sxm}", "instance: lambda-8x-h100-sxm, pricing: spot}"))
    msg = _issues(p)
    assert "options.1.pricing" in msg and "Allowed: on_demand" in msg


def test_unknown_option_kind(write: Callable[..., Path]) -> None:
    p = write(MINIMAL.replace("kind: api", "kind: saas"))
    assert "Allowed: onprem, cloud_gpu, api" in _issues(p)


def test_missing_file() -> None:
    with pytest.raises(ScenarioError, match="file not found"):
        load_scenario("/nonexistent/scenario.yaml")


def test_yaml12_keeps_no_as_string_and_exponent_as_number(write: Callable[..., Path]) -> None:
    text = MINIMAL.replace("requests_per_day: 100000", "requests_per_day: 1e5").replace("name: minimal", "name: NO")
    sc, _ = load_scenario(write(text))
    assert sc.name == "NO"
    assert sc.workloads[0].requests_per_day == 100000


def test_json_schema_describes_fields() -> None:
    schema = json_schema()
    assert "horizon_months" in schema and "requests_per_day" in schema and '"title": "llmtco scenario"' in schema
