"""Saved scenarios with version history, in SQLite (default) or PostgreSQL, through SQLAlchemy 2.

A scenario is a name plus an append-only list of versions; each version is a
validated YAML document with its content hash. Saving appends a version in one
transaction; two concurrent saves get different version numbers (a unique
constraint and a retry), so no save overwrites another and the previous
version is never lost. Deleting is soft (``deleted_at``), so it can be undone.
The schema is created and upgraded by Alembic migrations. Each version
records its author (the account that saved it); the accounts themselves are
in ``llmtco.web.accounts``.
"""

from __future__ import annotations

import builtins
import datetime as dt
import hashlib
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import (
    DateTime,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    create_engine,
    func,
    select,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker

from llmtco.errors import LlmtcoError, NotFound


class Base(DeclarativeBase):
    pass


MAX_ID = 2**31 - 1
"""Largest scenario id or version number (an INTEGER column on SQLite and PostgreSQL alike)."""


def _known(scenario_id: int, number: int | None = None) -> None:
    """NotFound for ids no row can have (a 30-digit id would overflow the database driver)."""
    if not 1 <= scenario_id <= MAX_ID:
        raise NotFound(f"scenario {scenario_id} not found")
    if number is not None and not 1 <= number <= MAX_ID:
        raise NotFound(f"scenario {scenario_id} has no version {number}")


def clean_name(name: str) -> str:
    """A scenario name without control characters (PostgreSQL refuses NUL; terminals obey escapes), ≤ 200 chars."""
    return "".join(ch if ch.isprintable() else " " for ch in name).strip()[:200]


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


class ScenarioRow(Base):
    __tablename__ = "scenarios"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=_now)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=_now)
    deleted_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)


class VersionRow(Base):
    __tablename__ = "scenario_versions"
    __table_args__ = (UniqueConstraint("scenario_id", "number", name="uq_scenario_version"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    scenario_id: Mapped[int] = mapped_column(ForeignKey("scenarios.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    document: Mapped[str] = mapped_column(Text)
    content_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=_now)
    author: Mapped[str | None] = mapped_column(String(64), nullable=True)
    """Name of the account that saved it; None in single-user mode (no accounts) and before accounts existed."""


@dataclass(frozen=True)
class ScenarioInfo:
    id: int
    name: str
    created_at: str
    updated_at: str
    versions: int
    latest_hash: str
    deleted: bool


@dataclass(frozen=True)
class Version:
    scenario_id: int
    number: int
    document: str
    content_hash: str
    created_at: str
    author: str | None = None
    """Account that saved this version (None: single-user mode)."""


def default_url() -> str:
    """LLMTCO_DATABASE_URL, else a SQLite file under the user data directory."""
    url = os.environ.get("LLMTCO_DATABASE_URL")
    if url:
        return url
    base = Path(os.environ.get("XDG_DATA_HOME", Path.home() / ".local" / "share")) / "llmtco"
    base.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{base / 'llmtco.db'}"


def migrate(url: str) -> None:
    """Create or upgrade the schema to the latest Alembic revision."""
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    command.upgrade(cfg, "head")


class Store:
    def __init__(self, url: str | None = None, run_migrations: bool = True) -> None:
        self.url = url or default_url()
        if self.url.startswith("postgresql://"):
            self.url = "postgresql+psycopg://" + self.url.removeprefix("postgresql://")
        if run_migrations:
            migrate(self.url)
        kwargs: dict[str, object] = {"pool_pre_ping": True}
        if self.url.startswith("sqlite"):
            kwargs["connect_args"] = {"check_same_thread": False, "timeout": 30}
        else:
            kwargs["pool_size"] = 10
            kwargs["max_overflow"] = 40
        self.engine = create_engine(self.url, **kwargs)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)

    @contextmanager
    def session(self) -> Iterator[Session]:
        with self.sessions() as s, s.begin():
            yield s

    def _info(self, s: Session, row: ScenarioRow) -> ScenarioInfo:
        latest = s.scalars(
            select(VersionRow).where(VersionRow.scenario_id == row.id).order_by(VersionRow.number.desc()).limit(1)
        ).first()
        count = s.scalar(select(func.count()).select_from(VersionRow).where(VersionRow.scenario_id == row.id)) or 0
        return ScenarioInfo(
            row.id,
            row.name,
            row.created_at.isoformat(timespec="seconds"),
            row.updated_at.isoformat(timespec="seconds"),
            int(count),
            latest.content_hash if latest else "",
            row.deleted_at is not None,
        )

    def list(self, include_deleted: bool = False) -> builtins.list[ScenarioInfo]:
        with self.session() as s:
            q = select(ScenarioRow).order_by(ScenarioRow.updated_at.desc(), ScenarioRow.id.desc())
            if not include_deleted:
                q = q.where(ScenarioRow.deleted_at.is_(None))
            return [self._info(s, r) for r in s.scalars(q)]

    def get(self, scenario_id: int, include_deleted: bool = False) -> ScenarioInfo:
        _known(scenario_id)
        with self.session() as s:
            row = s.get(ScenarioRow, scenario_id)
            if row is None or (row.deleted_at is not None and not include_deleted):
                raise NotFound(f"scenario {scenario_id} not found")
            return self._info(s, row)

    def create(self, name: str, document: str, author: str | None = None) -> Version:
        with self.session() as s:
            row = ScenarioRow(name=clean_name(name) or "scenario")
            s.add(row)
            s.flush()
            v = VersionRow(scenario_id=row.id, number=1, document=document, content_hash=_hash(document), author=author)
            s.add(v)
            s.flush()
            return _version(v)

    def save(self, scenario_id: int, document: str, attempts: int = 20, author: str | None = None) -> Version:
        """Append a new version (an unchanged document returns the latest version)."""
        _known(scenario_id)
        for _ in range(attempts):
            try:
                with self.session() as s:
                    row = s.get(ScenarioRow, scenario_id)
                    if row is None or row.deleted_at is not None:
                        raise NotFound(f"scenario {scenario_id} not found")
                    latest = s.scalars(
                        select(VersionRow)
                        .where(VersionRow.scenario_id == scenario_id)
                        .order_by(VersionRow.number.desc())
                        .limit(1)
                    ).first()
                    if latest is not None and latest.content_hash == _hash(document):
                        return _version(latest)
                    number = (latest.number if latest else 0) + 1
                    v = VersionRow(
                        scenario_id=scenario_id,
                        number=number,
                        document=document,
                        content_hash=_hash(document),
                        author=author,
                    )
                    s.add(v)
                    row.updated_at = _now()
                    s.flush()
                    return _version(v)
            except IntegrityError:
                continue  # another save took this number: read again and take the next
        raise LlmtcoError("could not save: too many concurrent saves, try again")

    def versions(self, scenario_id: int) -> builtins.list[Version]:
        self.get(scenario_id)
        with self.session() as s:
            rows = s.scalars(
                select(VersionRow).where(VersionRow.scenario_id == scenario_id).order_by(VersionRow.number)
            )
            return [_version(v) for v in rows]

    def version(self, scenario_id: int, number: int | None = None) -> Version:
        _known(scenario_id, number)
        self.get(scenario_id)
        with self.session() as s:
            q = select(VersionRow).where(VersionRow.scenario_id == scenario_id)
            q = q.where(VersionRow.number == number) if number else q.order_by(VersionRow.number.desc()).limit(1)
            v = s.scalars(q).first()
            if v is None:
                raise NotFound(f"scenario {scenario_id} has no version {number}")
            return _version(v)

    def rename(self, scenario_id: int, name: str) -> ScenarioInfo:
        _known(scenario_id)
        with self.session() as s:
            row = s.get(ScenarioRow, scenario_id)
            if row is None or row.deleted_at is not None:
                raise NotFound(f"scenario {scenario_id} not found")
            row.name = clean_name(name) or row.name
            row.updated_at = _now()
        return self.get(scenario_id)

    def duplicate(self, scenario_id: int, name: str | None = None, author: str | None = None) -> Version:
        info = self.get(scenario_id)
        return self.create(name or f"{info.name} (copy)", self.version(scenario_id).document, author)

    def delete(self, scenario_id: int) -> None:
        _known(scenario_id)
        with self.session() as s:
            row = s.get(ScenarioRow, scenario_id)
            if row is None or row.deleted_at is not None:
                raise NotFound(f"scenario {scenario_id} not found")
            row.deleted_at = _now()

    def restore(self, scenario_id: int) -> ScenarioInfo:
        _known(scenario_id)
        with self.session() as s:
            row = s.get(ScenarioRow, scenario_id)
            if row is None:
                raise NotFound(f"scenario {scenario_id} not found")
            row.deleted_at = None
        return self.get(scenario_id)


def _hash(document: str) -> str:
    return hashlib.sha256(document.encode("utf-8")).hexdigest()


def _version(v: VersionRow) -> Version:
    return Version(
        v.scenario_id, v.number, v.document, v.content_hash, v.created_at.isoformat(timespec="seconds"), v.author
    )
