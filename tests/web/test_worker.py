"""The worker pool: CPU work off the event loop, a time limit per job that kills the work, errors carried back."""

from __future__ import annotations

import asyncio
import time

import pytest

from llmtco.errors import Busy, InfeasibleError, ScenarioError
from llmtco.web.deps import raise_issues
from llmtco.web.worker import Job, WorkerPool
from tests.web.conftest import EXAMPLE

INFEASIBLE = EXAMPLE.replace("    server: hgx-h100-8\n", "    server: hgx-h100-8\n    tensor_parallel: 1\n", 1).replace(
    "    precision: fp8\n", "    precision: bf16\n", 1
)
"""70B in bf16 (140 GB of weights) forced onto one 80 GB H100: the model does not fit (at FP8, 70 GB, it
just does: 80 GiB is 85.9 GB)."""


def heavy(options: int = 60) -> str:
    """The example with its on-prem option repeated: seconds of CPU, under the size cap."""
    head, tail = EXAMPLE.split("options:\n", 1)
    first = "  - name: onprem-h100\n    kind: onprem\n    server: hgx-h100-8\n    facility: colocation\n"
    assert tail.startswith(first)
    copies = "".join(first.replace("onprem-h100", f"onprem-{i}") for i in range(options))
    return f"{head}options:\n{copies}"


def test_a_job_over_its_time_limit_is_killed_and_the_pool_recovers() -> None:
    pool = WorkerPool(workers=1, time_limit_s=0.5, check_workers=1)
    try:
        pool.warm_up()
        before = pool.processes()
        started = time.monotonic()
        with pytest.raises(Busy, match=r"longer than the server.s limit of 0\.5 s"):
            asyncio.run(pool.run(Job("<heavy>", heavy())))
        assert time.monotonic() - started < 5
        for p in before:
            p.join(timeout=0.5)
        killed = [p for p in before if not p.is_alive()]
        assert len(killed) == 1  # the runaway evaluation does not keep running; the check worker is untouched
        assert killed[0] not in pool.processes() and len(pool.processes()) == 2
        outcome = asyncio.run(pool.run(Job("<next>", EXAMPLE)))  # a fresh worker answers
        assert outcome.issues == [] and outcome.result is not None
    finally:
        pool.close()
    assert all(not p.is_alive() for p in before)


def test_errors_come_back_as_their_own_class(pool: WorkerPool) -> None:
    outcome = asyncio.run(pool.run(Job("<request>", INFEASIBLE)))
    if outcome.result is not None:  # the engine excludes the option with its reason (issue 10, item 6)
        excluded = {o.name: o for o in outcome.result.options if o.excluded}
        assert "onprem-h100" in excluded
        return
    assert outcome.error == "InfeasibleError"
    with pytest.raises(InfeasibleError, match="does not fit"):
        raise_issues(outcome)
    bad = asyncio.run(pool.run(Job("<request>", "workloads: 3\n")))
    with pytest.raises(ScenarioError):
        raise_issues(bad)
