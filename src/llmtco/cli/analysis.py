"""llmtco simulate | sensitivity | optimize: decision analysis over the same engine."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from llmtco.analysis.sensitivity import SobolResult
from llmtco.cli.common import (
    CatalogOpt,
    FormatOpt,
    OutputOpt,
    ProbeFormat,
    app,
    emit,
    spinner,
)
from llmtco.scenario import load_scenario


@app.command()
def simulate(
    scenario: Annotated[Path, typer.Argument(help="Scenario YAML file (distributions in fields, uncertainty: ...).")],
    samples: Annotated[
        int, typer.Option("--samples", "-n", min=1, max=10_000_000, help="Monte Carlo samples.")
    ] = 10_000,
    seed: Annotated[int, typer.Option("--seed", help="Random seed (recorded in the output).")] = 0,
    format: FormatOpt = ProbeFormat.table,
    output: OutputOpt = None,
    catalog: CatalogOpt = None,
) -> None:
    """Monte Carlo over every uncertain input: P10/P50/P90 per option, P(cheapest), break-even distribution."""
    from rich.console import Console
    from rich.progress import Progress

    from llmtco.analysis.montecarlo import simulate as run_simulate
    from llmtco.report.analysis import render_json_doc, simulation_table

    sc, cat = load_scenario(scenario, catalog or [])
    with Progress(console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task("simulating", total=samples)
        sim = run_simulate(sc, cat, samples=samples, seed=seed, progress=lambda n: bar.advance(task, n))
    emit(render_json_doc(sim.to_dict()) if format is ProbeFormat.json else simulation_table(sim), output)


class SensitivityMethod(StrEnum):
    tornado = "tornado"
    sobol = "sobol"


@app.command()
def sensitivity(
    scenario: Annotated[Path, typer.Argument(help="Scenario YAML file.")],
    method: Annotated[SensitivityMethod, typer.Option("--method")] = SensitivityMethod.tornado,
    samples: Annotated[
        int, typer.Option("--samples", "-n", min=8, help="Base samples for Sobol (power of two).")
    ] = 1024,
    seed: Annotated[int, typer.Option("--seed")] = 0,
    format: FormatOpt = ProbeFormat.table,
    output: OutputOpt = None,
    catalog: CatalogOpt = None,
) -> None:
    """Which inputs move the answer: a tornado of one-at-a-time swings, or Sobol indices."""
    from llmtco.analysis.sensitivity import sobol, tornado
    from llmtco.report.analysis import render_json_doc, sobol_table, tornado_table

    sc, cat = load_scenario(scenario, catalog or [])
    with spinner(f"{method.value} sensitivity"):
        res = tornado(sc, cat) if method is SensitivityMethod.tornado else sobol(sc, cat, samples=samples, seed=seed)
    if format is ProbeFormat.json:
        emit(render_json_doc(res.to_dict()), output)
    elif isinstance(res, SobolResult):
        emit(sobol_table(res, sc.name), output)
    else:
        emit(tornado_table(res, sc.name), output)


@app.command()
def optimize(
    scenario: Annotated[Path, typer.Argument(help="Scenario YAML file.")],
    power_kw: Annotated[
        float | None, typer.Option("--power-kw", min=0, help="Power budget for on-prem servers [kW].")
    ] = None,
    rack_units: Annotated[float | None, typer.Option("--rack-units", min=0, help="Rack space budget [U].")] = None,
    capex_usd: Annotated[
        float | None, typer.Option("--capex-usd", min=0, help="CapEx budget for servers [USD].")
    ] = None,
    format: FormatOpt = ProbeFormat.table,
    output: OutputOpt = None,
    catalog: CatalogOpt = None,
) -> None:
    """Cheapest fleet (MILP over on-prem, reserved, on-demand and API candidates) and hybrid base sizes."""
    from llmtco.analysis.optimize import hybrid_curve, optimize_fleet
    from llmtco.report.analysis import optimize_doc, optimize_table, render_json_doc

    sc, cat = load_scenario(scenario, catalog or [])
    with spinner("optimising"):
        fleet = optimize_fleet(sc, cat, power_kw=power_kw, rack_units=rack_units, capex_usd=capex_usd)
        hybrid = hybrid_curve(sc, cat) if any(o.kind == "hybrid" for o in sc.options) else None
    if format is ProbeFormat.json:
        emit(render_json_doc(optimize_doc(fleet, hybrid)), output)
    else:
        emit(optimize_table(fleet, hybrid, sc.name), output)
