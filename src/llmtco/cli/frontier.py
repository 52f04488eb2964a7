"""llmtco perf frontier | moe-check: the throughput–interactivity frontier of a model on an accelerator type,
and the published MoE benchmarks it is checked against."""

from __future__ import annotations

from typing import Annotated

import typer

from llmtco.cli.common import (
    AcceleratorOpt,
    CatalogOpt,
    EngineOpt,
    FormatOpt,
    ModelOpt,
    OutputOpt,
    ProbeFormat,
    emit,
    perf_app,
    probe_catalog,
)


@perf_app.command("frontier")
def perf_frontier(
    model: ModelOpt,
    accelerator: AcceleratorOpt,
    server: Annotated[
        str | None, typer.Option("--server", help="Catalog server or rack (default: the first carrying the GPU).")
    ] = None,
    precision: Annotated[
        list[str] | None,
        typer.Option("--precision", help="Weight precision; repeat for several (default: the model's, fp8, fp4)."),
    ] = None,
    input_tokens: Annotated[int, typer.Option("--input-tokens", min=1, help="Prompt tokens per request.")] = 1024,
    output_tokens: Annotated[int, typer.Option("--output-tokens", min=1, help="Output tokens per request.")] = 1024,
    max_gpus: Annotated[
        int | None, typer.Option("--max-gpus", min=1, max=1024, help="Largest instance (default 72).")
    ] = None,
    ttft_ms: Annotated[
        float | None, typer.Option("--ttft-ms", min=1, help="Drop points slower to the first token.")
    ] = None,
    price: Annotated[
        str, typer.Option("--price", help="Hour price: auto (cloud where rented), cloud, or onprem (amortised).")
    ] = "auto",
    extra_step_ms: Annotated[
        float,
        typer.Option(
            "--extra-step-ms", min=0, help="Add a serving stack's own time to every step [ms] (see docs/model.md)."
        ),
    ] = 0.0,
    stack_step: Annotated[
        bool,
        typer.Option(
            "--stack-step/--no-stack-step",
            help="MoE models: the serving stack's own time per step shipped in the efficiency record "
            "(calibration.stack_step); --no-stack-step: the layout physics alone.",
        ),
    ] = True,
    engine: EngineOpt = None,
    format: FormatOpt = ProbeFormat.table,
    output: OutputOpt = None,
    catalog: CatalogOpt = None,
) -> None:
    """Pareto curve of tokens/s per GPU against tokens/s per user over layouts, batch, disaggregation, precision."""
    from llmtco.analysis.frontier import frontier
    from llmtco.report.frontier import render_frontier_json, render_frontier_table

    cat = probe_catalog(catalog, model)
    f = frontier(
        cat,
        model,  # a config.json path is imported under its own path as id
        accelerator,
        server,
        precision,
        float(input_tokens),
        float(output_tokens),
        max_gpus,
        price,
        None,
        engine,
        ttft_ms,
        extra_step_ms,
        stack_step,
    )
    emit(render_frontier_json(f) if format is ProbeFormat.json else render_frontier_table(f), output)


@perf_app.command("moe-check")
def perf_moe_check(
    in_sample: Annotated[
        bool,
        typer.Option(
            "--in-sample",
            help="Only the shipped factors (seconds); by default each source and each accelerator is also "
            "predicted with the whole fit redone without its rows (minutes).",
        ),
    ] = False,
    format: FormatOpt = ProbeFormat.table,
    output: OutputOpt = None,
    catalog: CatalogOpt = None,
) -> None:
    """Published DeepSeek serving benchmarks predicted with the parallel layouts: errors and GPU ratios,
    in sample and out of sample."""
    import json

    from rich.console import Console
    from rich.progress import Progress

    from llmtco.analysis.moe_check import (
        SPLITS,
        MoeCheck,
        moe_check,
        moe_check_json,
        moe_check_out_of_sample,
        refits,
        render_moe_check,
    )
    from llmtco.catalog import load_catalog

    cat = load_catalog(catalog or [])
    check = moe_check(cat)
    oos: dict[str, MoeCheck] = {}
    if not in_sample:
        with Progress(console=Console(stderr=True), transient=True) as bar:
            task = bar.add_task("refitting without each source, then each accelerator", total=refits(cat))
            for split in SPLITS:
                oos[split] = moe_check_out_of_sample(cat, split, progress=lambda: bar.advance(task))
    if format is ProbeFormat.json:
        emit(json.dumps(moe_check_json(check, oos), indent=2) + "\n", output)
    else:
        emit(render_moe_check(check, oos), output)
