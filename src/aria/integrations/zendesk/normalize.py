"""Zendesk tickets -> canonical ``Ticket`` records, and the mappings ARIA pushes with.

Pure functions of the raw ticket (as the incremental export, the search export and
``GET /api/v2/tickets/{id}.json`` return it), so streams, pushes and tests share them.
``comments`` is not a Zendesk ticket field: the tickets stream adds the ticket's comments
(``GET /api/v2/tickets/{id}/comments.json``) under that key before normalizing.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from aria.sdk import Ticket, TicketComment, ticketing
from aria.sdk.records import IncidentStatus, RiskStatus, Severity

STATUSES = ("new", "open", "pending", "hold", "solved", "closed")
PRIORITIES = ("low", "normal", "high", "urgent")

# Every Zendesk status means something for the risk, whatever the outbound mapping says.
INBOUND_DEFAULTS: dict[str, RiskStatus] = {
    "new": "open",
    "open": "open",
    "pending": "in_progress",
    "hold": "in_progress",
    "solved": "closed",
    "closed": "closed",
}
STATUS_TABLE = {
    "new": IncidentStatus.NEW,
    "open": IncidentStatus.IN_PROGRESS,
    "pending": IncidentStatus.ON_HOLD,
    "hold": IncidentStatus.ON_HOLD,
    "solved": IncidentStatus.RESOLVED,
    "closed": IncidentStatus.CLOSED,
}
SEVERITY_TABLE = {
    "urgent": Severity.CRITICAL,
    "high": Severity.HIGH,
    "normal": Severity.MEDIUM,
    "low": Severity.LOW,
}
RISK_TAG = re.compile(rf"^{re.escape(ticketing.ARIA_LABEL)}-(\d+)$")
RISK_SUBJECT = re.compile(r"^\[ARIA risk (\d+)\]")
PRODUCT = "Zendesk Support"
VENDOR = "Zendesk"


def state_mapping(outbound: Mapping[str, str]) -> ticketing.StateMapping:
    """The installation's mapping on top of what every Zendesk status means."""
    return ticketing.StateMapping(outbound, INBOUND_DEFAULTS)


def priority_for_score(score: Any) -> str:
    """Zendesk priority for an ARIA risk score (likelihood x impact, 1-25)."""
    try:
        value = float(score)
    except (TypeError, ValueError):
        return "normal"
    if value >= 20:
        return "urgent"
    if value >= 12:
        return "high"
    if value >= 6:
        return "normal"
    return "low"


def risk_tag(risk_id: Any) -> str:
    """``aria-risk-<id>``: the tag and external id that lead back to the ARIA risk."""
    return f"{ticketing.ARIA_LABEL}-{risk_id}"


def is_aria_ticket(record: Mapping[str, Any]) -> bool:
    """True for tickets ARIA opened (tagged ``aria-risk``)."""
    return ticketing.ARIA_LABEL in (record.get("tags") or [])


def risk_id_of(record: Mapping[str, Any]) -> int | None:
    """The ARIA risk id from the external id, an ``aria-risk-<id>`` tag or the subject."""
    candidates = [str(record.get("external_id") or ""), *map(str, record.get("tags") or [])]
    for text in candidates:
        match = RISK_TAG.match(text)
        if match:
            return int(match.group(1))
    match = RISK_SUBJECT.match(str(record.get("subject") or ""))
    return int(match.group(1)) if match else None


def browser_url(base_url: str, ticket_id: Any) -> str:
    """The agent workspace link of a ticket."""
    return f"{base_url.rstrip('/')}/agent/tickets/{ticket_id}"


def comment_to_comment(comment: Mapping[str, Any], aria_author: Any = None) -> TicketComment:
    """One Zendesk comment; ``from_aria`` when ARIA's agent wrote it through the API."""
    via = comment.get("via") if isinstance(comment.get("via"), dict) else {}
    author = comment.get("author_id")
    return TicketComment(
        uid=_text(comment.get("id")),
        author=_text(author),
        body=str(comment.get("plain_body") or comment.get("body") or ""),
        created_at=comment.get("created_at"),
        from_aria=aria_author is not None
        and author == aria_author
        and str((via or {}).get("channel") or "api") == "api",
    )


def ticket_to_ticket(
    record: Mapping[str, Any],
    mapping: ticketing.StateMapping,
    base_url: str,
) -> Ticket:
    """A Zendesk ticket as a canonical ticket: state, what it means for the risk, comments.

    ARIA's own agent submits the tickets it opens, so comments by the submitter made through
    the API are marked ``from_aria``.
    """
    status = record.get("status")
    priority = record.get("priority")
    comments = [
        comment_to_comment(c, record.get("submitter_id"))
        for c in record.get("comments") or []
        if isinstance(c, dict)
    ]
    return Ticket(
        uid=_text(record.get("id")),
        key=_text(record.get("id")),
        title=record.get("subject") or record.get("raw_subject"),
        description=record.get("description"),
        state=status,
        risk_status=mapping.risk_status(status),
        risk_id=risk_id_of(record),
        status=status,
        status_table=STATUS_TABLE,
        severity=priority,
        severity_table=SEVERITY_TABLE,
        assignee=_text(record.get("assignee_id")),
        created_at=record.get("created_at"),
        modified_at=record.get("updated_at"),
        url=browser_url(base_url, record.get("id")) if record.get("id") is not None else None,
        comments=comments,
        source_product=PRODUCT,
        source_vendor=VENDOR,
        raw=dict(record),
    )


def _text(value: Any) -> str | None:
    return None if value in (None, "") else str(value)
