"""llmtco serve | version."""

from __future__ import annotations

from typing import Annotated

import typer

from llmtco.cli.common import (
    CatalogOpt,
    app,
)
from llmtco.errors import UsageError


@app.command()
def serve(
    host: Annotated[
        str,
        typer.Option(
            "--host", help="Address to bind (loopback by default; another address needs accounts: llmtco users add)."
        ),
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=1, max=65535)] = 8000,
    database_url: Annotated[
        str | None,
        typer.Option(
            "--database-url",
            envvar="LLMTCO_DATABASE_URL",
            help="SQLAlchemy URL; default SQLite under the user data directory.",
        ),
    ] = None,
    catalog: CatalogOpt = None,
    allowed_host: Annotated[
        list[str] | None,
        typer.Option(
            "--allowed-host",
            help="Host name the app answers to besides loopback (repeatable; also LLMTCO_ALLOWED_HOSTS). "
            "The --host address is added when it is a specific one.",
        ),
    ] = None,
) -> None:
    """Run the web app: scenario editor with live results, saved versioned scenarios, catalog, REST API."""
    import uvicorn

    from llmtco.web.app import create_app
    from llmtco.web.store import default_url

    url = database_url or default_url()
    refuse_open_bind(host, url)
    typer.echo(f"llmtco web app on http://{host}:{port}  (database: {url.split('@')[-1]})", err=True)
    app = create_app(url, [str(c) for c in catalog or []], hosts=served_hosts(host, allowed_host or []))
    uvicorn.run(app, host=host, port=port, log_level="warning")


LOOPBACK_BINDS = ("127.0.0.1", "localhost", "::1", "[::1]")


def is_loopback(host: str) -> bool:
    """Whether binding ``host`` keeps the server reachable from this machine only."""
    import ipaddress

    if host.lower() in LOOPBACK_BINDS:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def refuse_open_bind(host: str, url: str) -> None:
    """UsageError (exit 2) for a non-loopback bind while no account exists: everyone there would be an admin."""
    if is_loopback(host):
        return
    from llmtco.web.accounts import Accounts
    from llmtco.web.store import Store

    store = Store(url)
    try:
        configured = Accounts(store).exist()
    finally:
        store.engine.dispose()
    if not configured:
        raise UsageError(
            f"refusing to serve on {host}: no accounts exist, so anyone who can reach it could read and change "
            "every scenario. Add one first with `llmtco users add NAME --role admin` (same --database-url), "
            "or serve on 127.0.0.1."
        )


def served_hosts(bind: str, extra: list[str]) -> list[str]:
    """Host names the app answers to besides loopback: ``--allowed-host`` values, plus the bound address
    when it is a specific one (a wildcard bind such as 0.0.0.0 names no host)."""
    hosts = [h.strip() for h in extra if h.strip()]
    if bind not in ("0.0.0.0", "::", "", "*"):
        hosts.append(bind.strip("[]"))
    return hosts


@app.command()
def version() -> None:
    """Print the llmtco version."""
    from llmtco._version import __version__

    typer.echo(__version__)
