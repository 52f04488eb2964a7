"""Measurement corpus: published (or your own) measurements mapped onto catalog entries.

A corpus is a CSV with the columns of ``data/published-measurements.csv``
(id, model, params_b, gpu, gpu_count, precision, engine, input_len, output_len,
concurrency_or_batch, scenario, throughput_tok_s, ttft_ms, tpot_ms, power_w,
energy_j_per_token, source, as_of, notes). Each row becomes a ``Case`` the
performance model can predict, or an ``Unmapped`` entry saying why not.

Every ``*.csv`` in ``data/`` is read (optional trailing columns ``level``:
kernel_step | end_to_end | power | training, and ``source_family``; both are
inferred where absent), and every ``*.json`` there is a ``llmtco measure``
profile whose decode steps become kernel_step cases.

End-to-end rows carry the load their text states (``row_load``: an offered rate or a fixed
concurrency; else saturation), and are predicted at it.

The model is any catalog model the row's name denotes (``model_names``: the most specific alias wins); a
serving row measured under a layout the prediction cannot express (PD disaggregation, speculative decoding,
attention data parallelism, an unstated EP layout) stays unmapped (``row_layout``); a dataset named instead
of an input length reads its sourced mean (``dataset_lengths``).

Normalisation: ``notes`` starts with ``tput_basis=``: ``output_total`` is the
output tokens/s of all ``gpu_count`` GPUs, ``train_tokens_per_gpu`` is per GPU,
``train_tokens_per_s`` is for the whole job. Everything is stored per GPU.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path

from llmtco.calibration.corpus_files import COLLECTION_KEY, COLUMNS, OPTIONAL_COLUMNS, read_rows
from llmtco.calibration.dataset_lengths import client_mean_lengths, dataset_input_tokens
from llmtco.calibration.model_names import match_model
from llmtco.calibration.recipes import EngineSettings, recipe_settings
from llmtco.calibration.row_layout import RowLayout, row_layout
from llmtco.calibration.row_load import (
    SATURATION,
    RowLoad,
    carried_offered_load,
    latency_statistic,
    published_median_ttft,
    row_load,
    with_server_limits,
)
from llmtco.calibration.training_rows import training_config
from llmtco.catalog import Catalog
from llmtco.errors import CalibrationError

LEVELS = ("kernel_step", "end_to_end", "power", "training")

__all__ = ["COLLECTION_KEY", "COLUMNS", "OPTIONAL_COLUMNS", "Case", "Unmapped", "load_corpus", "map_row", "read_rows"]

METRICS = {
    "decode_step_ms": "kernel-level decode step [ms]",
    "prefill_step_ms": "kernel-level prefill step [ms]",
    "output_tok_s_per_gpu": "output throughput [tokens/s per GPU]",
    "tpot_ms": "time per output token [ms]",
    "ttft_ms": "time to first token [ms]",
    "power_w_per_gpu": "GPU power [W per GPU]",
    "energy_j_per_token": "energy per output token [J]",
    "train_tok_s_per_gpu": "training throughput [tokens/s per GPU]",
}

_GPUS = (
    # (pattern, accelerator id or None, reason when None, assumption)
    (r"maxq|power-capped", None, "power-capped MaxQ variant: no catalog accelerator for a capped H200", ""),
    (r"cts|custom thermal", None, "custom-thermal H200 with higher TGP: not in the catalog", ""),
    (r"gh200", None, "GH200 superchip is not in the catalog", ""),
    (r"rtx pro 6000 blackwell server", "rtx-pro-6000-server", "", ""),
    (
        r"rtx pro 6000",
        None,
        "RTX PRO 6000 Blackwell not stated as the Server Edition: the Workstation and Max-Q editions are not in "
        "the catalog",
        "",
    ),
    (r"rtx a6000", None, "RTX A6000 is not in the catalog", ""),
    (r"h100-96gb|h100.*hbm2e", "h100-96gb", "", "Meta's custom 96 GB HBM2e H100 at 500 W: peak TFLOP/s an estimate"),
    (r"gb300", "gb300", "", ""),
    (r"gb200", "gb200", "", ""),
    (r"b300", "b300", "", ""),
    (r"mi325x", "mi325x", "", ""),
    (r"mi355x", "mi355x", "", ""),
    (r"h100.*form factor not stated", "h100-sxm", "", "H100 form factor not stated in the source: SXM assumed"),
    (r"h100-nvl", "h100-nvl", "", ""),
    (r"h100-pcie", "h100-pcie", "", ""),
    (r"h100", "h100-sxm", "", ""),
    (r"h200", "h200", "", ""),
    (r"b200", "b200", "", ""),
    (r"mi300x", "mi300x", "", ""),
    (r"l40s", "l40s", "", ""),
    (r"a100-80gb", "a100-80gb", "", ""),
    (r"^a100$", "a100-80gb", "", "A100 memory size not stated: the 80 GB part assumed"),
    (r"rtx 4090", "rtx-4090", "", ""),
)


@dataclass(frozen=True)
class Case:
    """One measurement the model can predict."""

    id: str
    source: str
    family: str
    """Publication family, for leave-one-source-out: trtllm, mlperf, mlenergy, mosaic, torchtune, user."""
    engine: str
    kind: str
    """offline | server | batch | train | step."""
    accelerator: str
    gpus: int
    tp: int | None
    precision: str
    model: str | None
    params_b: float
    input_tokens: float | None = None
    output_tokens: float | None = None
    batch: float | None = None
    method: str | None = None
    """full | lora | qlora for training rows."""
    measured: dict[str, float] = field(default_factory=dict)
    assumptions: tuple[str, ...] = ()
    level: str = "end_to_end"
    """kernel_step | end_to_end | power | training: which layer of the model the row tests."""
    stack: dict[str, int] | None = None
    """Layer dimensions of a kernel-step measurement (``llmtco measure``'s random-weight stack)."""
    recompute: str = "none"
    """Activation recomputation of a training row: none | selective | full (``perf.training``)."""
    pipeline_bubble: float = 0.0
    """Pipeline idle share of a training row's step, from its stated PP, VP and micro-batch count."""
    power_basis: str = "gpu"
    """What ``power_w_per_gpu`` measured: ``gpu`` (board power, NVML/Zeus) or ``system_wall_ac`` (the whole
    server at the wall, divided by its GPUs: MLPerf power runs)."""
    load: RowLoad = SATURATION
    """The offered rate or concurrency an end-to-end row was measured at (``row_load``); else saturation."""
    latency_stat: str = "mean"
    """The TTFT statistic of ``ttft_ms``: ``mean`` or ``p50`` (median)."""
    kv_cache: str | None = None
    """KV-cache precision where the row states it apart from BF16 weights; None: follows the compute."""
    engine_settings: EngineSettings | None = None
    """Token budget and scheduler polling the run's launch script set (``recipes``); None: the defaults."""
    collection: str = ""
    """The corpus file the row came from (its stem): the ``held-out collection`` split predicts one
    collection with factors fitted on the others."""


@dataclass(frozen=True)
class Unmapped:
    id: str
    reason: str


def _num(text: str) -> float | None:
    m = re.match(r"\s*([0-9][0-9,]*\.?[0-9]*)", text or "")
    return float(m.group(1).replace(",", "")) if m else None


def _family(row: dict[str, str]) -> str:
    if row.get("source_family"):
        return row["source_family"].strip()
    rid = row["id"].lower()
    for prefix in ("trtllm", "mlperf", "mlenergy", "mosaic", "tune"):
        if rid.startswith(prefix):
            return "torchtune" if prefix == "tune" else prefix
    return "user"


def _engine(text: str) -> str:
    t = text.lower()
    for key, name in (
        ("tensorrt", "trtllm"),
        ("vllm", "vllm"),
        ("sglang", "sglang"),
        ("composer", "composer"),
        ("llm-foundry", "composer"),
        ("torchtune", "torchtune"),
    ):
        if key in t:
            return name
    return t.split()[0] if t.split() else "unknown"


FP16_AS_BF16 = (
    "FP16 weights and activations: the same 2 bytes per weight and, on every catalog GPU, the same 16-bit "
    "tensor-core peak as BF16; modelled as BF16 (as engine.adapters.efficiency_for does)"
)


def _precision(text: str) -> tuple[str | None, str]:
    """The weight precision a row's text states, and any assumption; None where the text does not say."""
    t = text.lower()
    if t.startswith(("not stated", "quantized")):  # a format the text does not name
        return None, ""
    if t.startswith("bf16 weights"):  # BF16 weights with a KV cache of its own precision (``_kv_cache``)
        return "bf16", ""
    if t.startswith("fp16") and "quantiz" not in t.replace("no quantization", ""):
        return "bf16", FP16_AS_BF16
    if "nf4" in t:
        return "int4", ""
    if "mxfp4" in t:  # OCP MX: an E8M0 scale per 32 weights, not NVFP4's FP8 scale per 16
        return "mxfp4", ""
    if "fp4" in t:
        return "fp4", ""
    if "fp8" in t:
        return "fp8", ""
    if "bf16" in t or "bfloat16" in t:
        return "bf16", ""
    if "not verified" in t:
        return "fp8", "precision not verified in the source: FP8 assumed (NVIDIA MLPerf code path on Ada)"
    return None, ""


def _kv_cache(text: str) -> str | None:
    """The KV-cache precision of a row with BF16 weights that names its cache (``BF16 weights, FP8 KV``)."""
    t = text.lower()
    if not t.startswith("bf16 weights") or "kv" not in t:
        return None
    return "fp8" if re.search(r"fp8[^;]*kv", t) else "bf16"


def _length(text: str, what: str, assumptions: list[str]) -> float | None:
    """A length in tokens; ``~N`` (an approximate mean the source states) is read as N, and said so."""
    if text.strip().startswith("~"):
        value = _num(text.strip()[1:])
        if value is not None:
            assumptions.append(f"{what} length an approximate mean in the source ({text.strip()}): {value:g} used")
        return value
    return _num(text)


def _level(row: dict[str, str], inferred: str) -> str:
    level = (row.get("level") or "").strip() or inferred
    if level not in LEVELS:
        raise CalibrationError(f"row {row['id']}: level {level!r}; allowed: {', '.join(LEVELS)}")
    return level


def _training_case(
    row: dict[str, str],
    catalog: Catalog,
    accelerator: str,
    precision: str,
    gpus: int,
    tp: int | None,
    tput: float | None,
    basis_name: str,
    assumptions: list[str],
) -> Case | Unmapped:
    """A training row: tokens/s per GPU of the run ``training_rows.training_config`` reads from it."""
    rid = row["id"]
    params_b = _num(row["params_b"])
    if tput is None or params_b is None:
        return Unmapped(rid, "training row without throughput or parameter count")
    run = training_config(row, catalog, _num(row["input_len"]), tp)
    if isinstance(run, str):
        return Unmapped(rid, run)
    per_gpu = basis_name == "train_tokens_per_gpu"
    if not per_gpu and gpus > 1:
        assumptions.append("throughput read as the whole job's (per-GPU would exceed peak FLOP/s)")
    return Case(
        id=rid,
        source=row["source"],
        family=_family(row),
        engine=_engine(row["engine"]),
        kind="train",
        accelerator=accelerator,
        gpus=gpus,
        tp=run.tp,
        precision=precision,
        model=run.model,
        params_b=params_b,
        input_tokens=run.seq_len,
        method=run.method,
        measured={"train_tok_s_per_gpu": tput if per_gpu else tput / gpus},
        assumptions=(*assumptions, *run.assumptions),
        level=_level(row, "training"),
        recompute=run.recompute,
        pipeline_bubble=run.bubble,
    )


def map_row(row: dict[str, str], catalog: Catalog) -> Case | Unmapped:
    rid = row["id"]
    assumptions: list[str] = []
    gpu_text = row["gpu"].strip().lower()
    accelerator = None
    for pattern, acc, reason, assume in _GPUS:
        if re.search(pattern, gpu_text):
            if acc is None:
                return Unmapped(rid, reason)
            accelerator = acc
            if assume:
                assumptions.append(assume)
            break
    if accelerator is None or accelerator not in catalog.accelerators:
        return Unmapped(rid, f"GPU {row['gpu']!r} is not in the catalog")
    scenario = row["scenario"].lower()
    notes = row["notes"]
    basis = re.search(r"tput_basis=(\w+)", notes) or re.search(r"(x)", "x")
    basis_name = basis.group(1) if basis and basis.group(1) != "x" else ""
    training = scenario.startswith(("training", "finetune"))
    layout = RowLayout() if training else row_layout(row, basis_name)
    if layout.unmapped is not None:
        return Unmapped(rid, layout.unmapped)
    precision, assume = _precision(row["precision"])
    if precision is None:
        return Unmapped(rid, f"precision {row['precision']!r} not stated precisely enough to model")
    if assume:
        assumptions.append(assume)
    gpus = int(_num(row["gpu_count"]) or 1)
    tp_match = re.search(r"\bTP(\d+)", row["concurrency_or_batch"] + " " + notes)
    tp = int(tp_match.group(1)) if tp_match else None
    tput = _num(row["throughput_tok_s"])
    measured: dict[str, float] = {}
    family = _family(row)
    engine = _engine(row["engine"])

    if training:
        return _training_case(row, catalog, accelerator, precision, gpus, tp, tput, basis_name, assumptions)

    match = match_model(row["model"], catalog, _num(row["params_b"]))
    if match.model is None:
        return Unmapped(rid, match.reason)
    model = match.model
    if layout.assumption:
        assumptions.append(layout.assumption)
    lin = _length(row["input_len"], "input", assumptions)
    if lin is None:
        dataset = dataset_input_tokens(row["input_len"], model)
        if dataset is not None:
            lin = dataset.mean_input_tokens
            assumptions.append(dataset.why)
    lout = _length(row["output_len"], "output", assumptions)
    level = _level(row, "end_to_end")
    if level == "kernel_step" and lout is None:
        lout = 1.0  # a step has no output length
    if lin is None or lout is None:
        return Unmapped(rid, "input or output length not stated")
    if (sampled := client_mean_lengths(family, lin, lout)) is not None and level == "end_to_end":
        lin, lout, why = sampled
        assumptions.append(why)
    if tput is not None:
        measured["output_tok_s_per_gpu"] = tput / gpus
    for key in ("ttft_ms", "tpot_ms", "energy_j_per_token"):
        v = _num(row[key])
        if v is not None:
            measured[key] = v
    if (median := published_median_ttft(notes)) is not None and "ttft_ms" in measured:
        mean = measured["ttft_ms"]
        assumptions.append(f"TTFT compared at its published median, {median:g} ms, not its mean ({mean:g} ms)")
        measured["ttft_ms"] = median
    power = _num(row["power_w"])
    power_basis = "system_wall_ac" if "power_basis=system_wall_ac" in notes else "gpu"
    if power is not None:
        measured["power_w_per_gpu"] = power / gpus
        if power_basis != "gpu":
            assumptions.append("wall power of the whole server: GPUs through the power supplies plus the host")
    batch = None
    m = re.search(r"avg running batch ([0-9.]+)", row["concurrency_or_batch"])
    if m:
        batch = float(m.group(1))
    if level == "kernel_step":
        # a published step time: one forward step of `batch` sequences at `input_len` cached tokens
        # (tpot_ms: a decode step) or of a `input_len`-token prompt (ttft_ms: a prefill step)
        step_batch = _num(row["concurrency_or_batch"]) or 1.0
        measured = {}
        if _num(row["tpot_ms"]) is not None:
            measured["decode_step_ms"] = float(_num(row["tpot_ms"]) or 0.0)
        if _num(row["ttft_ms"]) is not None:
            measured["prefill_step_ms"] = float(_num(row["ttft_ms"]) or 0.0)
        if not measured:
            return Unmapped(rid, "kernel_step row without tpot_ms (decode step) or ttft_ms (prefill step)")
        return Case(
            id=rid,
            source=row["source"],
            family=family,
            engine=engine,
            kind="step",
            accelerator=accelerator,
            gpus=gpus,
            tp=tp or gpus,
            precision=precision,
            model=model,
            params_b=float(_num(row["params_b"]) or 0.0),
            input_tokens=lin,
            output_tokens=lout,
            batch=step_batch,
            measured=measured,
            assumptions=tuple(assumptions),
            level=level,
        )
    if "server" in scenario:
        kind = "server"
    elif batch is not None:
        kind = "batch"
    else:
        kind = "offline"
    if tp is None:
        assumptions.append("tensor parallelism not stated: smallest degree that fits assumed")
    load = row_load(row["concurrency_or_batch"], notes) if kind != "batch" else SATURATION
    load = with_server_limits(load, scenario, model)
    if carried_offered_load(load, tput, lout):
        measured.pop("output_tok_s_per_gpu", None)
        assumptions.append("throughput is the offered load the run carried: TPOT and TTFT compared, not throughput")
    if load.kind == "rate" and "poisson" not in (row["concurrency_or_batch"] + notes).lower():
        assumptions.append("arrival process not stated: Poisson arrivals assumed")
    clients = load.value if load.kind == "concurrency" and load.value is not None else 1.0
    settings = recipe_settings(family, engine, model, accelerator, precision, clients, _num(row["input_len"]) or 0.0)
    if settings is not None:
        assumptions.append(settings.why)
    return Case(
        id=rid,
        source=row["source"],
        family=family,
        engine=engine,
        kind=kind,
        accelerator=accelerator,
        gpus=gpus,
        tp=tp,
        precision=precision,
        model=model,
        params_b=float(_num(row["params_b"]) or 0.0),
        input_tokens=lin,
        output_tokens=lout,
        batch=batch,
        measured=measured,
        assumptions=tuple(assumptions),
        level=level,
        power_basis=power_basis,
        load=load,
        latency_stat=latency_statistic(notes),
        kv_cache=_kv_cache(row["precision"]),
        engine_settings=settings,
    )


def profile_cases(doc: dict[str, object], name: str, catalog: Catalog) -> list[Case]:
    """Kernel-step cases from one ``llmtco measure`` profile (decode steps of its random-weight stack)."""
    device = str(doc.get("device", "")).lower()
    accelerator = next((acc for pat, acc, _, _ in _GPUS if acc and re.search(pat, device)), None)
    if accelerator is None or accelerator not in catalog.accelerators:
        return []
    stack = {k: int(v) for k, v in dict(doc["stack"]).items()}  # type: ignore[call-overload]
    steps = dict(doc.get("decode_ms", {}))  # type: ignore[call-overload]
    return [
        Case(
            id=f"{name}-decode-b{batch}",
            source=f"llmtco measure profile {name} ({doc.get('device')}, {doc.get('measured_at')})",
            family="llmtco-measure",
            engine="torch-eager",
            kind="step",
            accelerator=accelerator,
            gpus=1,
            tp=1,
            precision="bf16",
            model=None,
            params_b=0.0,
            input_tokens=float(stack["context"]),
            batch=float(batch),
            measured={"decode_step_ms": float(ms)},
            level="kernel_step",
            stack=stack,
        )
        for batch, ms in sorted(steps.items(), key=lambda kv: int(kv[0]))
    ]


def committed_profiles(catalog: Catalog) -> list[Case]:
    """Kernel-step cases of every profile JSON in the committed corpus folder."""
    folder = resources.files("llmtco.calibration").joinpath("data")
    out: list[Case] = []
    for item in sorted(folder.iterdir(), key=lambda f: f.name):
        if item.name.endswith(".json"):
            out.extend(profile_cases(json.loads(item.read_text(encoding="utf-8")), item.name[:-5], catalog))
    return out


def load_corpus(catalog: Catalog, path: str | Path | None = None) -> tuple[list[Case], list[Unmapped]]:
    """Cases of a corpus CSV, or of the committed corpus (all CSVs and measured profiles)."""
    cases: list[Case] = [] if path is not None else committed_profiles(catalog)
    unmapped: list[Unmapped] = []
    for row in read_rows(path):
        result = map_row(row, catalog)
        if isinstance(result, Case):
            cases.append(replace(result, collection=row.get(COLLECTION_KEY, "")))
        else:
            unmapped.append(result)
    return cases, unmapped
