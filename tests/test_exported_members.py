import llmtco


def test_public_api_is_curated() -> None:
    assert set(llmtco.__all__) == {
        "Catalog",
        "CatalogError",
        "GateFailed",
        "InfeasibleError",
        "LlmtcoError",
        "Result",
        "Scenario",
        "ScenarioError",
        "__version__",
        "evaluate",
        "load_catalog",
        "load_scenario",
        "parse_scenario_text",
    }
    for name in llmtco.__all__:
        assert hasattr(llmtco, name)
