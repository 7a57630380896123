"""Linear webhook deliveries: signature, freshness, and Issue/Comment events as tickets.

Linear signs each delivery with the webhook's signing secret: ``Linear-Signature`` is the hex
HMAC-SHA256 of the raw body. The body carries ``webhookTimestamp`` (Unix milliseconds, inside
the signed bytes); a delivery more than 60 seconds from the time ARIA received it is refused,
as Linear recommends, so a captured delivery cannot be replayed.

Bodies look like ``{"action": "create"|"update"|"remove", "type": "Issue"|"Comment"|...,
"data": {...}, "url", "updatedFrom", "createdAt", "organizationId", "webhookTimestamp",
"webhookId"}``. Issue creates and updates of ARIA's issues (label ``aria-risk``) become full
tickets; a Comment on an ARIA issue (title ``[ARIA risk N] ...``) becomes a ticket that carries
the comment and the issue's identity only (no state: comment events do not include it).
Other events, removals and other issues are acknowledged and ignored.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from aria.integrations.linear.normalize import (
    RISK_TITLE,
    comment_to_comment,
    from_webhook,
    is_aria_issue,
    issue_to_ticket,
    risk_id_of,
)
from aria.sdk import FatalError, Ticket, WebhookEvent, ticketing, verify_hmac

SIGNATURE_HEADER = "Linear-Signature"
TOLERANCE_S = 60.0


def verify(secret: str | None, event: WebhookEvent, *, check_age: bool = True) -> bool:
    """The signature is the body's HMAC under ``secret``, and (``check_age``) the delivery's
    ``webhookTimestamp`` is within a minute of ``event.received_at``."""
    if not secret or not verify_hmac(secret, event.body, event.header(SIGNATURE_HEADER)):
        return False
    if not check_age:
        return True
    try:
        sent_ms = float(json.loads(event.body)["webhookTimestamp"])
    except (ValueError, KeyError, TypeError):
        return False
    return abs(event.received_at.timestamp() - sent_ms / 1000.0) <= TOLERANCE_S


def parse(
    payload: Any, mapping: ticketing.StateMapping, *, aria_user: str | None = None
) -> list[Ticket]:
    """Tickets from one delivery (see the module doc); ``aria_user`` marks ARIA's comments."""
    if not isinstance(payload, Mapping) or not isinstance(payload.get("data"), Mapping):
        raise FatalError("malformed Linear webhook: expected an object with 'data'")
    kind, action, data = payload.get("type"), payload.get("action"), payload["data"]
    if action == "remove":
        return []
    if kind == "Issue":
        issue = from_webhook(data)
        if not is_aria_issue(issue):
            return []
        if not issue.get("url") and payload.get("url"):
            issue["url"] = payload["url"]
        return [issue_to_ticket(issue, mapping)]
    if kind == "Comment" and action == "create":
        return _comment_ticket(data, payload, aria_user)
    return []


def _comment_ticket(
    data: Mapping[str, Any], payload: Mapping[str, Any], aria_user: str | None
) -> list[Ticket]:
    issue = data.get("issue") if isinstance(data.get("issue"), Mapping) else {}
    issue = issue or {}
    if not RISK_TITLE.match(str(issue.get("title") or "")):
        return []
    issue_id = issue.get("id") or data.get("issueId")
    if not issue_id:
        raise FatalError("malformed Linear Comment webhook: no issue id")
    return [
        Ticket(
            uid=str(issue_id),
            key=issue.get("identifier"),
            title=issue.get("title"),
            risk_id=risk_id_of(issue),
            url=issue.get("url"),
            modified_at=data.get("updatedAt") or data.get("createdAt"),
            comments=[comment_to_comment(data, aria_user)],
            source_product="Linear",
            source_vendor="Linear",
            raw=dict(payload),
        )
    ]
