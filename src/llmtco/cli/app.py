"""The typer application: ``llmtco`` and its command groups, one module each.

    compare.py      breakdown, report, diff, validate, schema, init
    catalog.py      catalog list | show | import-model
    perf.py         perf decode | prefill | train
    frontier.py     perf frontier | moe-check
    calibration.py  accuracy, calibrate, measure
    analysis.py     simulate, sensitivity, optimize
    server.py       serve, version
    common.py       the typer apps, option types, output helpers

Importing a command module registers its commands on ``common.app``.
"""

from __future__ import annotations

# the order the command modules are imported is the order `llmtco --help` lists their commands
# isort: off
from llmtco.cli import compare, analysis, calibration, catalog, perf, frontier, server
from llmtco.cli.common import app

# isort: on

__all__ = ["analysis", "app", "calibration", "catalog", "compare", "frontier", "perf", "server"]
