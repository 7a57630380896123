"""Normalizers on the real Falcon samples in ../shared/corpus (read there, never copied)."""

from __future__ import annotations

import httpx

from aria.integrations.crowdstrike_falcon import FalconConfig
from aria.integrations.crowdstrike_falcon.normalize import (
    alert_to_finding,
    behavior_to_finding,
    detection_to_finding,
    host_to_asset,
    incident_to_incident,
    quarantined_file_to_finding,
    split_product,
    vulnerability_to_finding,
)
from aria.integrations.crowdstrike_falcon.sandbox import NOW
from aria.integrations.crowdstrike_falcon.sandbox_data import generate
from aria.integrations.crowdstrike_falcon.streams import Alerts, Incidents
from aria.sdk.records import FindingKind, FindingStatus, IncidentStatus, Severity
from aria.sdk.records.ocsf_validate import validate_ocsf
from tests.integrations.crowdstrike_falcon.conftest import corpus_resources


def test_cloud_ioa_alerts() -> None:
    first, second = corpus_resources("ioa_alerts_v2_entities_response.json")
    finding = alert_to_finding(first)
    assert finding.kind is FindingKind.DETECTION
    assert finding.source_uid == first["composite_id"]
    assert finding.title.startswith("EC2 security group modified")
    assert finding.severity is Severity.HIGH and finding.severity_raw == 70
    assert finding.status is FindingStatus.NEW
    attack = finding.detection_info.attacks[0]
    assert (attack.tactic_id, attack.tactic) == ("TA0005", "Defense Evasion")
    assert attack.technique_id == "T1562.007"
    assert finding.detection_info.detection_source == "Falcon Cloud Security"
    assert finding.detection_info.url == first["falcon_host_link"]
    assert finding.asset.resource_uid == "sg-0000000000000dummy"
    assert finding.asset.resource_type == "AWS::EC2::SecurityGroup"
    assert finding.modified_at.isoformat().startswith("2026-04-20T22:49:16.583865")
    ocsf = finding.to_ocsf()
    validate_ocsf(ocsf)
    assert ocsf["finding_info"]["attacks"][0]["sub_technique"]["uid"] == "T1562.007"
    low = alert_to_finding(second)
    assert low.severity is Severity.LOW and low.detection_info.attacks == []
    validate_ocsf(low.to_ocsf())


def test_behaviors_are_detections() -> None:
    (record,) = corpus_resources("entities_behaviors_response.json")
    finding = behavior_to_finding(record)
    via_stream = detection_to_finding(record)
    assert (via_stream.source_uid, via_stream.title) == (finding.source_uid, finding.title)
    assert finding.source_uid == "ind:XX:XX" and finding.title == "UserTokenImpersonation"
    attack = finding.detection_info.attacks[0]
    assert (attack.tactic_id, attack.technique_id) == ("TA0004", "T1134")
    assert attack.technique == "Access Token Manipulation"
    assert finding.asset.agent_id == "aid"
    assert "ServerManagerLauncher.exe" in finding.description
    validate_ocsf(finding.to_ocsf())


def test_quarantined_files_and_online_states() -> None:
    files = corpus_resources("list_quarantine_files.json")
    finding = quarantined_file_to_finding(files[0])
    assert detection_to_finding(files[0]).source_uid == finding.source_uid == "quarantine:121212"
    assert finding.title == "File quarantined: test.exe"
    assert finding.asset.hostname == "instance-1" and finding.asset.agent_id == "131313"
    assert finding.status is FindingStatus.IN_PROGRESS  # unrelease_pending
    validate_ocsf(finding.to_ocsf())

    states = corpus_resources("online_states_response.json")
    assets = [host_to_asset(s) for s in states]
    assert [a.agent_id for a in assets] == [s["id"] for s in states]
    assert assets[0].last_seen.isoformat() == "2024-08-04T09:01:56+00:00"
    for asset in assets:
        validate_ocsf(asset.to_ocsf())


def test_id_query_envelope_from_the_corpus() -> None:
    """An ID-only response (the users sample) parses as a Falcon envelope of IDs."""
    body = {"meta": {}, **{"resources": corpus_resources("entities_users_response.json")}}
    response = httpx.Response(200, json=body, request=httpx.Request("GET", "https://x/y"))
    parsed = Alerts().parse(response)
    assert len(parsed["resources"]) == 5 and all(isinstance(i, str) for i in parsed["resources"])


def test_sandbox_shapes_normalize_fully() -> None:
    data = generate(3, 20, NOW)
    host = host_to_asset(data.devices[0])
    assert host.agent_id == data.devices[0]["device_id"]
    assert host.macs[0] == data.devices[0]["mac_address"].replace("-", ":")
    incident = incident_to_incident(data.incidents[0])
    assert (
        incident.status
        is {
            20: IncidentStatus.NEW,
            25: IncidentStatus.NEW,
            30: IncidentStatus.IN_PROGRESS,
            40: IncidentStatus.CLOSED,
        }[data.incidents[0]["status"]]
    )
    assert incident.url.endswith(data.incidents[0]["incident_id"])
    vuln = vulnerability_to_finding(data.vulnerabilities[0])
    raw = data.vulnerabilities[0]
    assert vuln.vulnerability_info.cve_ids == [raw["cve"]["id"]]
    assert vuln.vulnerability_info.cvss_score == raw["cve"]["base_score"]
    assert vuln.asset.agent_id == raw["aid"]
    for record in (host, incident, vuln):
        validate_ocsf(record.to_ocsf())


def test_incident_scores_and_codes() -> None:
    base = {"incident_id": "inc:a:b", "fine_score": 5, "status": 30, "hosts": []}
    incident = incident_to_incident(base)
    assert incident.severity is Severity.INFORMATIONAL  # 5/100, not OCSF id 5
    assert incident.status is IncidentStatus.IN_PROGRESS and incident.status_raw == 30
    closed = incident_to_incident({**base, "fine_score": 95, "status": 40})
    assert closed.severity is Severity.CRITICAL and closed.status is IncidentStatus.CLOSED
    assert Incidents().console == "https://falcon.crowdstrike.com"
    eu = FalconConfig.parse({"client_id": "x", "client_secret": "y", "cloud": "eu-1"})
    assert Incidents(eu).console == "https://falcon.eu-1.crowdstrike.com"


def test_vulnerability_without_facets_and_product_split() -> None:
    record = {"id": "a_1", "aid": "a", "vulnerability_id": "CVE-2024-6387", "status": "expired"}
    finding = vulnerability_to_finding(record)
    assert finding.vulnerability_info.cve_ids == ["CVE-2024-6387"]
    assert finding.status is FindingStatus.ARCHIVED
    validate_ocsf(finding.to_ocsf())
    assert split_product("Google Chrome 118.0.5993.70") == ("Google Chrome", "118.0.5993.70")
    assert split_product("OpenSSH 8.9p1", "OpenSSH") == ("OpenSSH", "8.9p1")
    assert split_product("Microsoft Edge") == ("Microsoft Edge", None)
