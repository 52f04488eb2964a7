"""`llmtco users`: passwords from stdin or a prompt, never from argv; `serve` refuses an open bind without accounts."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from llmtco.cli import main
from llmtco.cli.server import is_loopback, refuse_open_bind
from llmtco.errors import UsageError
from llmtco.web.accounts import Accounts, Role
from llmtco.web.store import Store

PASSWORD = "correct horse battery"


@pytest.fixture
def url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'llmtco.db'}"


def _stdin(monkeypatch: pytest.MonkeyPatch, text: str) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(text))


def test_add_reads_the_password_from_stdin(
    url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _stdin(monkeypatch, PASSWORD + "\n")
    assert main(["users", "add", "alice", "--role", "editor", "--password-stdin", "--database-url", url]) == 0
    accounts = Accounts(Store(url))
    assert accounts.verify("alice", PASSWORD) is not None and accounts.get("alice").role is Role.editor
    assert accounts.verify("alice", PASSWORD + "\n") is None  # the newline is not part of it
    capsys.readouterr()
    assert main(["users", "list", "--database-url", url]) == 0
    assert capsys.readouterr().out.startswith("alice\teditor\t")


@pytest.mark.parametrize(
    "argv",
    [
        ["--password", PASSWORD],
        ["--password=" + PASSWORD],
        ["-p", PASSWORD],
        [PASSWORD],  # a second positional argument
    ],
)
def test_a_password_on_the_command_line_is_refused(url: str, argv: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    _stdin(monkeypatch, "")
    assert main(["users", "add", "bob", "--role", "viewer", *argv, "--database-url", url]) == 2
    assert Accounts(Store(url)).list() == []


def test_no_terminal_and_no_stdin_flag_is_a_clear_error(
    url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _stdin(monkeypatch, PASSWORD + "\n")  # not a terminal: no prompt
    assert main(["users", "add", "bob", "--role", "viewer", "--database-url", url]) == 2
    assert "--password-stdin" in capsys.readouterr().err


def test_bad_role_short_password_and_duplicates_are_usage_errors(
    url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _stdin(monkeypatch, PASSWORD + "\n")
    assert main(["users", "add", "bob", "--role", "boss", "--password-stdin", "--database-url", url]) == 2
    assert "allowed roles are viewer, editor, admin" in capsys.readouterr().err
    _stdin(monkeypatch, "short\n")
    assert main(["users", "add", "bob", "--role", "viewer", "--password-stdin", "--database-url", url]) == 2
    assert "10 to 1024 characters" in capsys.readouterr().err
    for expected in (0, 2):
        _stdin(monkeypatch, PASSWORD + "\n")
        assert main(["users", "add", "bob", "--role", "viewer", "--password-stdin", "--database-url", url]) == expected
    assert "exists already" in capsys.readouterr().err


def test_disable_and_token(url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    Accounts(Store(url)).add("carol", PASSWORD, Role.viewer)
    assert main(["users", "token", "carol", "--label", "ci", "--database-url", url]) == 0
    secret = capsys.readouterr().out.strip()
    accounts = Accounts(Store(url))
    assert secret.startswith("llmtco_") and accounts.token_user(secret) is not None
    assert main(["users", "disable", "carol", "--database-url", url]) == 0
    assert accounts.token_user(secret) is None and accounts.verify("carol", PASSWORD) is None
    assert main(["users", "disable", "nobody", "--database-url", url]) == 2


def test_serve_refuses_a_non_loopback_bind_without_accounts(url: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["serve", "--host", "0.0.0.0", "--port", "18650", "--database-url", url]) == 2
    err = capsys.readouterr().err
    assert "refusing to serve on 0.0.0.0" in err and "llmtco users add NAME --role admin" in err
    with pytest.raises(UsageError):
        refuse_open_bind("10.1.2.3", url)
    refuse_open_bind("127.0.0.1", url)  # loopback: single-user mode, as before
    Accounts(Store(url)).add("admin", PASSWORD, Role.admin)
    refuse_open_bind("0.0.0.0", url)  # accounts exist: allowed
    assert is_loopback("::1") and is_loopback("[::1]") and is_loopback("127.0.0.2") and is_loopback("localhost")
    assert not is_loopback("0.0.0.0") and not is_loopback("::") and not is_loopback("tco.example.org")
