"""Linear issues -> canonical ``Ticket`` records, and the mappings ARIA pushes with.

Pure functions of an issue as the ``AriaIssueFields`` fragment returns it (labels and comments
as connections). Webhook payloads carry the same issue with plain lists; :func:`from_webhook`
reshapes them first. A ticket's risk status comes from the installation's state names first,
then from the state's *type*, which every Linear workflow has whatever its names.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from aria.sdk import Ticket, TicketComment, ticketing
from aria.sdk.records import IncidentStatus, RiskStatus, Severity

# Linear's default workflow names, and what every state type means for a risk.
INBOUND_DEFAULTS: dict[str, RiskStatus] = {
    "triage": "open",
    "backlog": "open",
    "todo": "open",
    "in progress": "in_progress",
    "in review": "in_progress",
    "done": "closed",
    "canceled": "closed",
    "duplicate": "closed",
}
TYPE_STATUS: dict[str, RiskStatus] = {
    "triage": "open",
    "backlog": "open",
    "unstarted": "open",
    "started": "in_progress",
    "completed": "closed",
    "canceled": "closed",
}
TYPE_INCIDENT_STATUS = {
    "triage": IncidentStatus.NEW,
    "backlog": IncidentStatus.NEW,
    "unstarted": IncidentStatus.NEW,
    "started": IncidentStatus.IN_PROGRESS,
    "completed": IncidentStatus.RESOLVED,
    "canceled": IncidentStatus.CLOSED,
}
# Linear priority: 0 none, 1 urgent, 2 high, 3 medium, 4 low.
PRIORITY_SEVERITY = {
    1: Severity.CRITICAL,
    2: Severity.HIGH,
    3: Severity.MEDIUM,
    4: Severity.LOW,
}
RISK_TITLE = re.compile(r"^\[ARIA risk (\d+)\]")
RISK_LINE = re.compile(r"ARIA risk id: (\d+)")
PRODUCT = "Linear"
VENDOR = "Linear"


def state_mapping(outbound: Mapping[str, str]) -> ticketing.StateMapping:
    """The installation's mapping on top of Linear's default state names."""
    return ticketing.StateMapping(outbound, INBOUND_DEFAULTS)


def risk_status_of(
    state: Mapping[str, Any] | None, mapping: ticketing.StateMapping
) -> RiskStatus | None:
    """By the state's name (installation mapping, default names), else by its type."""
    if not isinstance(state, Mapping):
        return None
    by_name = mapping.risk_status(state.get("name"))
    return by_name or TYPE_STATUS.get(str(state.get("type") or "").lower())


def priority_for_score(score: Any) -> int:
    """Linear priority for an ARIA risk score (1-25): 1 urgent, 2 high, 3 medium, 4 low."""
    try:
        value = float(score)
    except (TypeError, ValueError):
        return 3
    if value >= 20:
        return 1
    if value >= 12:
        return 2
    if value >= 6:
        return 3
    return 4


def label_names(issue: Mapping[str, Any]) -> list[str]:
    """Names of the issue's labels (connection or plain list)."""
    labels = issue.get("labels")
    if isinstance(labels, Mapping):
        labels = labels.get("nodes")
    return [str(lb.get("name")) for lb in labels or [] if isinstance(lb, Mapping)]


def is_aria_issue(issue: Mapping[str, Any]) -> bool:
    """True for issues carrying the ``aria-risk`` label."""
    return ticketing.ARIA_LABEL in [name.lower() for name in label_names(issue)]


def risk_id_of(issue: Mapping[str, Any]) -> int | None:
    """The ARIA risk id from the title (``[ARIA risk N]``) or the description's id line."""
    match = RISK_TITLE.match(str(issue.get("title") or ""))
    if match:
        return int(match.group(1))
    match = RISK_LINE.search(str(issue.get("description") or ""))
    return int(match.group(1)) if match else None


def comment_to_comment(comment: Mapping[str, Any], aria_user: Any = None) -> TicketComment:
    """One Linear comment; ``from_aria`` when ARIA's user (the issue's creator) wrote it."""
    user = comment.get("user") if isinstance(comment.get("user"), Mapping) else {}
    author_id = (user or {}).get("id") or comment.get("userId")
    return TicketComment(
        uid=_text(comment.get("id")),
        author=_text((user or {}).get("name") or author_id),
        body=str(comment.get("body") or ""),
        created_at=comment.get("createdAt"),
        from_aria=aria_user is not None and author_id == aria_user,
    )


def issue_to_ticket(issue: Mapping[str, Any], mapping: ticketing.StateMapping) -> Ticket:
    """A Linear issue as a canonical ticket.

    ARIA's API user creates the issues it opens, so comments by the issue's creator count as
    ARIA's own (``from_aria``).
    """
    state = issue.get("state") if isinstance(issue.get("state"), Mapping) else None
    state_type = str((state or {}).get("type") or "").lower()
    comments = issue.get("comments")
    if isinstance(comments, Mapping):
        comments = comments.get("nodes")
    creator = issue.get("creator") if isinstance(issue.get("creator"), Mapping) else {}
    aria_user = (creator or {}).get("id") or issue.get("creatorId")
    assignee = issue.get("assignee") if isinstance(issue.get("assignee"), Mapping) else None
    priority = issue.get("priority")
    return Ticket(
        uid=_text(issue.get("id")),
        key=_text(issue.get("identifier")),
        title=issue.get("title"),
        description=issue.get("description"),
        state=(state or {}).get("name"),
        risk_status=risk_status_of(state, mapping),
        risk_id=risk_id_of(issue),
        status=TYPE_INCIDENT_STATUS.get(state_type, IncidentStatus.UNKNOWN),
        status_raw=(state or {}).get("name"),
        severity=PRIORITY_SEVERITY.get(priority, Severity.UNKNOWN)
        if isinstance(priority, int) and not isinstance(priority, bool)
        else Severity.UNKNOWN,
        severity_raw=issue.get("priorityLabel") or priority,
        assignee=_text((assignee or {}).get("email") or (assignee or {}).get("name")),
        created_at=issue.get("createdAt"),
        modified_at=issue.get("updatedAt"),
        url=issue.get("url"),
        comments=[
            comment_to_comment(c, aria_user) for c in comments or [] if isinstance(c, Mapping)
        ],
        source_product=PRODUCT,
        source_vendor=VENDOR,
        raw=dict(issue),
    )


def from_webhook(data: Mapping[str, Any]) -> dict[str, Any]:
    """An Issue webhook's ``data`` in the shape of the GraphQL fragment (labels as a
    connection, ids of team/creator as objects when only ids are sent)."""
    issue = dict(data)
    labels = issue.get("labels")
    if isinstance(labels, list):
        issue["labels"] = {"nodes": labels}
    if not isinstance(issue.get("creator"), Mapping) and issue.get("creatorId"):
        issue["creator"] = {"id": issue["creatorId"]}
    if not isinstance(issue.get("team"), Mapping) and issue.get("teamId"):
        issue["team"] = {"id": issue["teamId"]}
    return issue


def _text(value: Any) -> str | None:
    return None if value in (None, "") else str(value)
