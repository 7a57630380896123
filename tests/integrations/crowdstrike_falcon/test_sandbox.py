"""The Falcon sandbox speaks Falcon: OAuth2, envelopes, pagination, FQL, 401/403/429."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from aria.integrations.crowdstrike_falcon.fql import FqlError, compile_filter, sort_key
from aria.integrations.crowdstrike_falcon.sandbox import DEMO, NOW, make_sandbox
from aria.integrations.crowdstrike_falcon.sandbox_data import counts_for, generate

BASE = "https://api.crowdstrike.com"


@contextlib.asynccontextmanager
async def client_for(app: Any) -> AsyncIterator[tuple[httpx.AsyncClient, dict[str, str]]]:
    """A raw HTTP client on the sandbox and the headers of a freshly issued token."""
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE) as client:
        yield client, await token_headers(client)


async def token_headers(client: httpx.AsyncClient) -> dict[str, str]:
    token = await client.post(
        "/oauth2/token",
        data={
            "client_id": DEMO["client_id"],
            "client_secret": DEMO["client_secret"],
            "grant_type": "client_credentials",
        },
    )
    assert token.status_code == 201
    body = token.json()
    assert body["token_type"] == "bearer" and body["expires_in"] == 1799
    return {"Authorization": f"Bearer {body['access_token']}"}


def test_data_is_deterministic_prefix_stable_and_shaped_like_falcon() -> None:
    small, big = generate(7, 40, NOW), generate(7, 80, NOW)
    assert small.alerts == big.alerts[:40] and small.devices == big.devices[:40]
    assert generate(8, 40, NOW).alerts != small.alerts
    assert small.counts() == counts_for(40)
    alert = small.alerts[0]
    cid, kind, aid, _ = alert["composite_id"].split(":")
    assert (cid, kind, aid) == (small.cid, "ind", alert["device"]["device_id"])
    assert len(alert["updated_timestamp"].split(".")[1]) == 10  # nanoseconds + Z
    assert alert["mitre_attack"][0]["technique_id"] == alert["technique_id"]
    assert {"hostname", "local_ip", "mac_address", "machine_domain"} <= set(alert["device"])
    latest = [a["updated_timestamp"] for a in big.alerts[40:]]
    assert min(latest) > max(a["updated_timestamp"] for a in small.alerts[:20])


@pytest.mark.anyio
async def test_auth_errors_use_falcon_envelopes() -> None:
    app = make_sandbox(size=10, scopes={"alerts:read"})
    async with client_for(app) as (client, auth):
        missing = await client.get("/alerts/queries/alerts/v2")
        assert missing.status_code == 401
        assert missing.json()["errors"][0]["code"] == 401
        forbidden = await client.get("/devices/queries/devices/v1", headers=auth)
        assert forbidden.status_code == 403 and forbidden.json()["resources"] == []
        ok = await client.get("/alerts/queries/alerts/v2", headers=auth)
        assert ok.status_code == 200
        assert ok.headers["X-RateLimit-Limit"] == "6000"
        assert int(ok.headers["X-RateLimit-Remaining"]) < 6000
        bad = await client.post(
            "/oauth2/token",
            data={"client_id": "x", "client_secret": "y", "grant_type": "client_credentials"},
        )
        assert bad.status_code == 401


@pytest.mark.anyio
async def test_query_then_hydrate_and_pagination_shapes() -> None:
    app = make_sandbox(size=30)
    async with client_for(app) as (client, auth):
        page = (
            await client.get("/alerts/queries/alerts/v2?limit=10&offset=10", headers=auth)
        ).json()
        assert page["meta"]["pagination"] == {"offset": 10, "limit": 10, "total": 30}
        assert {"query_time", "powered_by", "trace_id"} <= set(page["meta"])
        ids = page["resources"]
        entities = await client.post(
            "/alerts/entities/alerts/v2", json={"composite_ids": ids}, headers=auth
        )
        assert [a["composite_id"] for a in entities.json()["resources"]] == ids

        scroll = (
            await client.get("/devices/queries/devices-scroll/v1?limit=10", headers=auth)
        ).json()
        token = scroll["meta"]["pagination"]["offset"]
        assert isinstance(token, str) and scroll["meta"]["pagination"]["total"] == 30
        following = await client.get(
            "/devices/queries/devices-scroll/v1",
            params={"limit": 10, "offset": token},
            headers=auth,
        )
        assert following.json()["resources"][0] not in scroll["resources"]
        hosts = await client.get(
            "/devices/entities/devices/v2",
            params=[("ids", i) for i in scroll["resources"][:3]],
            headers=auth,
        )
        assert len(hosts.json()["resources"]) == 3

        needs_filter = await client.get("/spotlight/combined/vulnerabilities/v1", headers=auth)
        assert needs_filter.status_code == 400
        spotlight = await client.get(
            "/spotlight/combined/vulnerabilities/v1",
            params={"filter": "status:['open','reopen']", "limit": 5, "facet": "cve"},
            headers=auth,
        )
        body = spotlight.json()
        assert body["meta"]["pagination"]["after"]
        assert all(v["status"] in ("open", "reopen") for v in body["resources"])
        assert "cve" in body["resources"][0] and "host_info" not in body["resources"][0]

        states = await client.get(
            "/devices/entities/online-state/v1",
            params={"ids": scroll["resources"][0]},
            headers=auth,
        )
        assert states.json()["resources"][0]["state"] in ("online", "offline")


@pytest.mark.anyio
async def test_fql_filters_and_sorting_on_the_wire() -> None:
    app = make_sandbox(size=60)
    data = app.state.falcon.data
    async with client_for(app) as (client, auth):
        since = sorted(a["updated_timestamp"] for a in data.alerts)[49]
        newer = await client.get(
            "/alerts/queries/alerts/v2",
            params={"filter": f"updated_timestamp:>'{since}'", "sort": "updated_timestamp.desc"},
            headers=auth,
        )
        assert newer.json()["meta"]["pagination"]["total"] == 10
        inclusive = await client.get(
            "/alerts/queries/alerts/v2",
            params={"filter": f"updated_timestamp:>='{since}'"},
            headers=auth,
        )
        assert inclusive.json()["meta"]["pagination"]["total"] == 11
        host = data.alerts[0]["device"]["hostname"]
        by_host = await client.get(
            "/alerts/queries/alerts/v2",
            params={"filter": f"device.hostname:'{host}'"},
            headers=auth,
        )
        expected = sum(1 for a in data.alerts if a["device"]["hostname"] == host)
        assert by_host.json()["meta"]["pagination"]["total"] == expected
        broken = await client.get(
            "/alerts/queries/alerts/v2", params={"filter": "severity:>"}, headers=auth
        )
        assert broken.status_code == 400 and "filter" in broken.json()["errors"][0]["message"]


def test_fql_evaluator() -> None:
    record = {
        "severity": 70,
        "status": "new",
        "device": {"hostname": "WS-FIN-042"},
        "hosts": [{"hostname": "a"}, {"hostname": "b"}],
        "updated_timestamp": "2025-05-01T10:00:00.123456789Z",
    }
    matches = {
        "severity:>=70": True,
        "severity:>70": False,
        "status:'new'+severity:50": False,
        "status:'closed',severity:70": True,
        "status:['new','reopened']": True,
        "status:!'new'": False,
        "device.hostname:'ws-fin-042'": True,
        "device.hostname:'ws-*'": True,
        "device.hostname:~'fin'": True,
        "hosts.hostname:'b'": True,
        "(status:'closed',status:'new')+severity:>=10": True,
        "updated_timestamp:>'2025-05-01T10:00:00Z'": True,
        "updated_timestamp:<='2025-05-01T09:59:59Z'": False,
        "missing:'x'": False,
    }
    for text, expected in matches.items():
        assert compile_filter(text)(record) is expected, text
    for bad in ("severity:>", "status:'new", "nonsense", "(a:1"):
        with pytest.raises(FqlError):
            compile_filter(bad)
    assert sort_key("updated_timestamp|desc", "x") == ("updated_timestamp", True)
    assert sort_key("device.hostname.asc", "x") == ("device.hostname", False)
    assert sort_key(None, "modified_timestamp.asc") == ("modified_timestamp", False)
