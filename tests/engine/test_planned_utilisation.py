"""The option's target utilisation is the load the serving layer queues at: a replica planned to run
hotter waits longer for its first token (issue 12: TTFT under load at the planned utilisation)."""

from __future__ import annotations

from llmtco import evaluate, parse_scenario_text
from tests.conftest import MINIMAL


def _ttft_ms(pct: float) -> float:
    text = MINIMAL.replace(
        "    output_tokens: 200\n", "    output_tokens: 200\n    slo: {ttft_ms: 2000, tpot_ms: 50, percentile: p99}\n"
    ).replace(
        "{name: onprem, kind: onprem, server: hgx-h100-8}",
        f"{{name: onprem, kind: onprem, server: hgx-h100-8, target_utilisation_pct: {pct}, tensor_parallel: 1}}",
    )
    sizing = evaluate(*parse_scenario_text(text)).option("onprem").sizing
    assert sizing is not None
    return sizing.workloads[0].ttft_ms


def test_a_hotter_replica_waits_longer_for_its_first_token() -> None:
    """At p99 the queueing wait shows at any load (at p50 a replica below half load has no wait)."""
    assert _ttft_ms(95) > _ttft_ms(70) > _ttft_ms(30)
