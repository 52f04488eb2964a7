"""Command-line interface. The only place (with web/) that maps errors to exit codes."""

from __future__ import annotations

import sys
from functools import cache
from typing import Any

import typer

from llmtco.cli.app import app
from llmtco.errors import GateFailed, LlmtcoError
from llmtco.report.text import escape_controls


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; return the exit code (0 ok, 1 bug, 2 bad input, 3 gate failed).

    Typer handles its own usage errors (exit 2); llmtco's errors are printed as
    one message on stderr with their exit code, never as a traceback.
    """
    try:
        _command().main(args=argv, prog_name="llmtco")
    except SystemExit as exc:
        code = exc.code
        return code if isinstance(code, int) else (0 if code is None else 1)
    except GateFailed as exc:
        _say(f"llmtco: gate failed: {exc}")
        return exc.exit_code
    except LlmtcoError as exc:
        _say(f"llmtco: error: {exc}")
        return exc.exit_code
    except BrokenPipeError:
        return 0
    return 0


def _say(message: str) -> None:
    """One error on stderr: control characters escaped, each line ending with a newline."""
    lines = message.rstrip().split("\n")
    sys.stderr.write("".join(escape_controls(line.rstrip()) + "\n" for line in lines))
    sys.stderr.flush()


@cache
def _command() -> Any:  # typer's vendored click.Command
    """The click command tree, built from the typer app once per process (building it costs ~0.1 s)."""
    return typer.main.get_command(app)


def entry() -> None:
    sys.exit(main())


__all__ = ["app", "entry", "main"]
