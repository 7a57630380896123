"""Linear end to end through its sandbox: credentials, GraphQL errors as SDK errors, pushes,
the tickets stream after a teammate's change, comments, and rate limits."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from aria.integrations.linear import Linear, LinearConfig
from aria.integrations.linear.graphql import execute
from aria.integrations.linear.sandbox import (
    ANALYST_OAUTH_TOKEN,
    DEMO,
    DEMO_OAUTH_TOKEN,
    READONLY_API_KEY,
)
from aria.integrations.linear.sandbox_data import comment, uid
from aria.sdk import (
    AuthError,
    ConfigError,
    FatalError,
    PushRequest,
    RateLimited,
    SyncOptions,
    Ticket,
    WebhookEvent,
)
from aria.sdk.auth import hmac_sign
from aria.sdk.sandbox import Faults
from aria.sdk.testing import InstantTime
from tests.integrations.linear.conftest import Build, graphql

pytestmark = pytest.mark.anyio
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
    integ: Linear, state: dict[str, Any] | None = None
) -> tuple[list[Ticket], dict[str, Any] | None]:
    records: list[Ticket] = []
    last = None
    async for page in integ.sync(
        SyncOptions(streams=["tickets"], state={"tickets": state} if state else {})
    ):
        assert not page.errors, page.errors
        records.extend(page.records)
        last = page.state
    return records, last


def state_named(app: Any, name: str, team: str = "SEC") -> dict[str, Any]:
    data = app.state.linear.data
    team_id = next(t["id"] for t in data.teams if t["key"] == team)
    return next(s for s in data.states if s["team"]["id"] == team_id and s["name"] == name)


# --- metadata and configuration ------------------------------------------------------------


def test_metadata_is_a_complete_ticketing_entry() -> None:
    meta = Linear.metadata().model_dump(mode="json")
    assert meta["key"] == "linear" and meta["category"] == "ticketing"
    assert {"push", "sync", "webhook"} <= set(meta["capabilities"])
    assert meta["webhook_support"] is True and meta["data_types"] == ["tickets"]
    assert meta["rate_limits"]["per_hour"] == 1500
    where = {r["name"]: r["where_to_find"] for r in meta["config_requirements"]}
    assert all(where.values()), [name for name, text in where.items() if not text]
    assert "Personal API keys" in where["api_key"] and "signing secret" in where["webhook_secret"]
    for secret in ("api_key", "oauth_access_token", "webhook_secret"):
        assert meta["config_schema"]["properties"][secret]["x-secret"]


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"api_key": None}, "api_key"),
        ({"auth_method": "oauth"}, "oauth_access_token"),
        ({"team_key": None}, "team_key"),
        ({"state_mapping": {"done": "Done"}}, "state_mapping"),
        ({"page_size": 500}, "page_size"),
    ],
)
def test_invalid_settings_name_the_problem(changes: dict[str, Any], problem: str) -> None:
    with pytest.raises(ConfigError) as caught:
        LinearConfig.parse({**DEMO, **changes})
    assert problem in str(caught.value) and DEMO["api_key"] not in str(caught.value)


async def test_api_key_is_bare_and_oauth_is_bearer(linear: Build) -> None:
    integ, _, recorder = linear()
    async with integ:
        assert (await integ.test_connection()).ok
    assert recorder.requests[0].headers["authorization"] == DEMO["api_key"]
    assert recorder.requests[0].url.path == "/graphql"

    integ, _, recorder = linear(
        config={"auth_method": "oauth", "oauth_access_token": DEMO_OAUTH_TOKEN, "api_key": None}
    )
    async with integ:
        assert (await integ.test_connection()).ok
    assert recorder.requests[0].headers["authorization"] == f"Bearer {DEMO_OAUTH_TOKEN}"


async def test_a_key_sent_as_bearer_is_refused(linear: Build) -> None:
    response = await graphql(linear()[1], "lin_oauth_" + DEMO["api_key"], "AriaViewer", {})
    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == "AUTHENTICATION_ERROR"


# --- test_connection and GraphQL errors ----------------------------------------------------


async def test_connection_checks_the_team_and_every_mapped_state(linear: Build) -> None:
    integ, _, recorder = linear()
    async with integ:
        assert (await integ.test_connection()).ok
    assert recorder.operations() == ["AriaViewer", "AriaTeams", "AriaWorkflowStates"]
    assert recorder.variables("AriaTeams") == [{"filter": {"key": {"eq": "SEC"}}}]

    integ, _, _ = linear(config={"team_key": "NOPE"})
    async with integ:
        result = await integ.test_connection()
    assert not result.ok and "NOPE" in result.message

    mapping = {"open": "Todo", "in_progress": "Doing", "closed": "Done"}
    integ, _, _ = linear(config={"state_mapping": mapping})
    async with integ:
        result = await integ.test_connection()
    assert not result.ok and "'Doing'" in result.message and "In Review" in result.message


async def test_authentication_error_in_a_400_body_is_an_auth_error(linear: Build) -> None:
    wrong = "lin_api_WrongKey000000000000000000000000"
    integ, _, recorder = linear(config={"api_key": wrong})
    async with integ:
        result = await integ.test_connection()
        with pytest.raises(AuthError) as caught:
            await read_tickets(integ)
    assert recorder.statuses[0] == 400  # Linear's status; the body says why
    assert not result.ok and result.details["status_code"] == 401
    assert caught.value.status_code == 401
    assert wrong not in result.model_dump_json() and wrong not in str(caught.value)


async def test_forbidden_write_is_an_auth_error_with_403(linear: Build) -> None:
    integ, _, _ = linear(config={"api_key": READONLY_API_KEY})
    async with integ:
        assert (await integ.test_connection()).ok  # reading is allowed
        with pytest.raises(AuthError) as caught:
            await integ.push(PushRequest(kind="ticket", payload=RISK))
    assert caught.value.status_code == 403


async def test_invalid_variables_are_a_fatal_error(linear: Build) -> None:
    integ, _, _ = linear()
    async with integ:
        with pytest.raises(FatalError, match="400"):
            await execute(integ.http, "AriaIssues", {"first": "fifty", "filter": {}})
        with pytest.raises(FatalError, match="IssueFilter"):
            await execute(integ.http, "AriaIssues", {"first": 5, "filter": {"priority": {}}})


async def test_unknown_documents_are_refused_by_the_sandbox(linear: Build) -> None:
    _, app, _ = linear()
    from aria.integrations.linear.documents import request_body

    body = request_body("AriaViewer")
    body["query"] = "query AriaViewer { viewer { id apiKeys { nodes { id } } } }"
    import httpx

    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="https://api.linear.app"
    ) as client:
        response = await client.post(
            "/graphql", json=body, headers={"Authorization": DEMO["api_key"]}
        )
    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"


# --- push ----------------------------------------------------------------------------------


async def test_push_creates_a_labelled_issue_and_a_retry_reuses_it(linear: Build) -> None:
    integ, app, recorder = linear()
    async with integ:
        result = await integ.push(PushRequest(kind="ticket", payload=RISK))
        again = await integ.push(PushRequest(kind="ticket", payload=RISK))
    created = recorder.variables("AriaIssueCreate")
    assert len(created) == 1
    sent = created[0]["input"]
    data = app.state.linear.data
    label = next(lb for lb in data.labels if lb["name"] == "aria-risk")
    assert sent["teamId"] == data.teams[0]["id"] and sent["labelIds"] == [label["id"]]
    assert sent["title"] == "[ARIA risk 4242] Exposed RDP on srv-fin-001"
    assert sent["priority"] == 1 and sent["stateId"] == state_named(app, "Todo")["id"]
    assert "**Risk score:** 21" in sent["description"]
    assert "[Open in ARIA](https://aria.acme.example/risks/4242)" in sent["description"]
    assert "ARIA risk id: 4242" in sent["description"]
    issue = app.state.linear.issue(result.external_id)
    assert issue["creatorId"] == data.users["aria"]["id"]
    assert result.ok and result.external_id.startswith("SEC-")
    assert result.details["status"] == "Todo" and result.details["risk_status"] == "open"
    assert result.details["url"] == issue["url"] and result.details["id"] == issue["id"]
    assert again.ok and again.external_id == result.external_id


async def test_the_label_is_created_once_when_missing(linear: Build) -> None:
    integ, app, recorder = linear(size=0, aria_label=False)
    async with integ:
        first = await integ.push(PushRequest(kind="ticket", payload=RISK))
        second = await integ.push(PushRequest(kind="ticket", payload={**RISK, "risk_id": 7}))
    made = recorder.variables("AriaLabelCreate")
    assert len(made) == 1 and made[0]["input"]["name"] == "aria-risk"
    assert "teamId" not in made[0]["input"]  # a workspace label: any team may use it
    labels = [lb for lb in app.state.linear.data.labels if lb["name"] == "aria-risk"]
    assert len(labels) == 1
    for result in (first, second):
        assert app.state.linear.issue(result.external_id)["labels"][0]["id"] == labels[0]["id"]


async def test_push_moves_the_issue_through_the_workflow(linear: Build) -> None:
    integ, app, recorder = linear()
    async with integ:
        created = await integ.push(PushRequest(kind="ticket", payload=RISK))
        linked = {"external_id": created.external_id}
        closed = await integ.push(
            PushRequest(kind="ticket", payload={**RISK, "action": "close", "ticket": linked})
        )
        reopened = await integ.push(
            PushRequest(kind="ticket", payload={**RISK, "action": "reopen", "ticket": linked})
        )
    updates = recorder.variables("AriaIssueUpdate")
    assert [u["id"] for u in updates] == [created.external_id] * 2
    assert [u["input"] for u in updates] == [
        {"stateId": state_named(app, "Done")["id"]},
        {"stateId": state_named(app, "Todo")["id"]},
    ]
    assert closed.details["status"] == "Done" and closed.details["risk_status"] == "closed"
    assert reopened.details["status"] == "Todo"
    assert app.state.linear.issue(created.external_id)["completedAt"] is None


async def test_state_mapping_override_is_used_for_pushes_and_sync(linear: Build) -> None:
    mapping = {"open": "Backlog", "in_progress": "In Review", "closed": "Canceled"}
    integ, app, _ = linear(config={"state_mapping": mapping})
    async with integ:
        created = await integ.push(PushRequest(kind="ticket", payload=RISK))
        linked = {"external_id": created.external_id}
        closed = await integ.push(
            PushRequest(kind="ticket", payload={**RISK, "action": "close", "ticket": linked})
        )
        records, _ = await read_tickets(integ)
    assert created.details["status"] == "Backlog" and closed.details["status"] == "Canceled"
    mine = next(t for t in records if t.key == created.external_id)
    assert mine.state == "Canceled" and mine.risk_status == "closed"
    assert app.state.linear.issue(created.external_id)["canceledAt"] is not None


async def test_push_to_a_missing_issue_reports_it(linear: Build) -> None:
    integ, _, _ = linear()
    async with integ:
        moved = await integ.push(
            PushRequest(kind="ticket", payload={**RISK, "ticket": {"external_id": "SEC-9999"}})
        )
        commented = await integ.push(
            PushRequest(
                kind="comment", payload={"ticket": {"external_id": "SEC-9999"}, "body": "x"}
            )
        )
    assert not moved.ok and "not found" in moved.message
    assert not commented.ok and "not found" in commented.message


async def test_comment_is_posted_and_comes_back_as_aria_s(linear: Build) -> None:
    integ, _, recorder = linear()
    async with integ:
        created = await integ.push(PushRequest(kind="ticket", payload=RISK))
        result = await integ.push(
            PushRequest(
                kind="comment",
                payload={"ticket": {"external_id": created.external_id}, "body": "Patched."},
            )
        )
        records, _ = await read_tickets(integ)
    assert recorder.variables("AriaCommentCreate") == [
        {"input": {"issueId": created.external_id, "body": "Patched."}}
    ]
    assert result.ok and result.external_id == created.external_id
    assert result.details["comment_id"] and result.details["url"]
    ticket = next(t for t in records if t.key == created.external_id)
    assert [(c.body, c.from_aria) for c in ticket.comments] == [("Patched.", True)]


async def test_aria_s_own_comment_webhook_is_marked_after_a_push(linear: Build) -> None:
    integ, app, _ = linear(mode="live")
    aria_user = app.state.linear.data.users["aria"]["id"]
    sent = datetime(2025, 6, 2, 12, 0, tzinfo=UTC)
    payload = {
        "action": "create",
        "type": "Comment",
        "data": {
            "id": "c-1",
            "body": "Patched.",
            "userId": aria_user,
            "createdAt": "2025-06-02T12:00:00.000Z",
            "issue": {"id": "i-1", "identifier": "SEC-1", "title": "[ARIA risk 1] x"},
        },
        "webhookTimestamp": int(sent.timestamp() * 1000),
    }
    body = json.dumps(payload).encode()
    event = WebhookEvent(
        headers={"Linear-Signature": hmac_sign(DEMO["webhook_secret"], body)},
        body=body,
        received_at=sent,
    )
    async with integ:
        before = await integ.handle_webhook(event)
        await integ.push(PushRequest(kind="ticket", payload=RISK))
        after = await integ.handle_webhook(event)
    assert before[0].comments[0].from_aria is False  # ARIA's user is not known yet
    assert after[0].comments[0].from_aria is True


async def test_unknown_push_kind_and_empty_comment_are_refused(linear: Build) -> None:
    integ, _, _ = linear()
    async with integ:
        with pytest.raises(FatalError):
            await integ.push(PushRequest(kind="event", payload={}))
        with pytest.raises(ConfigError):
            await integ.push(
                PushRequest(kind="comment", payload={"ticket": {"external_id": "SEC-1"}})
            )


# --- the tickets stream --------------------------------------------------------------------


async def test_sync_sees_a_teammates_state_change(linear: Build) -> None:
    integ, app, recorder = linear(size=30)
    async with integ:
        created = await integ.push(PushRequest(kind="ticket", payload=RISK))
        first, state = await read_tickets(integ)
        assert len(first) == 31 and all(t.raw["labels"]["nodes"] for t in first)
        assert {n["name"] for t in first for n in t.raw["labels"]["nodes"]} >= {"aria-risk"}
        moved = await graphql(
            app,
            ANALYST_OAUTH_TOKEN,
            "AriaIssueUpdate",
            {
                "id": created.external_id,
                "input": {"stateId": state_named(app, "In Progress")["id"]},
            },
        )
        assert moved.status_code == 200 and moved.json()["data"]["issueUpdate"]["success"]
        second, _ = await read_tickets(integ, state)
    assert [t.key for t in second] == [created.external_id]
    ticket = second[0]
    assert ticket.state == "In Progress" and ticket.risk_status == "in_progress"
    assert ticket.risk_id == 4242 and ticket.url and ticket.url.startswith("https://linear.app/")
    filters = [v["filter"] for v in recorder.variables("AriaIssues")]
    assert filters[-2] == {"labels": {"name": {"eq": "aria-risk"}}}  # the first, full read
    assert filters[-1]["labels"] == {"name": {"eq": "aria-risk"}}
    assert "gte" in filters[-1]["updatedAt"]  # the incremental one starts at the window


async def test_sync_skips_other_issues_and_reads_every_comment(linear: Build) -> None:
    integ, app, recorder = linear(size=10)
    data = app.state.linear.data
    target = next(i for i in data.issues if "aria-risk" in [lb["name"] for lb in i["labels"]])
    analyst = data.users["analyst1"]["id"]
    data.comments[target["id"]] = [
        comment(uid(1, "bulk", n), target, analyst, f"note {n}", data.now + timedelta(minutes=n))
        for n in range(60)
    ]
    async with integ:
        records, _ = await read_tickets(integ)
    assert len(records) == 10  # the team's own issues are filtered out
    ticket = next(t for t in records if t.source_uid == target["id"])
    assert [c.body for c in ticket.comments] == [f"note {n}" for n in range(60)]
    assert recorder.operations().count("AriaIssueComments") == 1  # 25 nested + 35 more


async def test_custom_state_names_map_by_type(linear: Build) -> None:
    integ, app, _ = linear(size=5)
    data = app.state.linear.data
    review = state_named(app, "In Review")
    review["name"] = "Security QA"
    target = data.issues[0]
    target["stateId"] = review["id"]
    async with integ:
        records, _ = await read_tickets(integ)
    ticket = next(t for t in records if t.source_uid == target["id"])
    assert ticket.state == "Security QA" and ticket.risk_status == "in_progress"


# --- rate limits ---------------------------------------------------------------------------


async def drain(app: Any, count: int) -> None:
    """Spend ``count`` requests of ARIA's user bucket from another client (its OAuth app)."""
    for _ in range(count):
        assert (await graphql(app, DEMO_OAUTH_TOKEN, "AriaViewer", {})).status_code == 200


async def test_an_emptied_request_budget_pauses_until_it_refills(
    linear: Build, instant: InstantTime
) -> None:
    # 20 requests an hour: a token every 180 s; the read needs 30 pages of one issue.
    integ, _, recorder = linear(size=30, limits=True, requests_per_hour=20, config={"page_size": 1})
    async with integ:
        records, _ = await read_tickets(integ)
    assert len(records) == 30 and len(recorder.requests) == 30
    assert "RATELIMITED" not in recorder.codes  # paused on the headers instead of bouncing
    gaps = [b - a for a, b in zip(recorder.times, recorder.times[1:], strict=False)]
    assert all(gap >= 180 - 0.01 for gap in gaps[19:]), gaps  # once the 20 are spent


async def test_ratelimited_answer_is_retried_after_the_reset(
    linear: Build, instant: InstantTime
) -> None:
    integ, app, recorder = linear(size=5, limits=True, requests_per_hour=60)
    await drain(app, 60)  # the same user's other client emptied the bucket
    async with integ:
        records, _ = await read_tickets(integ)
    assert len(records) == 5
    assert recorder.codes[0] == "RATELIMITED" and recorder.statuses[0] == 400
    reset = int(recorder.responses[0].headers["X-RateLimit-Requests-Reset"]) / 1000
    assert recorder.times[1] >= reset - 0.01  # no retry before Linear's reset time
    assert integ.metrics.rate_limited == 1


async def test_a_budget_beyond_the_longest_wait_ends_with_rate_limited(linear: Build) -> None:
    # 2 requests an hour: the next token is 30 minutes away, past the SDK's 300 s limit.
    integ, app, recorder = linear(size=5, limits=True, requests_per_hour=2)
    await drain(app, 2)
    async with integ:
        with pytest.raises(RateLimited) as caught:
            await read_tickets(integ)
    assert recorder.codes == ["RATELIMITED"]
    assert caught.value.retry_after is not None and caught.value.retry_after > 300


async def test_http_429_with_retry_after_is_honoured(linear: Build, instant: InstantTime) -> None:
    integ, _, recorder = linear(
        size=10, faults=Faults(rate_limit_every=3, retry_after=42), config={"page_size": 2}
    )
    async with integ:
        records, _ = await read_tickets(integ)
    assert len(records) == 10 and 429 in recorder.statuses
    assert 42.0 in instant.sleeps
