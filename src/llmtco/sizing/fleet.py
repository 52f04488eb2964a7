"""Replicas for a load over the day."""

from __future__ import annotations

import numpy as np

from llmtco.perf.shapes import FloatArray


def business_hours_profile(peak_to_average: float) -> FloatArray:
    """A 24-hour load shape with mean 1 and maximum ``peak_to_average``.

    Used when a workload gives only a peak-to-average ratio: the load runs at
    the peak for a block of busy hours centred on 14:00 and at a lower level
    otherwise. Busy hours = min(8, 24 / ratio); the low level keeps the mean at 1
    (it is 0 from a ratio of 3 upwards). Give ``hourly_profile`` for a real shape.
    """
    p = float(peak_to_average)
    if p <= 1.0:
        return np.ones(24)
    busy_h = min(8.0, 24.0 / p)
    low = max(0.0, (24.0 - busy_h * p) / (24.0 - busy_h))
    hours = np.arange(24) + 0.5
    # distance of each hour centre from 14:00, busy block = |d| < busy_h / 2 (partial hours blended)
    d = np.abs(hours - 14.0)
    inside = np.clip(busy_h / 2.0 - (d - 0.5), 0.0, 1.0)
    shape = low + (p - low) * inside
    return np.asarray(shape / shape.mean(), dtype=float) if shape.mean() > 0 else np.ones(24)


def normalise_profile(profile: list[float] | FloatArray) -> FloatArray:
    """Scale a 24-hour profile to mean 1."""
    arr = np.asarray(profile, dtype=float)
    return np.asarray(arr / arr.mean(), dtype=float)


def replicas_needed(
    load_rps: FloatArray, capacity_rps: FloatArray, target_utilisation: FloatArray, redundancy: int
) -> FloatArray:
    """Whole replicas to carry ``load_rps`` at the target utilisation, plus redundant spares.

    Shapes broadcast: e.g. load (S, M, 24) with capacity (S, 1, 1).
    """
    cap = np.maximum(capacity_rps * target_utilisation, 1e-12)
    need = np.ceil(np.maximum(load_rps, 0.0) / cap - 1e-9)
    out: FloatArray = np.where(load_rps > 0, need + redundancy, 0.0)
    return out


def fleet_gpus(peak_rps: float, replica_rps: float, replica_gpus: int, utilisation: float, machine_gpus: int) -> int:
    """GPUs in whole machines that carry ``peak_rps`` at ``utilisation`` with one spare replica [count]: how two
    layouts of the same GPU compare in the plan (a disaggregated replica is large, so its granularity counts)."""
    replicas = int(np.ceil(peak_rps / max(replica_rps * utilisation, 1e-12) - 1e-9)) + 1
    return int(np.ceil(replicas * replica_gpus / machine_gpus - 1e-9)) * machine_gpus


def busy_fraction(load_rps: FloatArray, replicas: FloatArray, capacity_rps: FloatArray) -> FloatArray:
    """Share of the time ``replicas`` replicas of ``capacity_rps`` each are working to carry ``load_rps``
    (0-1; shapes broadcast, e.g. (S, M, H) load with (S, M, 1) replicas and (S, 1, 1) capacity)."""
    cap = np.maximum(replicas * capacity_rps, 1e-12)
    out: FloatArray = np.clip(load_rps / cap, 0.0, 1.0)
    return out


def pool_power_w(gpus: FloatArray, busy_gpus: FloatArray, idle_w: FloatArray, busy_w: FloatArray) -> FloatArray:
    """Power of a pool of ``gpus`` GPUs of which ``busy_gpus`` GPU-equivalents are working [W]:
    P = gpus x idle + busy_gpus x (P_busy - idle) (``perf.power.average_power_w`` summed over the pool)."""
    out: FloatArray = gpus * idle_w + busy_gpus * (busy_w - idle_w)
    return out


def monthly_energy_kwh(power_w: FloatArray, hour_weights: FloatArray, days: FloatArray) -> FloatArray:
    """Energy per month [kWh] from the power of each hour class [W], shape (S, M, H), the hours per day
    in each class (H,) and the days of each month (M,)."""
    out: FloatArray = (power_w @ hour_weights) * days[None, :] / 1000.0
    return out


def served_share(need_gpus: FloatArray, available_gpus: FloatArray | float) -> FloatArray:
    """Share of the load a fixed fleet carries in each hour: min(1, available / needed), where ``need_gpus``
    is what the load needs at full utilisation and without redundancy (a fixed fleet is a hard limit:
    planning headroom and N+1 are given up before load is turned away)."""
    need = np.asarray(need_gpus, dtype=float)
    out: FloatArray = np.where(need > available_gpus, available_gpus / np.maximum(need, 1e-12), 1.0)
    return out
