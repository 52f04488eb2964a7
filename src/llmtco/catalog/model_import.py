"""Read a config.json file into a catalog ``Model`` record and an overlay file (see ``hf_config``)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path
from typing import Any

from llmtco.catalog.hf_config import shape_from_config
from llmtco.catalog.loader import Catalog
from llmtco.catalog.records import Model
from llmtco.errors import CatalogError
from llmtco.files import read_bytes_limited


def read_config(path: str | Path) -> tuple[dict[str, Any], str]:
    """Parse a config.json file; return the mapping and the file's SHA-256 (hex)."""
    p = Path(path)
    try:
        data = read_bytes_limited(p)
    except (OSError, ValueError) as exc:  # ValueError: a NUL byte in the path
        raise CatalogError(f"{path}: cannot read the model config ({getattr(exc, 'strerror', None) or exc})") from None
    try:
        raw = json.loads(data)
    except json.JSONDecodeError as exc:
        raise CatalogError(f"{path}:{exc.lineno}:{exc.colno}: not valid JSON: {exc.msg}") from None
    if not isinstance(raw, dict):
        raise CatalogError(f"{path}: a config.json is a JSON object with the model's hyperparameters")
    return raw, hashlib.sha256(data).hexdigest()


def model_from_config(path: str | Path, model_id: str, name: str | None = None, as_of: dt.date | None = None) -> Model:
    """A catalog ``Model`` record for the config.json at ``path``, sourced by the file's hash."""
    raw, digest = read_config(path)
    s = shape_from_config(raw, str(path))
    moe = s.experts > 1
    return Model(
        id=model_id,
        name=name or model_id,
        params_b=round(s.params_b, 3),
        active_params_b=round(s.active_params_b, 3) if moe else None,
        layers=s.layers,
        hidden=s.hidden,
        heads=s.heads,
        kv_heads=s.kv_heads,
        head_dim=s.head_dim,
        ffn=s.ffn,
        vocab=s.vocab,
        experts=s.experts,
        active_experts=s.active_experts,
        shared_experts=s.shared_experts,
        moe_layers=s.moe_layers if moe else None,
        attention="mla" if s.attention == "mla" else "gqa",
        kv_lora_rank=s.kv_lora_rank,
        qk_rope_head_dim=s.qk_rope_head_dim,
        sliding_window=s.sliding_window,
        sliding_window_layers=s.sliding_window_layers,
        context_max=s.context_max,
        default_precision=s.default_precision,
        tie_word_embeddings=s.tied_embeddings,
        source=f"config.json sha256:{digest}",
        as_of=as_of or dt.date.today(),
        notes=f"imported from {Path(path).name} ({s.model_type}); parameter counts computed from the shapes",
    )


def overlay_yaml(model: Model) -> str:
    """A catalog overlay file (``models: [record]``) holding one imported model."""
    rec = model.model_dump(mode="json", exclude={"overlay", "estimate"}, exclude_none=True)
    lines = ["# llmtco catalog overlay: a model imported from its config.json", "models:"]
    first = True
    for key, value in rec.items():
        lead = "  - " if first else "    "
        first = False
        lines.append(f"{lead}{key}: {json.dumps(value)}")
    return "\n".join(lines) + "\n"


def is_config_ref(ref: str) -> bool:
    """True when a model reference names a config.json file rather than a catalog id."""
    return ref.lower().endswith(".json")


def add_config_model(catalog: Catalog, ref: str, path: str | Path) -> Model:
    """Import the config.json at ``path`` into ``catalog`` under the id ``ref`` (as an overlay record)."""
    rec = model_from_config(path, ref, name=Path(ref).stem).model_copy(update={"overlay": True})
    catalog.models.records[ref] = rec
    return rec
