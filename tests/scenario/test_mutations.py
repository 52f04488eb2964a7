"""The mutation corpus through the CLI: every case is a result or a clean error, never a crash.

Every case of ``tests.mutations.mutated_scenarios()`` (about 3,000: each field
of each example deleted, each leaf set to each hostile value) runs in-process
through ``llmtco breakdown FILE --format json`` (``llmtco.cli.main``, the code
path of the command line). Every case is run in full, none is sampled: about
90 % are refused at validation (~10 ms each) and the rest are evaluated
(~50-100 ms each), about a minute and a half on two cores.

A case must end in exactly one of two ways:

* exit 0 with a strict JSON document (no NaN, no Infinity) whose every amount
  is a finite number, whose line items are non-negative (except the
  residual-value credit) and sum, month by month, to each option's total, and
  whose ``cheapest`` is the included option with the lowest total;
* exit 2 with one or more ``file:line:col: path: message`` lines on stderr,
  where some path is the mutated field, one of its parents or one of its
  children (or, for a change that breaks a reference, the field that refers).

Never a traceback, never exit 1, never a case slower than ``CASE_SECONDS``.
"""

from __future__ import annotations

import json
import math
import re
import time
from pathlib import Path
from typing import Any

import pytest

from llmtco.cli import main
from tests.conftest import ROOT
from tests.mutations import mutated_scenarios

CASES = list(mutated_scenarios())
CASE_SECONDS = 30.0
"""A case slower than this is a hang (the slowest evaluation takes well under a second)."""
ISSUE = re.compile(r"^(?:llmtco: error: )?\S+?:\d+(?::\d+)?: (?P<path>[A-Za-z_][\w-]*(?:\.[\w-]+)*): \S", re.M)
"""One ``file:line[:col]: path: message`` line."""
RESIDUAL = "residual_value"
"""The one line item that may be negative: a credit for hardware still in service at the end."""


def _strict_json(text: str) -> Any:
    def refuse(name: str) -> None:
        raise AssertionError(f"non-standard JSON constant {name}")

    return json.loads(text, parse_constant=refuse)


def _finite(x: object, what: str) -> float:
    assert isinstance(x, int | float) and not isinstance(x, bool), f"{what} is {x!r}, not a number"
    assert math.isfinite(x), f"{what} is {x!r}"
    return float(x)


def _close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-6 * max(1.0, abs(a), abs(b)) * 1e-3)


def check_result(doc: dict[str, Any]) -> None:
    """The invariants of a breakdown result the corpus must never break."""
    included = [o for o in doc["options"] if not o["excluded"]]
    for o in doc["options"]:
        if o["excluded"]:
            assert o["reason"], f"{o['name']}: excluded without a reason"
            continue
        name = o["name"]
        total = _finite(o["total_cost_usd"], f"{name}.total_cost_usd")
        for key in ("npv_usd", "capex_usd", "opex_usd", "cost_per_mtok_usd"):
            _finite(o[key], f"{name}.{key}")
        months = len(o["line_items"][0]["monthly_usd"]) if o["line_items"] else 0
        monthly_sum = [0.0] * months
        items_sum = 0.0
        for li in o["line_items"]:
            where = f"{name}.line_items.{li['item']}"
            item_total = _finite(li["total_usd"], f"{where}.total_usd")
            monthly = [_finite(v, f"{where}.monthly_usd") for v in li["monthly_usd"]]
            if li["item"] != RESIDUAL:
                assert item_total >= 0 and min(monthly, default=0.0) >= 0, f"{where} is negative"
            assert _close(sum(monthly), item_total), f"{where}: months sum to {sum(monthly)}, total {item_total}"
            monthly_sum = [a + b for a, b in zip(monthly_sum, monthly, strict=True)]
            items_sum += item_total
        assert _close(items_sum, total), f"{name}: line items sum to {items_sum}, total is {total}"
        assert _close(sum(monthly_sum), total)
    if included:
        best = min(included, key=lambda o: o["total_cost_usd"])
        assert doc["cheapest"] == best["name"] or _close(
            next(o for o in included if o["name"] == doc["cheapest"])["total_cost_usd"], best["total_cost_usd"]
        )
    else:
        assert doc["cheapest"] is None


INFEASIBLE = re.compile(r"^llmtco: error: (?P<path>options\.\d+): workload '[^']*': ", re.M)
"""An option that cannot serve a workload (the model does not fit, the SLO cannot be met), named by its path."""


def _related(named: str, mutated: str) -> bool:
    """Whether an error at ``named`` is about the field at ``mutated``: itself, an ancestor, a descendant
    or a sibling (deleting ``kind`` makes its siblings unknown fields of the other kind)."""
    a, b = named.split("."), mutated.split(".")[:-1]
    n = min(len(a), len(b))
    return a[:n] == b[:n]


def check_error(err: str, mutated: str) -> None:
    infeasible = [m.group("path") for m in INFEASIBLE.finditer(err)]
    if infeasible:
        return  # a valid input that no option here can serve: the message names the option and the reason
    paths = [m.group("path") for m in ISSUE.finditer(err)]
    assert paths, f"exit 2 without a field named: {err!r}"
    if any(_related(p, mutated) for p in paths):
        return
    # Renaming a workload breaks what refers to it: the error names the referring field.
    assert mutated.endswith(".name"), f"error names {paths}, not {mutated}: {err!r}"


@pytest.mark.parametrize(("case_id", "text"), CASES, ids=[c for c, _ in CASES])
def test_mutation_is_a_result_or_a_clean_error(
    case_id: str, text: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "scenario.yaml"
    path.write_text(text, encoding="utf-8")
    if "traces/" in text:  # an example that reads a request trace beside it
        (tmp_path / "traces").symlink_to(ROOT / "examples" / "traces")
    start = time.perf_counter()
    code = main(["breakdown", str(path), "--format", "json"])
    seconds = time.perf_counter() - start
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    assert seconds < CASE_SECONDS, f"{case_id} took {seconds:.1f} s"
    assert code in (0, 2), f"{case_id}: exit {code}: {err[-2000:]}"
    if code == 0:
        check_result(_strict_json(out))
    else:
        assert err.endswith("\n")
        check_error(err, case_id.split(":")[1])


def test_corpus_covers_every_example_and_every_value() -> None:
    from tests.mutations import LEAF_VALUES, SOURCES

    names = {c.split(":")[0] for c, _ in CASES}
    assert names == {s.name for s in SOURCES} and len(SOURCES) >= 5
    kinds = {c.rsplit(":", 1)[1] for c, _ in CASES}
    assert kinds == {"delete", *(n for n, _ in LEAF_VALUES)}
    assert len(list(mutated_scenarios(limit_per_example=3))) == 3 * len(SOURCES)
