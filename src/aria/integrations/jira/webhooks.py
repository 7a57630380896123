"""Jira Cloud admin webhooks: signature check and event decoding.

An admin webhook (Jira settings > System > WebHooks, or ``POST /rest/webhooks/1.0/webhook``)
saved with a secret is signed WebSub style: ``X-Hub-Signature: sha256=<hex HMAC-SHA256 of the
raw body>``. Deliveries carry ``X-Atlassian-Webhook-Identifier`` (the same on retries) and a
JSON body ``{"timestamp": <ms>, "webhookEvent": ..., "issue": {...}, ...}`` whose issue is in
the REST v2 shape (plain-string bodies, which the normalizer accepts).

``jira:issue_created`` / ``jira:issue_updated`` become a Ticket; ``comment_created`` /
``comment_updated`` become the commented issue's Ticket carrying that comment. Issues that are
known not to carry the ``aria-risk`` label, deletions and other events are acknowledged and
ignored (``[]``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from aria.integrations.jira.normalize import has_aria_label, issue_to_ticket
from aria.sdk import FatalError, Ticket, WebhookEvent, ticketing, verify_hmac
from aria.sdk.auth import hmac_sign

SIGNATURE_HEADER = "X-Hub-Signature"
IDENTIFIER_HEADER = "X-Atlassian-Webhook-Identifier"
PREFIX = "sha256="
ISSUE_EVENTS = frozenset({"jira:issue_created", "jira:issue_updated"})
COMMENT_EVENTS = frozenset({"comment_created", "comment_updated"})


def verify(secret: str | None, event: WebhookEvent) -> bool:
    """True when ``X-Hub-Signature`` is the HMAC-SHA256 of the exact body under ``secret``."""
    if not secret:
        return False
    return verify_hmac(secret, event.body, event.header(SIGNATURE_HEADER), prefix=PREFIX)


def parse(
    payload: Any, *, mapping: ticketing.StateMapping, browse_base: str | None
) -> list[Ticket]:
    """Tickets from one delivery (issue and comment events); others yield ``[]``."""
    if not isinstance(payload, Mapping):
        raise FatalError("malformed Jira webhook: the body is not a JSON object")
    kind = payload.get("webhookEvent")
    if kind not in ISSUE_EVENTS | COMMENT_EVENTS:
        return []
    issue = payload.get("issue")
    if not isinstance(issue, Mapping) or not (issue.get("id") or issue.get("key")):
        raise FatalError(f"malformed Jira webhook: {kind} without an issue id")
    fields = issue.get("fields") if isinstance(issue.get("fields"), Mapping) else {}
    if "labels" in fields and not has_aria_label(fields.get("labels")):
        return []  # not an issue ARIA opened
    extra: list[Mapping[str, Any]] = []
    if kind in COMMENT_EVENTS:
        comment = payload.get("comment")
        if not isinstance(comment, Mapping):
            raise FatalError(f"malformed Jira webhook: {kind} without a comment")
        extra.append(comment)
    if not fields.get("updated"):  # comment events carry few issue fields
        comment = payload.get("comment") if kind in COMMENT_EVENTS else None
        changed = (comment or {}).get("updated") or (comment or {}).get("created")
        issue = {**issue, "fields": {**fields, "updated": changed or payload.get("timestamp")}}
    return [issue_to_ticket(issue, mapping=mapping, browse_base=browse_base, extra_comments=extra)]


def signed(payload: Mapping[str, Any], secret: str, identifier: str) -> WebhookEvent:
    """A delivery signed as Jira signs it (samples for tests and the conformance suite)."""
    body = json.dumps(payload, separators=(",", ":")).encode()
    return WebhookEvent(
        headers={
            "Content-Type": "application/json",
            IDENTIFIER_HEADER: identifier,
            SIGNATURE_HEADER: PREFIX + hmac_sign(secret, body, "sha256", "hex"),
        },
        body=body,
    )
