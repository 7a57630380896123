"""CrowdStrike Falcon end to end through its sandbox: connection, streams, incremental reads,
token refresh, rate limits and queries."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from aria.integrations.crowdstrike_falcon import CrowdStrikeFalcon, FalconConfig
from aria.sdk import (
    Asset,
    AuthError,
    ConfigError,
    FatalError,
    Finding,
    Incident,
    QueryRequest,
    SyncOptions,
)
from aria.sdk.records import FindingStatus, Severity
from aria.sdk.records.ocsf_validate import validate_ocsf
from aria.sdk.sandbox import Faults
from aria.sdk.testing import InstantTime, no_jitter
from tests.integrations.crowdstrike_falcon.conftest import Recorder

Build = Callable[..., tuple[CrowdStrikeFalcon, Any, Recorder]]
STREAMS = {"alerts": Finding, "devices": Asset, "incidents": Incident, "vulnerabilities": Finding}


async def read_all(integ: CrowdStrikeFalcon, options: SyncOptions) -> dict[str, Any]:
    """Records and last state per stream."""
    out: dict[str, Any] = {}
    async for page in integ.sync(options):
        entry = out.setdefault(page.stream, {"records": [], "raw": [], "state": None})
        entry["records"].extend(page.records)
        entry["raw"].extend(page.raw)
        entry["state"] = page.state
        assert not page.errors, page.errors
    return out


# --- metadata and configuration ------------------------------------------------------------


def test_metadata_is_a_complete_catalog_entry() -> None:
    meta = CrowdStrikeFalcon.metadata().model_dump(mode="json")
    assert meta["key"] == "crowdstrike-falcon" and meta["status"] == "official"
    assert meta["auth_methods"] == ["oauth2_client_credentials"]
    assert set(meta["capabilities"]) == {"ingest", "sync", "query", "webhook"}
    assert meta["rate_limits"]["per_minute"] == 6000
    assert "#d7262b" in meta["logo_svg"] and "<text" not in meta["logo_svg"]
    where = {r["name"]: r["where_to_find"] for r in meta["config_requirements"]}
    assert "API clients and keys" in where["client_id"]
    for scope in ("Alerts", "Hosts", "Incidents", "Vulnerabilities"):
        assert scope in where["client_id"]
    props = meta["config_schema"]["properties"]
    assert props["client_secret"]["x-secret"] and props["webhook_secret"]["x-secret"]
    assert props["cloud"]["enum"] == ["us-1", "us-2", "eu-1", "us-gov-1"]


@pytest.mark.parametrize(
    ("cloud", "api"),
    [
        ("us-1", "https://api.crowdstrike.com"),
        ("us-2", "https://api.us-2.crowdstrike.com"),
        ("eu-1", "https://api.eu-1.crowdstrike.com"),
        ("us-gov-1", "https://api.laggar.gcw.crowdstrike.com"),
    ],
)
def test_cloud_selects_base_url(cloud: str, api: str) -> None:
    config = FalconConfig.parse({"client_id": "x", "client_secret": "y", "cloud": cloud})
    assert config.base_url == api
    assert config.console_url.startswith("https://falcon.")
    override = FalconConfig.parse(
        {"client_id": "x", "client_secret": "y", "cloud": cloud, "base_url": "https://p.example"}
    )
    assert override.base_url == "https://p.example"


def test_unknown_cloud_is_a_config_error_naming_the_field() -> None:
    with pytest.raises(ConfigError) as info:
        CrowdStrikeFalcon({"client_id": "x", "client_secret": "y", "cloud": "mars-1"})
    assert "cloud" in info.value.fields


# --- connection ---------------------------------------------------------------------------


@pytest.mark.anyio
async def test_connection_good_and_bad(falcon: Build) -> None:
    integ, _, recorder = falcon()
    async with integ:
        result = await integ.test_connection()
    assert result.ok, result.message
    assert recorder.paths()[0] == "/oauth2/token"
    assert "/spotlight/queries/vulnerabilities/v1" in recorder.paths()

    bad, _, _ = falcon(config={"client_secret": "not-the-secret-42"})
    async with bad:
        result = await bad.test_connection()
    assert not result.ok and result.details["error"] == "AuthError"
    assert "not-the-secret-42" not in result.model_dump_json()


@pytest.mark.anyio
async def test_connection_names_missing_scopes(falcon: Build) -> None:
    integ, _, _ = falcon(scopes={"alerts:read", "hosts:read"})
    async with integ:
        result = await integ.test_connection()
    assert not result.ok
    assert "Incidents: Read" in result.message and "Vulnerabilities: Read" in result.message
    assert "Alerts" not in result.message


@pytest.mark.anyio
async def test_member_cid_is_sent_only_when_configured(falcon: Build) -> None:
    for member, expected in ((None, None), ("abcdef0123456789abcdef0123456789", "abcdef")):
        integ, _, recorder = falcon(config={"member_cid": member} if member else None)
        async with integ:
            await integ.authenticate()
        form = dict(httpx.QueryParams(recorder.requests[0].content.decode()))
        assert form["grant_type"] == "client_credentials"
        assert form["client_id"] == "falcon-demo-client"
        if expected is None:
            assert "member_cid" not in form
        else:
            assert form["member_cid"].startswith(expected)


# --- streams ----------------------------------------------------------------------------------


@pytest.mark.anyio
async def test_full_read_returns_every_sandbox_record_as_valid_ocsf(falcon: Build) -> None:
    integ, app, recorder = falcon(size=120)
    async with integ:
        result = await read_all(integ, SyncOptions())
    counts = app.state.falcon.counts()
    assert counts == CrowdStrikeFalcon.sandbox_counts(120)
    for stream, kind in STREAMS.items():
        records = result[stream]["records"]
        assert len(records) == counts[stream], stream
        assert len({r.dedupe_key("i") for r in records}) == counts[stream], stream
        assert all(isinstance(r, kind) for r in records)
        for record in records[:25]:
            validate_ocsf(record.to_ocsf())
    paths = recorder.paths()
    assert paths.count("/alerts/entities/alerts/v2") == 2  # 120 ids, 100 per page
    assert paths.count("/devices/queries/devices-scroll/v1") == 2  # 120 hosts: ends at total
    assert paths.count("/incidents/entities/incidents/GET/v1") == 1  # 40 incidents, 50 a page
    assert paths.count("/spotlight/combined/vulnerabilities/v1") == 2  # 180, no 3rd call


@pytest.mark.anyio
async def test_alert_records_carry_the_risk_data(falcon: Build) -> None:
    integ, _, _ = falcon(size=30)
    async with integ:
        alerts = (await read_all(integ, SyncOptions(streams=["alerts"])))["alerts"]
    for finding, raw in zip(alerts["records"], alerts["raw"], strict=True):
        info = finding.detection_info
        assert finding.source_uid == raw["composite_id"]
        assert info.attacks[0].technique_id == raw["technique_id"]
        assert info.attacks[0].tactic == raw["tactic"]
        assert info.confidence == raw["confidence"]
        assert finding.asset.agent_id == raw["device"]["device_id"]
        assert finding.asset.hostname == raw["device"]["hostname"].lower()
        assert finding.severity == Severity.from_vendor(raw["severity_name"])
        assert info.url == raw["falcon_host_link"]


@pytest.mark.anyio
async def test_incremental_read_returns_only_changed_records(falcon: Build) -> None:
    integ, app, recorder = falcon(size=120)
    async with integ:
        first = await read_all(integ, SyncOptions())
        states = {name: first[name]["state"] for name in STREAMS}
        assert all(s["cursor"] for s in states.values())
        touched = {name: app.state.falcon.touch(name, 3) for name in STREAMS}
        second = await read_all(integ, SyncOptions(state=states))
        for name in STREAMS:
            got = sorted(r.source_uid for r in second[name]["records"])
            assert got == sorted(touched[name]), name
        third = await read_all(integ, SyncOptions(state={n: second[n]["state"] for n in STREAMS}))
    assert all(not third[n]["records"] for n in STREAMS)
    query = next(r for r in reversed(recorder.requests) if "/alerts/queries/" in r.url.path)
    assert query.url.params["filter"].startswith("updated_timestamp:>='")
    assert query.url.params["sort"] == "updated_timestamp.asc"


@pytest.mark.anyio
async def test_token_expiring_mid_sync_is_refreshed(falcon: Build) -> None:
    integ, app, recorder = falcon(size=120, faults=Faults(expire_token_after_requests=3))
    async with integ:
        result = await read_all(integ, SyncOptions())
    assert {n: len(result[n]["records"]) for n in STREAMS} == app.state.falcon.counts()
    assert app.state.sandbox.tokens_issued >= 3  # one per three data calls
    assert recorder.paths().count("/oauth2/token") == app.state.sandbox.tokens_issued


@pytest.mark.anyio
async def test_429_retry_after_is_honoured(falcon: Build, instant: InstantTime) -> None:
    integ, app, _ = falcon(size=120, faults=Faults(rate_limit_every=4, retry_after=9))
    async with integ:
        result = await read_all(integ, SyncOptions(streams=["alerts", "vulnerabilities"]))
    assert len(result["alerts"]["records"]) == app.state.falcon.counts()["alerts"]
    assert instant.sleeps and all(s == 9.0 for s in instant.sleeps)
    assert integ.metrics.rate_limited == len(instant.sleeps)


@pytest.mark.anyio
async def test_falcon_retry_after_epoch_header_is_honoured(instant: InstantTime) -> None:
    """Falcon's 429 carries only ``X-RateLimit-RetryAfter`` (epoch seconds)."""
    calls: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request.url.path)
        if request.url.path == "/oauth2/token":
            return httpx.Response(201, json={"access_token": "t", "expires_in": 1799})
        if len(calls) == 2:
            until = str(int(instant.now) + 12)
            return httpx.Response(
                429, headers={"X-RateLimit-RetryAfter": until}, json={"errors": []}
            )
        return httpx.Response(
            200, json={"meta": {"pagination": {"total": 0}}, "resources": [], "errors": []}
        )

    integ = CrowdStrikeFalcon(
        CrowdStrikeFalcon.sandbox_config,
        transport=httpx.MockTransport(handler),
        mode="sandbox",
        sleep=instant.sleep,
        clock=instant.clock,
        jitter=no_jitter,
    )
    async with integ:
        await read_all(integ, SyncOptions(streams=["incidents"]))
    assert instant.sleeps == [12.0]


@pytest.mark.anyio
async def test_missing_scope_mid_sync_is_an_auth_error(falcon: Build) -> None:
    integ, _, _ = falcon(scopes={"alerts:read"})
    async with integ:
        with pytest.raises(AuthError) as info:
            await read_all(integ, SyncOptions(streams=["devices"]))
    assert info.value.status_code == 403


# --- queries ----------------------------------------------------------------------------------


@pytest.mark.anyio
async def test_queries_run_fql_filters(falcon: Build) -> None:
    integ, _, recorder = falcon(size=120)
    async with integ:
        high = await integ.query(
            QueryRequest(type="detections", params={"filter": "severity:>=70"})
        )
        assert high.records and all(r.severity >= Severity.HIGH for r in high.records)
        stamps = [r["updated_timestamp"] for r in high.raw]
        assert stamps == sorted(stamps, reverse=True)  # newest first

        new = await integ.query(
            QueryRequest(type="detections", params={"filter": "status:'new'+severity:>=50"})
        )
        assert all(r.status is FindingStatus.NEW for r in new.records)

        linux = await integ.query(
            QueryRequest(type="devices", params={"filter": "platform_name:'Linux'"}, limit=5)
        )
        assert len(linux.records) == 5 and linux.truncated
        assert all(r.raw["platform_name"] == "Linux" for r in linux.records)
        assert "/devices/queries/devices/v1" in recorder.paths()

        critical = await integ.query(
            QueryRequest(type="vulnerabilities", params={"filter": "cve.severity:'CRITICAL'"})
        )
        assert critical.records
        assert all(r.severity is Severity.CRITICAL for r in critical.records)

        everything = await integ.query(QueryRequest(type="vulnerabilities", limit=1000))
        assert len(everything.records) == 180 and not everything.truncated

        incidents = await integ.query(QueryRequest(type="incidents", limit=3))
        assert len(incidents.records) == 3


@pytest.mark.anyio
async def test_query_errors(falcon: Build) -> None:
    integ, _, _ = falcon()
    async with integ:
        with pytest.raises(ConfigError) as info:
            await integ.query(QueryRequest(type="detections", params={"hostname": "x"}))
        assert "hostname" in info.value.fields
        with pytest.raises(FatalError, match="400"):
            await integ.query(QueryRequest(type="detections", params={"filter": "severity:>"}))
        with pytest.raises(FatalError, match="unsupported query type"):
            await integ.query(QueryRequest(type="identities"))
