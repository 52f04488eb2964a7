"""GPU power as a function of what the GPU is doing.

Measured LLM serving draws 45-100 % of TDP under load depending on phase and
batch (ML.ENERGY leaderboard; DESIGN.md), not a constant TDP. Model:

    P = idle + (TDP - idle) x activity
    activity = floor + (1 - floor) x compute_share      while working
    P_avg = idle + (P_busy - idle) x busy_fraction       over a period

``floor`` is the share of the dynamic range a memory-bound step already draws;
it is fitted per accelerator. A provisioned GPU with no work draws idle power.
"""

from __future__ import annotations

import numpy as np

from llmtco.perf.shapes import HardwareShape, Num


def power_at_activity_w(idle_w: Num, tdp_w: Num, activity: Num) -> Num:
    """Power of one GPU drawing ``activity`` of its idle-to-TDP range [W]."""
    out: Num = idle_w + (tdp_w - idle_w) * activity
    return out


def gpu_power_w(hw: HardwareShape, compute_share: Num) -> Num:
    """Power of one GPU while stepping with the given compute share [W]."""
    share = np.clip(np.asarray(compute_share, dtype=float), 0.0, 1.0)
    activity = hw.power_activity_floor + (1.0 - hw.power_activity_floor) * share
    return power_at_activity_w(hw.idle_w, hw.tdp_w, activity)


def average_power_w(idle_w: Num, busy_w: Num, busy_fraction: Num) -> Num:
    """Average power of a GPU busy for ``busy_fraction`` of the time [W]."""
    frac = np.clip(np.asarray(busy_fraction, dtype=float), 0.0, 1.0)
    out: Num = idle_w + (busy_w - idle_w) * frac
    return out


HOST_IDLE_SHARE = 0.5
"""Share of its maximum a server's host (CPUs, fans, NICs, drives) draws while its GPUs are idle;
it rises linearly with the GPUs' load to the maximum (estimate: no public measurement separates the
host of a GPU server from its GPUs; half is the middle of the idle-to-full-load ratios general
servers publish, and the whole host term is small beside the GPUs')."""


def host_power_w(host_max_w: Num, load_share: Num) -> Num:
    """Power of the non-GPU part of servers whose GPUs work ``load_share`` of the time [W]."""
    out: Num = host_max_w * (HOST_IDLE_SHARE + (1.0 - HOST_IDLE_SHARE) * load_share)
    return out


PSU_EFFICIENCY = 0.94
"""Share of a server's wall (AC) power its power supplies deliver as DC to the GPU boards [0-1]
(80 PLUS Titanium, the grade GPU servers ship with: at least 94 % at 50 % load for 115 V internal
supplies and 96 % for 230 V redundant ones, CLEAResult 80 PLUS program requirements; the lower one taken)."""


def host_max_w(non_gpu_power_w: float, gpus: int, gpu_tdp_w: float) -> float:
    """The host's share of a server's maximum wall draw: ``non_gpu_power_w`` less the power-supply losses
    of its GPUs at TDP [W].

    ``servers.yaml`` ``non_gpu_power_w`` is a system's maximum wall (AC) draw less its GPUs' TDP, and a
    TDP is DC at the board; so the losses of feeding those GPUs, ``gpus x TDP x (1/PSU_EFFICIENCY - 1)``,
    sit inside it. ``wall_power_w`` adds those losses to the GPU term, so they come out of the host term
    here; without this, a server at full load would draw about 6 % of its GPU power above its nameplate.
    With it, every GPU at TDP plus the host at its maximum is exactly the nameplate.
    """
    return max(non_gpu_power_w - gpus * gpu_tdp_w * (1.0 / PSU_EFFICIENCY - 1.0), 0.0)


def wall_power_w(gpus_power_w: Num, host_w: Num) -> Num:
    """Wall (AC) power of servers: their GPUs' total board power (NVML and DCGM read DC at the board)
    through the power supplies, plus the host [W].

    ``host_w`` is a wall figure already (``host_max_w``, a server's maximum wall draw less what its GPUs
    draw at the wall at TDP), scaled with load by ``host_power_w``. Plans (on-prem and cloud energy),
    plan-vs-actual energy and the accuracy corpus's system-power rows all use this one function.
    """
    out: Num = gpus_power_w / PSU_EFFICIENCY + host_w
    return out


def nameplate_power_kw(gpus: int, gpu_tdp_w: float, host_max_w: float) -> float:
    """A server's nameplate draw: every GPU at TDP plus the host at its maximum [kW]."""
    return (gpus * gpu_tdp_w + host_max_w) / 1000.0
