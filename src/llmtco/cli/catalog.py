"""llmtco catalog list | show | import-model: the bundled records with their sources."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from llmtco.catalog import KINDS, load_catalog
from llmtco.cli.common import (
    CatalogOpt,
    FormatOpt,
    OutputOpt,
    ProbeFormat,
    catalog_app,
    emit,
    text_lines,
)
from llmtco.errors import UsageError, did_you_mean


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
    emit(text_lines(lines), output)


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


@catalog_app.command("import-model")
def catalog_import_model(
    config: Annotated[Path, typer.Argument(help="A Hugging Face config.json (a local file; nothing is downloaded).")],
    id: Annotated[str, typer.Option("--id", help="Catalog id for the model.")],
    name: Annotated[str | None, typer.Option("--name", help="Display name (default: the id).")] = None,
    output: OutputOpt = None,
) -> None:
    """Derive a model record (shape, parameter counts) from config.json and write it as a catalog overlay."""
    from llmtco.catalog.model_import import model_from_config, overlay_yaml

    emit(overlay_yaml(model_from_config(config, id, name)), output)
