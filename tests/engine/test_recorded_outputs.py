"""Every example and the benchmark scenario give the recorded `breakdown -f json` document: a refactor must
not change a number (relative tolerance 1e-9, versions and timestamps normalised). The files were recorded
before the engine was split into a package (issue 11) and re-recorded only for intended changes of
behaviour, each named in its commit (line items' quantities, the two-layer serving model, wider layouts).
Regenerate with LLMTCO_UPDATE_GOLDEN=1 only for such a change."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from llmtco.cli import app
from tests.conftest import ROOT
from tests.golden import assert_matches_golden

RECORDED = Path(__file__).parent / "recorded"
SCENARIOS = [*sorted((ROOT / "examples").glob("*.yaml")), ROOT / "benchmarks" / "scenario-4-options.yaml"]


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_breakdown_json_is_unchanged(path: Path) -> None:
    out = CliRunner().invoke(app, ["breakdown", str(path), "-f", "json"])
    assert out.exit_code == 0, out.output
    assert_matches_golden(RECORDED / f"{path.stem}.json", "json", out.stdout)
