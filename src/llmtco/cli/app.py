"""Typer application: llmtco breakdown | validate | schema | init | catalog | perf (sweep: cli/sweep.py)."""

from __future__ import annotations

import json
from enum import StrEnum
from importlib import resources
from pathlib import Path
from typing import Annotated, Any

import typer

from llmtco.catalog import KINDS, load_catalog
from llmtco.engine import evaluate, probe_decode, probe_prefill
from llmtco.errors import UsageError, did_you_mean
from llmtco.files import write_atomic
from llmtco.report import RENDERERS
from llmtco.scenario import json_schema, load_scenario

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
    help="Itemised TCO of LLM inference: on-prem GPUs vs cloud GPUs vs hosted APIs.",
)
catalog_app = typer.Typer(
    no_args_is_help=True, help="Browse the bundled catalog (every record with source and as-of date)."
)
perf_app = typer.Typer(no_args_is_help=True, help="Probe the performance model for one step.")
app.add_typer(catalog_app, name="catalog")
app.add_typer(perf_app, name="perf")


class Format(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"
    markdown = "markdown"
    html = "html"
    xlsx = "xlsx"


class ReportFormat(StrEnum):
    html = "html"
    markdown = "markdown"
    xlsx = "xlsx"


class DiffFormat(StrEnum):
    table = "table"
    json = "json"
    markdown = "markdown"


class ProbeFormat(StrEnum):
    table = "table"
    json = "json"


ModelOpt = Annotated[str, typer.Option("--model", help="Catalog model id.")]
AcceleratorOpt = Annotated[str, typer.Option("--accelerator", help="Catalog accelerator id.")]
WeightPrecisionOpt = Annotated[str | None, typer.Option("--precision", help="Weight precision (default: the model's).")]
EngineOpt = Annotated[str | None, typer.Option("--engine", help="Use factors fitted for this engine (e.g. vllm).")]
FormatOpt = Annotated[ProbeFormat, typer.Option("--format", "-f")]
CatalogOpt = Annotated[
    list[Path] | None, typer.Option("--catalog", help="Catalog overlay YAML ({kind: [records]}); repeatable.")
]
OutputOpt = Annotated[Path | None, typer.Option("-o", "--output", help="Write to FILE instead of stdout.")]


def emit(text: str, output: Path | None) -> None:
    """Write results to stdout or atomically to a file (a failed write leaves the old file intact)."""
    if output is None:
        typer.echo(text, nl=not text.endswith("\n"))
        return
    emit_bytes(text.encode("utf-8"), output)


def render_result(result: Any, fmt: str, output: Path | None) -> None:
    """Write a Result in any output format (xlsx needs -o: it is binary)."""
    if fmt == "xlsx":
        from llmtco.report import render_xlsx

        if output is None:
            raise UsageError("--format xlsx writes a binary workbook: give -o FILE.xlsx")
        emit_bytes(render_xlsx(result), output)
    elif fmt == "html":
        from llmtco.report import render_html

        emit(render_html(result), output)
    else:
        emit(RENDERERS[fmt](result), output)


def emit_bytes(data: bytes, output: Path) -> None:
    """Write ``data`` atomically to ``output``: a temporary file in the same folder, then a rename."""
    output = output.expanduser()
    directory = output.parent if str(output.parent) else Path(".")
    if not directory.is_dir():
        raise UsageError(f"-o: directory {str(directory)!r} does not exist")
    write_atomic(output, data)
    typer.echo(f"wrote {output}", err=True)


FailAboveOpt = Annotated[
    float | None, typer.Option("--fail-above", min=0, help="Exit 3 if an option's total (USD) is above this.")
]
GateOptionOpt = Annotated[str | None, typer.Option("--option", help="Apply the gates to this option only.")]
SoftFailOpt = Annotated[bool, typer.Option("--soft-fail", help="Report crossed gates without failing.")]


def apply_gates(problems: list[str], soft: bool) -> None:
    from llmtco.errors import GateFailed

    if not problems:
        return
    if soft:
        for p in problems:
            typer.echo(f"llmtco: gate crossed (soft): {p}", err=True)
        return
    raise GateFailed("; ".join(problems))


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
    result = evaluate(sc, cat)
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
    with _spinner("rendering charts" if fmt == "html" else "writing"):
        result = evaluate(sc, cat)
        if fmt == "html" and samples > 0:
            from llmtco.analysis.montecarlo import simulate as run_simulate
            from llmtco.analysis.sensitivity import tornado as run_tornado
            from llmtco.analysis.uncertainty import inputs as uncertain_inputs
            from llmtco.report import render_html

            sim = tor = None
            if uncertain_inputs(sc, cat):
                sim = run_simulate(sc, cat, samples, seed).summary()
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
            doc = _json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise UsageError(f"{path}: not a readable JSON result ({exc})") from None
        if not isinstance(doc, dict) or "options" not in doc or "schema_version" not in doc:
            raise UsageError(f"{path}: not a `llmtco breakdown --format json` result")
        return doc, None
    sc, cat = load_scenario(path, catalog)
    return evaluate(sc, cat).to_dict(), to_plain(load_yaml(path))


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


def _kind(kind: str) -> str:
    if kind not in KINDS:
        raise UsageError(f"unknown catalog kind {kind!r}.{did_you_mean(kind, KINDS)}")
    return kind


def _summary(rec: Any) -> str:
    for attr in ("name", "instance", "model_ref", "unit"):
        v = getattr(rec, attr, None)
        if v:
            return str(v)
    return ""


@catalog_app.command("list")
def catalog_list(
    kind: Annotated[str, typer.Argument(help=f"One of: {', '.join(KINDS)}.")],
    format: FormatOpt = ProbeFormat.table,
    catalog: CatalogOpt = None,
    output: OutputOpt = None,
) -> None:
    """List records of one kind with their source and as-of date."""
    cat = load_catalog(catalog or [])
    table = cat.table(_kind(kind))
    if format is ProbeFormat.json:
        emit(json.dumps([r.model_dump(mode="json") for r in table], indent=2) + "\n", output)
        return
    lines = []
    stale = {(k, i) for k, i, _ in cat.stale(__import__("datetime").date.today())}
    for r in table:
        flags = (
            ("  [overlay]" if r.overlay else "")
            + ("  [estimate]" if r.estimate else "")
            + ("  [stale]" if (kind, r.id) in stale else "")
        )
        lines.append(
            f"{r.id:<34} {_summary(r)[:44]:<44} as of {r.as_of.isoformat()}{flags}\n{'':<34} source: {r.source[:110]}"
        )
    emit("\n".join(lines) + "\n", output)


@catalog_app.command("show")
def catalog_show(
    kind: Annotated[str, typer.Argument(help=f"One of: {', '.join(KINDS)}.")],
    id: Annotated[str, typer.Argument(help="Record id (see `llmtco catalog list KIND`).")],
    catalog: CatalogOpt = None,
) -> None:
    """Print one record in full (YAML-like JSON), with source and as-of date."""
    cat = load_catalog(catalog or [])
    rec = cat.table(_kind(kind)).get(id)
    typer.echo(json.dumps(rec.model_dump(mode="json"), indent=2))


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
    emit("\n".join(lines) + "\n", output)


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
    cat = load_catalog(catalog or [])
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
    cat = load_catalog(catalog or [])
    _probe_out(probe_prefill(cat, model, accelerator, batch, seq, tp, precision, engine), format, output)


@perf_app.command("train")
def perf_train(
    model: ModelOpt,
    accelerator: AcceleratorOpt,
    gpus: Annotated[
        int | None, typer.Option("--gpus", min=1, max=1024, help="GPUs (default: the fewest that fit).")
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
    from llmtco.engine import probe_train

    allowed = {
        "method": ("full", "lora", "qlora"),
        "optimizer": ("adamw", "adamw_8bit", "sgd"),
        "precision": ("bf16", "fp8"),
    }
    for flag, value in (("method", method), ("optimizer", optimizer), ("precision", precision)):
        if value not in allowed[flag]:
            raise UsageError(f"--{flag}: {value!r} is not one of {', '.join(allowed[flag])}")
    cat = load_catalog(catalog or [])
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


@app.command()
def accuracy(
    corpus: Annotated[
        Path | None,
        typer.Option("--corpus", help="CSV with the columns of the published corpus (default: the committed one)."),
    ] = None,
    loso: Annotated[
        bool, typer.Option("--loso/--no-loso", help="Also refit leave-one-source-out (slower, honest).")
    ] = True,
    format: FormatOpt = ProbeFormat.table,
    output: OutputOpt = None,
    catalog: CatalogOpt = None,
) -> None:
    """Predict every measurement in the corpus and report the model's error per row and per metric."""
    from llmtco.calibration.api import accuracy as run_accuracy
    from llmtco.calibration.report import render_json as acc_json
    from llmtco.calibration.report import render_table as acc_table

    cat = load_catalog(catalog or [])
    with _spinner("fitting leave-one-source-out" if loso else "predicting"):
        doc = run_accuracy(cat, corpus, loso)
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
    with _spinner("fitting"):
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


class _spinner:
    """A progress spinner on stderr for long work (silent when stderr is not a terminal)."""

    def __init__(self, text: str) -> None:
        from rich.console import Console

        self.status = Console(stderr=True).status(text)

    def __enter__(self) -> None:
        self.status.__enter__()

    def __exit__(self, *exc: object) -> None:
        self.status.__exit__(None, None, None)


def _fmt_usd(v: float) -> str:
    return f"{v / 1e6:,.2f}M" if abs(v) >= 1e6 else f"{v / 1e3:,.1f}k"


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
    import json as _json

    from rich.progress import Progress

    from llmtco.analysis.montecarlo import simulate as run_simulate

    sc, cat = load_scenario(scenario, catalog or [])
    with Progress(console=__import__("rich.console").console.Console(stderr=True), transient=True) as bar:
        task = bar.add_task("simulating", total=samples)
        sim = run_simulate(sc, cat, samples, seed, progress=lambda n: bar.advance(task, n))
    doc = sim.summary()
    doc["scenario"] = sc.name
    if format is ProbeFormat.json:
        emit(_json.dumps(doc, indent=2, allow_nan=False, default=lambda x: None) + "\n", output)
        return
    lines = [f"{sc.name}: {samples:,} samples, seed {seed}, {len(doc['inputs'])} uncertain input(s)", ""]
    lines.append(f"{'option':30} {'P10':>10} {'P50':>10} {'P90':>10} {'P(cheapest)':>12}   (total cost, USD)")
    for name, o in doc["options"].items():
        t = o["total_cost_usd"]
        lines.append(
            f"{name[:30]:30} {_fmt_usd(t['p10']):>10} {_fmt_usd(t['p50']):>10} {_fmt_usd(t['p90']):>10} "
            f"{o['probability_cheapest'] * 100:11.1f}%"
        )
    lines.append("")
    lines.append(f"{'option':30} {'P10':>10} {'P50':>10} {'P90':>10}   (USD per M tokens)")
    for name, o in doc["options"].items():
        m = o["cost_per_mtok_usd"]
        lines.append(f"{name[:30]:30} {m['p10']:10.3f} {m['p50']:10.3f} {m['p90']:10.3f}")
    lines.append("")
    for pair, b in doc["breakeven_month"].items():
        if b["p50"] is not None and b["p50"] > 0:
            lines.append(
                f"break-even {pair}: P50 month {b['p50']:.0f} (P10 {b['p10']:.0f}, P90 {b['p90']:.0f}), "
                f"never within the horizon in {b['probability_never'] * 100:.0f} % of samples"
            )
    lines.append("")
    lines.append("inputs: " + "; ".join(f"{i['from']} ({i['distribution']})" for i in doc["inputs"]))
    emit("\n".join(lines) + "\n", output)


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
    import json as _json

    from llmtco.analysis.sensitivity import sobol, tornado

    sc, cat = load_scenario(scenario, catalog or [])
    with _spinner(f"{method.value} sensitivity"):
        doc = tornado(sc, cat) if method is SensitivityMethod.tornado else sobol(sc, cat, samples, seed)
    if format is ProbeFormat.json:
        emit(_json.dumps(doc, indent=2) + "\n", output)
        return
    first, second = doc["leaders"]
    lines = [f"{sc.name}: {method.value} sensitivity; leaders {first} and {second}", ""]
    if method is SensitivityMethod.tornado:
        lines.append(f"{'input':48} {'P10':>12} {'P90':>12} {'swing of ' + str(second) + ' - ' + str(first):>30}")
        for row in doc["inputs"]:
            d = row.get("leading_difference")
            swing = f"{_fmt_usd(d['at_low'])} .. {_fmt_usd(d['at_high'])}" if d else "-"
            lines.append(f"{row['input'][:48]:48} {row['low']:12.4g} {row['high']:12.4g} {swing:>30}")
    else:
        target = "leading_difference" if first and second else next(iter(doc["inputs"][0]["total_order"]))
        lines.append(f"{'input':48} {'first order':>12} {'total order':>12}   ({target})")
        for row in doc["inputs"]:
            lines.append(
                f"{row['input'][:48]:48} {row['first_order'][target]:12.3f} {row['total_order'][target]:12.3f}"
            )
        lines.append(f"\n{doc['evaluations']:,} engine evaluations (n = {doc['base_samples']})")
    emit("\n".join(lines) + "\n", output)


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
    import json as _json

    from llmtco.analysis.optimize import hybrid_curve, optimize_fleet

    sc, cat = load_scenario(scenario, catalog or [])
    with _spinner("optimising"):
        doc: dict[str, Any] = {"fleet": optimize_fleet(sc, cat, power_kw, rack_units, capex_usd)}
        if any(o.kind == "hybrid" for o in sc.options):
            doc["hybrid"] = hybrid_curve(sc, cat)
    if format is ProbeFormat.json:
        emit(_json.dumps(doc, indent=2) + "\n", output)
        return
    f = doc["fleet"]
    lines = [f"{sc.name}: {f['candidates']} candidates", f["explanation"], ""]
    lines.append(f"{'option':44} {'NPV':>12} {'total':>12}")
    for row in f["ranking"]:
        lines.append(f"{row['option'][:44]:44} {_fmt_usd(row['npv_usd']):>12}")
    for name, h in doc.get("hybrid", {}).items():
        lines.append("")
        lines.append(
            f"hybrid {name}: best base percentile P{h['best']['base_percentile']:g} "
            f"(NPV {_fmt_usd(h['best']['npv_usd'])}; now P{h['current']:g})"
        )
        for p in h["curve"]:
            bar = "#" * max(1, int(40 * p["npv_usd"] / max(q["npv_usd"] for q in h["curve"])))
            lines.append(f"  P{p['base_percentile']:>5.0f} {_fmt_usd(p['npv_usd']):>10} {bar}")
    emit("\n".join(lines) + "\n", output)


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
    with _spinner(f"measuring {name} ({acc.id})"):
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


@app.command()
def serve(
    host: Annotated[str, typer.Option("--host", help="Address to bind (loopback by default).")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=1, max=65535)] = 8000,
    database_url: Annotated[
        str | None,
        typer.Option(
            "--database-url",
            envvar="LLMTCO_DATABASE_URL",
            help="SQLAlchemy URL; default SQLite under the user data directory.",
        ),
    ] = None,
    catalog: CatalogOpt = None,
) -> None:
    """Run the web app: scenario editor with live results, saved versioned scenarios, catalog, REST API."""
    import uvicorn

    from llmtco.web.app import create_app
    from llmtco.web.store import default_url

    url = database_url or default_url()
    typer.echo(f"llmtco web app on http://{host}:{port}  (database: {url.split('@')[-1]})", err=True)
    uvicorn.run(create_app(url, [str(c) for c in catalog or []]), host=host, port=port, log_level="warning")


@app.command()
def version() -> None:
    """Print the llmtco version."""
    from llmtco import __version__

    typer.echo(__version__)
