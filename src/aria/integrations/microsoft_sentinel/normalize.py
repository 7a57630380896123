"""Sentinel records -> canonical records, and KQL result rows -> search hits.

Pure functions, shared by the incidents stream, queries and tests. Sentinel's vocabularies
(``New``/``Active``/``Closed``; ``Informational``..``High``; ATT&CK tactic names in
``additionalData.tactics``) are mapped onto OCSF here, once.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from aria.sdk import Incident
from aria.sdk.cursors import to_datetime
from aria.sdk.errors import FatalError
from aria.sdk.records import IncidentStatus, Severity
from aria.sdk.siem import SearchHit

VENDOR = "Microsoft"
PRODUCT = "Microsoft Sentinel"

SEVERITY: dict[str, Severity] = {
    "Informational": Severity.INFORMATIONAL,
    "Low": Severity.LOW,
    "Medium": Severity.MEDIUM,
    "High": Severity.HIGH,
}
INCIDENT_STATUS: dict[str, IncidentStatus] = {
    "New": IncidentStatus.NEW,
    "Active": IncidentStatus.IN_PROGRESS,
    "Closed": IncidentStatus.CLOSED,
}
# Data Collector type suffixes: a custom-log column ``risk_id_d`` is the property ``risk_id``.
_SUFFIXED = re.compile(r"^(?P<base>.+)_(?P<suffix>[sdbtg])$")
# Columns a search hit takes its one-line message from, in order of preference.
MESSAGE_COLUMNS = (
    "title_s",
    "title",
    "Message",
    "AlertName",
    "DisplayName",
    "Title",
    "Activity",
    "RenderedDescription",
    "Description",
)
TIME_COLUMNS = ("TimeGenerated", "timestamp", "Timestamp", "EventTime")


def _str(value: Any) -> str | None:
    return None if value in (None, "") else str(value)


def incident_to_incident(record: Mapping[str, Any]) -> Incident:
    """An ARM incident resource -> incident. The uid is the incident's resource name (the
    GUID ARM addresses it by); number, provider, labels and tactics go in the description."""
    props: Mapping[str, Any] = record.get("properties") or {}
    extra: Mapping[str, Any] = props.get("additionalData") or {}
    owner: Mapping[str, Any] = props.get("owner") or {}
    number = props.get("incidentNumber")
    title = _str(props.get("title")) or (f"Incident {number}" if number else None)
    summary = [_str(props.get("description"))]
    if number is not None:
        summary.append(f"Sentinel incident #{number}")
    if extra.get("alertsCount") is not None:
        products = ", ".join(str(p) for p in extra.get("alertProductNames") or [])
        summary.append(f"{extra['alertsCount']} alerts" + (f" from {products}" if products else ""))
    tactics = [str(t) for t in extra.get("tactics") or []]
    if tactics:
        summary.append("tactics: " + ", ".join(tactics))
    labels = [
        str(label.get("labelName"))
        for label in props.get("labels") or []
        if isinstance(label, Mapping) and label.get("labelName")
    ]
    if labels:
        summary.append("labels: " + ", ".join(labels))
    if props.get("classification"):
        reason = _str(props.get("classificationReason"))
        summary.append(
            f"classification: {props['classification']}" + (f" ({reason})" if reason else "")
        )
    provider = _str(props.get("providerName"))
    return Incident(
        uid=str(record.get("name") or record["id"]),
        title=title,
        description="; ".join(s for s in summary if s) or None,
        status=INCIDENT_STATUS.get(str(props.get("status")), IncidentStatus.UNKNOWN),
        status_raw=_str(props.get("status")),
        severity=SEVERITY.get(str(props.get("severity")), Severity.UNKNOWN),
        severity_raw=_str(props.get("severity")),
        assignee=_str(owner.get("userPrincipalName"))
        or _str(owner.get("email"))
        or _str(owner.get("assignedTo")),
        created_at=props.get("createdTimeUtc"),
        modified_at=props.get("lastModifiedTimeUtc"),
        first_seen=props.get("firstActivityTimeUtc") or props.get("createdTimeUtc"),
        last_seen=props.get("lastActivityTimeUtc"),
        url=_str(props.get("incidentUrl")),
        source_product=PRODUCT
        if provider in (None, "Azure Sentinel")
        else f"{PRODUCT} ({provider})",
        source_vendor=VENDOR,
        raw=dict(record),
    )


def rows(table: Mapping[str, Any]) -> list[dict[str, Any]]:
    """A query API result table (``columns`` + ``rows``) as one dict per row."""
    columns = table.get("columns")
    values = table.get("rows")
    if not isinstance(columns, list) or not isinstance(values, list):
        raise FatalError("malformed response: a result table needs 'columns' and 'rows' lists")
    names = [str(c.get("name")) if isinstance(c, Mapping) else str(c) for c in columns]
    out = []
    for row in values:
        if not isinstance(row, Sequence) or isinstance(row, str) or len(row) != len(names):
            raise FatalError("malformed response: a result row does not match the columns")
        out.append(dict(zip(names, row, strict=True)))
    return out


def unsuffixed(row: Mapping[str, Any]) -> dict[str, Any]:
    """The row with Data Collector columns also under their property names (``risk_id_d``
    -> ``risk_id``, whole numbers as ints), so hits read alike whatever table they came from."""
    fields = dict(row)
    for column, value in row.items():
        match = _SUFFIXED.match(column)
        if not match or value is None or fields.get(match["base"]) is not None:
            continue  # a real column of that name wins (a table may hold both kinds of row)
        if match["suffix"] == "d" and isinstance(value, float) and value.is_integer():
            value = int(value)
        fields[match["base"]] = value
    return fields


def row_to_hit(row: Mapping[str, Any], source: str | None = None) -> SearchHit:
    """One result row -> a search hit: its time, a one-line message and every field."""
    fields = unsuffixed(row) if _is_custom(row, source) else dict(row)
    moment: datetime | None = None
    for column in TIME_COLUMNS:
        if row.get(column):
            try:
                moment = to_datetime(row[column])
            except FatalError:
                moment = None
            if moment is not None:
                break
    message = next((str(row[c]) for c in MESSAGE_COLUMNS if row.get(c) not in (None, "")), None)
    table = _str(row.get("Type")) or source
    return SearchHit(time=moment, message=message, fields=fields, source=table)


def _is_custom(row: Mapping[str, Any], source: str | None) -> bool:
    table = _str(row.get("Type")) or source or ""
    return table.endswith("_CL")


__all__ = ["INCIDENT_STATUS", "SEVERITY", "incident_to_incident", "row_to_hit", "rows"]
