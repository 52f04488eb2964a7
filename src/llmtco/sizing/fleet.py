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
