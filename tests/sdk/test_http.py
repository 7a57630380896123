"""Retries, backoff, 429 handling, error mapping and metrics of the shared HTTP client."""

from __future__ import annotations

import email.utils
from collections.abc import Callable

import httpx
import pytest

from aria.sdk import (
    AuthError,
    ConfigError,
    FatalError,
    RateLimited,
    Redactor,
    RetryPolicy,
    TransientError,
)
from aria.sdk.http import HttpClient, parse_reset, parse_retry_after
from tests.sdk.conftest import FakeTime

pytestmark = pytest.mark.anyio
BASE = "https://api.vendor.example"


def scripted(*responses: httpx.Response | Exception) -> tuple[httpx.MockTransport, list]:
    """A transport answering with ``responses`` in order (the last one repeats)."""
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        item = responses[min(len(seen), len(responses)) - 1]
        if isinstance(item, Exception):
            raise item
        return item

    return httpx.MockTransport(handler), seen


def client(
    transport: httpx.AsyncBaseTransport,
    ft: FakeTime,
    *,
    attempts: int = 4,
    jitter: Callable[[float], float] = lambda d: d,
    **kw,
) -> HttpClient:
    return HttpClient(
        base_url=BASE,
        transport=transport,
        sleep=ft.sleep,
        clock=ft.clock,
        jitter=jitter,
        retry=RetryPolicy(max_attempts=attempts, backoff_base=0.5, backoff_max=4.0),
        **kw,
    )


async def test_retries_5xx_with_exponential_backoff_then_succeeds(fake_time: FakeTime) -> None:
    transport, seen = scripted(
        httpx.Response(503),
        httpx.Response(502),
        httpx.Response(500),
        httpx.Response(200, json={"ok": True}),
    )
    http = client(transport, fake_time)
    assert await http.request_json("GET", "/x") == {"ok": True}
    assert len(seen) == 4
    assert fake_time.sleeps == [0.5, 1.0, 2.0]
    assert http.metrics.retries == 3 and http.metrics.errors == 0
    assert http.metrics.api_calls == 4


async def test_backoff_is_capped_and_fully_jittered(fake_time: FakeTime) -> None:
    transport, _ = scripted(httpx.Response(500))
    ceilings: list[float] = []

    def jitter(ceiling: float) -> float:
        ceilings.append(ceiling)
        return ceiling / 2

    http = client(transport, fake_time, attempts=6, jitter=jitter)
    with pytest.raises(TransientError):
        await http.request("GET", "/x")
    assert ceilings == [0.5, 1.0, 2.0, 4.0, 4.0]
    assert fake_time.sleeps == [c / 2 for c in ceilings]


async def test_default_jitter_stays_within_ceiling(fake_time: FakeTime) -> None:
    transport, _ = scripted(httpx.Response(500))
    http = HttpClient(
        base_url=BASE,
        transport=transport,
        sleep=fake_time.sleep,
        clock=fake_time.clock,
        retry=RetryPolicy(max_attempts=30),
    )
    with pytest.raises(TransientError):
        await http.request("GET", "/x")
    policy = http.retry
    assert all(0 <= s <= policy.backoff(i + 1) for i, s in enumerate(fake_time.sleeps))
    assert len(set(fake_time.sleeps)) > 1  # actually random


async def test_5xx_exhausted_is_transient_error(fake_time: FakeTime) -> None:
    transport, seen = scripted(httpx.Response(503, text="upstream down"))
    http = client(transport, fake_time, attempts=3)
    with pytest.raises(TransientError) as info:
        await http.request("GET", "/alerts")
    assert type(info.value) is TransientError
    assert info.value.status_code == 503
    assert "/alerts" in str(info.value) and "upstream down" in str(info.value)
    assert len(seen) == 3 and http.metrics.errors == 1


async def test_429_honours_retry_after_seconds(fake_time: FakeTime) -> None:
    transport, _ = scripted(
        httpx.Response(429, headers={"Retry-After": "7"}), httpx.Response(200, json=[])
    )
    http = client(transport, fake_time)
    await http.request("GET", "/x")
    assert fake_time.sleeps == [7.0]
    assert http.metrics.rate_limited == 1


async def test_429_honours_retry_after_http_date(fake_time: FakeTime) -> None:
    when = email.utils.formatdate(fake_time.now + 30, usegmt=True)
    transport, _ = scripted(
        httpx.Response(429, headers={"Retry-After": when}), httpx.Response(200, json=[])
    )
    await client(transport, fake_time).request("GET", "/x")
    assert fake_time.sleeps == [pytest.approx(30.0, abs=1.0)]


async def test_429_uses_ratelimit_reset_when_no_retry_after(fake_time: FakeTime) -> None:
    reset = str(int(fake_time.now + 12))
    transport, _ = scripted(
        httpx.Response(429, headers={"X-RateLimit-Reset": reset}), httpx.Response(200, json=[])
    )
    await client(transport, fake_time).request("GET", "/x")
    assert fake_time.sleeps == [pytest.approx(12.0)]


async def test_429_exhausted_raises_rate_limited_with_retry_after(fake_time: FakeTime) -> None:
    transport, seen = scripted(httpx.Response(429, headers={"Retry-After": "3"}))
    with pytest.raises(RateLimited) as info:
        await client(transport, fake_time, attempts=2).request("GET", "/x")
    assert info.value.retry_after == 3.0 and len(seen) == 2


async def test_retry_after_longer_than_cap_fails_fast(fake_time: FakeTime) -> None:
    transport, seen = scripted(httpx.Response(429, headers={"Retry-After": "3600"}))
    http = client(transport, fake_time)
    with pytest.raises(RateLimited) as info:
        await http.request("GET", "/x")
    assert info.value.retry_after == 3600 and len(seen) == 1 and fake_time.sleeps == []


async def test_remaining_zero_waits_for_reset_before_next_call(fake_time: FakeTime) -> None:
    transport, _ = scripted(
        httpx.Response(
            200, json=[], headers={"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "20"}
        ),
        httpx.Response(200, json=[]),
    )
    http = client(transport, fake_time)
    await http.request("GET", "/a")
    assert fake_time.sleeps == []
    await http.request("GET", "/b")
    assert fake_time.sleeps == [20.0]


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (401, AuthError),
        (403, AuthError),
        (404, ConfigError),
        (400, FatalError),
        (422, FatalError),
    ],
)
async def test_client_errors_are_mapped_without_retry(
    fake_time: FakeTime, status: int, error: type[Exception]
) -> None:
    transport, seen = scripted(httpx.Response(status, json={"message": "no"}))
    with pytest.raises(error) as info:
        await client(transport, fake_time).request("GET", "/x")
    assert type(info.value) is error and info.value.status_code == status
    assert len(seen) == 1 and fake_time.sleeps == []


async def test_timeouts_retry_then_transient(fake_time: FakeTime) -> None:
    transport, seen = scripted(httpx.ReadTimeout("slow"))
    with pytest.raises(TransientError, match="timed out"):
        await client(transport, fake_time, attempts=3).request("GET", "/x")
    assert len(seen) == 3


async def test_network_error_recovers(fake_time: FakeTime) -> None:
    transport, seen = scripted(httpx.ConnectError("refused"), httpx.Response(200, json={}))
    await client(transport, fake_time).request("GET", "/x")
    assert len(seen) == 2


async def test_non_idempotent_request_is_not_retried_after_timeout(fake_time: FakeTime) -> None:
    transport, seen = scripted(httpx.ReadTimeout("slow"), httpx.Response(200, json={}))
    with pytest.raises(TransientError):
        await client(transport, fake_time).request("POST", "/tickets", json={}, idempotent=False)
    assert len(seen) == 1


async def test_malformed_json_is_fatal(fake_time: FakeTime) -> None:
    transport, _ = scripted(httpx.Response(200, text='{"resources": [1, 2'))
    with pytest.raises(FatalError, match="malformed response"):
        await client(transport, fake_time).request_json("GET", "/x")


async def test_error_text_never_contains_secrets(fake_time: FakeTime) -> None:
    secret = "s3cr3t-Value/with+chars"
    transport, _ = scripted(httpx.Response(400, text=f"bad key {secret} in ?k={secret}"))
    http = client(transport, fake_time, redactor=Redactor([secret]))
    with pytest.raises(FatalError) as info:
        await http.request("GET", "/x", params={"k": secret})
    text = str(info.value) + repr(info.value)
    assert secret not in text and "***" in text
    assert "s3cr3t-Value%2Fwith%2Bchars" not in text


async def test_refuses_foreign_origin_urls(fake_time: FakeTime) -> None:
    transport, seen = scripted(httpx.Response(200, json={}))
    with pytest.raises(FatalError, match="only the configured base_url"):
        await client(transport, fake_time).request("GET", "https://evil.example/steal")
    assert seen == []


async def test_metrics_count_bytes_and_latency(fake_time: FakeTime) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        fake_time.now += 0.25
        return httpx.Response(200, content=b"x" * 100)

    http = client(httpx.MockTransport(handler), fake_time)
    await http.request("POST", "/x", content=b"hello")
    m = http.metrics
    assert (m.api_calls, m.bytes_sent, m.bytes_received) == (1, 5, 100)
    assert m.latency_ms_max == pytest.approx(250.0) and m.latency_ms_avg == pytest.approx(250.0)
    assert m.as_dict()["latency_ms_total"] == pytest.approx(250.0)


def test_header_parsers() -> None:
    assert parse_retry_after("2.5", 0) == 2.5
    assert parse_retry_after("garbage", 0) is None
    assert parse_reset("30", 1_700_000_000) == 30
    assert parse_reset("1700000045", 1_700_000_000) == 45
    assert parse_reset("1700000045000", 1_700_000_000) == pytest.approx(45)
