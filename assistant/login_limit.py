"""Login attempts limited per client address and per user name (Gradio's /login has no limit).

:class:`AttemptLimiter` counts failures per key in a sliding window. :func:`login_guard` wraps the
web app's check of a user name and password (refusing a user with too many recent failures), and
:class:`LoginRateLimitMiddleware` refuses a client address with too many, before Gradio reads the
form. Both answer HTTP 429 with a message in Dutch saying when to try again.
"""

from __future__ import annotations

import hmac
import json
import math
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Any

from .prompts import UI


class AttemptLimiter:
    """At most ``max_failures`` failures per key within ``window`` seconds; thread-safe."""

    def __init__(self, max_failures: int, window: float, clock: Callable[[], float] = time.monotonic):
        self.max_failures, self.window, self._clock = max(1, int(max_failures)), float(window), clock
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def wait(self, key: str) -> float:
        """Seconds until ``key`` may try again (0: now)."""
        with self._lock:
            q = self._prune(key)
            if q is None or len(q) < self.max_failures:
                return 0.0
            return max(0.0, q[0] + self.window - self._clock())

    def failed(self, key: str) -> None:
        with self._lock:
            self._failures.setdefault(key, deque()).append(self._clock())
            self._prune(key)

    def succeeded(self, key: str) -> None:
        with self._lock:
            self._failures.pop(key, None)

    def _prune(self, key: str) -> deque[float] | None:
        q = self._failures.get(key)
        if q is None:
            return None
        now = self._clock()
        while q and q[0] + self.window <= now:
            q.popleft()
        if not q:
            del self._failures[key]
            return None
        while len(q) > self.max_failures:
            q.popleft()
        return q


def too_many_message(seconds: float) -> str:
    return UI["login_too_many"].format(minutes=max(1, math.ceil(seconds / 60)))


def login_guard(user: str, password: str, limiter: AttemptLimiter) -> Callable[[str, str], bool]:
    """Gradio's ``auth`` callable: the one user and password, with per-user-name limiting."""

    def check(username: str, given: str) -> bool:
        from fastapi import HTTPException

        key = "user:" + str(username).strip().lower()
        wait = limiter.wait(key)
        if wait > 0:
            raise HTTPException(status_code=429, detail=too_many_message(wait))
        ok = hmac.compare_digest(str(username).encode(), user.encode()) & hmac.compare_digest(
            str(given).encode(), password.encode())
        if ok:
            limiter.succeeded(key)
        else:
            limiter.failed(key)
        return bool(ok)

    return check


class LoginRateLimitMiddleware:
    """ASGI middleware: a client address with too many failed POSTs to ``…/login`` gets 429."""

    def __init__(self, app: Any, limiter: AttemptLimiter):
        self.app, self.limiter = app, limiter

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope.get("type") != "http" or scope.get("method") != "POST" or not scope.get("path", "").endswith("/login"):
            await self.app(scope, receive, send)
            return
        key = "client:" + str((scope.get("client") or ("?",))[0])
        wait = self.limiter.wait(key)
        if wait > 0:
            body = json.dumps({"detail": too_many_message(wait)}, ensure_ascii=False).encode("utf-8")
            await send({"type": "http.response.start", "status": 429,
                        "headers": [(b"content-type", b"application/json; charset=utf-8"),
                                    (b"retry-after", str(math.ceil(wait)).encode())]})
            await send({"type": "http.response.body", "body": body})
            return
        status: list[int] = []

        async def watch(message: dict[str, Any]) -> None:
            if message.get("type") == "http.response.start":
                status.append(int(message.get("status", 0)))
            await send(message)

        await self.app(scope, receive, watch)
        if status and status[0] == 200:
            self.limiter.succeeded(key)
        elif status and status[0] in (400, 401, 403):
            self.limiter.failed(key)
