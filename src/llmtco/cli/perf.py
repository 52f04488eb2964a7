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


@perf_app.command("serve")
def perf_serve(
    model: ModelOpt,
    accelerator: AcceleratorOpt,
    input_tokens: Annotated[float, typer.Option("--input-tokens", min=1, help="Mean prompt tokens.")] = 1000,
    output_tokens: Annotated[float, typer.Option("--output-tokens", min=1, help="Mean output tokens.")] = 250,
    input_p50: Annotated[float | None, typer.Option("--input-p50", min=1, help="Median prompt tokens.")] = None,
    input_p90: Annotated[float | None, typer.Option("--input-p90", min=1, help="p90 prompt tokens.")] = None,
    output_p50: Annotated[float | None, typer.Option("--output-p50", min=1, help="Median output tokens.")] = None,
    output_p90: Annotated[float | None, typer.Option("--output-p90", min=1, help="p90 output tokens.")] = None,
    tp: Annotated[int | None, typer.Option("--tp", min=1, max=8, help="Fixed tensor parallelism.")] = None,
    batch: Annotated[int | None, typer.Option("--batch", min=1, help="Fixed max concurrent sequences.")] = None,
    precision: WeightPrecisionOpt = None,
    kv_cache: Annotated[str | None, typer.Option("--kv-cache", help="KV-cache precision: bf16, fp16, fp8.")] = None,
    engine: EngineOpt = None,
    utilisation: Annotated[float, typer.Option("--utilisation", min=0.01, max=0.99, help="Load / capacity.")] = 0.7,
    percentile: Annotated[str, typer.Option("--percentile", help="TTFT percentile of the SLO: p50, p90, p99.")] = "p50",
    tpot_ms: Annotated[float | None, typer.Option("--tpot-ms", min=0.01, help="TPOT target [ms].")] = None,
    ttft_ms: Annotated[float | None, typer.Option("--ttft-ms", min=0.01, help="TTFT target [ms].")] = None,
    rate: Annotated[
        float | None, typer.Option("--rate", min=0, help="Offered requests/s (open loop): the operating point there.")
    ] = None,
    concurrency: Annotated[
        float | None,
        typer.Option("--concurrency", min=1, help="Concurrent clients (closed loop): the operating point there."),
    ] = None,
    replicas: Annotated[
        int | None, typer.Option("--replicas", min=1, help="Fixed replicas the load is split over.")
    ] = None,
    format: FormatOpt = ProbeFormat.table,
    output: OutputOpt = None,
    catalog: CatalogOpt = None,
) -> None:
    """Both layers at one configuration: step time and its parts; throughput, TPOT, TTFT percentiles at a load."""
    from llmtco.analysis.serve_probe import probe_serve, spread
    from llmtco.errors import UsageError

    if percentile not in ("p50", "p90", "p99"):
        raise UsageError(f"--percentile: {percentile!r}; allowed: p50, p90, p99")
    if kv_cache not in (None, "bf16", "fp16", "fp8"):
        raise UsageError(f"--kv-cache: {kv_cache!r}; allowed: bf16, fp16, fp8")
    if rate is not None and concurrency is not None:
        raise UsageError("--rate and --concurrency: give one or the other (an open or a closed loop)")
    if rate is not None and rate <= 0:
        raise UsageError(f"--rate: {rate:g} requests/s; give a rate above 0")
    in_spread, in_mean = spread("input", input_p50, input_p90)
    out_spread, out_mean = spread("output", output_p50, output_p90)
    cat = probe_catalog(catalog, model)
    data = probe_serve(
        cat,
        model,
        accelerator,
        input_tokens=in_mean or input_tokens,
        output_tokens=out_mean or output_tokens,
        input_spread=in_spread,
        output_spread=out_spread,
        tp=tp,
        batch=batch,
        precision=precision,
        kv_cache=kv_cache,
        engine=engine,
        utilisation=utilisation,
        percentile=percentile,
        tpot_ms=tpot_ms,
        ttft_ms=ttft_ms,
        rate_rps=rate,
        replicas=replicas,
        concurrency=concurrency,
    )
    _probe_out(data, format, output)


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
