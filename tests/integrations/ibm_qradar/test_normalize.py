"""Normalizers on the real QRadar samples in ../shared/corpus and on documented shapes."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from aria.integrations.ibm_qradar.normalize import (
    magnitude_severity,
    offense_status,
    offense_to_incident,
    row_to_hit,
)
from aria.sdk.records import IncidentStatus, Severity
from aria.sdk.records.ocsf_validate import validate_ocsf
from tests.integrations.ibm_qradar.conftest import corpus_command

CONSOLE = "https://qradar.example.com"


def _ms(value: int) -> datetime:
    return datetime.fromtimestamp(value / 1000, UTC)


def test_corpus_offenses_list_normalizes_field_by_field() -> None:
    """The real GET /api/siem/offenses body (two OPEN offenses) -> incidents."""
    offenses = corpus_command("offenses_list")
    incidents = [offense_to_incident(o, CONSOLE) for o in offenses]
    assert [i.source_uid for i in incidents] == [str(o["id"]) for o in offenses] == ["16", "15"]
    session, logins = incidents
    # The title is the first line of the multi-line description.
    assert session.title == "Session Closed"
    assert logins.title == "Multiple Login Failures for the Same User"
    assert "containing Failure Audit" in (logins.description or "")
    assert "Offense source: yarden." in (logins.description or "")
    assert "Categories: General Authentication Failed, User Login Failure." in (
        logins.description or ""
    )
    assert "15 events and 0 flows." in (logins.description or "")
    assert "Magnitude 1 (severity 3, credibility 2, relevance 0)." in (logins.description or "")
    assert "Custom Rule Engine-8 :: ip-162-21-12-77" in (logins.description or "")
    # OPEN and unassigned: new. Magnitude 1 of 10 is informational, kept raw.
    assert [i.status for i in incidents] == [IncidentStatus.NEW, IncidentStatus.NEW]
    assert [i.status_raw for i in incidents] == ["OPEN", "OPEN"]
    assert [i.severity for i in incidents] == [Severity.INFORMATIONAL] * 2
    assert [i.severity_raw for i in incidents] == [1, 1]
    assert logins.assignee is None
    assert logins.created_at == _ms(offenses[1]["start_time"]) == logins.first_seen
    assert logins.modified_at == _ms(offenses[1]["last_updated_time"]) == logins.last_seen
    assert logins.url == (
        f"{CONSOLE}/console/do/sem/offensesummary?appName=Sem&pageId=OffenseSummary&summaryId=15"
    )
    assert logins.source_vendor == "IBM" and logins.raw == offenses[1]
    for incident in incidents:
        event = incident.to_ocsf()
        validate_ocsf(event)
        assert event["class_uid"] == 2005
        assert event["assignee_group"] == {"name": "Unassigned"}


def test_corpus_updated_offense_and_closing_reason() -> None:
    """The offense_update response, closed with a reason from the closing reasons sample."""
    offense = corpus_command("offense_update")
    reasons = {r["id"]: r["text"] for r in corpus_command("closing_reasons_list")}
    closed = {
        **offense,
        "status": "CLOSED",
        "assigned_to": "admin",
        "closing_user": "admin",
        "closing_reason_id": 2,
        "closing_reason": reasons[2],
        "close_time": offense["last_updated_time"] + 5_000,
    }
    incident = offense_to_incident(closed)
    assert incident.status is IncidentStatus.CLOSED and incident.status_raw == "CLOSED"
    assert incident.assignee == "admin"
    assert (incident.description or "").endswith(f"Closed as {reasons[2]} by admin.")
    assert incident.last_seen == _ms(closed["close_time"])
    assert incident.url is None  # no console URL given
    event = incident.to_ocsf()
    validate_ocsf(event)
    assert event["activity_name"] == "Close"
    assert event["assignee"]["name"] == "admin"


def test_closed_offense_without_reason_text_keeps_the_id() -> None:
    incident = offense_to_incident(
        {"id": 7, "status": "CLOSED", "closing_reason_id": 54, "description": "x\n"}
    )
    assert (incident.description or "").endswith("Closed (closing reason 54).")


@pytest.mark.parametrize(
    ("record", "expected"),
    [
        ({"status": "OPEN"}, IncidentStatus.NEW),
        ({"status": "OPEN", "assigned_to": "jsmith"}, IncidentStatus.IN_PROGRESS),
        ({"status": "HIDDEN"}, IncidentStatus.ON_HOLD),
        ({"status": "CLOSED", "assigned_to": "jsmith"}, IncidentStatus.CLOSED),
        ({"status": "closed"}, IncidentStatus.CLOSED),
        ({"status": "ARCHIVED"}, IncidentStatus.OTHER),
        ({}, IncidentStatus.UNKNOWN),
    ],
)
def test_offense_status(record: dict[str, Any], expected: IncidentStatus) -> None:
    assert offense_status(record) is expected


@pytest.mark.parametrize(
    ("magnitude", "expected"),
    [
        (None, Severity.UNKNOWN),
        (True, Severity.UNKNOWN),
        (0, Severity.UNKNOWN),
        (1, Severity.INFORMATIONAL),
        (2, Severity.INFORMATIONAL),
        (3, Severity.LOW),
        (4, Severity.LOW),
        (5, Severity.MEDIUM),
        (6, Severity.MEDIUM),
        (7, Severity.HIGH),
        (8, Severity.HIGH),
        (9, Severity.CRITICAL),
        (10, Severity.CRITICAL),
    ],
)
def test_magnitude_is_mapped_explicitly(magnitude: Any, expected: Severity) -> None:
    """1-10 is QRadar's scale, never an OCSF severity id (5 would otherwise be Critical)."""
    assert magnitude_severity(magnitude) is expected


def test_hidden_high_magnitude_offense() -> None:
    incident = offense_to_incident({"id": 3, "status": "HIDDEN", "magnitude": 9})
    assert incident.title == "Offense 3"
    assert incident.status is IncidentStatus.ON_HOLD
    assert incident.severity is Severity.CRITICAL and incident.severity_raw == 9
    validate_ocsf(incident.to_ocsf())


def test_corpus_ariel_results_become_search_hits() -> None:
    """The real GET /api/ariel/searches/{id}/results body -> search hits."""
    body = corpus_command("search_results_get")
    rows = body["events"]
    hits = [row_to_hit(row, "events") for row in rows]
    assert len(hits) == len(rows) == 2
    for hit, row in zip(hits, rows, strict=True):
        assert hit.time == _ms(row["starttime"])
        assert hit.message == row["qidname_qid"]
        assert hit.fields == row and hit.source == "events"


def test_select_star_row_reads_as_one_line() -> None:
    row = {
        "qid": 5000830,
        "sourceip": "10.0.0.5",
        "destinationip": "10.0.0.9",
        "username": "jsmith",
        "devicetime": 1717315200000,
    }
    hit = row_to_hit(row, "events")
    assert hit.message == "event: QID 5000830, 10.0.0.5 -> 10.0.0.9, user jsmith"
    assert hit.time == _ms(1717315200000)
    assert row_to_hit({"x": 1}, "flows").message is None
