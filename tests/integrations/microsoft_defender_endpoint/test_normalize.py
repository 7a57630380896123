"""Normalizers on the real Defender samples in ../shared/corpus and on documented shapes."""

from __future__ import annotations

from aria.integrations.microsoft_defender_endpoint.normalize import (
    alert_to_finding,
    attacks,
    incident_to_incident,
    indicator_to_indicator,
    machine_to_asset,
    recommendation_to_finding,
    vulnerability_to_finding,
)
from aria.sdk.records import FindingStatus, IncidentStatus, Severity
from aria.sdk.records.ocsf_validate import validate_ocsf
from tests.integrations.microsoft_defender_endpoint.conftest import (
    ALERTS_SAMPLE,
    VULNS_SAMPLE,
    corpus_values,
)


def test_corpus_alerts_sample() -> None:
    """The real /api/alerts response (CRLF line endings) normalizes field by field."""
    raw_bytes = ALERTS_SAMPLE.read_bytes() if ALERTS_SAMPLE.is_file() else b""
    alerts = corpus_values(ALERTS_SAMPLE)
    assert b"\r\n" in raw_bytes  # the sample is CRLF, and JSON does not mind
    findings = [alert_to_finding(a) for a in alerts]
    assert [f.source_uid for f in findings] == [
        "da637029414680409372_735564929",
        "da637029413772554314_295039533",
        "da636983472338927033_-2077013687",
    ]
    first = findings[0]
    assert first.title == "Demisto Alert" and first.description == "Created for documentation"
    assert first.severity is Severity.MEDIUM and first.severity_raw == "Medium"
    assert [f.severity for f in findings[1:]] == [Severity.LOW, Severity.LOW]
    assert first.status is FindingStatus.NEW and first.status_raw == "New"
    assert first.asset.agent_id == "43df73d1dac43593d1275e20422f44a949f6dfc3"
    assert first.detection_info.detection_source == "CustomerTI"
    assert first.detection_info.attacks == []  # category is the string "null"
    assert first.created_at.isoformat() == "2019-09-01T13:31:08.025286+00:00"
    assert first.modified_at.isoformat() == "2019-09-01T13:31:08.570000+00:00"
    assert first.first_seen.isoformat().startswith("2019-08-05T00:53:51")
    assert findings[2].last_seen.isoformat().startswith("2019-08-10T03:33:38")
    assert first.raw["incidentId"] == 14
    for finding in findings:
        validate_ocsf(finding.to_ocsf())


def test_corpus_machines_vulnerabilities_sample() -> None:
    rows = corpus_values(VULNS_SAMPLE)
    findings = [vulnerability_to_finding(r) for r in rows]
    first = findings[0]
    assert first.vulnerability_info.cve_ids == ["CVE-1234-5678"]
    assert first.asset.agent_id == "wjeriowerjoiewrjoweirjeowij"
    assert first.vulnerability_info.package_name == "tools"
    assert first.vulnerability_info.package_version == "1.2.3.4"
    assert first.vulnerability_info.remediation == "Update packagvendor tools 1.2.3.4"
    assert [f.severity for f in findings] == [
        Severity.LOW,
        Severity.HIGH,
        Severity.MEDIUM,
        Severity.MEDIUM,
    ]
    assert len({f.dedupe_key("i") for f in findings}) == 4
    for finding in findings:
        validate_ocsf(finding.to_ocsf())


def test_category_is_the_tactic_of_each_technique() -> None:
    assert attacks("CredentialAccess", ["T1003.001", "T1003.001", "bogus"]) == [
        {"tactic_id": "TA0006", "tactic": "Credential Access", "technique_id": "T1003.001"}
    ]
    assert attacks("Malware", ["T1204"]) == [{"technique_id": "T1204"}]
    assert attacks("Execution", []) == [{"tactic_id": "TA0002", "tactic": "Execution"}]
    assert attacks(None, None) == []


def test_resolved_false_positive_is_suppressed() -> None:
    base = {"id": "da1_1", "title": "t", "severity": "UnSpecified", "status": "Resolved"}
    assert alert_to_finding(base).status is FindingStatus.RESOLVED
    fp = alert_to_finding({**base, "classification": "FalsePositive"})
    assert fp.status is FindingStatus.SUPPRESSED and fp.severity is Severity.UNKNOWN


def test_machine_without_optional_fields() -> None:
    asset = machine_to_asset({"id": "abc123", "computerDnsName": "WS-01.Corp.Example"})
    assert asset.agent_id == "abc123" and asset.hostname == "ws-01.corp.example"
    assert asset.ips == [] and asset.criticality is None
    validate_ocsf(asset.to_ocsf())


def test_incident_statuses_and_redirect() -> None:
    record = {
        "incidentId": 7,
        "incidentName": "Multi-stage incident",
        "status": "Redirected",
        "severity": "High",
        "redirectIncidentId": 9,
        "createdTime": "2024-01-01T00:00:00Z",
        "lastUpdateTime": "2024-01-02T00:00:00Z",
        "alerts": [
            {"alertId": "da1_1", "firstActivity": "2023-12-31T00:00:00Z", "devices": []},
            {"alertId": "da1_2", "lastActivity": "2024-01-01T05:00:00Z"},
        ],
    }
    incident = incident_to_incident(record)
    assert incident.status is IncidentStatus.CLOSED
    assert incident.finding_uids == ["da1_1", "da1_2"]
    assert "merged into incident 9" in incident.description
    assert incident.first_seen.isoformat().startswith("2023-12-31")
    validate_ocsf(incident.to_ocsf())


def test_certificate_indicators_are_skipped_and_ips_inferred() -> None:
    cert = {"id": "1", "indicatorValue": "a" * 40, "indicatorType": "CertificateThumbprint"}
    assert indicator_to_indicator(cert) is None
    ipv6 = indicator_to_indicator(
        {"id": "2", "indicatorValue": "2001:db8::1", "indicatorType": "IpAddress"}
    )
    assert ipv6 is not None and ipv6.type.value == "ipv6"


def test_recommendation_without_exposure_passes() -> None:
    record = {
        "id": "sca-_-scid-2000",
        "recommendationName": "Turn on Microsoft Defender Antivirus",
        "remediationType": "ConfigurationChange",
        "severityScore": 9.0,
        "exposedMachinesCount": 0,
        "totalMachineCount": 10,
        "status": "Active",
    }
    finding = recommendation_to_finding(record, "tenant")
    assert finding.compliance_info.result.name == "PASS"
    assert finding.status is FindingStatus.RESOLVED and finding.severity is Severity.CRITICAL
