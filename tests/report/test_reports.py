"""HTML report in a real browser, the xlsx read back, Markdown size, diff and cost gates."""

from __future__ import annotations

import io
import json
import os
import shutil
from pathlib import Path

import pytest

from llmtco import evaluate, load_scenario, parse_scenario_text
from llmtco.cli import main
from llmtco.report import render_html, render_markdown, render_xlsx
from tests.conftest import EXAMPLES, MINIMAL, ROOT

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="module")
def result():  # type: ignore[no-untyped-def]
    sc, cat = load_scenario(ROOT / "examples" / "chat-assistant-70b.yaml")
    return evaluate(sc, cat)


def test_html_report_renders_in_chromium(result, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    if CHROMIUM is None:
        if os.environ.get("LLMTCO_REQUIRE_BROWSER"):
            pytest.fail("chromium is required (LLMTCO_REQUIRE_BROWSER is set) but not installed")
        pytest.skip("Debian's chromium is not installed (make test installs it when run as root)")
    sync_api = pytest.importorskip("playwright.sync_api")
    from llmtco.analysis.montecarlo import simulate
    from llmtco.analysis.sensitivity import tornado

    sc, cat = load_scenario(ROOT / "examples" / "chat-assistant-70b.yaml")
    html = render_html(result, simulate(sc, cat, samples=500, seed=0), tornado(sc, cat))
    # self-contained: nothing is fetched (no scripts, stylesheets, images or fonts from anywhere)
    for needle in ("<script", "<link", "src=", "@import", "url("):
        assert needle not in html, needle
    page_file = tmp_path / "report.html"
    page_file.write_text(html, encoding="utf-8")
    artifacts = ROOT / "artifacts"
    artifacts.mkdir(exist_ok=True)
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1200, "height": 900})
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(page_file.as_uri())
        for chart in ("cumulative", "breakdown", "per_mtok", "energy", "distribution", "tornado"):
            marks = page.locator(f"#chart-{chart} svg path, #chart-{chart} svg rect, #chart-{chart} svg line").count()
            assert marks > 5, chart
            box = page.locator(f"#chart-{chart} svg").first.bounding_box()
            assert box is not None and box["width"] > 100 and box["height"] > 50
        assert page.locator("#comparison tbody tr").count() > 10
        assert page.locator("#assumptions tbody tr").count() > 50
        assert "Recommendation" in page.inner_text("#recommendation")
        page.screenshot(path=str(artifacts / "report.png"), full_page=True)
        browser.close()
    assert errors == []
    assert (artifacts / "report.png").stat().st_size > 10_000


def test_html_escapes_hostile_names() -> None:
    sc, cat = parse_scenario_text(MINIMAL.replace("name: minimal", 'name: "<script>alert(1)</script>"'))
    html = render_html(evaluate(sc, cat))
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_xlsx_totals_match_json(result) -> None:  # type: ignore[no-untyped-def]
    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(render_xlsx(result)))
    assert {"Summary", "Inputs"} <= set(wb.sheetnames)
    doc = result.to_dict()
    rows = {r[0]: r for r in wb["Summary"].iter_rows(min_row=5, values_only=True)}
    for o in doc["options"]:
        assert rows[o["name"]][4] == pytest.approx(o["total_cost_usd"])
        assert isinstance(rows[o["name"]][4], float)  # numbers stay numbers
        ws = wb[o["name"][:28]]
        monthly = sum(
            v
            for row in ws.iter_rows(min_row=2, max_row=ws.max_row - 1, min_col=8, values_only=True)
            for v in row
            if isinstance(v, int | float)
        )
        assert monthly == pytest.approx(o["total_cost_usd"])
        assert ws.cell(row=2, column=8).number_format.startswith('"$"')
    assert wb["Inputs"].max_row > 50


def test_markdown_is_compact_and_escaped(result) -> None:  # type: ignore[no-untyped-def]
    text = render_markdown(result)
    assert len(text) < 65_000 and "| Total |" in text
    sc, cat = parse_scenario_text(MINIMAL.replace("name: onprem,", 'name: "a|b<img>",'))
    assert "a\\|b&lt;img&gt;" in render_markdown(evaluate(sc, cat))


def test_report_command_writes_each_format(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    example = str(EXAMPLES[0])
    for name in ("r.html", "r.md", "r.xlsx"):
        assert main(["report", example, "-o", str(tmp_path / name)]) == 0, capsys.readouterr().err
        assert (tmp_path / name).stat().st_size > 500
    assert main(["breakdown", example, "-f", "xlsx"]) == 2  # binary output needs -o


def test_diff_and_gates(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    base = ROOT / "examples" / "chat-assistant-70b.yaml"
    head = tmp_path / "head.yaml"
    head.write_text(base.read_text().replace("requests_per_day: 200000", "requests_per_day: 260000"))
    assert main(["diff", str(base), str(head), "-f", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["inputs"] == [{"path": "workloads[chat].requests_per_day", "base": 200000, "head": 260000}]
    totals = {c["option"]: c for c in doc["costs"] if c["item"] == "total"}
    assert totals["together-llama-70b"]["delta_pct"] == pytest.approx(
        (totals["together-llama-70b"]["head_usd"] / totals["together-llama-70b"]["base_usd"] - 1) * 100
    )
    assert main(["diff", str(base), str(head), "--fail-on-increase", "10"]) == 3
    assert "gate failed" in capsys.readouterr().err
    assert main(["diff", str(base), str(head), "--fail-on-increase", "10", "--soft-fail"]) == 0
    assert main(["diff", str(base), str(head), "--fail-on-increase", "50"]) == 0
    # saved JSON results diff the same way
    for side, path in (("b", base), ("h", head)):
        assert main(["breakdown", str(path), "-f", "json", "-o", str(tmp_path / f"{side}.json")]) == 0
    assert main(["diff", str(tmp_path / "b.json"), str(tmp_path / "h.json"), "-f", "markdown"]) == 0
    assert "| together-llama-70b |" in capsys.readouterr().out
    assert main(["breakdown", str(base), "--fail-above", "1e6", "--option", "together-llama-70b"]) == 0
    assert main(["breakdown", str(base), "--fail-above", "1e6", "--option", "onprem-h100"]) == 3
