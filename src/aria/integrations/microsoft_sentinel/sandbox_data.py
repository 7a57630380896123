"""Synthetic Sentinel data for the sandbox, shaped like the real API.

Incidents are ARM resources exactly as ``Incidents - List`` returns them (``id``, ``name``,
``etag``, ``type`` and ``properties`` with ``incidentNumber``, ``severity``, ``status``,
``owner``, ``labels``, ``additionalData``, ``relatedAnalyticRuleIds``, ``incidentUrl`` ...).
Every incident has its own seeded generator and its ``lastModifiedTimeUtc`` grows with its
index, so a bigger sandbox with the same seed serves the same incidents plus newer ones, as a
live workspace does between syncs. The workspace also holds ``SecurityAlert`` rows (the alerts
behind the incidents) and a few earlier ARIA events in the default custom log table.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from aria.integrations.microsoft_sentinel.config import DEFAULT_LOG_TYPE
from aria.integrations.microsoft_sentinel.kql_engine import Table
from aria.sdk.sandbox import DataGen

TENANT_ID = "5f1c3a2b-7d4e-4f60-8a9b-0c1d2e3f4a5b"
SUBSCRIPTION_ID = "d0cfe6b2-9ac0-4464-9919-dccaee2e48c0"
RESOURCE_GROUP = "rg-security"
WORKSPACE_NAME = "law-sentinel-prod"
WORKSPACE_ID = "c8c99641-985d-4e4e-8e91-fb3466cd0e5b"
STEP = timedelta(hours=2)  # incident i was last modified about START + i * STEP
WINDOW = timedelta(days=30)

# (title, description, tactics, techniques, product)
INCIDENT_KINDS: list[tuple[str, str, list[str], list[str], str]] = [
    (
        "Multiple failed sign-ins followed by a success",
        "A user failed to sign in many times and then signed in from a new location.",
        ["CredentialAccess", "InitialAccess"],
        ["T1110", "T1078"],
        "Azure Active Directory Identity Protection",
    ),
    (
        "Suspicious PowerShell command line",
        "An encoded PowerShell command typical of download cradles ran on a server.",
        ["Execution"],
        ["T1059"],
        "Microsoft Defender for Endpoint",
    ),
    (
        "Mass download by a single user",
        "A user downloaded an unusual number of files from SharePoint in a short time.",
        ["Collection", "Exfiltration"],
        ["T1530"],
        "Microsoft Defender for Cloud Apps",
    ),
    (
        "Rare subscription-level operation",
        "A sensitive Azure Resource Manager operation ran for the first time in 30 days.",
        ["Persistence", "PrivilegeEscalation"],
        ["T1098"],
        "Azure Sentinel",
    ),
    (
        "TI map IP entity to SigninLogs",
        "A sign-in came from an address listed in threat intelligence.",
        ["InitialAccess"],
        ["T1078"],
        "Azure Sentinel",
    ),
    (
        "Ransomware activity detected",
        "Files were encrypted and renamed on several devices in a short time.",
        ["Impact"],
        ["T1486"],
        "Microsoft Defender for Endpoint",
    ),
    (
        "Inbox forwarding rule to an external domain",
        "A mailbox rule forwards mail to an address outside the organization.",
        ["Collection", "Exfiltration"],
        ["T1114"],
        "Microsoft Defender for Office 365",
    ),
    (
        "Port scan from an internal host",
        "A workstation probed many ports on many internal addresses.",
        ["Discovery"],
        ["T1046"],
        "Azure Sentinel",
    ),
]
SEVERITIES = ["Informational", "Low", "Medium", "High"]
SEVERITY_WEIGHTS = [1, 3, 4, 3]
STATUSES = ["New", "New", "Active", "Closed"]
CLOSINGS = [
    ("TruePositive", "SuspiciousActivity"),
    ("BenignPositive", "SuspiciousButExpected"),
    ("FalsePositive", "IncorrectAlertLogic"),
    ("Undetermined", None),
]
ANALYSTS = ["Olga Ivanova", "Raj Patel", "Lucia Rossi", "Kenji Tanaka"]


@dataclass
class SentinelData:
    """One workspace: its incidents (ARM resources) and its Log Analytics tables."""

    now: datetime
    incidents: list[dict[str, Any]] = field(default_factory=list)
    tables: dict[str, Table] = field(default_factory=dict)


def stamp(moment: datetime) -> str:
    """ARM's timestamps: seven fractional digits and ``Z``."""
    utc = moment.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond:06d}0Z"


def _gen(seed: int, collection: int, index: int, now: datetime) -> DataGen:
    """A generator of its own per record: record i is the same in every sandbox size."""
    return DataGen((seed * 1_000_003 + collection) * 10_000_019 + index, now=now)


def _uuid(gen: DataGen) -> str:
    return str(uuid.UUID(int=gen.rng.getrandbits(128), version=4))


def workspace_resource() -> str:
    """The ARM id of the sandbox workspace."""
    return (
        f"/subscriptions/{SUBSCRIPTION_ID}/resourceGroups/{RESOURCE_GROUP}/providers/"
        f"Microsoft.OperationalInsights/workspaces/{WORKSPACE_NAME}"
    )


def incident(seed: int, index: int, now: datetime) -> dict[str, Any]:
    """Incident ``index`` of the workspace (number 1000 + index)."""
    gen = _gen(seed, 1, index, now)
    start = now - WINDOW
    modified = start + index * STEP + timedelta(seconds=gen.integer(0, 3599))
    created = modified - timedelta(minutes=gen.integer(5, 600))
    first = created - timedelta(minutes=gen.integer(5, 240))
    last = created - timedelta(minutes=gen.integer(0, 4))
    title, description, tactics, techniques, product = gen.choice(INCIDENT_KINDS)
    severity = gen.weighted(SEVERITIES, SEVERITY_WEIGHTS)
    status = gen.choice(STATUSES)
    name = _uuid(gen)
    number = 1000 + index
    resource = f"{workspace_resource()}/providers/Microsoft.SecurityInsights/incidents/{name}"
    host = gen.hostname()
    user = gen.username()
    alerts = gen.integer(1, 6)
    properties: dict[str, Any] = {
        "title": title,
        "description": f"{description} Host {host}, account {user}.",
        "severity": severity,
        "status": status,
        "owner": _owner(gen),
        "labels": [{"labelName": tag, "labelType": "User"} for tag in _labels(gen)],
        "firstActivityTimeUtc": stamp(first),
        "lastActivityTimeUtc": stamp(last),
        "lastModifiedTimeUtc": stamp(modified),
        "createdTimeUtc": stamp(created),
        "incidentNumber": number,
        "additionalData": {
            "alertsCount": alerts,
            "bookmarksCount": gen.integer(0, 1),
            "commentsCount": gen.integer(0, 4),
            "alertProductNames": [product],
            "tactics": tactics,
            "techniques": techniques,
        },
        "relatedAnalyticRuleIds": [
            f"{workspace_resource()}/providers/Microsoft.SecurityInsights/alertRules/{_uuid(gen)}"
        ],
        "incidentUrl": "https://portal.azure.com/#asset/Microsoft_Azure_Security_Insights/"
        f"Incident{resource}",
        "providerName": "Azure Sentinel",
        "providerIncidentId": str(number),
    }
    if product != "Azure Sentinel" and gen.chance(0.6):
        properties["providerName"] = "Microsoft XDR"
        properties["providerIncidentId"] = str(gen.integer(10_000, 99_999))
        properties["additionalData"]["providerIncidentUrl"] = (
            f"https://security.microsoft.com/incidents/{properties['providerIncidentId']}"
            f"?tid={TENANT_ID}"
        )
    if status == "Closed":
        classification, reason = gen.choice(CLOSINGS)
        properties["classification"] = classification
        if reason:
            properties["classificationReason"] = reason
        properties["classificationComment"] = "Closed after triage."
    return {
        "id": resource,
        "name": name,
        "etag": f'"{gen.hex_id(8)}-0000-0d00-0000-{gen.hex_id(12)}"',
        "type": "Microsoft.SecurityInsights/Incidents",
        "properties": properties,
    }


def _owner(gen: DataGen) -> dict[str, Any]:
    if gen.chance(0.4):
        return {
            "objectId": None,
            "email": None,
            "assignedTo": None,
            "userPrincipalName": None,
            "ownerType": "Unknown",
        }
    first, last = gen.choice(ANALYSTS).split()
    upn = f"{first[0].lower()}{last.lower()}@{gen.domain}"
    return {
        "objectId": _uuid(gen),
        "email": upn,
        "assignedTo": f"{first} {last}",
        "userPrincipalName": upn,
        "ownerType": "User",
    }


def _labels(gen: DataGen) -> list[str]:
    return [label for label in ("Phishing", "VIP", "Tier1") if gen.chance(0.2)]


def security_alert(seed: int, index: int, now: datetime) -> tuple[dict[str, Any], dict[str, str]]:
    """Row ``index`` of the ``SecurityAlert`` table and its column types."""
    gen = _gen(seed, 2, index, now)
    generated = now - WINDOW + index * STEP + timedelta(seconds=gen.integer(0, 3599))
    title, description, tactics, techniques, product = gen.choice(INCIDENT_KINDS)
    host = gen.hostname()
    row: dict[str, Any] = {
        "TenantId": WORKSPACE_ID,
        "TimeGenerated": generated,
        "DisplayName": title,
        "AlertName": title,
        "AlertSeverity": gen.weighted(["Informational", "Low", "Medium", "High"], [1, 3, 4, 3]),
        "Description": description,
        "ProviderName": "ASI Scheduled Alerts" if product == "Azure Sentinel" else "MDATP",
        "VendorName": "Microsoft",
        "ProductName": product,
        "SystemAlertId": _uuid(gen),
        "CompromisedEntity": host,
        "Tactics": ",".join(tactics),
        "Techniques": ",".join(techniques),
        "Status": "New",
        "StartTime": generated - timedelta(minutes=gen.integer(1, 60)),
        "EndTime": generated,
        "Type": "SecurityAlert",
    }
    types = {
        name: ("datetime" if isinstance(value, datetime) else "string")
        for name, value in row.items()
    }
    return row, types


def earlier_event(seed: int, index: int, now: datetime) -> tuple[dict[str, Any], dict[str, str]]:
    """An ARIA risk event forwarded before this sandbox started (Data Collector columns)."""
    gen = _gen(seed, 3, index, now)
    generated = now - timedelta(days=7) + index * timedelta(hours=6)
    risk = 9000 + index
    row: dict[str, Any] = {
        "TenantId": WORKSPACE_ID,
        "SourceSystem": "RestAPI",
        "TimeGenerated": generated,
        "source_s": "aria",
        "aria_event_s": "risk.opened",
        "action_s": "opened",
        "risk_id_d": float(risk),
        "title_s": f"Exposure of {gen.hostname()} to {gen.cve()}",
        "status_s": "open",
        "score_d": float(gen.integer(4, 25)),
        "event_time_t": generated,
        "Type": f"{DEFAULT_LOG_TYPE}_CL",
    }
    types = {
        "TenantId": "string",
        "SourceSystem": "string",
        "TimeGenerated": "datetime",
        "source_s": "string",
        "aria_event_s": "string",
        "action_s": "string",
        "risk_id_d": "real",
        "title_s": "string",
        "status_s": "string",
        "score_d": "real",
        "event_time_t": "datetime",
        "Type": "string",
    }
    return row, types


def generate(seed: int, size: int, now: datetime) -> SentinelData:
    """``size`` incidents, ``size // 2`` security alerts and four earlier ARIA events."""
    data = SentinelData(now=now)
    data.incidents = [incident(seed, i, now) for i in range(size)]
    alerts = Table("SecurityAlert")
    for i in range(size // 2):
        alerts.add(*security_alert(seed, i, now))
    events = Table(f"{DEFAULT_LOG_TYPE}_CL")
    for i in range(4):
        events.add(*earlier_event(seed, i, now))
    data.tables = {alerts.name: alerts, events.name: events}
    return data


__all__ = [
    "RESOURCE_GROUP",
    "SUBSCRIPTION_ID",
    "TENANT_ID",
    "WORKSPACE_ID",
    "WORKSPACE_NAME",
    "SentinelData",
    "generate",
    "incident",
    "stamp",
]
