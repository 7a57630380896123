"""Jira issue -> :class:`aria.sdk.Ticket`, as pure functions shared by streams and webhooks.

An issue is ``{"id", "key", "self", "fields": {...}}``; the fields ARIA reads are ``summary``,
``status`` (``name`` plus ``statusCategory.key``: new / indeterminate / done), ``priority``,
``labels`` (``aria-risk`` and ``aria-risk-<id>``), ``created``/``updated``
(``2025-06-01T10:00:00.000+0000``), ``assignee`` and ``comment.comments``. Comment bodies are
ADF in REST v3 and plain strings in webhook (v2) payloads.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aria.integrations.jira import adf
from aria.integrations.jira.jql import RISK_LABEL_PREFIX
from aria.sdk import Ticket, TicketComment, ticketing
from aria.sdk.records import IncidentStatus, Severity

SOURCE_PRODUCT = "Jira Cloud"
SOURCE_VENDOR = "Atlassian"
ARIA_FOOTER = "Posted by ARIA"
"""Closing line of every comment ARIA posts, so reads can tell ARIA's comments apart."""

PRIORITY_SEVERITY: dict[str, Severity] = {
    "highest": Severity.CRITICAL,
    "blocker": Severity.CRITICAL,
    "critical": Severity.CRITICAL,
    "high": Severity.HIGH,
    "major": Severity.HIGH,
    "medium": Severity.MEDIUM,
    "low": Severity.LOW,
    "minor": Severity.LOW,
    "lowest": Severity.INFORMATIONAL,
    "trivial": Severity.INFORMATIONAL,
}
CATEGORY_STATUS: dict[str, IncidentStatus] = {
    "new": IncidentStatus.NEW,
    "indeterminate": IncidentStatus.IN_PROGRESS,
    "done": IncidentStatus.CLOSED,
}
RISK_STATUS_INCIDENT: dict[str, IncidentStatus] = {
    "open": IncidentStatus.NEW,
    "in_progress": IncidentStatus.IN_PROGRESS,
    "closed": IncidentStatus.CLOSED,
}


def issue_to_ticket(
    issue: Mapping[str, Any],
    *,
    mapping: ticketing.StateMapping,
    browse_base: str | None = None,
    extra_comments: list[Mapping[str, Any]] | None = None,
) -> Ticket:
    """One Jira issue as a Ticket; ``browse_base`` is the site (``https://x.atlassian.net``)."""
    fields = issue.get("fields") or {}
    status = fields.get("status") or {}
    state = _str(status.get("name"))
    category = _str((status.get("statusCategory") or {}).get("key"))
    risk_status = mapping.risk_status(state) or mapping.risk_status(category)
    key = _str(issue.get("key"))
    priority = fields.get("priority") or {}
    priority_name = _str(priority.get("name")) if isinstance(priority, dict) else _str(priority)
    comments = [
        c for c in (fields.get("comment") or {}).get("comments") or [] if isinstance(c, Mapping)
    ]
    known = {str(c.get("id")) for c in comments}
    comments += [c for c in extra_comments or [] if str(c.get("id")) not in known]
    return Ticket(
        uid=_str(issue.get("id")) or key,
        key=key,
        title=_str(fields.get("summary")),
        description=adf.to_text(fields.get("description")) or None,
        state=state,
        risk_status=risk_status,
        risk_id=risk_id(fields.get("labels")),
        status=_incident_status(risk_status, category),
        status_raw=state,
        severity=PRIORITY_SEVERITY.get((priority_name or "").casefold(), Severity.UNKNOWN),
        severity_raw=priority_name,
        assignee=_person(fields.get("assignee")),
        created_at=fields.get("created"),
        modified_at=fields.get("updated"),
        url=f"{browse_base.rstrip('/')}/browse/{key}" if browse_base and key else None,
        comments=[comment_to_comment(c) for c in comments],
        source_product=SOURCE_PRODUCT,
        source_vendor=SOURCE_VENDOR,
        raw=dict(issue),
    )


def comment_to_comment(comment: Mapping[str, Any]) -> TicketComment:
    """A Jira comment (ADF or v2 string body) as a TicketComment; ARIA's are marked."""
    body = adf.to_text(comment.get("body")).strip()
    return TicketComment(
        uid=_str(comment.get("id")),
        author=_person(comment.get("author")),
        body=body,
        created_at=comment.get("created"),
        from_aria=is_from_aria(body),
    )


def is_from_aria(text: str) -> bool:
    """True for comments ARIA posted (they end with :data:`ARIA_FOOTER`)."""
    return text.rstrip().endswith(ARIA_FOOTER)


def risk_id(labels: Any) -> int | None:
    """The ARIA risk id from an ``aria-risk-<id>`` label, if the issue has one."""
    for label in labels or []:
        text = str(label)
        if text.startswith(RISK_LABEL_PREFIX) and text[len(RISK_LABEL_PREFIX) :].isdigit():
            return int(text[len(RISK_LABEL_PREFIX) :])
    return None


def has_aria_label(labels: Any) -> bool:
    """True when the issue carries the ``aria-risk`` label (ARIA opened it)."""
    return ticketing.ARIA_LABEL in [str(label) for label in labels or []]


def _incident_status(risk_status: str | None, category: str | None) -> IncidentStatus:
    if risk_status in RISK_STATUS_INCIDENT:
        return RISK_STATUS_INCIDENT[risk_status]
    return CATEGORY_STATUS.get((category or "").casefold(), IncidentStatus.OTHER)


def _person(value: Any) -> str | None:
    if not isinstance(value, Mapping):
        return None
    return _str(value.get("displayName")) or _str(value.get("emailAddress"))


def _str(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None
