"""Sumo Logic records -> canonical records, as pure functions shared by streams, queries, tests.

* A Cloud SIEM **insight** becomes an :class:`~aria.sdk.Incident`: it is Sumo's case, the
  correlation of several signals on one entity, with its own workflow (status, assignee,
  resolution). Its signals' ids become ``finding_uids``, linking it to the detections below.
* A Cloud SIEM **signal** becomes a detection :class:`~aria.sdk.Finding`: one rule firing on
  one entity, with ATT&CK tactic and technique (``_mitreAttackTactic:TA0011`` tags and the
  ``stage``) and a 0-10 severity.
* A **search job message** (``{"map": {...}}``) or **record** becomes a
  :class:`~aria.sdk.siem.SearchHit`.

Cloud SIEM timestamps carry no zone (``2021-05-18T14:46:46.741955``); they are UTC.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from aria.sdk.cursors import to_datetime
from aria.sdk.records import Finding, FindingStatus, Incident, IncidentStatus, Severity
from aria.sdk.siem import SearchHit

VENDOR = "Sumo Logic"
CSE = "Sumo Logic Cloud SIEM"

INSIGHT_STATUS: dict[str, IncidentStatus] = {
    "new": IncidentStatus.NEW,
    "inprogress": IncidentStatus.IN_PROGRESS,
    "closed": IncidentStatus.CLOSED,
}
# A closed insight's resolution tells whether the threat was dealt with or dismissed.
RESOLUTION_STATUS: dict[str, IncidentStatus] = {
    "resolved": IncidentStatus.RESOLVED,
    "false positive": IncidentStatus.CLOSED,
    "no action": IncidentStatus.CLOSED,
    "duplicate": IncidentStatus.CLOSED,
}

TACTICS: dict[str, str] = {
    "TA0043": "Reconnaissance",
    "TA0042": "Resource Development",
    "TA0001": "Initial Access",
    "TA0002": "Execution",
    "TA0003": "Persistence",
    "TA0004": "Privilege Escalation",
    "TA0005": "Defense Evasion",
    "TA0006": "Credential Access",
    "TA0007": "Discovery",
    "TA0008": "Lateral Movement",
    "TA0009": "Collection",
    "TA0011": "Command and Control",
    "TA0010": "Exfiltration",
    "TA0040": "Impact",
}
TACTIC_IDS: dict[str, str] = {name.lower(): uid for uid, name in TACTICS.items()}
TACTIC_TAG = "_mitreAttackTactic:"
TECHNIQUE_TAG = "_mitreAttackTechnique:"


def signal_severity(value: Any) -> Severity:
    """Cloud SIEM's 0-10 signal severity: 0 informational, 1-3 low, 4-6 medium, 7-8 high,
    9-10 critical (a score, so never read as an OCSF id)."""
    if isinstance(value, bool) or value in (None, ""):
        return Severity.UNKNOWN
    try:
        score = float(value)
    except (TypeError, ValueError):
        return Severity.from_vendor(value)
    if score <= 0:
        return Severity.INFORMATIONAL
    if score < 4:
        return Severity.LOW
    if score < 7:
        return Severity.MEDIUM
    if score < 9:
        return Severity.HIGH
    return Severity.CRITICAL


def attacks(tags: Any, stage: Any = None) -> list[dict[str, str]]:
    """ATT&CK tactics and techniques from Cloud SIEM tags, else the signal's ``stage``."""
    tactic_ids: list[str] = []
    techniques: list[str] = []
    for tag in tags if isinstance(tags, list) else []:
        if not isinstance(tag, str):
            continue
        if tag.startswith(TACTIC_TAG):
            tactic_ids.append(tag[len(TACTIC_TAG) :].strip().upper())
        elif tag.startswith(TECHNIQUE_TAG):
            techniques.append(tag[len(TECHNIQUE_TAG) :].strip().upper())
    tactic_ids = [t for t in dict.fromkeys(tactic_ids) if t]
    techniques = [t for t in dict.fromkeys(techniques) if t]
    if not tactic_ids and isinstance(stage, str) and stage.lower() in TACTIC_IDS:
        tactic_ids = [TACTIC_IDS[stage.lower()]]
    out: list[dict[str, str]] = []
    first_tactic = tactic_ids[0] if tactic_ids else None
    for technique in techniques:
        entry = {"technique_id": technique}
        if first_tactic:
            entry.update(tactic_id=first_tactic, tactic=TACTICS.get(first_tactic, first_tactic))
        out.append(entry)
    for tactic in tactic_ids[1:] if techniques else tactic_ids:
        out.append({"tactic_id": tactic, "tactic": TACTICS.get(tactic, tactic)})
    return out


def entity_asset(entity: Any) -> dict[str, Any] | None:
    """The device a Cloud SIEM entity names (IP or host entities; users are not devices)."""
    if not isinstance(entity, Mapping):
        return None
    kind = str(entity.get("entityType") or entity.get("id") or "").lower()
    ip = entity.get("ip")
    address = ip.get("address") if isinstance(ip, Mapping) else ip
    hostname = entity.get("hostname") or entity.get("ipHostname")
    name = entity.get("name") or entity.get("value")
    if isinstance(hostname, Mapping):
        hostname = hostname.get("hostname") or hostname.get("name")
    if not address and kind.startswith("_ip"):
        address = name
    if not hostname and kind.startswith("_hostname"):
        hostname = name
    asset = {k: v for k, v in {"ip": address, "hostname": hostname}.items() if v}
    return asset or None


def _assignee(record: Mapping[str, Any]) -> str | None:
    value = record.get("assignee")
    if isinstance(value, Mapping):
        for key in ("username", "email", "displayName", "value", "name"):
            if value.get(key):
                return str(value[key])
    elif value:
        return str(value)
    for key in ("assignedTo", "teamAssignedTo"):
        if record.get(key):
            return str(record[key])
    return None


def insight_status(record: Mapping[str, Any]) -> tuple[IncidentStatus, str | None]:
    """OCSF incident status and the raw Sumo status name (custom statuses become Other)."""
    status = record.get("status")
    name = status.get("name") if isinstance(status, Mapping) else status
    raw = str(name) if name not in (None, "") else None
    key = (raw or "").lower().replace(" ", "").replace("_", "")
    mapped = INSIGHT_STATUS.get(key)
    if mapped is IncidentStatus.CLOSED:
        resolution = str(record.get("resolution") or "").strip().lower()
        mapped = RESOLUTION_STATUS.get(resolution, IncidentStatus.CLOSED)
    if mapped is None:
        mapped = IncidentStatus.from_vendor(raw) if raw else IncidentStatus.UNKNOWN
    return mapped, raw


def insight_to_incident(record: Mapping[str, Any], service: str | None = None) -> Incident:
    """A Cloud SIEM insight -> an incident linked to its signals' detection findings."""
    uid = record.get("id")
    status, status_raw = insight_status(record)
    signals = [s for s in record.get("signals") or [] if isinstance(s, Mapping)]
    description = record.get("description")
    entity = record.get("entity")
    if isinstance(entity, Mapping) and entity.get("name"):
        about = f"Entity: {entity['name']}"
        description = f"{description}. {about}" if description else about
    return Incident(
        uid=uid,
        title=record.get("name") or record.get("readableId"),
        description=description,
        severity=record.get("severity"),
        status=status,
        status_raw=status_raw,
        assignee=_assignee(record),
        finding_uids=[str(s["id"]) for s in signals if s.get("id")],
        created_at=record.get("created"),
        modified_at=record.get("lastUpdated") or record.get("created"),
        first_seen=record.get("timestamp"),
        last_seen=record.get("closed") or record.get("lastUpdated"),
        url=f"{service}/sec/insight/{uid}" if service and uid else None,
        source_product=CSE,
        source_vendor=VENDOR,
        raw=dict(record),
    )


def signal_to_finding(record: Mapping[str, Any], service: str | None = None) -> Finding:
    """A Cloud SIEM signal -> a detection finding with ATT&CK mapping and the entity's device."""
    uid = record.get("id")
    severity = record.get("severity")
    suppressed = bool(record.get("suppressed"))
    return Finding.detection(
        uid=uid,
        title=record.get("name"),
        description=record.get("description"),
        severity=signal_severity(severity),
        severity_raw=severity,
        status=FindingStatus.SUPPRESSED if suppressed else FindingStatus.NEW,
        status_raw="suppressed" if suppressed else "active",
        created_at=record.get("timestamp"),
        modified_at=record.get("timestamp"),
        first_seen=record.get("timestamp"),
        last_seen=record.get("timestamp"),
        asset=entity_asset(record.get("entity")),
        attacks=attacks(record.get("tags"), record.get("stage")),
        detection_source=record.get("ruleId") or record.get("contentType"),
        url=f"{service}/sec/signal/{uid}" if service and uid else None,
        source_product=CSE,
        source_vendor=VENDOR,
        raw=dict(record),
    )


def _millis(value: Any) -> datetime | None:
    try:
        return to_datetime(int(str(value))) if value not in (None, "") else None
    except ValueError:
        return None


def message_to_hit(message: Mapping[str, Any]) -> SearchHit:
    """A search job message (``{"map": {...}}``) -> a hit: message time, ``_raw``, the fields.

    Sumo returns every value as a string and every field name in lower case; forwarded JSON
    documents are parsed back so their own keys (``risk_id``...) are fields too.
    """
    fields = dict(message.get("map") or message)
    raw = fields.pop("_raw", None)
    if isinstance(raw, str) and raw.startswith("{"):
        try:
            document = json.loads(raw)
        except ValueError:
            document = None
        if isinstance(document, dict):
            for key, value in document.items():
                fields.setdefault(str(key).lower(), value)
    moment = _millis(fields.get("_messagetime")) or _millis(fields.get("_receipttime"))
    return SearchHit(
        time=moment.astimezone(UTC) if moment else None,
        message=raw if isinstance(raw, str) else None,
        fields=fields,
        source=fields.get("_sourcecategory"),
    )


def record_to_hit(record: Mapping[str, Any]) -> SearchHit:
    """An aggregate search record (``{"map": {"_count": "90", ...}}``) -> a hit of fields."""
    fields = dict(record.get("map") or record)
    return SearchHit(fields=fields, time=_millis(fields.get("_timeslice")))
