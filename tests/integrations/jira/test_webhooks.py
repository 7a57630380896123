"""Jira admin webhooks: X-Hub-Signature verification and issue/comment events as Tickets."""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

import pytest

from aria.integrations.jira import Jira
from aria.integrations.jira.sandbox import DEMO
from aria.integrations.jira.sandbox_webhooks import comment_created, issue_updated
from aria.sdk import AuthError, FatalError, Ticket, WebhookEvent

SECRET = str(DEMO["webhook_secret"])


def delivery(payload: Any, secret: str = SECRET) -> WebhookEvent:
    """Signed the way Jira documents it, computed here independently of the integration."""
    body = json.dumps(payload).encode()
    digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return WebhookEvent(
        headers={"X-Hub-Signature": f"sha256={digest}", "X-Atlassian-Webhook-Identifier": "1"},
        body=body,
    )


@pytest.fixture
def integ() -> Jira:
    return Jira.for_sandbox(size=10)


@pytest.mark.anyio
async def test_issue_updated_becomes_the_resolved_ticket(integ: Jira) -> None:
    async with integ:
        records = await integ.handle_webhook(delivery(issue_updated(to_status="Done")))
    assert len(records) == 1
    ticket = records[0]
    assert isinstance(ticket, Ticket)
    assert (ticket.key, ticket.state, ticket.risk_status, ticket.risk_id) == (
        "SEC-1",
        "Done",
        "closed",
        1000,
    )
    assert ticket.url == "https://aria-demo.atlassian.net/browse/SEC-1"
    assert ticket.description and "Risk score" in ticket.description  # v2 string body


@pytest.mark.anyio
async def test_comment_created_carries_the_comment(integ: Jira) -> None:
    payload = comment_created()
    async with integ:
        (ticket,) = await integ.handle_webhook(delivery(payload))
    assert ticket.key == "SEC-1" and ticket.risk_id is None  # comment events omit labels
    assert [(c.uid, c.body, c.from_aria) for c in ticket.comments] == [
        ("30001", "Owner confirmed; patch rolls out tonight.", False)
    ]
    assert ticket.modified_at is not None
    assert ticket.modified_at.isoformat().startswith("2025-06-02T12:07")


@pytest.mark.anyio
async def test_signatures_are_checked(integ: Jira) -> None:
    good = delivery(issue_updated())
    async with integ:
        with pytest.raises(AuthError):
            await integ.handle_webhook(delivery(issue_updated(), secret="not-the-secret"))
        with pytest.raises(AuthError):
            await integ.handle_webhook(WebhookEvent(headers={}, body=good.body))
        with pytest.raises(AuthError):
            await integ.handle_webhook(
                WebhookEvent(headers=good.headers, body=good.body.replace(b"Done", b"To Do"))
            )
        assert await integ.handle_webhook(good)
    unsigned = Jira.for_sandbox(size=10, config={"webhook_secret": None})
    async with unsigned:
        with pytest.raises(AuthError):
            await unsigned.handle_webhook(good)


@pytest.mark.anyio
async def test_other_events_and_foreign_issues_are_ignored(integ: Jira) -> None:
    foreign = issue_updated()
    foreign["issue"]["fields"]["labels"] = ["phishing"]
    deleted = {**issue_updated(), "webhookEvent": "jira:issue_deleted"}
    sprint = {"timestamp": 1, "webhookEvent": "sprint_started", "sprint": {"id": 1}}
    async with integ:
        for payload in (foreign, deleted, sprint):
            assert await integ.handle_webhook(delivery(payload)) == []
        with pytest.raises(FatalError, match="without an issue"):
            await integ.handle_webhook(delivery({"webhookEvent": "jira:issue_updated"}))
        with pytest.raises(FatalError, match="not a JSON object"):
            await integ.handle_webhook(delivery([1, 2]))
