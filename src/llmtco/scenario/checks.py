"""Checks on a validated scenario that one field's schema cannot express (``parse_scenario`` runs them).

* At least one inference workload; ``serves`` names one; workload and option
  names are unique (each error at the field that is wrong).

* Rate overrides (``options.N.rates``) must lie in their rate's physical range
  (``catalog.records.RATE_LIMITS``).
* A distribution's low and high ends (``{low, mode, high}``, ``{p10, p90}``,
  ``{min, max}``) must each be a valid value of the field it is written in: the
  schema sees only the central value, so each end is validated in its place.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from typing import Any

from pydantic import ValidationError

from llmtco.catalog.records import rate_problem
from llmtco.scenario.schema import FinetuneWorkload, HybridOption, InferenceWorkload, Scenario


def reference_issues(sc: Scenario) -> Iterable[tuple[tuple[Any, ...], str]]:
    """(location, message) for missing inference workloads, dangling ``serves`` and repeated names."""
    inference = {w.name for w in sc.workloads if isinstance(w, InferenceWorkload)}
    if not inference:
        yield ("workloads",), "give at least one inference workload (fine-tuning runs alongside serving)"
    for wi, w in enumerate(sc.workloads):
        if isinstance(w, FinetuneWorkload) and w.serves is not None and w.serves not in inference:
            allowed = ", ".join(sorted(inference)) or "none"
            yield ("workloads", wi, "serves"), f"{w.serves!r} is not an inference workload; allowed: {allowed}"
    for what, names in (("workloads", [w.name for w in sc.workloads]), ("options", [o.name for o in sc.options])):
        for i, name in enumerate(names):
            if name in names[:i]:
                yield (what, i, "name"), f"{what} names must be unique; {name!r} is repeated"


def rate_issues(sc: Scenario) -> Iterable[tuple[tuple[Any, ...], str]]:
    """(location, message) for every rate override outside its allowed range."""
    for oi, opt in enumerate(sc.options):
        parts = (
            [(("options", oi, "base"), opt.base), (("options", oi, "overflow"), opt.overflow)]
            if isinstance(opt, HybridOption)
            else [(("options", oi), opt)]
        )
        for loc, part in parts:
            for key, value in part.rates.items():
                problem = rate_problem(key, value)
                if problem is not None:
                    yield (*loc, "rates", key), problem


def _ends(dist: Any) -> list[tuple[str, float]]:
    if dist.kind == "triangular":
        return [("low", dist.a), ("high", dist.c)]
    if dist.kind == "lognormal":
        return [("p10", dist.a), ("p90", dist.b)]
    return [("min", dist.a), ("max", dist.b)]


def _set(data: Any, loc: tuple[Any, ...], value: float) -> Any:
    out = copy.deepcopy(data)
    target = out
    for part in loc[:-1]:
        target = target[part]
    target[loc[-1]] = value
    return out


def _ints(loc: tuple[Any, ...]) -> list[int]:
    return [p for p in loc if isinstance(p, int)]


def distribution_issues(data: dict[str, Any], dists: Iterable[Any]) -> Iterable[tuple[tuple[Any, ...], str]]:
    """(location, message) for every distribution end that is not a valid value of its field."""
    for dist in dists:
        loc = tuple(int(p) if p.isdigit() else p for p in dist.label.split("."))
        for end, value in _ends(dist):
            if len(loc) >= 2 and loc[-2] == "rates":
                problem = rate_problem(str(loc[-1]), value)
                if problem is not None:
                    yield loc, f"distribution {end} {value:g}: {problem}"
                continue
            try:
                Scenario.model_validate(_set(data, loc, value))
            except ValidationError as exc:
                for err in exc.errors():
                    at = tuple(err["loc"])
                    if at and at[-1] == loc[-1] and [p for p in at if isinstance(p, int)] == _ints(loc):
                        msg = err["msg"].removeprefix("Value error, ")
                        yield loc, f"distribution {end} {value:g}: {msg}"
                        break
                else:
                    yield loc, f"distribution {end} {value:g} makes the scenario invalid: {exc.errors()[0]['msg']}"
