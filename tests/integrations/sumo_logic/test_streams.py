"""Cloud SIEM streams through the sandbox: incremental ``q`` filters, DSL queries, the
connection probe, and staying under Sumo's four calls a second."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from aria.integrations.sumo_logic import SumoLogic
from aria.integrations.sumo_logic.streams import LOOKBACK, dsl_time
from aria.sdk import AuthError, ConfigError, Finding, Incident, QueryRequest, SyncOptions
from aria.sdk.cursors import to_datetime
from aria.sdk.ratelimit import NoLimiter
from aria.sdk.records import IncidentStatus
from aria.sdk.testing import InstantTime, no_jitter
from tests.integrations.sumo_logic.conftest import Build, Recorder

pytestmark = pytest.mark.anyio


async def read(integ: SumoLogic, options: SyncOptions) -> dict[str, Any]:
    """Records and last state per stream."""
    out: dict[str, Any] = {}
    async for page in integ.sync(options):
        entry = out.setdefault(page.stream, {"records": [], "state": None})
        entry["records"].extend(page.records)
        entry["state"] = page.state
        assert not page.errors, page.errors
    return out


async def test_full_sync_links_insights_to_their_signals(sumo: Build) -> None:
    integ, state, recorder = sumo(size=60)
    async with integ:
        got = await read(integ, SyncOptions())
    incidents: list[Incident] = got["insights"]["records"]
    findings: list[Finding] = got["signals"]["records"]
    assert len(incidents) == len(findings) == 60
    signal_ids = {f.source_uid for f in findings}
    assert all(i.finding_uids and set(i.finding_uids) <= signal_ids for i in incidents)
    closed = [r for r in state.data.insights if r["status"]["name"] == "closed"]
    assert closed and {
        i.source_uid
        for i in incidents
        if i.status in (IncidentStatus.RESOLVED, IncidentStatus.CLOSED)
    } == {r["id"] for r in closed}
    pages = recorder.to("/api/sec/v1/insights")
    assert [(p.url.params["offset"], p.url.params["limit"]) for p in pages] == [
        ("0", "50"),
        ("50", "50"),
    ]
    assert all("q" not in p.url.params for p in pages)  # a full read filters nothing


async def test_incremental_reads_filter_on_creation_and_signal_time(sumo: Build) -> None:
    integ, state, recorder = sumo(size=30)
    async with integ:
        first = await read(integ, SyncOptions())
        saved = {name: entry["state"] for name, entry in first.items()}
        state.data.insights.append(
            {**state.data.insights[-1], "id": "late-1", "created": "2025-07-01T08:00:00.000001"}
        )
        second = await read(integ, SyncOptions(state=saved))
    insights_q = recorder.to("/api/sec/v1/insights")[-1].url.params["q"]
    signals_q = recorder.to("/api/sec/v1/signals")[-1].url.params["q"]
    since = to_datetime(saved["insights"]["cursor"]) - LOOKBACK  # type: ignore[operator]
    assert insights_q == f"created:>={dsl_time(since)}" and insights_q.endswith("+00:00")
    assert signals_q.startswith("timestamp:>=") and signals_q.endswith("+00:00")
    assert [i.source_uid for i in second["insights"]["records"]] == ["late-1"]
    assert second["signals"]["records"] == []


def test_dsl_time_floors_to_the_second_in_utc() -> None:
    assert dsl_time("2025-06-01T10:00:00.999Z") == "2025-06-01T10:00:00+00:00"
    assert dsl_time("2025-06-01T12:00:00+02:00") == "2025-06-01T10:00:00+00:00"
    assert dsl_time(None) is None


async def test_insight_queries_take_cloud_siem_dsl(sumo: Build) -> None:
    integ, state, recorder = sumo(size=40)
    wanted = {
        r["id"]
        for r in state.data.insights
        if r["status"]["name"] == "closed" and r["severity"] in ("HIGH", "CRITICAL")
    }
    assert wanted
    async with integ:
        result = await integ.query(
            QueryRequest(
                type="insights", params={"q": 'status:"closed" severity:in("HIGH", "CRITICAL")'}
            )
        )
        with pytest.raises(ConfigError) as caught:
            await integ.query(QueryRequest(type="insights", params={"filter": "x"}))
    assert {i.source_uid for i in result.records} == wanted
    assert recorder.to("/api/sec/v1/insights")[0].url.params["q"].startswith('status:"closed"')
    assert caught.value.fields == {"filter": "unknown query parameter"}


async def test_probe_names_the_missing_cloud_siem_capability(sumo: Build) -> None:
    integ, state, _ = sumo(size=5)
    state.capabilities = {"search"}
    async with integ:
        result = await integ.test_connection()
        with pytest.raises(AuthError) as caught:
            await integ.probe()
    assert not result.ok and "Cloud SIEM capabilities" in result.message
    assert caught.value.status_code == 403


async def test_wrong_access_key_fails_the_connection_check(sumo: Build) -> None:
    integ, _, _ = sumo(size=5, config={"access_key": "not-the-key-0000"})
    async with integ:
        result = await integ.test_connection()
    assert not result.ok and result.details["status_code"] == 401
    assert "not-the-key-0000" not in result.message


async def test_the_client_stays_under_four_calls_a_second(instant: InstantTime) -> None:
    """The sandbox enforces Sumo's quota on the shared clock: the declared RateLimits keep
    the read clean, while the same read without a limiter is throttled."""
    from aria.integrations.sumo_logic.sandbox import make_sandbox

    async def sync_with(limiter: Any) -> tuple[int, int]:
        app = make_sandbox(size=400, clock=instant.clock, sleep=instant.sleep)
        app.state.sumo.enforce_rate = True
        integ = SumoLogic(
            SumoLogic.sandbox_config,
            transport=Recorder(app),
            mode="sandbox",
            sleep=instant.sleep,
            clock=instant.clock,
            jitter=no_jitter,
            limiter=limiter,
        )
        async with integ:
            got = await read(integ, SyncOptions(streams=["signals"]))
            return len(got["signals"]["records"]), integ.metrics.rate_limited

    records, limited = await sync_with(None)  # the integration's own limiter
    assert records == 400 and limited == 0
    assert instant.sleeps  # the limiter paced the 8 pages
    instant.sleeps.clear()
    records, limited = await sync_with(NoLimiter())
    assert records == 400 and limited > 0


async def test_a_redirect_means_the_wrong_deployment(
    sumo: Build, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Sumo answers 301 to API calls sent to another deployment's endpoint."""
    integ, _, recorder = sumo(size=1, config={"deployment": "us1"})

    async def moved(request: httpx.Request) -> httpx.Response:
        await request.aread()
        recorder.requests.append(request)
        target = str(request.url).replace("api.sumologic.com", "api.us2.sumologic.com")
        return httpx.Response(301, headers={"Location": target})

    monkeypatch.setattr(recorder, "handle_async_request", moved)
    async with integ:
        result = await integ.test_connection()
    assert not result.ok and "another deployment" in result.message
    assert result.details == {"error": "ConfigError", "status_code": 301}
    assert len(recorder.requests) == 1  # a redirect is not followed with the credentials
