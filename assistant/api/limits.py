"""Requests per minute per key (or per client address without keys): a sliding window."""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable


class RateLimiter:
    """At most ``per_window`` requests per identity within ``window`` seconds; thread-safe."""

    def __init__(self, per_window: int, window: float = 60.0, clock: Callable[[], float] = time.monotonic):
        self.per_window, self.window, self._clock = max(1, int(per_window)), float(window), clock
        self._hits: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def hit(self, identity: str) -> int:
        """Count a request; 0 when it may go ahead, else the whole seconds until one may."""
        now = self._clock()
        with self._lock:
            q = self._hits.setdefault(identity, deque())
            while q and q[0] + self.window <= now:
                q.popleft()
            if len(q) >= self.per_window:
                return max(1, math.ceil(q[0] + self.window - now))
            q.append(now)
            if len(self._hits) > 10_000:  # forget idle identities, so memory stays bounded
                for k in [k for k, v in self._hits.items() if not v]:
                    del self._hits[k]
            return 0
