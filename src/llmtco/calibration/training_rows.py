"""What a training row of a corpus states about its run: model, sequence length, recomputation, parallelism.

Read from the sources' own configuration text (``notes``, ``concurrency_or_batch``, ``engine``):
llm-foundry's "activation checkpointing True/False", torchtitan's "full AC"/"selective AC" and recipe
presets (``seq_len 8192``), Megatron-Bridge's "TP4 PP8 CP1 VP 5 EP1, GBS 128, MBS 1, GA 64". What a source
does not state is assumed and said so (``assumptions``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from llmtco.calibration.model_names import match_model
from llmtco.catalog import Catalog
from llmtco.perf.training import pipeline_bubble

RECOMPUTE_PATTERNS = (
    (r"activation checkpointing true|full ac\b", "full"),
    (r"selective ac\b", "selective"),
    (r"activation checkpointing false", "none"),
)
"""How sources state activation recomputation (llm-foundry tables, torchtitan docs)."""


@dataclass(frozen=True)
class TrainingConfig:
    """The run a training row describes."""

    model: str | None
    """Catalog model id, or None: the row's parameter count with estimated layers and width."""
    method: str
    """full | lora | qlora."""
    seq_len: float
    """Training sequence length [tokens]."""
    recompute: str
    """none | selective | full."""
    tp: int | None
    """Tensor-parallel degree, where stated."""
    bubble: float
    """Pipeline idle share of a step, (p - 1) / (v m), from stated PP, VP and GA."""
    assumptions: list[str] = field(default_factory=list)


def training_config(
    row: dict[str, str], catalog: Catalog, seq_len: float | None, tp: int | None
) -> TrainingConfig | str:
    """The row's run, or why it cannot be modelled; the model is matched as serving rows are (``model_names``)."""
    scenario = row["scenario"].lower()
    method = "qlora" if "qlora" in scenario else "lora" if "lora" in scenario else "full"
    text = " ".join((row["notes"], row["concurrency_or_batch"], row["engine"])).lower()
    assumptions: list[str] = []
    if seq_len is None:
        preset = re.search(r"seq_len (\d+)", text)
        if preset is None:
            return "training row without a sequence length"
        seq_len = float(preset.group(1))
        assumptions.append(f"sequence length not stated: the recipe preset's seq_len {preset.group(1)} assumed")
    recompute = next((r for pattern, r in RECOMPUTE_PATTERNS if re.search(pattern, text)), None)
    if recompute is None:
        recompute = "none"
        assumptions.append("activation recomputation not stated: none assumed")
    upper = text.upper()
    tp_stated = re.search(r"\bTP\s?(\d+)", upper)
    bubble = 0.0
    pp = re.search(r"\bPP\s?(\d+)", upper)
    if pp and int(pp.group(1)) > 1:
        vp, ga = re.search(r"\bVP (\d+)", upper), re.search(r"\bGA (\d+)", upper)
        if ga:
            bubble = pipeline_bubble(int(pp.group(1)), int(vp.group(1)) if vp else 1, int(ga.group(1)))
        else:
            assumptions.append("pipeline micro-batches not stated: the pipeline bubble is not counted")
    params = re.match(r"\s*([0-9]+\.?[0-9]*)", row["params_b"] or "")
    match = match_model(row["model"], catalog, float(params.group(1)) if params else None)
    model = match.model
    if model is None:
        assumptions.append(
            f"{match.reason}: layers and width from the parameter count (d_model = 128 x layers, "
            "N = 12 x layers x d_model^2)"
        )
    return TrainingConfig(
        model=model,
        method=method,
        seq_len=seq_len,
        recompute=recompute,
        tp=int(tp_stated.group(1)) if tp_stated else tp,
        bubble=bubble,
        assumptions=assumptions,
    )
