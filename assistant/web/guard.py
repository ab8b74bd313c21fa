"""One ASGI middleware in front of every route (the web app's and the API's): requests for a host
that is not ours or from another site's page are refused, bodies are limited per route before
anything parses them, and every response carries the framing and security headers.

Refusals are one log line each (route and reason), never a traceback, and never echo the body.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from ..prompts import UI
from .origins import SitePolicy

log = logging.getLogger("assistant.web.guard")

Scope = dict[str, Any]
Message = dict[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
SECURITY_HEADERS = (
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
)
_FRAME_ANCESTORS = b"frame-ancestors 'none'"
_CORS = {b"access-control-allow-origin", b"access-control-allow-credentials"}
_SAMESITE = re.compile(rb";\s*samesite=[a-z]+", re.I)


@dataclass(frozen=True)
class BodyLimits:
    """Bytes a request body may have: the first matching path prefix's limit, else ``default``."""

    default: int
    rules: tuple[tuple[str, int], ...] = ()

    def for_path(self, path: str) -> int:
        for prefix, limit in self.rules:
            if path.startswith(prefix):
                return limit
        return self.default


def refusal(status: int, message: str, path: str, headers: tuple[tuple[bytes, bytes], ...] = ()
            ) -> tuple[Message, Message]:
    """The two ASGI messages of a refusal: OpenAI's error shape under /v1, FastAPI's elsewhere."""
    if path.startswith("/v1"):
        kind = "invalid_request_error" if status < 500 else "server_error"
        payload: dict[str, Any] = {"error": {"message": message, "type": kind, "code": status}}
    else:
        payload = {"detail": message}
    body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    start = {"type": "http.response.start", "status": status,
             "headers": [(b"content-type", b"application/json; charset=utf-8"),
                         (b"content-length", str(len(body)).encode()), *SECURITY_HEADERS,
                         (b"content-security-policy", _FRAME_ANCESTORS), *headers]}
    return start, {"type": "http.response.body", "body": body}


async def read_body(receive: Receive) -> bytes:
    """The whole request body (the guard in front has bounded it)."""
    body, more = b"", True
    while more:
        message = await receive()
        body += message.get("body", b"")
        more = message["type"] == "http.request" and message.get("more_body", False)
    return body


def replayed(body: bytes) -> Receive:
    """A ``receive`` that hands the app ``body`` once, as if it had just arrived."""
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return receive


class SiteGuard:
    """Host, origin and body checks in front of ``app``; security headers on everything it sends."""

    def __init__(self, app: Any, policy: SitePolicy, limits: BodyLimits):
        self.app, self.policy, self.limits = app, policy, limits

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers") or ()}
        problem = self._check(scope, headers)
        if problem:
            status, message = problem
            log.warning("refused %s %s: %s", scope.get("method", "WS"), scope.get("path", ""), message)
            if scope["type"] == "websocket":
                await send({"type": "websocket.close", "code": 1008})
                return
            for m in refusal(status, message, scope.get("path", "")):
                await send(m)
            return
        try:
            if scope["type"] == "websocket":
                await self.app(scope, receive, send)
                return
            await self._guarded(scope, receive, send, self.limits.for_path(scope.get("path", "")))
        except asyncio.CancelledError:
            # the server stops while a stream (Gradio's event stream) is open: nothing went wrong
            log.info("%s %s ended by the server's shutdown", scope.get("method", "WS"), scope.get("path", ""))

    def _check(self, scope: Scope, headers: dict[str, str]) -> tuple[int, str] | None:
        if not self.policy.host_allowed(headers.get("host", "")):
            return 421, UI["request_unknown_host"]
        origin = headers.get("origin")
        if origin is not None:
            if not self.policy.origin_allowed(origin):
                return 403, UI["request_foreign_origin"]
        elif scope.get("method") not in SAFE_METHODS and headers.get("referer") \
                and not self.policy.origin_allowed(headers["referer"]):
            return 403, UI["request_foreign_origin"]
        length = headers.get("content-length", "")
        limit = self.limits.for_path(scope.get("path", ""))
        if length.isdigit() and int(length) > limit:
            return 413, UI["request_too_large"].format(kb=max(1, limit // 1024))
        return None

    async def _guarded(self, scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        received = 0
        refused = False
        started = False

        async def counted() -> Message:
            nonlocal received, refused
            if refused:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:  # a body without Content-Length that grows past the limit
                    refused = True
                    log.warning("refused %s %s: body over %d bytes", scope.get("method"), scope.get("path"), limit)
                    if not started:
                        for m in refusal(413, UI["request_too_large"].format(kb=max(1, limit // 1024)),
                                         scope.get("path", "")):
                            await send(m)
                    return {"type": "http.disconnect"}
            return message

        async def headed(message: Message) -> None:
            nonlocal started
            if refused:
                return  # the 413 was sent; what the app answers to a cut body goes nowhere
            if message["type"] == "http.response.start":
                started = True
                message = {**message, "headers": self._headers(list(message.get("headers") or []))}
            await send(message)

        await self.app(scope, counted, headed)

    def _headers(self, headers: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
        """Our security headers; no CORS grant to a foreign origin; cookies SameSite=Lax."""
        out: list[tuple[bytes, bytes]] = []
        for name, value in headers:
            key = name.lower()
            if key == b"access-control-allow-origin" and not self.policy.origin_allowed(value.decode("latin-1")):
                continue
            if key == b"access-control-allow-credentials":
                continue
            if key in (b"x-frame-options", b"content-security-policy", b"x-content-type-options", b"referrer-policy"):
                continue
            if key == b"set-cookie":
                value = self._cookie(value)
            out.append((name, value))
        out.extend(SECURITY_HEADERS)
        out.append((b"content-security-policy", _FRAME_ANCESTORS))
        return out

    def _cookie(self, value: bytes) -> bytes:
        value = _SAMESITE.sub(b"", value) + b"; SameSite=Lax"
        if self.policy.https and b"secure" not in value.lower():
            value += b"; Secure"
        return value
