"""ASGI middleware of the web app: request-body limit and security headers on every response."""

from __future__ import annotations

import json
import os
from typing import Any

MAX_BODY_BYTES = 1_000_000
"""Largest request body accepted [bytes], declared (Content-Length) or streamed."""

SECURITY_HEADERS = [
    (
        b"content-security-policy",
        b"default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
        b"img-src 'self' data:; frame-ancestors 'none'",
    ),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
]


class _TooLarge(Exception):
    pass


class BodyLimit:
    """ASGI middleware: 413 for bodies over MAX_BODY_BYTES (declared or streamed); security headers on responses."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared and declared.isdigit() and int(declared) > MAX_BODY_BYTES:
            await _send_413(send)
            return
        received = 0
        started = False

        async def limited() -> dict[str, Any]:
            nonlocal received
            message: dict[str, Any] = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > MAX_BODY_BYTES:
                    raise _TooLarge
            return message

        async def sending(message: dict[str, Any]) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                message["headers"] = [*message.get("headers", []), *SECURITY_HEADERS]
            await send(message)

        try:
            await self.app(scope, limited, sending)
        except _TooLarge:
            if not started:
                await _send_413(send)


async def _send_413(send: Any) -> None:
    body = json.dumps({"detail": f"request body over {MAX_BODY_BYTES} bytes"}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [(b"content-type", b"application/json"), *SECURITY_HEADERS],
        }
    )
    await send({"type": "http.response.body", "body": body})


LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "::1")
"""Host names served when nothing else is configured."""


def host_name(header: str) -> str:
    """The host part of a Host header: ``[::1]:8000`` → ``::1``, ``Example.org:80`` → ``example.org``."""
    header = header.strip().lower()
    if header.startswith("["):
        return header[1:].split("]", 1)[0]
    return header.rsplit(":", 1)[0] if header.count(":") == 1 else header


def allowed_hosts(extra: list[str] | None = None) -> list[str]:
    """Loopback names, plus ``LLMTCO_ALLOWED_HOSTS`` (comma-separated), plus ``extra``.

    An entry ``*.example.org`` allows every subdomain of example.org; ``*`` allows any host (not recommended).
    """
    env = [h.strip().lower() for h in os.environ.get("LLMTCO_ALLOWED_HOSTS", "").split(",") if h.strip()]
    return [*LOOPBACK_HOSTS, *env, *(h.strip().lower() for h in extra or [])]


class TrustedHosts:
    """ASGI middleware: 400 for requests whose Host header is not an allowed host (DNS rebinding, host spoofing)."""

    def __init__(self, app: Any, hosts: list[str]) -> None:
        self.app = app
        self.hosts = hosts

    def allows(self, host: str) -> bool:
        return any(
            pattern == "*" or host == pattern or (pattern.startswith("*.") and host.endswith(pattern[1:]))
            for pattern in self.hosts
        )

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        header = dict(scope.get("headers") or []).get(b"host", b"").decode("latin-1")
        if self.allows(host_name(header)):
            await self.app(scope, receive, send)
            return
        body = json.dumps({"detail": "invalid Host header: this server does not serve that host name"}).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 400,
                "headers": [(b"content-type", b"application/json"), *SECURITY_HEADERS],
            }
        )
        await send({"type": "http.response.body", "body": body})
