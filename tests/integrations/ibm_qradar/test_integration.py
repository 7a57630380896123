"""The integration against its sandbox: headers, the connection probe, incremental offense
sync with closing reasons, the domain filter, and push refusing to forward events."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest

from aria.integrations.ibm_qradar import IbmQradar
from aria.integrations.ibm_qradar.sandbox import DEMO
from aria.sdk import FatalError, PushRequest, SyncOptions
from aria.sdk.cursors import to_datetime
from aria.sdk.records import IncidentStatus
from aria.sdk.siem import event_document
from tests.integrations.ibm_qradar.conftest import Build, qradar_error

OFFENSES = "/api/siem/offenses"
REASONS = "/api/siem/offense_closing_reasons"


@pytest.mark.anyio
async def test_every_call_sends_the_sec_token_and_the_api_version(qradar: Build) -> None:
    integ, app, recorder = qradar(config={"api_version": "19.0"})
    async with integ:
        assert (await integ.test_connection()).ok
        [p async for p in integ.sync(SyncOptions())]
    assert recorder.requests and app.state.qradar.versions
    assert {r.headers.get("version") for r in recorder.requests} == {"19.0"}
    assert {r.headers.get("sec") for r in recorder.requests} == {DEMO["sec_token"]}
    assert not any("authorization" in r.headers for r in recorder.requests)


@pytest.mark.anyio
async def test_connection_probe_reads_about_then_one_offense(qradar: Build) -> None:
    integ, _, recorder = qradar()
    async with integ:
        result = await integ.test_connection()
    assert result.ok
    assert [r.url.path for r in recorder.requests] == ["/api/system/about", OFFENSES]
    assert recorder.requests[1].headers["range"] == "items=0-0"


@pytest.mark.anyio
async def test_bad_token_fails_the_connection_without_echoing_it(qradar: Build) -> None:
    token = "not-the-demo-token-5f2a"
    integ, _, recorder = qradar(config={"sec_token": token})
    async with integ:
        result = await integ.test_connection()
    assert not result.ok and result.details["status_code"] == 401
    assert token not in result.model_dump_json()
    async with httpx.AsyncClient(
        transport=recorder.inner, base_url="https://qradar.demo.example"
    ) as client:
        response = await client.get("/api/system/about", headers={"SEC": token})
    body = response.json()
    assert response.status_code == 401 and body["http_response"]["code"] == 401
    assert {"message", "description", "code", "details"} <= set(body)


@pytest.mark.anyio
async def test_a_token_without_offense_access_is_named(qradar: Build) -> None:
    def forbid_offenses(request: httpx.Request) -> httpx.Response | None:
        if request.url.path == OFFENSES:
            return qradar_error(403, 11, "You do not have the required capabilities.")
        return None

    integ, _, _ = qradar(override=forbid_offenses)
    async with integ:
        result = await integ.test_connection()
    assert not result.ok and result.details["status_code"] == 403
    assert "Offenses permission" in result.message and "Authorized Services" in result.message


@pytest.mark.anyio
async def test_incremental_sync_sees_offenses_analysts_changed(qradar: Build) -> None:
    integ, app, recorder = qradar(size=60)
    state = app.state.qradar
    async with integ:
        first = [p async for p in integ.sync(SyncOptions(streams=["offenses"]))]
        saved = first[-1].state
        changed = state.touch(3, status="CLOSED", assigned_to="mchen", closing_reason_id=2)
        calls_before = len(recorder.to(OFFENSES))
        second = [
            p
            async for p in integ.sync(SyncOptions(streams=["offenses"], state={"offenses": saved}))
        ]
    records = [r for p in second for r in p.records]
    assert sorted(int(r.source_uid) for r in records) == sorted(changed)
    for incident in records:
        assert incident.status is IncidentStatus.CLOSED
        assert incident.assignee == "mchen"
        assert "Closed as False-Positive, Tuned" in (incident.description or "")
    # The second read asked only for offenses changed since the cursor minus the look-back.
    call = recorder.to(OFFENSES)[calls_before]
    cursor = to_datetime(saved["cursor"])
    assert cursor is not None
    since = int((cursor - timedelta(minutes=5)).timestamp() * 1000)
    assert call.url.params["filter"] == f"last_updated_time >= {since}"


@pytest.mark.anyio
async def test_closing_reasons_are_read_once_per_sync(qradar: Build) -> None:
    integ, app, recorder = qradar(size=90)
    async with integ:
        pages = [p async for p in integ.sync(SyncOptions(streams=["offenses"]))]
    reasons = recorder.to(REASONS)
    assert len(pages) == 4 and len(reasons) == 1
    assert reasons[0].url.params["include_deleted"] == "true"
    assert reasons[0].url.params["include_reserved"] == "true"
    texts = {r["id"]: r["text"] for r in app.state.qradar.data.closing_reasons}
    closed = [r for p in pages for r in p.records if r.status is IncidentStatus.CLOSED]
    assert closed
    for incident in closed:
        reason = texts[incident.raw["closing_reason_id"]]
        assert incident.raw["closing_reason"] == reason
        assert f"Closed as {reason}" in (incident.description or "")


@pytest.mark.anyio
async def test_unreadable_closing_reasons_keep_the_ids(qradar: Build) -> None:
    def forbid_reasons(request: httpx.Request) -> httpx.Response | None:
        if request.url.path == REASONS:
            return qradar_error(403, 11, "You do not have the required capabilities.")
        return None

    integ, _, recorder = qradar(size=60, override=forbid_reasons)
    async with integ:
        pages = [p async for p in integ.sync(SyncOptions(streams=["offenses"]))]
    assert pages[-1].done and len(recorder.to(REASONS)) == 1
    closed = [r for p in pages for r in p.records if r.status is IncidentStatus.CLOSED]
    assert closed
    for incident in closed:
        assert "closing_reason" not in incident.raw
        expected = f"(closing reason {incident.raw['closing_reason_id']})"
        assert expected in (incident.description or "")


@pytest.mark.anyio
async def test_domain_filter_reads_one_domain(qradar: Build) -> None:
    integ, app, recorder = qradar(size=120, config={"domain_id": 1})
    async with integ:
        pages = [p async for p in integ.sync(SyncOptions(streams=["offenses"]))]
    expected = sorted(o["id"] for o in app.state.qradar.data.offenses if o["domain_id"] == 1)
    got = sorted(int(r.source_uid) for p in pages for r in p.records)
    assert expected and got == expected
    assert recorder.to(OFFENSES)[0].url.params["filter"] == "domain_id = 1"


@pytest.mark.anyio
async def test_push_event_is_refused_with_the_reason(qradar: Build) -> None:
    integ, _, recorder = qradar()
    payload = {"event": "risk.opened", "risk_id": 42, "title": "Ransomware on ws-fin-042"}
    async with integ:
        with pytest.raises(FatalError) as caught:
            await integ.push(PushRequest(kind="event", payload=payload))
        with pytest.raises(FatalError, match="does not support push kind 'ticket'"):
            await integ.push(PushRequest(kind="ticket", payload={"action": "close"}))
    message = str(caught.value)
    assert "no REST API for ingesting events" in message and "log sources" in message
    assert event_document(payload)["risk_id"] == 42  # the document ARIA would have sent
    assert not recorder.requests


def test_catalog_says_forwarding_is_not_offered() -> None:
    meta = IbmQradar.metadata()
    assert meta.category == "siem" and {"push", "query", "sync"} <= set(meta.capabilities)
    assert {"events", "incidents"} <= set(meta.data_types)
    assert "Forwarding ARIA events into QRadar is not offered" in meta.description
    assert any("not offered" in f for f in meta.features)
    requirements = {r.name: r for r in meta.config_requirements}
    assert all(r.where_to_find for r in requirements.values())
    assert "Authorized Services" in requirements["sec_token"].where_to_find
