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
from llmtco.scenario.checks import distribution_issues, rate_issues, reference_issues
from llmtco.scenario.distributions import extract
from llmtco.scenario.schema import DISTRIBUTIONS, ApiOption, CloudGpuOption, HybridOption, OnPremOption, Scenario
from llmtco.scenario.trace import expand_traces
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


def _config_models(sc: Scenario, cat: Catalog, file: str, node: Any, config_dir: Path | None) -> None:
    """Import the workloads' ``model: path/to/config.json`` files (relative to the scenario) into the catalog."""
    from llmtco.catalog.model_import import add_config_model, is_config_ref

    issues = []
    for wi, w in enumerate(sc.workloads):
        if not is_config_ref(w.model) or w.model in cat.models:
            continue
        line, col = position(node, ("workloads", wi, "model"))
        if config_dir is None:
            msg = "a model config.json path is read only from a scenario file on disk; use a catalog model id here"
        else:
            try:
                add_config_model(cat, w.model, config_dir / w.model)
                continue
            except CatalogError as exc:
                msg = str(exc)
        issues.append(Issue(path=f"workloads.{wi}.model", message=msg, file=file, line=line, column=col))
    if issues:
        raise ScenarioError(issues)


NO_PATHS = "paths are not accepted over the network; inline records only"


def _refuse_paths(data: dict[str, Any], file: str, node: Any) -> None:
    """Refuse file references (``calibration:``, ``catalog:`` as a path or list of paths, a workload's
    ``trace:``) without opening them."""
    refused: list[tuple[str | int, ...]] = [
        (k,)
        for k in ("calibration", "catalog")
        if data.get(k) is not None and (k == "calibration" or not isinstance(data[k], dict))
    ]
    workloads = data.get("workloads")
    for i, w in enumerate(workloads if isinstance(workloads, list) else []):
        if isinstance(w, dict) and w.get("trace") is not None:
            refused.append(("workloads", i, "trace"))
    if refused:
        raise ScenarioError([Issue(".".join(map(str, loc)), NO_PATHS, file, *position(node, loc)) for loc in refused])


def parse_scenario(
    data: Any,
    file: str = "<scenario>",
    node: Any = None,
    catalog_files: Iterable[str | Path] = (),
    config_dir: Path | None = None,
    *,
    allow_paths: bool = True,
) -> tuple[Scenario, Catalog]:
    """Validate plain data (from YAML or JSON) into a Scenario and the Catalog it uses.

    ``config_dir``: folder that workload ``model: path/to/config.json`` paths are relative to
    (the scenario file's folder); None refuses such paths (text sent to the web app).
    ``catalog:`` and ``calibration:`` may name files relative to ``file``; with
    ``allow_paths=False`` (scenario text from the network) any path is refused
    before anything is opened, naming the field.
    """
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
    if not allow_paths:
        _refuse_paths(data, file, node)
    data, dists = extract(data, file, node)
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
        sc = Scenario.model_validate(data, context={DISTRIBUTIONS: dists})
    except ValidationError as exc:
        raise ScenarioError(_issues_from_validation(exc, file, node, data)) from None
    checks = [*reference_issues(sc), *rate_issues(sc), *distribution_issues(data, dists)]
    if checks:
        raise ScenarioError(_issues(checks, file, node))
    files = list(catalog_files)
    if isinstance(sc.catalog, str | list):
        paths = [sc.catalog] if isinstance(sc.catalog, str) else sc.catalog
        locs = [("catalog",)] if isinstance(sc.catalog, str) else [("catalog", i) for i in range(len(paths))]
        files += [_referenced_file(p, loc, "catalog overlay", file, node) for p, loc in zip(paths, locs, strict=True)]
    if sc.calibration is not None:
        files.append(_referenced_file(sc.calibration, ("calibration",), "calibration profile", file, node))
    inline = sc.catalog if isinstance(sc.catalog, dict) else None
    cat = load_catalog(files, inline=inline, inline_file=file, inline_node=node)
    _config_models(sc, cat, file, node, config_dir)
    issues = []
    for loc, msg in _catalog_refs(sc, cat):
        line, col = position(node, loc)
        issues.append(Issue(path=".".join(map(str, loc)), message=msg, file=file, line=line, column=col))
    if issues:
        raise ScenarioError(issues)
    return sc, cat


def _issues(found: Iterable[tuple[tuple[Any, ...], str]], file: str, node: Any) -> list[Issue]:
    out = []
    for loc, msg in found:
        line, col = position(node, loc)
        out.append(Issue(path=".".join(map(str, loc)), message=msg, file=file, line=line, column=col))
    return out


def _referenced_file(rel: str, loc: tuple[Any, ...], what: str, file: str, node: Any) -> Path:
    """A file a scenario names (relative to the scenario file); a missing or non-regular one names the field."""
    path = Path(file).parent / rel if file not in ("<scenario>", "<string>") else Path(rel)
    try:
        regular = path.is_file()
    except (OSError, ValueError):
        regular = False
    if not regular:
        line, col = position(node, loc)
        why = "not a regular file" if path.exists() else "not found"
        raise ScenarioError(
            [
                Issue(
                    path=".".join(map(str, loc)),
                    message=f"{what} {str(path)!r} {why}",
                    file=file,
                    line=line,
                    column=col,
                )
            ]
        )
    return path


def load_scenario(path: str | Path, catalog_files: Iterable[str | Path] = ()) -> tuple[Scenario, Catalog]:
    """Read and validate a scenario YAML (or JSON) file."""
    node = load_yaml(path)
    return parse_scenario(to_plain(node), str(path), node, catalog_files, config_dir=Path(path).parent)


def parse_scenario_text(
    text: str, file: str = "<scenario>", catalog_files: Iterable[str | Path] = (), *, allow_paths: bool = True
) -> tuple[Scenario, Catalog]:
    """Parse and validate scenario YAML text (``allow_paths``: see ``parse_scenario``)."""
    node = load_yaml_text(text, file)
    return parse_scenario(to_plain(node), file, node, catalog_files, allow_paths=allow_paths)


def json_schema() -> str:
    """JSON Schema of the scenario file, for editors."""
    schema = Scenario.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "llmtco scenario"
    return json.dumps(schema, indent=2)


__all__ = ["CatalogError", "json_schema", "load_scenario", "parse_scenario", "parse_scenario_text"]
