"""Splunk records -> canonical records: ES notable events -> detection findings, search
results -> :class:`~aria.sdk.siem.SearchHit`. Pure functions over Splunk's JSON output.

Search results are flat: every value is a string, multivalue fields are lists, internal fields
start with ``_`` (``_time``, ``_raw``, ``_bkt``, ``_cd``). Notables read through ES's
``notable`` macro carry Incident Review's ``status``/``status_label``/``status_end``, ``owner``
and ``urgency``; read straight from ``index=notable`` they lack them (and ``event_id``).
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
import re
from collections.abc import Mapping
from typing import Any

from aria.sdk import FatalError, Finding
from aria.sdk.cursors import to_datetime
from aria.sdk.records import FindingStatus, MitreAttack
from aria.sdk.siem import SearchHit

VENDOR = "Splunk"
PRODUCT = "Splunk Enterprise Security"

# Enterprise Security's default review statuses, by id (Configure > Incident Management >
# Status Configuration). Customers add their own labels; those fall back to status_end.
STATUS_IDS: dict[str, str] = {
    "0": "Unassigned",
    "1": "New",
    "2": "In Progress",
    "3": "Pending",
    "4": "Resolved",
    "5": "Closed",
}
STATUS_LABELS: dict[str, FindingStatus] = {
    "unassigned": FindingStatus.NEW,
    "new": FindingStatus.NEW,
    "in progress": FindingStatus.IN_PROGRESS,
    "pending": FindingStatus.IN_PROGRESS,
    "resolved": FindingStatus.RESOLVED,
    "closed": FindingStatus.RESOLVED,
}
# Search result fields that describe the index bucket, not the event.
INTERNAL = frozenset(
    {"_bkt", "_cd", "_si", "_serial", "_indextime", "_sourcetype", "_kv", "_eventtype_color"}
)
_TECHNIQUE = re.compile(r"^T\d{4}(\.\d{3})?$", re.IGNORECASE)


def first(value: Any) -> str | None:
    """The first value of a (possibly multivalue) field, stripped; None when blank."""
    if isinstance(value, list):
        value = next((v for v in value if v not in (None, "")), None)
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def values(value: Any) -> list[str]:
    """Every non-blank value of a field (a string, or a list for multivalue fields)."""
    items = value if isinstance(value, list) else [value]
    return [str(v).strip() for v in items if v is not None and str(v).strip()]


def notable_event_id(record: Mapping[str, Any]) -> str | None:
    """The notable's ``event_id`` (``<bucket guid>@@notable@@<digest>`` from ES).

    Records read from ``index=notable`` without the macro have none; then a stable stand-in
    in the same shape is derived from the bucket and a digest of ``_time`` and ``_raw``, so
    the same notable always gets the same id.
    """
    event_id = first(record.get("event_id"))
    if event_id:
        return event_id
    raw, stamp = first(record.get("_raw")), first(record.get("_time"))
    if raw is None and stamp is None:
        return None
    bucket = first(record.get("_bkt")) or ""
    guid = bucket.rsplit("~", 1)[-1] if bucket else "notable"
    index = first(record.get("index")) or "notable"
    digest = hashlib.md5(f"{stamp}{raw}".encode(), usedforsecurity=False).hexdigest()
    return f"{guid}@@{index}@@{digest}"


def notable_status(record: Mapping[str, Any]) -> tuple[FindingStatus, str | None]:
    """(status, status as Splunk labels it). ``status_end`` (the status ends the review) wins
    for custom labels; a notable never reviewed is New."""
    label = first(record.get("status_label"))
    code = first(record.get("status"))
    if label is None and code is not None:
        label = STATUS_IDS.get(code, code)
    known = STATUS_LABELS.get(label.casefold()) if label else None
    if first(record.get("status_end")) in ("true", "1", "True"):
        return FindingStatus.RESOLVED, label
    if known is not None:
        return known, label
    if label is None:
        return FindingStatus.NEW, None
    return FindingStatus.OTHER, label


def notable_attacks(record: Mapping[str, Any]) -> list[MitreAttack]:
    """ATT&CK techniques from ES annotations (``annotations.mitre_attack``, flattened by the
    search, or the ``annotations`` JSON object correlation searches write)."""
    found = values(record.get("annotations.mitre_attack"))
    annotations = record.get("annotations")
    if isinstance(annotations, str) and annotations.strip().startswith("{"):
        try:
            annotations = json.loads(annotations)
        except ValueError:
            annotations = None
    if isinstance(annotations, dict):
        found += values(annotations.get("mitre_attack"))
    seen: list[str] = []
    for technique in found:
        upper = technique.upper()
        if _TECHNIQUE.match(upper) and upper not in seen:
            seen.append(upper)
    return [MitreAttack(technique_id=t) for t in seen]


def notable_asset(record: Mapping[str, Any]) -> dict[str, Any] | None:
    """The destination the notable is about: ``dest`` (host or IP), ``dest_nt_host``,
    ``dest_ip``. ``host`` is the search head that wrote the notable, never the asset."""
    asset: dict[str, Any] = {}
    for name in ("dest", "dest_nt_host", "dest_host", "dest_ip", "dvc"):
        value = first(record.get(name))
        if value is None:
            continue
        if _is_ip(value):
            asset.setdefault("ip", value)
        elif name != "dest_ip" and "/" not in value and " " not in value:
            asset.setdefault("hostname", value)
    return asset or None


def notable_to_finding(record: Mapping[str, Any]) -> Finding:
    """An ES notable event -> detection finding (uid = event_id, created at ``_time``)."""
    title = (
        first(record.get("rule_title"))
        or first(record.get("rule_name"))
        or first(record.get("search_name"))
        or first(record.get("source"))
    )
    description = first(record.get("rule_description"))
    if description == title:
        description = None
    urgency = first(record.get("urgency"))
    severity = urgency or first(record.get("severity"))
    status, status_raw = notable_status(record)
    moment = to_datetime(first(record.get("_time")))
    return Finding.detection(
        uid=notable_event_id(record),
        title=title or "Splunk notable event",
        description=description,
        severity=severity,
        status=status,
        status_raw=status_raw,
        created_at=moment,
        modified_at=moment,
        asset=notable_asset(record),
        attacks=notable_attacks(record),
        detection_source=first(record.get("security_domain")),
        source_product=PRODUCT,
        source_vendor=VENDOR,
        raw=dict(record),
    )


def result_to_hit(record: Mapping[str, Any]) -> SearchHit:
    """A search result row -> SearchHit: ``_time``, ``_raw`` as the message, the visible
    fields (bucket internals dropped), and the index it came from."""
    fields = {k: v for k, v in record.items() if k not in INTERNAL and k not in ("_raw",)}
    try:
        moment = to_datetime(first(record.get("_time")))
    except FatalError:  # a report's _time may be a bucket label; keep the row anyway
        moment = None
    return SearchHit(
        time=moment,
        message=first(record.get("_raw")),
        fields=fields,
        source=first(record.get("index")),
    )


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text.strip("[]"))
    except ValueError:
        return False
    return True
