from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from llmtco.web.app import create_app
from llmtco.web.worker import WorkerPool

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = (ROOT / "examples" / "chat-assistant-70b.yaml").read_text()


def _reset_postgres(url: str) -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(
            text(
                "DROP TABLE IF EXISTS api_tokens, login_sessions, users, scenario_versions, scenarios, alembic_version "
                "CASCADE"
            )
        )
    engine.dispose()


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'llmtco.db'}"
    url = os.environ.get("LLMTCO_TEST_POSTGRES_URL")
    if not url:
        if os.environ.get("LLMTCO_REQUIRE_POSTGRES"):
            pytest.fail("LLMTCO_REQUIRE_POSTGRES is set but LLMTCO_TEST_POSTGRES_URL is not")
        pytest.skip("no PostgreSQL server (set LLMTCO_TEST_POSTGRES_URL; .ci/run starts one)")
    _reset_postgres(url)
    return url


@pytest.fixture(scope="session")
def pool() -> Iterator[WorkerPool]:
    """Worker processes shared by the tests' apps (starting them per test would take seconds each)."""
    workers = WorkerPool(workers=2, time_limit_s=60)
    workers.warm_up()
    yield workers
    workers.close()


@pytest.fixture
def client(db_url: str, pool: WorkerPool) -> Iterator[TestClient]:
    with TestClient(create_app(db_url, pool=pool), base_url="http://localhost") as c:
        yield c


def csrf(client: TestClient) -> str:
    client.get("/scenarios")
    token = client.cookies.get("llmtco_csrf")
    assert token
    return token


@pytest.fixture
def live_server(db_url: str, pool: WorkerPool) -> Iterator[str]:
    """The app under uvicorn on a free loopback port, in a thread."""
    yield from serve(create_app(db_url, pool=pool))


def serve(app: Any) -> Iterator[str]:
    """Run ``app`` under uvicorn on a free loopback port in a thread; yields its URL, stops it after."""
    import uvicorn

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("server did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)
