"""Which catalog model a corpus row's free-text model name is.

Sources name one checkpoint many ways: ``Qwen/Qwen3-8B``, ``qwen3-8b``, ``Llama-2-70B-chat``,
``meta-llama/Llama-3.1-405B-Instruct-FP8``, ``DeepSeek-R1-0528``. Each catalog model is known by its id,
its display name and the Hugging Face repository its ``source`` cites, all normalised (lower case, the
organisation dropped, spaces and underscores as ``-``). A key matches a name where it stands between
``-`` boundaries (``llama-3.1-8b`` in ``meta-llama-3.1-8b-instruct``, never in ``llama-3.1-80b``), and the
longest matching key wins, so ``qwen3-30b-a3b`` beats ``qwen3-30b`` and ``llama-3.1-70b`` never answers
for ``llama-3.1-8b``. A name two models match equally well, a derivative with its own architecture
(distilled into another base model), or a stated parameter count the catalog model does not have stays
unmapped with the reason, because a wrong model poisons a fit more than a missing row does.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from llmtco.catalog import Catalog

DERIVATIVE_MARKERS = (("distill", "a distilled derivative: its architecture is the student base model's"),)
"""Words that make a name another model than the one it starts with, and why."""

PARAMS_TOLERANCE = 0.10
"""Largest relative gap between a row's ``params_b`` and the catalog model's total parameters [1]; wider
means the row names another size or counts parameters another way (active only, no embeddings)."""

_HF_REPO = re.compile(r"huggingface\.co/[^/\s]+/([^/\s;]+)")


@dataclass(frozen=True)
class ModelMatch:
    """A catalog model for a row's name, or None and why not."""

    model: str | None
    """Catalog model id."""
    reason: str = ""
    """Why no model, where ``model`` is None."""
    key: str = ""
    """The normalised alias that matched."""


def normalise(name: str) -> str:
    """Lower case, organisation dropped, spaces and underscores as ``-``, repeated ``-`` collapsed."""
    text = name.strip().lower().split("/")[-1]
    return re.sub(r"-{2,}", "-", re.sub(r"[\s_]+", "-", text)).strip("-")


def aliases(catalog: Catalog) -> dict[str, set[str]]:
    """Normalised key -> catalog model ids known by it (id, name, and the Hugging Face repo of its source)."""
    keys: dict[str, set[str]] = {}
    for mid, model in catalog.models.records.items():
        found = {normalise(mid), normalise(model.name)}
        found.update(normalise(repo) for repo in _HF_REPO.findall(model.source))
        for key in found:
            if key:
                keys.setdefault(key, set()).add(mid)
    return keys


def _matches(key: str, name: str) -> bool:
    return re.search(rf"(?:^|-){re.escape(key)}(?:-|$)", name) is not None


def match_model(name: str, catalog: Catalog, params_b: float | None = None) -> ModelMatch:
    """The catalog model ``name`` denotes (the most specific alias wins), checked against ``params_b``."""
    norm = normalise(name)
    if not norm:
        return ModelMatch(None, "model name is empty")
    hits = [(key, mids) for key, mids in aliases(catalog).items() if _matches(key, norm)]
    if not hits:
        return ModelMatch(None, f"model {name!r} is not in the catalog")
    best = max(len(key) for key, _ in hits)
    ids = sorted({mid for key, mids in hits if len(key) == best for mid in mids})
    key = next(key for key, _ in hits if len(key) == best)
    if len(ids) > 1:
        return ModelMatch(None, f"model {name!r} is ambiguous: it matches {', '.join(ids)} equally well")
    mid = ids[0]
    for marker, why in DERIVATIVE_MARKERS:
        if marker in norm and marker not in key:
            return ModelMatch(None, f"model {name!r} is not the catalog's {mid}: {why}")
    catalog_b = catalog.models.records[mid].params_b
    if params_b is not None and params_b > 0 and abs(params_b - catalog_b) > PARAMS_TOLERANCE * catalog_b:
        return ModelMatch(
            None,
            f"model {name!r} reads as {mid}, but the row's params_b {params_b:g} is not the catalog's "
            f"{catalog_b:g} B (more than {PARAMS_TOLERANCE:.0%} apart)",
        )
    return ModelMatch(mid, key=key)
