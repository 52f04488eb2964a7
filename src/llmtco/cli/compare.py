"""The main job and its companions: breakdown, report, diff, validate, schema, init."""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Annotated, Any

import typer

from llmtco.analysis.breakeven import compare
from llmtco.cli.common import (
    CatalogOpt,
    DiffFormat,
    FailAboveOpt,
    Format,
    GateOptionOpt,
    OutputOpt,
    ReportFormat,
    SoftFailOpt,
    app,
    apply_gates,
    emit,
    render_result,
    spinner,
)
from llmtco.errors import UsageError
from llmtco.files import read_text_limited
from llmtco.scenario import json_schema, load_scenario


@app.command()
def breakdown(
    scenario: Annotated[Path, typer.Argument(help="Scenario YAML file.")],
    format: Annotated[Format, typer.Option("--format", "-f", help="Output format.")] = Format.table,
    output: OutputOpt = None,
    catalog: CatalogOpt = None,
    fail_above: FailAboveOpt = None,
    gate_option: GateOptionOpt = None,
    soft_fail: SoftFailOpt = False,
) -> None:
    """Compare every option of SCENARIO: line items, totals, NPV, $/Mtok, sizing, break-even."""
    from llmtco.report.gates import above_limit

    sc, cat = load_scenario(scenario, catalog or [])
    result = compare(sc, cat)
    render_result(result, format.value, output)
    if fail_above is not None:
        apply_gates(above_limit(result, fail_above, gate_option), soft_fail)


@app.command()
def report(
    scenario: Annotated[Path, typer.Argument(help="Scenario YAML file.")],
    output: Annotated[Path, typer.Option("-o", "--output", help="File to write (e.g. report.html).")],
    format: Annotated[ReportFormat | None, typer.Option("--format", "-f", help="Default: from the file name.")] = None,
    samples: Annotated[
        int,
        typer.Option(
            "--samples",
            min=0,
            help="Monte Carlo samples for the HTML report's distribution and tornado charts (0: leave them out).",
        ),
    ] = 5000,
    seed: Annotated[int, typer.Option("--seed")] = 0,
    catalog: CatalogOpt = None,
    axes: Annotated[
        str | None, typer.Option("--axes", help="Sweep results: the winner map's two axes, X,Y (default: first two).")
    ] = None,
) -> None:
    """Write a report to forward: self-contained HTML with charts, Markdown, or an Excel workbook.

    SCENARIO may also be a `llmtco sweep` result (.parquet): its HTML report has the winner map,
    cost per Mtok against each axis and the Pareto fronts."""
    if scenario.suffix.lower() == ".parquet":
        from llmtco.cli.sweep import report_sweep

        return report_sweep(scenario, output, axes)
    fmt = format.value if format else {".md": "markdown", ".xlsx": "xlsx"}.get(output.suffix.lower(), "html")
    sc, cat = load_scenario(scenario, catalog or [])
    with spinner("rendering charts" if fmt == "html" else "writing"):
        result = compare(sc, cat)
        if fmt == "html" and samples > 0:
            from llmtco.analysis.montecarlo import simulate as run_simulate
            from llmtco.analysis.sensitivity import tornado as run_tornado
            from llmtco.analysis.uncertainty import inputs as uncertain_inputs
            from llmtco.report import render_html

            sim = tor = None
            if uncertain_inputs(sc, cat):
                sim = run_simulate(sc, cat, samples=samples, seed=seed)
                tor = run_tornado(sc, cat)
            emit(render_html(result, sim, tor), output)
        else:
            render_result(result, fmt, output)


def _load_side(path: Path, catalog: list[Path]) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """A breakdown JSON document and the scenario inputs behind it (None for a saved JSON result)."""
    import json as _json

    from llmtco.yamlio import load_yaml, to_plain

    if path.suffix.lower() == ".json":
        try:
            doc = _json.loads(read_text_limited(path))
        except (OSError, ValueError) as exc:
            raise UsageError(f"{path}: not a readable JSON result ({exc})") from None
        if not isinstance(doc, dict) or "options" not in doc or "schema_version" not in doc:
            raise UsageError(f"{path}: not a `llmtco breakdown --format json` result")
        return doc, None
    sc, cat = load_scenario(path, catalog)
    return compare(sc, cat).to_dict(), to_plain(load_yaml(path))


@app.command()
def diff(
    base: Annotated[Path, typer.Argument(help="Base scenario YAML or saved breakdown JSON.")],
    head: Annotated[Path, typer.Argument(help="Head scenario YAML or saved breakdown JSON.")],
    format: Annotated[DiffFormat, typer.Option("--format", "-f")] = DiffFormat.table,
    output: OutputOpt = None,
    catalog: CatalogOpt = None,
    fail_above: FailAboveOpt = None,
    fail_on_increase: Annotated[
        float | None, typer.Option("--fail-on-increase", help="Exit 3 if an option's total rises more than PCT %.")
    ] = None,
    gate_option: GateOptionOpt = None,
    soft_fail: SoftFailOpt = False,
) -> None:
    """What changed between two scenarios or results: inputs, and cost per option and line item."""
    from llmtco.report.diff import diff_results, render_diff_json, render_diff_markdown, render_diff_table
    from llmtco.report.gates import head_above_limit, increase_above

    b_doc, b_in = _load_side(base, catalog or [])
    h_doc, h_in = _load_side(head, catalog or [])
    d = diff_results(
        b_doc, h_doc, str(base), str(head), b_in if h_in is not None else None, h_in if b_in is not None else None
    )
    render = {"table": render_diff_table, "json": render_diff_json, "markdown": render_diff_markdown}[format.value]
    emit(render(d), output)
    problems: list[str] = []
    if fail_above is not None:
        problems += head_above_limit(d, fail_above, gate_option)
    if fail_on_increase is not None:
        problems += increase_above(d, fail_on_increase, gate_option)
    apply_gates(problems, soft_fail)


@app.command()
def validate(
    scenario: Annotated[Path, typer.Argument(help="Scenario YAML file.")],
    catalog: CatalogOpt = None,
) -> None:
    """Check SCENARIO against the schema and the catalog; exit 2 with file:line:col messages if invalid."""
    sc, _ = load_scenario(scenario, catalog or [])
    typer.echo(f"{scenario}: ok ({len(sc.workloads)} workload(s), {len(sc.options)} option(s))")


@app.command()
def schema(output: OutputOpt = None) -> None:
    """Print the scenario JSON Schema (for editor completion and validation)."""
    emit(json_schema() + "\n", output)


@app.command()
def init(
    path: Annotated[Path, typer.Argument(help="Where to write the starter scenario.")] = Path("scenario.yaml"),
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
) -> None:
    """Write a commented starter scenario."""
    if path.exists() and not force:
        raise UsageError(f"{path} exists; pass --force to overwrite it")
    text = resources.files("llmtco.scenario").joinpath("starter.yaml").read_text(encoding="utf-8")
    emit(text, path)
    typer.echo(f"next: llmtco breakdown {path}", err=True)
