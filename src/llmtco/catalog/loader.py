"""Load the bundled catalog and user overlays into one typed, validated Catalog."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, Generic, TypeVar

from pydantic import ValidationError

from llmtco.catalog.records import (
    Accelerator,
    ApiOffering,
    CloudInstance,
    Efficiency,
    Fx,
    Model,
    Rate,
    Record,
    Region,
    Server,
)
from llmtco.errors import CatalogError, Issue, ScenarioError, did_you_mean
from llmtco.yamlio import load_yaml, load_yaml_text, position, to_plain

R = TypeVar("R", bound=Record)

KINDS: dict[str, type[Record]] = {
    "accelerators": Accelerator,
    "servers": Server,
    "cloud_instances": CloudInstance,
    "api_offerings": ApiOffering,
    "models": Model,
    "regions": Region,
    "rates": Rate,
    "fx": Fx,
    "efficiency": Efficiency,
}
"""Catalog kinds, each a data/<kind>.yaml file of records of one type."""

PRICED_KINDS = ("servers", "cloud_instances", "api_offerings")
"""Kinds whose records carry prices, and so can go stale."""


@dataclass
class Table(Generic[R]):
    """Records of one kind, by id."""

    kind: str
    records: dict[str, R] = field(default_factory=dict)

    def get(self, key: str, field_path: str = "") -> R:
        try:
            return self.records[key]
        except KeyError:
            where = f"{field_path}: " if field_path else ""
            raise CatalogError(f"{where}unknown {self.kind} id {key!r}.{did_you_mean(key, self.records)}") from None

    def __contains__(self, key: object) -> bool:
        return key in self.records

    def __iter__(self) -> Any:
        return iter(self.records.values())

    def __len__(self) -> int:
        return len(self.records)


@dataclass
class Catalog:
    """All reference data the engine may use."""

    accelerators: Table[Accelerator]
    servers: Table[Server]
    cloud_instances: Table[CloudInstance]
    api_offerings: Table[ApiOffering]
    models: Table[Model]
    regions: Table[Region]
    rates: Table[Rate]
    fx: Table[Fx]
    efficiency: Table[Efficiency]
    overlay_files: list[str] = field(default_factory=list)

    def table(self, kind: str) -> Table[Any]:
        if kind not in KINDS:
            raise CatalogError(f"unknown catalog kind {kind!r}.{did_you_mean(kind, KINDS)}")
        table: Table[Any] = getattr(self, kind)
        return table

    def rate(self, key: str) -> float:
        return float(self.rates.get(key, "rates").value)

    def stale(self, on: dt.date) -> list[tuple[str, str, dt.date]]:
        """(kind, id, as_of) of priced records older than the staleness threshold on ``on``."""
        months = self.rate("stale_after_months")
        limit = on - dt.timedelta(days=int(months * 30.44))
        out: list[tuple[str, str, dt.date]] = []
        for kind in PRICED_KINDS:
            for rec in self.table(kind):
                if kind == "api_offerings" and rec.genai_provider is not None:
                    continue  # priced by genai-prices at the scenario's dates
                if rec.as_of < limit:
                    out.append((kind, rec.id, rec.as_of))
        return out

    def as_of_range(self) -> dict[str, dict[str, str]]:
        """Oldest and newest as_of per kind, for result metadata."""
        out: dict[str, dict[str, str]] = {}
        for kind in KINDS:
            dates = [r.as_of for r in self.table(kind)]
            if dates:
                out[kind] = {"oldest": min(dates).isoformat(), "newest": max(dates).isoformat()}
        return out


def _parse_records(kind: str, raw: Any, file: str, node: Any, base: tuple[Any, ...]) -> list[Record]:
    cls = KINDS[kind]
    if not isinstance(raw, list):
        raise ScenarioError(
            [Issue(path=".".join(map(str, base)), file=file, message=f"{kind} must be a list of records")]
        )
    out: list[Record] = []
    issues: list[Issue] = []
    for i, item in enumerate(raw):
        try:
            out.append(cls.model_validate(item))
        except ValidationError as exc:
            for err in exc.errors():
                loc = (*base, i, *err["loc"])
                line, col = position(node, loc)
                issues.append(Issue(path=".".join(map(str, loc)), message=err["msg"], file=file, line=line, column=col))
    if issues:
        raise ScenarioError(issues)
    return out


@cache
def _bundled(kind: str) -> tuple[Record, ...]:
    """Records of one bundled data file (parsed once per process; records are frozen)."""
    ref = resources.files("llmtco.catalog").joinpath("data", f"{kind}.yaml")
    text = ref.read_text(encoding="utf-8")
    node = load_yaml_text(text, file=f"llmtco/catalog/data/{kind}.yaml")
    return tuple(_parse_records(kind, to_plain(node)["records"], f"catalog/data/{kind}.yaml", node, ("records",)))


def apply_overlay(
    tables: dict[str, dict[str, Record]], raw: Any, file: str, node: Any, base: tuple[Any, ...] = ()
) -> None:
    """Add or replace records from an overlay mapping ``{kind: [records]}``."""
    if not isinstance(raw, dict):
        raise ScenarioError(
            [
                Issue(
                    path=".".join(map(str, base)),
                    file=file,
                    message=f"a catalog overlay maps kinds to record lists; kinds: {', '.join(KINDS)}",
                )
            ]
        )
    for kind, items in raw.items():
        if kind not in KINDS:
            line, col = position(node, (*base, kind))
            raise ScenarioError(
                [
                    Issue(
                        path=".".join(map(str, (*base, kind))),
                        file=file,
                        line=line,
                        column=col,
                        message=f"unknown catalog kind.{did_you_mean(kind, KINDS)}",
                    )
                ]
            )
        for rec in _parse_records(kind, items, file, node, (*base, kind)):
            tables[kind][rec.id] = rec.model_copy(update={"overlay": True})


def load_catalog(
    overlays: Iterable[str | Path] = (), inline: Any = None, inline_file: str = "<scenario>", inline_node: Any = None
) -> Catalog:
    """Bundled catalog plus overlay files, plus an inline overlay from a scenario."""
    tables: dict[str, dict[str, Record]] = {}
    for kind in KINDS:
        tables[kind] = {r.id: r for r in _bundled(kind)}
    files: list[str] = []
    for path in overlays:
        node = load_yaml(path)
        apply_overlay(tables, to_plain(node), str(path), node)
        files.append(str(path))
    if inline is not None:
        apply_overlay(tables, inline, inline_file, inline_node, ("catalog",))
        files.append(f"{inline_file} (catalog:)")
    return Catalog(
        **{k: Table(kind=k, records=v) for k, v in tables.items()},  # type: ignore[arg-type]
        overlay_files=files,
    )
