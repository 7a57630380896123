"""Defender records -> canonical records.

Pure functions, one per Defender entity, so streams, queries and tests share them (the real
``/api/alerts`` sample in ``../shared/corpus`` goes straight through :func:`alert_to_finding`).
Defender's vocabularies (``New``/``InProgress``/``Resolved``, ``UnSpecified``..``High``,
alert categories that are ATT&CK tactics) are mapped onto OCSF here, once.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from aria.sdk.cursors import to_datetime
from aria.sdk.records import (
    Asset,
    Finding,
    FindingStatus,
    Incident,
    IncidentStatus,
    Indicator,
    Severity,
)

VENDOR = "Microsoft"
PRODUCT = "Microsoft Defender for Endpoint"
MDVM = "Microsoft Defender Vulnerability Management"
XDR = "Microsoft Defender XDR"
PORTAL = "https://security.microsoft.com"
RECOMMENDATION_STANDARD = "Microsoft Defender Vulnerability Management security configuration"

SEVERITY: dict[str, Severity] = {
    "UnSpecified": Severity.UNKNOWN,
    "Unspecified": Severity.UNKNOWN,
    "Informational": Severity.INFORMATIONAL,
    "Low": Severity.LOW,
    "Medium": Severity.MEDIUM,
    "High": Severity.HIGH,
    "Critical": Severity.CRITICAL,
}

ALERT_STATUS: dict[str, FindingStatus] = {
    "New": FindingStatus.NEW,
    "InProgress": FindingStatus.IN_PROGRESS,
    "Resolved": FindingStatus.RESOLVED,
    "Unknown": FindingStatus.UNKNOWN,
}

INCIDENT_STATUS: dict[str, IncidentStatus] = {
    "Active": IncidentStatus.NEW,
    "InProgress": IncidentStatus.IN_PROGRESS,
    "Resolved": IncidentStatus.RESOLVED,
    "Redirected": IncidentStatus.CLOSED,  # merged into another incident (redirectIncidentId)
}

# Defender alert categories that are MITRE ATT&CK tactics (the rest are Malware, Ransomware,
# SuspiciousActivity, UnwantedSoftware, Exploit, ...).
TACTICS: dict[str, tuple[str, str]] = {
    "Reconnaissance": ("TA0043", "Reconnaissance"),
    "ResourceDevelopment": ("TA0042", "Resource Development"),
    "InitialAccess": ("TA0001", "Initial Access"),
    "Execution": ("TA0002", "Execution"),
    "Persistence": ("TA0003", "Persistence"),
    "PrivilegeEscalation": ("TA0004", "Privilege Escalation"),
    "DefenseEvasion": ("TA0005", "Defense Evasion"),
    "CredentialAccess": ("TA0006", "Credential Access"),
    "Discovery": ("TA0007", "Discovery"),
    "LateralMovement": ("TA0008", "Lateral Movement"),
    "Collection": ("TA0009", "Collection"),
    "CommandAndControl": ("TA0011", "Command and Control"),
    "Exfiltration": ("TA0010", "Exfiltration"),
    "Impact": ("TA0040", "Impact"),
}

# exposureLevel (Defender's view of how exposed the device is) -> asset criticality.
CRITICALITY = {"High": "high", "Medium": "medium", "Low": "low"}  # "None": not rated

# Indicator types -> canonical indicator types (certificate thumbprints have no STIX pattern).
INDICATOR_TYPES = {
    "FileSha1": "sha1",
    "FileSha256": "sha256",
    "FileMd5": "md5",
    "IpAddress": "ip",
    "DomainName": "domain",
    "Url": "url",
}

_TECHNIQUE = re.compile(r"^T\d{4}(\.\d{3})?$")
_SERVER = re.compile(r"server", re.IGNORECASE)


def _first(*values: Any) -> Any:
    """The first value that carries something (Defender sends null, "" and the string "null")."""
    return next((v for v in values if v not in (None, "", "null", [], {})), None)


def _str(value: Any) -> str | None:
    value = _first(value)
    return None if value is None else str(value)


def _compact(mapping: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in mapping.items() if _first(v) is not None}


def severity(value: Any) -> Severity:
    """Defender's severity words; anything else is Unknown (never guessed)."""
    return SEVERITY.get(str(value), Severity.UNKNOWN) if value is not None else Severity.UNKNOWN


def attacks(category: Any, techniques: Any) -> list[dict[str, Any]]:
    """ATT&CK pairs: each ``mitreTechniques`` id under the category's tactic, when it is one."""
    tactic = TACTICS.get(str(category)) if category else None
    base = {"tactic_id": tactic[0], "tactic": tactic[1]} if tactic else {}
    ids = [str(t) for t in techniques or [] if isinstance(t, str) and _TECHNIQUE.match(t)]
    if ids:
        return [{**base, "technique_id": t} for t in dict.fromkeys(ids)]
    return [base] if base else []


def _alert_status(record: Mapping[str, Any]) -> FindingStatus:
    """New/InProgress/Resolved; an alert resolved as a false positive is suppressed."""
    status = ALERT_STATUS.get(str(record.get("status")), FindingStatus.UNKNOWN)
    if status is FindingStatus.RESOLVED and record.get("classification") == "FalsePositive":
        return FindingStatus.SUPPRESSED
    return status


def alert_asset(record: Mapping[str, Any]) -> dict[str, Any] | None:
    """The device an alert is about: the machine id is the sensor's agent id."""
    evidence = [e for e in record.get("evidence") or [] if isinstance(e, Mapping)]
    ip = next((e.get("ipAddress") for e in evidence if e.get("entityType") == "Ip"), None)
    ref = _compact(
        {
            "agent_id": record.get("machineId"),
            "hostname": record.get("computerDnsName"),
            "ip": ip,
        }
    )
    return ref or None


def _alert_description(record: Mapping[str, Any]) -> str | None:
    parts = [_str(record.get("description"))]
    family = _str(record.get("threatFamilyName"))
    if family:
        parts.append(f"Threat family: {family}.")
    user = record.get("alertUser")
    if isinstance(user, Mapping) and _first(user.get("accountName")):
        domain = _str(user.get("domainName"))
        parts.append(f"User: {domain + chr(92) if domain else ''}{user['accountName']}.")
    text = " ".join(p for p in parts if p)
    return text or None


def alert_to_finding(record: Mapping[str, Any]) -> Finding:
    """A ``/api/alerts`` entity -> detection finding, with what automatic risks need: the
    severity, the ATT&CK tactic (from the category) and techniques, and the device."""
    alert_id = str(record["id"])
    return Finding.detection(
        uid=alert_id,
        title=_first(record.get("title"), f"Defender alert {alert_id}"),
        description=_alert_description(record),
        severity=severity(record.get("severity")),
        severity_raw=_str(record.get("severity")),
        status=_alert_status(record),
        status_raw=_str(record.get("status")),
        created_at=record.get("alertCreationTime"),
        modified_at=record.get("lastUpdateTime"),
        first_seen=_first(record.get("firstEventTime"), record.get("alertCreationTime")),
        last_seen=_first(record.get("lastEventTime"), record.get("alertCreationTime")),
        asset=alert_asset(record),
        attacks=attacks(record.get("category"), record.get("mitreTechniques")),
        detection_source=_str(record.get("detectionSource")),
        url=f"{PORTAL}/alerts/{alert_id}",
        source_product=PRODUCT,
        source_vendor=VENDOR,
        raw=dict(record),
    )


def _device_type(record: Mapping[str, Any]) -> str | None:
    platform = _str(record.get("osPlatform")) or ""
    if _SERVER.search(platform):
        return "Server"
    if platform.startswith(("Windows", "macOS", "Mac")):
        return "Desktop"
    if platform in ("iOS", "Android"):
        return "Mobile"
    return None


def _criticality(record: Mapping[str, Any]) -> str | None:
    """``exposureLevel`` as criticality; a device the organization values High is high."""
    if record.get("deviceValue") == "High":
        return "high"
    return CRITICALITY.get(str(record.get("exposureLevel")))


def machine_to_asset(record: Mapping[str, Any]) -> Asset:
    """A ``/api/machines`` entity -> asset; the machine id is the agent id, and Azure VMs
    carry their VM id and resource id so cloud inventories merge with them."""
    interfaces = [i for i in record.get("ipAddresses") or [] if isinstance(i, Mapping)]
    ips = [record.get("lastIpAddress"), record.get("lastExternalIpAddress")]
    ips += [i.get("ipAddress") for i in interfaces]
    macs = [i.get("macAddress") for i in interfaces]
    vm = record.get("vmMetadata") if isinstance(record.get("vmMetadata"), Mapping) else {}
    version = " ".join(
        str(v)
        for v in (record.get("osVersion") or record.get("version"), record.get("osBuild"))
        if _first(v) is not None
    )
    return Asset(
        uid=str(record["id"]),
        agent_id=str(record["id"]),
        hostname=_str(record.get("computerDnsName")),
        ips=list(dict.fromkeys(ip for ip in ips if _first(ip))),
        macs=list(dict.fromkeys(m for m in macs if _first(m))),
        os_name=_str(record.get("osPlatform")),
        os_version=version or None,
        device_type=_device_type(record),
        instance_id=_str(vm.get("vmId")),
        cloud_arn=_str(vm.get("resourceId")),
        criticality=_criticality(record),
        first_seen=record.get("firstSeen"),
        last_seen=record.get("lastSeen"),
        created_at=record.get("firstSeen"),
        severity=severity(record.get("riskScore")),
        severity_raw=_str(record.get("riskScore")),
        source_product=PRODUCT,
        source_vendor=VENDOR,
        raw=dict(record),
    )


def vulnerability_to_finding(record: Mapping[str, Any]) -> Finding:
    """A ``/api/vulnerabilities/machinesVulnerabilities`` row (one CVE in one product on one
    machine) -> vulnerability finding on that machine, fixed by a KB when Microsoft has one."""
    cve = _str(record.get("cveId"))
    product = " ".join(
        str(p) for p in (record.get("productVendor"), record.get("productName")) if _first(p)
    )
    kb = _str(record.get("fixingKbId"))
    version = _str(record.get("productVersion"))
    target = f"{product} {version}".strip() if product else None
    return Finding.vulnerability(
        uid=str(record["id"]),
        title=f"{cve} in {target}" if cve and target else (cve or target),
        severity=severity(record.get("severity")),
        severity_raw=_str(record.get("severity")),
        status=FindingStatus.NEW,
        asset={"agent_id": record["machineId"]} if _first(record.get("machineId")) else None,
        cve_ids=[cve] if cve else [],
        package_name=_str(record.get("productName")),
        package_version=version,
        remediation=(
            f"Install KB{kb.removeprefix('KB')}" if kb else f"Update {target or 'the product'}"
        ),
        references=[f"https://nvd.nist.gov/vuln/detail/{cve}"] if cve else [],
        source_product=MDVM,
        source_vendor=VENDOR,
        raw=dict(record),
    )


def recommendation_to_finding(record: Mapping[str, Any], tenant_id: str) -> Finding:
    """A ``/api/recommendations`` entity -> finding for the whole tenant.

    Configuration changes (``sca-_-scid-*``) are compliance findings against Microsoft's
    security configuration baseline, failing while any device is exposed; software updates
    are vulnerability findings on the product. An ``Exception`` status is a suppression.
    """
    rec_id = str(record["id"])
    exposed = record.get("exposedMachinesCount")
    name = _first(record.get("recommendationName"), rec_id)
    status = FindingStatus.SUPPRESSED if record.get("status") == "Exception" else None
    score = record.get("severityScore")
    sev = (
        Severity.from_vendor(score, scale="cvss")
        if isinstance(score, int | float) and not isinstance(score, bool) and score > 0
        else Severity.UNKNOWN
    )
    exposure = (
        f"{exposed} of {record.get('totalMachineCount')} devices exposed"
        if exposed is not None
        else None
    )
    description = "; ".join(
        str(p)
        for p in (
            exposure,
            f"{record.get('weaknesses')} weaknesses" if record.get("weaknesses") else None,
            _str(record.get("relatedComponent")),
            "active alert" if record.get("activeAlert") else None,
            "associated threats: " + ", ".join(map(str, record["associatedThreats"]))
            if record.get("associatedThreats")
            else None,
        )
        if p
    )
    common: dict[str, Any] = {
        "uid": rec_id,
        "title": name,
        "description": description or None,
        "severity": sev,
        "severity_raw": score,
        "status": status or (FindingStatus.NEW if exposed != 0 else FindingStatus.RESOLVED),
        "status_raw": _str(record.get("status")),
        "source_product": MDVM,
        "source_vendor": VENDOR,
        "raw": dict(record),
    }
    if record.get("remediationType") == "ConfigurationChange" or rec_id.startswith("sca-"):
        return Finding.compliance(
            control_id=rec_id,
            standard=RECOMMENDATION_STANDARD,
            requirement=name,
            resource_uid=f"mde-tenant:{tenant_id}",
            result="fail" if exposed != 0 else "pass",
            remediation=name,
            **common,
        )
    vendor, product = _str(record.get("vendor")), _str(record.get("productName"))
    return Finding.vulnerability(
        package_name=product,
        fixed_version=_str(record.get("recommendedVersion")),
        remediation=name,
        exploit_available=record.get("publicExploit"),
        references=[f"{PORTAL}/security-recommendations"],
        **{**common, "title": f"{name} ({vendor} {product})" if vendor and product else name},
    )


def _incident_devices(alerts: list[Mapping[str, Any]]) -> list[str]:
    names: list[str] = []
    for alert in alerts:
        for device in alert.get("devices") or []:
            if isinstance(device, Mapping) and _first(device.get("deviceDnsName")):
                names.append(str(device["deviceDnsName"]))
    return list(dict.fromkeys(names))


def incident_to_incident(record: Mapping[str, Any]) -> Incident:
    """A Defender XDR ``/api/incidents`` entity -> incident, listing its alerts' ids so the
    platform can join it to the detection findings of the alerts stream."""
    incident_id = str(record["incidentId"])
    alerts = [a for a in record.get("alerts") or [] if isinstance(a, Mapping)]
    devices = _incident_devices(alerts)
    firsts = [a.get("firstActivity") for a in alerts if _first(a.get("firstActivity"))]
    lasts = [a.get("lastActivity") for a in alerts if _first(a.get("lastActivity"))]
    summary = [f"{len(alerts)} alerts"] if alerts else []
    if devices:
        summary.append("devices: " + ", ".join(devices[:10]))
    if record.get("determination") not in (None, "NotAvailable"):
        summary.append(f"determination: {record['determination']}")
    if record.get("redirectIncidentId"):
        summary.append(f"merged into incident {record['redirectIncidentId']}")
    return Incident(
        uid=incident_id,
        title=_first(record.get("incidentName"), f"Incident {incident_id}"),
        description="; ".join(summary) or None,
        status=INCIDENT_STATUS.get(str(record.get("status")), IncidentStatus.UNKNOWN),
        status_raw=_str(record.get("status")),
        severity=severity(record.get("severity")),
        severity_raw=_str(record.get("severity")),
        assignee=_str(record.get("assignedTo")),
        finding_uids=[str(a["alertId"]) for a in alerts if _first(a.get("alertId"))],
        created_at=record.get("createdTime"),
        modified_at=record.get("lastUpdateTime"),
        first_seen=min(firsts) if firsts else record.get("createdTime"),
        last_seen=max(lasts) if lasts else None,
        url=_first(record.get("incidentUri"), f"{PORTAL}/incidents/{incident_id}"),
        source_product=XDR,
        source_vendor=VENDOR,
        raw=dict(record),
    )


def indicator_to_indicator(record: Mapping[str, Any]) -> Indicator | None:
    """A ``/api/indicators`` entity -> indicator; certificate thumbprints are skipped (no
    STIX pattern names a certificate by thumbprint), the raw record is still kept."""
    kind = INDICATOR_TYPES.get(str(record.get("indicatorType")))
    if kind is None:
        return None
    created = record.get("creationTimeDateTimeUtc")
    expires = to_datetime(_first(record.get("expirationTime")))
    start = to_datetime(_first(created))
    labels = [
        str(v)
        for v in (record.get("action"), record.get("category"), record.get("application"))
        if _first(v)
    ]
    return Indicator.from_value(
        record["indicatorValue"],
        type=kind if kind != "ip" else None,
        uid=str(record["id"]),
        name=_str(record.get("title")),
        description=_first(record.get("description"), record.get("recommendedActions")),
        valid_from=start,
        # An indicator that expired before it was created has no meaningful window end.
        valid_until=expires if expires and (start is None or expires > start) else None,
        labels=labels,
        source=_first(record.get("createdBySource"), record.get("sourceType"), PRODUCT),
        severity=severity(record.get("severity")),
        severity_raw=_str(record.get("severity")),
        first_seen=start,
        last_seen=record.get("lastUpdateTime"),
        source_product=PRODUCT,
        source_vendor=VENDOR,
        raw=dict(record),
    )
