"""Sandbox helpers: deterministic data, fault injection, credential checks."""

from __future__ import annotations

import ipaddress
import re
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from fastapi import Depends, FastAPI

from aria.sdk.sandbox import DataGen, Faults, Sandbox
from tests.sdk.conftest import FakeTime

NOW = datetime(2024, 5, 1, tzinfo=UTC)


def sample(seed: int) -> list[str]:
    gen = DataGen(seed, now=NOW)
    return [
        gen.hostname(),
        gen.private_ip(),
        gen.public_ip(),
        gen.mac(),
        gen.email(),
        gen.uuid(),
        gen.hex_id(),
        gen.cve(),
        gen.sha256(),
        gen.iso(gen.timestamp(7)),
    ]


def test_datagen_is_deterministic_and_realistic() -> None:
    assert sample(1) == sample(1) and sample(1) != sample(2)
    host, priv, pub, mac, email, uid, hexid, cve, sha, stamp = sample(3)
    assert re.fullmatch(r"[a-z]+-[a-z]+-\d{3}", host)
    assert ipaddress.ip_address(priv).is_private
    docs = ("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24")
    assert any(ipaddress.ip_address(pub) in ipaddress.ip_network(net) for net in docs)
    assert re.fullmatch(r"([0-9a-f]{2}:){5}[0-9a-f]{2}", mac)
    assert email.endswith("@acme.example") and re.fullmatch(r"[0-9a-f]{32}", hexid)
    assert re.fullmatch(r"CVE-\d{4}-\d{4,5}", cve) and re.fullmatch(r"[0-9a-f]{64}", sha)
    assert uid[14] == "4"
    moment = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    assert NOW - timedelta(days=7) <= moment <= NOW


def app_with(faults: Faults, ft: FakeTime) -> tuple[FastAPI, Sandbox]:
    sb = Sandbox(faults=faults, sleep=ft.sleep, clock=ft.clock)
    app = sb.install(FastAPI())

    @app.get("/key", dependencies=[Depends(sb.api_key("k-1", header="X-Key"))])
    async def key() -> dict:
        return {"ok": True}

    @app.get("/basic", dependencies=[Depends(sb.basic("u", "p-1"))])
    async def basic() -> dict:
        return {"ok": True}

    @app.get("/static", dependencies=[Depends(sb.bearer("tok-1"))])
    async def static() -> dict:
        return {"ok": True}

    return app, sb


@pytest.mark.anyio
async def test_fault_middleware(fake_time: FakeTime) -> None:
    faults = Faults(latency_ms=250, rate_limit_every=3, retry_after=9, error_rate=0.5)
    app, sb = app_with(faults, fake_time)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://sb"
    ) as client:
        statuses = [
            (await client.get("/key", headers={"X-Key": "k-1"})).status_code for _ in range(30)
        ]
    assert statuses[2::3] == [429] * 10
    others = [s for i, s in enumerate(statuses) if i % 3 != 2]
    assert {200, 503} == set(others)
    assert fake_time.sleeps == [0.25] * 30 and sb.requests == 30


@pytest.mark.anyio
async def test_retry_after_header_on_429(fake_time: FakeTime) -> None:
    app, _ = app_with(Faults(rate_limit_every=1, retry_after=9), fake_time)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://sb"
    ) as client:
        response = await client.get("/key")
    assert response.status_code == 429 and response.headers["Retry-After"] == "9"


@pytest.mark.anyio
async def test_credential_checks(fake_time: FakeTime) -> None:
    app, _ = app_with(Faults(), fake_time)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://sb") as c:
        assert (await c.get("/key", headers={"X-Key": "k-1"})).status_code == 200
        assert (await c.get("/key", headers={"X-Key": "k-2"})).status_code == 401
        assert (await c.get("/basic", auth=("u", "p-1"))).status_code == 200
        assert (await c.get("/basic", auth=("u", "p-2"))).status_code == 401
        ok = await c.get("/static", headers={"Authorization": "Bearer tok-1"})
        assert ok.status_code == 200
        assert (await c.get("/static")).status_code == 401


def test_page_faults_and_cursors() -> None:
    sb = Sandbox(faults=Faults(malformed_page=2, truncated_page=3, repeat_cursor=4))
    assert sb.page({"a": [1, 2, 3]}, 1).body == b'{"a": [1, 2, 3]}'
    assert b"<html>" in sb.page({"a": 1}, 2).body
    assert sb.page({"a": [1, 2, 3]}, 3).body == b'{"a": [1'
    assert sb.next_cursor(4, "c4", "c5") == "c4" and sb.next_cursor(5, "c5", "c6") == "c6"
    assert sb.decode_cursor(sb.encode_cursor(40)) == 40
