"""JSON: the versioned contract (schema_version, metadata, options)."""

from __future__ import annotations

import json

from llmtco.result import Result


def render_json(result: Result) -> str:
    return json.dumps(result.to_dict(), indent=2, allow_nan=False) + "\n"
