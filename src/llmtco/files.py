"""Atomic file writes and bounded file reads: a failed write leaves the old file intact; a read never blocks."""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path


def write_atomic(path: str | Path, data: bytes) -> None:
    """Write ``data`` to a temporary file beside ``path``, then rename it over ``path``."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent if str(path.parent) else ".", prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


MAX_TEXT_FILE_BYTES = 32 * 1024 * 1024
"""Largest CSV or JSON input file llmtco reads [bytes] (scenarios and overlays: ``yamlio.MAX_YAML_BYTES``)."""


def read_bytes_limited(path: str | Path, max_bytes: int = MAX_TEXT_FILE_BYTES) -> bytes:
    """The bytes of a regular file of at most ``max_bytes`` bytes.

    The file is checked with ``stat`` before it is opened, so a FIFO, a device
    (``/dev/zero``) or a directory is refused without blocking or reading, and
    at most ``max_bytes + 1`` bytes are ever read. Every refusal is an
    ``OSError`` whose message says why (``FileNotFoundError`` for a missing file).
    """
    p = Path(path)
    st = p.stat()  # FileNotFoundError / PermissionError travel as they are
    if not stat.S_ISREG(st.st_mode):
        raise OSError(f"{p} is not a regular file")
    if st.st_size > max_bytes:
        raise OSError(f"{p} is {st.st_size:,} bytes; the limit is {max_bytes:,} bytes")
    with p.open("rb") as fh:
        data = fh.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise OSError(f"{p} is over the limit of {max_bytes:,} bytes")
    return data


def read_text_limited(path: str | Path, max_bytes: int = MAX_TEXT_FILE_BYTES) -> str:
    """UTF-8 text of a regular file of at most ``max_bytes`` bytes (``read_bytes_limited``)."""
    data = read_bytes_limited(path, max_bytes)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise OSError(f"{Path(path)} is not UTF-8 text ({exc.reason} at byte {exc.start})") from None
