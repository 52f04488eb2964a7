"""llmtco perf decode | prefill | train: the performance model for one step or one fine-tuning job."""

from __future__ import annotations

import json
from pathlib import Path
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
    WeightPrecisionOpt,
    emit,
    perf_app,
    probe_catalog,
    text_lines,
)
from llmtco.engine.probes import probe_decode, probe_prefill
from llmtco.errors import UsageError


def _probe_out(data: dict[str, object], format: ProbeFormat, output: Path | None) -> None:
    if format is ProbeFormat.json:
        emit(json.dumps(data, indent=2) + "\n", output)
        return
    lines = []
    for k, v in data.items():
        if isinstance(v, dict):
            lines.append(f"{k}:")
            lines += [f"  {kk}: {_fmt(vv)}" for kk, vv in v.items()]
        else:
            lines.append(f"{k}: {_fmt(v)}")
    emit(text_lines(lines), output)


def _fmt(v: object) -> str:
    return f"{v:,.4g}" if isinstance(v, float) else str(v)


@perf_app.command("decode")
def perf_decode(
    model: ModelOpt,
    accelerator: AcceleratorOpt,
    batch: Annotated[int, typer.Option("--batch", min=1, help="Concurrent sequences.")] = 1,
    context: Annotated[int, typer.Option("--context", min=1, help="Cached tokens per sequence.")] = 1024,
    tp: Annotated[int, typer.Option("--tp", min=1, max=64, help="Tensor-parallel GPUs.")] = 1,
    precision: WeightPrecisionOpt = None,
    engine: EngineOpt = None,
    format: FormatOpt = ProbeFormat.table,
    output: OutputOpt = None,
    catalog: CatalogOpt = None,
) -> None:
    """Time, throughput, power and memory of one decode step."""
    cat = probe_catalog(catalog, model)
    _probe_out(probe_decode(cat, model, accelerator, batch, context, tp, precision, engine), format, output)


@perf_app.command("prefill")
def perf_prefill(
    model: ModelOpt,
    accelerator: AcceleratorOpt,
    batch: Annotated[int, typer.Option("--batch", min=1, help="Sequences prefilled together.")] = 1,
    seq: Annotated[int, typer.Option("--seq", min=1, help="Prompt tokens per sequence.")] = 1024,
    tp: Annotated[int, typer.Option("--tp", min=1, max=64, help="Tensor-parallel GPUs.")] = 1,
    precision: WeightPrecisionOpt = None,
    engine: EngineOpt = None,
    format: FormatOpt = ProbeFormat.table,
    output: OutputOpt = None,
    catalog: CatalogOpt = None,
) -> None:
    """Time, throughput and power of one prefill step."""
    cat = probe_catalog(catalog, model)
    _probe_out(probe_prefill(cat, model, accelerator, batch, seq, tp, precision, engine), format, output)


@perf_app.command("train")
def perf_train(
    model: ModelOpt,
    accelerator: AcceleratorOpt,
    gpus: Annotated[
        int | None,
        typer.Option("--gpus", min=1, help="GPUs (default: the fewest that fit); any count that fits."),
    ] = None,
    method: Annotated[str, typer.Option("--method", help="full, lora or qlora.")] = "lora",
    seq: Annotated[int, typer.Option("--seq", min=16, help="Sequence length [tokens].")] = 2048,
    micro_batch: Annotated[int, typer.Option("--micro-batch", min=1, help="Sequences per GPU per step.")] = 1,
    lora_rank: Annotated[int, typer.Option("--lora-rank", min=1)] = 16,
    optimizer: Annotated[str, typer.Option("--optimizer", help="adamw, adamw_8bit or sgd.")] = "adamw",
    checkpointing: Annotated[bool, typer.Option("--checkpointing/--no-checkpointing")] = True,
    precision: Annotated[str, typer.Option("--precision", help="bf16 or fp8 compute.")] = "bf16",
    tokens_per_run: Annotated[
        float | None, typer.Option("--tokens-per-run", min=1, help="Tokens per run, for GPU-hours.")
    ] = None,
    engine: Annotated[
        str | None, typer.Option("--engine", help="Use factors fitted for this engine (e.g. torchtune).")
    ] = None,
    format: FormatOpt = ProbeFormat.table,
    output: OutputOpt = None,
    catalog: CatalogOpt = None,
) -> None:
    """Speed, GPU-hours and memory of a fine-tuning job; `fits` false with the reason (exit 0)."""
    from llmtco.engine.probes import probe_train

    allowed = {
        "method": ("full", "lora", "qlora"),
        "optimizer": ("adamw", "adamw_8bit", "sgd"),
        "precision": ("bf16", "fp8"),
    }
    for flag, value in (("method", method), ("optimizer", optimizer), ("precision", precision)):
        if value not in allowed[flag]:
            raise UsageError(f"--{flag}: {value!r} is not one of {', '.join(allowed[flag])}")
    cat = probe_catalog(catalog, model)
    _probe_out(
        probe_train(
            cat,
            model,
            accelerator,
            gpus,
            method,
            seq,
            micro_batch,
            lora_rank,
            optimizer,
            checkpointing,
            precision,
            tokens_per_run,
            engine,
        ),
        format,
        output,
    )
