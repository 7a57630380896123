"""OCSF export of every canonical record validates against the official schema, offline."""

from __future__ import annotations

import json
from typing import Any

import pytest

from aria.sdk.records import (
    OCSF_VERSION,
    Asset,
    AssetRef,
    CanonicalRecord,
    Finding,
    Identity,
    Incident,
    Indicator,
)
from aria.sdk.records.ocsf_validate import (
    OcsfValidationError,
    ocsf_class_name,
    validate_ocsf,
    validate_ocsf_object,
)

pytest.importorskip("ocsf_json_schema", reason="OCSF validation needs ocsf-json-schema")

HOST = AssetRef(
    hostname="WEB01",
    domain="corp.example.com",
    ip="10.0.0.5",
    mac="06-35-E6-62-53-2E",
    agent_id="AID-1",
    os="Windows Server 2016",
    os_version="14393",
    device_type="server",
)


def _records() -> dict[str, CanonicalRecord]:
    return {
        "detection": Finding.detection(
            uid="det-1",
            title="Credential dumping",
            description="lsass read by unsigned binary",
            severity="Critical",
            status="in_progress",
            created_at="2024-03-01T10:00:00Z",
            modified_at="2024-03-01T11:00:00Z",
            asset=HOST,
            tactic_id="TA0006",
            tactic="Credential Access",
            technique_id="T1003.001",
            technique="OS Credential Dumping: LSASS Memory",
            confidence=90,
            detection_source="EDR",
            url="https://falcon.example.com/detections/det-1",
            raw={"id": "det-1"},
            source_product="Falcon",
            source_vendor="CrowdStrike",
        ),
        "detection_minimal": Finding.detection(uid="d2"),
        "vulnerability": Finding.vulnerability(
            cve_ids=["CVE-2024-3094"],
            cwe_ids=["CWE-506"],
            title="xz backdoor",
            cvss_score="10.0",
            cvss_vector="CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H",
            package_name="xz-utils",
            package_version="5.6.0",
            fixed_version="5.6.2",
            remediation="Upgrade xz",
            exploit_available=True,
            kev=True,
            references=["https://nvd.nist.gov/vuln/detail/CVE-2024-3094"],
            asset=HOST,
            status="open",
        ),
        "vulnerability_no_cve": Finding.vulnerability(
            uid="nessus-51192",
            title="SSL certificate cannot be trusted",
            port="443/tcp",
            severity="medium",
            cvss_score=6.4,  # no vector: score goes to unmapped, not an invented version
            asset={"ip": "192.0.2.10"},
        ),
        "compliance": Finding.compliance(
            control_id="1.4",
            standard="CIS AWS Foundations 1.4",
            requirement="Ensure no root access key exists",
            resource_uid="arn:aws:iam::123456789012:root",
            result="FAILED",
            severity="high",
            remediation="Delete the root access keys",
        ),
        "compliance_pass": Finding.compliance(control_id="2.1", result=True, status="resolved"),
        "incident": Incident(
            uid="INC-7",
            title="Ransomware precursor",
            description="three hosts",
            status="under_investigation",
            severity="high",
            assignee="Alice@Example.com",
            finding_uids=["det-1", "det-2"],
            created_at=1575806909185,
            modified_at=1575813875168,
            url="https://xdr.example.com/incident-view/7",
        ),
        "incident_unassigned": Incident(uid=8, status="closed"),
        "asset": Asset(
            uid="657613730168123595",
            hostname="EC2AMAZ-AJ0KANC",
            domain="WORKGROUP",
            ips=["172.31.43.13", "fe80::1da3:1ca8:b311:af32"],
            macs=["06:35:e6:62:53:2e"],
            os_name="Windows Server 2016",
            os_version="14393",
            device_type="server",
            agent_id="657613730168123595",
            serial="ec2a1b2c-0000",
            instance_id="i-0123456789abcdef0",
            owner="ops",
            criticality="high",
            first_seen="2019-06-27T08:01:05.571895Z",
            last_seen="2020-02-20T00:26:33.955830Z",
        ),
        "asset_mac_only": Asset(macs="00:11:22:33:44:55"),
        "identity": Identity(
            provider="okta",
            uid="00u1abcd",
            name="jdoe",
            email="J.Doe@Example.com",
            display_name="Jane Doe",
            groups=["Everyone", "Admins"],
            mfa="true",
            status="SUSPENDED",
            last_login="2024-02-02T08:00:00Z",
            is_admin=True,
        ),
        "identity_odd_email": Identity(provider="ad", uid="S-1-5-21-1", email="svc@localhost"),
    }


RECORDS = _records()


@pytest.mark.parametrize("name", sorted(RECORDS))
def test_ocsf_export_validates(name: str) -> None:
    event = RECORDS[name].to_ocsf()
    validate_ocsf(event)
    assert event["metadata"]["version"] == OCSF_VERSION
    assert event["type_uid"] == event["class_uid"] * 100 + event["activity_id"]
    json.dumps(event)  # plain JSON, no datetimes or enums left


@pytest.mark.parametrize(
    ("name", "class_uid", "class_name"),
    [
        ("detection", 2004, "detection_finding"),
        ("vulnerability", 2002, "vulnerability_finding"),
        ("compliance", 2003, "compliance_finding"),
        ("incident", 2005, "incident_finding"),
        ("asset", 5001, "inventory_info"),
        ("identity", 5003, "user_inventory"),
    ],
)
def test_each_record_uses_its_ocsf_class(name: str, class_uid: int, class_name: str) -> None:
    event = RECORDS[name].to_ocsf()
    assert event["class_uid"] == class_uid
    assert ocsf_class_name(class_uid) == class_name


def test_detection_carries_attack_confidence_and_device() -> None:
    event = RECORDS["detection"].to_ocsf()
    attack = event["finding_info"]["attacks"][0]
    assert attack["tactic"] == {"uid": "TA0006", "name": "Credential Access"}
    assert attack["technique"] == {"uid": "T1003", "name": "OS Credential Dumping"}
    assert attack["sub_technique"] == {"uid": "T1003.001", "name": "LSASS Memory"}
    assert event["confidence_id"] == 3 and event["confidence_score"] == 90
    assert event["device"]["hostname"] == "web01"
    assert event["device"]["mac"] == "06:35:e6:62:53:2e"
    assert event["status_id"] == 2 and event["activity_id"] == 2  # modified after creation
    assert event["unmapped"]["severity_raw"] == "Critical"


def test_vulnerability_one_entry_per_cve_with_cvss_and_package() -> None:
    event = RECORDS["vulnerability"].to_ocsf()
    (vuln,) = event["vulnerabilities"]
    assert vuln["cve"]["uid"] == "CVE-2024-3094"
    assert vuln["cve"]["cvss"] == [
        {
            "base_score": 10.0,
            "version": "3.1",
            "vector_string": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H",
        }
    ]
    assert vuln["affected_packages"][0]["fixed_in_version"] == "5.6.2"
    assert event["severity_id"] == 5  # from CVSS 10.0 when no severity given
    assert event["unmapped"]["kev"] is True


def test_vulnerability_without_cve_uses_advisory() -> None:
    event = RECORDS["vulnerability_no_cve"].to_ocsf()
    assert event["vulnerabilities"][0]["advisory"]["uid"] == "nessus-51192"
    assert event["unmapped"]["port"] == 443
    assert event["unmapped"]["cvss_score"] == 6.4


def test_incident_without_assignee_names_the_unassigned_group() -> None:
    event = RECORDS["incident_unassigned"].to_ocsf()
    assert event["assignee_group"] == {"name": "Unassigned"}
    assert event["finding_info_list"] == []
    assert event["status_id"] == 5 and event["activity_id"] == 3


def test_identity_email_that_ocsf_rejects_goes_to_unmapped() -> None:
    event = RECORDS["identity_odd_email"].to_ocsf()
    assert "email_addr" not in event["user"]
    assert event["unmapped"]["email"] == "svc@localhost"
    suspended = RECORDS["identity"].to_ocsf()["user"]["account"]
    assert suspended["is_disabled"] is True and suspended["is_locked"] is False


def test_include_raw_embeds_the_vendor_record() -> None:
    event = RECORDS["detection"].to_ocsf(include_raw=True)
    assert json.loads(event["raw_data"]) == {"id": "det-1"}
    validate_ocsf(event)
    assert "raw_data" not in RECORDS["detection"].to_ocsf()


@pytest.mark.parametrize(
    "value",
    [
        "198.51.100.7",
        "2001:db8::1",
        "evil.example",
        "https://evil.example/x?a=1",
        "bad@evil.example",
        "d41d8cd98f00b204e9800998ecf8427e",
        "da39a3ee5e6b4b0d3255bfef95601890afd80709",
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    ],
)
def test_indicator_osint_object_validates(value: str) -> None:
    indicator = Indicator.from_value(value, confidence=60, severity="high", labels=["c2"])
    osint = indicator.to_ocsf()
    validate_ocsf_object("osint", osint)
    assert osint["detection_pattern"] == indicator.stix_pattern()


# -- the validator really rejects bad events -------------------------------------------------


def _broken(mutate: Any) -> dict[str, Any]:
    event = RECORDS["detection"].to_ocsf()
    mutate(event)
    return event


@pytest.mark.parametrize(
    ("mutate", "where"),
    [
        (lambda e: e["finding_info"].pop("uid"), "finding_info"),
        (lambda e: e.pop("time"), "time"),
        (lambda e: e.__setitem__("severity_id", 7), "severity_id"),
        (lambda e: e.__setitem__("time", "yesterday"), "time"),
        (lambda e: e.__setitem__("not_an_ocsf_attribute", 1), "not_an_ocsf_attribute"),
        (lambda e: e["device"].__setitem__("mac", "not-a-mac"), "device.mac"),
        (lambda e: e["metadata"].pop("product"), "metadata"),
    ],
)
def test_broken_event_fails_with_readable_message(mutate: Any, where: str) -> None:
    with pytest.raises(OcsfValidationError) as info:
        validate_ocsf(_broken(mutate))
    assert where in str(info.value)
    assert "detection_finding" in str(info.value)


def test_vulnerability_with_both_cve_and_advisory_fails() -> None:
    event = RECORDS["vulnerability"].to_ocsf()
    event["vulnerabilities"][0]["advisory"] = {"uid": "X-1"}
    with pytest.raises(OcsfValidationError, match="vulnerabilities"):
        validate_ocsf(event)


def test_unknown_class_and_non_object_fail() -> None:
    with pytest.raises(OcsfValidationError, match="class_uid"):
        validate_ocsf({"class_uid": 424242, "metadata": {"version": OCSF_VERSION}})
    with pytest.raises(OcsfValidationError, match="class_uid"):
        validate_ocsf({"metadata": {}})
    with pytest.raises(OcsfValidationError):
        validate_ocsf([])  # type: ignore[arg-type]
    with pytest.raises(OcsfValidationError, match="osint"):
        validate_ocsf_object("osint", {"value": "1.2.3.4"})  # type_id missing
