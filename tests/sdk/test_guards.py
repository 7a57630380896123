"""Base-URL guard, rate limiter, config schema and secret handling."""

from __future__ import annotations

import pytest
from pydantic import Field

from aria.sdk import Config, ConfigError, RateLimits, Secret, TokenBucketLimiter, UrlPolicy
from aria.sdk.urls import check_base_url, is_allowed
from tests.sdk.conftest import FakeTime

SANDBOX = UrlPolicy(allow_loopback=True)


@pytest.mark.parametrize(
    "url",
    [
        "http://169.254.169.254/latest/meta-data",
        "http://169.254.10.1",
        "http://[fe80::1]/",
        "http://[fd00:ec2::254]/",
        "http://metadata.google.internal/",
        "http://metadata.azure.com",
        "http://2852039166/",
        "http://0xa9fea9fe/",
        "http://0251.0376.0251.0376/",
        "http://[::ffff:169.254.169.254]/",
        "http://100.100.100.200/",
        "file:///etc/passwd",
        "gopher://x.example",
        "ftp://vendor.example",
        "https://user:pw@api.vendor.example",
        "http://224.0.0.1/",
    ],
)
def test_always_blocked(url: str) -> None:
    assert not is_allowed(url, UrlPolicy(allow_loopback=True, allow_private=True))
    with pytest.raises(ConfigError) as info:
        check_base_url(url, SANDBOX)
    assert "base_url" in info.value.fields


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8000",
        "http://localhost",
        "http://api.localhost",
        "http://[::1]/",
        "http://127.1/",
        "http://0.0.0.0/",
    ],
)
def test_loopback_only_in_sandbox_mode(url: str) -> None:
    assert not is_allowed(url)
    assert is_allowed(url, SANDBOX)


@pytest.mark.parametrize(
    "url", ["http://10.1.2.3", "https://192.168.0.5:8089", "http://[fd12:3456::1]/"]
)
def test_private_networks_need_explicit_opt_in(url: str) -> None:
    assert not is_allowed(url)
    assert is_allowed(url, UrlPolicy(allow_private=True))


def test_public_urls_allowed_and_normalized() -> None:
    assert check_base_url("https://api.crowdstrike.com/") == "https://api.crowdstrike.com"
    assert is_allowed("https://8.8.8.8/")


@pytest.mark.anyio
async def test_token_bucket_burst_then_steady_rate(fake_time: FakeTime) -> None:
    limiter = TokenBucketLimiter(
        RateLimits(per_minute=60, burst=3), clock=fake_time.clock, sleep=fake_time.sleep
    )
    for _ in range(3):
        await limiter.acquire()
    assert fake_time.sleeps == []
    await limiter.acquire()
    await limiter.acquire()
    assert fake_time.sleeps == [pytest.approx(1.0), pytest.approx(1.0)]


@pytest.mark.anyio
async def test_token_bucket_respects_every_window(fake_time: FakeTime) -> None:
    limiter = TokenBucketLimiter(
        RateLimits(per_second=10, per_hour=4), clock=fake_time.clock, sleep=fake_time.sleep
    )
    for _ in range(4):
        await limiter.acquire()
    await limiter.acquire()  # the hourly bucket is empty: one token every 900 s
    assert sum(fake_time.sleeps) == pytest.approx(900.0)


@pytest.mark.anyio
async def test_unlimited_never_waits(fake_time: FakeTime) -> None:
    limiter = TokenBucketLimiter(RateLimits(), clock=fake_time.clock, sleep=fake_time.sleep)
    for _ in range(100):
        await limiter.acquire()
    assert fake_time.sleeps == []


class VendorConfig(Config):
    base_url: str = "https://api.vendor.example"
    client_id: str = Field(description="OAuth client id")
    client_secret: Secret
    api_token: Secret | None = None
    page_size: int = 100


def test_json_schema_marks_secrets() -> None:
    schema = VendorConfig.json_schema()
    props = schema["properties"]
    for name in ("client_secret", "api_token"):
        assert props[name]["format"] == "password" and props[name]["x-secret"] is True
    assert "x-secret" not in props["client_id"]
    assert VendorConfig.secret_fields() == ("client_secret", "api_token")
    assert schema["additionalProperties"] is False


def test_validation_errors_name_fields_and_hide_values() -> None:
    with pytest.raises(ConfigError) as info:
        VendorConfig.parse(
            {"client_secret": "hunter2-secret", "page_size": "lots", "surprise": "hunter2-secret"}
        )
    err = info.value
    assert set(err.fields) == {"client_id", "page_size", "surprise"}
    assert err.fields["surprise"] == "unknown field"
    assert "hunter2-secret" not in str(err) and "hunter2-secret" not in repr(err)


def test_secret_values_never_in_repr_or_dump() -> None:
    cfg = VendorConfig.parse({"client_id": "c", "client_secret": "hunter2-secret"})
    assert "hunter2-secret" not in repr(cfg) and "hunter2-secret" not in str(cfg.model_dump())
    assert cfg.value("client_secret") == "hunter2-secret"
    assert cfg.redactor()("token=hunter2-secret") == "token=***"
