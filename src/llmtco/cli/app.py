"""The typer application: ``llmtco`` and its command groups, one module each.

    compare.py      breakdown, report, diff, validate, schema, init
    catalog.py      catalog list | show | import-model
    perf.py         perf decode | prefill | train
    frontier.py     perf frontier | moe-check
    calibration.py  accuracy, calibrate, measure
    analysis.py     simulate, sensitivity, optimize
    server.py       serve, version
    users.py        users add | list | disable | token (web app accounts)
    actuals.py      actuals (plan against telemetry and bills)
    sweep.py        sweep (grids of plans on Dask)
    frontier.py     perf frontier, perf moe-check (parallel layouts)
    common.py       the typer apps, option types, output helpers

Importing a command module registers its commands on ``common.app``.
"""

from __future__ import annotations

# the order the command modules are imported is the order `llmtco --help` lists their commands
# isort: off
from llmtco.cli import compare, analysis, sweep, calibration, catalog, perf, frontier, server, users, actuals
from llmtco.cli.common import app

# isort: on

actuals.register(app)

__all__ = [
    "actuals",
    "analysis",
    "app",
    "calibration",
    "catalog",
    "compare",
    "frontier",
    "perf",
    "server",
    "sweep",
    "users",
]
