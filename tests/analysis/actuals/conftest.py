"""Fixtures: a real Prometheus backfilled with the generated history (once per session), example paths."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.analysis.actuals import promserver
from tests.conftest import ROOT

EXAMPLE = ROOT / "examples" / "actuals"


@pytest.fixture(scope="session")
def prom_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if not promserver.installed():
        if os.environ.get("LLMTCO_REQUIRE_PROMETHEUS"):
            pytest.fail("prometheus and promtool are required (LLMTCO_REQUIRE_PROMETHEUS is set) but not installed")
        pytest.skip("prometheus/promtool not installed (Debian: apt-get install prometheus)")
    with promserver.prometheus(tmp_path_factory.mktemp("prometheus")) as url:
        yield url


@pytest.fixture
def example() -> Path:
    return EXAMPLE
