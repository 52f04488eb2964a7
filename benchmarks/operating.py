"""Rerunnable speed benchmark of one serving-layer prediction (issue target: one prediction <= 0.2 ms).
Run:  .venv/bin/python benchmarks/operating.py

Times one call of ``sizing.serving.serving_point`` (the replica at its best batch) and of
``sizing.operating.at_rate`` / ``at_concurrency`` (the replica at a load) for Llama 3.1 8B on an H100
with the catalog's TensorRT-LLM factors, 467 in / 256 out tokens; median over repeated calls.
"""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Callable


def _median_ms(fn: Callable[[], object], calls: int = 400, rounds: int = 5) -> float:
    fn()
    per_round = []
    for _ in range(rounds):
        t = time.perf_counter()
        for _ in range(calls):
            fn()
        per_round.append((time.perf_counter() - t) / calls * 1e3)
    return statistics.median(per_round)


def main() -> None:
    from llmtco.catalog import load_catalog
    from llmtco.engine.adapters import (
        compute_precision,
        efficiency_for,
        engine_shape,
        hardware_shape,
        kv_bytes_for,
        model_shape,
    )
    from llmtco.sizing.operating import at_concurrency, at_rate
    from llmtco.sizing.serving import Load, serving_point

    cat = load_catalog()
    acc = cat.accelerators.get("h100-sxm")
    eff = efficiency_for(cat, acc.id, "trtllm", "bf16")
    compute = compute_precision("bf16", acc)
    shape, hw = model_shape(cat.models.get("llama-3.1-8b")), hardware_shape(acc, eff, compute, 1)
    eng, kvb, load = engine_shape(eff, "trtllm", 1), kv_bytes_for(compute), Load(percentile="mean")
    out = {
        "serving_point_ms": _median_ms(
            lambda: serving_point(shape, hw, 2.0, kvb, 1, 467.0, 256.0, None, None, 1, eng, load)
        ),
        "at_rate_ms": _median_ms(lambda: at_rate(shape, hw, 2.0, kvb, 1, 467.0, 256.0, 16.0, eng, load)),
        "at_concurrency_ms": _median_ms(lambda: at_concurrency(shape, hw, 2.0, kvb, 1, 467.0, 256.0, 16.0, eng, load)),
    }
    print(json.dumps({k: round(v, 4) for k, v in out.items()}, indent=2))


if __name__ == "__main__":
    main()
