"""Field types and limits shared by the scenario models: bounded numbers, labels, paths, list caps.

Every model derives from ``_Model``: unknown keys are errors and no number may be NaN or infinite.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from llmtco.catalog.records import Num

MAX_WORKLOADS = 64
"""Most workloads in one scenario."""
MAX_OPTIONS = 64
"""Most options in one scenario (each is evaluated in full; optimise larger spaces with `llmtco optimize`)."""
MAX_LIST_ITEMS = 32
"""Most entries in a list of names (certifications, residency, compliance)."""
START_DATE_RANGE = (dt.date(2000, 1, 1), dt.date(2100, 1, 1))
"""Earliest and latest first month of a horizon (prices are looked up at these dates)."""

Share = Annotated[Num, Field(ge=0, le=1)]
ProfileValue = Annotated[Num, Field(ge=0, le=1e9)]
"""One relative load value of an hourly or weekly profile (only ratios matter)."""
Tokens = Annotated[Num, Field(ge=1, le=1e15)]
"""A token count: at least one, at most 10^15 (about 70x the tokens Llama 3 was pre-trained on)."""

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _no_control(value: str) -> str:
    m = _CONTROL.search(value)
    if m:
        raise ValueError(f"must not contain control characters (found {m.group()!r} at position {m.start()})")
    return value


Label = Annotated[str, Field(min_length=1, max_length=80), AfterValidator(_no_control)]
"""A name or catalog id: 1-80 characters, no control characters."""
Labels = Annotated[list[Label], Field(max_length=MAX_LIST_ITEMS)]
ModelRef = Annotated[str, Field(min_length=1, max_length=1024), AfterValidator(_no_control)]
"""A catalog model id, or a path to a config.json (paths can be longer than a label)."""
FilePath = Annotated[str, Field(min_length=1, max_length=4096), AfterValidator(_no_control)]
"""A path relative to the scenario file, without control characters (no NUL byte)."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)
