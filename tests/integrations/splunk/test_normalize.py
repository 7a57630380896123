"""Normalizers on the real ES notables in ../shared/corpus, on the macro's shape and on search
results."""

from __future__ import annotations

import json
from typing import Any

import pytest

from aria.integrations.splunk.normalize import (
    notable_asset,
    notable_attacks,
    notable_event_id,
    notable_status,
    notable_to_finding,
    result_to_hit,
)
from aria.integrations.splunk.sandbox import make_sandbox
from aria.integrations.splunk.sandbox_data import event_id as sandbox_event_id
from aria.sdk.records import FindingStatus, Severity
from aria.sdk.records.ocsf_validate import validate_ocsf
from tests.integrations.splunk.conftest import corpus_notables


def test_corpus_notables_read_from_the_notable_index() -> None:
    """Raw index=notable records: no event_id, status or owner; urgency and dest present."""
    records = corpus_notables()
    findings = [notable_to_finding(r) for r in records]
    uids = [f.source_uid for f in findings]
    # Same bucket and _cd, different _time: the stand-in id still tells them apart.
    assert records[0]["_cd"] == records[1]["_cd"] and len(set(uids)) == 2
    assert all(u.startswith("66D21DF4-F4FD-4886-A986-82E72ADCBFE9@@notable@@") for u in uids)
    assert uids == [notable_event_id(r) for r in records]  # stable
    first = findings[0]
    assert first.title == "Endpoint - Recurring Malware Infection - Rule"
    assert first.description is None  # rule_description repeats the title
    assert first.severity is Severity.LOW and first.severity_raw == "low"  # urgency, not "unknown"
    assert first.status is FindingStatus.NEW and first.status_raw is None  # never reviewed
    assert first.asset is not None
    assert first.asset.hostname == "acme-workstation-012" and first.asset.ip == "192.168.3.12"
    assert first.created_at.isoformat() == "2020-08-24T19:10:17+00:00"  # -07:00 in the sample
    assert findings[1].created_at.isoformat() == "2020-08-24T20:30:17+00:00"
    assert first.source_product == "Splunk Enterprise Security" and first.source_vendor == "Splunk"
    assert first.raw["signature"] == "Trojan.Gen.2"
    for finding in findings:
        validate_ocsf(finding.to_ocsf())


def test_the_stand_in_id_is_the_id_the_notable_macro_reports() -> None:
    """The sandbox's `notable` macro and the normalizer agree, so a notable read either way
    (raw index or macro) dedupes to one finding."""
    app = make_sandbox(size=5)
    state = app.state.splunk
    raw = state.notables[3]
    assert "event_id" not in raw
    assert notable_event_id(raw) == sandbox_event_id(raw) == state.enrich(raw)["event_id"]


@pytest.mark.parametrize(
    ("record", "status", "label"),
    [
        ({"status_label": "New", "status": "1", "status_end": "false"}, FindingStatus.NEW, "New"),
        ({"status": "2"}, FindingStatus.IN_PROGRESS, "In Progress"),
        ({"status_label": "Pending", "status_end": "false"}, FindingStatus.IN_PROGRESS, "Pending"),
        ({"status_label": "Closed", "status_end": "true"}, FindingStatus.RESOLVED, "Closed"),
        ({"status": "4"}, FindingStatus.RESOLVED, "Resolved"),
        ({"status_label": "Unassigned"}, FindingStatus.NEW, "Unassigned"),
        ({"status_label": "Escalated", "status_end": "false"}, FindingStatus.OTHER, "Escalated"),
        ({"status_label": "Tuned out", "status_end": "true"}, FindingStatus.RESOLVED, "Tuned out"),
        ({}, FindingStatus.NEW, None),
    ],
)
def test_review_status(record: dict[str, Any], status: FindingStatus, label: str | None) -> None:
    """ES's default labels map by name; a custom label counts as resolved when its status
    ends the review (status_end); a notable never reviewed is New."""
    assert notable_status(record) == (status, label)


def test_attack_techniques_from_annotations() -> None:
    flattened = {"annotations.mitre_attack": ["T1003.001", "t1003.001", "not-a-technique"]}
    assert [a.technique_id for a in notable_attacks(flattened)] == ["T1003.001"]
    as_json = {"annotations": json.dumps({"mitre_attack": ["T1110", "T1078.002"], "cis20": []})}
    assert [a.technique_id for a in notable_attacks(as_json)] == ["T1110", "T1078.002"]
    assert notable_attacks({"annotations": "{broken"}) == []
    finding = notable_to_finding(
        {
            "event_id": "A@@notable@@b",
            "_time": "2025-06-01T10:00:00.000+00:00",
            "rule_name": "ESCU - Credential Dumping via LSASS Access - Rule",
            "annotations.mitre_attack": "T1003.001",
        }
    )
    ocsf = finding.to_ocsf()
    assert ocsf["finding_info"]["attacks"][0]["sub_technique"]["uid"] == "T1003.001"
    validate_ocsf(ocsf)


def test_asset_is_the_destination_never_the_search_head() -> None:
    assert notable_asset({"dest": "10.1.2.3", "host": "sh-es-01"}) == {"ip": "10.1.2.3"}
    assert notable_asset({"dest": ["WS-FIN-042", "ws-fin-043"], "dest_ip": "10.0.0.9"}) == {
        "hostname": "WS-FIN-042",
        "ip": "10.0.0.9",
    }
    assert notable_asset({"dest": "https://evil.example/x", "host": "sh-es-01"}) is None
    assert notable_asset({"src": "10.0.0.1", "user": "jdoe"}) is None


def test_macro_shape_from_the_sandbox() -> None:
    """A notable as `notable` returns it: id, urgency from priority x severity, review state."""
    state = make_sandbox(size=40).state.splunk
    reviewed = next(r for r in map(state.enrich, state.notables) if r["status"] == "5")
    finding = notable_to_finding(reviewed)
    assert finding.source_uid == reviewed["event_id"]
    assert finding.status is FindingStatus.RESOLVED and finding.status_raw == "Closed"
    assert finding.severity_raw == reviewed["urgency"]
    assert finding.title == reviewed["rule_title"]
    assert finding.detection_info is not None
    assert finding.detection_info.detection_source == reviewed["security_domain"]
    validate_ocsf(finding.to_ocsf())


def test_search_result_to_hit() -> None:
    row = {
        "_bkt": "aria~900~7E2A",
        "_cd": "900:1",
        "_raw": '{"risk_id":42}',
        "_time": "2025-06-02T11:00:00.250+00:00",
        "_si": ["idx-01", "aria"],
        "index": "aria",
        "risk_id": "42",
        "tags": ["a", "b"],
    }
    hit = result_to_hit(row)
    assert hit.message == '{"risk_id":42}' and hit.source == "aria"
    assert hit.time is not None and hit.time.isoformat() == "2025-06-02T11:00:00.250000+00:00"
    assert hit.fields == {
        "_time": "2025-06-02T11:00:00.250+00:00",
        "index": "aria",
        "risk_id": "42",
        "tags": ["a", "b"],
    }
    report = result_to_hit({"_time": "not a time", "count": "3"})  # a stats row
    assert report.time is None and report.fields["count"] == "3" and report.message is None
