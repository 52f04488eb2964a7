"""Text that is safe to print: control characters from scenario strings never reach a terminal.

A scenario name, an option name or a note may carry an escape sequence (an
OSC title change, a cursor move, a bidirectional override). The table,
Markdown and CSV renderers print ``escaped(result)``, a copy of the result
whose every string has such characters written as visible escapes (``\\x1b``,
``\\u202e``). JSON escapes them itself; HTML escapes markup through jinja2.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Any, TypeVar

T = TypeVar("T")

CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
"""C0 and C1 controls (newline and tab included), DEL, and the Unicode bidirectional and line-separator marks."""


def escape_controls(text: str) -> str:
    """``text`` with every character of ``CONTROL`` written as a visible Python-style escape."""
    return CONTROL.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)


def escaped(value: T) -> T:
    """A copy of a result (dataclasses, lists, dicts, strings) with every string passed through ``escape_controls``."""
    out: Any
    if isinstance(value, str):
        out = escape_controls(value)
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        out = dataclasses.replace(value, **{f.name: escaped(getattr(value, f.name)) for f in dataclasses.fields(value)})
    elif isinstance(value, list):
        out = [escaped(v) for v in value]
    elif isinstance(value, tuple):
        out = tuple(escaped(v) for v in value)
    elif isinstance(value, dict):
        out = {escaped(k): escaped(v) for k, v in value.items()}
    else:
        out = value
    return out  # type: ignore[no-any-return]
