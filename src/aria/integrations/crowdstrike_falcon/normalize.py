"""Falcon records -> canonical records.

Pure functions, one per Falcon record shape, so streams, queries and webhooks share them and
tests can feed them the real samples directly. Each keeps the raw record and maps Falcon's
vocabularies (0-100 severities, status words and codes) onto OCSF once, here.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from aria.sdk.records import (
    Asset,
    Finding,
    FindingStatus,
    Incident,
    IncidentStatus,
    Severity,
)

VENDOR = "CrowdStrike"
PRODUCT = "CrowdStrike Falcon"
SPOTLIGHT = "CrowdStrike Falcon Spotlight"
DEFAULT_CONSOLE = "https://falcon.crowdstrike.com"

# Alerts (and the legacy detects API) use words; closed alerts are resolved findings.
ALERT_STATUS: dict[str, FindingStatus] = {
    "new": FindingStatus.NEW,
    "reopened": FindingStatus.NEW,
    "in_progress": FindingStatus.IN_PROGRESS,
    "true_positive": FindingStatus.IN_PROGRESS,
    "closed": FindingStatus.RESOLVED,
    "false_positive": FindingStatus.SUPPRESSED,
    "ignored": FindingStatus.SUPPRESSED,
}

# Incidents use numeric codes: 20 New, 25 Reopened, 30 In Progress, 40 Closed.
INCIDENT_STATUS: dict[Any, IncidentStatus] = {
    20: IncidentStatus.NEW,
    25: IncidentStatus.NEW,
    30: IncidentStatus.IN_PROGRESS,
    40: IncidentStatus.CLOSED,
    "20": IncidentStatus.NEW,
    "25": IncidentStatus.NEW,
    "30": IncidentStatus.IN_PROGRESS,
    "40": IncidentStatus.CLOSED,
    "open": IncidentStatus.NEW,
    "closed": IncidentStatus.CLOSED,
}

# Spotlight: an "expired" vulnerability disappeared without a confirmed fix.
VULN_STATUS: dict[str, FindingStatus] = {
    "open": FindingStatus.NEW,
    "reopen": FindingStatus.NEW,
    "closed": FindingStatus.RESOLVED,
    "expired": FindingStatus.ARCHIVED,
}

# Quarantine: a contained file is handled; a released one needs a second look.
QUARANTINE_STATUS: dict[str, FindingStatus] = {
    "quarantined": FindingStatus.RESOLVED,
    "purged": FindingStatus.RESOLVED,
    "deleted": FindingStatus.RESOLVED,
    "unrelease_pending": FindingStatus.IN_PROGRESS,
    "release_pending": FindingStatus.IN_PROGRESS,
    "released": FindingStatus.NEW,
}

# DetectionSummaryEvent (streaming API) grades 1-5 rather than 0-100.
LEGACY_SEVERITY = {
    1: Severity.INFORMATIONAL,
    2: Severity.LOW,
    3: Severity.MEDIUM,
    4: Severity.HIGH,
    5: Severity.CRITICAL,
}

_VERSION = re.compile(r"^v?\d+(\.\d+)+[\w.+-]*$")
_GCRN_TYPE = re.compile(r"^[A-Za-z0-9]+::[A-Za-z0-9]+::[A-Za-z0-9]+$")


def _first(*values: Any) -> Any:
    """The first value that is not None or empty (Falcon sends "" for unknown)."""
    return next((v for v in values if v not in (None, "", [], {})), None)


def falcon_severity(name: Any, score: Any) -> Severity:
    """``severity_name`` when Falcon sends one, else the 0-100 score on the percent scale.

    Never hand a bare score to the canonical models: small Falcon scores (2, 5) would be
    mistaken for OCSF severity ids.
    """
    if name not in (None, ""):
        mapped = Severity.from_vendor(name)
        if mapped not in (Severity.UNKNOWN, Severity.OTHER):
            return mapped
    if isinstance(score, bool) or score in (None, ""):
        return Severity.UNKNOWN
    return Severity.from_vendor(score, scale="percent")


def _resource_type(record: Mapping[str, Any]) -> str | None:
    """``AWS::EC2::SecurityGroup`` from a Falcon Cloud Security ``resource_gcrn``."""
    gcrn = record.get("resource_gcrn")
    if not isinstance(gcrn, str):
        return None
    return next((part for part in gcrn.split("|") if _GCRN_TYPE.match(part)), None)


def alert_asset(record: Mapping[str, Any]) -> dict[str, Any] | None:
    """The host (or cloud resource) an alert is about, as an ``AssetRef`` mapping."""
    device = record.get("device") or {}
    ref = {
        "hostname": _first(device.get("hostname"), record.get("hostname")),
        "domain": device.get("machine_domain"),
        "ip": _first(device.get("local_ip"), device.get("external_ip")),
        "mac": device.get("mac_address"),
        "agent_id": _first(device.get("device_id"), record.get("agent_id")),
        "instance_id": device.get("instance_id"),
        "os": _first(device.get("os_version"), device.get("platform_name")),
        "device_type": device.get("product_type_desc"),
        "resource_uid": record.get("resource_id"),
        "resource_type": _resource_type(record),
    }
    ref = {k: v for k, v in ref.items() if v not in (None, "")}
    return ref or None


def _attacks(record: Mapping[str, Any]) -> list[dict[str, Any]]:
    """ATT&CK pairs: ``mitre_attack`` when present, else the top-level tactic/technique."""
    attacks = [a for a in record.get("mitre_attack") or [] if isinstance(a, Mapping)]
    named = [
        a
        for a in attacks
        if _first(a.get("tactic_id"), a.get("tactic"), a.get("technique_id"), a.get("technique"))
    ]
    if named:
        return [dict(a) for a in named]
    top = {
        "tactic_id": record.get("tactic_id"),
        "tactic": record.get("tactic"),
        "technique_id": record.get("technique_id"),
        "technique": record.get("technique"),
    }
    top = {k: v for k, v in top.items() if v not in (None, "")}
    return [top] if top else []


def alert_to_finding(record: Mapping[str, Any]) -> Finding:
    """An Alerts API v2 entity (endpoint, identity or cloud IOA) -> detection finding.

    Carries what automatic risk creation needs: tactic, technique, confidence and the device.
    """
    products = record.get("source_products") or []
    return Finding.detection(
        uid=_first(record.get("composite_id"), record.get("id")),
        title=_first(record.get("display_name"), record.get("name")),
        description=record.get("description"),
        severity=falcon_severity(record.get("severity_name"), record.get("severity")),
        severity_raw=_first(record.get("severity"), record.get("severity_name")),
        status=record.get("status"),
        status_table=ALERT_STATUS,
        created_at=record.get("created_timestamp"),
        modified_at=record.get("updated_timestamp"),
        first_seen=_first(record.get("first_timestamp"), record.get("timestamp")),
        last_seen=_first(record.get("last_timestamp"), record.get("timestamp")),
        asset=alert_asset(record),
        attacks=_attacks(record),
        confidence=record.get("confidence"),
        detection_source=_first(products[0] if products else None, record.get("product")),
        url=record.get("falcon_host_link"),
        source_product=PRODUCT,
        source_vendor=VENDOR,
        raw=dict(record),
    )


def behavior_to_finding(record: Mapping[str, Any]) -> Finding:
    """A legacy ``entities/behaviors`` record (one observed TTP) -> detection finding."""
    command = record.get("cmdline")
    description = _first(record.get("description"), f"{record.get('objective') or 'Behavior'}")
    if command:
        description = f"{description}: {command}"
    return Finding.detection(
        uid=_first(record.get("behavior_id"), record.get("id")),
        title=_first(record.get("display_name"), record.get("technique")),
        description=description,
        severity=falcon_severity(record.get("severity_name"), record.get("severity")),
        severity_raw=record.get("severity"),
        created_at=record.get("timestamp"),
        first_seen=record.get("timestamp"),
        last_seen=record.get("timestamp"),
        asset={"agent_id": record["aid"]} if record.get("aid") else None,
        attacks=_attacks(record),
        confidence=record.get("confidence"),
        detection_source="Falcon Insight behavior",
        source_product=PRODUCT,
        source_vendor=VENDOR,
        raw=dict(record),
    )


def device_to_asset(record: Mapping[str, Any]) -> Asset:
    """A Hosts API device entity -> asset; the sensor's ``device_id`` is the agent id."""
    ips = [ip for ip in (record.get("local_ip"), record.get("connection_ip")) if ip]
    macs = [m for m in (record.get("mac_address"), record.get("connection_mac_address")) if m]
    return Asset(
        uid=record["device_id"],
        hostname=record.get("hostname"),
        domain=record.get("machine_domain"),
        ips=list(dict.fromkeys(ips)),
        macs=list(dict.fromkeys(macs)),
        os_name=_first(record.get("os_version"), record.get("platform_name")),
        os_version=_first(record.get("os_build"), record.get("kernel_version")),
        device_type=_first(record.get("product_type_desc"), record.get("chassis_type_desc")),
        agent_id=record["device_id"],
        serial=record.get("serial_number"),
        instance_id=record.get("instance_id"),
        owner=record.get("last_login_user"),
        first_seen=record.get("first_seen"),
        last_seen=record.get("last_seen"),
        created_at=record.get("first_seen"),
        source_product=PRODUCT,
        source_vendor=VENDOR,
        raw=dict(record),
    )


def online_state_to_asset(record: Mapping[str, Any]) -> Asset:
    """A ``devices/entities/online-state/v1`` record: only the agent id and last contact."""
    return Asset(
        uid=record["id"],
        agent_id=record["id"],
        last_seen=record.get("last_seen"),
        source_product=PRODUCT,
        source_vendor=VENDOR,
        raw=dict(record),
    )


def incident_to_incident(record: Mapping[str, Any], console: str = DEFAULT_CONSOLE) -> Incident:
    """An Incidents API entity -> incident; ``fine_score`` (1-100) is CrowdScore x 10."""
    hosts = [h for h in record.get("hosts") or [] if isinstance(h, Mapping)]
    names = [str(h["hostname"]) for h in hosts if h.get("hostname")]
    incident_id = str(record["incident_id"])
    score = record.get("fine_score")
    summary = []
    if names:
        summary.append("Hosts: " + ", ".join(names))
    if record.get("tactics"):
        summary.append("Tactics: " + ", ".join(map(str, record["tactics"])))
    if record.get("techniques"):
        summary.append("Techniques: " + ", ".join(map(str, record["techniques"])))
    title = _first(
        record.get("name"),
        f"Incident on {names[0]}" if names else None,
        f"Incident {incident_id}",
    )
    return Incident(
        uid=incident_id,
        title=title,
        description=_first(record.get("description"), "; ".join(summary)),
        status=_first(record.get("status"), record.get("state")),
        status_table=INCIDENT_STATUS,
        severity=falcon_severity(None, score),
        severity_raw=score,
        assignee=_first(record.get("assigned_to_name"), record.get("assigned_to")),
        created_at=record.get("created"),
        modified_at=record.get("modified_timestamp"),
        first_seen=record.get("start"),
        last_seen=record.get("end"),
        url=f"{console.rstrip('/')}/crowdscore/incidents/details/{incident_id}",
        source_product=PRODUCT,
        source_vendor=VENDOR,
        raw=dict(record),
    )


def split_product(name_version: Any, normalized: Any = None) -> tuple[str | None, str | None]:
    """``"Google Chrome 118.0.5993.70"`` -> (``"Google Chrome"``, ``"118.0.5993.70"``)."""
    if not isinstance(name_version, str) or not name_version.strip():
        return (normalized or None), None
    head, _, tail = name_version.strip().rpartition(" ")
    if head and _VERSION.match(tail):
        return (normalized or head), tail
    return (normalized or name_version.strip()), None


def vulnerability_to_finding(record: Mapping[str, Any]) -> Finding:
    """A Spotlight combined-vulnerabilities record -> vulnerability finding.

    ``cve``/``host_info``/``remediation`` appear only for the facets requested; without the
    ``cve`` facet the CVE id comes from ``vulnerability_id``.
    """
    cve = record.get("cve") or {}
    host = record.get("host_info") or {}
    apps = [a for a in record.get("apps") or [] if isinstance(a, Mapping)]
    app = apps[0] if apps else {}
    package, version = split_product(
        app.get("product_name_version"), app.get("product_name_normalized")
    )
    cve_id = _first(cve.get("id"), record.get("vulnerability_id"))
    entities = (record.get("remediation") or {}).get("entities") or []
    fix = next((e for e in entities if isinstance(e, Mapping)), {})
    exploit = cve.get("exploit_status")
    kev = (cve.get("cisa_info") or {}).get("is_cisa_kev")
    asset = {
        "hostname": host.get("hostname"),
        "domain": host.get("machine_domain"),
        "ip": host.get("local_ip"),
        "agent_id": record.get("aid"),
        "instance_id": host.get("instance_id"),
        "os": _first(host.get("os_version"), host.get("platform")),
        "device_type": host.get("product_type_desc"),
    }
    severity_word = cve.get("severity")
    return Finding.vulnerability(
        uid=record["id"],
        title=f"{cve_id} in {package}" if cve_id and package else cve_id,
        description=cve.get("description"),
        severity=(
            Severity.from_vendor(severity_word)
            if severity_word not in (None, "", "UNKNOWN")
            else None
        ),
        severity_raw=severity_word or None,
        status=record.get("status"),
        status_table=VULN_STATUS,
        created_at=record.get("created_timestamp"),
        modified_at=record.get("updated_timestamp"),
        first_seen=record.get("created_timestamp"),
        last_seen=_first(record.get("closed_timestamp"), record.get("updated_timestamp")),
        asset={k: v for k, v in asset.items() if v not in (None, "")},
        cve_ids=[cve_id] if cve_id else [],
        cvss_score=cve.get("base_score"),
        cvss_vector=cve.get("vector"),
        package_name=package,
        package_version=version,
        remediation=_first(fix.get("action"), fix.get("title")),
        exploit_available=(exploit >= 30) if isinstance(exploit, int | float) else None,
        kev=kev,
        references=cve.get("references"),
        source_product=SPOTLIGHT,
        source_vendor=VENDOR,
        raw=dict(record),
    )


def quarantined_file_to_finding(record: Mapping[str, Any]) -> Finding:
    """A quarantine-files entity -> detection finding (what was quarantined, where)."""
    paths = [p for p in record.get("paths") or [] if isinstance(p, Mapping)]
    name = _first(*(p.get("filename") for p in paths), record.get("sha256"))
    where = "; ".join(str(p["path"]) for p in paths if p.get("path"))
    return Finding.detection(
        uid=f"quarantine:{record['id']}",
        title=f"File quarantined: {name}",
        description=where or None,
        status=record.get("state"),
        status_table=QUARANTINE_STATUS,
        created_at=record.get("date_created"),
        modified_at=record.get("date_updated"),
        asset={
            k: v
            for k, v in {"hostname": record.get("hostname"), "agent_id": record.get("aid")}.items()
            if v
        }
        or None,
        detection_source="Falcon quarantine",
        source_product=PRODUCT,
        source_vendor=VENDOR,
        raw=dict(record),
    )


def detection_summary_event(event: Mapping[str, Any], metadata: Mapping[str, Any]) -> Finding:
    """A ``DetectionSummaryEvent`` (event streams / notification workflows) -> detection.

    Accepts the classic shape (``DetectId``, ``ComputerName``, ``Severity`` 1-5) and the
    alerts-era one (``CompositeId``, ``Hostname``, ``Severity`` 0-100).
    """
    raw_severity = event.get("Severity")
    severity = falcon_severity(event.get("SeverityName"), None)
    if severity is Severity.UNKNOWN and isinstance(raw_severity, int | float):
        legacy = raw_severity <= 5 and float(raw_severity).is_integer()
        severity = (
            LEGACY_SEVERITY.get(int(raw_severity), Severity.UNKNOWN)
            if legacy
            else falcon_severity(None, raw_severity)
        )
    attack = {
        "tactic_id": event.get("TacticId"),
        "tactic": event.get("Tactic"),
        "technique_id": event.get("TechniqueId"),
        "technique": event.get("Technique"),
    }
    attack = {k: v for k, v in attack.items() if v not in (None, "")}
    asset = {
        "hostname": _first(event.get("Hostname"), event.get("ComputerName")),
        "domain": event.get("MachineDomain"),
        "ip": event.get("LocalIP"),
        "mac": event.get("MACAddress"),
        "agent_id": _first(event.get("AgentId"), event.get("SensorId")),
    }
    created = _first(
        event.get("CreatedTimestamp"),
        event.get("ProcessStartTime"),
        metadata.get("eventCreationTime"),
    )
    return Finding.detection(
        uid=_first(event.get("CompositeId"), event.get("DetectId")),
        title=_first(event.get("Name"), event.get("DetectName"), event.get("DisplayName")),
        description=_first(event.get("Description"), event.get("DetectDescription")),
        severity=severity,
        severity_raw=_first(raw_severity, event.get("SeverityName")),
        status="new",
        status_table=ALERT_STATUS,
        created_at=created,
        modified_at=metadata.get("eventCreationTime"),
        first_seen=created,
        asset={k: v for k, v in asset.items() if v not in (None, "")} or None,
        attacks=[attack] if attack else [],
        confidence=event.get("Confidence"),
        detection_source="Falcon event stream",
        url=event.get("FalconHostLink"),
        source_product=PRODUCT,
        source_vendor=VENDOR,
        raw={"metadata": dict(metadata), "event": dict(event)},
    )


def incident_summary_event(event: Mapping[str, Any], metadata: Mapping[str, Any]) -> Incident:
    """An ``IncidentSummaryEvent`` -> incident; ``FineScore`` may be 0-10 or 0-100."""
    score = event.get("FineScore")
    severity = Severity.UNKNOWN
    if isinstance(score, int | float) and not isinstance(score, bool):
        severity = Severity.from_vendor(score, scale="cvss" if score <= 10 else "percent")
    incident_id = str(event["IncidentID"])
    return Incident(
        uid=incident_id,
        title=_first(event.get("Name"), f"Incident {incident_id}"),
        description=event.get("Description"),
        status=_first(event.get("Status"), event.get("State"), 20),
        status_table=INCIDENT_STATUS,
        severity=severity,
        severity_raw=score,
        created_at=_first(event.get("IncidentStartTime"), metadata.get("eventCreationTime")),
        modified_at=metadata.get("eventCreationTime"),
        first_seen=event.get("IncidentStartTime"),
        last_seen=event.get("IncidentEndTime"),
        url=event.get("FalconHostLink"),
        source_product=PRODUCT,
        source_vendor=VENDOR,
        raw={"metadata": dict(metadata), "event": dict(event)},
    )


def detection_to_finding(record: Mapping[str, Any]) -> Finding:
    """Any Falcon detection shape -> detection finding: an alert (``composite_id``), a
    legacy behavior (``behavior_id``) or a quarantined file (``paths`` + ``sha256``)."""
    if record.get("composite_id") or not (record.get("behavior_id") or record.get("paths")):
        return alert_to_finding(record)
    if record.get("behavior_id"):
        return behavior_to_finding(record)
    return quarantined_file_to_finding(record)


def host_to_asset(record: Mapping[str, Any]) -> Asset:
    """A host entity (``device_id``) or an online-state record (``id`` + ``state``)."""
    if record.get("device_id") or "state" not in record:
        return device_to_asset(record)
    return online_state_to_asset(record)
