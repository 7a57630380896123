"""Freshdesk records -> canonical records, and risk payloads -> Freshdesk ticket fields.

Pure functions, shared by the tickets stream, push and the tests (the real list-tickets
response in ``../shared/corpus`` goes through :func:`ticket_to_ticket`).

Freshdesk sends numbers for ``status`` (2 Open, 3 Pending, 4 Resolved, 5 Closed, 6+ custom),
``priority`` (1 Low .. 4 Urgent) and ``source``, ISO times with ``Z``, and ``tags`` as a list
of strings. ARIA marks its tickets with the tags ``aria-risk`` and ``aria-risk-<id>``.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from typing import Any

from aria.sdk import Ticket, TicketComment, ticketing
from aria.sdk.cursors import to_datetime
from aria.sdk.records import IncidentStatus, Severity

VENDOR = "Freshworks"
PRODUCT = "Freshdesk"
ARIA_MARK = "[ARIA]"
"""Prefix of every note ARIA writes, so synced comments can be told apart."""
RISK_TAG = re.compile(r"^aria-risk-(\d+)$")
CONVERSATIONS_KEY = "conversations"
"""Where the tickets stream attaches a ticket's conversations (as ``include=conversations``
does on the view-ticket API)."""
TAGS = re.compile(r"<[^>]+>")
LINK = re.compile(r"(https?://(?:[^\s<>&\"']|&amp;)+)")  # over already-escaped text

STATUS: dict[str, IncidentStatus] = {
    "2": IncidentStatus.NEW,  # Open
    "3": IncidentStatus.ON_HOLD,  # Pending: waiting on someone
    "4": IncidentStatus.RESOLVED,
    "5": IncidentStatus.CLOSED,
}
PRIORITY: dict[str, Severity] = {
    "1": Severity.LOW,
    "2": Severity.MEDIUM,
    "3": Severity.HIGH,
    "4": Severity.CRITICAL,  # Urgent
}
PRIORITY_NAMES = {"1": "Low", "2": "Medium", "3": "High", "4": "Urgent"}


def tags(record: Mapping[str, Any]) -> list[str]:
    """The ticket's tags, lowercased (Freshdesk matches tags case-insensitively)."""
    value = record.get("tags")
    return [str(t).strip().lower() for t in value if t] if isinstance(value, list) else []


def is_aria(record: Mapping[str, Any]) -> bool:
    """True for tickets ARIA opened (tagged ``aria-risk``)."""
    return ticketing.ARIA_LABEL in tags(record)


def risk_id(record: Mapping[str, Any]) -> int | None:
    """The ARIA risk behind a ticket, from its ``aria-risk-<id>`` tag."""
    for tag in tags(record):
        match = RISK_TAG.match(tag)
        if match:
            return int(match.group(1))
    return None


def ticket_url(base_url: str, ticket_id: Any) -> str:
    """The ticket in the agent portal: ``{helpdesk}/a/tickets/{id}``."""
    return f"{base_url.rstrip('/')}/a/tickets/{ticket_id}"


def _number(value: Any) -> str | None:
    if value is None or value == "" or isinstance(value, bool):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value)


def plain_text(body_html: str) -> str:
    """Text of an HTML body when Freshdesk did not send ``body_text``."""
    spaced = re.sub(r"(?i)<br\s*/?>|</(p|div|li)>", "\n", body_html)
    return html.unescape(TAGS.sub("", spaced)).strip()


def conversation_to_comment(entry: Mapping[str, Any]) -> TicketComment | None:
    """One conversation (note or reply) -> a comment; ARIA's notes start with ``[ARIA]``."""
    text = str(entry.get("body_text") or "").strip() or plain_text(str(entry.get("body") or ""))
    if not text:
        return None
    author = entry.get("from_email") or _number(entry.get("user_id"))
    return TicketComment(
        uid=_number(entry.get("id")),
        author=str(author) if author else None,
        body=text,
        created_at=to_datetime(entry.get("created_at")),
        from_aria=text.startswith(ARIA_MARK),
    )


def ticket_to_ticket(
    record: Mapping[str, Any], *, base_url: str, mapping: ticketing.StateMapping
) -> Ticket:
    """A Freshdesk ticket -> a Ticket with its risk status and conversations."""
    ticket_id = _number(record.get("id"))
    status = _number(record.get("status"))
    priority = _number(record.get("priority"))
    entries = record.get(CONVERSATIONS_KEY) or []
    comments = [c for e in entries if isinstance(e, Mapping) and (c := conversation_to_comment(e))]
    comments.sort(key=lambda c: (c.created_at is None, c.created_at, c.uid or ""))
    description = record.get("description_text") or (
        plain_text(str(record["description"])) if record.get("description") else None
    )
    return Ticket(
        uid=ticket_id,
        key=ticket_id,
        title=str(record.get("subject") or f"Ticket #{ticket_id}"),
        description=description,
        state=status,
        risk_status=mapping.risk_status(status),
        risk_id=risk_id(record),
        status=STATUS.get(status or "", IncidentStatus.OTHER if status else IncidentStatus.UNKNOWN),
        status_raw=status,
        severity=PRIORITY.get(priority or "", Severity.UNKNOWN),
        severity_raw=PRIORITY_NAMES.get(priority or "", priority),
        created_at=to_datetime(record.get("created_at")),
        modified_at=to_datetime(record.get("updated_at")),
        url=ticket_url(base_url, ticket_id) if ticket_id else None,
        comments=comments,
        source_product=PRODUCT,
        source_vendor=VENDOR,
        raw=dict(record),
    )


def priority_for(score: Any) -> int:
    """A 1-25 risk score -> Freshdesk priority 1 Low, 2 Medium, 3 High, 4 Urgent."""
    try:
        value = float(score)
    except (TypeError, ValueError):
        return 2
    return 4 if value >= 20 else 3 if value >= 12 else 2 if value >= 6 else 1


def html_body(text: str) -> str:
    """Plain text as Freshdesk's HTML body: escaped, one line per ``<br>``, links clickable."""
    lines = []
    for line in text.split("\n"):
        escaped = html.escape(line)
        escaped = LINK.sub(r'<a href="\1">\1</a>', escaped)
        lines.append(escaped)
    return "<div>" + "<br>".join(lines) + "</div>"
