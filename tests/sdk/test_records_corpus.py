"""Canonical records built from real vendor samples in ../shared/corpus (never copied here)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from aria.sdk.records import (
    Asset,
    AssetRef,
    Finding,
    FindingStatus,
    Incident,
    IncidentStatus,
    Indicator,
    Severity,
)

CORPUS = Path(__file__).parents[2].parent / "shared" / "corpus"
VENDOR = CORPUS / "vendor-api"

pytestmark = pytest.mark.skipif(
    not VENDOR.is_dir(), reason=f"real vendor samples not found at {CORPUS} (../shared/corpus)"
)


def _load(relative: str) -> Any:
    path = CORPUS / relative
    if not path.is_file():
        pytest.skip(f"corpus sample missing: {relative}")
    return json.loads(path.read_text(encoding="utf-8"))


def _validate(event: dict[str, Any]) -> None:
    pytest.importorskip("ocsf_json_schema")
    from aria.sdk.records.ocsf_validate import validate_ocsf

    validate_ocsf(event)


def test_crowdstrike_alerts_to_detections() -> None:
    resources = _load("vendor-api/crowdstrike-falcon/ioa_alerts_v2_entities_response.json")[
        "resources"
    ]
    assert resources
    for r in resources:
        finding = Finding.detection(
            uid=r["composite_id"],
            title=r.get("display_name") or r.get("name"),
            description=r.get("description"),
            severity=r.get("severity"),  # 0-100 score
            status=r.get("status"),
            created_at=r.get("created_timestamp"),  # nanosecond ISO strings
            modified_at=r.get("updated_timestamp"),
            first_seen=r.get("first_timestamp"),
            last_seen=r.get("last_timestamp"),
            attacks=r.get("mitre_attack") or (),
            confidence=r.get("confidence"),
            detection_source=r.get("product"),
            url=r.get("falcon_host_link"),
            asset=AssetRef(
                hostname=(r.get("device") or {}).get("hostname"),
                agent_id=(r.get("device") or {}).get("device_id"),
                resource_uid=r.get("resource_id"),
                resource_type=r.get("service"),
            ),
            raw=r,
            source_product="Falcon",
            source_vendor="CrowdStrike",
        )
        assert finding.severity_raw == r["severity"]
        assert finding.severity.caption == r["severity_name"]  # our table agrees with Falcon's
        assert finding.status is FindingStatus.NEW
        assert finding.created_at is not None and finding.created_at.tzinfo is not None
        assert finding.dedupe_key("inst") == ("inst", r["composite_id"])
        event = finding.to_ocsf()
        _validate(event)
        if r.get("mitre_attack"):
            attack = event["finding_info"]["attacks"][0]
            assert attack["tactic"]["uid"] == r["tactic_id"]
            assert attack["sub_technique"]["uid"] == r["technique_id"]
        else:
            assert "attacks" not in event["finding_info"]


def test_defender_alerts_to_detections() -> None:
    alerts = _load("vendor-api/microsoft-defender-endpoint/first_response_alerts.json")["value"]
    for a in alerts:
        finding = Finding.detection(
            uid=a["id"],
            title=a.get("title"),
            description=a.get("description"),
            severity=a.get("severity"),
            status=a.get("status"),
            created_at=a.get("alertCreationTime"),
            modified_at=a.get("lastUpdateTime"),
            first_seen=a.get("firstEventTime"),
            last_seen=a.get("lastEventTime"),
            detection_source=a.get("detectionSource"),
            asset=AssetRef(agent_id=a.get("machineId"), hostname=a.get("computerDnsName")),
            raw=a,
            source_product="Microsoft Defender for Endpoint",
            source_vendor="Microsoft",
        )
        assert finding.severity is Severity.from_vendor(a["severity"])
        assert finding.asset is not None and finding.asset_key().startswith("agent:")
        _validate(finding.to_ocsf())


def _s1_asset_from_threat(info: dict[str, Any]) -> Asset:
    nics = info.get("networkInterfaces") or []
    return Asset(
        uid=info.get("agentId"),
        hostname=info.get("agentComputerName"),
        domain=info.get("agentDomain"),
        agent_id=info.get("agentUuid"),
        ips=[ip for nic in nics for ip in (nic.get("inet") or []) + (nic.get("inet6") or [])],
        macs=[nic.get("physical") for nic in nics],
        os_name=info.get("agentOsName"),
        os_version=info.get("agentOsRevision"),
        device_type=info.get("agentMachineType"),
    )


def test_sentinelone_threats_and_agents_describe_one_device() -> None:
    threats = _load("vendor-api/sentinelone/get_threats_2_1_raw_response.json")["data"]
    agents = _load("vendor-api/sentinelone/agents_raw_response.json")
    for t in threats:
        info = t["threatInfo"]
        asset = _s1_asset_from_threat(t["agentRealtimeInfo"])
        finding = Finding.detection(
            uid=t["id"],
            title=info.get("threatName"),
            severity=info.get("confidenceLevel"),  # "malicious": not a severity word
            status=info.get("incidentStatus"),
            created_at=info.get("createdAt"),
            modified_at=info.get("updatedAt"),
            detection_source=info.get("detectionType"),
            asset=asset,
            raw=t,
            source_product="Singularity",
            source_vendor="SentinelOne",
        )
        assert finding.severity is Severity.OTHER and finding.severity_raw == "malicious"
        assert finding.status is FindingStatus.RESOLVED
        _validate(finding.to_ocsf())
        for sha in (info.get("sha1"), info.get("sha256"), info.get("md5")):
            if sha:
                indicator = Indicator.from_value(sha, source="SentinelOne")
                assert indicator.to_stix().pattern.startswith("[file:hashes.")

    # The agent inventory names the same machine: their identifiers overlap, so they merge.
    inventory = []
    for a in agents:
        nics = a.get("networkInterfaces") or []
        inventory.append(
            Asset(
                uid=a["id"],
                hostname=a.get("computerName"),
                domain=a.get("domain"),
                agent_id=a.get("uuid"),
                ips=[ip for nic in nics for ip in (nic.get("inet") or [])],
                macs=[nic.get("physical") for nic in nics],
                os_name=a.get("osName"),
                device_type=a.get("machineType"),
                last_seen=a.get("lastActiveDate"),
                first_seen=a.get("registeredAt"),
                raw=a,
            )
        )
        _validate(inventory[-1].to_ocsf())
    from_threat = set(_s1_asset_from_threat(threats[0]["agentRealtimeInfo"]).identifiers())
    assert any(from_threat & set(asset.identifiers()) for asset in inventory)
    assert ("hostname", "ec2amaz-aj0kanc") in from_threat  # WORKGROUP is not a DNS domain


def test_cortex_xdr_incidents() -> None:
    incidents = _load("vendor-api/cortex-xdr/get_incidents_list.json")["reply"]["incidents"]
    for i in incidents:
        incident = Incident(
            uid=i["incident_id"],
            title=i.get("description"),
            severity=i.get("severity"),
            status=i.get("status"),
            assignee=i.get("assigned_user_mail"),
            created_at=i.get("creation_time"),  # epoch ms
            modified_at=i.get("modification_time"),
            url=i.get("xdr_url"),
            raw=i,
        )
        assert incident.created_at is not None and incident.created_at.year == 2019
        assert incident.status in (IncidentStatus.NEW, IncidentStatus.IN_PROGRESS)
        _validate(incident.to_ocsf())


def test_trivy_report_to_vulnerabilities() -> None:
    report = _load("scans/trivy/legacy_many_vulns.json")
    results = report if isinstance(report, list) else report.get("Results", [])
    findings = []
    for result in results:
        for v in result.get("Vulnerabilities") or []:
            vid = v["VulnerabilityID"]
            nvd = (v.get("CVSS") or {}).get("nvd") or {}
            findings.append(
                Finding.vulnerability(
                    uid=vid,
                    cve_ids=[vid] if vid.upper().startswith("CVE-") else None,
                    cwe_ids=v.get("CweIDs"),
                    title=v.get("Title"),
                    description=v.get("Description"),
                    severity=v.get("Severity"),
                    cvss_score=nvd.get("V3Score"),
                    cvss_vector=nvd.get("V3Vector"),
                    package_name=v.get("PkgName"),
                    package_version=v.get("InstalledVersion"),
                    fixed_version=v.get("FixedVersion"),
                    references=v.get("References"),
                    asset=AssetRef(resource_uid=result.get("Target"), resource_type="image"),
                    raw=v,
                )
            )
    assert len(findings) == 93  # DefectDojo's parser finds the same number (expected.tsv)
    for finding in findings[:25]:
        _validate(finding.to_ocsf())
    keys = {f.dedupe_key("inst") for f in findings}
    assert len(keys) <= len(findings)


def test_virustotal_relationships_to_indicators() -> None:
    data = _load("vendor-api/virustotal/domain.json")["data"]
    ids = [
        entry["id"]
        for rel in (data.get("relationships") or {}).values()
        for entry in rel.get("data") or []
        if entry.get("type") == "domain"
    ]
    assert ids
    for value in ids:
        indicator = Indicator(type="domain", value=value, source="VirusTotal")
        assert indicator.value == value.lower()
        assert indicator.to_stix().pattern == f"[domain-name:value = '{indicator.value}']"
    url = _load("vendor-api/virustotal/url.json")["data"]["attributes"]["url"]
    assert Indicator.from_value(url).dedupe_key()[0] == "url"
