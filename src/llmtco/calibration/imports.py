"""Read users' own load-generator results as calibration cases.

Supported: vLLM's ``vllm bench serve --save-result`` JSON file and GuideLLM's
JSON report (``guidellm benchmark ... --output-path report.json``). Neither
file says which GPU, how many, or the model's catalog id, so those come from
the command line.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from llmtco.calibration.corpus import Case
from llmtco.calibration.row_load import SATURATION, RowLoad
from llmtco.errors import CalibrationError
from llmtco.files import read_text_limited


def _num(d: Any, *path: str) -> float | None:
    cur = d
    for p in path:
        if not isinstance(cur, dict) or p not in cur:
            return None
        cur = cur[p]
    return float(cur) if isinstance(cur, int | float) else None


def _need(value: float | None, what: str, file: str) -> float:
    if value is None:
        raise CalibrationError(f"{file}: missing {what}")
    return value


def _user_case(
    case_id: str,
    file: str,
    *,
    input_tokens: float,
    output_tokens: float,
    concurrency: float,
    measured: dict[str, float],
    model: str,
    accelerator: str,
    gpus: int,
    tp: int,
    precision: str,
    engine: str,
    load: RowLoad = SATURATION,
) -> Case:
    """A measured serving point from a user's file; concurrency is spread over the replicas; ``load``: the
    offered rate or concurrency the run was driven at, where the file says (predicted at it)."""
    return Case(
        id=case_id,
        source=file,
        family="user",
        engine=engine,
        kind="batch",
        accelerator=accelerator,
        gpus=gpus,
        tp=tp,
        precision=precision,
        model=model,
        params_b=0.0,
        input_tokens=input_tokens,
        output_tokens=output_tokens,
        batch=max(concurrency / max(gpus // tp, 1), 1.0),
        measured=measured,
        load=load,
    )


def vllm_bench_cases(
    data: dict[str, Any],
    file: str,
    *,
    model: str,
    accelerator: str,
    gpus: int,
    tp: int,
    precision: str,
    engine: str = "vllm",
) -> list[Case]:
    """One case from a ``vllm bench serve`` result (keys: completed, total_input_tokens, ...)."""
    completed = _need(_num(data, "completed"), "'completed'", file)
    if completed <= 0:
        raise CalibrationError(f"{file}: no completed requests")
    lin = _need(_num(data, "total_input_tokens"), "'total_input_tokens'", file) / completed
    lout = _need(_num(data, "total_output_tokens"), "'total_output_tokens'", file) / completed
    out_tps = _need(_num(data, "output_throughput"), "'output_throughput'", file)
    concurrency = _num(data, "max_concurrency")
    rate = _num(data, "request_rate")  # "inf" (every request at once) is a string in the file: not a rate
    load = SATURATION
    if rate is not None and rate > 0 and rate != float("inf"):
        load = RowLoad("rate", rate, f"request_rate {rate:g}")
    elif concurrency is not None:
        load = RowLoad("concurrency", concurrency, f"max_concurrency {concurrency:g}")
    if concurrency is None:
        # Little's law: requests in flight = arrival rate x time in system
        rps = _need(_num(data, "request_throughput"), "'request_throughput'", file)
        e2e = _need(_num(data, "mean_e2el_ms"), "'max_concurrency' or 'mean_e2el_ms'", file)
        concurrency = rps * e2e / 1000.0
    measured = {"output_tok_s_per_gpu": out_tps / gpus}
    for key in ("mean_ttft_ms", "mean_tpot_ms"):
        v = _num(data, key)
        if v is not None:
            measured[key.removeprefix("mean_")] = v
    return [
        _user_case(
            Path(file).stem,
            file,
            input_tokens=lin,
            output_tokens=lout,
            concurrency=concurrency,
            measured=measured,
            model=model,
            accelerator=accelerator,
            gpus=gpus,
            tp=tp,
            precision=precision,
            engine=engine,
            load=load,
        )
    ]


def guidellm_cases(
    data: dict[str, Any],
    file: str,
    *,
    model: str,
    accelerator: str,
    gpus: int,
    tp: int,
    precision: str,
    engine: str = "vllm",
) -> list[Case]:
    """One case per benchmark of a GuideLLM report (``{"benchmarks": [{"metrics": {...}}]}``)."""
    benchmarks = data.get("benchmarks")
    if not isinstance(benchmarks, list) or not benchmarks:
        raise CalibrationError(f"{file}: no 'benchmarks' list (is this a GuideLLM JSON report?)")
    cases = []
    for i, b in enumerate(benchmarks):
        m = b.get("metrics", {}) if isinstance(b, dict) else {}

        def stat(name: str, metrics: Any = m) -> float | None:
            return _num(metrics, name, "successful", "mean")

        out_tps = _need(stat("output_tokens_per_second"), f"benchmarks[{i}].metrics.output_tokens_per_second", file)
        lin = _need(stat("prompt_token_count"), f"benchmarks[{i}].metrics.prompt_token_count", file)
        lout = _need(stat("output_token_count"), f"benchmarks[{i}].metrics.output_token_count", file)
        conc = _need(stat("request_concurrency"), f"benchmarks[{i}].metrics.request_concurrency", file)
        measured = {"output_tok_s_per_gpu": out_tps / gpus}
        ttft = stat("time_to_first_token_ms")
        tpot = stat("time_per_output_token_ms") or stat("inter_token_latency_ms")
        if ttft is not None:
            measured["ttft_ms"] = ttft
        if tpot is not None:
            measured["tpot_ms"] = tpot
        cases.append(
            _user_case(
                f"{Path(file).stem}-{i}",
                file,
                input_tokens=lin,
                output_tokens=lout,
                concurrency=conc,
                measured=measured,
                model=model,
                accelerator=accelerator,
                gpus=gpus,
                tp=tp,
                precision=precision,
                engine=engine,
            )
        )
    return cases


def read_result_file(path: str | Path, **kw: Any) -> list[Case]:
    """Cases from a vLLM bench or GuideLLM JSON file (detected from its keys)."""
    file = str(path)
    try:
        data = json.loads(read_text_limited(path))
    except (OSError, ValueError) as exc:
        raise CalibrationError(f"--from: cannot read {file}: {exc}") from None
    if not isinstance(data, dict):
        raise CalibrationError(f"{file}: expected a JSON object")
    if "benchmarks" in data:
        return guidellm_cases(data, file, **kw)
    if "output_throughput" in data:
        return vllm_bench_cases(data, file, **kw)
    raise CalibrationError(
        f"{file}: neither a vLLM bench serve result (output_throughput) nor a GuideLLM report (benchmarks)"
    )
