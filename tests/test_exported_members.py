"""The public API is what ``llmtco.__all__`` lists, and nothing else public lives in the package root
(after httpx's tests/test_exported_members.py). Subpackages (``llmtco.engine``, ``llmtco.report``, ...)
are attributes of the root once imported; they are namespaces, not names of the API, so the check
covers every public *non-module* name."""

import subprocess
import sys
import types

import llmtco


def test_all_lists_exactly_the_public_names() -> None:
    public = {
        name
        for name, value in vars(llmtco).items()
        if not isinstance(value, types.ModuleType) and (not name.startswith("_") or name == "__version__")
    }
    assert sorted(llmtco.__all__) == sorted(public)


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
        "compare",
        "evaluate",
        "load_catalog",
        "load_scenario",
        "parse_scenario_text",
    }


def test_importing_the_root_loads_no_web_or_report_stack() -> None:
    """``import llmtco`` for a notebook must not pull in the web app, the charts or the CLI."""
    code = (
        "import sys, llmtco; "
        "print(','.join(m for m in ('fastapi', 'altair', 'typer', 'sqlalchemy', 'llmtco.web', 'llmtco.cli') "
        "if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == ""
