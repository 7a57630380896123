"""Zendesk normalizers over real samples (the corpus) and the edge cases ARIA relies on."""

from __future__ import annotations

from typing import Any

import pytest

from aria.integrations.zendesk import Zendesk
from aria.integrations.zendesk.normalize import (
    is_aria_ticket,
    priority_for_score,
    risk_id_of,
    state_mapping,
    ticket_to_ticket,
)
from aria.integrations.zendesk.streams import ZendeskTickets
from aria.sdk import ConfigError, Ticket
from aria.sdk.records import IncidentStatus, Severity
from aria.sdk.records.ocsf_validate import validate_ocsf
from tests.integrations.zendesk.conftest import corpus_json

BASE = "https://subdomain.zendesk.com"
DEFAULTS = state_mapping({"open": "open", "in_progress": "pending", "closed": "solved"})


def test_real_ticket_normalizes() -> None:
    record = corpus_json("10.json")["ticket"]
    ticket = ticket_to_ticket(record, DEFAULTS, BASE)
    assert isinstance(ticket, Ticket)
    assert ticket.source_uid == "10" and ticket.key == "10"
    assert ticket.title == "one more" and ticket.description == "comment"
    assert ticket.state == "open" and ticket.risk_status == "open"
    assert ticket.status is IncidentStatus.IN_PROGRESS
    assert ticket.severity is Severity.LOW and ticket.severity_raw == "low"
    assert ticket.assignee == "4678475376118"
    assert ticket.url == f"{BASE}/agent/tickets/10"
    assert ticket.modified_at is not None and ticket.modified_at.isoformat().startswith(
        "2022-08-25T20:36:36"
    )
    assert ticket.risk_id is None  # a customer ticket: no aria-risk tag or external id
    validate_ocsf(ticket.to_ocsf())
    assert ticket.to_ocsf()["tickets"][0]["uid"] == "10"


def test_real_incremental_export_page_normalizes_through_the_stream() -> None:
    body = corpus_json("mixed_ticket_events.json")
    assert body["end_of_stream"] is True and body["after_cursor"]
    stream = ZendeskTickets(Zendesk.config_class().parse(dict(Zendesk.sandbox_config)))
    tickets = [stream.normalize(r) for r in body["tickets"]]
    assert [t.source_uid for t in tickets] == ["3", "7"]
    assert {t.state for t in tickets} == {"new"} and {t.risk_status for t in tickets} == {"open"}
    assert all(t.severity is Severity.UNKNOWN for t in tickets)  # priority null
    for ticket in tickets:
        validate_ocsf(ticket.to_ocsf())
    # The export returns every ticket; the stream keeps only ARIA's (none in this sample).
    assert stream.extract(body) == []


def aria_record(**overrides: Any) -> dict[str, Any]:
    record: dict[str, Any] = {
        "id": 1042,
        "external_id": "aria-risk-17",
        "subject": "[ARIA risk 17] Exposed RDP",
        "description": "Exposed RDP on srv-fin-001",
        "status": "hold",
        "priority": "urgent",
        "tags": ["aria-risk", "aria-risk-17"],
        "submitter_id": 9001,
        "assignee_id": None,
        "created_at": "2025-05-03T10:00:00Z",
        "updated_at": "2025-05-03T11:00:00Z",
        "comments": [
            {
                "id": 1,
                "author_id": 9001,
                "body": "opened by ARIA",
                "plain_body": "opened by ARIA",
                "via": {"channel": "api"},
                "created_at": "2025-05-03T10:00:00Z",
            },
            {
                "id": 2,
                "author_id": 9003,
                "body": "looking",
                "via": {"channel": "web"},
                "created_at": "2025-05-03T10:30:00Z",
            },
            {
                "id": 3,
                "author_id": 9001,
                "body": "typed in the agent UI by the same account",
                "via": {"channel": "web"},
                "created_at": "2025-05-03T10:40:00Z",
            },
        ],
    }
    record.update(overrides)
    return record


def test_aria_ticket_carries_risk_status_risk_id_and_comments() -> None:
    ticket = ticket_to_ticket(aria_record(), DEFAULTS, "https://acme.zendesk.com/")
    assert ticket.risk_id == 17 and ticket.state == "hold" and ticket.risk_status == "in_progress"
    assert ticket.severity is Severity.CRITICAL
    assert ticket.url == "https://acme.zendesk.com/agent/tickets/1042"
    assert [(c.uid, c.from_aria) for c in ticket.comments] == [
        ("1", True),
        ("2", False),
        ("3", False),
    ]
    assert ticket.comments[1].author == "9003"
    validate_ocsf(ticket.to_ocsf())


@pytest.mark.parametrize(
    ("record", "expected"),
    [
        ({"external_id": "aria-risk-5", "tags": []}, 5),
        ({"external_id": None, "tags": ["aria-risk", "aria-risk-6"]}, 6),
        ({"external_id": "crm-9", "tags": ["aria-risk"], "subject": "[ARIA risk 7] x"}, 7),
        ({"external_id": "aria-risk-x", "tags": ["aria-risk"], "subject": "Printer"}, None),
    ],
)
def test_risk_id_is_recovered_from_external_id_tag_or_subject(
    record: dict[str, Any], expected: int | None
) -> None:
    assert risk_id_of(record) == expected


def test_only_tagged_tickets_are_aria_tickets() -> None:
    assert is_aria_ticket({"tags": ["aria-risk", "x"]})
    assert not is_aria_ticket({"tags": ["aria-risk-3"]}) and not is_aria_ticket({"tags": None})


@pytest.mark.parametrize(
    ("score", "priority"),
    [
        (25, "urgent"),
        (20, "urgent"),
        (19, "high"),
        (12, "high"),
        (11, "normal"),
        (6, "normal"),
        (5, "low"),
        (1, "low"),
        (None, "normal"),
        ("n/a", "normal"),
    ],
)
def test_priority_follows_the_risk_score(score: Any, priority: str) -> None:
    assert priority_for_score(score) == priority


def test_state_mapping_overrides_win_over_the_defaults() -> None:
    mapping = state_mapping({"open": "open", "in_progress": "hold", "closed": "closed"})
    assert mapping.vendor_state("reopen") == "open" and mapping.vendor_state("close") == "closed"
    assert mapping.risk_status("HOLD") == "in_progress"
    assert mapping.risk_status("solved") == "closed"  # still a default meaning
    assert mapping.risk_status("whatever") is None
    with pytest.raises(ConfigError):
        state_mapping({"done": "solved"})
