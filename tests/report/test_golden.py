"""Golden files for every output format. Regenerate after an intended change with
LLMTCO_UPDATE_GOLDEN=1 pytest tests/report, and review the diff. Numbers compare with a
relative tolerance and versions and timestamps are normalised (tests/golden.py)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from llmtco import compare, evaluate, parse_scenario_text
from llmtco.report import RENDERERS
from tests.conftest import MINIMAL
from tests.golden import assert_matches_golden, json_differences, normalise_json

GOLDEN = Path(__file__).parent / "golden"


def _render(fmt: str) -> str:
    sc, cat = parse_scenario_text(MINIMAL)
    result = compare(sc, cat)
    return RENDERERS[fmt](result)


@pytest.mark.parametrize("fmt", sorted(RENDERERS))
def test_golden(fmt: str) -> None:
    assert_matches_golden(GOLDEN / f"minimal.{fmt}", fmt, _render(fmt))


def test_json_golden_tolerates_last_digit_and_versions() -> None:
    """The comparison that makes the suite pass on any CPU: last-bit float noise and version strings
    are not differences, a real change in a number is."""
    doc = {"metadata": {"genai_prices_version": "0.2.3", "tool_version": "0.1.0"}, "x": 479.12675767483483}
    other = {"metadata": {"genai_prices_version": "0.2.9", "tool_version": "0.2.0"}, "x": 479.1267576748347}
    assert json_differences(normalise_json(doc), normalise_json(other)) == []
    changed = {**other, "x": 479.13}
    assert json_differences(normalise_json(doc), normalise_json(changed)) == ["$.x: 479.12675767483483 != 479.13"]


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
