"""What every API request shares: the service (opened on first use when none is given, so the API
starts, and says 503, before an index exists), the key check, the rate limiter and the pool answers are worked in."""

from __future__ import annotations

import threading
from typing import Any

import anyio
import anyio.to_thread
from starlette.requests import Request

from ..prompts import API
from ..settings import Settings
from .errors import ApiError
from .keys import KeyCheck, key_hashes
from .limits import RateLimiter


class LazyService:
    """Stands in for the service until there is an index: opened on first use, and again on the next
    request while opening fails (:class:`~assistant.errors.IndexMissingError`: a 503)."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self._service: Any = None
        self._lock = threading.Lock()

    @property
    def ready(self) -> bool:
        return self._service is not None

    def open(self) -> Any:
        with self._lock:
            if self._service is None:
                from ..service import AssistantService

                self._service = AssistantService(self.settings)
        return self._service

    @property
    def engine(self) -> Any:
        return self.open().engine


class ApiState:
    def __init__(self, service: Any, settings: Settings):
        self.settings = settings
        self._service = service if service is not None else LazyService(settings)
        self.keys = KeyCheck(key_hashes(settings))
        self.rate = RateLimiter(settings.api_rate_per_minute, 60.0)
        self._pool: anyio.CapacityLimiter | None = None

    def admit(self, request: Request) -> str:
        """The caller's identity, or 401/403/429 (checked before the body is read)."""
        who = self.keys.identity(request)
        wait = self.rate.hit(who)
        if wait:
            raise ApiError(429, "rate_limit_exceeded",
                           API["rate_limited"].format(n=self.rate.per_window, seconds=wait),
                           headers={"Retry-After": str(wait)})
        return who

    async def run(self, fn: Any, *args: Any) -> Any:
        """``fn(*args)`` in a worker thread (never on the event loop), at most ``concurrency_limit`` at once."""
        if self._pool is None:
            self._pool = anyio.CapacityLimiter(max(1, self.settings.concurrency_limit))
        return await anyio.to_thread.run_sync(fn, *args, limiter=self._pool)

    async def engine(self) -> Any:
        svc = self._service
        if isinstance(svc, LazyService) and not svc.ready:
            await anyio.to_thread.run_sync(svc.open)  # loading takes seconds: not on the event loop
        return svc.engine
