"""The bulk inserts bind the ``data`` column as JSON text made by the model's serializer in
one pass: it must be the very text the JSON column would have written from the dumped dict,
for every kind of record (unicode, floats, nested models, enums, timestamps)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from aria.db.engine import make_engine
from aria.grc.store import _data, _data_json
from aria.integrations.crowdstrike_falcon import normalize as falcon
from aria.integrations.crowdstrike_falcon.sandbox_data import generate
from aria.sdk import Asset, Finding, Identity, Incident, Indicator
from aria.sdk import records as canonical

# What the JSON column type calls to write a value.
SERIALIZE = make_engine("sqlite://").dialect._json_serializer


def falcon_records() -> list[canonical.CanonicalRecord]:
    data = generate(7, 40, datetime(2026, 3, 1, tzinfo=UTC))
    return [
        *map(falcon.alert_to_finding, data.alerts),
        *map(falcon.device_to_asset, data.devices),
        *(falcon.incident_to_incident(r) for r in data.incidents),
        *map(falcon.vulnerability_to_finding, data.vulnerabilities),
    ]


def handmade_records() -> list[canonical.CanonicalRecord]:
    return [
        Finding.detection(
            uid="ü-1",
            title="Mimikatz — “credential” dump 🔑",
            severity=7.5,
            asset={"hostname": "WEB01", "domain": "corp.example", "ip": "10.0.0.1"},
            technique_id="T1003",
            modified_at="2026-01-01T00:00:00.123456+02:00",
            raw={"nested": {"list": [1, 2.5, None, "x"]}},
        ),
        Finding.vulnerability(
            uid="v-1",
            cve_ids=["CVE-2024-0001", "CVE-2023-9999"],
            cvss_score="9.8",
            package_name="openssl",
            port=443,
            asset={"hostname": "db01", "mac": "AA-BB-CC-DD-EE-FF"},
        ),
        Finding.compliance(control_id="1.1", standard="CIS", resource_uid="arn:aws:s3:::b"),
        Identity(source_uid="u-1", provider="okta", email="Ann@Example.com", name="Ann Ö"),
        Indicator(source_uid="i-1", type="domain", value="evil.example"),
        Incident(source_uid="inc-1", title="Ransomware", severity="critical"),
        Asset(source_uid="a-1", hostname="laptop-7", ips=["10.0.0.9"], os_name="Windows 11"),
    ]


@pytest.mark.parametrize(
    "record",
    [*handmade_records(), *falcon_records()],
    ids=lambda r: f"{r.record_type}-{r.source_uid}",
)
def test_data_text_is_what_the_json_column_writes(record: canonical.CanonicalRecord) -> None:
    assert _data_json(record) == SERIALIZE(_data(record))
