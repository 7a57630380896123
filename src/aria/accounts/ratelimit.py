"""Per-credential API rate limiting: a fixed one-minute window per token or session.

In process by default; shared through Redis when the queue is on Redis (many `aria serve`
processes behind a load balancer must count together).
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

WINDOW_SECONDS = 60


@dataclass(frozen=True)
class Decision:
    allowed: bool
    remaining: int
    retry_after: int  # seconds until the window resets (0 when allowed)


class ApiRateLimiter(Protocol):
    def hit(self, key: str) -> Decision: ...


class MemoryRateLimiter:
    """Counts per key per window in this process."""

    def __init__(self, limit: int, clock: Callable[[], float] = time.time) -> None:
        self.limit = limit
        self.clock = clock
        self._lock = threading.Lock()
        self._windows: dict[str, tuple[int, int]] = {}

    def hit(self, key: str) -> Decision:
        now = self.clock()
        window = int(now // WINDOW_SECONDS)
        with self._lock:
            start, count = self._windows.get(key, (window, 0))
            if start != window:
                start, count = window, 0
            count += 1
            self._windows[key] = (start, count)
            if len(self._windows) > 100_000:  # forget finished windows, bound memory
                self._windows = {k: v for k, v in self._windows.items() if v[0] == window}
        return _decide(self.limit, count, now, window)


class RedisRateLimiter:
    """The same window, counted in Redis with INCR + EXPIRE (atomic in a pipeline)."""

    def __init__(self, url: str, limit: int, clock: Callable[[], float] = time.time) -> None:
        import redis

        self.client = redis.Redis.from_url(url)
        self.limit = limit
        self.clock = clock

    def hit(self, key: str) -> Decision:
        now = self.clock()
        window = int(now // WINDOW_SECONDS)
        redis_key = f"aria:ratelimit:{key}:{window}"
        pipe = self.client.pipeline()
        pipe.incr(redis_key)
        pipe.expire(redis_key, WINDOW_SECONDS * 2)
        count, _ = pipe.execute()
        return _decide(self.limit, int(count), now, window)


def _decide(limit: int, count: int, now: float, window: int) -> Decision:
    if count <= limit:
        return Decision(True, limit - count, 0)
    reset = (window + 1) * WINDOW_SECONDS
    return Decision(False, 0, max(1, math.ceil(reset - now)))


def build(queue_url: str, limit: int) -> ApiRateLimiter:
    if queue_url.startswith(("redis://", "rediss://")):
        return RedisRateLimiter(queue_url, limit)
    return MemoryRateLimiter(limit)
