"""Pushes: creating the risk's issue, moving it through the workflow, comments, and errors."""

from __future__ import annotations

from typing import Any

import pytest

from aria.integrations.jira import adf
from aria.integrations.jira.normalize import ARIA_FOOTER
from aria.sdk import ConfigError, FatalError, PushRequest, SyncOptions
from tests.integrations.jira.conftest import Build

RISK: dict[str, Any] = {
    "action": "open",
    "risk_id": 4242,
    "title": "Exposed RDP on ws-fin-042",
    "description": "RDP (3389/tcp) answers from the internet.",
    "score": 22,
    "likelihood": 5,
    "impact": 4,
    "technique_id": "T1133",
    "link": "https://aria.example/risks/4242",
    "ticket": None,
}


def seeded(app: Any, status: str) -> dict[str, Any]:
    """One of ARIA's seeded tickets currently in ``status``."""
    return next(
        i
        for i in app.state.issues
        if i["fields"]["status"]["name"] == status and "aria-risk" in i["fields"]["labels"]
    )


@pytest.mark.anyio
async def test_open_creates_issue_with_adf_link_labels_and_priority(jira: Build) -> None:
    integ, app, recorder = jira()
    async with integ:
        result = await integ.push(PushRequest(kind="ticket", payload=RISK))
        # the issue shows up on the next sync of the tickets stream, tied to its risk
        pages = [p async for p in integ.sync(SyncOptions(streams=["tickets"]))]
    assert result.ok, result.message
    key = result.external_id
    assert key is not None and key.startswith("SEC-")
    assert result.details["url"] == f"https://aria-demo.atlassian.net/browse/{key}"
    assert result.details["status"] == "To Do" and result.details["created"] is True
    issue = app.state.jira.issue(key)
    fields = issue["fields"]
    assert fields["summary"] == "[ARIA risk 4242] Exposed RDP on ws-fin-042"
    assert fields["labels"] == ["aria-risk", "aria-risk-4242"]
    assert fields["priority"]["name"] == "Highest"  # score 22: critical band
    assert fields["issuetype"]["name"] == "Task"
    assert adf.problems(fields["description"]) == []
    assert adf.links(fields["description"]) == ["https://aria.example/risks/4242"]
    assert "Risk score: 22" in adf.to_text(fields["description"])
    sent = recorder.bodies("/rest/api/3/issue")[0]["fields"]
    assert sent["project"] == {"key": "SEC"} and sent["issuetype"] == {"name": "Task"}
    found = [t for p in pages for t in p.records if t.key == key]
    assert len(found) == 1 and found[0].risk_id == 4242 and found[0].risk_status == "open"


@pytest.mark.anyio
async def test_retried_open_reuses_the_issue_it_created(jira: Build) -> None:
    integ, app, recorder = jira()
    async with integ:
        first = await integ.push(PushRequest(kind="ticket", payload=RISK))
        again = await integ.push(PushRequest(kind="ticket", payload=RISK))
    assert again.external_id == first.external_id
    assert again.details["created"] is False
    assert len(recorder.to("/rest/api/3/issue", "POST")) == 1
    assert len(app.state.jira.labelled("aria-risk-4242")) == 1


@pytest.mark.anyio
async def test_close_performs_the_done_transition(jira: Build) -> None:
    integ, app, recorder = jira()
    issue = seeded(app, "In Progress")
    key = issue["key"]
    before = issue["fields"]["updated"]
    payload = {**RISK, "action": "close", "ticket": {"external_id": key}}
    async with integ:
        result = await integ.push(PushRequest(kind="ticket", payload=payload))
    assert result.ok and result.external_id == key
    assert result.details["status"] == "Done"
    posted = recorder.bodies(f"/rest/api/3/issue/{key}/transitions")
    assert posted == [{"transition": {"id": "31"}}]  # "Resolve" leads to Done
    assert app.state.jira.transitions == [(key, "In Progress", "Done")]
    assert issue["fields"]["status"]["name"] == "Done"
    assert issue["fields"]["updated"] > before
    assert not recorder.to("/rest/api/3/issue", "POST")


@pytest.mark.anyio
async def test_reopen_moves_back_to_to_do_and_close_is_a_no_op_when_done(jira: Build) -> None:
    integ, app, recorder = jira()
    key = seeded(app, "Done")["key"]
    closing = {**RISK, "action": "close", "ticket": {"external_id": key}}
    async with integ:
        same = await integ.push(PushRequest(kind="ticket", payload=closing))
        reopened = await integ.push(
            PushRequest(kind="ticket", payload={**closing, "action": "reopen"})
        )
    assert same.ok and same.details["status"] == "Done"
    assert reopened.details["status"] == "To Do"
    assert recorder.bodies(f"/rest/api/3/issue/{key}/transitions") == [{"transition": {"id": "11"}}]


@pytest.mark.anyio
@pytest.mark.parametrize(("status", "action"), [("Won't Do", "close"), ("In Progress", "reopen")])
async def test_status_that_already_means_the_action_is_left_alone(
    jira: Build, status: str, action: str
) -> None:
    """Closing keeps "Won't Do" (also done); reopening keeps work that is in progress."""
    integ, app, recorder = jira()
    key = seeded(app, status)["key"]
    payload = {**RISK, "action": action, "ticket": {"external_id": key}}
    async with integ:
        result = await integ.push(PushRequest(kind="ticket", payload=payload))
    assert result.ok and result.details["status"] == status
    assert not recorder.to(f"/rest/api/3/issue/{key}/transitions", "POST")
    assert not app.state.jira.transitions


@pytest.mark.anyio
async def test_unknown_target_state_names_the_reachable_states(jira: Build) -> None:
    integ, app, recorder = jira(config={"state_mapping": {"closed": "Closed"}})
    key = seeded(app, "To Do")["key"]
    payload = {**RISK, "action": "close", "ticket": {"external_id": key}}
    async with integ:
        with pytest.raises(ConfigError) as caught:
            await integ.push(PushRequest(kind="ticket", payload=payload))
    message = str(caught.value)
    assert "'Closed'" in message and key in message
    for state in ("'Done'", "'In Progress'", "'In Review'", '"Won\'t Do"'):
        assert state in message
    assert caught.value.fields == {"state_mapping": "'Closed' is not reachable from 'To Do'"}
    assert caught.value.details["available_states"] == [
        "Done",
        "In Progress",
        "In Review",
        "Won't Do",
    ]
    assert not recorder.to(f"/rest/api/3/issue/{key}/transitions", "POST")


@pytest.mark.anyio
async def test_comment_push_posts_adf_marked_as_aria(jira: Build) -> None:
    integ, app, _ = jira()
    key = seeded(app, "In Progress")["key"]
    payload = {"ticket": {"external_id": key}, "body": "Scanner confirms the fix.\nClosing soon."}
    async with integ:
        result = await integ.push(PushRequest(kind="comment", payload=payload))
        pages = [p async for p in integ.sync(SyncOptions(streams=["tickets"]))]
    assert result.ok and result.external_id == key
    comment_id = result.details["comment_id"]
    assert result.details["url"].endswith(f"/browse/{key}?focusedCommentId={comment_id}")
    posted = app.state.jira.comments_posted
    assert [(k, c["id"]) for k, c in posted] == [(key, comment_id)]
    body = posted[0][1]["body"]
    assert adf.problems(body) == []
    assert adf.to_text(body) == f"Scanner confirms the fix.\nClosing soon.\n{ARIA_FOOTER}"
    ticket = next(t for p in pages for t in p.records if t.key == key)
    mine = [c for c in ticket.comments if c.uid == comment_id]
    assert len(mine) == 1 and mine[0].from_aria


@pytest.mark.anyio
async def test_close_without_a_ticket_creates_nothing(jira: Build) -> None:
    integ, _, recorder = jira()
    async with integ:
        result = await integ.push(PushRequest(kind="ticket", payload={**RISK, "action": "close"}))
    assert result.ok and result.external_id is None and result.details == {"skipped": True}
    assert not recorder.requests


@pytest.mark.anyio
async def test_reopen_of_a_deleted_issue_opens_a_new_one(jira: Build) -> None:
    integ, app, _ = jira()
    payload = {**RISK, "action": "reopen", "ticket": {"external_id": "SEC-99999"}}
    async with integ:
        result = await integ.push(PushRequest(kind="ticket", payload=payload))
        gone = await integ.push(PushRequest(kind="ticket", payload={**payload, "action": "close"}))
    assert result.ok and result.external_id != "SEC-99999" and result.details["created"]
    assert app.state.jira.issue(result.external_id) is not None
    assert not gone.ok and "no longer exists" in gone.message


@pytest.mark.anyio
async def test_jira_field_errors_point_at_the_setting(jira: Build) -> None:
    integ, _, _ = jira(config={"issue_type": "Epic"})
    async with integ:
        with pytest.raises(ConfigError) as caught:
            await integ.push(PushRequest(kind="ticket", payload=RISK))
    assert caught.value.fields == {"issue_type": "Specify a valid issue type"}
    assert "Jira refused to create the issue in project SEC" in str(caught.value)
    assert "ATATT3x" not in str(caught.value)


@pytest.mark.anyio
async def test_empty_priority_mapping_sends_no_priority(jira: Build) -> None:
    integ, _, recorder = jira(config={"priority_mapping": {}})
    async with integ:
        await integ.push(PushRequest(kind="ticket", payload=RISK))
    assert "priority" not in recorder.bodies("/rest/api/3/issue")[0]["fields"]


@pytest.mark.anyio
async def test_bad_pushes_are_refused(jira: Build) -> None:
    integ, _, recorder = jira()
    async with integ:
        with pytest.raises(FatalError, match="push kind 'event'"):
            await integ.push(PushRequest(kind="event", payload={}))
        with pytest.raises(FatalError, match="not a Jira issue key"):
            await integ.push(
                PushRequest(
                    kind="comment", payload={"ticket": {"external_id": "../x"}, "body": "x"}
                )
            )
        with pytest.raises(FatalError, match="non-empty"):
            await integ.push(
                PushRequest(kind="comment", payload={"ticket": {"external_id": "SEC-1"}})
            )
        with pytest.raises(FatalError, match="unknown ticket action"):
            await integ.push(PushRequest(kind="ticket", payload={**RISK, "action": "delete"}))
    assert not recorder.requests
