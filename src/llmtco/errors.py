"""One exception tree for llmtco.

Only ``llmtco.cli`` (exit codes) and ``llmtco.web`` (HTTP statuses, in the one
table ``llmtco.web.app.STATUS``: 422 for user errors, 404 for NotFound)
translate these; everything else raises them and lets them travel::

    LlmtcoError                 base of every error llmtco raises on purpose
    ├── ScenarioError           invalid scenario file: carries file, line, column (exit 2)
    │                           and a list of Issues when several fields are wrong
    ├── CatalogError            unknown catalog key, bad overlay record (exit 2)
    ├── UsageError              bad command-line arguments (exit 2)
    ├── InfeasibleError         a workload cannot be served by an option (the model does
    │                           not fit, an SLO cannot be met); engines usually turn this
    │                           into an excluded option instead of raising
    ├── CalibrationError        a calibration profile cannot be read or fitted (exit 2)
    ├── NotFound                a saved scenario or version does not exist (HTTP 404, exit 2)
    └── GateFailed              a cost gate was crossed (exit 3)

Anything else that escapes is a bug and exits 1.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Issue:
    """One problem at one place of an input file."""

    path: str
    """Dotted path to the field, e.g. ``options.0.accelerator``."""
    message: str
    file: str | None = None
    line: int | None = None
    """1-based line number, when known."""
    column: int | None = None
    """1-based column number, when known."""

    def __str__(self) -> str:
        where = ""
        if self.file is not None:
            where = self.file
            if self.line is not None:
                where += f":{self.line}"
                if self.column is not None:
                    where += f":{self.column}"
            where += ": "
        field = f"{self.path}: " if self.path else ""
        return f"{where}{field}{self.message}"


class LlmtcoError(Exception):
    """Base class of every error llmtco raises on purpose."""

    exit_code = 1


class ScenarioError(LlmtcoError):
    """The scenario (or another user YAML file) is invalid."""

    exit_code = 2

    def __init__(self, issues: Iterable[Issue]) -> None:
        self.issues = list(issues)
        super().__init__("\n".join(str(i) for i in self.issues))


class CatalogError(LlmtcoError):
    """A catalog key is unknown or a catalog record is invalid."""

    exit_code = 2


class UsageError(LlmtcoError):
    """Command-line arguments are wrong."""

    exit_code = 2


class InfeasibleError(LlmtcoError):
    """A workload cannot be served the way it was asked for."""

    exit_code = 2


class CalibrationError(LlmtcoError):
    """A calibration profile or measurement file cannot be used."""

    exit_code = 2


class NotFound(LlmtcoError):
    """A saved scenario (or one of its versions) does not exist."""

    exit_code = 2


class GateFailed(LlmtcoError):
    """A cost gate (``--fail-above``, ``--fail-on-increase``) was crossed."""

    exit_code = 3


def did_you_mean(key: str, allowed: Iterable[str], limit: int = 8) -> str:
    """Return ' Did you mean X? Allowed: a, b, ...' for an unknown key."""
    allowed = sorted(allowed)
    close = difflib.get_close_matches(key, allowed, n=1, cutoff=0.5)
    hint = f" Did you mean {close[0]!r}?" if close else ""
    shown = ", ".join(allowed[:limit])
    more = f", ... ({len(allowed) - limit} more; see `llmtco catalog list`)" if len(allowed) > limit else ""
    return f"{hint} Allowed: {shown}{more}."
