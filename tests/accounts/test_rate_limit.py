"""Per-credential API rate limits: 429 with Retry-After, counted per token, also in Redis."""

from __future__ import annotations

import os

import pytest
from fastapi.testclient import TestClient

from aria.accounts.ratelimit import MemoryRateLimiter, RedisRateLimiter
from tests.support import World, bearer


class FakeClock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_window_allows_the_limit_then_refuses_until_reset() -> None:
    clock = FakeClock(1_000_040.0)
    limiter = MemoryRateLimiter(3, clock=clock)
    assert [limiter.hit("a").allowed for _ in range(4)] == [True, True, True, False]
    refused = limiter.hit("a")
    assert refused.retry_after == 40  # the window started at 1_000_020
    assert limiter.hit("b").allowed  # another credential has its own budget
    clock.now += 40
    assert limiter.hit("a").allowed


@pytest.mark.skipif(not os.environ.get("ARIA_TEST_REDIS_URL"), reason="ARIA_TEST_REDIS_URL unset")
def test_redis_limiter_shares_the_count_between_processes(queue_url: str) -> None:
    if not queue_url.startswith("redis"):
        pytest.skip("this variant needs Redis")
    clock = FakeClock(2_000_000.0)
    first = RedisRateLimiter(queue_url, 2, clock=clock)
    second = RedisRateLimiter(queue_url, 2, clock=clock)
    assert first.hit("tok").allowed and second.hit("tok").allowed
    assert not first.hit("tok").allowed


def test_api_answers_429_with_retry_after(client: TestClient, world: World) -> None:
    runtime = world.runtime
    runtime.__dict__["api_rate_limiter"] = MemoryRateLimiter(2)
    headers = bearer(world.owner_a)
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    limited = client.get("/api/v1/me", headers=headers)
    assert limited.status_code == 429
    assert 1 <= int(limited.headers["retry-after"]) <= 60
    assert limited.json()["error"]["code"] == "rate_limited"
    assert client.get("/api/v1/me", headers=bearer(world.owner_b)).status_code == 200
