"""The receiver's endpoint cache: one load per token at a time, stale while refreshing, and
nothing cached from a load that an invalidation overtook."""

from __future__ import annotations

import asyncio
import threading
import uuid

from aria.webhooks.receiver import CACHE_TTL_S, Endpoint, Receiver


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def receiver(loads: list[str], gate: threading.Event) -> tuple[Receiver, Clock]:
    clock = Clock()
    found = Endpoint(uuid.uuid4(), uuid.uuid4(), uuid.uuid4(), active=True)
    subject = Receiver.__new__(Receiver)  # no runtime: only the cache is under test
    subject.clock = clock
    subject._cache = {}
    subject._loading = {}
    subject._generation = 0

    def load(digest: str) -> Endpoint:
        loads.append(digest)
        assert gate.wait(10), "the test never opened the gate"
        return found

    subject.load = load  # type: ignore[method-assign]
    return subject, clock


def test_concurrent_misses_share_one_load_and_expired_entries_are_served_meanwhile() -> None:
    loads: list[str] = []
    gate = threading.Event()
    subject, clock = receiver(loads, gate)

    async def scenario() -> None:
        first = [asyncio.ensure_future(subject.endpoint("d")) for _ in range(20)]
        await asyncio.sleep(0)  # every request is now waiting on the one load
        gate.set()
        results = await asyncio.gather(*first)
        assert len(loads) == 1 and len({id(r) for r in results}) == 1
        clock.now += CACHE_TTL_S + 1  # expired: the next calls answer at once, one refresh
        gate.clear()
        again = await asyncio.gather(*(subject.endpoint("d") for _ in range(20)))
        assert all(r is results[0] for r in again)  # answered without waiting for the load
        (refresh,) = subject._loading.values()  # exactly one refresh is running
        gate.set()
        assert await refresh is results[0]
        assert len(loads) == 2 and not subject._loading

    asyncio.run(scenario())


def test_a_load_overtaken_by_invalidate_is_not_cached() -> None:
    loads: list[str] = []
    gate = threading.Event()
    subject, _ = receiver(loads, gate)

    async def scenario() -> None:
        pending = asyncio.ensure_future(subject.endpoint("d"))
        await asyncio.sleep(0)  # the load has started
        subject.invalidate()
        gate.set()
        assert await pending is not None
        assert subject._cache == {}

    asyncio.run(scenario())
