"""Synthetic Sumo Logic data for the sandbox, shaped like the real APIs.

Insights and signals carry the fields of the real Cloud SIEM samples in ``../shared/corpus``
(``readableId`` ``INSIGHT-<n>``, ``status`` ``{"name", "displayName"}``, zone-less
microsecond timestamps, ``_mitreAttackTactic:`` tags, 0-10 signal severities, ``ruleId``
``MATCH-S00123``). Log messages are search job ``map``s: every value a string, metadata
fields in lower case (``_messagetime``, ``_sourcecategory``...).

Every record has its own seeded generator and its time grows with its index, so a bigger
sandbox with the same seed serves the same records plus newer ones, as a live org does.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from aria.sdk.sandbox import DataGen

WINDOW = timedelta(days=30)
PER_WINDOW = 200  # records per 30 days: the gap between consecutive records
MESSAGE_WINDOW = timedelta(days=7)
MESSAGES_PER_WINDOW = 400

# (rule id, name, stage, tactic id, technique ids, content type, severity range)
RULES: list[tuple[str, str, str, str, list[str], str, tuple[int, int]]] = [
    (
        "MATCH-S00097",
        "Suspicious PowerShell Download Cradle",
        "Execution",
        "TA0002",
        ["T1059.001", "T1105"],
        "RULE",
        (5, 8),
    ),
    (
        "THRESHOLD-S00044",
        "DNS DGA Lookup Behavior - NXDOMAIN Responses",
        "Command and Control",
        "TA0011",
        ["T1568"],
        "ANOMALY",
        (1, 4),
    ),
    (
        "MATCH-S00316",
        "Windows - Security Event Log Cleared",
        "Defense Evasion",
        "TA0005",
        ["T1070.001"],
        "RULE",
        (6, 9),
    ),
    (
        "CHAIN-S00009",
        "Password Spray Followed by Successful Login",
        "Credential Access",
        "TA0006",
        ["T1110.003"],
        "RULE",
        (6, 9),
    ),
    (
        "MATCH-S00448",
        "New Scheduled Task Running From Temp Folder",
        "Persistence",
        "TA0003",
        ["T1053.005"],
        "RULE",
        (4, 7),
    ),
    (
        "AGGREGATION-S00012",
        "Unusual Volume of Data Uploaded to Cloud Storage",
        "Exfiltration",
        "TA0010",
        ["T1567.002"],
        "RULE",
        (5, 8),
    ),
    (
        "MATCH-S00721",
        "Remote Service Created via Administrative Share",
        "Lateral Movement",
        "TA0008",
        ["T1021.002"],
        "RULE",
        (5, 8),
    ),
    (
        "FIRST-S00063",
        "First Seen Admin Tool Execution on Host",
        "Discovery",
        "TA0007",
        ["T1087.002"],
        "ANOMALY",
        (2, 5),
    ),
]
ENTITY_KINDS = ("_hostname", "_ip", "_username")
INSIGHT_SEVERITIES = ("LOW", "MEDIUM", "HIGH", "CRITICAL")
# (name, displayName, weight)
STATUSES = (("new", "New", 5), ("inprogress", "In Progress", 3), ("closed", "Closed", 4))
RESOLUTIONS = ("Resolved", "False Positive", "No Action", "Duplicate")
ANALYSTS = ("amara.mensah@acme.example", "kenji.tanaka@acme.example", "olga.ivanova@acme.example")

WEB_PATHS = ("/", "/login", "/api/v2/orders", "/static/app.js", "/admin", "/health")
FIREWALL_ACTIONS = ("allow", "allow", "allow", "deny")


@dataclass
class SumoData:
    """One org's Cloud SIEM content and log messages."""

    now: datetime
    insights: list[dict[str, Any]] = field(default_factory=list)
    signals: list[dict[str, Any]] = field(default_factory=list)
    messages: list[dict[str, Any]] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        """Records per stream: what a full read returns."""
        return {"insights": len(self.insights), "signals": len(self.signals)}


def record_gen(seed: int, collection: int, index: int, now: datetime) -> DataGen:
    """One generator per record: record ``index`` is the same whatever the sandbox size."""
    return DataGen((seed * 1_000_003 + collection) * 10_000_019 + index, now=now)


def at(now: datetime, index: int, gen: DataGen, window: timedelta, per_window: int) -> datetime:
    """Record ``index``'s moment: time grows with the index from ``now - window``."""
    gap = window / per_window
    return now - window + gap * index + gap * gen.rng.uniform(0.0, 0.9)


def cse_time(moment: datetime) -> str:
    """Cloud SIEM's zone-less UTC timestamps with microseconds."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")


def millis(moment: datetime) -> str:
    """Search job times: epoch milliseconds, as a string."""
    return str(int(moment.timestamp() * 1000))


def counts_for(size: int) -> dict[str, int]:
    """Records per stream in a sandbox of ``size``."""
    return {"insights": size, "signals": size}


def generate(seed: int, size: int, now: datetime) -> SumoData:
    """An org of its own for one sandbox app (lists copied: tests mutate them)."""
    base = _generate(seed, size, now)
    return SumoData(
        now=now,
        insights=[dict(r) for r in base.insights],
        signals=[dict(r) for r in base.signals],
        messages=[dict(m) for m in base.messages],
    )


@functools.lru_cache(maxsize=16)
def _generate(seed: int, size: int, now: datetime) -> SumoData:
    signals = [_signal(seed, i, now) for i in range(size)]
    insights = [_insight(seed, i, now, signals) for i in range(size)]
    messages = [_message(seed, i, now) for i in range(size)]
    return SumoData(now=now, insights=insights, signals=signals, messages=messages)


def _entity(gen: DataGen) -> dict[str, Any]:
    kind = gen.choice(ENTITY_KINDS)
    if kind == "_ip":
        address = gen.private_ip()
        return {
            "id": f"_ip-{address}",
            "entityType": "_ip",
            "ip": {"address": address},
            "ipHostname": None,
            "name": address,
        }
    if kind == "_hostname":
        host = gen.hostname()
        return {
            "id": f"_hostname-{host}",
            "entityType": "_hostname",
            "hostname": host,
            "name": host,
        }
    user = gen.username()
    return {"id": f"_username-{user}", "entityType": "_username", "username": user, "name": user}


def _signal(seed: int, index: int, now: datetime) -> dict[str, Any]:
    gen = record_gen(seed, 1, index, now)
    moment = at(now, index, gen, WINDOW, PER_WINDOW)
    rule_id, name, stage, tactic, techniques, content_type, (low, high) = gen.choice(RULES)
    severity = gen.integer(low, high)
    return {
        "allRecords": [{}],
        "artifacts": [],
        "contentType": content_type,
        "description": f"{name} observed by Cloud SIEM rule {rule_id}.",
        "entity": _entity(gen),
        "id": gen.uuid(),
        "name": name,
        "recordCount": gen.integer(1, 40),
        "recordTypes": ["Endpoint" if content_type == "RULE" else "Network"],
        "ruleId": rule_id,
        "severity": severity,
        "stage": stage,
        "suppressed": gen.chance(0.1),
        "tags": [f"_mitreAttackTactic:{tactic}"]
        + [f"_mitreAttackTechnique:{t}" for t in techniques],
        "timestamp": cse_time(moment),
    }


def _insight(seed: int, index: int, now: datetime, signals: list[dict[str, Any]]) -> dict[str, Any]:
    gen = record_gen(seed, 2, index, now)
    own = [signals[j] for j in sorted({max(0, index - 1), index})]
    first = min(s["timestamp"] for s in own)
    signal_time = max(datetime.fromisoformat(s["timestamp"]) for s in own).replace(tzinfo=UTC)
    created = max(
        signal_time + timedelta(minutes=gen.rng.uniform(1, 20)),
        at(now, index, gen, WINDOW, PER_WINDOW),
    )
    name_status, display, _ = gen.weighted(STATUSES, [s[2] for s in STATUSES])
    updated = created + timedelta(minutes=gen.rng.uniform(0, 90) if name_status != "new" else 0)
    closed = name_status == "closed"
    tactics = list(dict.fromkeys(t for s in own for t in s["tags"] if "Tactic" in t))
    techniques = list(dict.fromkeys(t for s in own for t in s["tags"] if "Technique" in t))
    entity = own[-1]["entity"]
    analyst = gen.choice(ANALYSTS) if name_status != "new" else None
    return {
        "artifacts": [],
        "assignedTo": analyst,
        "assignee": {"type": "USER", "username": analyst, "displayName": analyst}
        if analyst
        else None,
        "closed": cse_time(updated) if closed else None,
        "closedBy": analyst if closed else None,
        "created": cse_time(created),
        "description": ", ".join(dict.fromkeys(s["stage"] for s in own)),
        "entity": entity,
        "id": gen.uuid(),
        "lastUpdated": cse_time(updated),
        "lastUpdatedBy": analyst,
        "name": " with ".join(dict.fromkeys(s["stage"] for s in own)),
        "readableId": f"INSIGHT-{1000 + index}",
        "recordSummaryFields": [],
        "relatedEntities": [],
        "resolution": gen.choice(RESOLUTIONS) if closed else None,
        "severity": gen.weighted(INSIGHT_SEVERITIES, [3, 5, 3, 1]),
        "signals": [
            {k: s[k] for k in ("id", "name", "ruleId", "severity", "stage", "timestamp")}
            for s in own
        ],
        "source": "ALGORITHM",
        "status": {"displayName": display, "name": name_status},
        "tags": tactics + techniques,
        "teamAssignedTo": None,
        "timeToDetection": round(
            (created - datetime.fromisoformat(first).replace(tzinfo=UTC)).total_seconds(), 6
        ),
        "timeToRemediation": round((updated - created).total_seconds(), 6) if closed else None,
        "timeToResponse": None,
        "timestamp": first.split(".")[0],
    }


def _message(seed: int, index: int, now: datetime) -> dict[str, Any]:
    gen = record_gen(seed, 3, index, now)
    moment = at(now, index, gen, MESSAGE_WINDOW, MESSAGES_PER_WINDOW)
    received = moment + timedelta(milliseconds=gen.integer(80, 4000))
    if gen.chance(0.5):
        host = gen.hostname()
        raw = json.dumps(
            {
                "timestamp": moment.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z",
                "action": gen.choice(FIREWALL_ACTIONS),
                "src_ip": gen.private_ip(),
                "dest_ip": gen.public_ip(),
                "dest_port": gen.choice([22, 53, 443, 445, 3389, 8080]),
                "device": host,
                "rule": f"fw-{gen.integer(100, 999)}",
            }
        )
        category, source, name = "security/firewall", "Firewall", "firewall-syslog"
    else:
        host = f"web-{gen.integer(1, 9):02d}.acme.example"
        raw = (
            f"{gen.private_ip()} - - [{moment.strftime('%d/%b/%Y:%H:%M:%S +0000')}] "
            f'"GET {gen.choice(WEB_PATHS)} HTTP/1.1" {gen.choice([200, 200, 302, 404, 500])} '
            f"{gen.integer(200, 90000)}"
        )
        category, source, name = "prod/web/nginx", "nginx", "/var/log/nginx/access.log"
    return {
        "_messageid": str(-9223372036854775000 + index),
        "_messagetime": millis(moment),
        "_receipttime": millis(received),
        "_raw": raw,
        "_sourcecategory": category,
        "_source": source,
        "_sourcename": name,
        "_sourcehost": host,
        "_collector": "acme-hosted",
        "_collectorid": "108446731",
        "_sourceid": "1640" if source == "nginx" else "1641",
        "_size": str(len(raw)),
        "_format": "t:fail:o:-1:l:0:p:null",
        "_blockid": str(-9223372036854770000 + index // 50),
        "_messagecount": str(index),
    }
