"""Sweeps: one scenario, a grid of variants of its inputs, every variant through the vectorised engine on Dask.

``sweep(scenario_file, grid_file)`` reads both, expands the grid
(``grid.load_grid``), cuts it into engine runs (``dispatch.plan``: variants that
differ only in continuous inputs share one run as samples) and evaluates them
on a Dask scheduler (``dispatch.execute``), returning a ``SweepResult``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from llmtco.analysis.sweep.dispatch import execute
from llmtco.analysis.sweep.grid import Axis, Grid, grid_from, load_grid
from llmtco.analysis.sweep.result import AxisInfo, Flip, SweepResult


def sweep(
    scenario: str | Path,
    grid: str | Path,
    *,
    catalog_files: Iterable[str | Path] = (),
    samples: int = 0,
    seed: int = 0,
    scheduler: str | None = None,
    workers: int | None = None,
    client: Any = None,
    chunk_variants: int | None = None,
    batch: bool = True,
    progress: Callable[[int, int], None] | None = None,
) -> SweepResult:
    """Sweep the scenario file over the grid file (see ``llmtco.analysis.sweep.grid`` for the grid format)."""
    from llmtco.scenario import parse_scenario
    from llmtco.yamlio import load_yaml, to_plain

    node = load_yaml(scenario)
    doc = to_plain(node)
    files = tuple(str(f) for f in catalog_files)
    sc, cat = parse_scenario(doc, str(scenario), node, files)
    g = load_grid(grid, doc, sc, cat)
    return execute(
        g,
        doc,
        file=str(scenario),
        catalog_files=files,
        options=tuple(o.name for o in sc.options),
        scenario_name=sc.name,
        samples=samples,
        seed=seed,
        scheduler=scheduler,
        workers=workers,
        client=client,
        chunk_variants=chunk_variants,
        batch=batch,
        progress=progress,
    )


__all__ = ["Axis", "AxisInfo", "Flip", "Grid", "SweepResult", "execute", "grid_from", "load_grid", "sweep"]
