"""Small helpers for the (S,) / (S, M) sample-axis arrays used throughout the engine."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]
Num = float | FloatArray


def col(x: FloatArray | float) -> FloatArray:
    """Per-sample values as a column, shape (S, 1), to broadcast over months."""
    return np.asarray(x, dtype=float).reshape(-1, 1)


def first(x: FloatArray | float) -> float:
    """The first sample's value (what a single evaluation reports)."""
    return float(np.asarray(x, dtype=float).reshape(-1)[0])
