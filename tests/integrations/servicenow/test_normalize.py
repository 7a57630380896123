"""Normalizers on the real ServiceNow record in ../shared/corpus and on documented shapes."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from aria.integrations.servicenow.config import ServiceNowConfig
from aria.integrations.servicenow.normalize import (
    JOURNAL_KEY,
    incident_to_ticket,
    journal_to_comment,
    plain,
    risk_id,
    score_level,
    urgency,
)
from aria.integrations.servicenow.sandbox import DEMO
from aria.sdk.records import IncidentStatus, Severity
from aria.sdk.records.ocsf_validate import validate_ocsf
from tests.integrations.servicenow.conftest import CHANGE_SAMPLE, corpus_record

BASE = "https://acme.service-now.com"
MAPPING = ServiceNowConfig.parse(DEMO).state_map()


def test_corpus_change_request_normalizes() -> None:
    """The real Table API record (a change_request read with sysparm_display_value=all, so
    every field is a display/value pair and integers arrive as floats) is a task like an
    incident: it normalizes field by field, and its state means nothing to the incident
    mapping."""
    record = corpus_record(CHANGE_SAMPLE)
    ticket = incident_to_ticket(record, base_url=BASE, mapping=MAPPING, username="aria")
    assert ticket.source_uid == "11ab5ccfdb784d505da401a3ca96190a"
    assert ticket.key == "CHG0031889"
    assert ticket.title == "Add network switch to cabinet"
    assert ticket.description.startswith("This standard change template describes")
    assert ticket.state == "-5" and ticket.status_raw == "New"
    assert ticket.status is IncidentStatus.OTHER
    assert ticket.risk_status is None and ticket.risk_id is None
    assert ticket.severity is Severity.LOW and ticket.severity_raw == "4 - Low"
    assert ticket.created_at == datetime(2022, 1, 6, 12, 12, 43, tzinfo=UTC)
    assert ticket.modified_at == ticket.created_at
    assert ticket.url == f"{BASE}/nav_to.do?uri=change_request.do?sys_id={ticket.source_uid}"
    assert ticket.comments == [] and ticket.raw["number"]["value"] == "CHG0031889"
    event = ticket.to_ocsf()
    validate_ocsf(event)
    assert event["tickets"][0]["uid"] == "CHG0031889"


def incident(**fields: object) -> dict[str, object]:
    """An incident as the tickets stream reads it (plain values, no reference links)."""
    base: dict[str, object] = {
        "sys_id": "9d385017c611228701d22104cc95c371",
        "number": "INC0020007",
        "short_description": "[ARIA risk 1007] Exposed RDP",
        "description": "Exposed RDP\n\nARIA risk id: 1007",
        "state": "2",
        "priority": "2",
        "correlation_id": "aria-risk-1007",
        "sys_class_name": "incident",
        "sys_created_on": "2025-05-03 10:00:00",
        "sys_updated_on": "2025-05-04 11:30:15",
        "assigned_to": "46d44a23a9fe19810012d100cca80666",
    }
    return {**base, **fields}


def test_incident_becomes_a_ticket_with_risk_and_state() -> None:
    ticket = incident_to_ticket(incident(), base_url=BASE + "/", mapping=MAPPING)
    assert (ticket.source_uid, ticket.key, ticket.risk_id) == (
        "9d385017c611228701d22104cc95c371",
        "INC0020007",
        1007,
    )
    assert ticket.state == "2" and ticket.risk_status == "in_progress"
    assert ticket.status is IncidentStatus.IN_PROGRESS and ticket.severity is Severity.HIGH
    assert ticket.modified_at == datetime(2025, 5, 4, 11, 30, 15, tzinfo=UTC)
    assert ticket.url == f"{BASE}/nav_to.do?uri=incident.do?sys_id=9d385017c611228701d22104cc95c371"
    assert ticket.assignee is None  # a bare sys_id is not a name
    validate_ocsf(ticket.to_ocsf())


@pytest.mark.parametrize(
    ("state", "risk_status", "status"),
    [
        ("1", "open", IncidentStatus.NEW),
        ("2", "in_progress", IncidentStatus.IN_PROGRESS),
        ("3", "in_progress", IncidentStatus.ON_HOLD),
        ("6", "closed", IncidentStatus.RESOLVED),
        ("7", "closed", IncidentStatus.CLOSED),
        ("8", "closed", IncidentStatus.CLOSED),
        ("42", None, IncidentStatus.OTHER),
    ],
)
def test_every_incident_state_maps(state: str, risk_status: str | None, status: object) -> None:
    ticket = incident_to_ticket(incident(state=state), base_url=BASE, mapping=MAPPING)
    assert ticket.risk_status == risk_status and ticket.status is status


def test_reference_links_and_display_pairs_are_read() -> None:
    """Without sysparm_exclude_reference_link a reference is {link, value}; with
    sysparm_display_value=all every field is {display_value, value}."""
    linked = incident(
        assigned_to={"link": f"{BASE}/api/now/table/sys_user/46d4", "value": "46d4"},
        state={"display_value": "On Hold", "value": "3"},
        priority={"display_value": "1 - Critical", "value": 1.0},
    )
    ticket = incident_to_ticket(linked, base_url=BASE, mapping=MAPPING)
    assert ticket.state == "3" and ticket.status_raw == "On Hold"
    assert ticket.severity is Severity.CRITICAL and ticket.severity_raw == "1 - Critical"
    assert plain({"link": "x", "value": "46d4"}) == "46d4" and plain(-5.0) == "-5"


def test_journal_rows_become_comments_oldest_first() -> None:
    record = incident(
        **{
            JOURNAL_KEY: [
                {
                    "sys_id": "b",
                    "element": "comments",
                    "value": "Can you confirm the hosts?",
                    "sys_created_on": "2025-05-04 09:00:00",
                    "sys_created_by": "beth.anglin",
                },
                {
                    "sys_id": "a",
                    "element": "work_notes",
                    "value": "[ARIA] Opened by ARIA for risk 1007 (score 20).",
                    "sys_created_on": "2025-05-03 10:00:00",
                    "sys_created_by": "aria.integration",
                },
                {"sys_id": "c", "element": "work_notes", "value": ""},
            ]
        }
    )
    ticket = incident_to_ticket(record, base_url=BASE, mapping=MAPPING, username="aria.integration")
    assert [(c.uid, c.from_aria) for c in ticket.comments] == [("a", True), ("b", False)]
    assert ticket.comments[1].author == "beth.anglin"
    assert ticket.to_ocsf()["tickets"][0]["status_details"][-1] == "Can you confirm the hosts?"


def test_from_aria_by_author_or_mark() -> None:
    row = {"value": "Patched.", "sys_created_by": "aria.integration"}
    assert journal_to_comment(row, "aria.integration").from_aria  # type: ignore[union-attr]
    assert not journal_to_comment(row, "someone.else").from_aria  # type: ignore[union-attr]
    marked = {"value": "[ARIA] Risk 3 closed in ARIA", "sys_created_by": "admin"}
    assert journal_to_comment(marked, None).from_aria  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("correlation", "expected"),
    [("aria-risk-42", 42), ("aria-risk-", None), ("aria-risk-4x", None), ("", None), (None, None)],
)
def test_risk_id_from_correlation_id(correlation: str | None, expected: int | None) -> None:
    assert risk_id({"correlation_id": correlation}) == expected


def test_levels_follow_servicenow_scale() -> None:
    assert [urgency(v) for v in (5, 4, 3, 2, 1, None, "x")] == ["1", "1", "2", "3", "3", "2", "2"]
    assert [score_level(v) for v in (25, 15, 14, 8, 7, None)] == ["1", "1", "2", "2", "3", "2"]
