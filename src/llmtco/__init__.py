"""llmtco: itemised total cost of ownership for LLM inference.

Public API::

    from llmtco import load_scenario, evaluate
    scenario, catalog = load_scenario("examples/chat-assistant-70b.yaml")
    result = evaluate(scenario, catalog)       # every option costed, excluded ones with the reason
    result.option("onprem-h100").total_cost_usd
    compare(scenario, catalog)                 # the same plus break-even volumes (what `breakdown` shows)
"""

from llmtco._version import __version__
from llmtco.analysis.breakeven import compare
from llmtco.catalog import Catalog, load_catalog
from llmtco.engine import evaluate
from llmtco.errors import (
    CatalogError,
    GateFailed,
    InfeasibleError,
    LlmtcoError,
    ScenarioError,
)
from llmtco.result import Result
from llmtco.scenario import Scenario, load_scenario, parse_scenario_text

__all__ = [
    "Catalog",
    "CatalogError",
    "GateFailed",
    "InfeasibleError",
    "LlmtcoError",
    "Result",
    "Scenario",
    "ScenarioError",
    "__version__",
    "compare",
    "evaluate",
    "load_catalog",
    "load_scenario",
    "parse_scenario_text",
]
