"""Zendesk end to end through its sandbox: credentials, the connection probe, pushes (create,
move, follow-up, comment), the tickets stream after an agent's change, search, rate limits."""

from __future__ import annotations

import base64
from typing import Any

import httpx
import pytest

from aria.integrations.zendesk import Zendesk, ZendeskConfig
from aria.integrations.zendesk.sandbox import ANALYST_TOKEN, DEMO, DEMO_OAUTH_TOKEN, make_sandbox
from aria.sdk import (
    ConfigError,
    FatalError,
    PushRequest,
    QueryRequest,
    SyncOptions,
    Ticket,
)
from aria.sdk.sandbox import Faults
from aria.sdk.testing import InstantTime
from tests.integrations.zendesk.conftest import Build

pytestmark = pytest.mark.anyio
EXPORT = "/api/v2/incremental/tickets/cursor.json"
RISK = {
    "risk_id": 4242,
    "title": "Exposed RDP on srv-fin-001",
    "description": "RDP (3389) answers from the internet.",
    "score": 21,
    "likelihood": 5,
    "impact": 4,
    "technique_id": "T1133",
    "link": "https://aria.acme.example/risks/4242",
    "action": "open",
    "ticket": None,
}


async def read_tickets(
    integ: Zendesk, state: dict[str, Any] | None = None
) -> tuple[list[Ticket], dict[str, Any] | None]:
    """Every record of one tickets read and the last state."""
    records: list[Ticket] = []
    last = None
    async for page in integ.sync(
        SyncOptions(streams=["tickets"], state={"tickets": state} if state else {})
    ):
        assert not page.errors, page.errors
        records.extend(page.records)
        last = page.state
    return records, last


def analyst(app: Any) -> httpx.AsyncClient:
    """Another agent working in Zendesk directly (API token of ppatel@acme.example)."""
    pair = base64.b64encode(f"ppatel@acme.example/token:{ANALYST_TOKEN}".encode()).decode()
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="https://aria-demo.zendesk.com",
        headers={"Authorization": f"Basic {pair}"},
    )


# --- metadata and configuration ------------------------------------------------------------


def test_metadata_is_a_complete_ticketing_entry() -> None:
    meta = Zendesk.metadata().model_dump(mode="json")
    assert meta["key"] == "zendesk" and meta["category"] == "ticketing"
    assert {"push", "sync"} <= set(meta["capabilities"]) and meta["data_types"] == ["tickets"]
    assert meta["rate_limits"]["per_minute"] == 200
    where = {r["name"]: r["where_to_find"] for r in meta["config_requirements"]}
    assert all(where.values()), [name for name, text in where.items() if not text]
    assert "Token access" in where["api_token"]
    assert meta["config_schema"]["properties"]["api_token"]["x-secret"]
    assert meta["config_schema"]["properties"]["oauth_access_token"]["x-secret"]


def test_subdomain_fills_the_base_url() -> None:
    config = ZendeskConfig.parse(DEMO)
    assert config.base_url == "https://aria-demo.zendesk.com"
    assert config.state_mapping == {"open": "open", "in_progress": "pending", "closed": "solved"}
    custom = ZendeskConfig.parse({**DEMO, "base_url": "https://support.acme.example"})
    assert custom.base_url == "https://support.acme.example"


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"subdomain": None}, "subdomain"),
        ({"subdomain": "acme.zendesk.com"}, "subdomain"),
        ({"api_token": None}, "api_token"),
        ({"auth_method": "oauth"}, "oauth_access_token"),
        ({"state_mapping": {"open": "new"}}, "state_mapping"),
        ({"state_mapping": {"done": "solved"}}, "state_mapping"),
    ],
)
def test_invalid_settings_name_the_problem(changes: dict[str, Any], problem: str) -> None:
    with pytest.raises(ConfigError) as caught:
        ZendeskConfig.parse({**DEMO, **changes})
    assert problem in str(caught.value)
    assert DEMO["api_token"] not in str(caught.value)


@pytest.mark.parametrize("plan", ["team", "enterprise", "high_volume"])
def test_the_plan_sets_the_request_rate(plan: str) -> None:
    integ = Zendesk({**DEMO, "plan": plan}, mode="sandbox")
    limits = integ.http.limiter.limits  # type: ignore[attr-defined]
    assert limits.per_minute == {"team": 200, "enterprise": 700, "high_volume": 2500}[plan]


async def test_api_token_is_basic_auth_and_oauth_is_bearer(zendesk: Build) -> None:
    integ, _, recorder = zendesk()
    async with integ:
        assert (await integ.test_connection()).ok
    header = recorder.requests[0].headers["authorization"]
    scheme, _, value = header.partition(" ")
    assert scheme == "Basic"
    assert base64.b64decode(value).decode() == f"aria@acme.example/token:{DEMO['api_token']}"

    oauth = {"auth_method": "oauth", "oauth_access_token": DEMO_OAUTH_TOKEN, "api_token": None}
    integ, _, recorder = zendesk(config=oauth)
    async with integ:
        assert (await integ.test_connection()).ok
    assert recorder.requests[0].headers["authorization"] == f"Bearer {DEMO_OAUTH_TOKEN}"


# --- test_connection -----------------------------------------------------------------------


async def test_wrong_token_is_caught_although_users_me_answers_200(zendesk: Build) -> None:
    integ, _, recorder = zendesk(config={"api_token": "zd-wrong-token-value-123456"})
    async with integ:
        result = await integ.test_connection()
    assert recorder.statuses == [200]  # Zendesk's anonymous user, not a 401
    assert not result.ok and "anonymous" in result.message
    assert result.details["status_code"] == 401
    assert "zd-wrong-token-value-123456" not in result.model_dump_json()


async def test_an_agent_is_refused_because_the_export_needs_an_admin(zendesk: Build) -> None:
    integ, _, _ = zendesk(config={"email": "ppatel@acme.example", "api_token": ANALYST_TOKEN})
    async with integ:
        result = await integ.test_connection()
        assert not result.ok and "admin" in result.message
        assert result.details["status_code"] == 403
        with pytest.raises(Exception, match="403"):
            await read_tickets(integ)


# --- push: create, move, follow-up, comment ------------------------------------------------


async def test_push_creates_a_tagged_ticket_and_a_retry_does_not_duplicate_it(
    zendesk: Build,
) -> None:
    integ, app, recorder = zendesk()
    async with integ:
        result = await integ.push(PushRequest(kind="ticket", payload=RISK))
        again = await integ.push(PushRequest(kind="ticket", payload=RISK))
    state = app.state.zendesk
    assert len(state.created) == 1 and len(recorder.to("/api/v2/tickets.json", "POST")) == 1
    sent = state.created[0]
    assert sent["subject"] == "[ARIA risk 4242] Exposed RDP on srv-fin-001"
    assert sent["tags"] == ["aria-risk", "aria-risk-4242"]
    assert sent["external_id"] == "aria-risk-4242"
    assert sent["priority"] == "urgent" and sent["status"] == "open" and sent["type"] == "task"
    assert "Risk score: 21" in sent["comment"]["body"] and "T1133" in sent["comment"]["body"]
    ticket = state.ticket(result.external_id)
    assert ticket["status"] == "open" and ticket["submitter_id"] == 9001
    assert result.ok and result.details == {
        "url": f"https://aria-demo.zendesk.com/agent/tickets/{result.external_id}",
        "status": "open",
        "risk_status": "open",
    }
    assert again.ok and again.external_id == result.external_id


async def test_push_moves_the_ticket_with_the_risk(zendesk: Build) -> None:
    integ, app, recorder = zendesk()
    async with integ:
        created = await integ.push(PushRequest(kind="ticket", payload=RISK))
        linked = {"external_id": created.external_id}
        closed = await integ.push(
            PushRequest(kind="ticket", payload={**RISK, "action": "close", "ticket": linked})
        )
        reopened = await integ.push(
            PushRequest(kind="ticket", payload={**RISK, "action": "reopen", "ticket": linked})
        )
    puts = recorder.to(f"/api/v2/tickets/{created.external_id}.json", "PUT")
    assert [httpx.Response(200, content=r.content).json() for r in puts] == [
        {"ticket": {"status": "solved"}},
        {"ticket": {"status": "open"}},
    ]
    assert closed.details["status"] == "solved" and closed.details["risk_status"] == "closed"
    assert reopened.details["status"] == "open"
    assert app.state.zendesk.ticket(created.external_id)["status"] == "open"


async def test_state_mapping_override_is_used_for_pushes(zendesk: Build) -> None:
    mapping = {"open": "open", "in_progress": "hold", "closed": "closed"}
    integ, app, _ = zendesk(config={"state_mapping": mapping})
    async with integ:
        created = await integ.push(PushRequest(kind="ticket", payload=RISK))
        linked = {"external_id": created.external_id}
        result = await integ.push(
            PushRequest(kind="ticket", payload={**RISK, "action": "close", "ticket": linked})
        )
    assert result.details["status"] == "closed"
    assert app.state.zendesk.ticket(created.external_id)["status"] == "closed"


async def test_reopening_a_closed_ticket_opens_a_follow_up(zendesk: Build) -> None:
    integ, app, _ = zendesk()
    state = app.state.zendesk
    closed = next(t for t in state.data.tickets if t["status"] == "closed")
    async with integ:
        result = await integ.push(
            PushRequest(
                kind="ticket",
                payload={**RISK, "action": "reopen", "ticket": {"external_id": str(closed["id"])}},
            )
        )
        again = await integ.push(
            PushRequest(
                kind="ticket",
                payload={**RISK, "action": "close", "ticket": {"external_id": str(closed["id"])}},
            )
        )
    assert result.ok and result.external_id != str(closed["id"])
    assert result.details["followup_of"] == str(closed["id"])
    assert state.created[-1]["via_followup_source_id"] == closed["id"]
    assert int(result.external_id) in closed["followup_ids"]
    assert again.ok and again.external_id == str(closed["id"])  # closing a closed ticket
    assert "already closed" in again.message


async def test_push_to_a_missing_ticket_reports_it(zendesk: Build) -> None:
    integ, _, _ = zendesk()
    async with integ:
        result = await integ.push(
            PushRequest(kind="ticket", payload={**RISK, "ticket": {"external_id": "999999"}})
        )
        with pytest.raises(ConfigError):
            await integ.push(
                PushRequest(kind="ticket", payload={**RISK, "ticket": {"external_id": "../x"}})
            )
    assert not result.ok and "not found" in result.message


async def test_comment_is_a_private_note_marked_as_aria_on_sync(zendesk: Build) -> None:
    integ, app, recorder = zendesk()
    async with integ:
        created = await integ.push(PushRequest(kind="ticket", payload=RISK))
        linked = {"external_id": created.external_id}
        result = await integ.push(
            PushRequest(kind="comment", payload={"ticket": linked, "body": "Patched, verifying."})
        )
        records, _ = await read_tickets(integ)
    put = recorder.to(f"/api/v2/tickets/{created.external_id}.json", "PUT")[-1]
    assert httpx.Response(200, content=put.content).json() == {
        "ticket": {"comment": {"body": "Patched, verifying.", "public": False}}
    }
    assert result.ok and result.details["comment_id"]
    note = app.state.zendesk.data.comments[int(created.external_id)][-1]
    assert note["public"] is False and note["author_id"] == 9001
    ticket = next(t for t in records if t.source_uid == created.external_id)
    assert [(c.body, c.from_aria) for c in ticket.comments][-1] == ("Patched, verifying.", True)


async def test_unknown_push_kind_and_bad_comment_are_refused(zendesk: Build) -> None:
    integ, _, _ = zendesk()
    async with integ:
        with pytest.raises(FatalError):
            await integ.push(PushRequest(kind="event", payload={}))
        with pytest.raises(ConfigError):
            await integ.push(
                PushRequest(kind="comment", payload={"ticket": {"external_id": "1001"}})
            )


# --- the tickets stream --------------------------------------------------------------------


async def test_sync_sees_an_agents_status_change(zendesk: Build) -> None:
    integ, app, recorder = zendesk(size=30)
    async with integ:
        created = await integ.push(PushRequest(kind="ticket", payload=RISK))
        first, state = await read_tickets(integ)
        assert len(first) == 31  # 30 seeded ARIA tickets + the new one; customers skipped
        assert all("aria-risk" in t.raw["tags"] for t in first)
        async with analyst(app) as client:
            response = await client.put(
                f"/api/v2/tickets/{created.external_id}.json",
                json={"ticket": {"status": "pending", "comment": {"body": "On it"}}},
            )
            assert response.status_code == 200
        second, _ = await read_tickets(integ, state)
    assert [t.source_uid for t in second] == [created.external_id]
    ticket = second[0]
    assert ticket.state == "pending" and ticket.risk_status == "in_progress"
    assert ticket.risk_id == 4242 and ticket.key == created.external_id
    assert ticket.url == f"https://aria-demo.zendesk.com/agent/tickets/{created.external_id}"
    assert [(c.body, c.from_aria) for c in ticket.comments][-1] == ("On it", False)
    # The second read started from the saved cursor, not from the beginning.
    starts = [
        int(r.url.params["start_time"]) for r in recorder.to(EXPORT) if "start_time" in r.url.params
    ]
    assert starts[0] == 0 and starts[-1] > 0


async def test_sync_maps_states_through_an_override(zendesk: Build) -> None:
    mapping = {"open": "open", "in_progress": "hold", "closed": "closed"}
    integ, app, _ = zendesk(size=10, config={"state_mapping": mapping})
    target = app.state.zendesk.data.tickets[0]
    async with integ:
        _, state = await read_tickets(integ)
        async with analyst(app) as client:
            await client.put(
                f"/api/v2/tickets/{target['id']}.json", json={"ticket": {"status": "hold"}}
            )
        records, _ = await read_tickets(integ, state)
    assert [(t.source_uid, t.state, t.risk_status) for t in records] == [
        (str(target["id"]), "hold", "in_progress")
    ]


async def test_start_time_never_asks_for_the_last_minute(
    zendesk: Build, instant: InstantTime
) -> None:
    integ, _, recorder = zendesk(size=5)
    async with integ:
        await read_tickets(integ, {"cursor": "2999-01-01T00:00:00Z"})
    start = int(recorder.to(EXPORT)[0].url.params["start_time"])
    assert start == int(instant.clock()) - 60


async def test_comments_can_be_turned_off(zendesk: Build) -> None:
    integ, _, recorder = zendesk(size=10, config={"include_comments": False})
    async with integ:
        records, _ = await read_tickets(integ)
    assert len(records) == 10 and all(not t.comments for t in records)
    assert all("/comments" not in r.url.path for r in recorder.requests)


async def test_export_pages_are_paced_at_ten_a_minute(zendesk: Build, instant: InstantTime) -> None:
    # 120 ARIA tickets at 5 a page: 30 export pages, three times the export's minute quota.
    integ, _, recorder = zendesk(
        size=120, limits=True, config={"page_size": 5, "include_comments": False}
    )
    async with integ:
        records, _ = await read_tickets(integ)
    assert len(records) == 120
    assert 429 not in recorder.statuses  # the integration stayed under the sandbox's quota
    assert sum(instant.sleeps) >= 29 * 6 - 0.1  # 30 calls, one every six seconds


async def test_429_retry_after_from_a_shared_quota_is_honoured(
    zendesk: Build, instant: InstantTime
) -> None:
    # 40 ARIA tickets (50 in all) at 5 a page: ten export calls, the whole minute's quota.
    app = make_sandbox(size=40, limits=True, clock=instant.clock, sleep=instant.sleep)
    other, _, _ = zendesk(app=app, config={"page_size": 5, "include_comments": False})
    integ, _, recorder = zendesk(app=app, config={"page_size": 5, "include_comments": False})
    async with other, integ:
        await read_tickets(other)  # another installation used this minute's export quota
        records, _ = await read_tickets(integ)
    assert len(records) == 40
    limited = [i for i, s in enumerate(recorder.statuses) if s == 429]
    assert limited, "the shared quota should have been exhausted"
    assert all(recorder.requests[i].url.path == EXPORT for i in limited)
    assert integ.metrics.rate_limited == len(limited)
    for index in limited:  # the retry came no sooner than the sandbox asked
        wait = float(recorder.responses[index].headers["Retry-After"])
        assert recorder.times[index + 1] - recorder.times[index] >= wait


async def test_injected_429_waits_for_retry_after(zendesk: Build, instant: InstantTime) -> None:
    integ, _, recorder = zendesk(size=10, faults=Faults(rate_limit_every=3, retry_after=42))
    async with integ:
        records, _ = await read_tickets(integ)
    assert len(records) == 10 and 429 in recorder.statuses
    assert 42.0 in instant.sleeps


# --- search ----------------------------------------------------------------------------------


async def test_search_query_pages_with_a_cursor(zendesk: Build) -> None:
    integ, app, recorder = zendesk(size=150)
    pending = [
        t
        for t in app.state.zendesk.data.tickets
        if t["status"] == "pending" and "aria-risk" in t["tags"]
    ]
    async with integ:
        everything = await integ.query(QueryRequest(type="search", limit=1000))
        result = await integ.query(
            QueryRequest(type="search", params={"query": "status:pending tags:aria-risk"})
        )
    assert len(everything.records) == 150 and not everything.truncated
    searches = recorder.to("/api/v2/search/export.json")
    assert searches[0].url.params["query"] == "tags:aria-risk"
    assert searches[0].url.params["filter[type]"] == "ticket"
    assert "page[after]" in searches[1].url.params  # 150 results: two pages of 100
    assert sorted(int(t.source_uid) for t in result.records) == sorted(t["id"] for t in pending)
    assert all(t.risk_status == "in_progress" for t in result.records)


async def test_query_rejects_unknown_parameters(zendesk: Build) -> None:
    integ, _, _ = zendesk()
    async with integ:
        with pytest.raises(ConfigError, match="unknown query parameters"):
            await integ.query(QueryRequest(type="search", params={"filter": "x"}))
