"""Load a scenario file: YAML → validated Scenario, with file:line:col errors."""

from __future__ import annotations

import json
import typing
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from llmtco.catalog import Catalog, load_catalog
from llmtco.errors import CatalogError, Issue, ScenarioError, did_you_mean
from llmtco.scenario.schema import ApiOption, CloudGpuOption, HybridOption, OnPremOption, Scenario
from llmtco.yamlio import load_yaml, load_yaml_text, position, to_plain

_TAGS = {"onprem": OnPremOption, "cloud_gpu": CloudGpuOption, "api": ApiOption, "hybrid": HybridOption}


def _clean_loc(loc: tuple[Any, ...]) -> tuple[Any, ...]:
    """Drop pydantic's union-tag entries (options.0.onprem.server → options.0.server)."""
    out: list[Any] = []
    for i, part in enumerate(loc):
        if (
            isinstance(part, str)
            and i > 0
            and isinstance(loc[i - 1], int)
            and (part in _TAGS or part in ("inference", "finetune") or "[" in part)
        ):
            continue
        out.append(part)
    return tuple(out)


def _model_at(loc: tuple[Any, ...], data: Any) -> type[BaseModel] | None:
    """The pydantic model class that owns the field at ``loc`` (for did-you-mean on extra keys)."""
    cls: Any = Scenario
    node = data
    for part in loc[:-1]:
        if isinstance(part, int):
            node = node[part] if isinstance(node, list) and part < len(node) else None
            continue
        if not (isinstance(cls, type) and issubclass(cls, BaseModel)) or part not in cls.model_fields:
            return None
        ann = cls.model_fields[part].annotation
        node = node.get(part) if isinstance(node, dict) else None
        cls = _unwrap(ann, node)
    return cls if isinstance(cls, type) and issubclass(cls, BaseModel) else None


def _unwrap(ann: Any, node: Any) -> Any:
    origin = typing.get_origin(ann)
    args = typing.get_args(ann)
    if origin is typing.Annotated:
        return _unwrap(args[0], node)
    if origin in (list, tuple):
        return _unwrap(args[0], node[0] if isinstance(node, list) and node else None)
    if args:  # a union
        models = [a for a in (_unwrap(x, node) for x in args) if isinstance(a, type) and issubclass(a, BaseModel)]
        if isinstance(node, dict) and node.get("kind") in _TAGS:
            return _TAGS[node["kind"]]
        return models[0] if len(models) == 1 else (models[0] if models else None)
    return ann


def _issues_from_validation(exc: ValidationError, file: str, node: Any, data: Any) -> list[Issue]:
    issues = []
    for err in exc.errors():
        loc = _clean_loc(tuple(err["loc"]))
        msg = err["msg"].removeprefix("Value error, ")
        if err["type"] == "extra_forbidden" and loc:
            owner = _model_at(loc, data)
            if owner is not None:
                msg = f"unknown field {loc[-1]!r}.{did_you_mean(str(loc[-1]), owner.model_fields)}"
        elif err["type"] == "union_tag_invalid":
            msg = f"unknown option kind. Allowed: {', '.join(_TAGS)}."
        elif err["type"] == "missing":
            msg = "required field is missing"
        line, col = position(node, loc)
        issues.append(Issue(path=".".join(map(str, loc)), message=msg, file=file, line=line, column=col))
    return issues


def _catalog_refs(sc: Scenario, cat: Catalog) -> Iterable[tuple[tuple[Any, ...], str]]:
    """(location, message) for every catalog key the scenario names that does not exist."""

    def check(loc: tuple[Any, ...], table: Any, key: str | None) -> Iterable[tuple[tuple[Any, ...], str]]:
        if key is not None and key not in table:
            yield loc, f"unknown {table.kind} id {key!r}.{did_you_mean(key, table.records)}"

    yield from check(("assumptions", "region"), cat.regions, sc.assumptions.region)
    for wi, w in enumerate(sc.workloads):
        yield from check(("workloads", wi, "model"), cat.models, w.model)
    parts: list[tuple[tuple[Any, ...], Any]] = []
    for oi, opt in enumerate(sc.options):
        if isinstance(opt, HybridOption):
            parts += [(("options", oi, "base"), opt.base), (("options", oi, "overflow"), opt.overflow)]
        else:
            parts.append((("options", oi), opt))
    for i, o in parts:
        for key in o.rates:
            if key not in cat.rates:
                yield (*i, "rates", key), f"unknown rate id {key!r}.{did_you_mean(key, cat.rates.records)}"
        if isinstance(o, OnPremOption):
            yield from check((*i, "server"), cat.servers, o.server)
            yield from check((*i, "accelerator"), cat.accelerators, o.accelerator)
            yield from check((*i, "region"), cat.regions, o.region)
            if (
                o.accelerator is not None
                and o.accelerator in cat.accelerators
                and not any(s.accelerator == o.accelerator for s in cat.servers)
            ):
                yield (
                    (*i, "accelerator"),
                    (f"no catalog server carries accelerator {o.accelerator!r}; add one to a catalog overlay"),
                )
        elif isinstance(o, CloudGpuOption):
            yield from check((*i, "instance"), cat.cloud_instances, o.instance)
            inst = cat.cloud_instances.records.get(o.instance)
            if inst is not None and inst.price(o.pricing) is None:
                allowed = ", ".join(p.model for p in inst.prices)
                yield (
                    (*i, "pricing"),
                    (f"{o.pricing} is not published for {o.instance} in the catalog. Allowed: {allowed}."),
                )
        elif isinstance(o, ApiOption):
            yield from check((*i, "offering"), cat.api_offerings, o.offering)


def parse_scenario(
    data: Any, file: str = "<scenario>", node: Any = None, catalog_files: Iterable[str | Path] = ()
) -> tuple[Scenario, Catalog]:
    """Validate plain data (from YAML or JSON) into a Scenario and the Catalog it uses."""
    if not isinstance(data, dict):
        raise ScenarioError(
            [
                Issue(
                    path="",
                    file=file,
                    line=1,
                    column=1,
                    message="a scenario is a mapping with workloads and options (see `llmtco init`)",
                )
            ]
        )
    from llmtco.analysis.uncertainty import extract

    data, dists = extract(data, file, node)
    from llmtco.scenario.trace import expand_traces

    base = Path(file).parent if file not in ("<scenario>", "<string>") else None
    trace_problems = expand_traces(data, base)
    if trace_problems:
        raise ScenarioError(
            [
                Issue(path=".".join(map(str, loc)), message=msg, file=file, line=pos[0], column=pos[1])
                for loc, msg in trace_problems
                for pos in [position(node, loc)]
            ]
        )
    try:
        sc = Scenario.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError(_issues_from_validation(exc, file, node, data)) from None
    sc._distributions = dists
    files = list(catalog_files)
    if sc.calibration is not None:
        profile = Path(file).parent / sc.calibration if file not in ("<scenario>", "<string>") else Path(sc.calibration)
        if not profile.is_file():
            line, col = position(node, ("calibration",))
            raise ScenarioError(
                [
                    Issue(
                        path="calibration",
                        message=f"calibration profile {str(profile)!r} not found",
                        file=file,
                        line=line,
                        column=col,
                    )
                ]
            )
        files.append(profile)
    cat = load_catalog(files, inline=sc.catalog, inline_file=file, inline_node=node)
    issues = []
    for loc, msg in _catalog_refs(sc, cat):
        line, col = position(node, loc)
        issues.append(Issue(path=".".join(map(str, loc)), message=msg, file=file, line=line, column=col))
    if issues:
        raise ScenarioError(issues)
    return sc, cat


def load_scenario(path: str | Path, catalog_files: Iterable[str | Path] = ()) -> tuple[Scenario, Catalog]:
    """Read and validate a scenario YAML (or JSON) file."""
    node = load_yaml(path)
    return parse_scenario(to_plain(node), str(path), node, catalog_files)


def parse_scenario_text(
    text: str, file: str = "<scenario>", catalog_files: Iterable[str | Path] = ()
) -> tuple[Scenario, Catalog]:
    node = load_yaml_text(text, file)
    return parse_scenario(to_plain(node), file, node, catalog_files)


def json_schema() -> str:
    """JSON Schema of the scenario file, for editors."""
    schema = Scenario.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "llmtco scenario"
    return json.dumps(schema, indent=2)


__all__ = ["CatalogError", "json_schema", "load_scenario", "parse_scenario", "parse_scenario_text"]
