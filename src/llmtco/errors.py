"""One exception tree for llmtco.

Only ``llmtco.cli`` (exit codes) and ``llmtco.web`` (HTTP statuses, in the one
table ``llmtco.web.app.STATUS``: 422 for user errors, 404 for NotFound)
translate these; everything else raises them and lets them travel::

    LlmtcoError                 base of every error llmtco raises on purpose
    ├── ScenarioError           invalid scenario file: carries file, line, column (exit 2, HTTP 422)
    │                           and a list of Issues when several fields are wrong
    ├── CatalogError            unknown catalog key, bad overlay record (exit 2, HTTP 422)
    ├── UsageError              bad command-line arguments (exit 2)
    ├── InfeasibleError         an option cannot serve a workload as asked: the model does not
    │   │                       fit, no batch meets the SLO, no fine-tuning offer. ``engine.run``
    │   │                       turns it into an excluded option with the message as the reason,
    │   │                       in every interface; ``llmtco perf`` probes exit 2 with it
    │   └── CapacityExceeded    a fixed fleet (servers:/instances:) cannot carry the load; carries
    │                           the unmet requests and tokens per month
    ├── CalibrationError        a calibration profile cannot be read or fitted (exit 2)
    ├── ActualsError            telemetry, a bill or a ledger cannot be read (exit 2)
    │   └── SourceFailed        (analysis.actuals.sources) one query failed; keeps what it read
    ├── Busy                    a web job ran past its time limit or lost its worker (HTTP 503)
    ├── NotFound                a saved scenario or version does not exist (HTTP 404, exit 2)
    ├── GateFailed              a cost gate was crossed (exit 3)
    └── InternalError           llmtco caught itself computing garbage (a non-finite total);
                                a bug, reported as one clear message (exit 1, HTTP 500)

Anything else that escapes is a bug and exits 1 (HTTP 500). ``SourceFailed`` carries the partial
series it read, so it stays beside them in ``analysis.actuals.sources``; internal ``ValueError``
subclasses (``scenario.trace.TraceError``, ``analysis.sweep.paths.PathError``) never leave their
modules: the loader and the sweep turn them into ``ScenarioError`` / ``UsageError`` with the field.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any


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


class CapacityExceeded(InfeasibleError):
    """A fixed fleet (``servers:`` or ``instances:``) cannot carry the load: what it leaves unserved.

    ``unmet_requests`` and ``unmet_tokens`` are per month (first sample); ``served_fraction`` is the
    share of each workload's load the fleet carries per month and hour class, shape (S, M, H), which a
    hybrid uses to send the excess to its overflow.
    """

    def __init__(self, message: str, unmet_requests: Any, unmet_tokens: Any, served_fraction: Any) -> None:
        super().__init__(message)
        self.unmet_requests = unmet_requests
        self.unmet_tokens = unmet_tokens
        self.served_fraction = served_fraction


class CalibrationError(LlmtcoError):
    """A calibration profile or measurement file cannot be used."""

    exit_code = 2


class ActualsError(LlmtcoError):
    """A telemetry source, bill or ledger of ``llmtco actuals`` cannot be read or used."""

    exit_code = 2


class Busy(LlmtcoError):
    """The request's work ran past its time limit or lost its worker (HTTP 503)."""


class NotFound(LlmtcoError):
    """A saved scenario (or one of its versions) does not exist."""

    exit_code = 2


class GateFailed(LlmtcoError):
    """A cost gate (``--fail-above``, ``--fail-on-increase``) was crossed."""

    exit_code = 3


class InternalError(LlmtcoError):
    """A result llmtco would print is wrong (e.g. a non-finite total); a bug, never the user's fault."""

    exit_code = 1


def did_you_mean(key: str, allowed: Iterable[str], limit: int = 8) -> str:
    """Return ' Did you mean X? Allowed: a, b, ...' for an unknown key."""
    allowed = sorted(allowed)
    close = difflib.get_close_matches(key, allowed, n=1, cutoff=0.5)
    hint = f" Did you mean {close[0]!r}?" if close else ""
    shown = ", ".join(allowed[:limit])
    more = f", ... ({len(allowed) - limit} more; see `llmtco catalog list`)" if len(allowed) > limit else ""
    return f"{hint} Allowed: {shown}{more}."
