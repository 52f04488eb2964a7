"""GPU, host and wall power (perf.power), checked against hand-worked figures."""

from __future__ import annotations

import pytest

from llmtco.perf.power import HOST_IDLE_SHARE, PSU_EFFICIENCY, host_power_w, wall_power_w


def test_wall_power_adds_supply_losses_on_the_gpus_and_the_host() -> None:
    # 8 GPUs at 900 W board power, a 4,000 W host at full load
    host = host_power_w(4000.0, 1.0)
    assert host == pytest.approx(4000.0)
    assert wall_power_w(8 * 900.0, host) == pytest.approx(8 * 900.0 / PSU_EFFICIENCY + 4000.0)
    assert host_power_w(4000.0, 0.0) == pytest.approx(4000.0 * HOST_IDLE_SHARE)
    assert 0.9 < PSU_EFFICIENCY < 1.0
