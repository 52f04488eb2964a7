"""Option kinds, one module each: ``onprem``, ``cloud`` (``kind: cloud_gpu``), ``api``, ``hybrid``.

``OPTION_KINDS`` maps the scenario's ``kind:`` to a typed entry whose
``build(option, inputs) -> Outcome`` costs it.
"""

from __future__ import annotations

from typing import Any

from llmtco.engine.options import api, cloud, hybrid, onprem
from llmtco.engine.options.base import OptionInputs, OptionKind, Outcome
from llmtco.scenario.schema import ApiOption, CloudGpuOption, HybridOption, OnPremOption

OPTION_KINDS: dict[str, OptionKind[Any]] = {
    "onprem": OptionKind(OnPremOption, onprem.build),
    "cloud_gpu": OptionKind(CloudGpuOption, cloud.build),
    "api": OptionKind(ApiOption, api.build),
    "hybrid": OptionKind(HybridOption, hybrid.build),
}
"""Registry: option kind → its builder."""

__all__ = ["OPTION_KINDS", "OptionInputs", "OptionKind", "Outcome"]
