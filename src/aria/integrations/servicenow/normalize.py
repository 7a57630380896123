"""ServiceNow records -> canonical records.

Pure functions, shared by the tickets stream, the push answers and the tests (the real Table
API record in ``../shared/corpus`` goes through :func:`incident_to_ticket`).

The Table API sends plain strings with ``sysparm_display_value=false`` (``"state": "6"``,
``"sys_updated_on": "2025-06-02 11:58:10"`` in UTC), reference fields as ``{"link", "value"}``
unless ``sysparm_exclude_reference_link=true``, and ``{"display_value", "value"}`` pairs with
``sysparm_display_value=all``; :func:`plain` reads all three shapes.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from aria.sdk import Ticket, TicketComment, ticketing
from aria.sdk.cursors import to_datetime
from aria.sdk.records import IncidentStatus, Severity

VENDOR = "ServiceNow"
PRODUCT = "ServiceNow IT Service Management"
ARIA_MARK = "[ARIA]"
"""Prefix of every work note ARIA writes, so synced comments can be told apart."""
CORRELATION_PREFIX = "aria-risk-"
RISK_ID = re.compile(r"^aria-risk-(\d+)$")
JOURNAL_KEY = "journal_entries"
"""Where the tickets stream attaches an incident's sys_journal_field rows to the record."""

STATUS: dict[str, IncidentStatus] = {
    "1": IncidentStatus.NEW,
    "2": IncidentStatus.IN_PROGRESS,
    "3": IncidentStatus.ON_HOLD,
    "6": IncidentStatus.RESOLVED,
    "7": IncidentStatus.CLOSED,
    "8": IncidentStatus.CLOSED,  # Canceled
}
# Incident priority (1 Critical .. 5 Planning), computed by ServiceNow from urgency x impact.
PRIORITY: dict[str, Severity] = {
    "1": Severity.CRITICAL,
    "2": Severity.HIGH,
    "3": Severity.MEDIUM,
    "4": Severity.LOW,
    "5": Severity.INFORMATIONAL,
}


def plain(value: Any) -> Any:
    """The machine value of a field in any Table API shape; whole floats become int strings
    (some exports send ``-5.0`` for an integer choice)."""
    if isinstance(value, Mapping):
        value = value.get("value")
    if isinstance(value, bool):
        return value
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, int):
        return str(value)
    return value


def text(record: Mapping[str, Any], field: str) -> str | None:
    """A field's machine value as a non-empty string, else None."""
    value = plain(record.get(field))
    if value is None or value == "":
        return None
    return str(value)


def label(record: Mapping[str, Any], field: str) -> str | None:
    """A field's display value when the record carries one (``display_value=all``)."""
    value = record.get(field)
    if isinstance(value, Mapping):
        shown = value.get("display_value")
        return str(shown) if shown not in (None, "") else None
    return None


def risk_id(record: Mapping[str, Any]) -> int | None:
    """The ARIA risk behind an incident, from ``correlation_id`` (``aria-risk-<id>``)."""
    match = RISK_ID.match(text(record, "correlation_id") or "")
    return int(match.group(1)) if match else None


def record_url(base_url: str, record: Mapping[str, Any]) -> str | None:
    """The record's form in the classic UI: ``{instance}/nav_to.do?uri=<table>.do?sys_id=``."""
    sys_id = text(record, "sys_id")
    if not sys_id:
        return None
    table = text(record, "sys_class_name") or "incident"
    return f"{base_url.rstrip('/')}/nav_to.do?uri={table}.do?sys_id={sys_id}"


def journal_to_comment(entry: Mapping[str, Any], username: str | None) -> TicketComment | None:
    """One ``sys_journal_field`` row (a work note or additional comment) -> a comment."""
    body = text(entry, "value")
    if not body:
        return None
    author = text(entry, "sys_created_by")
    return TicketComment(
        uid=text(entry, "sys_id"),
        author=author,
        body=body,
        created_at=to_datetime(text(entry, "sys_created_on")),
        from_aria=body.startswith(ARIA_MARK) or (username is not None and author == username),
    )


def incident_to_ticket(
    record: Mapping[str, Any],
    *,
    base_url: str,
    mapping: ticketing.StateMapping,
    username: str | None = None,
) -> Ticket:
    """An incident (or any task record) -> a Ticket with its risk status and comments."""
    state = text(record, "state")
    priority = text(record, "priority")
    entries = record.get(JOURNAL_KEY) or []
    comments = [c for e in entries if (c := journal_to_comment(e, username)) is not None]
    comments.sort(key=lambda c: (c.created_at is None, c.created_at, c.uid or ""))
    number = text(record, "number")
    return Ticket(
        uid=text(record, "sys_id"),
        key=number,
        title=text(record, "short_description") or number,
        description=text(record, "description"),
        state=state,
        risk_status=mapping.risk_status(state),
        risk_id=risk_id(record),
        status=STATUS.get(state or "", IncidentStatus.OTHER if state else IncidentStatus.UNKNOWN),
        status_raw=label(record, "state") or state,
        severity=PRIORITY.get(priority or "", Severity.UNKNOWN),
        severity_raw=label(record, "priority") or priority,
        assignee=label(record, "assigned_to"),
        created_at=to_datetime(text(record, "sys_created_on") or text(record, "opened_at")),
        modified_at=to_datetime(text(record, "sys_updated_on")),
        url=record_url(base_url, record),
        comments=comments,
        source_product=PRODUCT,
        source_vendor=VENDOR,
        raw=dict(record),
    )


def urgency(level: Any) -> str:
    """ARIA's 1-5 likelihood or impact -> ServiceNow's 1 High / 2 Medium / 3 Low."""
    try:
        value = int(level)
    except (TypeError, ValueError):
        return "2"
    return "1" if value >= 4 else "2" if value == 3 else "3"


def score_level(score: Any) -> str:
    """A 1-25 risk score -> 1 High / 2 Medium / 3 Low, when likelihood/impact are missing."""
    try:
        value = float(score)
    except (TypeError, ValueError):
        return "2"
    return "1" if value >= 15 else "2" if value >= 8 else "3"
