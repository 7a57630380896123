"""Client-side rate limiting per installation, from the integration's declared API limits.

Staying under the vendor's quota is cheaper than bouncing off 429s. :class:`TokenBucketLimiter`
works in one process; a Redis-backed limiter shared by many workers implements the same
:class:`Limiter` protocol.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import anyio
from pydantic import BaseModel, ConfigDict, PositiveFloat, PositiveInt

Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]

_WINDOWS = (("per_second", 1.0), ("per_minute", 60.0), ("per_hour", 3600.0), ("per_day", 86400.0))


class RateLimits(BaseModel):
    """A vendor's documented API limits; ``burst`` caps how many calls may go back to back."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    per_second: PositiveFloat | None = None
    per_minute: PositiveInt | None = None
    per_hour: PositiveInt | None = None
    per_day: PositiveInt | None = None
    burst: PositiveInt | None = None

    def is_unlimited(self) -> bool:
        """True when no window is declared."""
        return all(getattr(self, name) is None for name, _ in _WINDOWS)


@runtime_checkable
class Limiter(Protocol):
    """Anything that can make a caller wait for permission to send ``cost`` requests."""

    async def acquire(self, cost: int = 1) -> None:
        """Return once ``cost`` requests may be sent."""
        ...


_MIN_WAIT = 0.001


@dataclass
class _Bucket:
    rate: float  # tokens per second
    capacity: float
    tokens: float
    updated: float

    def refill(self, now: float) -> None:
        elapsed = max(0.0, now - self.updated)
        self.tokens = min(self.capacity, self.tokens + elapsed * self.rate)
        self.updated = now

    def wait_for(self, cost: float) -> float:
        missing = cost - self.tokens
        return 0.0 if missing <= 0 else missing / self.rate


class TokenBucketLimiter:
    """One token bucket per declared window; a request needs a token from every bucket.

    Each bucket holds its window's full quota and refills continuously; ``burst`` caps the
    finest window's bucket, so a per-minute limit of 600 with burst 10 allows ten calls at once,
    then one every 100 ms. ``clock`` and ``sleep`` are injectable so tests run instantly.
    """

    def __init__(
        self, limits: RateLimits, *, clock: Clock = time.monotonic, sleep: Sleep = anyio.sleep
    ) -> None:
        self.limits = limits
        self._clock = clock
        self._sleep = sleep
        self._lock = anyio.Lock()
        now = clock()
        self._buckets: list[_Bucket] = []
        for name, seconds in _WINDOWS:
            limit = getattr(limits, name)
            if limit is None:
                continue
            capacity = float(limit)
            if not self._buckets and limits.burst is not None:
                capacity = min(capacity, float(limits.burst))
            capacity = max(capacity, 1.0)
            self._buckets.append(_Bucket(limit / seconds, capacity, capacity, now))

    async def acquire(self, cost: int = 1) -> None:
        """Wait until every bucket has ``cost`` tokens, then take them."""
        if not self._buckets:
            return
        async with self._lock:
            while True:
                now = self._clock()
                for bucket in self._buckets:
                    bucket.refill(now)
                wait = max(b.wait_for(min(cost, b.capacity)) for b in self._buckets)
                if wait <= 0:
                    for bucket in self._buckets:
                        bucket.tokens -= cost
                    return
                # Never sleep less than a millisecond: a shorter wait can vanish in float
                # rounding (an injected clock near 1.7e9 s), and the loop would spin forever.
                await self._sleep(max(wait, _MIN_WAIT))


class NoLimiter:
    """A limiter that never waits (integrations without declared limits)."""

    async def acquire(self, cost: int = 1) -> None:
        """Return immediately."""
        return None


def limiter_for(
    limits: RateLimits | None, *, clock: Clock = time.monotonic, sleep: Sleep = anyio.sleep
) -> Limiter:
    """The in-process limiter for ``limits`` (a no-op when nothing is declared)."""
    if limits is None or limits.is_unlimited():
        return NoLimiter()
    return TokenBucketLimiter(limits, clock=clock, sleep=sleep)
