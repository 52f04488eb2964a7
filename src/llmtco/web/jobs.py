"""Background "How sure?" jobs: the Monte Carlo and the tornado of one scenario, each in its own process.

Why a process per job, not the request workers (``web.worker``): a few
thousand samples take seconds, and a request worker busy with them would
queue everyone's recompute behind it. A job's process can be killed at any
moment, so a job is cancellable and time-limited without leaving work behind,
exactly as ``web.worker`` kills a runaway evaluation.

Rules (each with an environment variable and a default):

- at most one running job per scenario key (a saved scenario's id, or the
  hash of unsaved editor text): a second start returns the running job;
- at most ``LLMTCO_WEB_JOB_SLOTS`` (default 2) jobs run at once; one more is
  refused with ``Busy`` (503);
- a job running past ``LLMTCO_WEB_JOB_TIME_LIMIT_S`` seconds (default 120) is
  killed and ends in state ``timed_out`` with a message naming the limit;
- finished jobs are kept ``LLMTCO_WEB_JOB_TTL_S`` seconds (default 1800), and
  at most ``LLMTCO_WEB_MAX_JOBS`` (default 32) of them (oldest dropped first).
"""

from __future__ import annotations

import hashlib
import logging
import multiprocessing
import os
import secrets
import threading
import time
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from typing import Any

from llmtco.errors import Busy, NotFound

log = logging.getLogger("llmtco.web")

DEFAULT_SAMPLES = 2000
"""Monte Carlo samples of a job when the request names none."""
MIN_SAMPLES, MAX_SAMPLES = 100, 20_000
"""Range of samples a request may ask for."""
STATES = ("starting", "running", "done", "failed", "cancelled", "timed_out")
"""A job's states; the last four are final."""
FINAL = frozenset(STATES[2:])


def _env_float(name: str, default: float) -> float:
    try:
        value = float(os.environ.get(name, default))
    except ValueError:
        return default
    return value if value > 0 else default


def text_hash(text: str) -> str:
    """SHA-256 of scenario text (hex): which text a job ran on."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def scenario_key(scenario_id: int | None, text: str) -> str:
    """What "one job per scenario" counts: a saved scenario's id, else the hash of the text."""
    if scenario_id is not None:
        return f"scenario:{scenario_id}"
    return "text:" + text_hash(text)[:32]


@dataclass
class UncertaintyJob:
    """One "How sure?" job and what it has produced so far."""

    id: str
    key: str
    samples: int
    text_sha256: str = ""
    """Hash of the scenario text it runs on (``text_hash``)."""
    state: str = "starting"
    done_samples: int = 0
    """Samples evaluated so far [count]."""
    phase: str = "starting a process"
    """What it is doing, in words."""
    started_at: float = field(default_factory=time.monotonic)
    finished_at: float | None = None
    result: dict[str, Any] | None = None
    """When done: ``simulation`` and ``tornado`` (JSON documents), ``currency``, ``fx``, ``charts`` (SVG)."""
    error: str | None = None
    owner: str | None = None
    """Account that started it (None in single-user mode): it, an editor or an admin may cancel it."""
    process: Any = None
    cancel: threading.Event = field(default_factory=threading.Event)

    @property
    def final(self) -> bool:
        return self.state in FINAL

    @property
    def progress(self) -> float:
        """Share of the work done [0-1]: the samples, then the tornado (the last 5 %)."""
        if self.state == "done":
            return 1.0
        return round(0.95 * self.done_samples / max(self.samples, 1), 3)

    def to_dict(self) -> dict[str, Any]:
        end = self.finished_at or time.monotonic()
        doc: dict[str, Any] = {
            "id": self.id,
            "state": self.state,
            "phase": self.phase,
            "samples": self.samples,
            "done_samples": self.done_samples,
            "progress": self.progress,
            "elapsed_s": round(end - self.started_at, 2),
            "error": self.error,
            "owner": self.owner,
        }
        if self.result is not None:
            doc["simulation"] = self.result["simulation"]
            doc["tornado"] = self.result["tornado"]
            doc["currency"] = self.result["currency"]
        return doc


def run_uncertainty(conn: Connection, text: str, overlay: tuple[str, ...], samples: int, seed: int) -> None:
    """Job process main: parse, simulate (progress messages), tornado, charts; send ("done", ...) or ("failed", ...)."""
    import warnings

    warnings.simplefilter("ignore", RuntimeWarning)
    try:
        conn.send(("phase", "loading the scenario"))
        from llmtco.analysis.montecarlo import simulate
        from llmtco.analysis.sensitivity import tornado
        from llmtco.analysis.uncertainty import inputs
        from llmtco.errors import LlmtcoError, ScenarioError
        from llmtco.report.charts import _svg, distribution_chart, tornado_chart
        from llmtco.scenario import parse_scenario
        from llmtco.web.worker import check_flow_depth, check_size
        from llmtco.yamlio import load_yaml_text, to_plain

        try:
            check_flow_depth(text, "<job>")
            node = load_yaml_text(text, "<job>")
            data = to_plain(node)
            check_size(data, "<job>")
            sc, cat = parse_scenario(data, "<job>", node, overlay, allow_paths=False)
            if not inputs(sc, cat):
                conn.send(
                    (
                        "failed",
                        "no uncertain inputs: write a distribution in the scenario or set uncertainty.catalog_ranges",
                    )
                )
                return
            conn.send(("phase", "sampling"))
            done = 0

            def progress(n: int) -> None:
                nonlocal done
                done += n
                conn.send(("progress", done))

            sim = simulate(sc, cat, samples=samples, seed=seed, progress=progress, chunk=max(100, samples // 20))
            conn.send(("phase", "tornado and charts"))
            tor = tornado(sc, cat)
            fx = cat.fx.get(sc.assumptions.currency, "assumptions.currency").usd_per_unit
            currency = sc.assumptions.currency
            charts = {"distribution": _svg(distribution_chart(sim.to_dict(), currency, fx))}
            if tor.leaders[1]:
                charts["tornado"] = _svg(tornado_chart(tor.to_dict(), currency, fx))
        except ScenarioError as exc:
            conn.send(("failed", "; ".join(str(i) for i in exc.issues)))
            return
        except LlmtcoError as exc:
            conn.send(("failed", str(exc)))
            return
        conn.send(
            (
                "done",
                {
                    "simulation": sim.to_dict(),
                    "tornado": tor.to_dict(),
                    "currency": currency,
                    "fx": fx,
                    "charts": charts,
                    "objects": (sim, tor),
                },
            )
        )
    except (ArithmeticError, RecursionError, MemoryError, ValueError) as exc:
        conn.send(("failed", f"the simulation could not run ({type(exc).__name__}: {exc})"))


class JobManager:
    """The "How sure?" jobs of one app: start, look up, cancel; each job in its own process."""

    def __init__(
        self,
        time_limit_s: float | None = None,
        ttl_s: float | None = None,
        max_jobs: int | None = None,
        slots: int | None = None,
    ) -> None:
        self.time_limit_s = time_limit_s or _env_float("LLMTCO_WEB_JOB_TIME_LIMIT_S", 120.0)
        self.ttl_s = ttl_s or _env_float("LLMTCO_WEB_JOB_TTL_S", 1800.0)
        self.max_jobs = max_jobs or int(_env_float("LLMTCO_WEB_MAX_JOBS", 32))
        self.slots = slots or int(_env_float("LLMTCO_WEB_JOB_SLOTS", 2))
        self._jobs: dict[str, UncertaintyJob] = {}
        self._lock = threading.Lock()

    def _prune(self) -> None:
        now = time.monotonic()
        for jid, job in list(self._jobs.items()):
            if job.final and job.finished_at is not None and now - job.finished_at > self.ttl_s:
                del self._jobs[jid]
        finished = sorted((j for j in self._jobs.values() if j.final), key=lambda j: j.finished_at or 0.0)
        while len(self._jobs) > self.max_jobs and finished:
            del self._jobs[finished.pop(0).id]

    def start(
        self,
        key: str,
        text: str,
        overlay: tuple[str, ...] = (),
        samples: int = DEFAULT_SAMPLES,
        seed: int = 0,
        owner: str | None = None,
    ) -> tuple[UncertaintyJob, bool]:
        """(job, created): the running job of ``key`` if there is one, else a new one; Busy when all slots run."""
        with self._lock:
            self._prune()
            for job in self._jobs.values():
                if job.key == key and not job.final:
                    return job, False
            if sum(not j.final for j in self._jobs.values()) >= self.slots:
                raise Busy(f"{self.slots} uncertainty jobs are already running; try again when one has finished")
            job = UncertaintyJob(
                id=secrets.token_urlsafe(12), key=key, samples=samples, text_sha256=text_hash(text), owner=owner
            )
            self._jobs[job.id] = job
        threading.Thread(
            target=self._run, args=(job, text, overlay, seed), daemon=True, name=f"llmtco-job-{job.id}"
        ).start()
        return job, True

    def get(self, job_id: str) -> UncertaintyJob:
        with self._lock:
            self._prune()
            job = self._jobs.get(job_id)
        if job is None:
            raise NotFound(f"no job {job_id[:40]!r} (unknown, or finished more than {self.ttl_s:g} s ago)")
        return job

    def finished_for(self, key: str, text: str) -> UncertaintyJob | None:
        """The newest done job of a scenario key that ran on exactly ``text``, if one is kept."""
        digest = text_hash(text)
        with self._lock:
            self._prune()
            jobs = [j for j in self._jobs.values() if j.key == key and j.state == "done" and j.text_sha256 == digest]
        return max(jobs, key=lambda j: j.started_at) if jobs else None

    def cancel(self, job_id: str, by: str | None = None, any_job: bool = True) -> UncertaintyJob:
        """Stop a job (its process is killed); a finished job is left as it is.

        ``by`` is the caller's account and ``any_job`` whether its role may cancel anyone's job (editors and
        admins); a viewer may cancel only the jobs it started (PermissionError, answered 403).
        """
        job = self.get(job_id)
        if not any_job and job.owner != by:
            raise PermissionError("a viewer may cancel only the jobs it started; this one is another account's")
        if not job.final:
            job.cancel.set()
            deadline = time.monotonic() + 10
            while not job.final and time.monotonic() < deadline:
                time.sleep(0.02)
        return job

    def _finish(self, job: UncertaintyJob, state: str, error: str | None = None) -> None:
        job.error = error
        job.finished_at = time.monotonic()
        job.phase = state.replace("_", " ")
        job.state = state

    def _run(self, job: UncertaintyJob, text: str, overlay: tuple[str, ...], seed: int) -> None:
        """Watch one job's process: progress in, time limit and cancel enforced, the outcome kept."""
        ctx = multiprocessing.get_context("spawn")  # not fork: the server process has threads
        conn, child = ctx.Pipe()
        process = ctx.Process(
            target=run_uncertainty, args=(child, text, overlay, job.samples, seed), daemon=True, name="llmtco-job"
        )
        process.start()
        child.close()
        job.process = process
        deadline = job.started_at + self.time_limit_s
        try:
            while True:
                if job.cancel.is_set():
                    self._finish(job, "cancelled", "cancelled on request")
                    return
                if time.monotonic() > deadline:
                    log.warning("job %s over its time limit of %g s: its process was killed", job.id, self.time_limit_s)
                    self._finish(job, "timed_out", f"stopped: ran past the time limit of {self.time_limit_s:g} s")
                    return
                try:
                    if not conn.poll(0.1):
                        continue
                    kind, value = conn.recv()
                except (EOFError, OSError):
                    self._finish(job, "failed", "the job's process stopped (out of memory or killed)")
                    return
                if kind == "phase":
                    job.phase = str(value)
                    job.state = "running"
                elif kind == "progress":
                    job.done_samples = min(int(value), job.samples)
                    job.phase = f"sampling: {job.done_samples:,} of {job.samples:,}"
                elif kind == "done":
                    job.result = value
                    job.done_samples = job.samples
                    self._finish(job, "done")
                    return
                else:
                    self._finish(job, "failed", str(value))
                    return
        finally:
            _stop(process)
            conn.close()

    def close(self) -> None:
        """Cancel every running job (at app shutdown)."""
        with self._lock:
            running = [j for j in self._jobs.values() if not j.final]
        for job in running:
            job.cancel.set()
        for job in running:
            if job.process is not None:
                _stop(job.process)


def _stop(process: Any) -> None:
    if process.is_alive():
        process.terminate()
        process.join(timeout=5)
    if process.is_alive():
        process.kill()
        process.join(timeout=5)
