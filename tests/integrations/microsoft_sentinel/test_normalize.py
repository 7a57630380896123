"""Normalizers: ARM incident resources -> incidents, query result rows -> search hits."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from aria.integrations.microsoft_sentinel.normalize import (
    incident_to_incident,
    row_to_hit,
    rows,
    unsuffixed,
)
from aria.integrations.microsoft_sentinel.sandbox_data import incident
from aria.sdk import FatalError
from aria.sdk.records import IncidentStatus, Severity
from aria.sdk.records.ocsf_validate import validate_ocsf
from tests.integrations.microsoft_sentinel.conftest import SAMPLES

WS = (
    "/subscriptions/0b1c2d3e-4f50-4617-8293-a4b5c6d7e8f9/resourceGroups/soc/providers/"
    "Microsoft.OperationalInsights/workspaces/soc-law"
)


def arm_incident(**properties: Any) -> dict[str, Any]:
    """An incident resource in the shape Incidents - List documents."""
    name = "6f0e3c1a-2b4d-4e5f-8a9b-0c1d2e3f4a5b"
    props: dict[str, Any] = {
        "title": "Impossible travel to atypical locations",
        "description": "Sign-ins from two countries within an hour.",
        "severity": "Medium",
        "status": "Active",
        "owner": {
            "objectId": "11111111-2222-4333-8444-555555555555",
            "email": "r.patel@contoso.example",
            "assignedTo": "Raj Patel",
            "userPrincipalName": "r.patel@contoso.example",
            "ownerType": "User",
        },
        "labels": [{"labelName": "VIP", "labelType": "User"}],
        "firstActivityTimeUtc": "2025-05-30T08:00:00Z",
        "lastActivityTimeUtc": "2025-05-30T08:40:00Z",
        "createdTimeUtc": "2025-05-30T08:45:12.1234567Z",
        "lastModifiedTimeUtc": "2025-05-31T10:01:02.5000000Z",
        "incidentNumber": 4711,
        "additionalData": {
            "alertsCount": 2,
            "bookmarksCount": 0,
            "commentsCount": 1,
            "alertProductNames": ["Azure Active Directory Identity Protection"],
            "tactics": ["InitialAccess"],
        },
        "incidentUrl": f"https://portal.azure.com/#asset/Microsoft_Azure_Security_Insights/"
        f"Incident{WS}/providers/Microsoft.SecurityInsights/incidents/{name}",
        "providerName": "Azure Sentinel",
        "providerIncidentId": "4711",
        **properties,
    }
    return {
        "id": f"{WS}/providers/Microsoft.SecurityInsights/incidents/{name}",
        "name": name,
        "etag": '"0300bf09-0000-0000-0000-5c37296e0000"',
        "type": "Microsoft.SecurityInsights/Incidents",
        "properties": props,
    }


def test_incident_fields_are_mapped() -> None:
    record = arm_incident()
    result = incident_to_incident(record)
    assert result.source_uid == record["name"]
    assert result.title == "Impossible travel to atypical locations"
    assert result.status is IncidentStatus.IN_PROGRESS and result.status_raw == "Active"
    assert result.severity is Severity.MEDIUM and result.severity_raw == "Medium"
    assert result.assignee == "r.patel@contoso.example"
    assert result.created_at == datetime(2025, 5, 30, 8, 45, 12, 123456, tzinfo=UTC)
    assert result.modified_at == datetime(2025, 5, 31, 10, 1, 2, 500000, tzinfo=UTC)
    assert result.first_seen == datetime(2025, 5, 30, 8, 0, tzinfo=UTC)
    assert result.url == record["properties"]["incidentUrl"]
    assert result.description is not None
    for part in ("#4711", "2 alerts", "InitialAccess", "VIP"):
        assert part in result.description
    assert result.raw == record
    validate_ocsf(result.to_ocsf())


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ("New", IncidentStatus.NEW),
        ("Active", IncidentStatus.IN_PROGRESS),
        ("Closed", IncidentStatus.CLOSED),
        ("Redirected", IncidentStatus.UNKNOWN),
    ],
)
def test_incident_status_vocabulary(status: str, expected: IncidentStatus) -> None:
    assert incident_to_incident(arm_incident(status=status)).status is expected


def test_closed_incident_carries_its_classification() -> None:
    result = incident_to_incident(
        arm_incident(
            status="Closed",
            classification="FalsePositive",
            classificationReason="IncorrectAlertLogic",
        )
    )
    assert result.status is IncidentStatus.CLOSED
    assert "FalsePositive (IncorrectAlertLogic)" in (result.description or "")
    assert result.to_ocsf()["activity_name"] == "Close"


def test_unassigned_incident_from_another_provider() -> None:
    result = incident_to_incident(
        arm_incident(
            owner={"objectId": None, "email": None, "assignedTo": None, "ownerType": "Unknown"},
            providerName="Microsoft XDR",
            severity="High",
        )
    )
    assert result.assignee is None
    assert result.severity is Severity.HIGH
    assert result.source_product == "Microsoft Sentinel (Microsoft XDR)"
    validate_ocsf(result.to_ocsf())


def test_sandbox_incidents_normalize_into_valid_ocsf() -> None:
    now = datetime(2025, 6, 2, 12, tzinfo=UTC)
    for index in range(30):
        record = incident(7, index, now)
        result = incident_to_incident(record)
        assert result.source_uid == record["name"]
        validate_ocsf(result.to_ocsf())


def test_real_sentinel_samples_normalize() -> None:
    """Real Incidents - List responses, when the shared corpus has any."""
    files = sorted(SAMPLES.glob("*.json")) if SAMPLES.is_dir() else []
    if not files:
        pytest.skip(f"no Microsoft Sentinel samples in {SAMPLES} (set ARIA_CORPUS_DIR)")
    for path in files:
        body = json.loads(path.read_text(encoding="utf-8"))
        for record in body.get("value", []) if isinstance(body, dict) else body:
            validate_ocsf(incident_to_incident(record).to_ocsf())


def test_result_table_rows_and_hits() -> None:
    table = {
        "name": "PrimaryResult",
        "columns": [
            {"name": "TimeGenerated", "type": "datetime"},
            {"name": "risk_id_d", "type": "real"},
            {"name": "title_s", "type": "string"},
            {"name": "closed_b", "type": "bool"},
            {"name": "Type", "type": "string"},
        ],
        "rows": [["2025-06-02T11:00:00Z", 42.0, "Exposed RDP", False, "AriaRiskEvents_CL"]],
    }
    [row] = rows(table)
    hit = row_to_hit(row)
    assert hit.time == datetime(2025, 6, 2, 11, tzinfo=UTC)
    assert hit.message == "Exposed RDP"
    assert hit.source == "AriaRiskEvents_CL"
    assert hit.fields["risk_id"] == 42 and isinstance(hit.fields["risk_id"], int)
    assert hit.fields["risk_id_d"] == 42.0
    assert hit.fields["closed"] is False


def test_built_in_tables_keep_their_column_names() -> None:
    row = {"TimeGenerated": "2025-06-02T11:00:00Z", "AlertName": "x", "Account_s": "a"}
    hit = row_to_hit(row, "SecurityAlert")
    assert hit.message == "x"
    assert "Account" not in hit.fields  # only custom (_CL) tables use Data Collector suffixes


def test_unsuffixed_never_overwrites_a_real_column() -> None:
    fields = unsuffixed({"risk_id": "keep", "risk_id_d": 1.0, "note_s": None})
    assert fields["risk_id"] == "keep"
    assert "note" not in fields
    # A table holding Data Collector rows and Logs Ingestion rows: the empty column yields.
    assert unsuffixed({"risk_id": None, "risk_id_d": 9.0})["risk_id"] == 9


@pytest.mark.parametrize(
    "table",
    [
        {"columns": [{"name": "a"}]},
        {"columns": [{"name": "a"}], "rows": [[1, 2]]},
        {"columns": "a", "rows": []},
    ],
)
def test_malformed_result_tables_are_fatal(table: dict[str, Any]) -> None:
    with pytest.raises(FatalError, match="malformed"):
        rows(table)
