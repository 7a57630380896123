"""Linear webhooks: Linear-Signature over the raw body, the 60-second window, and Issue and
Comment events as tickets (ARIA's issues only)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from aria.integrations.linear import Linear
from aria.integrations.linear.integration import sample_issue_webhook
from aria.integrations.linear.sandbox import WEBHOOK_SECRET
from aria.sdk import AuthError, FatalError, Ticket, WebhookEvent
from aria.sdk.auth import hmac_sign
from aria.sdk.records.ocsf_validate import validate_ocsf

pytestmark = pytest.mark.anyio
SENT = datetime(2025, 6, 2, 11, 30, 5, tzinfo=UTC)


def delivery(
    body: bytes, *, received: datetime = SENT, secret: str = WEBHOOK_SECRET
) -> WebhookEvent:
    headers = {"Linear-Signature": hmac_sign(secret, body), "Linear-Event": "Issue"}
    return WebhookEvent(headers=headers, body=body, received_at=received)


def live() -> Linear:
    return Linear(Linear.sandbox_config, mode="live")


def body_at(moment: datetime) -> bytes:
    return sample_issue_webhook(int(moment.timestamp() * 1000))


async def test_signed_fresh_issue_update_becomes_a_ticket() -> None:
    records = await live().handle_webhook(delivery(body_at(SENT - timedelta(seconds=5))))
    assert len(records) == 1 and isinstance(records[0], Ticket)
    ticket = records[0]
    assert ticket.key == "SEC-42" and ticket.state == "Done" and ticket.risk_status == "closed"
    assert ticket.risk_id == 4242 and ticket.url and ticket.url.endswith("exposed-rdp")
    validate_ocsf(ticket.to_ocsf())


@pytest.mark.parametrize("age", [61, -61, 3600])
async def test_a_delivery_outside_the_minute_is_refused(age: int) -> None:
    event = delivery(body_at(SENT - timedelta(seconds=age)))
    with pytest.raises(AuthError):
        await live().handle_webhook(event)


async def test_the_sandbox_accepts_recorded_samples_of_any_age() -> None:
    old = delivery(body_at(SENT - timedelta(days=30)))
    sandbox = Linear(Linear.sandbox_config, mode="sandbox")
    assert len(await sandbox.handle_webhook(old)) == 1


@pytest.mark.parametrize(
    "tamper",
    [
        lambda e: WebhookEvent(headers={}, body=e.body, received_at=e.received_at),
        lambda e: WebhookEvent(
            headers={"Linear-Signature": hmac_sign("another-secret", e.body)},
            body=e.body,
            received_at=e.received_at,
        ),
        lambda e: WebhookEvent(
            headers=e.headers, body=e.body.replace(b'"Done"', b'"Todo"'), received_at=e.received_at
        ),
        lambda e: WebhookEvent(
            headers={"Linear-Signature": "sha256=" + e.headers["Linear-Signature"]},
            body=e.body,
            received_at=e.received_at,
        ),
    ],
    ids=["missing", "wrong-secret", "tampered-body", "prefixed"],
)
async def test_bad_signatures_are_refused(tamper: Any) -> None:
    with pytest.raises(AuthError):
        await live().handle_webhook(tamper(delivery(body_at(SENT))))


async def test_no_webhook_secret_means_no_webhooks() -> None:
    integ = Linear({**Linear.sandbox_config, "webhook_secret": None}, mode="live")
    with pytest.raises(AuthError):
        await integ.handle_webhook(delivery(body_at(SENT)))


def signed(payload: dict[str, Any]) -> WebhookEvent:
    payload = {**payload, "webhookTimestamp": int(SENT.timestamp() * 1000)}
    return delivery(json.dumps(payload).encode())


async def test_comment_on_an_aria_issue_carries_the_comment() -> None:
    payload = {
        "action": "create",
        "type": "Comment",
        "data": {
            "id": "c-77",
            "body": "Isolated the host.",
            "issueId": "issue-9",
            "userId": "u-priya",
            "user": {"id": "u-priya", "name": "Priya Patel"},
            "createdAt": "2025-06-02T11:29:59.000Z",
            "updatedAt": "2025-06-02T11:29:59.000Z",
            "issue": {
                "id": "issue-9",
                "identifier": "SEC-9",
                "title": "[ARIA risk 12] Credential dumping",
                "url": "https://linear.app/acme-demo/issue/sec-9/credential-dumping",
            },
        },
    }
    records = await live().handle_webhook(signed(payload))
    assert len(records) == 1
    ticket = records[0]
    assert ticket.source_uid == "issue-9" and ticket.key == "SEC-9" and ticket.risk_id == 12
    assert ticket.state is None and ticket.risk_status is None  # comments say nothing of state
    assert [(c.uid, c.body, c.author) for c in ticket.comments] == [
        ("c-77", "Isolated the host.", "Priya Patel")
    ]
    validate_ocsf(ticket.to_ocsf())


@pytest.mark.parametrize(
    "payload",
    [
        {"action": "update", "type": "Issue", "data": {"id": "x", "labels": [{"name": "chore"}]}},
        {
            "action": "remove",
            "type": "Issue",
            "data": {"id": "x", "labels": [{"name": "aria-risk"}]},
        },
        {"action": "create", "type": "Project", "data": {"id": "p"}},
        {"action": "create", "type": "Comment", "data": {"id": "c", "issue": {"title": "Chore"}}},
    ],
    ids=["other-issue", "removal", "other-type", "comment-elsewhere"],
)
async def test_other_events_are_acknowledged_and_ignored(payload: dict[str, Any]) -> None:
    assert await live().handle_webhook(signed(payload)) == []


async def test_malformed_event_is_a_fatal_error() -> None:
    with pytest.raises(FatalError):
        await live().handle_webhook(signed({"action": "update", "type": "Issue", "data": None}))
