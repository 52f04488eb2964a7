"""CPU work off the event loop: parse and evaluate scenarios in worker processes, with a time limit per request.

Why processes and not threads: a thread cannot be stopped, so a runaway parse
(a YAML alias bomb) or a huge evaluation would keep its CPU and memory after
the request gave up. A process can be killed. Each job runs in a pool of
``LLMTCO_WEB_WORKERS`` processes (default 2); a job over ``LLMTCO_WEB_TIME_LIMIT_S``
seconds (default 20) is answered 503 and the pool's processes are terminated
and replaced, so nothing keeps running. Jobs that were in flight on the killed
pool are answered 503 too (retry); the event loop itself never parses or
evaluates, so simple requests (the scenario list, pages) stay fast meanwhile.

Scenario text that arrives over the network is parsed with
``allow_paths=False`` (no ``calibration:`` or ``catalog:`` file is opened) and
its size is capped (``MAX_OPTIONS``, ``MAX_WORKLOADS``).
"""

from __future__ import annotations

import asyncio
import logging
import math
import multiprocessing
import os
import re
import threading
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from typing import Any

from llmtco.errors import Issue, LlmtcoError, ScenarioError
from llmtco.result import Result

log = logging.getLogger("llmtco.web")

MAX_OPTIONS = 64
"""Most options one scenario posted over the network may compare."""
MAX_WORKLOADS = 32
"""Most workloads one scenario posted over the network may carry."""


class Busy(LlmtcoError):
    """The request's work ran past its time limit or lost its worker (HTTP 503)."""


@dataclass(frozen=True)
class Job:
    """One scenario to check (``evaluate=False``) or evaluate, as YAML text or as plain JSON data."""

    file: str
    """Name used in error messages, e.g. ``<request>``."""
    text: str | None = None
    """Scenario YAML text; None when ``data`` is given."""
    data: Any = None
    """Scenario as plain JSON data (dicts, lists, scalars)."""
    overlay: tuple[str, ...] = ()
    """Catalog overlay files configured by the server operator (never from the request)."""
    evaluate: bool = True


@dataclass(frozen=True)
class Outcome:
    """What a job gives back: a result, or the issues that explain why there is none."""

    result: Result | None = None
    issues: list[Issue] = field(default_factory=list)
    error: str | None = None
    """Class name of the LlmtcoError behind ``issues`` (``ScenarioError``, ``InfeasibleError``, ...)."""


def _non_finite(value: Any, path: str = "") -> str | None:
    """Dotted path of the first NaN or infinite number inside plain data, else None."""
    stack: list[tuple[str, Any]] = [(path, value)]
    while stack:
        where, v = stack.pop()
        if isinstance(v, float) and not math.isfinite(v):
            return where
        if isinstance(v, dict):
            stack.extend((f"{where}.{k}" if where else str(k), x) for k, x in v.items())
        elif isinstance(v, list):
            stack.extend((f"{where}.{i}" if where else str(i), x) for i, x in enumerate(v))
    return None


MAX_FLOW_DEPTH = 32
"""Deepest nesting of ``[`` and ``{`` accepted in YAML text (the parser slows down quadratically with it)."""
_QUOTED_OR_COMMENT = re.compile(r"\"(?:[^\"\\]|\\.)*\"|'(?:[^']|'')*'|(?<!\S)#[^\n]*")


def check_flow_depth(text: str, file: str) -> None:
    """Refuse YAML whose flow collections nest deeper than MAX_FLOW_DEPTH, before the parser sees it."""
    depth = deepest = 0
    for m in re.finditer(r"[\[\]{}]", _QUOTED_OR_COMMENT.sub("", text)):
        depth = depth + 1 if m.group() in "[{" else max(0, depth - 1)
        deepest = max(deepest, depth)
        if deepest > MAX_FLOW_DEPTH:
            raise ScenarioError([Issue("", f"YAML nested deeper than {MAX_FLOW_DEPTH} levels", file)])


def check_size(data: Any, file: str) -> None:
    """Refuse scenarios with more options or workloads than one request may ask for."""
    if not isinstance(data, dict):
        return
    for key, cap in (("options", MAX_OPTIONS), ("workloads", MAX_WORKLOADS)):
        items = data.get(key)
        if isinstance(items, list) and len(items) > cap:
            raise ScenarioError([Issue(key, f"at most {cap} {key} per request (got {len(items)})", file)])


def run_job(job: Job) -> Outcome:
    """Parse (and evaluate) one scenario; runs inside a worker process."""
    from llmtco.engine import evaluate
    from llmtco.scenario import parse_scenario
    from llmtco.yamlio import load_yaml_text, to_plain

    try:
        node = None
        if job.text is not None:
            check_flow_depth(job.text, job.file)
            node = load_yaml_text(job.text, job.file)
            data = to_plain(node)
        else:
            data = job.data
        check_size(data, job.file)
        bad = _non_finite(data)
        if bad is not None:
            raise ScenarioError([Issue(bad, "must be a finite number (not NaN or infinity)", job.file)])
        sc, cat = parse_scenario(data, job.file, node, job.overlay, allow_paths=False)
        result = evaluate(sc, cat) if job.evaluate else None
        if result is not None:
            bad = _non_finite(result.to_dict())
            if bad is not None:
                raise ScenarioError(
                    [Issue("", f"the inputs give a non-finite result at {bad}; check their magnitudes")]
                )
        return Outcome(result=result)
    except ScenarioError as exc:
        return Outcome(issues=exc.issues, error="ScenarioError")
    except LlmtcoError as exc:
        return Outcome(issues=[Issue("", str(exc))], error=type(exc).__name__)
    except (ArithmeticError, RecursionError, MemoryError) as exc:  # numbers (or nesting) beyond what the model takes
        message = f"the scenario's numbers or nesting are out of range ({type(exc).__name__}: {exc})"
        return Outcome(issues=[Issue("", message)], error="ScenarioError")


def _init_worker() -> None:
    import warnings

    warnings.simplefilter("ignore", RuntimeWarning)  # overflow warnings: the outcome reports non-finite numbers


class WorkerPool:
    """A process pool that enforces a time limit per job by killing and replacing its processes."""

    def __init__(self, workers: int | None = None, time_limit_s: float | None = None) -> None:
        self.workers = workers or int(os.environ.get("LLMTCO_WEB_WORKERS", "2"))
        self.time_limit_s = time_limit_s or float(os.environ.get("LLMTCO_WEB_TIME_LIMIT_S", "20"))
        self._executor: ProcessPoolExecutor | None = None
        self._lock = threading.Lock()

    def _pool(self) -> ProcessPoolExecutor:
        with self._lock:
            if self._executor is None:
                # spawn, not fork: the server process has threads (uvicorn, the DB pool)
                self._executor = ProcessPoolExecutor(
                    self.workers, mp_context=multiprocessing.get_context("spawn"), initializer=_init_worker
                )
            return self._executor

    def _kill(self, executor: ProcessPoolExecutor) -> None:
        with self._lock:
            if self._executor is executor:
                self._executor = None
        for process in list((executor._processes or {}).values()):
            process.terminate()
        executor.shutdown(wait=False, cancel_futures=True)

    def warm_up(self) -> None:
        """Start the worker processes now, so the first request does not pay their start-up."""
        pool = self._pool()
        for f in [pool.submit(os.getpid) for _ in range(self.workers)]:
            f.result()

    async def run(self, job: Job) -> Outcome:
        """Run a job in a worker; Busy when it exceeds the time limit or its worker died."""
        executor = self._pool()
        try:
            future = executor.submit(run_job, job)
        except (BrokenProcessPool, RuntimeError):
            self._kill(executor)
            raise Busy("the evaluation workers were restarted; try again") from None
        try:
            return await asyncio.wait_for(asyncio.wrap_future(future), self.time_limit_s)
        except TimeoutError:
            log.warning("job %s over its time limit of %.0f s: workers restarted", job.file, self.time_limit_s)
            self._kill(executor)
            raise Busy(f"the scenario took longer than the server's limit of {self.time_limit_s:g} s") from None
        except BrokenProcessPool:
            self._kill(executor)
            raise Busy("the evaluation worker stopped (out of memory or killed); try again") from None

    def close(self) -> None:
        with self._lock:
            executor, self._executor = self._executor, None
        if executor is not None:
            for process in list((executor._processes or {}).values()):
                process.terminate()
            executor.shutdown(wait=True, cancel_futures=True)
