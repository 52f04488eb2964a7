"""llmtco users add | list | disable | token: the web app's accounts, in the same database ``llmtco serve`` uses.

A password is read from an interactive prompt (typed twice, not echoed) or
from the first line of stdin with ``--password-stdin``; there is no option
that takes it on the command line, where it would land in shell history and
in every user's ``ps`` listing.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated

import typer

from llmtco.cli.common import users_app
from llmtco.errors import UsageError

if TYPE_CHECKING:
    from llmtco.web.accounts import Accounts

DatabaseOpt = Annotated[
    str | None,
    typer.Option(
        "--database-url",
        envvar="LLMTCO_DATABASE_URL",
        help="SQLAlchemy URL; default SQLite under the user data directory (as llmtco serve).",
    ),
]


def _accounts(database_url: str | None) -> Accounts:
    """The accounts on that database (the web stack is imported only when a users command runs)."""
    from llmtco.web.accounts import Accounts
    from llmtco.web.store import Store, default_url

    return Accounts(Store(database_url or default_url()))


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        line = sys.stdin.readline()
        password = line[:-1] if line.endswith("\n") else line
        if not password:
            raise UsageError("--password-stdin: stdin gave no password (one line expected)")
        return password.removesuffix("\r")
    if not sys.stdin.isatty():
        raise UsageError("no terminal to prompt for the password: pipe it in with --password-stdin")
    typed: str = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    return typed


@users_app.command("add")
def users_add(
    name: Annotated[str, typer.Argument(help="Account name: letters, digits and . _ @ - (at most 64).")],
    role: Annotated[
        str, typer.Option("--role", help="viewer (reads), editor (also saves), admin (also manages accounts).")
    ],
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from the first line of stdin.")
    ] = False,
    database_url: DatabaseOpt = None,
) -> None:
    """Add an account (the password is prompted for, or read from stdin; never taken from the command line)."""
    from llmtco.web.accounts import check_name, check_password, parse_role

    parsed = parse_role(role)
    check_name(name)
    password = check_password(_read_password(password_stdin))
    user = _accounts(database_url).add(name, password, parsed)
    typer.echo(f"added {user.name} ({user.role.value})", err=True)


@users_app.command("list")
def users_list(database_url: DatabaseOpt = None) -> None:
    """List the accounts: name, role, created, state."""
    for u in _accounts(database_url).list():
        typer.echo(f"{u.name}\t{u.role.value}\t{u.created_at}\t{'disabled' if u.disabled else 'active'}")


@users_app.command("disable")
def users_disable(name: Annotated[str, typer.Argument(help="Account name.")], database_url: DatabaseOpt = None) -> None:
    """Disable an account: its sessions end and its API tokens stop working."""
    user = _accounts(database_url).disable(name)
    typer.echo(f"disabled {user.name}", err=True)


@users_app.command("token")
def users_token(
    name: Annotated[str, typer.Argument(help="Account name.")],
    label: Annotated[str, typer.Option("--label", help="What the token is for (shown on the account page).")] = "cli",
    revoke: Annotated[int | None, typer.Option("--revoke", help="Revoke the token with this id instead.")] = None,
    database_url: DatabaseOpt = None,
) -> None:
    """Create a personal API token for /api/v1 and print it once on stdout (only its SHA-256 is stored)."""
    accounts = _accounts(database_url)
    if revoke is not None:
        accounts.revoke_token(name, revoke)
        typer.echo(f"revoked token {revoke} of {name}", err=True)
        return
    info, secret = accounts.create_token(name, label)
    typer.echo(f"token {info.id} ({info.label}) for {name}; send it as Authorization: Bearer <token>", err=True)
    typer.echo(secret)
