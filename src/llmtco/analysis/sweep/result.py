"""The typed result of a sweep: one row per variant x option, plus what produced it."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray


@dataclass(frozen=True)
class AxisInfo:
    """One varied input, as stored with the result."""

    name: str
    """Result column holding the axis value."""
    path: str
    """The grid path, e.g. ``workloads[chat].requests_per_day``."""
    kind: str
    """number | text | flag | any (values of kind any are stored as JSON text)."""
    continuous: bool
    """True when variants differing only here share one engine run (batched as samples)."""


@dataclass(frozen=True)
class Flip:
    """Where the cheapest option changes between two neighbouring values of one axis."""

    axis: str
    """Axis column name."""
    low: Any
    """Axis value before the flip."""
    high: Any
    """Axis value after the flip."""
    before: str
    """Cheapest option at ``low``."""
    after: str
    """Cheapest option at ``high``."""
    count: int
    """How many combinations of the other axes flip here."""


@dataclass
class SweepResult:
    """A sweep over a grid of variants of one scenario.

    ``columns`` holds equal-length arrays, one entry per row (variant x option),
    sorted by variant then by the scenario's option order: ``variant`` (index
    into the grid), one column per axis (see ``axes``), ``option``, ``kind``,
    ``status`` (ok | excluded | infeasible | invalid | failed), ``reason`` (why
    not ok), ``cheapest`` (the lowest total among the variant's ok rows), and
    the numbers: ``total_cost_usd``, ``npv_usd``, ``capex_usd``, ``opex_usd``
    [USD over the horizon], ``cost_per_mtok_usd``, ``cost_per_m_output_tok_usd``
    [USD per million tokens, all / output], ``gpus`` [GPUs in the last month],
    ``avg_utilisation_pct`` [%], ``energy_mwh`` [MWh incl. cooling],
    ``emissions_tco2e`` [t CO2e], ``ttft_ms``, ``tpot_ms`` [ms, the slowest
    workload's operating point]; NaN where an option has no such figure. With
    samples, ``total_cost_usd_p10`` ... ``cost_per_mtok_usd_p90`` are added and
    the plain columns hold the central (deterministic) value.
    """

    scenario: str
    """Scenario name."""
    grid_file: str
    mode: str
    """grid | list | lhs."""
    axes: list[AxisInfo]
    variants: int
    """Number of variants (rows / options per variant)."""
    samples: int
    """Monte Carlo samples per variant (0: deterministic only)."""
    seed: int
    """Monte Carlo seed: variant i samples from the stream (seed, i)."""
    engine_runs: int
    """Engine evaluations planned: one per block (two with samples: deterministic and Monte Carlo); fewer
    than variants when batching worked. A block whose structure turns out not batchable runs per variant."""
    columns: dict[str, NDArray[Any]] = field(default_factory=dict)

    @property
    def rows(self) -> int:
        return int(self.columns["variant"].size) if "variant" in self.columns else 0

    def winners(self) -> list[str | None]:
        """The cheapest option of each variant (None when no option is ok)."""
        out: list[str | None] = [None] * self.variants
        for v, o, c in zip(self.columns["variant"], self.columns["option"], self.columns["cheapest"], strict=True):
            if c:
                out[int(v)] = str(o)
        return out

    def flips(self) -> list[Flip]:
        """Where the winner changes along each numeric axis, the other axes held fixed (grid sweeps)."""
        winners = self.winners()
        values = [self.axis_values(a.name) for a in self.axes]
        flips: list[Flip] = []
        for j, axis in enumerate(self.axes):
            if axis.kind != "number":
                continue
            order = sorted(set(values[j]), key=_sort_key)
            rank = {v: i for i, v in enumerate(order)}
            lines: dict[tuple[Any, ...], dict[int, str | None]] = {}
            for i in range(self.variants):
                rest = tuple(values[k][i] for k in range(len(self.axes)) if k != j)
                lines.setdefault(rest, {})[rank[values[j][i]]] = winners[i]
            counts: dict[tuple[int, str, str], int] = {}
            for line in lines.values():
                steps = sorted(line)
                for a, b in itertools.pairwise(steps):
                    wa, wb = line[a], line[b]
                    if wa is not None and wb is not None and wa != wb and b == a + 1:
                        counts[(a, wa, wb)] = counts.get((a, wa, wb), 0) + 1
            for (a, wa, wb), n in sorted(counts.items(), key=lambda x: (x[0][0], x[0][1], x[0][2])):
                flips.append(Flip(axis=axis.name, low=order[a], high=order[a + 1], before=wa, after=wb, count=n))
        return flips

    def winners_by(self, name: str) -> dict[Any, dict[str, int]]:
        """For each value of one axis: how many variants each option wins (for categorical axes)."""
        out: dict[Any, dict[str, int]] = {}
        for value, w in zip(self.axis_values(name), self.winners(), strict=True):
            counts = out.setdefault(value, {})
            key = w or "(none ok)"
            counts[key] = counts.get(key, 0) + 1
        return out

    def pareto(self, cost: str, other: str) -> NDArray[np.bool_]:
        """Rows on the Pareto front of ``cost`` against ``other`` (both lower-is-better), among ok rows.

        A row is on the front when no other ok row is at least as good in both
        and better in one (ties in both keep the first row).
        """
        x = np.asarray(self.columns[cost], dtype=float)
        y = np.asarray(self.columns[other], dtype=float)
        ok = (self.columns["status"] == "ok") & np.isfinite(x) & np.isfinite(y)
        front = np.zeros(x.size, dtype=bool)
        best_y = np.inf
        for i in sorted(np.flatnonzero(ok), key=lambda i: (x[i], y[i], i)):
            if y[i] < best_y:
                front[i] = True
                best_y = y[i]
        return front

    def axis_values(self, name: str) -> list[Any]:
        """The value of one axis for each variant (in variant order)."""
        col = self.columns[name]
        per_variant: list[Any] = [None] * self.variants
        for v, x in zip(self.columns["variant"], col, strict=True):
            per_variant[int(v)] = x.item() if isinstance(x, np.generic) else x
        return per_variant


def _sort_key(v: Any) -> tuple[int, Any]:
    if v is None:
        return (2, "")
    if isinstance(v, int | float) and not isinstance(v, bool):
        return (0, float(v)) if v == v else (2, "")
    return (1, str(v))
