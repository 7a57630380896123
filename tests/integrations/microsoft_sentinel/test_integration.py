"""Sentinel through its sandbox: token audiences, incidents, forwarding and search."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from aria.integrations.microsoft_sentinel import MicrosoftSentinel, SentinelConfig
from aria.integrations.microsoft_sentinel.integration import (
    batched,
    data_collector_record,
    logs_ingestion_record,
)
from aria.integrations.microsoft_sentinel.sandbox import DEMO, NOW
from aria.integrations.microsoft_sentinel.streams import API_VERSION
from aria.sdk import (
    AuthError,
    ConfigError,
    FatalError,
    Incident,
    PushRequest,
    QueryRequest,
    SyncOptions,
)
from aria.sdk.records import IncidentStatus
from aria.sdk.siem import SEARCH, SearchHit
from tests.integrations.microsoft_sentinel.conftest import Build, iso

pytestmark = pytest.mark.anyio

ARM = "management.azure.com"
LOGS = "api.loganalytics.io"
ODS = f"{DEMO['workspace_id']}.ods.opinsights.azure.com"


async def read_all(integ: MicrosoftSentinel, state: dict[str, Any] | None = None) -> list[Any]:
    records: list[Any] = []
    options = SyncOptions(streams=["incidents"], state={"incidents": state} if state else {})
    async for page in integ.sync(options):
        records.extend(page.records)
        state = page.state
    integ._last_state = state  # type: ignore[attr-defined]
    return records


def risk(risk_id: int, **extra: Any) -> dict[str, Any]:
    """What the platform pushes for a risk change."""
    return {
        "action": "opened",
        "risk_id": risk_id,
        "title": f"Exposure of db-{risk_id:02d} to CVE-2024-3094",
        "description": "xz backdoor on an internet-facing host",
        "status": "open",
        "score": 20,
        "likelihood": 4,
        "impact": 5,
        "created_at": "2025-06-01T08:00:00+00:00",
        "ticket": None,
        "findings": [{"uid": "f-1"}, {"uid": "f-2"}],
        **extra,
    }


# --- tokens ------------------------------------------------------------------------------------


async def test_two_audiences_two_token_caches(sentinel: Build) -> None:
    integ, app, recorder = sentinel(size=30)
    async with integ:
        await read_all(integ)
        await integ.query(QueryRequest(type=SEARCH, params={"query": "SecurityAlert | take 1"}))
        await integ.query(QueryRequest(type=SEARCH, params={"query": "SecurityAlert | take 2"}))
    scopes = [form["scope"] for form in recorder.tokens()]
    assert sorted(scopes) == [
        "https://api.loganalytics.io/.default",
        "https://management.azure.com/.default",
    ]  # one token per audience, each reused from its cache
    for request in recorder.tokens():
        assert request["grant_type"] == "client_credentials"
        assert request["client_id"] == DEMO["client_id"]
    token_hosts = {r.url.host for r in recorder.requests if r.url.path.endswith("/token")}
    assert token_hosts == {"login.microsoftonline.com"}
    arm = {r.headers["authorization"] for r in recorder.to_host(ARM)}
    logs = {r.headers["authorization"] for r in recorder.to_host(LOGS)}
    assert len(arm) == 1 and len(logs) == 1 and arm != logs
    state = app.state.sentinel
    assert state.audiences[arm.pop().partition(" ")[2]] == "arm"
    assert state.audiences[logs.pop().partition(" ")[2]] == "logs"


async def test_a_management_token_is_refused_by_log_analytics(sentinel: Build) -> None:
    integ, _, recorder = sentinel(size=5)
    async with integ:
        await read_all(integ)
        arm_token = recorder.to_host(ARM)[0].headers["authorization"]
        response = await integ.logs_http.client.post(
            f"/v1/workspaces/{DEMO['workspace_id']}/query",
            json={"query": "print ok = 1"},
            headers={"Authorization": arm_token},
            auth=None,
        )
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "AuthorizationRequiredError"


async def test_sovereign_cloud_scopes_follow_the_hosts() -> None:
    settings = SentinelConfig.parse(
        {
            **DEMO,
            "base_url": "https://management.usgovcloudapi.net",
            "log_analytics_base_url": "https://api.loganalytics.us",
        }
    )
    assert settings.management_scope == "https://management.usgovcloudapi.net/.default"
    assert settings.log_analytics_scope == "https://api.loganalytics.us/.default"
    assert settings.ingestion_base_url == f"https://{DEMO['workspace_id']}.ods.opinsights.azure.com"


# --- incidents ---------------------------------------------------------------------------------


async def test_incidents_request_and_paging(sentinel: Build) -> None:
    integ, _, recorder = sentinel(size=120)
    async with integ:
        records = await read_all(integ)
    assert len(records) == 120 and all(isinstance(r, Incident) for r in records)
    assert len({r.source_uid for r in records}) == 120
    calls = [r for r in recorder.to_host(ARM) if r.url.path.endswith("/incidents")]
    assert len(calls) == 3  # 50 + 50 + 20 with the demo page size
    first = calls[0].url
    assert first.path == (
        f"/subscriptions/{DEMO['subscription_id']}/resourceGroups/{DEMO['resource_group']}"
        f"/providers/Microsoft.OperationalInsights/workspaces/{DEMO['workspace_name']}"
        "/providers/Microsoft.SecurityInsights/incidents"
    )
    assert first.params["api-version"] == API_VERSION
    assert first.params["$orderby"] == "properties/lastModifiedTimeUtc asc"
    assert first.params["$top"] == "50"
    assert "$filter" not in first.params  # a first full read asks for everything
    assert "$skipToken" in calls[1].url.params  # the nextLink was followed
    modified = [r.modified_at for r in records]
    assert modified == sorted(modified)


async def test_incremental_read_sees_changed_incidents(sentinel: Build) -> None:
    integ, app, recorder = sentinel(size=40)
    async with integ:
        await read_all(integ)
        state = integ._last_state  # type: ignore[attr-defined]
        assert await read_all(integ, state) == []
        changed = app.state.sentinel.touch(3, status="Closed")
        again = await read_all(integ, state)
    assert sorted(r.source_uid for r in again) == sorted(changed)
    assert all(r.status is IncidentStatus.CLOSED for r in again)
    incremental = [r for r in recorder.to_host(ARM) if "$filter" in r.url.params]
    assert incremental and incremental[-1].url.params["$filter"].startswith(
        "properties/lastModifiedTimeUtc gt "
    )


async def test_connection_names_every_missing_role(sentinel: Build) -> None:
    integ, _, _ = sentinel(size=5, roles=())
    async with integ:
        result = await integ.test_connection()
    assert not result.ok
    assert "Microsoft Sentinel Reader" in result.message
    assert "Log Analytics Reader" in result.message


async def test_connection_checks_the_shared_key(sentinel: Build) -> None:
    wrong = "d3Jvbmcta2V5LXdyb25nLWtleS13cm9uZy1rZXk="
    integ, _, recorder = sentinel(size=5, config={"shared_key": wrong})
    async with integ:
        result = await integ.test_connection()
    assert not result.ok and "shared key" in result.message
    assert wrong not in result.message
    assert recorder.to_host(ODS)  # the key was really tried against the Data Collector API


# --- forwarding ---------------------------------------------------------------------------------


async def test_forwarded_risk_is_found_by_risk_id(sentinel: Build) -> None:
    integ, app, recorder = sentinel(size=5)
    async with integ:
        result = await integ.push(PushRequest(kind="event", payload=risk(42)))
        await integ.push(PushRequest(kind="event", payload=risk(7)))
        native = await integ.query(
            QueryRequest(type=SEARCH, params={"query": "AriaRiskEvents_CL | where risk_id_d == 42"})
        )
        window = {"start": iso(NOW - timedelta(hours=1)), "end": iso(NOW + timedelta(hours=1))}
        translated = await integ.query(
            QueryRequest(
                type=SEARCH,
                params={"common": {"filters": [{"field": "risk_id", "value": "42"}], **window}},
            )
        )
        outside = await integ.query(
            QueryRequest(
                type=SEARCH,
                params={
                    "common": {"filters": [{"field": "risk_id", "value": "42"}]},
                    "start": iso(NOW + timedelta(days=1)),
                },
            )
        )
    assert result.ok and result.details == {"accepted": 1, "table": "AriaRiskEvents_CL"}
    for found in (native, translated):
        assert len(found.records) == 1
        hit = found.records[0]
        assert isinstance(hit, SearchHit)
        assert hit.fields["risk_id"] == 42 and hit.fields["risk_id_d"] == 42.0
        assert hit.fields["title_s"] == "Exposure of db-42 to CVE-2024-3094"
        assert hit.fields["aria_event"] == "risk.opened"
        assert hit.fields["finding_count"] == 2
        assert hit.message == "Exposure of db-42 to CVE-2024-3094"
        assert hit.source == "AriaRiskEvents_CL"
        assert hit.time == NOW  # TimeGenerated is the event time ARIA sent
    assert outside.records == []
    post = app.state.sentinel.posts[0]
    assert len(app.state.sentinel.posts) == 2
    assert post["log_type"] == "AriaRiskEvents" and post["time_field"] == "event_time"
    assert "ticket" not in post["records"][0] and "findings" not in post["records"][0]
    body = next(q for q in app.state.sentinel.queries if "between" in q["query"])
    assert body["timespan"] == f"{window['start']}/{window['end']}"
    [first_post, *_] = recorder.to_host(ODS)
    assert first_post.url.path == "/api/logs"
    assert first_post.url.params["api-version"] == "2016-04-01"
    assert first_post.headers["log-type"] == "AriaRiskEvents"
    assert first_post.headers["authorization"].startswith(f"SharedKey {DEMO['workspace_id']}:")


async def test_a_batch_of_events_with_a_bad_item(sentinel: Build) -> None:
    integ, app, _ = sentinel(size=5)
    async with integ:
        result = await integ.push(
            PushRequest(
                kind="event", payload={"events": [risk(1), "not an event", risk(2), risk(3)]}
            )
        )
        found = await integ.query(
            QueryRequest(
                type=SEARCH,
                params={"common": {"filters": [{"field": "aria_event", "value": "risk.opened"}]}},
                limit=10,
            )
        )
    assert not result.ok
    assert result.details["accepted"] == 3 and result.details["failed"] == 1
    assert "event 1: not an object" in result.details["errors"][0]
    ids = sorted(h.fields["risk_id"] for h in found.records)
    assert ids == [1, 2, 3, 9000, 9001, 9002, 9003]  # plus the workspace's earlier events
    assert len(app.state.sentinel.posts) == 1  # one post for the three good events


async def test_unknown_push_kind_and_missing_key(sentinel: Build) -> None:
    integ, _, _ = sentinel(size=5)
    async with integ:
        with pytest.raises(FatalError, match="push kind 'comment'"):
            await integ.push(PushRequest(kind="comment", payload={"body": "x"}))
        with pytest.raises(FatalError, match="push kind 'ticket'"):
            await integ.push(PushRequest(kind="ticket", payload=risk(5)))
    integ, _, _ = sentinel(size=5, config={"shared_key": None})
    async with integ:
        with pytest.raises(ConfigError) as caught:
            await integ.push(PushRequest(kind="event", payload=risk(1)))
    assert caught.value.fields == {"shared_key": "required to forward events"}


async def test_a_wrong_shared_key_is_an_auth_error_without_the_key(sentinel: Build) -> None:
    wrong = "c29tZS1vdGhlci13b3Jrc3BhY2Uta2V5LTEyMzQ1Njc4OTA="
    integ, app, _ = sentinel(size=5, config={"shared_key": wrong})
    async with integ:
        with pytest.raises(AuthError) as caught:
            await integ.push(PushRequest(kind="event", payload=risk(1)))
    assert caught.value.status_code == 403
    assert wrong not in str(caught.value)
    assert app.state.sentinel.posts == []


def test_data_collector_records_are_valid_property_names() -> None:
    record = data_collector_record(
        {"risk-id": 1, "TimeGenerated": "x", "tenant": "t", "a" * 60: 1}, "2025-06-02T12:00:00Z"
    )
    assert set(record) == {"risk_id", "aria_TimeGenerated", "aria_tenant", "a" * 43, "event_time"}
    assert record["event_time"] == "2025-06-02T12:00:00Z"


def test_posts_stay_under_the_size_limit() -> None:
    records = [{"n": i, "pad": "x" * 100} for i in range(50)]
    batches = batched(records, limit=1000)
    assert [r for b in batches for r in b] == records
    assert all(len(str(b)) < 2000 for b in batches) and len(batches) > 1


# --- search ---------------------------------------------------------------------------------------


async def test_search_truncates_at_the_limit(sentinel: Build) -> None:
    integ, _, _ = sentinel(size=40)  # 20 SecurityAlert rows
    async with integ:
        native = await integ.query(
            QueryRequest(type=SEARCH, params={"query": "SecurityAlert"}, limit=5)
        )
        common = await integ.query(
            QueryRequest(
                type=SEARCH, params={"common": {"limit": 3}, "table": "SecurityAlert"}, limit=50
            )
        )
        exact = await integ.query(
            QueryRequest(type=SEARCH, params={"common": {"limit": 20}, "table": "SecurityAlert"})
        )
    assert len(native.records) == 5 and native.truncated
    assert len(common.records) == 3 and common.truncated
    assert len(exact.records) == 20 and not exact.truncated
    assert all(h.source == "SecurityAlert" and h.time is not None for h in native.records)


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"query": "x", "common": {}}, "query"),
        ({}, "query"),
        ({"query": "x", "index": "y"}, "index"),
        ({"query": "  "}, "query"),
        ({"query": "x", "start": "yesterday"}, "start"),
        ({"common": {"filters": [{"field": "bad field", "value": "x"}]}}, None),
        ({"query": "x", "table": "SecurityAlert"}, "table"),
    ],
)
async def test_search_parameters_are_validated(
    sentinel: Build, params: dict[str, Any], field: str | None
) -> None:
    integ, _, recorder = sentinel(size=5)
    async with integ:
        with pytest.raises(ConfigError) as caught:
            await integ.query(QueryRequest(type=SEARCH, params=params))
    if field:
        assert field in caught.value.fields
    assert recorder.to_host(LOGS) == []


async def test_kql_errors_come_back_as_fatal_errors(sentinel: Build) -> None:
    integ, _, _ = sentinel(size=5)
    async with integ:
        with pytest.raises(FatalError) as caught:
            await integ.query(
                QueryRequest(type=SEARCH, params={"query": "AriaRiskEvents_CL | where nope == 1"})
            )
    assert caught.value.status_code == 400
    assert "SemanticError" in str(caught.value)


async def test_other_query_types_read_streams(sentinel: Build) -> None:
    integ, _, _ = sentinel(size=12)
    async with integ:
        result = await integ.query(QueryRequest(type="incidents", limit=5))
    assert len(result.records) == 5 and result.truncated
    assert all(isinstance(r, Incident) for r in result.records)


# --- Logs Ingestion API ---------------------------------------------------------------------------

DCE = "aria-dce-k3x9.westeurope-1.ingest.monitor.azure.com"
LOGS_INGESTION = {"ingestion_api": "logs_ingestion"}


async def test_logs_ingestion_forwards_and_search_finds_it(sentinel: Build) -> None:
    integ, app, recorder = sentinel(size=5, config=LOGS_INGESTION)
    async with integ:
        result = await integ.push(PushRequest(kind="event", payload=risk(77)))
        native = await integ.query(
            QueryRequest(type=SEARCH, params={"query": "AriaRiskEvents_CL | where risk_id == 77"})
        )
        translated = await integ.query(
            QueryRequest(
                type=SEARCH, params={"common": {"filters": [{"field": "risk_id", "value": "77"}]}}
            )
        )
    assert result.ok and result.details["accepted"] == 1
    [call] = recorder.to_host(DCE)
    assert call.url.path == (
        f"/dataCollectionRules/{DEMO['dcr_immutable_id']}/streams/Custom-AriaRiskEvents_CL"
    )
    assert call.url.params["api-version"] == "2023-01-01"
    token = call.headers["authorization"].partition(" ")[2]
    assert app.state.sentinel.audiences[token] == "monitor"  # a third audience
    assert "https://monitor.azure.com//.default" in [f["scope"] for f in recorder.tokens()]
    assert recorder.to_host(ODS) == []
    [upload] = app.state.sentinel.uploads
    assert upload["records"][0]["TimeGenerated"] == iso(NOW)
    for found in (native, translated):
        [hit] = found.records
        assert hit.fields["risk_id"] == 77 and hit.fields.get("risk_id_d") is None
        assert hit.message == "Exposure of db-77 to CVE-2024-3094"
        assert hit.time == NOW


async def test_logs_ingestion_without_the_role_or_the_rule(sentinel: Build) -> None:
    roles = ("Microsoft Sentinel Reader", "Log Analytics Reader")
    integ, _, _ = sentinel(size=5, config=LOGS_INGESTION, roles=roles)
    async with integ:
        with pytest.raises(AuthError) as caught:
            await integ.push(PushRequest(kind="event", payload=risk(1)))
    assert caught.value.status_code == 403
    integ, _, _ = sentinel(size=5, config={**LOGS_INGESTION, "dcr_immutable_id": None})
    async with integ:
        with pytest.raises(ConfigError) as missing:
            await integ.push(PushRequest(kind="event", payload=risk(1)))
    assert "dcr_immutable_id" in missing.value.fields


async def test_logs_ingestion_calls_stay_under_one_megabyte(sentinel: Build) -> None:
    integ, app, _ = sentinel(size=5, config=LOGS_INGESTION)
    events = [risk(i, description="x" * 20_000) for i in range(120)]  # about 2.4 MB
    async with integ:
        result = await integ.push(PushRequest(kind="event", payload={"events": events}))
    assert result.ok and result.details["accepted"] == 120
    uploads = app.state.sentinel.uploads
    assert len(uploads) >= 3
    assert sum(len(u["records"]) for u in uploads) == 120


def test_logs_ingestion_records_are_valid_column_names() -> None:
    record = logs_ingestion_record({"risk-id": 1, "2fa": True}, "2025-06-02T12:00:00Z")
    assert record == {
        "TimeGenerated": "2025-06-02T12:00:00Z",
        "risk_id": 1,
        "c2fa": True,
        "event_time": "2025-06-02T12:00:00Z",
    }
