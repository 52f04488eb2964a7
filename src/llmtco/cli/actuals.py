"""``llmtco actuals``: plan against actual for one option (wiring only; the logic is in analysis.actuals)."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from llmtco.errors import UsageError


class ActualsFormat(StrEnum):
    table = "table"
    json = "json"
    html = "html"


class ServingEngine(StrEnum):
    vllm = "vllm"
    sglang = "sglang"


def _date(text: str, flag: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise UsageError(f"{flag}: {text!r} is not a date (YYYY-MM-DD)") from None


def _pairs(values: list[str] | None, flag: str) -> dict[str, str]:
    out = {}
    for v in values or []:
        key, sep, value = v.partition("=")
        if not sep or not key:
            raise UsageError(f"{flag}: {v!r} is not KEY=VALUE")
        out[key] = value
    return out


def _headers(values: list[str] | None) -> dict[str, str]:
    out = {}
    for v in values or []:
        name, sep, value = v.partition(":")
        if not sep or not name.strip():
            raise UsageError(f"--header: {v!r} is not 'Name: value'")
        out[name.strip()] = value.strip()
    return out


def _duration_s(text: str, flag: str) -> float:
    units = {"s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
    try:
        value = float(text[:-1]) * units[text[-1]] if text and text[-1] in units else float(text)
    except ValueError:
        raise UsageError(f"{flag}: {text!r} is not a duration (e.g. 1h, 15m, 3600)") from None
    if value <= 0:
        raise UsageError(f"{flag}: must be positive")
    return value


def actuals(
    scenario: Annotated[Path, typer.Argument(help="Scenario YAML whose plan to compare.")],
    option: Annotated[str, typer.Option("--option", help="Option of the scenario the fleet and bills belong to.")],
    date_from: Annotated[str, typer.Option("--from", help="First day (YYYY-MM-DD, UTC).")],
    date_to: Annotated[str, typer.Option("--to", help="Last day, inclusive (YYYY-MM-DD, UTC).")],
    prometheus: Annotated[str | None, typer.Option("--prometheus", help="Prometheus URL (HTTP API).")] = None,
    export: Annotated[Path | None, typer.Option("--export", help="Saved query_range export (JSON, .gz).")] = None,
    save_export: Annotated[
        Path | None, typer.Option("--save-export", help="Also save what --prometheus answered as an export.")
    ] = None,
    step: Annotated[str, typer.Option("--step", help="Query resolution (e.g. 1h, 15m).")] = "1h",
    timeout: Annotated[str, typer.Option("--timeout", help="Per-request timeout (e.g. 30s).")] = "30s",
    header: Annotated[
        list[str] | None,
        typer.Option("--header", help="HTTP header for --prometheus, 'Name: value' (e.g. Authorization); repeatable."),
    ] = None,
    engine: Annotated[ServingEngine, typer.Option("--engine", help="Serving metrics to read.")] = ServingEngine.vllm,
    serving_selector: Annotated[
        str, typer.Option("--serving-selector", help='Label matchers for serving series, e.g. model_name="x".')
    ] = "",
    gpu_selector: Annotated[
        str, typer.Option("--gpu-selector", help='Label matchers for DCGM series, e.g. Hostname=~"gpu-.*".')
    ] = "",
    workload_label: Annotated[str, typer.Option("--workload-label", help="Label naming the workload.")] = "model_name",
    workload: Annotated[
        list[str] | None, typer.Option("--workload", help="LABELVALUE=WORKLOAD mapping; repeatable.")
    ] = None,
    billing: Annotated[list[Path] | None, typer.Option("--billing", help="FOCUS cost export CSV; repeatable.")] = None,
    tag: Annotated[list[str] | None, typer.Option("--tag", help="Keep FOCUS rows with Tags KEY=VALUE.")] = None,
    resource_id: Annotated[
        list[str] | None, typer.Option("--resource-id", help="Keep FOCUS rows of this ResourceId.")
    ] = None,
    cost_column: Annotated[str, typer.Option("--cost-column", help="FOCUS cost column.")] = "EffectiveCost",
    ledger: Annotated[list[Path] | None, typer.Option("--ledger", help="On-prem cost ledger CSV; repeatable.")] = None,
    write_profile: Annotated[
        Path | None, typer.Option("--write-profile", help="Write a calibration profile fitted to the telemetry.")
    ] = None,
    catalog: Annotated[list[Path] | None, typer.Option("--catalog", help="Catalog overlay YAML; repeatable.")] = None,
    format: Annotated[ActualsFormat, typer.Option("--format", "-f")] = ActualsFormat.table,
    output: Annotated[Path | None, typer.Option("-o", "--output", help="Write to FILE instead of stdout.")] = None,
) -> None:
    """Plan against actual: telemetry, bills and ledger beside the plan, the variance split, recalibration."""
    from llmtco.analysis.actuals import CostFilter, ExportSource, PrometheusSource, Selection, actuals, queries
    from llmtco.analysis.actuals.costs import COST_COLUMNS
    from llmtco.analysis.actuals.plan import plan_for
    from llmtco.analysis.actuals.sources import TelemetrySource
    from llmtco.analysis.actuals.sources import save_export as do_save
    from llmtco.analysis.actuals.telemetry import matchers
    from llmtco.cli.common import emit
    from llmtco.report.actuals import RENDERERS
    from llmtco.scenario import load_scenario

    start, end = _date(date_from, "--from"), _date(date_to, "--to")
    if prometheus and export:
        raise UsageError("give --prometheus or --export, not both")
    if cost_column not in COST_COLUMNS:
        raise UsageError(f"--cost-column: {cost_column!r}; allowed: {', '.join(COST_COLUMNS)}")
    for flag, sel in (("--serving-selector", serving_selector), ("--gpu-selector", gpu_selector)):
        try:
            matchers(sel)
        except ValueError as exc:
            raise UsageError(f"{flag}: {exc}") from None
    step_s, timeout_s = _duration_s(step, "--step"), _duration_s(timeout, "--timeout")
    overlays = list(catalog or [])
    sc, cat = load_scenario(scenario, overlays)
    source: TelemetrySource | None = None
    if prometheus:
        source = PrometheusSource(prometheus, timeout_s=timeout_s, headers=_headers(header))
    elif export:
        source = ExportSource(export)
    selection = Selection(
        serving_selector=serving_selector,
        gpu_selector=gpu_selector,
        engine=engine.value,
        workload_label=workload_label,
        workloads=_pairs(workload, "--workload"),
    )

    def replan(profile: Path) -> object:
        sc2, cat2 = load_scenario(scenario, [*overlays, profile])
        return plan_for(sc2, cat2, option)

    result = actuals(
        sc,
        cat,
        option,
        start,
        end,
        telemetry=source,
        selection=selection,
        step_s=step_s,
        billing=billing,
        cost_filter=CostFilter(_pairs(tag, "--tag"), set(resource_id or []), cost_column),
        ledger=ledger,
        profile=write_profile,
        replan=replan,  # type: ignore[arg-type]
    )
    if format is ActualsFormat.html:
        from llmtco.engine import evaluate
        from llmtco.report.actuals import render_report

        emit(render_report(result, evaluate(sc, cat)), output)  # the plan's report with the section in it
    else:
        emit(RENDERERS[format.value](result), output)
    if save_export is not None and isinstance(source, PrometheusSource):
        s0 = dt.datetime.combine(start, dt.time(), dt.UTC).timestamp()
        s1 = dt.datetime.combine(end + dt.timedelta(days=1), dt.time(), dt.UTC).timestamp()
        n = do_save(source, queries(selection), s0, s1, step_s, save_export)
        typer.echo(f"wrote {save_export} ({n} series)", err=True)
    if write_profile is not None and result.recalibration is not None:
        typer.echo(f"wrote {write_profile}; use it with `calibration: {write_profile}` in a scenario", err=True)
    errors = [p for p in result.problems if p.severity == "error"]
    in_view = format is ActualsFormat.table and output is None  # the table already lists the notes
    for p in result.problems:
        if p.severity == "error" or not in_view:
            typer.echo(f"llmtco: {'error' if p.severity == 'error' else 'note'}: {p}", err=True)
    if errors:
        typer.echo(f"llmtco: {len(errors)} problem(s) above; everything read before them is in the report", err=True)
        raise typer.Exit(2)


def register(app: typer.Typer) -> None:
    app.command("actuals")(actuals)
