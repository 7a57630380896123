"""Elasticsearch search hits -> canonical records.

Elastic Security alert documents mix two shapes in ``_source``: the ``kibana.alert.*`` fields
are *flat* keys with dots in their names (``"kibana.alert.rule.name": ...``) while the ECS
fields copied from the source event are nested objects (``"host": {"name": ...}``). Lookups
go through :func:`aria.sdk.paths.resolve`, which matches dotted keys whole before splitting, so
both shapes (and the legacy 7.x ``signal.*`` shape of ``.siem-signals-*``) read the same.

Pure functions, shared by the alerts stream, the search query and the tests.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from aria.sdk import Finding
from aria.sdk.cursors import to_datetime
from aria.sdk.errors import FatalError
from aria.sdk.paths import resolve
from aria.sdk.records import FindingStatus, Severity
from aria.sdk.siem import SearchHit

VENDOR = "Elastic"
PRODUCT = "Elastic Security"

# kibana.alert.workflow_status (8.x) and signal.status (7.x) -> OCSF finding status.
WORKFLOW_STATUS: dict[str, FindingStatus] = {
    "open": FindingStatus.NEW,
    "acknowledged": FindingStatus.IN_PROGRESS,
    "in-progress": FindingStatus.IN_PROGRESS,
    "closed": FindingStatus.RESOLVED,
}
# The close reasons and default alert tags that mean "not a threat".
FALSE_POSITIVE = {"false_positive", "false positive"}

# Times that move when an alert changes: creation/update, analyst triage, suppression.
MODIFIED_FIELDS = (
    "@timestamp",
    "kibana.alert.workflow_status_updated_at",
    "kibana.alert.last_detected",
)


def value(source: Mapping[str, Any], *paths: str) -> Any:
    """The first non-empty value at any of ``paths`` (flat dotted keys or nested objects)."""
    for path in paths:
        found = resolve(source, path)
        if found not in (None, "", [], {}):
            return found
    return None


def one(found: Any) -> Any:
    """A single value: the first element of an ECS array field."""
    if isinstance(found, list):
        return next((item for item in found if item not in (None, "")), None)
    return found


def text(found: Any) -> str | None:
    """A non-empty string, or None."""
    found = one(found)
    if found is None or isinstance(found, dict | list):
        return None
    rendered = str(found).strip()
    return rendered or None


def moment(found: Any) -> datetime | None:
    """A timestamp from ISO 8601 or epoch millis; None when absent or unparseable."""
    found = one(found)
    try:
        return to_datetime(found)
    except FatalError:
        return None


def alert_modified(source: Mapping[str, Any]) -> datetime | None:
    """When the alert last changed: the latest of its creation/update, triage and
    suppression times (Kibana stamps ``workflow_status_updated_at`` without touching
    ``@timestamp`` when an analyst acknowledges or closes an alert)."""
    times = [moment(resolve(source, path)) for path in MODIFIED_FIELDS]
    present = [t for t in times if t is not None]
    return max(present) if present else None


def risk_severity(score: Any) -> Severity:
    """Kibana's own bands for a 0-100 risk score: 0-21 low, 22-47 medium, 48-73 high,
    74-100 critical."""
    if isinstance(score, bool) or score in (None, ""):
        return Severity.UNKNOWN
    try:
        number = float(score)
    except (TypeError, ValueError):
        return Severity.OTHER
    if number < 22:
        return Severity.LOW
    if number < 48:
        return Severity.MEDIUM
    if number < 74:
        return Severity.HIGH
    return Severity.CRITICAL


def alert_severity(source: Mapping[str, Any]) -> Severity:
    """``kibana.alert.severity`` (low/medium/high/critical), else the risk score."""
    word = text(value(source, "kibana.alert.severity", "signal.rule.severity", "event.severity"))
    if word is not None:
        mapped = Severity.from_vendor(word)
        if mapped not in (Severity.UNKNOWN, Severity.OTHER):
            return mapped
    return risk_severity(one(value(source, "kibana.alert.risk_score", "signal.rule.risk_score")))


def alert_status(source: Mapping[str, Any]) -> tuple[FindingStatus, str | None]:
    """Workflow status; a closed alert tagged or closed as a false positive is suppressed."""
    raw = text(value(source, "kibana.alert.workflow_status", "signal.status"))
    status = WORKFLOW_STATUS.get((raw or "open").lower(), FindingStatus.OTHER)
    if status is FindingStatus.RESOLVED:
        tags = value(source, "kibana.alert.workflow_tags") or []
        reason = text(value(source, "kibana.alert.workflow_reason"))
        words = {str(t).lower() for t in (tags if isinstance(tags, list) else [tags])}
        if reason:
            words.add(reason.lower())
        if words & FALSE_POSITIVE:
            status = FindingStatus.SUPPRESSED
    return status, raw


def _as_list(found: Any) -> list[Any]:
    if found is None:
        return []
    return found if isinstance(found, list) else [found]


def rule_attacks(threats: Iterable[Any]) -> list[dict[str, Any]]:
    """ATT&CK from a rule's threat mapping (``kibana.alert.rule.threat``): one entry per
    technique or sub-technique, each with its tactic; a tactic without techniques alone."""
    out: list[dict[str, Any]] = []
    for threat in threats:
        if not isinstance(threat, Mapping):
            continue
        framework = str(threat.get("framework") or "MITRE ATT&CK")
        if "mitre" not in framework.lower():
            continue
        tactic = threat.get("tactic") if isinstance(threat.get("tactic"), Mapping) else {}
        base = {"tactic_id": text(tactic.get("id")), "tactic": text(tactic.get("name"))}
        techniques = [t for t in _as_list(threat.get("technique")) if isinstance(t, Mapping)]
        if not techniques:
            out.append(base)
        for technique in techniques:
            subs = [s for s in _as_list(technique.get("subtechnique")) if isinstance(s, Mapping)]
            if not subs:
                out.append(
                    {
                        **base,
                        "technique_id": text(technique.get("id")),
                        "technique": text(technique.get("name")),
                    }
                )
            for sub in subs:
                name, sub_name = text(technique.get("name")), text(sub.get("name"))
                out.append(
                    {
                        **base,
                        "technique_id": text(sub.get("id")),
                        "technique": f"{name}: {sub_name}" if name and sub_name else sub_name,
                    }
                )
    return out


def ecs_attacks(source: Mapping[str, Any]) -> list[dict[str, Any]]:
    """ATT&CK from ECS ``threat.*`` fields copied from the source event (arrays of ids),
    or from a list of threat objects shaped like a rule's mapping."""
    threat = source.get("threat")
    if isinstance(threat, list):
        return rule_attacks(threat)
    techniques = _as_list(value(source, "threat.technique.subtechnique.id"))
    names = _as_list(value(source, "threat.technique.subtechnique.name"))
    if not techniques:
        techniques = _as_list(value(source, "threat.technique.id"))
        names = _as_list(value(source, "threat.technique.name"))
    tactic_id = text(value(source, "threat.tactic.id"))
    tactic = text(value(source, "threat.tactic.name"))
    out = [
        {
            "tactic_id": tactic_id,
            "tactic": tactic,
            "technique_id": tid,
            "technique": names[i] if i < len(names) else None,
        }
        for i, tid in enumerate(techniques)
        if tid
    ]
    if not out and (tactic_id or tactic):
        out.append({"tactic_id": tactic_id, "tactic": tactic})
    return out


def attacks(source: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Every distinct ATT&CK entry of an alert: its rule's mapping, then the event's."""
    threats = _as_list(value(source, "kibana.alert.rule.threat", "signal.rule.threat"))
    found = rule_attacks(threats) + ecs_attacks(source)
    unique: dict[tuple[Any, ...], dict[str, Any]] = {}
    for entry in found:
        cleaned = {k: v for k, v in entry.items() if v not in (None, "")}
        if cleaned:
            unique.setdefault(tuple(sorted(cleaned.items())), cleaned)
    return list(unique.values())


def alert_asset(source: Mapping[str, Any]) -> dict[str, Any] | None:
    """The device an alert is about, from ECS ``host.*``, ``agent.id`` and ``cloud.*``."""
    asset = {
        "hostname": text(value(source, "host.name", "host.hostname")),
        "domain": text(value(source, "host.domain")),
        "ip": text(value(source, "host.ip")),
        "mac": text(value(source, "host.mac")),
        "agent_id": text(value(source, "agent.id", "elastic.agent.id")),
        "instance_id": text(value(source, "cloud.instance.id")),
        "os": text(value(source, "host.os.name", "host.os.family")),
        "os_version": text(value(source, "host.os.version")),
    }
    present = {k: v for k, v in asset.items() if v is not None}
    identifying = {"hostname", "ip", "mac", "agent_id", "instance_id"}
    return present if identifying & set(present) else None


def _user(source: Mapping[str, Any]) -> str | None:
    name = text(value(source, "user.name"))
    if name is None:
        return None
    domain = text(value(source, "user.domain"))
    return f"{domain}\\{name}" if domain else name


def alert_url(hit: Mapping[str, Any], kibana_url: str | None) -> str | None:
    """Kibana's alert link: ``kibana.alert.url`` when Kibana wrote it, else the alert
    redirect page built from the configured Kibana address."""
    source = hit.get("_source") or {}
    written = text(value(source, "kibana.alert.url"))
    if written:
        return written
    uid = text(value(source, "kibana.alert.uuid")) or text(hit.get("_id"))
    if not kibana_url or not uid:
        return None
    query = {"index": hit.get("_index") or "", "timestamp": text(source.get("@timestamp")) or ""}
    params = urlencode({k: v for k, v in query.items() if v})
    return f"{kibana_url.rstrip('/')}/app/security/alerts/redirect/{uid}" + (
        f"?{params}" if params else ""
    )


def alert_to_finding(hit: Mapping[str, Any], kibana_url: str | None = None) -> Finding:
    """One search hit of the alerts index -> a detection finding (OCSF 2004).

    Documents that are not detection alerts still normalize (their ``_id`` as uid, a generic
    title), so a misconfigured index shows up as odd findings rather than a failed sync."""
    source = hit.get("_source")
    if not isinstance(source, Mapping):
        source = {}
    uid = text(value(source, "kibana.alert.uuid", "signal.uuid")) or text(hit.get("_id"))
    if uid is None:
        raise ValueError("the hit has neither kibana.alert.uuid nor _id")
    rule = text(value(source, "kibana.alert.rule.name", "signal.rule.name", "rule.name"))
    title = rule or text(source.get("message")) or f"Elasticsearch document {uid}"
    status, status_raw = alert_status(source)
    reason = text(value(source, "kibana.alert.reason", "signal.reason"))
    description = reason or text(value(source, "kibana.alert.rule.description"))
    user = _user(source)
    if user and (description is None or user not in description):
        description = f"{description} User: {user}." if description else f"User: {user}."
    severity_raw = text(value(source, "kibana.alert.severity", "signal.rule.severity"))
    risk = one(value(source, "kibana.alert.risk_score", "signal.rule.risk_score"))
    original = value(source, "kibana.alert.original_time", "signal.original_time")
    category = text(value(source, "kibana.alert.rule.category", "kibana.alert.rule.type"))
    return Finding.detection(
        uid=uid,
        title=title,
        description=description,
        severity=alert_severity(source),
        severity_raw=severity_raw if severity_raw is not None else risk,
        status=status,
        status_raw=status_raw,
        created_at=moment(value(source, "kibana.alert.start", "@timestamp")),
        modified_at=alert_modified(source),
        first_seen=moment(original) or moment(source.get("@timestamp")),
        last_seen=moment(value(source, "kibana.alert.last_detected"))
        or moment(original)
        or moment(source.get("@timestamp")),
        asset=alert_asset(source),
        attacks=attacks(source),
        detection_source=f"{PRODUCT} {category}" if category else PRODUCT,
        url=alert_url(hit, kibana_url),
        source_product=PRODUCT,
        source_vendor=VENDOR,
        raw=dict(hit),
    )


def flatten(document: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested objects as dotted keys (``{"host": {"name": x}}`` -> ``{"host.name": x}``);
    keys that already contain dots and arrays are kept as they are."""
    out: dict[str, Any] = {}
    for key, item in document.items():
        path = f"{prefix}{key}"
        if isinstance(item, Mapping) and item:
            out.update(flatten(item, f"{path}."))
        else:
            out[path] = item
    return out


def hit_to_search_hit(hit: Mapping[str, Any]) -> SearchHit:
    """One search hit -> the SIEM-neutral :class:`SearchHit` (time, one-line message, fields)."""
    source = hit.get("_source")
    if not isinstance(source, Mapping):
        source = {}
    fields = flatten(source)
    for meta in ("_id", "_index"):
        if hit.get(meta) is not None:
            fields[meta] = hit[meta]
    event = text(source.get("aria_event"))
    title = text(source.get("title"))
    aria = f"{event}: {title}" if event and title else None
    message = (
        text(source.get("message"))
        or text(value(source, "kibana.alert.reason"))
        or aria
        or text(value(source, "kibana.alert.rule.name"))
        or title
    )
    return SearchHit(
        time=moment(value(source, "@timestamp", "timestamp")),
        message=message,
        fields=fields,
        source=text(hit.get("_index")),
    )
