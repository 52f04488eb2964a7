"""Workloads built from a request trace CSV (Azure LLM inference trace columns)."""

from pathlib import Path

import numpy as np
import pytest

from llmtco.errors import ScenarioError
from llmtco.scenario import load_scenario
from llmtco.scenario.trace import read_trace, summarise_trace
from tests.conftest import ROOT

TRACE = ROOT / "examples" / "traces" / "synthetic-chat-26h.csv"

SCENARIO = """\
name: traced
workloads:
  - name: chat
    model: llama-3.1-8b
    trace: {trace}
{extra}options:
  - {{name: api, kind: api, offering: together-llama-3.1-8b}}
"""


def _write(tmp_path: Path, trace: str, extra: str = "") -> Path:
    p = tmp_path / "s.yaml"
    p.write_text(SCENARIO.format(trace=trace, extra=extra), encoding="utf-8")
    return p


def test_trace_sets_rate_shape_lengths_and_burstiness() -> None:
    t, lin, _ = read_trace(TRACE)
    s = summarise_trace(TRACE)
    assert s["requests_per_day"] == pytest.approx(t.size / (t[-1] - t[0]) * 86400)
    assert len(s["hourly_profile"]) == 24 and "peak_to_average" not in s
    hist = np.array(s["input_length"]["histogram"])
    assert np.sum(hist[:, 0] * hist[:, 1]) / np.sum(hist[:, 1]) == pytest.approx(lin.mean(), rel=1e-3)
    assert s["arrival_cv2"] > 1.5  # the synthetic trace is burstier than Poisson (gamma shape 0.5)


def test_scenario_from_trace_uses_its_spreads(tmp_path: Path) -> None:
    sc, _ = load_scenario(_write(tmp_path, str(TRACE)))
    w = sc.workloads[0]
    _, lin, lout = read_trace(TRACE)
    assert w.input_tokens == pytest.approx(lin.mean(), rel=1e-3)
    assert w.output_tokens == pytest.approx(lout.mean(), rel=1e-3)
    assert w.input_length is not None and w.input_length.histogram is not None
    assert w.hourly_profile is not None and w.arrival_cv2 > 1.0


def test_fields_in_the_scenario_win_over_the_trace(tmp_path: Path) -> None:
    extra = "    input_tokens: 123\n    peak_to_average: 3\n"
    sc, _ = load_scenario(_write(tmp_path, str(TRACE), extra))
    w = sc.workloads[0]
    assert w.input_tokens == 123 and w.input_length is None
    assert w.peak_to_average == 3 and w.hourly_profile is None


def test_short_trace_gives_peak_to_average(tmp_path: Path) -> None:
    short = tmp_path / "short.csv"
    rows = [f"{i * 4.0},{100 + i},10" for i in range(300)] + [f"{1200 + i * 0.1},50,5" for i in range(300)]
    short.write_text("TIMESTAMP,ContextTokens,GeneratedTokens\n" + "\n".join(rows) + "\n", encoding="utf-8")
    s = summarise_trace(short)
    assert "hourly_profile" not in s and s["peak_to_average"] > 1.0


def test_bad_trace_names_the_field_and_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("TIMESTAMP,Prompt\n1,2\n", encoding="utf-8")
    with pytest.raises(ScenarioError) as exc:
        load_scenario(_write(tmp_path, "bad.csv"))
    issue = exc.value.issues[0]
    assert issue.path == "workloads.0.trace" and "ContextTokens" in issue.message and issue.line == 5
    with pytest.raises(ScenarioError, match="cannot read trace"):
        load_scenario(_write(tmp_path, "missing.csv"))
