"""ServiceNow end to end through its sandbox: sign-in (Basic and OAuth), the tickets stream
with journal comments, pushes (create, resolve, reopen, work notes), state changes made in
ServiceNow flowing back, the state mapping, error bodies and rate limits."""

from __future__ import annotations

from typing import Any

import pytest

from aria.integrations.servicenow import ServiceNow, ServiceNowConfig
from aria.integrations.servicenow.sandbox import DEMO, OAUTH_CLIENT
from aria.integrations.servicenow.sandbox_data import GROUP_ID
from aria.sdk import (
    AuthError,
    ConfigError,
    FatalError,
    PushRequest,
    RateLimited,
    SyncOptions,
    Ticket,
)
from aria.sdk.sandbox import Faults
from aria.sdk.testing import InstantTime
from tests.integrations.servicenow.conftest import Build, as_analyst

pytestmark = pytest.mark.anyio
INCIDENTS = "/api/now/table/incident"
JOURNAL = "/api/now/table/sys_journal_field"
OAUTH = {"auth_type": "oauth", **OAUTH_CLIENT}


def risk(risk_id: int = 77, action: str = "open", ticket: Any = None, **extra: Any) -> Any:
    """The payload ARIA's risk flow sends (see aria.grc.flows.risk_payload)."""
    payload = {
        "action": action,
        "risk_id": risk_id,
        "title": "Exposed RDP on jump host",
        "description": "RDP (3389) is reachable from the internet on jump-01.",
        "status": "open",
        "status_reason": None,
        "likelihood": 5,
        "impact": 2,
        "score": 10,
        "technique_id": "T1133",
        "created_at": "2025-06-01T10:00:00+00:00",
        "ticket": ticket,
        "findings": [],
    }
    return PushRequest(kind="ticket", payload={**payload, **extra})


def linked(external_id: str) -> dict[str, Any]:
    return {"installation_id": "i-1", "integration": "servicenow", "external_id": external_id}


async def tickets(
    integ: ServiceNow, state: dict[str, Any] | None = None
) -> tuple[list[Ticket], Any]:
    """Every record of one tickets read, and its last checkpoint."""
    records: list[Ticket] = []
    last: Any = None
    async for page in integ.sync(
        SyncOptions(streams=["tickets"], state={"tickets": state} if state else {})
    ):
        assert not page.errors, page.errors
        records.extend(page.records)
        last = page.state
    return records, last


# --- metadata and configuration ------------------------------------------------------------


def test_metadata_is_a_complete_catalog_entry() -> None:
    meta = ServiceNow.metadata().model_dump(mode="json")
    assert meta["key"] == "servicenow" and meta["category"] == "ticketing"
    assert {"push", "sync"} <= set(meta["capabilities"]) and meta["data_types"] == ["tickets"]
    assert meta["version"] == "1.0.0" and meta["status"] == "official"
    assert meta["auth_methods"] == ["basic"] and meta["webhook_support"] is False
    assert meta["rate_limits"]["per_hour"] == 3000
    assert all(r["where_to_find"] for r in meta["config_requirements"])
    props = meta["config_schema"]["properties"]
    assert props["password"]["x-secret"] and props["client_secret"]["x-secret"]
    assert "<svg" in meta["logo_svg"] and "<text" not in meta["logo_svg"]


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("acme", "https://acme.service-now.com"),
        ("https://acme.service-now.com/", "https://acme.service-now.com"),
        ("https://acme.service-now.com/now/nav/ui/home", "https://acme.service-now.com"),
        ("https://itsm.acme.example", "https://itsm.acme.example"),
    ],
)
def test_instance_url_is_cleaned(given: str, expected: str) -> None:
    assert ServiceNowConfig.parse({**DEMO, "base_url": given}).base_url == expected


def test_state_mapping_is_validated_and_merged_with_defaults() -> None:
    config = ServiceNowConfig.parse({**DEMO, "state_mapping": {"closed": "7"}})
    assert config.state_mapping == {"open": "1", "in_progress": "2", "closed": "7"}
    with pytest.raises(ConfigError) as info:
        ServiceNowConfig.parse({**DEMO, "state_mapping": {"done": "6"}})
    assert "state_mapping" in info.value.fields
    with pytest.raises(ConfigError):
        ServiceNowConfig.parse({**DEMO, "auth_type": "oauth"})  # no OAuth client


# --- connection and sign-in ----------------------------------------------------------------


async def test_connection_with_basic_auth(servicenow: Build) -> None:
    integ, _, recorder = servicenow()
    async with integ:
        result = await integ.test_connection()
    assert result.ok, result.message
    assert recorder.to(INCIDENTS) and recorder.to(JOURNAL)
    assert all(r.headers["authorization"].startswith("Basic ") for r in recorder.requests)
    assert not recorder.to("/oauth_token.do", "POST")


async def test_wrong_password_fails_without_echoing_it(servicenow: Build) -> None:
    integ, _, recorder = servicenow(config={"password": "not-the-Password-123"})
    async with integ:
        result = await integ.test_connection()
    assert not result.ok and result.details["status_code"] == 401
    assert "not-the-Password-123" not in result.model_dump_json()
    assert recorder.statuses == [401]


async def test_missing_journal_acl_is_named(servicenow: Build) -> None:
    integ, _, _ = servicenow(journal_acl=False)
    async with integ:
        result = await integ.test_connection()
    assert not result.ok and result.details["status_code"] == 403
    assert "sys_journal_field" in result.message and "include_comments" in result.message
    integ, _, _ = servicenow(journal_acl=False, config={"include_comments": False})
    async with integ:
        assert (await integ.test_connection()).ok


async def test_sync_without_journal_acl_still_moves_states(servicenow: Build) -> None:
    integ, _, recorder = servicenow(size=10, journal_acl=False)
    async with integ:
        records, _ = await tickets(integ)
    assert len(records) == 10 and all(t.comments == [] for t in records)
    assert {t.risk_status for t in records} <= {"open", "in_progress", "closed"}
    assert 403 in recorder.statuses


async def test_oauth_password_grant_then_bearer(servicenow: Build) -> None:
    integ, _, recorder = servicenow(config=OAUTH)
    async with integ:
        result = await integ.test_connection()
    assert result.ok, result.message
    (form,) = recorder.forms()
    assert form == {
        "grant_type": "password",
        "client_id": OAUTH_CLIENT["client_id"],
        "client_secret": OAUTH_CLIENT["client_secret"],
        "username": DEMO["username"],
        "password": DEMO["password"],
    }
    token_call = recorder.to("/oauth_token.do", "POST")[0]
    assert token_call.headers["content-type"] == "application/x-www-form-urlencoded"
    data_calls = [r for r in recorder.requests if r.url.path.startswith("/api/")]
    assert data_calls and all(r.headers["authorization"].startswith("Bearer ") for r in data_calls)


async def test_oauth_wrong_client_secret_is_an_auth_error(servicenow: Build) -> None:
    integ, _, _ = servicenow(config={**OAUTH, "client_secret": "wrong-oauth-secret"})
    async with integ:
        result = await integ.test_connection()
    assert not result.ok and result.details["error"] == "AuthError"
    assert "wrong-oauth-secret" not in result.model_dump_json()


async def test_oauth_token_refreshed_when_expired(servicenow: Build) -> None:
    """The sandbox kills access tokens after two uses: the integration uses its refresh token
    (grant_type=refresh_token) and the read completes."""
    integ, _, recorder = servicenow(
        size=60, config=OAUTH, faults=Faults(expire_token_after_requests=2)
    )
    async with integ:
        records, _ = await tickets(integ)
    assert len(records) == 60
    grants = [f["grant_type"] for f in recorder.forms()]
    assert grants[0] == "password" and grants.count("refresh_token") >= 2


async def test_oauth_token_renewed_before_expiry(servicenow: Build, instant: InstantTime) -> None:
    integ, _, recorder = servicenow(size=5, config=OAUTH)
    async with integ:
        await tickets(integ)
        instant.now += 1800  # the 1800 s token is past its (leeway-adjusted) lifetime
        await tickets(integ)
    assert [f["grant_type"] for f in recorder.forms()] == ["password", "refresh_token"]
    assert 401 not in recorder.statuses


# --- the tickets stream --------------------------------------------------------------------


async def test_tickets_are_arias_incidents_with_comments(servicenow: Build) -> None:
    integ, app, recorder = servicenow(size=40)
    sandbox = app.state.servicenow
    async with integ:
        records, state = await tickets(integ)
    expected = sandbox.aria_incidents()
    assert len(sandbox.data.incidents) == 50  # 10 incidents ARIA did not open are skipped
    assert sorted(t.key for t in records) == sorted(r["number"] for r in expected)
    by_key = {r["number"]: r for r in expected}
    for ticket in records:
        row = by_key[ticket.key]
        assert ticket.source_uid == row["sys_id"] and ticket.state == row["state"]
        assert ticket.risk_id == int(row["correlation_id"].removeprefix("aria-risk-"))
        assert ticket.risk_status == integ.mapping.risk_status(row["state"])
        assert ticket.url == f"{DEMO['base_url']}/nav_to.do?uri=incident.do?sys_id={row['sys_id']}"
        journal = [j for j in sandbox.data.journal if j["element_id"] == row["sys_id"]]
        assert len(ticket.comments) == len(journal) >= 1
        assert ticket.comments[0].from_aria and ticket.comments[0].body.startswith("[ARIA]")
        assert all(not c.from_aria for c in ticket.comments[1:])
    first = recorder.to(INCIDENTS)[0].url.params
    assert (
        first["sysparm_query"]
        == "correlation_idSTARTSWITHaria-risk^ORDERBYsys_updated_on^ORDERBYsys_id"
    )
    assert first["sysparm_display_value"] == "false"
    assert first["sysparm_exclude_reference_link"] == "true"
    assert [int(r.url.params["sysparm_offset"]) for r in recorder.to(INCIDENTS)] == [0, 25]
    pages = [
        a
        for q, a in zip(recorder.requests, recorder.responses, strict=True)
        if q.url.path == INCIDENTS
    ]
    assert [p.headers["X-Total-Count"] for p in pages] == ["40", "40"]
    assert 'rel="next"' in pages[0].headers["Link"] and 'rel="next"' not in pages[1].headers["Link"]
    assert {r.url.params["sysparm_limit"] for r in recorder.to(INCIDENTS)} == {"25"}
    journal_query = recorder.to(JOURNAL)[0].url.params["sysparm_query"]
    assert journal_query.startswith("name=incident^element_idIN")
    assert "elementINwork_notes,comments" in journal_query
    assert state["cursor"] is not None and state["pagination"] is None


async def test_incremental_query_uses_servicenow_time(servicenow: Build) -> None:
    integ, _, recorder = servicenow(size=10)
    async with integ:
        _, state = await tickets(integ)
        again, _ = await tickets(integ, state)
    assert again == []
    query = recorder.to(INCIDENTS)[-1].url.params["sysparm_query"]
    # cursor minus the one-minute look-back, in ServiceNow's UTC "yyyy-MM-dd HH:mm:ss"
    since = state["cursor"][:19].replace("T", " ")
    assert "sys_updated_on>=" in query
    stamp = query.split("sys_updated_on>=")[1].split("^")[0]
    assert len(stamp) == 19 and stamp < since and stamp[:13] <= since[:13]


async def test_state_changed_in_servicenow_flows_back(servicenow: Build) -> None:
    """An analyst puts ARIA's incident on hold, then resolves another, through the Table
    API: the next incremental sync returns exactly those with the new risk status."""
    integ, app, _ = servicenow(size=20)
    sandbox = app.state.servicenow
    open_ones = [r for r in sandbox.aria_incidents() if r["state"] in ("1", "2")]
    held, resolved = open_ones[0], open_ones[1]
    async with integ:
        _, state = await tickets(integ)
        answer = await as_analyst(app, "PATCH", f"{INCIDENTS}/{held['sys_id']}", {"state": "3"})
        assert answer.status_code == 200 and answer.json()["result"]["state"] == "3"
        answer = await as_analyst(
            app,
            "PATCH",
            f"{INCIDENTS}/{resolved['sys_id']}",
            {
                "state": "6",
                "close_code": "Solution provided",
                "close_notes": "Port closed.",
                "work_notes": "Done.",
            },
        )
        assert answer.status_code == 200
        changed, _ = await tickets(integ, state)
    got = {t.key: t for t in changed}
    assert set(got) == {held["number"], resolved["number"]}
    assert (got[held["number"]].state, got[held["number"]].risk_status) == ("3", "in_progress")
    assert got[held["number"]].risk_id == int(held["correlation_id"].split("-")[-1])
    assert (got[resolved["number"]].state, got[resolved["number"]].risk_status) == ("6", "closed")
    last = got[resolved["number"]].comments[-1]
    assert (last.body, last.author, last.from_aria) == ("Done.", "beth.anglin", False)


async def test_inbound_mapping_follows_the_config(servicenow: Build) -> None:
    """An installation that maps open to In Progress (2) and in_progress to On Hold (3):
    its own outbound values win over ServiceNow's defaults, the rest keep their meaning."""
    integ, app, _ = servicenow(size=20, config={"state_mapping": {"open": "2", "in_progress": "3"}})
    first, second = [r for r in app.state.servicenow.aria_incidents() if r["state"] == "1"][:2]
    for record, state in ((first, "2"), (second, "3")):
        answer = await as_analyst(app, "PATCH", f"{INCIDENTS}/{record['sys_id']}", {"state": state})
        assert answer.status_code == 200
    async with integ:
        records, _ = await tickets(integ)
    statuses = {t.state: t.risk_status for t in records}
    assert statuses["2"] == "open" and statuses["3"] == "in_progress"
    assert statuses["6"] == "closed" and statuses["1"] == "open"


# --- push ----------------------------------------------------------------------------------


async def test_push_creates_an_incident(servicenow: Build) -> None:
    integ, app, recorder = servicenow(
        config={"assignment_group": "Security Operations", "caller_id": "Beth Anglin"}
    )
    sandbox = app.state.servicenow
    async with integ:
        result = await integ.push(risk(link="https://aria.example/risks/77"))
    assert result.ok and result.external_id and result.external_id.startswith("INC")
    record = sandbox.find(result.external_id)
    assert result.details["url"].endswith(f"incident.do?sys_id={record['sys_id']}")
    assert result.details["status"] == "1" and result.details["sys_id"] == record["sys_id"]
    assert record["short_description"] == "[ARIA risk 77] Exposed RDP on jump host"
    assert "Risk score: 10 (likelihood 5, impact 2)" in record["description"]
    assert (record["urgency"], record["impact"], record["priority"]) == ("1", "3", "3")
    assert (record["correlation_id"], record["correlation_display"]) == ("aria-risk-77", "ARIA")
    assert record["assignment_group"] == GROUP_ID and record["caller_id"] != ""
    (note,) = [j for j in sandbox.data.journal if j["element_id"] == record["sys_id"]]
    assert note["element"] == "work_notes" and note["value"].startswith("[ARIA] Opened by ARIA")
    assert "https://aria.example/risks/77" in note["value"]
    assert len(recorder.to(INCIDENTS, "POST")) == 1


async def test_push_create_is_not_repeated_for_the_same_risk(servicenow: Build) -> None:
    """A create whose answer was lost leaves an incident: the next push for that risk (no
    ticket linked yet) finds it by correlation id instead of opening a second one."""
    integ, _, recorder = servicenow()
    async with integ:
        first = await integ.push(risk(risk_id=5))
        again = await integ.push(risk(risk_id=5))
    assert again.external_id == first.external_id and "already New" in again.message
    assert len(recorder.to(INCIDENTS, "POST")) == 1


async def test_close_resolves_with_code_and_notes_then_reopen(servicenow: Build) -> None:
    integ, app, recorder = servicenow()
    sandbox = app.state.servicenow
    async with integ:
        created = await integ.push(risk())
        key = created.external_id
        closed = await integ.push(
            risk(action="close", ticket=linked(key), status_reason="port closed on jump-01")
        )
        again = await integ.push(risk(action="close", ticket=linked(key)))
        reopened = await integ.push(risk(action="reopen", ticket=linked(key)))
    record = sandbox.find(key)
    assert closed.ok and closed.details["status"] == "6" and closed.external_id == key
    assert "already Resolved" in again.message
    assert reopened.details["status"] == "1" and record["state"] == "1"
    assert record["reopen_count"] == "1"
    resolve_body = sandbox.patched[0][1]
    assert resolve_body["close_code"] == "Solution provided"
    assert resolve_body["close_notes"] == "[ARIA] Risk 77 closed in ARIA: port closed on jump-01"
    assert len(recorder.to(f"{INCIDENTS}/{record['sys_id']}", "PATCH")) == 2  # not the no-op


async def test_close_code_and_closed_state_follow_the_config(servicenow: Build) -> None:
    integ, app, _ = servicenow(
        config={"state_mapping": {"closed": "7"}, "close_code": "Solved (Permanently)"}
    )
    async with integ:
        created = await integ.push(risk())
        closed = await integ.push(risk(action="close", ticket=linked(created.external_id)))
    record = app.state.servicenow.find(created.external_id)
    assert closed.details["status"] == "7" and record["state"] == "7"
    assert record["close_code"] == "Solved (Permanently)" and record["closed_at"]


async def test_reopen_of_a_closed_incident_opens_a_follow_up(servicenow: Build) -> None:
    """Closed incidents are read-only for non-admins, so reopening the risk opens a new
    incident that names the old one."""
    integ, app, _ = servicenow()
    sandbox = app.state.servicenow
    closed = next(r for r in sandbox.aria_incidents() if r["state"] == "7")
    risk_id = int(closed["correlation_id"].split("-")[-1])
    async with integ:
        result = await integ.push(
            risk(risk_id=risk_id, action="reopen", ticket=linked(closed["number"]))
        )
    assert result.ok and result.external_id != closed["number"]
    assert f"{closed['number']} is Closed" in result.message
    fresh = sandbox.find(result.external_id)
    assert fresh["correlation_id"] == closed["correlation_id"] and fresh["state"] == "1"
    note = next(j for j in sandbox.data.journal if j["element_id"] == fresh["sys_id"])
    assert f"Follows {closed['number']}" in note["value"]


async def test_close_without_any_incident_is_skipped(servicenow: Build) -> None:
    integ, _, recorder = servicenow()
    async with integ:
        result = await integ.push(risk(risk_id=99999, action="close"))
    assert result.ok and result.details == {"skipped": True}
    assert not recorder.to(INCIDENTS, "POST") and not any(
        r.method == "PATCH" for r in recorder.requests
    )


async def test_comment_push_adds_a_work_note_that_sync_marks_as_aria(servicenow: Build) -> None:
    integ, app, _ = servicenow(size=5)
    sandbox = app.state.servicenow
    async with integ:
        created = await integ.push(risk())
        ticket = linked(created.external_id)
        result = await integ.push(
            PushRequest(
                kind="comment", payload={"ticket": ticket, "body": "New finding on jump-02."}
            )
        )
        records, _ = await tickets(integ)
    assert result.ok and result.details["field"] == "work_notes"
    assert result.external_id == created.external_id
    record = sandbox.find(created.external_id)
    rows = [j for j in sandbox.data.journal if j["element_id"] == record["sys_id"]]
    assert (
        rows[-1]["value"] == "[ARIA] New finding on jump-02."
        and rows[-1]["element"] == "work_notes"
    )
    mine = next(t for t in records if t.key == created.external_id)
    assert [c.from_aria for c in mine.comments] == [True, True]


async def test_comment_field_can_be_customer_visible(servicenow: Build) -> None:
    integ, app, _ = servicenow(size=5, config={"comment_field": "comments"})
    sandbox = app.state.servicenow
    target = sandbox.aria_incidents()[0]
    async with integ:
        # the sys_id works as a key as well as the number
        result = await integ.push(
            PushRequest(kind="comment", payload={"ticket": linked(target["sys_id"]), "body": "Hi"})
        )
    assert result.details["field"] == "comments"
    assert sandbox.data.journal[-1]["element"] == "comments"


async def test_servicenow_error_text_reaches_the_push_error(servicenow: Build) -> None:
    """A work note on a Closed incident is refused by an ACL (403 in ServiceNow's envelope):
    the error quotes ServiceNow's message and detail."""
    integ, app, _ = servicenow()
    closed = next(r for r in app.state.servicenow.aria_incidents() if r["state"] == "7")
    async with integ:
        with pytest.raises(AuthError) as info:
            await integ.push(
                PushRequest(
                    kind="comment", payload={"ticket": linked(closed["number"]), "body": "x"}
                )
            )
    assert info.value.status_code == 403
    assert "ServiceNow: Operation Failed: ACL Exception Update Failed" in str(info.value)


async def test_sandbox_enforces_the_resolution_data_policy(servicenow: Build) -> None:
    _, app, _ = servicenow()
    target = next(r for r in app.state.servicenow.aria_incidents() if r["state"] == "2")
    answer = await as_analyst(app, "PATCH", f"{INCIDENTS}/{target['sys_id']}", {"state": "6"})
    assert answer.status_code == 403
    body = answer.json()
    assert body["status"] == "failure" and body["error"]["message"] == "Operation Failed"
    assert "Resolution code, Resolution notes" in body["error"]["detail"]
    missing = await as_analyst(app, "GET", f"{INCIDENTS}/{'0' * 32}")
    assert missing.status_code == 404 and missing.json()["error"]["message"] == "No Record found"


async def test_unknown_ticket_and_kind_are_refused(servicenow: Build) -> None:
    integ, _, _ = servicenow()
    async with integ:
        with pytest.raises(FatalError, match="not found"):
            await integ.push(
                PushRequest(kind="comment", payload={"ticket": linked("INC9999999"), "body": "x"})
            )
        with pytest.raises(FatalError, match="not a ServiceNow incident number"):
            await integ.push(risk(action="close", ticket=linked("INC1^ORnumber=INC2")))
        with pytest.raises(FatalError, match="push kind 'event'"):
            await integ.push(PushRequest(kind="event", payload={}))
        with pytest.raises(FatalError, match="unknown ticket action"):
            await integ.push(risk(action="escalate"))


# --- rate limits ---------------------------------------------------------------------------


async def test_429_retry_after_is_honoured_on_push(servicenow: Build, instant: InstantTime) -> None:
    """Every second call is rate limited: the create waits Retry-After and is sent again (a
    429 means it was not processed), and exactly one incident exists."""
    integ, app, recorder = servicenow(faults=Faults(rate_limit_every=2, retry_after=11))
    async with integ:
        result = await integ.push(risk(risk_id=8))
    assert result.ok and 429 in recorder.statuses
    assert 11.0 in instant.sleeps
    assert (
        len(
            [
                r
                for r in app.state.servicenow.aria_incidents()
                if r["correlation_id"] == "aria-risk-8"
            ]
        )
        == 1
    )


async def test_hourly_rule_headers_and_exhaustion(servicenow: Build) -> None:
    """The instance's REST rate limit rule: X-RateLimit-* on every call; past the hourly
    limit the wait (Retry-After, about an hour) is too long to sleep, so RateLimited."""
    integ, _, recorder = servicenow(size=60, per_hour=3)
    async with integ:
        with pytest.raises(RateLimited) as info:
            await tickets(integ)
    assert recorder.statuses[:3] == [200, 200, 200] and recorder.statuses[3] == 429
    assert info.value.retry_after is not None and info.value.retry_after > 3000
    ok, limited = recorder.responses[0], recorder.responses[3]
    assert ok.headers["X-RateLimit-Limit"] == "3" and ok.headers["X-RateLimit-Rule"]
    assert int(ok.headers["X-RateLimit-Reset"]) > 0
    assert float(limited.headers["Retry-After"]) == info.value.retry_after
    assert limited.json()["status"] == "failure"
    assert limited.json()["error"]["message"] == "Rate limit exceeded"
