"""The serving layer's ``stack_step_ms`` of MoE stacks: the fit tree over the published MoE decode rows.

Generic -> @engine -> accelerator@engine -> accelerator@engine@precision, each node pulled toward its
parent as in ``calibration.fit.fit_all`` (the same prior weight and minimum rows). ``calibration.stack_step``
writes the fitted values into the shipped efficiency records.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import least_squares

from llmtco.calibration.fit import PRIOR_WEIGHT, SERVING_MIN_ROWS

STACK_STEP_PARAM: tuple[str, tuple[float, float]] = ("stack_step_ms", (0.0, 80.0))
"""Serving-layer factor of MoE stacks: time per decode step a software stack adds beyond the layout
physics of ``perf.parallel`` (kernel launches of the MoE and MLA kernels, scheduling, DP-attention
balancing) [ms], with its bounds. Fitted per accelerator@engine@precision by ``fit_stack_step_ms``."""
STACK_STEP_SCALE_MS = 1.0
"""Offset of the shrinkage for ``stack_step_ms``: the pull is PRIOR_WEIGHT x log((x + c) / (parent + c)),
so a node near 0 ms is not pulled infinitely hard [ms]."""


@dataclass(frozen=True)
class StepRow:
    """One end-to-end decode measurement for the ``stack_step_ms`` fit."""

    accelerator: str
    engine: str
    precision: str
    published: float
    """Measured throughput [tokens/s]."""
    predicted: float
    """Throughput the layout physics predicts with no stack time [tokens/s]."""
    predicted_step_ms: float
    """The predicted time per output token the throughput follows from [ms]."""

    def corrected(self, extra_ms: float) -> float:
        """Throughput with ``extra_ms`` added to every step: at a fixed concurrency it scales as 1 / TPOT."""
        return self.predicted * self.predicted_step_ms / (self.predicted_step_ms + extra_ms)


@dataclass(frozen=True)
class StackStep:
    """``stack_step_ms`` of one node of the tree."""

    key: str
    stack_step_ms: float
    rows: int
    """Rows this node was fitted on (0: inherited)."""
    answered: str
    """Key of the node whose fit this value is."""


def _fit_step_node(rows: list[StepRow], parent_ms: float) -> float:
    lo, hi = STACK_STEP_PARAM[1]
    c = STACK_STEP_SCALE_MS

    def fn(x: np.ndarray) -> np.ndarray:
        r = [np.log(max(row.corrected(float(x[0])), 1e-9) / row.published) for row in rows]
        pull = PRIOR_WEIGHT * np.log((x[0] + c) / (parent_ms + c))
        return np.asarray([*r, pull], dtype=float)

    x0 = np.array([min(max(parent_ms, lo + 1e-6), hi - 1e-6)])
    sol = least_squares(fn, x0, bounds=([lo], [hi]), xtol=1e-6, ftol=1e-8)
    return round(float(sol.x[0]), 3)


def fit_stack_step_ms(rows: list[StepRow], min_rows: int = SERVING_MIN_ROWS) -> dict[str, StackStep]:
    """``stack_step_ms`` over the serving tree generic -> @engine -> accelerator@engine ->
    accelerator@engine@precision, each node pulled toward its parent as in ``fit_all`` (the root's
    parent: 0 ms, pure physics); a node with fewer than ``min_rows`` rows inherits its parent's value."""
    out: dict[str, StackStep] = {}
    generic = _fit_step_node(rows, 0.0) if rows else 0.0
    out["generic"] = StackStep("generic", generic, len(rows), "generic" if rows else "prior")

    def node(key: str, parent: str, sel: list[StepRow], parent_rows: int) -> None:
        # fitted on its own only with enough rows and when its parent's subset also holds other rows
        p = out[parent]
        if len(sel) >= min_rows and parent_rows > len(sel):
            out[key] = StackStep(key, _fit_step_node(sel, p.stack_step_ms), len(sel), key)
        else:
            out[key] = StackStep(key, p.stack_step_ms, 0, p.answered)

    for engine in sorted({r.engine for r in rows}):
        e_rows = [r for r in rows if r.engine == engine]
        node(f"@{engine}", "generic", e_rows, len(rows))
        for acc in sorted({r.accelerator for r in e_rows}):
            a_rows = [r for r in e_rows if r.accelerator == acc]
            node(f"{acc}@{engine}", f"@{engine}", a_rows, len(e_rows))
            for prec in sorted({r.precision for r in a_rows}):
                sel = [r for r in a_rows if r.precision == prec]
                node(f"{acc}@{engine}@{prec}", f"{acc}@{engine}", sel, len(a_rows))
    return out


def stack_step_for(nodes: dict[str, StackStep], accelerator: str, engine: str, precision: str) -> StackStep:
    """The most specific node for a stack: accelerator@engine@precision, accelerator@engine, @engine, generic."""
    for key in (f"{accelerator}@{engine}@{precision}", f"{accelerator}@{engine}", f"@{engine}"):
        if key in nodes:
            return nodes[key]
    return nodes["generic"]
