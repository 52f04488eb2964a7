"""llmtco serve | version."""

from __future__ import annotations

from typing import Annotated

import typer

from llmtco.cli.common import (
    CatalogOpt,
    app,
)


@app.command()
def serve(
    host: Annotated[str, typer.Option("--host", help="Address to bind (loopback by default).")] = "127.0.0.1",
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
) -> None:
    """Run the web app: scenario editor with live results, saved versioned scenarios, catalog, REST API."""
    import uvicorn

    from llmtco.web.app import create_app
    from llmtco.web.store import default_url

    url = database_url or default_url()
    typer.echo(f"llmtco web app on http://{host}:{port}  (database: {url.split('@')[-1]})", err=True)
    uvicorn.run(create_app(url, [str(c) for c in catalog or []]), host=host, port=port, log_level="warning")


@app.command()
def version() -> None:
    """Print the llmtco version."""
    from llmtco._version import __version__

    typer.echo(__version__)
