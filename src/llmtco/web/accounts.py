"""Accounts: users with argon2id password hashes, login sessions and personal API tokens, in the Store's database.

Why two kinds of hash: a password has little entropy, so it is stored as
argon2id (slow on purpose, about 50 ms) and verified only at login. Session
ids and API tokens are 256-bit random values that nobody can guess, so a plain
SHA-256 of them is enough to keep a copied database from yielding a usable
credential, and looking one up costs microseconds on every request instead of
argon2's 50 ms (which is what broke the latency target when tried).

When the ``users`` table is empty the app runs in single-user mode (see
``llmtco.web.auth``); ``llmtco users add`` creates the first account.
"""

from __future__ import annotations

import builtins
import datetime as dt
import hashlib
import os
import re
import secrets
from dataclasses import dataclass
from enum import StrEnum

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import DateTime, ForeignKey, Integer, String, delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from llmtco.errors import NotFound, UsageError
from llmtco.web.store import Base, Store


class Role(StrEnum):
    """What an account may do; each role may do everything the ones before it may."""

    viewer = "viewer"
    """reads scenarios, versions, the catalog; evaluates"""
    editor = "editor"
    """also saves, renames, deletes, duplicates and restores scenarios"""
    admin = "admin"
    """also manages accounts"""


LEVEL = {Role.viewer: 1, Role.editor: 2, Role.admin: 3}
"""Rank of each role: a route that needs a role admits every role of at least its rank."""

NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$")
MIN_PASSWORD_CHARS = 10
MAX_PASSWORD_CHARS = 1024
TOUCH_EVERY_S = 60.0
"""A session's or token's last-use time is written at most this often [s] (not one write per request)."""

_HASHER = PasswordHasher()  # argon2id, argon2-cffi's RFC 9106 low-memory profile (t=3, m=64 MiB, p=4)
_DUMMY_HASH = _HASHER.hash(secrets.token_urlsafe(16))
"""Verified when the account does not exist, so a wrong name takes as long as a wrong password."""


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def sha256(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def _env_seconds(name: str, default_s: float, unit_s: float) -> float:
    raw = os.environ.get(name, "")
    if not raw:
        return default_s
    try:
        value = float(raw)
    except ValueError:
        raise UsageError(f"{name} must be a number (got {raw!r})") from None
    if value <= 0:
        raise UsageError(f"{name} must be positive (got {raw!r})")
    return value * unit_s


@dataclass(frozen=True)
class SessionLimits:
    """How long a login lasts: ``idle_s`` since the last request, ``absolute_s`` since the login [s]."""

    idle_s: float = 2 * 3600.0
    absolute_s: float = 12 * 3600.0

    @classmethod
    def from_env(cls) -> SessionLimits:
        """``LLMTCO_SESSION_IDLE_MIN`` (default 120) and ``LLMTCO_SESSION_MAX_HOURS`` (default 12)."""
        return cls(
            _env_seconds("LLMTCO_SESSION_IDLE_MIN", cls.idle_s, 60.0),
            _env_seconds("LLMTCO_SESSION_MAX_HOURS", cls.absolute_s, 3600.0),
        )


class UserRow(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=_now)
    disabled_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)


class SessionRow(Base):
    __tablename__ = "login_sessions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    secret_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=_now)
    last_seen_at: Mapped[dt.datetime] = mapped_column(DateTime, default=_now)


class TokenRow(Base):
    __tablename__ = "api_tokens"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    secret_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    label: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=_now)
    last_used_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)


@dataclass(frozen=True)
class User:
    """An account as the app sees it (never its password hash)."""

    id: int
    name: str
    role: Role
    created_at: str
    disabled: bool

    def may(self, role: Role) -> bool:
        return not self.disabled and LEVEL[self.role] >= LEVEL[role]


@dataclass(frozen=True)
class TokenInfo:
    id: int
    label: str
    created_at: str
    last_used_at: str | None
    revoked: bool


def _user(row: UserRow) -> User:
    return User(
        row.id, row.name, Role(row.role), row.created_at.isoformat(timespec="seconds"), row.disabled_at is not None
    )


def _iso(t: dt.datetime | None) -> str | None:
    return t.isoformat(timespec="seconds") if t else None


def check_name(name: str) -> str:
    if not NAME_RE.match(name):
        raise UsageError(
            f"account name {name[:80]!r}: 1 to 64 characters, letters, digits and . _ @ - "
            "(starting with a letter or digit)"
        )
    return name


def check_password(password: str) -> str:
    if not MIN_PASSWORD_CHARS <= len(password) <= MAX_PASSWORD_CHARS:
        raise UsageError(f"password: {MIN_PASSWORD_CHARS} to {MAX_PASSWORD_CHARS} characters")
    return password


def parse_role(role: str) -> Role:
    try:
        return Role(role)
    except ValueError:
        raise UsageError(f"role {role[:40]!r}: allowed roles are {', '.join(r.value for r in Role)}") from None


class Accounts:
    """Users, sessions and tokens, on the same database (and connection pool) as the scenario store."""

    def __init__(self, store: Store, limits: SessionLimits | None = None) -> None:
        self.store = store
        self.limits = limits or SessionLimits.from_env()

    def exist(self) -> bool:
        """Whether any account exists (else the app is in single-user mode)."""
        with self.store.session() as s:
            return s.scalar(select(UserRow.id).limit(1)) is not None

    def add(self, name: str, password: str, role: Role) -> User:
        check_name(name)
        check_password(password)
        try:
            with self.store.session() as s:
                row = UserRow(name=name, password_hash=_HASHER.hash(password), role=role.value)
                s.add(row)
                s.flush()
                return _user(row)
        except IntegrityError:
            raise UsageError(f"account {name!r} exists already") from None

    def list(self) -> builtins.list[User]:
        with self.store.session() as s:
            return [_user(r) for r in s.scalars(select(UserRow).order_by(UserRow.name))]

    def get(self, name: str) -> User:
        with self.store.session() as s:
            row = s.scalars(select(UserRow).where(UserRow.name == name)).first()
            if row is None:
                raise NotFound(f"no account {name[:80]!r}")
            return _user(row)

    def disable(self, name: str) -> User:
        """Disable an account and end its sessions; its tokens stop working (they are checked against it)."""
        with self.store.session() as s:
            row = s.scalars(select(UserRow).where(UserRow.name == name)).first()
            if row is None:
                raise NotFound(f"no account {name[:80]!r}")
            row.disabled_at = row.disabled_at or _now()
            s.execute(delete(SessionRow).where(SessionRow.user_id == row.id))
            s.flush()
            return _user(row)

    def verify(self, name: str, password: str) -> User | None:
        """The account when the password is right and the account enabled; None otherwise, in the same time."""
        with self.store.session() as s:
            row = s.scalars(select(UserRow).where(UserRow.name == name[:64])).first()
            stored = row.password_hash if row is not None else _DUMMY_HASH
            ok: bool
            try:
                ok = _HASHER.verify(stored, password[:MAX_PASSWORD_CHARS])
            except (VerificationError, InvalidHashError):
                ok = False
            if row is None or not ok or row.disabled_at is not None:
                return None
            if _HASHER.check_needs_rehash(row.password_hash):
                row.password_hash = _HASHER.hash(password)
            return _user(row)

    # sessions -------------------------------------------------------------------------------------------------

    def start_session(self, user: User) -> str:
        """A new session id for ``user`` (only its SHA-256 is stored)."""
        secret = secrets.token_urlsafe(32)
        with self.store.session() as s:
            s.add(SessionRow(secret_sha256=sha256(secret), user_id=user.id))
        return secret

    def session_user(self, secret: str) -> User | None:
        """The enabled account of a live session; None when unknown, idle too long or past its absolute limit."""
        now = _now()
        with self.store.session() as s:
            found = s.execute(
                select(SessionRow, UserRow)
                .join(UserRow, UserRow.id == SessionRow.user_id)
                .where(SessionRow.secret_sha256 == sha256(secret))
            ).first()
            if found is None:
                return None
            session, row = found[0], found[1]
            idle_s = (now - session.last_seen_at).total_seconds()
            age_s = (now - session.created_at).total_seconds()
            if idle_s > self.limits.idle_s or age_s > self.limits.absolute_s:
                s.delete(session)
                return None
            if row.disabled_at is not None:
                return None
            if idle_s > TOUCH_EVERY_S:
                session.last_seen_at = now
            return _user(row)

    def end_session(self, secret: str) -> None:
        with self.store.session() as s:
            s.execute(delete(SessionRow).where(SessionRow.secret_sha256 == sha256(secret)))

    # tokens ---------------------------------------------------------------------------------------------------

    def create_token(self, name: str, label: str = "token") -> tuple[TokenInfo, str]:
        """A new API token of account ``name``: its info and its secret (shown once; only its SHA-256 is kept)."""
        user = self.get(name)
        if user.disabled:
            raise UsageError(f"account {name!r} is disabled")
        secret = "llmtco_" + secrets.token_urlsafe(32)
        label = "".join(ch for ch in label if ch.isprintable()).strip()[:100] or "token"
        with self.store.session() as s:
            row = TokenRow(secret_sha256=sha256(secret), user_id=user.id, label=label)
            s.add(row)
            s.flush()
            return TokenInfo(row.id, row.label, _iso(row.created_at) or "", None, False), secret

    def tokens(self, name: str) -> builtins.list[TokenInfo]:
        user = self.get(name)
        with self.store.session() as s:
            rows = s.scalars(select(TokenRow).where(TokenRow.user_id == user.id).order_by(TokenRow.id))
            return [
                TokenInfo(r.id, r.label, _iso(r.created_at) or "", _iso(r.last_used_at), r.revoked_at is not None)
                for r in rows
            ]

    def revoke_token(self, name: str, token_id: int) -> None:
        """Revoke one of account ``name``'s tokens (NotFound for another account's token)."""
        user = self.get(name)
        with self.store.session() as s:
            row = s.get(TokenRow, token_id) if 1 <= token_id < 2**31 else None
            if row is None or row.user_id != user.id:
                raise NotFound(f"account {name!r} has no token {token_id}")
            row.revoked_at = row.revoked_at or _now()

    def token_user(self, secret: str) -> User | None:
        """The enabled account of an unrevoked token; None otherwise."""
        now = _now()
        with self.store.session() as s:
            found = s.execute(
                select(TokenRow, UserRow)
                .join(UserRow, UserRow.id == TokenRow.user_id)
                .where(TokenRow.secret_sha256 == sha256(secret))
            ).first()
            if found is None:
                return None
            token, row = found[0], found[1]
            if token.revoked_at is not None or row.disabled_at is not None:
                return None
            if token.last_used_at is None or (now - token.last_used_at).total_seconds() > TOUCH_EVERY_S:
                token.last_used_at = now
            return _user(row)


__all__ = ["Accounts", "Role", "SessionLimits", "TokenInfo", "User"]
