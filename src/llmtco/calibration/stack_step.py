"""The serving layer's ``stack_step_ms`` of MoE stacks, fitted for the shipped efficiency records.

The published MoE decode rows (``calibration.moe_rows``, reported by ``perf moe-check``:
DeepSeek-R1/V3 on InferenceMAX, the TensorRT-LLM and SGLang blogs) are predicted with the layout
physics alone (each record's
``stack_step_ms`` left out), and the residual time per step is fitted over the tree generic →
@engine → accelerator@engine → accelerator@engine@precision (``calibration.stack_fit.fit_stack_step_ms``).
Each efficiency record then carries the value of its most specific node (a record without an engine:
the generic node), and the tree's accelerator@engine(@precision) nodes that have no record yet get
one (the physics of the record the catalog would use for them, plus the node's stack time), so a
scenario naming ``engine: sglang`` on an MI300X gets ROCm SGLang's stack time. The records' ``source``
and ``notes`` say which node answered and on how many rows.

The rows are also the ones ``perf moe-check`` reports: for them the shipped value is in sample; its
leave-one-source-out column is the out-of-sample figure.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from llmtco.calibration.moe_rows import CheckRow, moe_rows, step_row
from llmtco.calibration.stack_fit import StackStep, StepRow, fit_stack_step_ms, stack_step_for
from llmtco.catalog import Catalog
from llmtco.catalog.loader import Table
from llmtco.catalog.records import Efficiency

STACK_NOTE = "; stack: "
"""Separator of the stack-step part of an efficiency record's ``notes``."""


def moe_step_rows(
    cat: Catalog, effs: dict[str, Efficiency], keep: Callable[[CheckRow], bool] | None = None
) -> list[StepRow]:
    """The published MoE decode rows (those ``keep`` accepts; None: all) predicted with ``effs`` and the
    layout physics alone."""
    physics = {k: e.model_copy(update={"stack_step_ms": 0.0}) for k, e in effs.items()}
    rows, _ = moe_rows(replace(cat, efficiency=Table("efficiency", physics)))
    return [sr for r in rows if (keep is None or keep(r)) and (sr := step_row(r)) is not None]


def _split(key: str) -> tuple[str, str, str]:
    acc, _, rest = key.partition("@")
    engine, _, precision = rest.partition("@")
    return acc, engine, precision


def _node_for(nodes: dict[str, StackStep], key: str) -> StackStep:
    acc, engine, precision = _split(key)
    if not engine:
        return nodes["generic"]
    return stack_step_for(nodes, acc, engine, precision)


def stack_note(node: StackStep, rows: int) -> str:
    """Which node answered and on how many rows, e.g. ``3.2 ms from @atom (4 MoE decode rows)``."""
    if node.answered == "prior":
        return "0 ms (no MoE decode rows)"
    return f"{node.stack_step_ms:g} ms from {node.answered} ({rows} MoE decode rows)"


def with_stack_steps(effs: dict[str, Efficiency], rows: list[StepRow], source: str) -> dict[str, Efficiency]:
    """``effs`` with ``stack_step_ms`` from the fit on ``rows`` (see the module docstring); ``source`` names
    the rows' corpus."""
    nodes = fit_stack_step_ms(rows)
    counts = {n.key: n.rows for n in nodes.values()}
    out: dict[str, Efficiency] = {}

    def stamp(key: str, base: Efficiency) -> Efficiency:
        node = _node_for(nodes, key)
        note = stack_note(node, counts.get(node.answered, 0))
        prefix = base.notes.split(STACK_NOTE)[0]
        return base.model_copy(
            update={
                "id": key,
                "stack_step_ms": node.stack_step_ms,
                "notes": f"{prefix}{STACK_NOTE}{note}" if prefix else f"stack: {note}",
                "source": f"{base.source.split('; stack_step_ms ')[0]}; stack_step_ms fitted on {source}: {note}",
            }
        )

    for key, eff in effs.items():
        out[key] = stamp(key, eff)
    for key, node in nodes.items():
        acc, engine, precision = _split(key)
        if not acc or key in out or acc not in effs:
            continue
        if precision and node.answered != key:
            continue  # an inherited precision node adds nothing over its accelerator@engine record
        parent = out.get(f"{acc}@{engine}", out[acc])
        out[key] = stamp(key, parent)
    return out
