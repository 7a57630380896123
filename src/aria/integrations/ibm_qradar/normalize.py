"""QRadar records -> canonical records: offenses -> incidents, Ariel rows -> search hits.

An offense is QRadar's correlation of many events and flows (by the rules that fired) into one
case with a lifecycle (OPEN, HIDDEN, CLOSED), an assignee and a closing reason: that is an
incident, not a single detection, so offenses become :class:`~aria.sdk.Incident` records
(OCSF 2005). Offense ids are small integers, kept as the incident uid.

QRadar rates an offense by ``magnitude`` (1-10, derived from severity, credibility and
relevance) and lists it by magnitude in the console; it is the severity ARIA shows. Small
integers would read as OCSF ids, so the scale is mapped here explicitly.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aria.sdk import FatalError, Incident
from aria.sdk.cursors import to_datetime
from aria.sdk.records import IncidentStatus, Severity
from aria.sdk.siem import SearchHit

VENDOR = "IBM"
PRODUCT = "IBM QRadar SIEM"

# OPEN offenses are new until an analyst takes them; HIDDEN ones were set aside in the console
# without being closed (they stay active and can come back), which is what On Hold means.
STATUS = {"HIDDEN": IncidentStatus.ON_HOLD, "CLOSED": IncidentStatus.CLOSED}

# Ariel columns that carry the event time, best first (epoch milliseconds).
TIME_COLUMNS = ("starttime", "devicetime", "endtime", "firstpackettime", "lastpackettime")
# Columns that name what happened, best first (raw columns and the AQL function aliases).
NAME_COLUMNS = ("qidname_qid", "event_name", "qidname", "utf8_payload", "payload")


def _first(*values: Any) -> Any:
    return next((v for v in values if v not in (None, "", [], {})), None)


def magnitude_severity(value: Any) -> Severity:
    """QRadar's 1-10 magnitude (or severity) as OCSF: 1-2 informational ... 9-10 critical."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return Severity.UNKNOWN
    if value <= 0:
        return Severity.UNKNOWN
    if value <= 2:
        return Severity.INFORMATIONAL
    if value <= 4:
        return Severity.LOW
    if value <= 6:
        return Severity.MEDIUM
    if value <= 8:
        return Severity.HIGH
    return Severity.CRITICAL


def offense_status(record: Mapping[str, Any]) -> IncidentStatus:
    """OPEN (new, or in progress once assigned), HIDDEN (on hold) or CLOSED."""
    raw = str(record.get("status") or "").upper()
    if raw == "OPEN":
        assigned = _first(record.get("assigned_to")) is not None
        return IncidentStatus.IN_PROGRESS if assigned else IncidentStatus.NEW
    return STATUS.get(raw, IncidentStatus.OTHER if raw else IncidentStatus.UNKNOWN)


def offense_title(record: Mapping[str, Any]) -> str:
    """The first line of the description (QRadar's offense name), else ``Offense <id>``."""
    text = str(record.get("description") or "").strip()
    line = text.splitlines()[0].strip() if text else ""
    return line or f"Offense {record.get('id')}"


def offense_url(console_url: str | None, offense_id: Any) -> str | None:
    """The offense summary page on the console."""
    if not console_url:
        return None
    base = console_url.rstrip("/")
    return (
        f"{base}/console/do/sem/offensesummary?appName=Sem&pageId=OffenseSummary"
        f"&summaryId={offense_id}"
    )


def _description(record: Mapping[str, Any]) -> str | None:
    text = " ".join(str(record.get("description") or "").split())
    parts = [text] if text else []
    source = _first(record.get("offense_source"))
    if source is not None:
        parts.append(f"Offense source: {source}.")
    categories = [str(c) for c in record.get("categories") or [] if _first(c)]
    if categories:
        parts.append("Categories: " + ", ".join(categories) + ".")
    counts = [
        f"{record[key]} {label}"
        for key, label in (("event_count", "events"), ("flow_count", "flows"))
        if isinstance(record.get(key), int)
    ]
    if counts:
        parts.append(" and ".join(counts) + ".")
    scores = [
        f"{name} {record[name]}"
        for name in ("severity", "credibility", "relevance")
        if isinstance(record.get(name), int)
    ]
    if isinstance(record.get("magnitude"), int):
        detail = f" ({', '.join(scores)})" if scores else ""
        parts.append(f"Magnitude {record['magnitude']}{detail}.")
    sources = [
        str(s.get("name"))
        for s in record.get("log_sources") or []
        if isinstance(s, Mapping) and _first(s.get("name"))
    ]
    if sources:
        parts.append("Log sources: " + ", ".join(sources[:10]) + ".")
    if str(record.get("status") or "").upper() == "CLOSED":
        reason = _first(record.get("closing_reason"), record.get("closing_reason_id"))
        who = _first(record.get("closing_user"))
        closed = "Closed" + (f" as {reason}" if isinstance(reason, str) else "")
        if reason is not None and not isinstance(reason, str):
            closed += f" (closing reason {reason})"
        parts.append(closed + (f" by {who}." if who else "."))
    return " ".join(parts) or None


def offense_to_incident(record: Mapping[str, Any], console_url: str | None = None) -> Incident:
    """A ``/api/siem/offenses`` entity -> incident. ``closing_reason`` (the reason's text,
    added by the offenses stream from ``/api/siem/offense_closing_reasons``) is optional."""
    offense_id = record["id"]
    magnitude = record.get("magnitude")
    return Incident(
        uid=str(offense_id),
        title=offense_title(record),
        description=_description(record),
        status=offense_status(record),
        status_raw=str(record["status"]) if _first(record.get("status")) else None,
        severity=magnitude_severity(magnitude),
        severity_raw=magnitude if isinstance(magnitude, int | float) else None,
        assignee=_first(record.get("assigned_to")),
        finding_uids=[],
        created_at=record.get("start_time"),
        modified_at=record.get("last_updated_time"),
        first_seen=record.get("start_time"),
        last_seen=_first(record.get("close_time"), record.get("last_updated_time")),
        url=offense_url(console_url, offense_id),
        source_product=PRODUCT,
        source_vendor=VENDOR,
        raw=dict(record),
    )


def row_to_hit(row: Mapping[str, Any], source: str) -> SearchHit:
    """One Ariel result row (``events`` or ``flows``) -> search hit.

    The time is the first time column present (epoch ms); the message names the event when
    the query selected a name (``QIDNAME(qid)``, ``UTF8(payload)``), else it is built from the
    addresses and the user, so a ``SELECT *`` row still reads as one line.
    """
    when = next((row[c] for c in TIME_COLUMNS if _first(row.get(c)) is not None), None)
    try:
        moment = to_datetime(when) if when is not None else None
    except (FatalError, ValueError, OverflowError, OSError):  # an odd time must not lose the row
        moment = None
    name = next((str(row[c]) for c in NAME_COLUMNS if _first(row.get(c)) is not None), None)
    return SearchHit(
        time=moment,
        message=name or _summary(row, source),
        fields=dict(row),
        source=source,
    )


def _summary(row: Mapping[str, Any], source: str) -> str | None:
    src = _first(row.get("sourceip"), row.get("sourceIP"))
    dst = _first(row.get("destinationip"), row.get("destinationIP"))
    parts = []
    if row.get("qid") is not None:
        parts.append(f"QID {row['qid']}")
    if src is not None or dst is not None:
        parts.append(f"{src or '?'} -> {dst or '?'}")
    if _first(row.get("username")):
        parts.append(f"user {row['username']}")
    if not parts:
        return None
    kind = source[:-1] if source.endswith("s") else source
    return f"{kind}: " + ", ".join(parts)
