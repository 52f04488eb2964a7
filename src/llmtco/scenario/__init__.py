"""Scenario files: schema (pydantic) and loading with file:line:col errors."""

from llmtco.scenario.loader import json_schema, load_scenario, parse_scenario, parse_scenario_text
from llmtco.scenario.schema import (
    ApiOption,
    Assumptions,
    CloudGpuOption,
    Constraints,
    InferenceWorkload,
    OnPremOption,
    Scenario,
    Slo,
)

__all__ = [
    "ApiOption",
    "Assumptions",
    "CloudGpuOption",
    "Constraints",
    "InferenceWorkload",
    "OnPremOption",
    "Scenario",
    "Slo",
    "json_schema",
    "load_scenario",
    "parse_scenario",
    "parse_scenario_text",
]
