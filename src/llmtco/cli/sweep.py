"""``llmtco sweep SCENARIO --grid GRID.yaml``: wiring only (the sweep lives in ``llmtco.analysis.sweep``)."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from llmtco.cli.common import CatalogOpt, OutputOpt, app, emit, emit_bytes
from llmtco.errors import UsageError


class SweepFormat(StrEnum):
    table = "table"
    csv = "csv"
    parquet = "parquet"


@app.command()
def sweep(
    scenario: Annotated[Path, typer.Argument(help="Scenario YAML file.")],
    grid: Annotated[Path, typer.Option("--grid", "-g", help="Grid YAML: axes (or variants) over scenario paths.")],
    samples: Annotated[
        int, typer.Option("--samples", "-n", min=0, max=1_000_000, help="Monte Carlo samples per variant (0: none).")
    ] = 0,
    seed: Annotated[int, typer.Option("--seed", min=0, help="Seed; variant i draws from (seed, i).")] = 0,
    scheduler: Annotated[
        str | None,
        typer.Option(
            "--scheduler",
            help="synchronous | threads | processes (local Dask schedulers) or tcp://HOST:8786 "
            "(default: $DASK_SCHEDULER_ADDRESS, else threads).",
        ),
    ] = None,
    workers: Annotated[
        int | None, typer.Option("--workers", min=1, max=256, help="Start a local Dask cluster of N processes.")
    ] = None,
    chunk: Annotated[
        int | None, typer.Option("--chunk", min=1, help="Variants per Dask task (default: about 4 tasks per worker).")
    ] = None,
    format: Annotated[
        SweepFormat | None, typer.Option("--format", "-f", help="Default: from -o's suffix, else table.")
    ] = None,
    output: OutputOpt = None,
    catalog: CatalogOpt = None,
) -> None:
    """Evaluate every variant of a grid of plans; one row per variant x option (Parquet, CSV) or a winners table."""
    from rich.console import Console
    from rich.progress import Progress

    from llmtco.analysis.sweep import sweep as run_sweep
    from llmtco.report.sweep import render_csv, render_parquet, render_table

    fmt = format.value if format else {".parquet": "parquet", ".csv": "csv"}.get((output or Path()).suffix, "table")
    if fmt == "parquet" and output is None:
        raise UsageError("--format parquet writes a binary file: give -o FILE.parquet")
    if not grid.is_file():
        raise UsageError(f"--grid: {str(grid)!r} is not a file")
    try:
        with Progress(console=Console(stderr=True), transient=True) as bar:
            task = bar.add_task("sweeping", total=None)

            def advance(n: int, total: int) -> None:
                bar.update(task, total=total, advance=n)

            result = run_sweep(
                scenario,
                grid,
                catalog_files=catalog or [],
                samples=samples,
                seed=seed,
                scheduler=scheduler,
                workers=workers,
                chunk_variants=chunk,
                progress=advance,
            )
    except KeyboardInterrupt:
        typer.echo("llmtco: sweep interrupted; workers stopped", err=True)
        raise typer.Exit(130) from None
    if fmt == "parquet":
        assert output is not None
        emit_bytes(render_parquet(result), output)
    elif fmt == "csv":
        emit(render_csv(result), output)
    else:
        emit(render_table(result), output)


def report_sweep(path: Path, output: Path, axes: str | None) -> None:
    """``llmtco report RESULT.parquet``: the sweep's HTML report (winner map over ``axes`` "X,Y")."""
    from llmtco.report.sweep import read_parquet
    from llmtco.report.sweep_charts import render_sweep_html

    try:
        result = read_parquet(str(path))
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    x = y = None
    if axes:
        parts = [a.strip() for a in axes.split(",")]
        if len(parts) != 2:
            raise UsageError("--axes takes two axis names, X,Y")
        x, y = parts
    try:
        html = render_sweep_html(result, x, y)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    emit(html, output)
