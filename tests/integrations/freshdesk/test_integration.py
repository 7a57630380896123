"""Freshdesk end to end through its sandbox: the API key, the tickets stream with
conversations, pushes (create, resolve, reopen, notes), status changes made by an agent
flowing back, the status mapping, error bodies and rate limits."""

from __future__ import annotations

import base64
from typing import Any

import httpx
import pytest

from aria.integrations.freshdesk import Freshdesk, FreshdeskConfig
from aria.integrations.freshdesk.config import PLAN_LIMITS
from aria.integrations.freshdesk.sandbox import DEMO
from aria.integrations.freshdesk.streams import MAX_LIST_PAGE, CappedLinkHeader
from aria.sdk import (
    ConfigError,
    FatalError,
    PushRequest,
    RateLimited,
    SyncOptions,
    Ticket,
)
from aria.sdk.sandbox import Faults
from aria.sdk.testing import InstantTime
from tests.integrations.freshdesk.conftest import Build, as_agent

pytestmark = pytest.mark.anyio
TICKETS = "/api/v2/tickets"


def risk(risk_id: int = 77, action: str = "open", ticket: Any = None, **extra: Any) -> Any:
    """The payload ARIA's risk flow sends (see aria.grc.flows.risk_payload)."""
    payload = {
        "action": action,
        "risk_id": risk_id,
        "title": "Exposed RDP on jump host",
        "description": "RDP (3389) is reachable from the internet on jump-01.",
        "status": "open",
        "status_reason": None,
        "likelihood": 4,
        "impact": 4,
        "score": 16,
        "technique_id": "T1133",
        "created_at": "2025-06-01T10:00:00+00:00",
        "ticket": ticket,
        "findings": [],
    }
    return PushRequest(kind="ticket", payload={**payload, **extra})


def linked(external_id: str) -> dict[str, Any]:
    return {"installation_id": "i-1", "integration": "freshdesk", "external_id": external_id}


async def tickets(
    integ: Freshdesk, state: dict[str, Any] | None = None
) -> tuple[list[Ticket], Any]:
    """Every record of one tickets read, and its last checkpoint."""
    records: list[Ticket] = []
    last: Any = None
    options = SyncOptions(streams=["tickets"], state={"tickets": state} if state else {})
    async for page in integ.sync(options):
        assert not page.errors, page.errors
        records.extend(page.records)
        last = page.state
    return records, last


# --- metadata and configuration ------------------------------------------------------------


def test_metadata_is_a_complete_catalog_entry() -> None:
    meta = Freshdesk.metadata().model_dump(mode="json")
    assert meta["key"] == "freshdesk" and meta["category"] == "ticketing"
    assert {"push", "sync"} <= set(meta["capabilities"]) and meta["data_types"] == ["tickets"]
    assert meta["version"] == "1.0.0" and meta["status"] == "official"
    assert meta["auth_methods"] == ["api_key"] and meta["webhook_support"] is False
    assert meta["rate_limits"]["per_minute"] == 200
    assert all(r["where_to_find"] for r in meta["config_requirements"])
    assert meta["config_schema"]["properties"]["api_key"]["x-secret"]
    assert "<svg" in meta["logo_svg"] and "<text" not in meta["logo_svg"]


def test_config_is_cleaned_and_validated() -> None:
    assert FreshdeskConfig.parse({**DEMO, "base_url": "acme"}).base_url == (
        "https://acme.freshdesk.com"
    )
    assert FreshdeskConfig.parse(
        {**DEMO, "base_url": "https://acme.freshdesk.com/a/"}
    ).base_url == ("https://acme.freshdesk.com")
    merged = FreshdeskConfig.parse({**DEMO, "state_mapping": {"closed": "5"}}).state_mapping
    assert merged == {"open": "2", "in_progress": "3", "closed": "5"}
    for bad in ({"state_mapping": {"closed": "Resolved"}}, {"requester_email": "nobody"}):
        with pytest.raises(ConfigError) as info:
            FreshdeskConfig.parse({**DEMO, **bad})
        assert set(info.value.fields) == set(bad)


def test_rate_limit_follows_the_plan() -> None:
    for plan in ("trial", "growth", "estate"):
        integ = Freshdesk({**DEMO, "plan": plan}, mode="sandbox")
        assert integ.rate_limits == PLAN_LIMITS[plan]
    assert PLAN_LIMITS["trial"].per_minute == 50 and PLAN_LIMITS["estate"].per_hour == 5000
    assert Freshdesk.rate_limits == PLAN_LIMITS["growth"]  # the class keeps the catalog value


# --- connection ----------------------------------------------------------------------------


async def test_connection_uses_the_key_as_basic_user(freshdesk: Build) -> None:
    integ, _, recorder = freshdesk()
    async with integ:
        result = await integ.test_connection()
    assert result.ok, result.message
    (call,) = recorder.requests
    assert call.url.path == "/api/v2/agents/me"
    scheme, _, value = call.headers["authorization"].partition(" ")
    assert scheme == "Basic" and base64.b64decode(value).decode() == f"{DEMO['api_key']}:X"
    assert recorder.responses[0].headers["X-RateLimit-Total"] == "700"
    assert "X-RateLimit-Used-CurrentRequest" in recorder.responses[0].headers


async def test_wrong_key_fails_cleanly(freshdesk: Build) -> None:
    integ, _, recorder = freshdesk(config={"api_key": "wrong-Key-0000"})
    async with integ:
        result = await integ.test_connection()
    assert not result.ok and result.details["status_code"] == 401
    assert "wrong-Key-0000" not in result.model_dump_json()
    assert recorder.responses[0].json()["code"] == "invalid_credentials"


# --- the tickets stream --------------------------------------------------------------------


async def test_tickets_are_arias_with_conversations(freshdesk: Build) -> None:
    integ, app, recorder = freshdesk(size=40)
    sandbox = app.state.freshdesk
    async with integ:
        records, state = await tickets(integ)
    expected = sandbox.aria_tickets()
    assert len(sandbox.data.tickets) == 50  # 10 customer tickets are read and dropped
    assert sorted(int(t.key) for t in records) == sorted(t["id"] for t in expected)
    by_id = {str(t["id"]): t for t in expected}
    for ticket in records:
        row = by_id[ticket.key]
        assert ticket.state == str(row["status"])
        assert ticket.risk_status == integ.mapping.risk_status(row["status"])
        assert ticket.risk_id == int(row["tags"][1].removeprefix("aria-risk-"))
        assert ticket.url == f"{DEMO['base_url']}/a/tickets/{row['id']}"
        conversations = [c for c in sandbox.data.conversations if c["ticket_id"] == row["id"]]
        assert len(ticket.comments) == len(conversations)
        assert not any(c.from_aria for c in ticket.comments)
    lists = recorder.to(TICKETS)
    first = lists[0].url.params
    assert first["order_by"] == "updated_at" and first["order_type"] == "asc"
    assert first["per_page"] == "25" and first["updated_since"] == "2000-01-01T00:00:00Z"
    assert [r.url.params.get("page", "1") for r in lists] == ["1", "2"]
    assert all(r.url.params["updated_since"] == first["updated_since"] for r in lists)
    conversation_calls = [r for r in recorder.requests if r.url.path.endswith("/conversations")]
    assert len(conversation_calls) == len(expected)  # customers' tickets are not opened
    assert state["cursor"] is not None and state["pagination"] is None


async def test_incremental_read_sends_updated_since(freshdesk: Build) -> None:
    integ, _, recorder = freshdesk(size=10)
    async with integ:
        _, state = await tickets(integ)
        again, _ = await tickets(integ, state)
    assert again == []
    since = recorder.to(TICKETS)[-1].url.params["updated_since"]
    assert since.endswith("Z") and len(since) == 20 and since < state["cursor"]


async def test_status_changed_by_an_agent_flows_back(freshdesk: Build) -> None:
    """An agent sets one ARIA ticket to Pending and resolves another with a note, through the
    Freshdesk API: the next incremental sync returns exactly those with the new status."""
    integ, app, _ = freshdesk(size=20)
    open_ones = [t for t in app.state.freshdesk.aria_tickets() if t["status"] == 2]
    pending, resolved = open_ones[0], open_ones[1]
    async with integ:
        _, state = await tickets(integ)
        answer = await as_agent(app, "PUT", f"{TICKETS}/{pending['id']}", {"status": 3})
        assert answer.status_code == 200 and answer.json()["status"] == 3
        answer = await as_agent(app, "PUT", f"{TICKETS}/{resolved['id']}", {"status": 4})
        assert answer.status_code == 200
        note = {"body": "<p>Closed the port.</p>", "private": True}
        assert (
            await as_agent(app, "POST", f"{TICKETS}/{resolved['id']}/notes", note)
        ).status_code == 201
        changed, _ = await tickets(integ, state)
    got = {t.key: t for t in changed}
    assert set(got) == {str(pending["id"]), str(resolved["id"])}
    assert (got[str(pending["id"])].state, got[str(pending["id"])].risk_status) == (
        "3",
        "in_progress",
    )
    assert got[str(pending["id"])].risk_id == int(pending["tags"][1].split("-")[-1])
    assert (got[str(resolved["id"])].state, got[str(resolved["id"])].risk_status) == ("4", "closed")
    last = got[str(resolved["id"])].comments[-1]
    assert (last.body, last.author, last.from_aria) == ("Closed the port.", "43000000102", False)


async def test_custom_status_in_the_mapping_flows_both_ways(freshdesk: Build) -> None:
    """A custom status (6, "Waiting on Third Party") mapped to in_progress."""
    integ, app, _ = freshdesk(size=5, config={"state_mapping": {"in_progress": "6"}})
    target = app.state.freshdesk.aria_tickets()[0]
    async with integ:
        answer = await as_agent(app, "PUT", f"{TICKETS}/{target['id']}", {"status": 6})
        assert answer.status_code == 200
        records, _ = await tickets(integ)
    mine = next(t for t in records if t.key == str(target["id"]))
    assert (mine.state, mine.risk_status) == ("6", "in_progress")


async def test_page_cap_stops_before_page_300(freshdesk: Build) -> None:
    """Freshdesk serves at most 300 pages: a Link to page 301 is not followed."""
    pages = CappedLinkHeader()
    request = httpx.Request("GET", f"{DEMO['base_url']}{TICKETS}?page={MAX_LIST_PAGE}")
    last = httpx.Response(
        200,
        headers={"Link": f'<{DEMO["base_url"]}{TICKETS}?page={MAX_LIST_PAGE + 1}>; rel="next"'},
        request=request,
    )
    assert pages.next_link(last, []) is None
    earlier = httpx.Request("GET", f"{DEMO['base_url']}{TICKETS}?page=2")
    more = httpx.Response(
        200, headers={"Link": f'<{DEMO["base_url"]}{TICKETS}?page=3>; rel="next"'}, request=earlier
    )
    assert pages.next_link(more, []) == f"{DEMO['base_url']}{TICKETS}?page=3"
    _, app, _ = freshdesk(size=2)
    answer = await as_agent(app, "GET", f"{TICKETS}?page={MAX_LIST_PAGE + 1}")
    assert answer.status_code == 400 and answer.json()["errors"][0]["field"] == "page"


# --- push ----------------------------------------------------------------------------------


async def test_push_creates_a_ticket(freshdesk: Build) -> None:
    integ, app, recorder = freshdesk()
    sandbox = app.state.freshdesk
    async with integ:
        result = await integ.push(risk(link="https://aria.example/risks/77"))
    assert result.ok and result.external_id and result.external_id.isdigit()
    assert result.details["url"] == f"{DEMO['base_url']}/a/tickets/{result.external_id}"
    assert result.details["status"] == "2" and result.details["status_name"] == "Open"
    (sent,) = recorder.bodies(TICKETS, "POST")
    assert sent["subject"] == "[ARIA risk 77] Exposed RDP on jump host"
    assert sent["email"] == DEMO["requester_email"] and sent["group_id"] == DEMO["group_id"]
    assert (sent["priority"], sent["status"], sent["source"]) == (3, 2, 2)
    assert sent["tags"] == ["aria-risk", "aria-risk-77"]
    assert sent["description"].startswith("<div>") and "<br>Risk score: 16" in sent["description"]
    assert '<a href="https://aria.example/risks/77">' in sent["description"]
    record = sandbox.find(result.external_id)
    assert record["tags"] == ["aria-risk", "aria-risk-77"]
    assert "ARIA risk id: 77" in record["description_text"]


async def test_push_create_is_not_repeated_for_the_same_risk(freshdesk: Build) -> None:
    integ, _, recorder = freshdesk()
    async with integ:
        first = await integ.push(risk(risk_id=5))
        again = await integ.push(risk(risk_id=5))
    assert again.external_id == first.external_id and "already Open" in again.message
    assert len(recorder.to(TICKETS, "POST")) == 1
    query = recorder.to("/api/v2/search/tickets")[0].url.params["query"]
    assert query == "\"tag:'aria-risk-5'\""


async def test_close_resolves_with_a_note_then_reopen(freshdesk: Build) -> None:
    integ, app, recorder = freshdesk()
    sandbox = app.state.freshdesk
    async with integ:
        created = await integ.push(risk())
        key = created.external_id
        closed = await integ.push(
            risk(action="close", ticket=linked(key), status_reason="port closed on jump-01")
        )
        again = await integ.push(risk(action="close", ticket=linked(key)))
        reopened = await integ.push(risk(action="reopen", ticket=linked(key)))
    assert closed.details["status"] == "4" and "already Resolved" in again.message
    assert reopened.details["status"] == "2" and sandbox.find(key)["status"] == 2
    assert recorder.bodies(f"{TICKETS}/{key}", "PUT") == [{"status": 4}, {"status": 2}]
    notes = recorder.bodies(f"{TICKETS}/{key}/notes", "POST")
    assert [n["private"] for n in notes] == [True, True]
    assert "[ARIA] Risk 77 closed in ARIA: port closed on jump-01" in notes[0]["body"]
    assert "[ARIA] Risk 77 reopened in ARIA" in notes[1]["body"]


async def test_closed_status_follows_the_config(freshdesk: Build) -> None:
    integ, app, _ = freshdesk(config={"state_mapping": {"closed": "5"}})
    async with integ:
        created = await integ.push(risk())
        closed = await integ.push(risk(action="close", ticket=linked(created.external_id)))
    assert closed.details["status"] == "5"
    assert app.state.freshdesk.find(created.external_id)["status"] == 5


async def test_close_without_any_ticket_is_skipped(freshdesk: Build) -> None:
    integ, _, recorder = freshdesk()
    async with integ:
        result = await integ.push(risk(risk_id=99999, action="close"))
    assert result.ok and result.details == {"skipped": True}
    assert not recorder.to(TICKETS, "POST") and not any(
        r.method == "PUT" for r in recorder.requests
    )


async def test_comment_push_adds_a_private_note_that_sync_marks_as_aria(freshdesk: Build) -> None:
    integ, app, _ = freshdesk(size=5)
    async with integ:
        created = await integ.push(risk())
        result = await integ.push(
            PushRequest(
                kind="comment",
                payload={"ticket": linked(created.external_id), "body": "New finding <jump-02>."},
            )
        )
        records, _ = await tickets(integ)
    assert result.ok and result.external_id == created.external_id and result.details["note_id"]
    note = app.state.freshdesk.data.conversations[-1]
    assert note["private"] and note["body"] == "<div>[ARIA] New finding &lt;jump-02&gt;.</div>"
    mine = next(t for t in records if t.key == created.external_id)
    assert [(c.body, c.from_aria) for c in mine.comments] == [
        ("[ARIA] New finding <jump-02>.", True)
    ]


async def test_freshdesk_error_text_reaches_the_push_error(freshdesk: Build) -> None:
    """A status the helpdesk does not have is refused with Freshdesk's validation body."""
    integ, _, _ = freshdesk(config={"state_mapping": {"closed": "9"}})
    async with integ:
        created = await integ.push(risk())
        with pytest.raises(FatalError) as info:
            await integ.push(risk(action="close", ticket=linked(created.external_id)))
    assert info.value.status_code == 400
    assert "Freshdesk: Validation failed; status: It should be one of these values" in str(
        info.value
    )
    assert "(invalid_value)" in str(info.value)


async def test_unknown_ticket_and_kind_are_refused(freshdesk: Build) -> None:
    integ, _, _ = freshdesk()
    async with integ:
        with pytest.raises(FatalError, match="was not found"):
            await integ.push(
                PushRequest(kind="comment", payload={"ticket": linked("99999"), "body": "x"})
            )
        with pytest.raises(FatalError, match="not a Freshdesk ticket id"):
            await integ.push(risk(action="close", ticket=linked("12/notes")))
        with pytest.raises(FatalError, match="push kind 'event'"):
            await integ.push(PushRequest(kind="event", payload={}))
        with pytest.raises(FatalError, match="unknown ticket action"):
            await integ.push(risk(action="escalate"))


async def test_deleted_ticket_is_recreated_on_reopen(freshdesk: Build) -> None:
    integ, app, _ = freshdesk()
    async with integ:
        result = await integ.push(risk(risk_id=31, action="reopen", ticket=linked("999999")))
    assert result.ok and result.external_id != "999999"
    assert app.state.freshdesk.find(result.external_id)["tags"] == ["aria-risk", "aria-risk-31"]


# --- rate limits ---------------------------------------------------------------------------


async def test_429_retry_after_is_honoured(freshdesk: Build, instant: InstantTime) -> None:
    """The account's per-minute limit runs out mid-sync: Freshdesk answers 429 with
    Retry-After, the integration waits that long (on the fake clock) and completes."""
    integ, _, recorder = freshdesk(size=30, per_minute=5, config={"plan": "enterprise"})
    async with integ:
        records, _ = await tickets(integ)
    assert len(records) == 30
    limited = [r for r in recorder.responses if r.status_code == 429]
    assert limited and all(r.headers["X-RateLimit-Remaining"] == "0" for r in limited)
    waits = {float(r.headers["Retry-After"]) for r in limited}
    assert waits and set(instant.sleeps) & waits


async def test_429_on_create_is_retried_once_processed(
    freshdesk: Build, instant: InstantTime
) -> None:
    integ, app, recorder = freshdesk(faults=Faults(rate_limit_every=2, retry_after=13))
    async with integ:
        result = await integ.push(risk(risk_id=8))
    assert result.ok and 429 in recorder.statuses and 13.0 in instant.sleeps
    assert len([t for t in app.state.freshdesk.data.tickets if "aria-risk-8" in t["tags"]]) == 1


async def test_429_that_never_ends_raises_rate_limited(freshdesk: Build) -> None:
    integ, _, _ = freshdesk(faults=Faults(rate_limit_every=1, retry_after=5))
    async with integ:
        with pytest.raises(RateLimited):
            await tickets(integ)
