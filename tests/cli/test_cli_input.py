"""The CLI with hostile or extreme input: physical limits, clean errors, nothing raw on the terminal."""

from __future__ import annotations

import csv
import io
import json
import math
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from llmtco.cli import main
from llmtco.engine.figures import cheapest_option as cheapest_of
from llmtco.errors import InternalError, ScenarioError
from llmtco.result import OptionResult
from llmtco.scenario import parse_scenario_text
from tests.conftest import MINIMAL

OSC = "\x1b]0;pwned\x07"
"""An escape sequence that retitles the terminal window."""
QUOTE = """\
catalog:
  servers:
    - {id: hgx-h100-8, name: HGX H100, accelerator: h100-sxm, gpus: 8, price_usd: 250000, non_gpu_power_w: 3000,
       rack_units: 8, source: "quote \\e]0;pwned\\a 2026", as_of: 2026-06}
"""
"""An overlay whose source string carries the same escape sequence."""


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def _train(capsys: pytest.CaptureFixture[str], *extra: str) -> tuple[int, dict[str, object] | None, str]:
    args = ["perf", "train", "--model", "llama-3.1-405b", "--accelerator", "h100-sxm", "--method", "full", *extra]
    code, out, err = run(capsys, *args, "--format", "json")
    return code, (json.loads(out) if code == 0 else None), err


@pytest.mark.parametrize("gpus", [16_384, 100_000])
def test_perf_train_takes_real_cluster_sizes(gpus: int, capsys: pytest.CaptureFixture[str]) -> None:
    code, doc, err = _train(capsys, "--gpus", str(gpus), "--tokens-per-run", "15e12")
    assert code == 0, err
    assert doc is not None and doc["gpus"] == gpus and doc["fits"] is True
    _, small, _ = _train(capsys, "--gpus", "1024", "--tokens-per-run", "15e12")
    assert small is not None
    # data parallel: throughput scales with the GPU count, wall time falls with it
    assert doc["tokens_per_s"] == pytest.approx(small["tokens_per_s"] * gpus / 1024)  # type: ignore[operator]
    assert doc["wall_hours_per_run"] < small["wall_hours_per_run"]  # type: ignore[operator]


def test_perf_train_refuses_by_physics_not_by_a_cap(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _train(capsys, "--gpus", "0")
    assert code == 2 and "--gpus" in err
    code, doc, _ = _train(capsys, "--gpus", "1")  # 405B full fine-tuning does not fit one GPU
    assert code == 0 and doc is not None and doc["fits"] is False and "GB" in str(doc["reason"])
    code, doc, _ = _train(capsys, "--gpus", "100000", "--tokens-per-run", "1e6")  # less than one step
    assert code == 0 and doc is not None and doc["fits"] is False
    assert "less than one step" in str(doc["reason"])


def test_errors_end_with_a_newline_and_never_run_together(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", "/nonexistent/a.yaml"]) == 2
    assert main(["breakdown", "/nonexistent/b.yaml"]) == 2
    err = capsys.readouterr().err
    assert err.endswith("\n")
    lines = err.splitlines()
    assert len(lines) == 2 and lines[0].endswith("a.yaml: file not found") and "b.yaml" in lines[1]


def test_control_characters_never_reach_the_terminal(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "validate", str(tmp_path / f"missing{OSC}.yaml"))
    assert code == 2 and "\x1b" not in err and "\\x1b" in err


@pytest.mark.parametrize("fmt", ["table", "markdown", "csv"])
def test_scenario_strings_are_escaped_in_text_output(
    fmt: str, write: Callable[..., Path], capsys: pytest.CaptureFixture[str]
) -> None:
    text = MINIMAL.replace("name: minimal", 'name: "evil\\e]0;pwned\\a\\u202e"') + QUOTE
    code, out, err = run(capsys, "breakdown", str(write(text)), "--format", fmt)
    assert code == 0, err
    for raw in ("\x1b", "\x07", "\u202e"):
        assert raw not in out
    if fmt == "table":
        assert "evil\\x1b]0;pwned\\x07\\u202e" in out
    elif fmt == "markdown":  # Markdown escapes the backslash too, so the reader sees \x1b
        assert "evil\\\\x1b]0;pwned\\\\x07\\\\u202e" in out
    else:  # the overlay's source reaches the CSV's source column
        sources = {row["source"] for row in csv.DictReader(io.StringIO(out)) if row["item"] == "gpu_servers"}
        assert any("quote \\x1b]0;pwned\\x07 2026" in source for source in sources), sources


def _option(name: str, total: float | None, excluded: bool = False) -> OptionResult:
    return OptionResult(name=name, kind="api", excluded=excluded, total_cost_usd=total)


def test_ranking_refuses_a_non_finite_total() -> None:
    assert cheapest_of([_option("a", 2.0), _option("b", 1.0), _option("c", None, excluded=True)]) == "b"
    assert cheapest_of([_option("c", None, excluded=True)]) is None
    for bad in (math.nan, math.inf, -math.inf, None):
        with pytest.raises(InternalError, match=r"'b'.*not a finite number"):
            cheapest_of([_option("a", 2.0), _option("b", bad)])


def test_a_fifo_as_the_scenario_does_not_hang(tmp_path: Path) -> None:
    fifo = tmp_path / "scenario.yaml"
    os.mkfifo(fifo)
    # a subprocess, so that a regression fails on the timeout instead of hanging the suite
    done = subprocess.run(
        [sys.executable, "-m", "llmtco", "breakdown", str(fifo)], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 2 and "not a regular file" in done.stderr and "Traceback" not in done.stderr


@pytest.mark.parametrize(
    "args",
    [
        ["accuracy", "--no-loso", "--corpus", "/dev/zero"],
        ["diff", "/dev/zero.json", "/dev/zero.json"],
        ["calibrate", "--from", "/dev/zero", "-o", "p.yaml", "--model", "llama-3.1-8b", "--accelerator", "h100-sxm"],
        ["breakdown", "/dev/zero"],
    ],
    ids=["corpus", "diff", "calibrate", "breakdown"],
)
def test_device_files_are_refused_without_reading(
    args: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    if args[0] == "diff":
        os.symlink("/dev/zero", tmp_path / "zero.json")
        args = ["diff", "zero.json", "zero.json"]
    code, _, err = run(capsys, *args)
    assert code == 2 and "not a regular file" in err, err


def test_network_text_cannot_name_server_files() -> None:
    for field in ("catalog: /etc/passwd", "catalog: [a.yaml]", "calibration: /etc/shadow"):
        with pytest.raises(ScenarioError) as info:
            parse_scenario_text(MINIMAL + field + "\n", "<request>", allow_paths=False)
        assert field.split(":")[0] in str(info.value) and "not accepted" in str(info.value)


def _refuse_constant(name: str) -> None:
    pytest.fail(f"{name} in the JSON")


def test_simulate_at_the_edges_of_the_allowed_range_writes_standard_json(
    write: Callable[..., Path], capsys: pytest.CaptureFixture[str]
) -> None:
    for volume in ("0.001", "1e10", "{p10: 0.001, p90: 1e10}"):
        path = write(MINIMAL.replace("requests_per_day: 100000", f"requests_per_day: {volume}"))
        code, out, err = run(capsys, "simulate", str(path), "-n", "200", "--format", "json")
        assert code == 0, err
        doc = json.loads(out, parse_constant=_refuse_constant)
        assert all(math.isfinite(o["total_cost_usd"]["p50"]) for o in doc["options"].values())
    code, _, err = run(
        capsys, "simulate", str(write(MINIMAL.replace("100000", "1e-300"))), "-n", "10", "--format", "json"
    )
    assert code == 2 and "workloads.0.requests_per_day" in err and "0.001" in err


def test_a_trace_path_is_refused_over_the_network() -> None:
    """A workload's ``trace:`` names a file too: text from the network must not make the server open it."""
    text = MINIMAL.replace("    output_tokens: 200\n", "    output_tokens: 200\n    trace: /etc/passwd\n")
    with pytest.raises(ScenarioError) as info:
        parse_scenario_text(text, "<request>", allow_paths=False)
    assert "workloads.0.trace" in str(info.value) and "not accepted" in str(info.value)
    assert "root:" not in str(info.value)
