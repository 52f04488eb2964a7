"""What every command shares: the typer apps, option types, output helpers and the progress spinner."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from llmtco.catalog import load_catalog
from llmtco.errors import UsageError
from llmtco.files import write_atomic
from llmtco.report import RENDERERS
from llmtco.report.text import escape_controls

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
users_app = typer.Typer(no_args_is_help=True, help="Accounts of the web app: add, list, disable, API tokens.")
app.add_typer(perf_app, name="perf")
app.add_typer(users_app, name="users")


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


ModelOpt = Annotated[
    str, typer.Option("--model", help="Catalog model id, or a path to a Hugging Face config.json (offline).")
]
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


def text_lines(lines: list[str]) -> str:
    """Lines of a text table, each with control characters from scenario strings escaped."""
    return "".join(escape_controls(line) + "\n" for line in lines)


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


class spinner:
    """A progress spinner on stderr for long work (silent when stderr is not a terminal)."""

    def __init__(self, text: str) -> None:
        from rich.console import Console

        self.status = Console(stderr=True).status(text)

    def __enter__(self) -> None:
        self.status.__enter__()

    def __exit__(self, *exc: object) -> None:
        self.status.__exit__(None, None, None)


def probe_catalog(catalog: list[Path] | None, model: str) -> Any:
    """The catalog for a perf probe; ``--model x.json`` imports that config.json into it."""
    from llmtco.catalog.model_import import add_config_model, is_config_ref

    cat = load_catalog(catalog or [])
    if is_config_ref(model):
        add_config_model(cat, model, Path(model))
    return cat
