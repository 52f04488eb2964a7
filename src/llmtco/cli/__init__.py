"""Command-line interface. The only place (with web/) that maps errors to exit codes."""

from __future__ import annotations

import sys

import typer

from llmtco.cli import sweep as _sweep  # noqa: F401  (registers `llmtco sweep` on the app)
from llmtco.cli.app import app
from llmtco.errors import GateFailed, LlmtcoError


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; return the exit code (0 ok, 1 bug, 2 bad input, 3 gate failed).

    Typer handles its own usage errors (exit 2); llmtco's errors are printed as
    one message on stderr with their exit code, never as a traceback.
    """
    try:
        app(args=argv, prog_name="llmtco")
    except SystemExit as exc:
        code = exc.code
        return code if isinstance(code, int) else (0 if code is None else 1)
    except GateFailed as exc:
        typer.echo(f"llmtco: gate failed: {exc}", err=True)
        return exc.exit_code
    except LlmtcoError as exc:
        typer.echo(f"llmtco: error: {exc}", err=True)
        return exc.exit_code
    except BrokenPipeError:
        return 0
    return 0


def entry() -> None:
    sys.exit(main())


__all__ = ["app", "entry", "main"]
