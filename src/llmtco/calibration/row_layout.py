"""Serving conditions a corpus row states that the corpus's prediction cannot express.

The corpus predicts a serving row as ``gpu_count / TP`` identical tensor-parallel replicas, each running
every phase of every request (``calibration.predict``). A row measured otherwise would be predicted for
the wrong reason, and fitting on it would bend the efficiency factors to absorb the difference, so it is
left unmapped with the condition it states:

- prefill and decode on separate pools (PD disaggregation, ``1P1D``);
- speculative decoding (MTP next-n layers, EAGLE, draft models): more than one token per step;
- attention data parallelism (each rank runs attention for its own requests, the KV cache is not split
  by TP), or an expert-parallel layout whose attention layout the row does not state;
- a throughput basis other than the output tokens of all GPUs (a per-node input rate of a prefill pool).

``analysis.moe_check`` predicts several of these rows with the parallel layouts of ``perf.parallel``.
An expert-parallel degree equal to the attention TP degree, without attention DP, keeps the bytes and
FLOPs per GPU of TP sharding; such a row is mapped and says what is not modelled (the all-to-all).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

SERVING_BASES = ("output_total",)
"""``tput_basis`` values of a serving row the corpus reads (training rows have their own)."""

_NEGATED = re.compile(r"\bno (?:disaggregation|speculative decoding)\b", re.IGNORECASE)
_DISAGGREGATED = re.compile(r"\bPD disaggregation|\bdisaggregat|\b\d+P\d+D\b", re.IGNORECASE)
_SPECULATIVE = re.compile(r"\bMTP\d*\b|speculative|\beagle\d?\b|next-n layers", re.IGNORECASE)
_ATTENTION_DP = re.compile(r"dp_attention=true|attention data parallel|enable_attention_dp|attention DP", re.I)
_LAYOUT = re.compile(r"\bTP\s?(\d+)\s+EP\s?(\d+)(?:\s+DP\s?(\d+))?")


@dataclass(frozen=True)
class RowLayout:
    """Whether the corpus can predict a serving row's layout, and what it assumes if so."""

    unmapped: str | None = None
    """Why the row is left unmapped; None: it can be predicted."""
    assumption: str = ""
    """What the prediction does not model, where it maps."""


def row_layout(row: dict[str, str], basis: str) -> RowLayout:
    """The layout check of one serving row (``basis``: its ``tput_basis``, empty where not stated)."""
    text = _NEGATED.sub("", " ; ".join(row[k] for k in ("engine", "concurrency_or_batch", "scenario", "notes")))
    if basis and basis not in SERVING_BASES:
        return RowLayout(
            f"tput_basis={basis}: the corpus reads serving throughput as {', '.join(SERVING_BASES)} only "
            "(a per-node rate of one pool of a disaggregated deployment is not a whole-system output rate)"
        )
    if m := _DISAGGREGATED.search(text):
        return RowLayout(f"prefill/decode disaggregation ({m.group(0)!r}): the corpus predicts aggregated replicas")
    if m := _SPECULATIVE.search(text):
        return RowLayout(f"speculative decoding ({m.group(0)!r}): the corpus predicts one token per decode step")
    gpus = int(float(re.sub(r"[^0-9.]", "", row["gpu_count"]) or 1))
    if gpus > 1 and (m := _ATTENTION_DP.search(text)):
        stated = "EP degree not listed" if re.search(r"EP degree not listed", text) else "layout as stated"
        return RowLayout(
            f"attention data parallelism ({m.group(0)!r}; {stated}): the corpus predicts attention and KV cache "
            "split by TP"
        )
    m = _LAYOUT.search(text)
    if m is None:
        return RowLayout()
    tp, ep, dp = int(m.group(1)), int(m.group(2)), int(m.group(3) or 1)
    if ep <= 1:
        return RowLayout()
    if tp * dp < ep:
        return RowLayout(
            f"expert parallelism {m.group(0)!r} on {gpus} GPUs: attention TP{tp} x DP{dp} does not span the EP{ep} "
            "group, so the attention layout is not stated"
        )
    if dp > 1:
        return RowLayout(f"attention data parallelism ({m.group(0)!r}): the corpus predicts attention split by TP")
    if ep != tp:
        return RowLayout(f"expert parallelism {m.group(0)!r}: EP differs from TP, a layout the corpus does not predict")
    return RowLayout(
        assumption=f"{m.group(0)}: experts split EP{ep}-ways as TP{tp} would (same bytes and FLOPs per GPU); "
        "the all-to-all is not modelled"
    )
