"""Normalizers: the real ``_search`` sample from the corpus, sandbox alerts, and the shapes
Elastic Security alerts come in (flat ``kibana.alert.*`` keys, nested objects, 7.x
``signal.*``)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from aria.integrations.elasticsearch.normalize import (
    alert_modified,
    alert_to_finding,
    attacks,
    hit_to_search_hit,
    risk_severity,
)
from aria.integrations.elasticsearch.sandbox import NOW
from aria.integrations.elasticsearch.sandbox_data import alert
from aria.sdk.records import FindingStatus, Severity
from aria.sdk.records.ocsf_validate import validate_ocsf
from tests.integrations.elasticsearch.conftest import SEARCH_SAMPLE, corpus_hits

KIBANA = "https://kb.example:9243"


def base_alert(**fields: Any) -> dict[str, Any]:
    """A minimal alert hit in the alerts index's flat shape, with ``fields`` added."""
    source = {
        "@timestamp": "2025-05-01T10:00:00.000Z",
        "kibana.alert.uuid": "a" * 64,
        "kibana.alert.rule.name": "Suspicious thing",
        "kibana.alert.severity": "high",
        "kibana.alert.risk_score": 73,
        "kibana.alert.workflow_status": "open",
        **fields,
    }
    return {
        "_index": ".internal.alerts-security.alerts-default-000001",
        "_id": "a" * 64,
        "_source": source,
    }


# --- the corpus ------------------------------------------------------------------------------


def test_corpus_search_response_normalizes() -> None:
    """The real sample is a plain ``_search`` response (books, not alerts): each hit still
    becomes a detection named after its document, and a search hit with its fields."""
    hits = corpus_hits(SEARCH_SAMPLE)
    findings = [alert_to_finding(h) for h in hits]
    assert [f.source_uid for f in findings] == [h["_id"] for h in hits] == ["1a2b3c4d", "1234abcd"]
    assert findings[0].title == "Elasticsearch document 1a2b3c4d"
    assert findings[0].severity is Severity.UNKNOWN and findings[0].status is FindingStatus.NEW
    assert findings[0].created_at == datetime(2024, 4, 8, 13, 18, 20, 111000, tzinfo=UTC)
    assert findings[1].modified_at == datetime(2024, 4, 8, 13, 18, 20, 333000, tzinfo=UTC)
    assert findings[0].asset is None and findings[0].detection_info.attacks == []
    assert findings[0].raw["_source"]["author"] == "Alastair Reynolds"
    for finding in findings:
        validate_ocsf(finding.to_ocsf())
    search = [hit_to_search_hit(h) for h in hits]
    assert search[0].source == "index_001"
    assert search[0].fields["name"] == "Revelation Space" and search[0].fields["_id"] == "1a2b3c4d"
    assert search[1].time == datetime(2024, 4, 8, 13, 18, 20, 333000, tzinfo=UTC)
    assert search[1].fields["page_count"] == 227


# --- sandbox alerts -------------------------------------------------------------------------


def test_sandbox_alert_fields() -> None:
    hit = alert(7, 0, NOW)
    source = hit["_source"]
    finding = alert_to_finding(hit, KIBANA)
    assert finding.kind.value == "detection" and finding.source_uid == source["kibana.alert.uuid"]
    assert finding.title == source["kibana.alert.rule.name"]
    assert finding.severity is Severity.from_vendor(source["kibana.alert.severity"])
    assert finding.severity_raw == source["kibana.alert.severity"]
    assert finding.asset.hostname == source["host"]["name"]
    assert finding.asset.ip == source["host"]["ip"][0]
    assert finding.asset.mac == source["host"]["mac"][0].replace("-", ":")
    assert finding.asset.agent_id == source["agent"]["id"]
    assert finding.asset.os == source["host"]["os"]["name"]
    assert source["user"]["name"] in finding.description
    assert finding.description.startswith(source["kibana.alert.reason"])
    assert finding.first_seen.isoformat().startswith(source["kibana.alert.original_time"][:19])
    assert finding.detection_info.url == (
        f"{KIBANA}/app/security/alerts/redirect/{finding.source_uid}?timestamp="
        + source["@timestamp"].replace(":", "%3A")
    )
    rule_techniques = {
        (sub or tech)["id"]
        for threat in source["kibana.alert.rule.threat"]
        for tech in threat["technique"]
        for sub in (tech.get("subtechnique") or [None])
    }
    assert {a.technique_id for a in finding.detection_info.attacks} == rule_techniques
    validate_ocsf(finding.to_ocsf())


def test_every_sandbox_rule_maps_to_valid_ocsf() -> None:
    seen: set[str] = set()
    for index in range(80):
        finding = alert_to_finding(alert(7, index, NOW))
        seen.add(finding.title or "")
        validate_ocsf(finding.to_ocsf())
    assert len(seen) >= 8  # the sample covers most rules


def test_subtechnique_carries_parent_name_and_tactic() -> None:
    threat = [
        {
            "framework": "MITRE ATT&CK",
            "tactic": {"id": "TA0006", "name": "Credential Access"},
            "technique": [
                {
                    "id": "T1003",
                    "name": "OS Credential Dumping",
                    "subtechnique": [{"id": "T1003.001", "name": "LSASS Memory"}],
                },
                {"id": "T1110", "name": "Brute Force"},
            ],
        },
        {"framework": "MITRE ATT&CK", "tactic": {"id": "TA0040", "name": "Impact"}},
        {"framework": "Other", "tactic": {"id": "X1", "name": "Not ATT&CK"}},
    ]
    found = attacks({"kibana.alert.rule.threat": threat})
    assert found == [
        {
            "tactic_id": "TA0006",
            "tactic": "Credential Access",
            "technique_id": "T1003.001",
            "technique": "OS Credential Dumping: LSASS Memory",
        },
        {
            "tactic_id": "TA0006",
            "tactic": "Credential Access",
            "technique_id": "T1110",
            "technique": "Brute Force",
        },
        {"tactic_id": "TA0040", "tactic": "Impact"},
    ]
    finding = alert_to_finding(base_alert(**{"kibana.alert.rule.threat": threat}))
    ocsf = finding.to_ocsf()
    validate_ocsf(ocsf)
    assert ocsf["finding_info"]["attacks"][0]["sub_technique"]["uid"] == "T1003.001"


def test_ecs_threat_fields_from_the_source_event() -> None:
    source = {
        "threat": {
            "tactic": {"id": ["TA0002"], "name": ["Execution"]},
            "technique": {"id": ["T1059"], "name": ["Command and Scripting Interpreter"]},
        }
    }
    assert attacks(source) == [
        {
            "tactic_id": "TA0002",
            "tactic": "Execution",
            "technique_id": "T1059",
            "technique": "Command and Scripting Interpreter",
        }
    ]


def test_flat_nested_and_legacy_shapes_read_the_same() -> None:
    flat = alert_to_finding(base_alert(**{"host.name": "WS-01", "user.name": "jdoe"}))
    nested = alert_to_finding(
        {
            "_id": "a" * 64,
            "_source": {
                "@timestamp": "2025-05-01T10:00:00.000Z",
                "kibana": {
                    "alert": {
                        "uuid": "a" * 64,
                        "severity": "high",
                        "risk_score": 73,
                        "workflow_status": "open",
                        "rule": {"name": "Suspicious thing"},
                    }
                },
                "host": {"name": "WS-01"},
                "user": {"name": "jdoe"},
            },
        }
    )
    legacy = alert_to_finding(
        {
            "_id": "a" * 64,
            "_source": {
                "@timestamp": "2025-05-01T10:00:00.000Z",
                "signal": {
                    "status": "open",
                    "rule": {"name": "Suspicious thing", "severity": "high", "risk_score": 73},
                },
                "host": {"name": "WS-01"},
                "user": {"name": "jdoe"},
            },
        }
    )
    for finding in (nested, legacy):
        assert finding.source_uid == flat.source_uid and finding.title == flat.title
        assert finding.severity is flat.severity is Severity.HIGH
        assert finding.status is flat.status is FindingStatus.NEW
        assert finding.asset.hostname == flat.asset.hostname == "ws-01"
        assert "User: jdoe." in finding.description


@pytest.mark.parametrize(
    ("status", "tags", "expected"),
    [
        ("open", [], FindingStatus.NEW),
        ("acknowledged", [], FindingStatus.IN_PROGRESS),
        ("in-progress", [], FindingStatus.IN_PROGRESS),
        ("closed", [], FindingStatus.RESOLVED),
        ("closed", ["False Positive"], FindingStatus.SUPPRESSED),
        ("acknowledged", ["False Positive"], FindingStatus.IN_PROGRESS),
    ],
)
def test_workflow_status(status: str, tags: list[str], expected: FindingStatus) -> None:
    hit = base_alert(**{"kibana.alert.workflow_status": status, "kibana.alert.workflow_tags": tags})
    finding = alert_to_finding(hit)
    assert finding.status is expected and finding.status_raw == status


@pytest.mark.parametrize(
    ("score", "expected"),
    [
        (0, Severity.LOW),
        (21, Severity.LOW),
        (22, Severity.MEDIUM),
        (47, Severity.MEDIUM),
        (48, Severity.HIGH),
        (73, Severity.HIGH),
        (74, Severity.CRITICAL),
        (100, Severity.CRITICAL),
        (None, Severity.UNKNOWN),
    ],
)
def test_risk_score_bands_when_severity_is_missing(score: Any, expected: Severity) -> None:
    assert risk_severity(score) is expected
    hit = base_alert(**{"kibana.alert.severity": None, "kibana.alert.risk_score": score})
    assert alert_to_finding(hit).severity is expected


def test_modified_is_the_latest_change() -> None:
    source = base_alert(
        **{
            "kibana.alert.workflow_status_updated_at": "2025-05-03T08:00:00.000Z",
            "kibana.alert.last_detected": "2025-05-02T08:00:00.000Z",
        }
    )["_source"]
    assert alert_modified(source) == datetime(2025, 5, 3, 8, tzinfo=UTC)
    assert alert_modified({}) is None
    assert alert_modified({"@timestamp": "not a date"}) is None


def test_kibana_url_written_by_kibana_wins() -> None:
    hit = base_alert(**{"kibana.alert.url": "https://kibana.corp/app/security/alerts/redirect/x"})
    assert alert_to_finding(hit, KIBANA).detection_info.url.startswith("https://kibana.corp/")
    built = alert_to_finding(base_alert(), KIBANA).detection_info.url
    assert built == (
        f"{KIBANA}/app/security/alerts/redirect/{'a' * 64}?index=.internal.alerts-security."
        "alerts-default-000001&timestamp=2025-05-01T10%3A00%3A00.000Z"
    )
    assert alert_to_finding(base_alert()).detection_info.url is None


def test_a_hit_without_any_id_is_refused() -> None:
    with pytest.raises(ValueError, match="neither"):
        alert_to_finding({"_source": {"@timestamp": "2025-05-01T10:00:00Z"}})


def test_search_hit_of_an_aria_event() -> None:
    hit = {
        "_index": "aria-events",
        "_id": "x1",
        "_source": {
            "@timestamp": "2025-06-02T12:00:00Z",
            "aria_event": "risk.created",
            "title": "Ransomware on ws-01",
            "risk_id": 42,
            "nested": {"a": 1},
        },
    }
    found = hit_to_search_hit(hit)
    assert found.message == "risk.created: Ransomware on ws-01"
    assert found.fields["risk_id"] == 42 and found.fields["nested.a"] == 1
    assert found.source == "aria-events"
    assert found.time == datetime(2025, 6, 2, 12, tzinfo=UTC)
