"""GPU, host and wall power (perf.power), checked against hand-worked figures."""

from __future__ import annotations

import pytest

from llmtco.catalog import Catalog
from llmtco.perf.power import (
    HOST_IDLE_SHARE,
    PSU_EFFICIENCY,
    host_max_w,
    host_power_w,
    nameplate_power_kw,
    wall_power_w,
)


def test_wall_power_adds_supply_losses_on_the_gpus_and_the_host() -> None:
    # 8 GPUs at 900 W board power, a 4,000 W host at full load
    host = host_power_w(4000.0, 1.0)
    assert host == pytest.approx(4000.0)
    assert wall_power_w(8 * 900.0, host) == pytest.approx(8 * 900.0 / PSU_EFFICIENCY + 4000.0)
    assert host_power_w(4000.0, 0.0) == pytest.approx(4000.0 * HOST_IDLE_SHARE)
    assert 0.9 < PSU_EFFICIENCY < 1.0


def test_every_bundled_server_at_full_load_draws_exactly_its_nameplate(catalog: Catalog) -> None:
    # non_gpu_power_w is nameplate (wall) less GPU TDP (DC): the GPUs' supply losses are inside it, so the host
    # term gives them back and a server with every GPU at TDP and its host at maximum is at its nameplate, not ~6 % over
    for server in catalog.servers:
        tdp_w = catalog.accelerators.get(server.accelerator).tdp_w
        host = host_power_w(host_max_w(server.non_gpu_power_w, server.gpus, tdp_w), 1.0)
        nameplate_w = 1000.0 * nameplate_power_kw(server.gpus, tdp_w, server.non_gpu_power_w)
        assert wall_power_w(server.gpus * tdp_w, host) == pytest.approx(nameplate_w), server.id


def test_host_max_is_never_negative() -> None:
    # a record whose non-GPU figure is below its GPUs' supply losses (a bad quote) gives no host power, not less
    assert host_max_w(100.0, 8, 1000.0) == 0.0
    assert host_max_w(4600.0, 8, 700.0) == pytest.approx(4600.0 - 8 * 700.0 * (1 / PSU_EFFICIENCY - 1))
