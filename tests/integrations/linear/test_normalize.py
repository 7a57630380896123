"""Linear normalizers: state by name then by type, priority, risk id, comments, webhooks."""

from __future__ import annotations

from typing import Any

import pytest

from aria.integrations.linear.normalize import (
    from_webhook,
    is_aria_issue,
    issue_to_ticket,
    priority_for_score,
    risk_id_of,
    state_mapping,
)
from aria.sdk import ConfigError
from aria.sdk.records import IncidentStatus, Severity
from aria.sdk.records.ocsf_validate import validate_ocsf

DEFAULTS = state_mapping({"open": "Todo", "in_progress": "In Progress", "closed": "Done"})
ARIA_USER = "user-aria"


def issue(**overrides: Any) -> dict[str, Any]:
    record: dict[str, Any] = {
        "id": "issue-uuid-1",
        "identifier": "SEC-7",
        "number": 7,
        "title": "[ARIA risk 31] Exposed RDP",
        "description": "RDP answers.\n\nARIA risk id: 31",
        "priority": 2,
        "priorityLabel": "High",
        "url": "https://linear.app/acme/issue/sec-7/exposed-rdp",
        "createdAt": "2025-05-01T10:00:00.000Z",
        "updatedAt": "2025-05-02T10:00:00.000Z",
        "state": {"id": "s1", "name": "In Progress", "type": "started"},
        "team": {"id": "t1", "key": "SEC", "name": "Security"},
        "labels": {"nodes": [{"id": "l1", "name": "aria-risk"}]},
        "assignee": {"id": "u2", "name": "Priya Patel", "email": "ppatel@acme.example"},
        "creator": {"id": ARIA_USER, "name": "ARIA"},
        "comments": {
            "nodes": [
                {
                    "id": "c1",
                    "body": "from ARIA",
                    "createdAt": "2025-05-01T11:00:00.000Z",
                    "user": {"id": ARIA_USER, "name": "ARIA"},
                },
                {
                    "id": "c2",
                    "body": "on it",
                    "createdAt": "2025-05-01T12:00:00.000Z",
                    "user": {"id": "u2", "name": "Priya Patel"},
                },
            ],
            "pageInfo": {"hasNextPage": False, "endCursor": None},
        },
    }
    record.update(overrides)
    return record


def test_issue_becomes_a_ticket() -> None:
    ticket = issue_to_ticket(issue(), DEFAULTS)
    assert ticket.source_uid == "issue-uuid-1" and ticket.key == "SEC-7"
    assert ticket.state == "In Progress" and ticket.risk_status == "in_progress"
    assert ticket.status is IncidentStatus.IN_PROGRESS
    assert ticket.severity is Severity.HIGH and ticket.severity_raw == "High"
    assert ticket.risk_id == 31 and ticket.assignee == "ppatel@acme.example"
    assert ticket.url == "https://linear.app/acme/issue/sec-7/exposed-rdp"
    assert [(c.uid, c.from_aria, c.author) for c in ticket.comments] == [
        ("c1", True, "ARIA"),
        ("c2", False, "Priya Patel"),
    ]
    validate_ocsf(ticket.to_ocsf())
    assert ticket.to_ocsf()["tickets"][0]["uid"] == "SEC-7"


@pytest.mark.parametrize(
    ("state", "expected", "status"),
    [
        ({"name": "Todo", "type": "unstarted"}, "open", IncidentStatus.NEW),
        ({"name": "Backlog", "type": "backlog"}, "open", IncidentStatus.NEW),
        ({"name": "Triage", "type": "triage"}, "open", IncidentStatus.NEW),
        ({"name": "QA", "type": "started"}, "in_progress", IncidentStatus.IN_PROGRESS),
        ({"name": "Shipped", "type": "completed"}, "closed", IncidentStatus.RESOLVED),
        ({"name": "Won't fix", "type": "canceled"}, "closed", IncidentStatus.CLOSED),
        ({"name": "Mystery", "type": "custom"}, None, IncidentStatus.UNKNOWN),
    ],
)
def test_unknown_state_names_fall_back_to_the_state_type(
    state: dict[str, str], expected: str | None, status: IncidentStatus
) -> None:
    ticket = issue_to_ticket(issue(state={"id": "s", **state}), DEFAULTS)
    assert ticket.risk_status == expected and ticket.status is status


def test_installation_mapping_wins_over_the_state_type() -> None:
    # A team that parks accepted risks in a completed-type state it calls "Accepted", and
    # tracks work in progress in "In Review".
    mapping = state_mapping({"open": "Todo", "in_progress": "In Review", "closed": "Accepted"})
    review = issue_to_ticket(
        issue(state={"id": "s", "name": "In Review", "type": "started"}), mapping
    )
    assert review.risk_status == "in_progress"
    assert mapping.vendor_state("close") == "Accepted" and mapping.vendor_state("reopen") == "Todo"
    with pytest.raises(ConfigError):
        state_mapping({"resolved": "Done"})


@pytest.mark.parametrize(
    ("score", "priority"),
    [(25, 1), (20, 1), (19, 2), (12, 2), (11, 3), (6, 3), (5, 4), (1, 4), (None, 3), ("x", 3)],
)
def test_priority_follows_the_risk_score(score: Any, priority: int) -> None:
    assert priority_for_score(score) == priority


@pytest.mark.parametrize(
    ("priority", "severity"),
    [
        (1, Severity.CRITICAL),
        (2, Severity.HIGH),
        (3, Severity.MEDIUM),
        (4, Severity.LOW),
        (0, Severity.UNKNOWN),
        (None, Severity.UNKNOWN),
    ],
)
def test_priority_is_the_ticket_severity(priority: Any, severity: Severity) -> None:
    # Linear's small ints must not be read as OCSF severity ids (1 would mean Informational).
    assert issue_to_ticket(issue(priority=priority), DEFAULTS).severity is severity


def test_risk_id_and_label_detection() -> None:
    assert risk_id_of({"title": "[ARIA risk 9] x"}) == 9
    assert risk_id_of({"title": "Renamed by a human", "description": "ARIA risk id: 12"}) == 12
    assert risk_id_of({"title": "Chore", "description": None}) is None
    assert is_aria_issue({"labels": {"nodes": [{"name": "ARIA-RISK"}]}})
    assert is_aria_issue({"labels": [{"name": "aria-risk"}]})
    assert not is_aria_issue({"labels": {"nodes": [{"name": "chore"}]}})


def test_webhook_issue_data_is_reshaped_like_the_query() -> None:
    data = {
        "id": "i",
        "identifier": "SEC-1",
        "title": "[ARIA risk 3] x",
        "labels": [{"id": "l", "name": "aria-risk"}],
        "creatorId": "u1",
        "teamId": "t1",
        "state": {"id": "s", "name": "Done", "type": "completed"},
        "updatedAt": "2025-06-02T11:30:00.000Z",
    }
    shaped = from_webhook(data)
    assert shaped["labels"] == {"nodes": [{"id": "l", "name": "aria-risk"}]}
    assert shaped["creator"] == {"id": "u1"} and shaped["team"] == {"id": "t1"}
    ticket = issue_to_ticket(shaped, DEFAULTS)
    assert ticket.risk_status == "closed" and ticket.risk_id == 3
    validate_ocsf(ticket.to_ocsf())
