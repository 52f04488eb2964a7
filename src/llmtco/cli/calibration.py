"""llmtco accuracy | calibrate | measure: how accurate the model is, and fitting it to measurements."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from llmtco.catalog import load_catalog
from llmtco.cli.common import (
    CatalogOpt,
    FormatOpt,
    OutputOpt,
    ProbeFormat,
    WeightPrecisionOpt,
    app,
    emit,
    spinner,
)
from llmtco.errors import UsageError


@app.command()
def accuracy(
    corpus: Annotated[
        Path | None,
        typer.Option("--corpus", help="CSV with the columns of the published corpus (default: the committed one)."),
    ] = None,
    loso: Annotated[
        bool,
        typer.Option(
            "--loso/--no-loso",
            help="Also refit leave-one-source-out and leave-one-accelerator-out (the out-of-sample headline).",
        ),
    ] = True,
    format: FormatOpt = ProbeFormat.table,
    output: OutputOpt = None,
    catalog: CatalogOpt = None,
) -> None:
    """Predict every measurement in the corpus; report the error out of sample (LOSO, LOAO) and in-sample."""
    from rich.console import Console
    from rich.progress import Progress

    from llmtco.calibration.api import accuracy as run_accuracy
    from llmtco.calibration.report import render_json as acc_json
    from llmtco.calibration.report import render_table as acc_table

    cat = load_catalog(catalog or [])
    if not loso:
        with spinner("predicting"):
            doc = run_accuracy(cat, corpus, loso)
    else:
        with Progress(console=Console(stderr=True), transient=True) as bar:
            task = bar.add_task("refitting out of sample (sources, accelerators, 2026 collection)", total=None)

            def advance(n: int) -> None:
                if bar.tasks[0].total is None:
                    bar.update(task, total=n)
                else:
                    bar.advance(task, n)

            doc = run_accuracy(cat, corpus, loso, advance)
    emit(acc_json(doc) if format is ProbeFormat.json else acc_table(doc), output)


@app.command()
def calibrate(
    source: Annotated[
        Path, typer.Option("--from", help="Corpus CSV, vLLM `bench serve` result JSON, or GuideLLM report JSON.")
    ],
    output: Annotated[Path, typer.Option("-o", "--output", help="Profile YAML to write.")],
    model: Annotated[str | None, typer.Option("--model", help="Catalog model id (JSON results only).")] = None,
    accelerator: Annotated[
        str | None, typer.Option("--accelerator", help="Catalog accelerator id (JSON results only).")
    ] = None,
    gpus: Annotated[int, typer.Option("--gpus", min=1, help="GPUs the benchmarked server used.")] = 1,
    tp: Annotated[int, typer.Option("--tp", min=1, help="Tensor-parallel degree of the server.")] = 1,
    precision: WeightPrecisionOpt = None,
    engine: Annotated[
        str | None, typer.Option("--engine", help="Serving engine name, e.g. vllm, sglang, trtllm.")
    ] = None,
    catalog: CatalogOpt = None,
) -> None:
    """Fit efficiency factors to measurements and write a calibration profile."""
    from llmtco.calibration.api import calibrate as run_calibrate

    cat = load_catalog(catalog or [])
    with spinner("fitting"):
        effs, cases = run_calibrate(
            cat,
            source,
            output,
            model=model,
            accelerator=accelerator,
            gpus=gpus,
            tp=tp,
            precision=precision,
            engine=engine,
        )
    for e in effs:
        typer.echo(f"{e.id}: fitted on {e.fitted_on} measurement(s)", err=True)
    typer.echo(
        f"wrote {output} ({len(cases)} measurement(s)); use it with `calibration: {output}` in a scenario", err=True
    )


DEVICE_NAMES = (
    ("h100 nvl", "h100-nvl"),
    ("h100 pcie", "h100-pcie"),
    ("h100", "h100-sxm"),
    ("h200", "h200"),
    ("b200", "b200"),
    ("a100-sxm4-40gb", "a100-40gb"),
    ("a100", "a100-80gb"),
    ("l40s", "l40s"),
    ("l4", "l4"),
    ("4090", "rtx-4090"),
    ("5090", "rtx-5090"),
)


@app.command()
def measure(
    output: Annotated[Path, typer.Option("-o", "--output", help="Calibration profile YAML to write.")],
    accelerator: Annotated[
        str | None, typer.Option("--accelerator", help="Catalog id (default: from the device name).")
    ] = None,
    raw: Annotated[Path | None, typer.Option("--json", help="Also write the raw readings as JSON.")] = None,
    seconds: Annotated[float, typer.Option("--seconds", min=0.5, help="Duration of each power reading.")] = 3.0,
    catalog: CatalogOpt = None,
) -> None:
    """Measure this machine's NVIDIA GPU (power, bandwidth, matmul, decode steps) and write a profile.

    Needs the extra `llmtco[gpu]` (nvidia-ml-py, torch). Exits 2 without a GPU.
    """
    import json as _json

    from llmtco.calibration.profile import write_overlay
    from llmtco.measure.core import profile_records, run_measure
    from llmtco.measure.devices import NvmlTelemetry, TorchBench

    cat = load_catalog(catalog or [])
    telemetry = NvmlTelemetry()
    bench = TorchBench()
    name = telemetry.device_name()
    acc_id = accelerator or next((aid for key, aid in DEVICE_NAMES if key in name.lower()), None)
    if acc_id is None:
        raise UsageError(
            f"--accelerator: cannot tell the catalog id of {name!r}; give one of "
            f"{', '.join(a.id for a in cat.accelerators)}"
        )
    acc = cat.accelerators.get(acc_id, "--accelerator")
    with spinner(f"measuring {name} ({acc.id})"):
        result = run_measure(telemetry, bench, acc, seconds=seconds)
    accel, eff = profile_records(acc, cat.efficiency.get(acc.id), result)
    write_overlay(
        {"accelerators": [accel], "efficiency": [eff]},
        output,
        header=f"# llmtco measure on {result.device} at {result.measured_at}\n"
        f"# idle {result.idle_power_w:.0f} W, copy {result.copy_bandwidth_gb_s:.0f} GB/s, "
        f"bf16 matmul {result.bf16_tflops:.0f} TFLOP/s\n"
        "# Use with `calibration: <this file>` (and `engine: torch-eager` for the fitted factors).\n",
    )
    text = _json.dumps(result.to_dict(), indent=2) + "\n"
    if raw is not None:
        emit(text, raw)
    typer.echo(text, nl=False)
    typer.echo(f"wrote {output}", err=True)
