"""Command-line wiring of llmtco actuals: usage errors, workload mapping, the golden table."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from llmtco.cli import main
from tests.conftest import ROOT

GOLDEN = Path(__file__).parent / "golden"
EXPORT = "examples/actuals/telemetry-export.json.gz"


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


BASE = ["actuals", "examples/actuals/scenario.yaml", "--option", "onprem-h100"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--from", "2026-9-1", "--to", "2026-10-31", "--export", EXPORT], "--from: '2026-9-1' is not a date"),
        (["--from", "2026-10-01", "--to", "2026-09-30", "--export", EXPORT], "--to 2026-09-30 is before --from"),
        (["--from", "2026-09-01", "--to", "2026-10-31"], "give at least one source"),
        (
            ["--from", "2026-09-01", "--to", "2026-10-31", "--export", "nope.json"],
            "--export: file 'nope.json' not found",
        ),
        (["--from", "2026-09-01", "--to", "2026-10-31", "--export", EXPORT, "--step", "1w"], "--step: '1w' is not"),
        (
            ["--from", "2026-09-01", "--to", "2026-10-31", "--export", EXPORT, "--serving-selector", "model_name=x"],
            "--serving-selector: cannot read label matcher at 'model_name=x': write label=\"value\"",
        ),
        (
            ["--from", "2026-09-01", "--to", "2026-10-31", "--prometheus", "http://127.0.0.1:9", "--export", EXPORT],
            "give --prometheus or --export, not both",
        ),
    ],
)
def test_usage_errors_name_the_flag(
    args: list[str], message: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(ROOT)
    code, _, err = run(capsys, *BASE, *args)
    assert code == 2
    assert message in err and "Traceback" not in err


def test_an_unknown_option_lists_the_options(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(ROOT)
    code, _, err = run(
        capsys, "actuals", "examples/actuals/scenario.yaml", "--option", "onprem-h10",
        "--from", "2026-09-01", "--to", "2026-10-31", "--export", EXPORT,
    )  # fmt: skip
    assert code == 2 and "no option 'onprem-h10'" in err and "Did you mean 'onprem-h100'?" in err


def two_workloads(tmp_path: Path) -> Path:
    text = (ROOT / "examples/actuals/scenario.yaml").read_text()
    extra = """  - name: summaries
    model: llama-3.1-8b
    precision: fp8
    requests_per_day: 5000
    input_tokens: 3000
    output_tokens: 200
options:"""
    path = tmp_path / "two.yaml"
    path.write_text(text.replace("options:", extra, 1))
    return path


def test_series_map_to_workloads_by_label(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    sc = two_workloads(tmp_path)
    args = ["actuals", str(sc), "--option", "onprem-h100", "--from", "2026-09-01", "--to", "2026-10-31"]
    code, out, err = run(capsys, *args, "--export", str(ROOT / EXPORT), "-f", "json")
    assert code == 2
    assert "model_name meta-llama/Llama-3.3-70B-Instruct map to no workload (chat, summaries)" in err
    assert json.loads(out)["months"][0]["actual"]["output_tokens"] is None
    code, out, err = run(
        capsys, *args, "--export", str(ROOT / EXPORT), "--workload", "meta-llama/Llama-3.3-70B-Instruct=chat",
        "-f", "json",
    )  # fmt: skip
    assert code == 0, err
    assert json.loads(out)["months"][0]["actual"]["output_tokens"] > 0


def test_golden_table(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """The table of the committed example; regenerate with LLMTCO_UPDATE_GOLDEN=1 and review the diff."""
    monkeypatch.chdir(ROOT)
    code, out, err = run(
        capsys, *BASE, "--from", "2026-09-01", "--to", "2026-11-30", "--export", EXPORT,
        "--ledger", "examples/actuals/onprem-ledger.csv",
    )  # fmt: skip
    assert code == 0, err
    path = GOLDEN / "actuals-onprem.txt"
    if os.environ.get("LLMTCO_UPDATE_GOLDEN"):
        path.parent.mkdir(exist_ok=True)
        path.write_text(out, encoding="utf-8")
    assert out == path.read_text(encoding="utf-8")
