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


def test_golden_diff_markdown(tmp_path: Path) -> None:
    from llmtco.report.diff import diff_results, render_diff_markdown, render_diff_table

    sc, cat = parse_scenario_text(MINIMAL)
    sc2, cat2 = parse_scenario_text(MINIMAL.replace("requests_per_day: 100000", "requests_per_day: 150000"))
    base, head = evaluate(sc, cat).to_dict(), evaluate(sc2, cat2).to_dict()
    d = diff_results(base, head, "base.yaml", "head.yaml")
    for name, text in (("diff.md", render_diff_markdown(d)), ("diff.table", render_diff_table(d))):
        path = GOLDEN / f"minimal.{name}"
        if os.environ.get("LLMTCO_UPDATE_GOLDEN"):
            path.write_text(text, encoding="utf-8")
        assert text == path.read_text(encoding="utf-8")
