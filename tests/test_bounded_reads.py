"""File inputs added by this release read only regular files of bounded size: a config.json given as a FIFO
is refused without blocking, and a gzip bomb passed as a telemetry export stops at the limit."""

from __future__ import annotations

import gzip
import os
from pathlib import Path

import pytest

from llmtco.analysis.actuals import sources
from llmtco.catalog.model_import import read_config
from llmtco.errors import ActualsError, CatalogError


def test_a_fifo_config_is_refused_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "config.json"
    os.mkfifo(fifo)
    with pytest.raises(CatalogError, match="not a regular file"):
        read_config(fifo)


def test_a_gzip_bomb_export_is_refused_at_the_limit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sources, "MAX_EXPORT_BYTES", 1_000_000)
    bomb = tmp_path / "export.json.gz"
    bomb.write_bytes(gzip.compress(b" " * 50_000_000))  # 50 MB of whitespace in ~50 kB
    with pytest.raises(ActualsError, match="decompresses to more than"):
        sources.ExportSource(bomb)
