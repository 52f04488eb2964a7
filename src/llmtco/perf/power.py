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
