"""An instant, deterministic clock for the suite: sleeps return at once and are recorded."""

from __future__ import annotations


class InstantTime:
    """A clock that only moves when something sleeps; ``sleeps`` lists every requested wait.

    Injected into integrations as ``sleep=``/``clock=`` so retries, ``Retry-After`` waits and
    rate-limiter pauses cost no wall time and can be asserted exactly.
    """

    def __init__(self, start: float = 1_700_000_000.0) -> None:
        self.now = start
        self.sleeps: list[float] = []

    def clock(self) -> float:
        """Seconds since the epoch, as far as the integration knows."""
        return self.now

    async def sleep(self, seconds: float) -> None:
        """Record the wait and advance the clock by it."""
        self.sleeps.append(seconds)
        self.now += max(0.0, seconds)


def no_jitter(ceiling: float) -> float:
    """Backoff without randomness: always the ceiling, so delays are reproducible."""
    return ceiling


__all__ = ["InstantTime", "no_jitter"]
