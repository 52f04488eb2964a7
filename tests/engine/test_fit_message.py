"""The "does not fit" reason shows its arithmetic, and the arithmetic adds up."""

from __future__ import annotations

import re

import pytest

from llmtco.analysis.breakeven import compare
from llmtco.scenario import parse_scenario_text

NO_FIT = """\
name: nofit
workloads:
  - {name: chat, model: llama-3.1-405b, precision: bf16, requests_per_day: 1000, input_tokens: 1000, output_tokens: 200}
options:
  - {name: onprem, kind: onprem, server: pcie-8-l40s, tensor_parallel: 1}
"""


def test_the_reason_states_memory_in_gib_and_gb_and_the_usable_share_multiplies_out() -> None:
    sc, cat = parse_scenario_text(NO_FIT)
    (option,) = compare(sc, cat).options
    assert option.excluded and option.reason
    found = re.search(
        r"reserve of ([\d.]+) GB exceed ([\d.]+) GB usable \((\d+) GiB = ([\d.]+) GB, (\d+)% of it visible to CUDA, "
        r"x ([\d.]+) for the engine\)",
        option.reason,
    )
    assert found, option.reason
    reserve, usable, gib, gb, visible, fraction = (float(g) for g in found.groups())
    assert gib == 48 and gb == pytest.approx(48 * 2**30 / 1e9, abs=0.05)
    assert usable == pytest.approx(gb * visible / 100 * fraction, rel=0.01)
    assert 0 < reserve < usable
