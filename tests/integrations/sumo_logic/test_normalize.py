"""Normalizers on the real Cloud SIEM samples in ../shared/corpus and on documented shapes."""

from __future__ import annotations

from typing import Any

import pytest

from aria.integrations.sumo_logic.normalize import (
    attacks,
    entity_asset,
    insight_status,
    insight_to_incident,
    message_to_hit,
    record_to_hit,
    signal_severity,
    signal_to_finding,
)
from aria.sdk.records import FindingStatus, IncidentStatus, Severity
from aria.sdk.records.ocsf_validate import validate_ocsf
from tests.integrations.sumo_logic.conftest import (
    INSIGHTS_SAMPLE,
    SIGNALS_SAMPLE,
    corpus_objects,
)

SERVICE = "https://service.us2.sumologic.com"


def test_corpus_insight_becomes_an_incident() -> None:
    """The real insight list sample: zone-less timestamps, status object, username entity."""
    (insight,) = corpus_objects(INSIGHTS_SAMPLE)
    incident = insight_to_incident(insight, SERVICE)
    assert incident.source_uid == "3fa0cee5-6658-31d4-bd66-32fe1739cf61"
    assert incident.title == "Defense Evasion with Persistence"
    assert incident.description == "Defense Evasion, Persistence. Entity: service-user"
    assert incident.severity is Severity.MEDIUM and incident.severity_raw == "MEDIUM"
    assert incident.status is IncidentStatus.NEW and incident.status_raw == "new"
    assert incident.assignee is None and incident.finding_uids == []
    assert incident.created_at.isoformat() == "2021-05-18T14:46:46.741955+00:00"
    assert incident.modified_at.isoformat() == "2021-05-18T14:47:17.560178+00:00"
    assert incident.first_seen.isoformat() == "2021-05-18T14:45:51+00:00"
    assert incident.url == f"{SERVICE}/sec/insight/3fa0cee5-6658-31d4-bd66-32fe1739cf61"
    assert incident.raw["readableId"] == "INSIGHT-231"
    assert incident.source_product == "Sumo Logic Cloud SIEM"
    event = incident.to_ocsf()
    validate_ocsf(event)
    assert event["class_uid"] == 2005 and event["assignee_group"] == {"name": "Unassigned"}


def test_corpus_signals_become_detections() -> None:
    """The real signal list sample: suppressed DGA signals on an IP entity, severity 1."""
    signals = corpus_objects(SIGNALS_SAMPLE)
    findings = [signal_to_finding(s, SERVICE) for s in signals]
    assert [f.source_uid for f in findings] == [
        "1f7aa24e-4074-5654-b0eb-7442dc0ead5a",
        "9f3975ec-7a0e-5c3b-9b6c-98a6016e74bf",
    ]
    first = findings[0]
    assert first.title == "DNS DGA Lookup Behavior - NXDOMAIN Responses"
    assert first.severity is Severity.LOW and first.severity_raw == 1
    assert first.status is FindingStatus.SUPPRESSED
    assert first.asset is not None and first.asset.ip == "1.2.3.4"
    info = first.detection_info
    assert info is not None and info.detection_source == "THRESHOLD-S00044"
    assert [(a.tactic_id, a.tactic, a.technique_id) for a in info.attacks] == [
        ("TA0011", "Command and Control", "T1568")
    ]
    assert first.created_at.isoformat() == "2021-04-21T15:04:38.236000+00:00"
    assert info.url == f"{SERVICE}/sec/signal/1f7aa24e-4074-5654-b0eb-7442dc0ead5a"
    assert len({f.dedupe_key("i") for f in findings}) == 2
    for finding in findings:
        validate_ocsf(finding.to_ocsf())


@pytest.mark.parametrize(
    ("score", "expected"),
    [
        (0, Severity.INFORMATIONAL),
        (1, Severity.LOW),
        (3, Severity.LOW),
        (4, Severity.MEDIUM),
        (6, Severity.MEDIUM),
        (7, Severity.HIGH),
        (8, Severity.HIGH),
        (9, Severity.CRITICAL),
        (10, Severity.CRITICAL),
        ("5", Severity.MEDIUM),
        (None, Severity.UNKNOWN),
        (True, Severity.UNKNOWN),
    ],
)
def test_signal_severity_is_a_zero_to_ten_score(score: Any, expected: Severity) -> None:
    """Small ints are Sumo scores, never OCSF ids (5 would otherwise mean Critical)."""
    assert signal_severity(score) is expected


def test_attacks_from_tags_then_stage() -> None:
    tags = [
        "_mitreAttackTactic:TA0006",
        "_mitreAttackTactic:TA0007",
        "_mitreAttackTechnique:T1110.003",
        "_mitreAttackTechnique:T1110.003",
        "owner:soc",
    ]
    assert attacks(tags) == [
        {"technique_id": "T1110.003", "tactic_id": "TA0006", "tactic": "Credential Access"},
        {"tactic_id": "TA0007", "tactic": "Discovery"},
    ]
    assert attacks([], "Lateral Movement") == [
        {"tactic_id": "TA0008", "tactic": "Lateral Movement"}
    ]
    assert attacks(None, "Unknown/Other") == []


@pytest.mark.parametrize(
    ("entity", "expected"),
    [
        (
            {"id": "_ip-lab-1.2.3.4", "ip": {"address": "1.2.3.4"}, "name": "1.2.3.4"},
            {"ip": "1.2.3.4"},
        ),
        ({"id": "_hostname-ws-1", "entityType": "_hostname", "name": "ws-1"}, {"hostname": "ws-1"}),
        (
            {"id": "_ip-10.0.0.5", "name": "10.0.0.5", "ipHostname": "db-01"},
            {"ip": "10.0.0.5", "hostname": "db-01"},
        ),
        ({"id": "_username-service", "username": "service-user", "name": "service-user"}, None),
        (None, None),
    ],
)
def test_entity_asset(entity: Any, expected: dict[str, str] | None) -> None:
    assert entity_asset(entity) == expected


@pytest.mark.parametrize(
    ("status", "resolution", "expected"),
    [
        ({"name": "new", "displayName": "New"}, None, IncidentStatus.NEW),
        ({"name": "inprogress", "displayName": "In Progress"}, None, IncidentStatus.IN_PROGRESS),
        ({"name": "closed"}, "Resolved", IncidentStatus.RESOLVED),
        ({"name": "closed"}, "False Positive", IncidentStatus.CLOSED),
        ({"name": "closed"}, None, IncidentStatus.CLOSED),
        ({"name": "escalatedToLegal", "displayName": "Escalated"}, None, IncidentStatus.OTHER),
    ],
)
def test_insight_status_and_resolution(
    status: dict[str, str], resolution: str | None, expected: IncidentStatus
) -> None:
    mapped, raw = insight_status({"status": status, "resolution": resolution})
    assert mapped is expected and raw == status["name"]


def test_insight_links_signals_and_assignee() -> None:
    insight = {
        "id": "abc",
        "name": "Execution with Persistence",
        "severity": "HIGH",
        "status": {"name": "closed", "displayName": "Closed"},
        "resolution": "Resolved",
        "assignee": {"type": "USER", "username": "kenji@acme.example"},
        "signals": [{"id": "s-1"}, {"id": "s-2"}, {"name": "no id"}],
        "created": "2025-06-01T10:00:00.000001",
        "lastUpdated": "2025-06-01T11:00:00",
        "closed": "2025-06-01T11:00:00",
    }
    incident = insight_to_incident(insight)
    assert incident.finding_uids == ["s-1", "s-2"]
    assert incident.assignee == "kenji@acme.example"
    assert incident.status is IncidentStatus.RESOLVED and incident.url is None
    event = incident.to_ocsf()
    validate_ocsf(event)
    assert event["activity_id"] == 3  # Close


def test_message_to_hit_parses_times_fields_and_forwarded_json() -> None:
    message = {
        "map": {
            "_messagetime": "1748862000123",
            "_receipttime": "1748862001000",
            "_sourcecategory": "aria/events",
            "_raw": '{"source":"aria","risk_id":7,"title":"x"}',
            "risk_id": "7",
        }
    }
    hit = message_to_hit(message)
    assert hit.time is not None and hit.time.isoformat() == "2025-06-02T11:00:00.123000+00:00"
    assert hit.message == '{"source":"aria","risk_id":7,"title":"x"}'
    assert hit.source == "aria/events"
    # What the search extracted wins; the rest of the document fills in.
    assert hit.fields["risk_id"] == "7" and hit.fields["title"] == "x"
    assert "_raw" not in hit.fields
    plain = message_to_hit({"map": {"_raw": "GET / 200", "_receipttime": "1748862001000"}})
    assert plain.message == "GET / 200" and plain.time is not None
    assert plain.time.isoformat() == "2025-06-02T11:00:01+00:00"


def test_record_to_hit_keeps_aggregate_fields() -> None:
    hit = record_to_hit({"map": {"_count": "90", "_sourcecategory": "service"}})
    assert hit.fields == {"_count": "90", "_sourcecategory": "service"}
    assert hit.time is None and hit.message is None
