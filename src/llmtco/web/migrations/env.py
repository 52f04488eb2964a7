"""Alembic environment: runs migrations against the URL the Store passes in."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from llmtco.web.store import Base

config = context.config
target_metadata = Base.metadata


def run_migrations_online() -> None:
    url = config.get_main_option("sqlalchemy.url")
    assert url is not None
    engine = create_engine(url)
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=target_metadata)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


run_migrations_online()
