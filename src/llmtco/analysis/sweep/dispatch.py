"""Run a sweep on Dask: variants → blocks (one engine run each) → tasks (chunks of blocks) → one table.

Blocks are fixed by the grid alone (structure groups, then at most ``block_size``
variants in grid order), never by the number of tasks or workers, and every
variant's Monte Carlo stream is seeded from (seed, variant index): the same
inputs give byte-identical results whatever the partitioning.

Schedulers: ``synchronous`` | ``threads`` | ``processes`` (Dask's local
schedulers, no server), a ``tcp://HOST:PORT`` address of a running Dask
scheduler, or ``workers=N`` for a ``distributed.LocalCluster`` of N processes
bound to 127.0.0.1 (no dashboard) that is closed on return, error or Ctrl-C.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np

from llmtco.analysis.sweep.batch import Block, draw_key, evaluate_block, numeric_columns
from llmtco.analysis.sweep.grid import Grid
from llmtco.analysis.sweep.result import AxisInfo, SweepResult
from llmtco.errors import UsageError

LOCAL_SCHEDULERS = ("synchronous", "threads", "processes")
BLOCK_SAMPLES = 4096
"""Samples per engine run (variants x (1 + Monte Carlo samples)): bounds memory, amortises the fixed cost."""


@dataclass(frozen=True)
class Plan:
    """How a grid is cut into engine runs."""

    blocks: list[list[int]]
    """Variant indices of each block (one engine run)."""
    continuous: tuple[bool, ...]
    """Per axis: batched as samples."""


def block_size(samples: int) -> int:
    """Variants per engine run: 1,024 without sampling, else as many as fit in ``BLOCK_SAMPLES``."""
    return 1024 if samples == 0 else max(1, BLOCK_SAMPLES // (1 + samples))


def _key(v: Any) -> Any:
    """A group key for a structural value: the value itself, typed (1 and 1.0 and True stay apart)."""
    if v is None or isinstance(v, str | int | float | bool):
        return (type(v).__name__, v)
    return ("json", json.dumps(v, sort_keys=True))


def plan(grid: Grid, doc: dict[str, Any], samples: int) -> Plan:
    """Group variants by everything but their continuous values; split groups into blocks."""
    continuous = tuple(all(draw_key(doc, loc) is not None for loc in a.locs) for a in grid.axes)
    groups: dict[tuple[Any, ...], list[int]] = {}
    for i, values in enumerate(grid.variants):
        key = tuple((v is None) if cont else _key(v) for cont, v in zip(continuous, values, strict=True))
        groups.setdefault(key, []).append(i)
    size = block_size(samples)
    blocks = [members[s : s + size] for members in groups.values() for s in range(0, len(members), size)]
    return Plan(blocks=blocks, continuous=continuous)


def _chunks(blocks: list[list[int]], chunk_variants: int) -> list[list[list[int]]]:
    out: list[list[list[int]]] = [[]]
    n = 0
    for b in blocks:
        if out[-1] and n + len(b) > chunk_variants:
            out.append([])
            n = 0
        out[-1].append(b)
        n += len(b)
    return [c for c in out if c]


class Task:
    """One Dask task's blocks, in an opaque box so Dask does not walk the variants looking for collections."""

    __slots__ = ("blocks",)

    def __init__(self, blocks: list[Block]) -> None:
        self.blocks = blocks


def run_task(task: Task) -> dict[str, Any]:
    """One Dask task: evaluate its blocks, concatenate their columns."""
    parts = [evaluate_block(b) for b in task.blocks]
    out: dict[str, Any] = {}
    for k in parts[0]:
        vals = [p[k] for p in parts]
        out[k] = np.concatenate(vals) if isinstance(vals[0], np.ndarray) else [x for v in vals for x in v]
    return out


WORKER_ENVIRON = {"MALLOC_MMAP_THRESHOLD_": "33554432"}
"""Set in local-cluster workers. Dask's nanny sets MALLOC_TRIM_THRESHOLD_, which also freezes glibc's mmap
threshold at 128 KiB: every large temporary array of the engine is then a fresh mmap, measured 3-4x slower.
A fixed 32 MiB mmap threshold keeps them on the heap (set the same on the workers of your own cluster)."""


@contextmanager
def local_cluster(workers: int) -> Iterator[Any]:
    """A ``distributed.LocalCluster`` of ``workers`` single-threaded processes on 127.0.0.1, no dashboard."""
    import dask
    from distributed import LocalCluster

    environ = {f"distributed.nanny.pre-spawn-environ.{k}": v for k, v in WORKER_ENVIRON.items()}
    with (
        dask.config.set(environ),
        LocalCluster(
            n_workers=workers,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
            silence_logs=40,
        ) as cluster,
    ):
        yield cluster


@contextmanager
def _client(scheduler: str | None, workers: int | None) -> Iterator[Any]:
    """A distributed Client (or None for a local scheduler); a started LocalCluster is always closed."""
    address = scheduler if scheduler and "://" in scheduler else None
    if scheduler is None and workers is None:
        address = os.environ.get("DASK_SCHEDULER_ADDRESS") or None
    if workers is not None and address is not None:
        raise UsageError("--workers starts a local cluster; it cannot be combined with --scheduler ADDRESS")
    if address is None and workers is None:
        yield None
        return
    from distributed import Client

    if workers is not None:
        with local_cluster(workers) as cluster, Client(cluster) as client:
            yield client
        return
    try:
        client = Client(address, timeout="3s")
    except (OSError, TimeoutError) as exc:
        raise UsageError(f"--scheduler {address}: cannot reach a Dask scheduler ({exc})") from None
    with client:
        yield client


def execute(
    grid: Grid,
    doc: dict[str, Any],
    *,
    file: str = "<scenario>",
    catalog_files: tuple[str, ...] = (),
    options: tuple[str, ...],
    scenario_name: str = "",
    samples: int = 0,
    seed: int = 0,
    scheduler: str | None = None,
    workers: int | None = None,
    client: Any = None,
    chunk_variants: int | None = None,
    batch: bool = True,
    progress: Callable[[int, int], None] | None = None,
) -> SweepResult:
    """Evaluate every variant of ``grid`` (applied to the plain scenario ``doc``) and collect one table.

    ``progress(done, total)`` is called with the variants finished by each task and the grid's size.
    """
    if scheduler is not None and "://" not in scheduler and scheduler not in LOCAL_SCHEDULERS:
        raise UsageError(f"--scheduler {scheduler!r}: give {', '.join(LOCAL_SCHEDULERS)} or tcp://HOST:PORT")
    p = plan(grid, doc, samples)
    locs = tuple(a.locs for a in grid.axes)

    def block(ids: list[int]) -> Block:
        return Block(
            doc=doc,
            file=file,
            catalog_files=catalog_files,
            locs=locs,
            continuous=p.continuous,
            variants=tuple((i, grid.variants[i]) for i in ids),
            options=options,
            samples=samples,
            seed=seed,
            batch=batch,
        )

    n_workers = workers or (os.cpu_count() or 1)
    chunk = chunk_variants or max(1, math.ceil(len(grid.variants) / max(8, 4 * n_workers)))
    tasks = [Task([block(ids) for ids in c]) for c in _chunks(p.blocks, chunk)]
    sizes = [sum(len(b.variants) for b in t.blocks) for t in tasks]
    total = len(grid.variants)
    tick = (lambda n: progress(n, total)) if progress is not None else None
    if client is not None:
        parts = _on_client(client, tasks, sizes, tick)
    else:
        with _client(scheduler, workers) as cl:
            if cl is not None:
                parts = _on_client(cl, tasks, sizes, tick)
            else:
                parts = _local(tasks, sizes, scheduler or "threads", tick)
    # one deterministic run per block, plus one Monte Carlo run when sampling
    engine_runs = (len(p.blocks) if batch else len(grid.variants)) * (2 if samples else 1)
    return _assemble(grid, p, parts, samples, seed, scenario_name, engine_runs)


def _on_client(client: Any, tasks: list[Task], sizes: list[int], progress: Callable[[int], None] | None) -> Any:
    from distributed import as_completed

    futures = [client.submit(run_task, t, pure=False) for t in tasks]
    index = {f.key: i for i, f in enumerate(futures)}
    parts: list[Any] = [None] * len(futures)
    try:
        for fut in as_completed(futures):
            i = index[fut.key]
            parts[i] = fut.result()
            if progress is not None:
                progress(sizes[i])
    except BaseException:
        client.cancel(futures)
        raise
    return parts


def _local(tasks: list[Task], sizes: list[int], scheduler: str, progress: Callable[[int], None] | None) -> list[Any]:
    import dask
    from dask.callbacks import Callback

    delayed = [dask.delayed(run_task, pure=False)(t) for t in tasks]
    keys = {d.key: sizes[i] for i, d in enumerate(delayed)}

    class _Progress(Callback):  # type: ignore[misc]  # dask is untyped here
        def _posttask(self, key: Any, result: Any, dsk: Any, state: Any, worker_id: Any) -> None:
            if progress is not None and key in keys:
                progress(keys[key])

    with _Progress():
        return list(dask.compute(*delayed, scheduler=scheduler))


def _assemble(
    grid: Grid, p: Plan, parts: list[Any], samples: int, seed: int, scenario: str, engine_runs: int
) -> SweepResult:
    cols: dict[str, Any] = {}
    for k in parts[0]:
        vals = [x[k] for x in parts]
        cols[k] = np.concatenate(vals) if isinstance(vals[0], np.ndarray) else [y for v in vals for y in v]
    variant = np.asarray(cols["variant"], dtype=np.int64)
    order = np.argsort(variant, kind="stable")
    out: dict[str, Any] = {"variant": variant[order]}
    for j, axis in enumerate(grid.axes):
        per_variant = _axis_column([row[j] for row in grid.variants], axis.kind)
        out[axis.name] = per_variant[out["variant"]]
    for k in ("option", "kind", "status", "reason"):
        column = np.empty(len(cols[k]), dtype=object)
        column[:] = cols[k]
        out[k] = column[order]
    totals = np.asarray(cols["total_cost_usd"], dtype=float)[order]
    # the cheapest ok row of each variant (ties: the first option); rows are grouped by variant already
    masked = np.where((out["status"] == "ok") & np.isfinite(totals), totals, np.inf)
    rows = np.lexsort((np.arange(masked.size), masked, out["variant"]))
    starts = rows[np.flatnonzero(np.r_[True, np.diff(out["variant"][rows]) != 0])]
    cheapest = np.zeros(masked.size, dtype=bool)
    cheapest[starts[np.isfinite(masked[starts])]] = True
    out["cheapest"] = cheapest
    for k in numeric_columns(samples):
        out[k] = np.asarray(cols[k], dtype=float)[order]
    axes = [
        AxisInfo(name=a.name, path=a.path, kind=a.kind, continuous=c)
        for a, c in zip(grid.axes, p.continuous, strict=True)
    ]
    return SweepResult(
        scenario=scenario,
        grid_file=grid.file,
        mode=grid.mode,
        axes=axes,
        variants=len(grid.variants),
        samples=samples,
        seed=seed,
        engine_runs=engine_runs,
        columns=out,
    )


def _axis_column(raw: list[Any], kind: str) -> Any:
    if kind == "number" and all(v is None or isinstance(v, int | float) for v in raw):
        return np.array([np.nan if v is None else float(v) for v in raw], dtype=float)
    if kind in ("text", "flag") and all(v is None or isinstance(v, str | bool) for v in raw):
        column = np.empty(len(raw), dtype=object)
        column[:] = raw
        return column
    column = np.empty(len(raw), dtype=object)
    column[:] = [None if v is None else json.dumps(v, sort_keys=True) for v in raw]
    return column
