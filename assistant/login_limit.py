"""Login attempts limited per (client address, user name) and per address (Gradio's /login has
no limit of its own).

:class:`AttemptLimiter` counts failures per key in a sliding window; :class:`LoginLimiter` adds a
delay per (address, user) that doubles with each failure past the limit; :class:`LoginGuard` is the
ASGI middleware that applies it to every login path before Gradio reads the form, answering HTTP
429 with ``Retry-After`` and a message in Dutch saying when to try again.
"""

from __future__ import annotations

import hmac
import logging
import math
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Any

from .prompts import UI

log = logging.getLogger(__name__)


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


def login_guard(user: str, password: str) -> Callable[[str, str], bool]:
    """Gradio's ``auth`` callable: the one user and password (the limits are in :class:`LoginGuard`,
    which knows the client's address)."""

    def check(username: str, given: str) -> bool:
        ok = hmac.compare_digest(str(username).encode(), user.encode()) & hmac.compare_digest(
            str(given).encode(), password.encode())
        return bool(ok)

    return check


class LoginLimiter:
    """Failed logins per (address, user name) with a delay that doubles past ``max_failures``, so
    an attacker's guesses elsewhere never lock the right user out; and a cap per address over all
    names (``address_factor`` times as many: an address may be a whole school behind one router)."""

    BASE_DELAY = 15.0  # seconds after the first failure past the limit; doubles with each further one

    def __init__(self, max_failures: int, window: float, address_factor: int = 10,
                 clock: Callable[[], float] = time.monotonic):
        self.max_failures, self.window, self._clock = max(1, int(max_failures)), float(window), clock
        self.addresses = AttemptLimiter(self.max_failures * max(1, address_factor), window, clock)
        self._pairs: dict[tuple[str, str], list[float]] = {}  # (address, user) -> failure times
        self._lock = threading.Lock()

    def wait(self, address: str, user: str) -> float:
        """Seconds until this address may try this user name again (0: now)."""
        with self._lock:
            times = self._recent((address, user))
            pair = 0.0
            if len(times) >= self.max_failures:
                delay = min(self.window, self.BASE_DELAY * 2 ** (len(times) - self.max_failures))
                pair = max(0.0, times[-1] + delay - self._clock())
        return max(pair, self.addresses.wait(address))

    def failed(self, address: str, user: str) -> None:
        with self._lock:
            self._recent((address, user)).append(self._clock())
        self.addresses.failed(address)

    def succeeded(self, address: str, user: str) -> None:
        with self._lock:
            self._pairs.pop((address, user), None)

    def _recent(self, key: tuple[str, str]) -> list[float]:
        now = self._clock()
        times = [t for t in self._pairs.get(key, ()) if t + self.window > now]
        self._pairs[key] = times
        return times


def _form_user(body: bytes) -> str:
    from urllib.parse import parse_qs

    values = parse_qs(body.decode("utf-8", "replace"), max_num_fields=20).get("username") or [""]
    return values[0].strip().lower()[:200]


class LoginGuard:
    """ASGI middleware on every login path (``/login``, ``/login/``, mounted ones): the client's
    real address (``X-Forwarded-For`` only from a trusted proxy) and user name are limited by
    :class:`LoginLimiter`; a refusal is 429 with ``Retry-After``."""

    def __init__(self, app: Any, limiter: LoginLimiter, trusted_proxies: str = ""):
        self.app, self.limiter, self.trusted = app, limiter, trusted_proxies

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        path = str(scope.get("path", "")).rstrip("/")
        if scope.get("type") != "http" or scope.get("method") != "POST" or not path.endswith("/login"):
            await self.app(scope, receive, send)
            return
        from .web.guard import read_body, refusal, replayed
        from .web.origins import client_address

        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers") or ()}
        address = client_address(str((scope.get("client") or ("?",))[0]), headers.get("x-forwarded-for", ""),
                                 self.trusted)
        body = await read_body(receive)
        user = _form_user(body)
        wait = self.limiter.wait(address, user)
        if wait > 0:
            log.warning("refused POST %s: too many failed logins for %r from %s", path, user, address)
            for m in refusal(429, too_many_message(wait), path,
                             ((b"retry-after", str(max(1, math.ceil(wait))).encode()),)):
                await send(m)
            return
        status: list[int] = []

        async def watch(message: dict[str, Any]) -> None:
            if message.get("type") == "http.response.start":
                status.append(int(message.get("status", 0)))
            await send(message)

        await self.app(scope, replayed(body), watch)
        if status and status[0] == 200:
            self.limiter.succeeded(address, user)
        elif status and status[0] in (400, 401, 403):
            self.limiter.failed(address, user)
