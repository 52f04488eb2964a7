"""CPU work off the event loop: parse and evaluate scenarios in worker processes, with a time limit per request.

Why processes and not threads: a thread cannot be stopped, so a runaway parse
(a YAML alias bomb) or a huge evaluation would keep its CPU and memory after
the request gave up. A process can be killed. Each job runs in one of
``LLMTCO_WEB_WORKERS`` processes (default 2), one job at a time; a job over
``LLMTCO_WEB_TIME_LIMIT_S`` seconds (default 20) is answered 503 and its process
is terminated and replaced, so nothing keeps running; jobs in the other
workers are not touched. The event loop itself never parses or evaluates, so
simple requests (the scenario list, pages) stay fast meanwhile.

Scenario text that arrives over the network is parsed with
``allow_paths=False`` (no ``calibration:`` or ``catalog:`` file is opened) and
its size is capped at the schema's limits (``scenario.fields.MAX_OPTIONS``, ``MAX_WORKLOADS``) before it is
validated.
"""

from __future__ import annotations

import asyncio
import logging
import math
import multiprocessing
import os
import queue
import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from typing import Any

from llmtco.errors import Busy, Issue, LlmtcoError, ScenarioError
from llmtco.result import Result
from llmtco.scenario.fields import MAX_OPTIONS, MAX_WORKLOADS

log = logging.getLogger("llmtco.web")


STARTUP_ALLOWANCE_S = 30.0
"""Extra time a job gets while its (new) pool starts its processes and imports llmtco [s]."""


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
    from llmtco.analysis.breakeven import compare
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
        result = compare(sc, cat) if job.evaluate else None  # what `breakdown` shows, break-even volumes too
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


def _serve(conn: Connection) -> None:
    """Worker process main loop: receive a Job (None: a ping), send back its Outcome, until the pipe closes."""
    _init_worker()
    import llmtco.engine
    import llmtco.scenario  # noqa: F401  (imported now, so the first job does not pay for it)

    while True:
        try:
            job = conn.recv()
        except (EOFError, OSError):
            return
        conn.send(Outcome() if job is None else run_job(job))


class _Worker:
    """One worker process and the pipe to it."""

    def __init__(self, evaluates: bool) -> None:
        self.evaluates = evaluates
        """Which lane it serves: evaluations (True) or validation-only checks (False)."""
        ctx = multiprocessing.get_context("spawn")  # not fork: the server process has threads (uvicorn, DB pool)
        self.conn, child = ctx.Pipe()
        self.process = ctx.Process(target=_serve, args=(child,), daemon=True, name="llmtco-web-worker")
        self.process.start()
        child.close()
        self.ready = False
        """True once it has answered (it has started and imported llmtco)."""

    def call(self, job: Job | None, limit_s: float) -> Outcome:
        """Send a job and wait for its outcome; TimeoutError past ``limit_s``, EOFError if the process died."""
        self.conn.send(job)
        if not self.conn.poll(limit_s):
            raise TimeoutError
        outcome: Outcome = self.conn.recv()
        self.ready = True
        return outcome

    def stop(self) -> None:
        self.process.terminate()
        self.process.join(timeout=5)
        if self.process.is_alive():
            self.process.kill()
            self.process.join(timeout=5)
        self.conn.close()


class WorkerPool:
    """Worker processes that each run one job at a time; a job over its time limit has its process killed.

    Only the process running the late job is killed and replaced; the others
    keep serving. A job waits at most its time limit for a free worker (then
    Busy: the server is saturated). Validation-only jobs (saving a version:
    milliseconds each) have their own ``check_workers`` lane, so saves are not
    queued behind evaluations (hundreds of milliseconds each).
    """

    def __init__(
        self, workers: int | None = None, time_limit_s: float | None = None, check_workers: int | None = None
    ) -> None:
        self.workers = workers or int(os.environ.get("LLMTCO_WEB_WORKERS", "2"))
        self.check_workers = check_workers or int(os.environ.get("LLMTCO_WEB_CHECK_WORKERS", "1"))
        self.time_limit_s = time_limit_s or float(os.environ.get("LLMTCO_WEB_TIME_LIMIT_S", "20"))
        self._idle: dict[bool, queue.Queue[_Worker]] = {True: queue.Queue(), False: queue.Queue()}
        self._all: set[_Worker] = set()
        self._lock = threading.Lock()
        self._started = False
        self._closed = False
        # threads only wait on pipes; the event loop's default executor (a handful of threads) would let
        # requests queued for a busy lane starve the other lane
        self._waiters = ThreadPoolExecutor(max_workers=64, thread_name_prefix="llmtco-web-job")

    def _start(self) -> None:
        with self._lock:
            if self._started:
                return
            self._started = True
            for lane, count in ((True, self.workers), (False, self.check_workers)):
                for _ in range(count):
                    self._add(lane)

    def _add(self, evaluates: bool) -> None:
        worker = _Worker(evaluates)
        self._all.add(worker)
        self._idle[evaluates].put(worker)

    def _replace(self, worker: _Worker) -> None:
        worker.stop()
        with self._lock:
            self._all.discard(worker)
            if not self._closed:
                self._add(worker.evaluates)

    def processes(self) -> list[multiprocessing.process.BaseProcess]:
        """The live worker processes (for tests and monitoring)."""
        return [w.process for w in list(self._all)]

    def warm_up(self) -> None:
        """Start the worker processes and wait until each has imported llmtco, so no request pays for it."""
        self._start()
        workers = [self._idle[True].get() for _ in range(self.workers)]
        workers += [self._idle[False].get() for _ in range(self.check_workers)]
        try:
            for w in workers:
                w.call(None, self.time_limit_s + STARTUP_ALLOWANCE_S)
        finally:
            for w in workers:
                self._idle[w.evaluates].put(w)

    def call(self, job: Job) -> Outcome:
        """Run a job in a free worker (blocking); Busy when it exceeds the time limit or its worker died."""
        self._start()
        started = time.monotonic()
        try:
            worker = self._idle[job.evaluate].get(timeout=self.time_limit_s)
        except queue.Empty:
            raise Busy(f"all workers are busy: no worker was free within {self.time_limit_s:g} s; try again") from None
        # a worker that has not answered yet is still importing llmtco: that time is not the job's
        limit_s = self.time_limit_s - (time.monotonic() - started) + (0 if worker.ready else STARTUP_ALLOWANCE_S)
        try:
            outcome = worker.call(job, max(limit_s, 0.1))
        except TimeoutError:
            log.warning("job %s over its time limit of %g s: its worker was killed", job.file, self.time_limit_s)
            self._replace(worker)
            raise Busy(f"the scenario took longer than the server's limit of {self.time_limit_s:g} s") from None
        except (EOFError, OSError):
            self._replace(worker)
            raise Busy("the evaluation worker stopped (out of memory or killed); try again") from None
        self._idle[worker.evaluates].put(worker)
        return outcome

    async def run(self, job: Job) -> Outcome:
        """``call`` in a thread, so the event loop keeps serving while the job runs."""
        return await asyncio.get_running_loop().run_in_executor(self._waiters, self.call, job)

    def close(self) -> None:
        """Stop every worker process."""
        with self._lock:
            self._closed = True
            workers, self._all = list(self._all), set()
        for w in workers:
            w.stop()
        self._waiters.shutdown(wait=False, cancel_futures=True)
