"""Canonical record behaviour: vendor value mapping, times, dedupe keys, normalization, errors."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
import stix2
from pydantic import TypeAdapter, ValidationError

from aria.sdk.records import (
    AnyRecord,
    Asset,
    AssetRef,
    ComplianceResult,
    Finding,
    FindingKind,
    FindingStatus,
    Identity,
    Incident,
    IncidentStatus,
    Indicator,
    IndicatorType,
    Severity,
    infer_indicator_type,
    to_utc,
)

# -- severity ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, Severity.UNKNOWN),
        ("", Severity.UNKNOWN),
        ("UnSpecified", Severity.UNKNOWN),
        ("info", Severity.INFORMATIONAL),
        ("Informational", Severity.INFORMATIONAL),
        ("low", Severity.LOW),
        ("Medium", Severity.MEDIUM),
        ("moderate", Severity.MEDIUM),
        ("HIGH", Severity.HIGH),
        ("important", Severity.HIGH),
        ("crit", Severity.CRITICAL),
        ("Critical", Severity.CRITICAL),
        ("fatal", Severity.FATAL),
        ("banana", Severity.OTHER),
        # CVSS-like 0-10 (v3 qualitative bands)
        (0, Severity.INFORMATIONAL),
        (0.1, Severity.LOW),
        (3.9, Severity.LOW),
        (4.0, Severity.MEDIUM),
        (6.9, Severity.MEDIUM),
        (7.0, Severity.HIGH),
        (8.9, Severity.HIGH),
        (9.0, Severity.CRITICAL),
        (10, Severity.CRITICAL),
        ("7.5", Severity.HIGH),
        # 0-100 scores
        (15, Severity.INFORMATIONAL),
        (30, Severity.LOW),
        (50, Severity.MEDIUM),
        (70, Severity.HIGH),
        (90, Severity.CRITICAL),
        ("100", Severity.CRITICAL),
        (-1, Severity.OTHER),
        (101, Severity.OTHER),
        (float("nan"), Severity.OTHER),
        (True, Severity.OTHER),
        ({"a": 1}, Severity.OTHER),
        (Severity.HIGH, Severity.HIGH),
    ],
)
def test_severity_from_vendor(value: Any, expected: Severity) -> None:
    assert Severity.from_vendor(value) is expected


def test_severity_table_and_scale() -> None:
    table = {"P1": Severity.CRITICAL, "p2": "high", 3: 3, "weird": "nonsense"}
    assert Severity.from_vendor("p1", table) is Severity.CRITICAL  # case-insensitive key
    assert Severity.from_vendor("P2", table) is Severity.HIGH  # caption value
    assert Severity.from_vendor(3, table) is Severity.MEDIUM  # id value
    assert Severity.from_vendor("weird", table) is Severity.OTHER
    assert Severity.from_vendor("low", table) is Severity.LOW  # falls through to words
    assert Severity.from_vendor(10, scale="percent") is Severity.INFORMATIONAL
    assert Severity.from_vendor(10, scale="cvss") is Severity.CRITICAL
    assert Severity.HIGH.caption == "High"


@pytest.mark.parametrize(
    ("kwargs", "severity", "raw"),
    [
        ({"severity": "crit"}, Severity.CRITICAL, "crit"),
        ({"severity": 70}, Severity.HIGH, 70),  # Falcon score, not an OCSF id
        ({"severity": 4}, Severity.HIGH, None),  # OCSF id
        ({"severity": Severity.LOW}, Severity.LOW, None),
        ({"severity_raw": 7.5}, Severity.HIGH, 7.5),
        ({"severity_raw": 4}, Severity.MEDIUM, 4),  # raw ints are vendor values
        ({"severity": "P1", "severity_table": {"P1": 5}}, Severity.CRITICAL, "P1"),
        ({}, Severity.UNKNOWN, None),
    ],
)
def test_record_severity_keeps_raw(kwargs: dict[str, Any], severity: Severity, raw: Any) -> None:
    finding = Finding.detection(uid="x", **kwargs)
    assert finding.severity is severity
    assert finding.severity_raw == raw


# -- status -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("new", FindingStatus.NEW),
        ("OPEN", FindingStatus.NEW),
        ("in_progress", FindingStatus.IN_PROGRESS),
        ("In Progress", FindingStatus.IN_PROGRESS),
        ("false_positive", FindingStatus.SUPPRESSED),
        ("risk-accepted", FindingStatus.SUPPRESSED),
        ("Resolved", FindingStatus.RESOLVED),
        ("fixed", FindingStatus.RESOLVED),
        ("archived", FindingStatus.ARCHIVED),
        (4, FindingStatus.RESOLVED),
        (None, FindingStatus.UNKNOWN),
        ("zzz", FindingStatus.OTHER),
        (17, FindingStatus.OTHER),
    ],
)
def test_finding_status_from_vendor(value: Any, expected: FindingStatus) -> None:
    assert FindingStatus.from_vendor(value) is expected


def test_incident_status_and_compliance_result() -> None:
    assert IncidentStatus.from_vendor("under_investigation") is IncidentStatus.IN_PROGRESS
    assert IncidentStatus.from_vendor("On Hold") is IncidentStatus.ON_HOLD
    assert IncidentStatus.from_vendor("closed") is IncidentStatus.CLOSED
    assert ComplianceResult.from_vendor("PASSED") is ComplianceResult.PASS
    assert ComplianceResult.from_vendor("non_compliant") is ComplianceResult.FAIL
    assert ComplianceResult.from_vendor(False) is ComplianceResult.FAIL
    assert ComplianceResult.from_vendor("not_applicable") is ComplianceResult.OTHER


def test_record_status_keeps_raw_and_uses_table() -> None:
    finding = Finding.detection(uid="x", status="Triaged")
    assert finding.status is FindingStatus.IN_PROGRESS and finding.status_raw == "Triaged"
    mapped = Finding.detection(uid="x", status="S9", status_table={"s9": "resolved"})
    assert mapped.status is FindingStatus.RESOLVED
    assert not mapped.status.is_open and finding.status.is_open
    assert Finding.detection(uid="x").status is FindingStatus.NEW


# -- timestamps -------------------------------------------------------------------------------

T0 = datetime(2019, 9, 1, 13, 31, 8, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2019-09-01T13:31:08Z", T0),
        ("2019-09-01T13:31:08.000000000Z", T0),  # nanoseconds (CrowdStrike)
        ("2019-09-01T15:31:08+02:00", T0),
        ("2019-09-01 13:31:08", T0),  # naive: UTC
        ("2019-09-01 13:31:08 UTC", T0),
        ("Sun, 01 Sep 2019 13:31:08 GMT", T0),
        ("09/01/2019 13:31:08", T0),
        (1567344668, T0),
        (1567344668.0, T0),
        ("1567344668", T0),
        (1567344668000, T0),  # ms
        (1567344668000000, T0),  # µs
        (1567344668000000000, T0),  # ns
        (datetime(2019, 9, 1, 13, 31, 8), T0),  # noqa: DTZ001 - naive input is the point
        (datetime(2019, 9, 1, 8, 31, 8, tzinfo=timezone(timedelta(hours=-5))), T0),
        (None, None),
        ("", None),
        ("null", None),
    ],
)
def test_to_utc(value: Any, expected: datetime | None) -> None:
    parsed = to_utc(value)
    assert parsed == expected
    if parsed is not None:
        assert parsed.utcoffset() == timedelta(0)


@pytest.mark.parametrize("bad", ["yesterday", True, [2019], 1e300, "2019-13-45"])
def test_bad_timestamp_is_a_validation_error_naming_the_field(bad: Any) -> None:
    with pytest.raises(ValidationError) as info:
        Finding.detection(uid="x", first_seen=bad)
    assert info.value.errors()[0]["loc"] == ("first_seen",)


def test_observed_at_defaults_to_now_utc() -> None:
    finding = Finding.detection(uid="x")
    assert finding.observed_at.tzinfo is not None
    assert abs(finding.observed_at - datetime.now(UTC)) < timedelta(minutes=1)


# -- dedupe keys ------------------------------------------------------------------------------


def test_detection_and_incident_dedupe_on_installation_and_uid() -> None:
    assert Finding.detection(uid=123).dedupe_key("inst-1") == ("inst-1", "123")
    assert Incident(uid="INC-1").dedupe_key("inst-1") == ("inst-1", "INC-1")


def test_vulnerability_dedupe_key() -> None:
    host = AssetRef(hostname="web01", agent_id="AID")
    a = Finding.vulnerability(
        cve_ids=["cve-2024-0002", "CVE-2024-0001"],
        package_name="OpenSSL",
        asset=host,
        uid="vendor-9",
    )
    assert a.dedupe_key("i") == ("i", "agent:aid", "CVE-2024-0001,CVE-2024-0002", "pkg:openssl")
    by_port = Finding.vulnerability(
        uid="plugin-1", port=443, protocol="TCP", asset={"ip": "10.0.0.1"}
    )
    assert by_port.dedupe_key("i") == ("i", "ip:10.0.0.1", "plugin-1", "port:443/tcp")
    bare = Finding.vulnerability(uid="plugin-2")
    assert bare.dedupe_key() == ("", "", "plugin-2", "")
    # Same vulnerability on two hosts is two rows; same host and CVE again is one.
    other = Finding.vulnerability(
        cve_ids="CVE-2024-0001,CVE-2024-0002",
        package_name="openssl",
        asset=AssetRef(agent_id="aid"),
    )
    assert other.dedupe_key("i") == a.dedupe_key("i")


def test_compliance_dedupe_key_uses_resource_or_asset() -> None:
    c = Finding.compliance(control_id="1.4", standard="CIS", resource_uid="arn:aws:iam::1:root")
    assert c.dedupe_key("i") == ("i", "arn:aws:iam::1:root", "CIS", "1.4")
    on_host = Finding.compliance(control_id="5.2", asset=AssetRef(hostname="DB1"))
    assert on_host.dedupe_key("i") == ("i", "hostname:db1", "", "5.2")
    # Findings without a vendor uid still get a stable OCSF finding uid.
    assert (
        on_host.finding_uid()
        == Finding.compliance(control_id="5.2", asset=AssetRef(hostname="db1")).finding_uid()
    )


def test_identity_indicator_asset_keys() -> None:
    assert Identity(provider="Okta", uid="00u1").dedupe_key("ignored") == ("okta", "00u1")
    ind = Indicator(type="domain", value="Evil[.]Example.")
    assert ind.dedupe_key() == ("domain", "evil.example")
    asset = Asset(hostname="h1", agent_id="A1")
    assert asset.dedupe_key("i") == ("i", "agent:a1")
    assert Asset(uid="dev-9", hostname="h1").dedupe_key("i") == ("i", "dev-9")


# -- assets -----------------------------------------------------------------------------------


def test_asset_identifiers_are_normalized_and_ordered() -> None:
    asset = Asset(
        hostname="WEB01.",
        domain="Corp.Example.COM",
        macs=["0635.E662.532E", "00-00-00-00-00-00", "06:35:e6:62:53:2f"],
        serial="  abc 123  ",
        agent_id="{ABCDEF}",
        cloud_arn="arn:aws:ec2:us-east-1:123456789012:instance/i-0ABC123",
        ips="10.0.0.1, 10.0.0.1, ::ffff:0:1",
    )
    assert asset.identifiers() == [
        ("instance", "i-0abc123"),
        ("arn", "arn:aws:ec2:us-east-1:123456789012:instance/i-0ABC123"),
        ("agent", "abcdef"),
        ("serial", "ABC 123"),
        ("mac", "06:35:e6:62:53:2e"),
        ("mac", "06:35:e6:62:53:2f"),
        ("hostname", "web01.corp.example.com"),
    ]
    assert asset.macs[1] == "00:00:00:00:00:00"  # kept on the record, skipped as identity
    assert asset.ips == ["10.0.0.1", "::ffff:0:1"]


@pytest.mark.parametrize(
    ("hostname", "domain", "expected"),
    [
        ("WEB01", "corp.example.com", "web01.corp.example.com"),
        ("web01.corp.example.com", "corp.example.com", "web01.corp.example.com"),
        ("web01.corp.example.com", None, "web01.corp.example.com"),
        ("EC2AMAZ-AJ0KANC", "WORKGROUP", "ec2amaz-aj0kanc"),
        ("localhost", None, None),
    ],
)
def test_hostname_identifier(hostname: str, domain: str | None, expected: str | None) -> None:
    ids = dict(Asset(hostname=hostname, domain=domain).identifiers())
    assert ids.get("hostname") == expected


def test_placeholder_serial_is_not_an_identifier() -> None:
    assert Asset(serial="To Be Filled By O.E.M.", hostname="a").identifiers() == [("hostname", "a")]
    assert Asset(serial="0000000").identifiers() == []


def test_one_device_seen_by_three_tools_merges() -> None:
    """EDR knows agent+hostname, the scanner MAC+FQDN, the cloud API instance+MAC."""
    edr = Asset(agent_id="AID-77", hostname="APP01", domain="corp.example.com")
    scanner = Asset(
        hostname="app01.corp.example.com.", macs=["0A-1B-2C-3D-4E-5F"], ips=["10.1.2.3"]
    )
    cloud = Asset(instance_id="i-0FFF", macs=["0a1b.2c3d.4e5f"])
    stranger = Asset(hostname="app02.corp.example.com", macs=["0a:1b:2c:3d:4e:60"])

    groups: list[set[str]] = []
    members: list[list[str]] = []
    for name, asset in [("edr", edr), ("scanner", scanner), ("cloud", cloud), ("x", stranger)]:
        ids = set(asset.identifiers())
        hits = [i for i, g in enumerate(groups) if g & ids]
        merged_ids, merged_members = ids, [name]
        for i in reversed(hits):
            merged_ids |= groups.pop(i)
            merged_members += members.pop(i)
        groups.append(merged_ids)
        members.append(merged_members)
    assert sorted(sorted(m) for m in members) == [["cloud", "edr", "scanner"], ["x"]]


def test_asset_ref_key_and_from_asset() -> None:
    asset = Asset(hostname="H", ips=["10.0.0.9"], agent_id="A")
    finding = Finding.detection(uid="d", asset=asset)  # a full Asset is reduced to a ref
    assert finding.asset == asset.ref()
    assert finding.asset_key() == "agent:a"
    assert AssetRef(ip="10.0.0.9").key() == "ip:10.0.0.9"
    assert AssetRef(resource_uid="repo/image:1").key() == "resource:repo/image:1"
    assert AssetRef().key() == ""


# -- identities -------------------------------------------------------------------------------


def test_identity_email_normalized_and_merge_key() -> None:
    okta = Identity(provider="okta", uid="00u1", email="  Jane.Doe@Example.COM ")
    entra = Identity(provider="entra-id", uid="8c1e", email="mailto:jane.doe@example.com")
    assert okta.email == "jane.doe@example.com"
    assert okta.merge_key() == entra.merge_key() == "jane.doe@example.com"
    assert okta.dedupe_key() != entra.dedupe_key()
    assert Identity(provider="okta", uid="x").merge_key() is None
    assert Identity(provider="okta", uid="x", username="jd").name == "jd"


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"provider": "okta", "uid": "1", "email": "not an email"}, "email"),
        ({"provider": "okta", "uid": "1", "email": "a@b@c"}, "email"),
        ({"uid": "1"}, "provider"),
        ({"provider": "okta"}, "uid"),
        ({"provider": "okta", "uid": "1", "mfa": "maybe"}, "mfa"),
    ],
)
def test_identity_bad_input_names_field(kwargs: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationError) as info:
        Identity(**kwargs)
    assert field in str(info.value)


# -- indicators -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "value", "expected"),
    [
        ("ipv4", "1[.]2[.]3[.]4", "1.2.3.4"),
        ("ip", " 10.0.0.0/8 ", "10.0.0.0/8"),
        ("ipv4", "10.0.0.1/32", "10.0.0.1"),
        ("ipv6", "2001:DB8:0:0::1", "2001:db8::1"),
        ("domain", "Evil[.]Example[.]COM.", "evil.example.com"),
        ("hostname", "*.Bad(.)example", "bad.example"),
        ("domain", "bücher.example", "xn--bcher-kva.example"),
        ("url", "hxxps://Evil[.]Example/Path?Q=1", "https://evil.example/Path?Q=1"),
        ("url", "HXXP[:]//x[.]example[/]a", "http://x.example/a"),
        ("email", "Bad[@]Evil[.]Example", "bad@evil.example"),
        ("md5", "D41D8CD98F00B204E9800998ECF8427E", "d41d8cd98f00b204e9800998ecf8427e"),
        (
            "SHA-1",
            "DA39A3EE5E6B4B0D3255BFEF95601890AFD80709",
            "da39a3ee5e6b4b0d3255bfef95601890afd80709",
        ),
        ("file_name", " Invoice.PDF.exe ", "Invoice.PDF.exe"),
    ],
)
def test_indicator_normalization(kind: str, value: str, expected: str) -> None:
    indicator = Indicator(type=kind, value=value)
    assert indicator.value == expected
    # normalizing the normalized value changes nothing
    assert Indicator(type=indicator.type, value=indicator.value).value == expected


@pytest.mark.parametrize(
    ("kind", "value", "pattern"),
    [
        ("ipv4", "1.2.3.4", "[ipv4-addr:value = '1.2.3.4']"),
        ("ipv6", "2001:db8::1", "[ipv6-addr:value = '2001:db8::1']"),
        ("domain", "evil.example", "[domain-name:value = 'evil.example']"),
        ("url", "http://evil.example/a", "[url:value = 'http://evil.example/a']"),
        ("email", "x@evil.example", "[email-addr:value = 'x@evil.example']"),
        (
            "md5",
            "d41d8cd98f00b204e9800998ecf8427e",
            "[file:hashes.MD5 = 'd41d8cd98f00b204e9800998ecf8427e']",
        ),
        (
            "sha1",
            "da39a3ee5e6b4b0d3255bfef95601890afd80709",
            "[file:hashes.'SHA-1' = 'da39a3ee5e6b4b0d3255bfef95601890afd80709']",
        ),
        (
            "sha256",
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
            "[file:hashes.'SHA-256' = "
            "'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855']",
        ),
        ("sha512", "a" * 128, f"[file:hashes.'SHA-512' = '{'a' * 128}']"),
        ("file_name", "it's\\evil.exe", "[file:name = 'it\\'s\\\\evil.exe']"),
    ],
)
def test_indicator_stix_pattern_parses(kind: str, value: str, pattern: str) -> None:
    indicator = Indicator(
        type=kind, value=value, confidence="medium", labels=["x"], source="feed-1", uid="ioc-1"
    )
    assert indicator.stix_pattern() == pattern
    stix = indicator.to_stix()  # stix2 validates the pattern grammar
    assert isinstance(stix, stix2.Indicator)
    assert stix.pattern == pattern and stix.confidence == 50
    parsed = stix2.parse(indicator.to_stix_json())
    assert parsed.id == indicator.stix_id() == stix.id  # deterministic
    assert parsed.external_references[0].external_id == "ioc-1"


def test_indicator_validity_window_and_stix_times() -> None:
    with pytest.raises(ValidationError, match="valid_until"):
        Indicator(type="ipv4", value="1.2.3.4", valid_from="2024-02-01", valid_until="2024-01-01")
    expired = Indicator(type="ipv4", value="1.2.3.4", valid_until="2000-01-01")
    stix = expired.to_stix()
    assert stix.valid_from < stix.valid_until


@pytest.mark.parametrize(
    ("value", "kind"),
    [
        ("8.8.8.8", IndicatorType.IPV4),
        ("2001:db8::1", IndicatorType.IPV6),
        ("198.51.100.0/24", IndicatorType.IPV4),
        ("hxxp://evil[.]example/x", IndicatorType.URL),
        ("a@b.example", IndicatorType.EMAIL),
        ("d41d8cd98f00b204e9800998ecf8427e", IndicatorType.MD5),
        ("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", IndicatorType.SHA256),
        ("evil[.]example", IndicatorType.DOMAIN),
    ],
)
def test_infer_indicator_type(value: str, kind: IndicatorType) -> None:
    assert infer_indicator_type(value) is kind
    assert Indicator.from_value(value).type is kind


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"type": "md5", "value": "abc"}, "value"),
        ({"type": "ipv4", "value": "2001:db8::1"}, "value"),
        ({"type": "domain", "value": "not a domain"}, "value"),
        ({"type": "url", "value": "no-scheme.example/path"}, "value"),
        ({"type": "martian", "value": "x"}, "type"),
        ({"type": "ipv4", "value": "1.2.3.4", "confidence": 150}, "confidence"),
        ({"type": "ipv4"}, "value"),
    ],
)
def test_indicator_bad_input_names_field(kwargs: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationError) as info:
        Indicator(**kwargs)
    assert info.value.errors()[0]["loc"][0] == field


# -- findings: messy input --------------------------------------------------------------------


def test_strings_for_numbers_and_missing_fields_are_fine() -> None:
    vuln = Finding.vulnerability(
        uid=51192,
        cvss_score="7.5",
        port="8443",
        exploit_available="false",
        kev="N/A",
        cve_ids=None,
        package_name="",
        title=None,
    )
    info = vuln.vulnerability_info
    assert info is not None
    assert (vuln.uid, info.cvss_score, info.port, info.exploit_available, info.kev) == (
        "51192",
        7.5,
        8443,
        False,
        None,
    )
    assert vuln.severity is Severity.HIGH and vuln.severity_raw == 7.5
    assert info.package_name is None
    det = Finding.detection(uid="d", confidence="0.8", tactic_id=" ta0001 ")
    assert det.detection_info is not None
    assert det.detection_info.confidence == 80
    assert det.detection_info.attacks[0].tactic_id == "TA0001"


@pytest.mark.parametrize(
    ("build", "field"),
    [
        (lambda: Finding.vulnerability(uid="v", port="https"), "port"),
        (lambda: Finding.vulnerability(uid="v", port=70000), "port"),
        (lambda: Finding.vulnerability(uid="v", cvss_score="eleven"), "cvss_score"),
        (lambda: Finding.vulnerability(uid="v", cvss_score=11), "cvss_score"),
        (lambda: Finding.vulnerability(cve_ids=["GHSA-xxxx"]), "cve_ids"),
        (lambda: Finding.vulnerability(title="no id at all"), "uid"),
        (lambda: Finding.detection(uid=None), "uid"),
        (lambda: Finding.detection(uid="d", title={"nested": "dict"}), "title"),
        (lambda: Finding.detection(uid="d", asset={"mac": "zz:zz"}), "mac"),
        (lambda: Finding.detection(uid="d", asset={"ip": "999.1.1.1"}), "ip"),
        (lambda: Finding.detection(uid="d", confidence=-3), "confidence"),
        (lambda: Finding.detection(uid="d", attacks=[{}]), "attacks"),
        (lambda: Finding.detection(uid="d", raw=["not", "a", "dict"]), "raw"),
        (lambda: Finding.detection(uid="d", unknown_field=1), "unknown_field"),
        (lambda: Finding.compliance(control_id=None), "control_id"),
        (
            lambda: Finding(kind="detection", uid="d", compliance_info={"control_id": "1"}),
            "compliance_info",
        ),
        (lambda: Finding(kind="nonsense", uid="d"), "kind"),
    ],
)
def test_bad_finding_input_is_a_validation_error_naming_the_field(build: Any, field: str) -> None:
    with pytest.raises(ValidationError) as info:
        build()
    assert field in str(info.value)


def test_finding_kinds_and_any_record_round_trip() -> None:
    records: list[Any] = [
        Finding.detection(
            uid="d", severity="high", tactic="Execution", asset={"hostname": "h"}, raw={"k": [1, 2]}
        ),
        Finding.vulnerability(cve_ids="CVE-2021-44228", cvss_score=10),
        Finding.compliance(control_id="1.1", result="fail"),
        Incident(uid="i", status="closed"),
        Asset(hostname="h", macs="aa-bb-cc-dd-ee-ff"),
        Identity(provider="okta", uid="u", email="A@B.example"),
        Indicator(type="url", value="hxxp://x[.]example"),
    ]
    assert [getattr(r, "kind", None) for r in records[:3]] == list(FindingKind)
    adapter: TypeAdapter[Any] = TypeAdapter(AnyRecord)
    for record in records:
        dumped = record.model_dump(mode="json", by_alias=False)
        again = adapter.validate_python(dumped)
        assert type(again) is type(record)
        assert again == record
        assert again.dedupe_key("i") == record.dedupe_key("i")
