"""Golden files for every output format. Regenerate after an intended change with
LLMTCO_UPDATE_GOLDEN=1 pytest tests/report, and review the diff."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from llmtco import evaluate, parse_scenario_text
from llmtco.report import RENDERERS
from tests.conftest import MINIMAL

GOLDEN = Path(__file__).parent / "golden"


def _render(fmt: str) -> str:
    sc, cat = parse_scenario_text(MINIMAL)
    result = evaluate(sc, cat)
    text = RENDERERS[fmt](result)
    if fmt == "json":  # the timestamp is the only non-deterministic field
        doc = json.loads(text)
        doc["metadata"]["generated_at"] = "<generated_at>"
        text = json.dumps(doc, indent=2) + "\n"
    return text


@pytest.mark.parametrize("fmt", sorted(RENDERERS))
def test_golden(fmt: str) -> None:
    path = GOLDEN / f"minimal.{fmt}"
    text = _render(fmt)
    if os.environ.get("LLMTCO_UPDATE_GOLDEN"):
        path.write_text(text, encoding="utf-8")
    assert path.exists(), f"missing golden file {path}; run with LLMTCO_UPDATE_GOLDEN=1 to create it"
    assert text == path.read_text(encoding="utf-8")


def test_table_renders_user_strings_literally() -> None:
    sc, cat = parse_scenario_text(MINIMAL.replace("name: onprem,", 'name: "[bold]x[/bold] <script>",'))
    text = RENDERERS["table"](evaluate(sc, cat))
    assert "[bold]x[/bold] <script>" in text
