"""Safe text for terminals: user strings (option names, notes) reach the screen without control
characters, so a scenario cannot set a terminal title or move the cursor (OSC/CSI sequences)."""

from __future__ import annotations

import re

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def plain(text: object) -> str:
    """``text`` as a string with every C0/C1 control character (except tab and newline) replaced by '?'."""
    return _CONTROL.sub("?", str(text))
