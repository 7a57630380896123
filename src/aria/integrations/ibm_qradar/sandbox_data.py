"""Synthetic QRadar data for the sandbox, shaped like the real API.

Offenses carry the fields of the real ``/api/siem/offenses`` sample in ``../shared/corpus``
(integer ``id``, multi-line ``description``, ``rules``, ``log_sources``, epoch-ms times,
``status`` OPEN/HIDDEN/CLOSED, ``closing_reason_id``). Ariel events are rows of the columns a
``SELECT *`` over ``events`` returns, plus the names QRadar's AQL functions resolve
(``QIDNAME(qid)``, ``LOGSOURCENAME(logsourceid)``, ``CATEGORYNAME(category)``,
``UTF8(payload)``), kept under ``_``-prefixed keys that ``SELECT *`` does not show.

Every record has its own seeded generator. Offense *i* is updated after offense *i - 1*
(``last_updated_time`` grows with the index from ``now - 30 days``), so a bigger sandbox with
the same seed serves the same offenses plus newer ones, as a console does between syncs.
Events go back in time from ``now`` (event *j* is older than *j - 1*).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from aria.sdk.sandbox import DataGen

WINDOW = timedelta(days=30)
STEP_MS = 120_000  # offense i is last updated about 2 minutes after offense i - 1

CLOSING_REASONS: list[dict[str, Any]] = [
    {"id": 1, "text": "Non-Issue", "is_deleted": False, "is_reserved": False},
    {"id": 2, "text": "False-Positive, Tuned", "is_deleted": False, "is_reserved": False},
    {"id": 3, "text": "Policy Violation", "is_deleted": False, "is_reserved": False},
    {"id": 4, "text": "Duplicate", "is_deleted": True, "is_reserved": False},
    {"id": 5, "text": "System Closed", "is_deleted": False, "is_reserved": True},
]


def _source(source_id: int, name: str, type_id: int, type_name: str) -> dict[str, Any]:
    """A log source as offenses list it."""
    return {"id": source_id, "name": name, "type_id": type_id, "type_name": type_name}


LOG_SOURCES: list[dict[str, Any]] = [
    _source(112, "WindowsAuthServer @ 10.1.2.3", 12, "WindowsAuthServer"),
    _source(63, "Custom Rule Engine-8 :: qradar-console", 18, "EventCRE"),
    _source(71, "Palo Alto PA Series @ 10.0.0.1", 206, "Palo Alto PA Series"),
    _source(88, "Linux OS @ web-ops-012", 11, "LinuxServer"),
    _source(97, "Microsoft Office 365 @ tenant", 397, "Office 365"),
]

# (rule id, offense name, continuation, categories, offense_type, log source indexes, weight)
# offense_type 0 names a source IP as offense_source, 1 a destination IP, 3 a username.
OFFENSE_KINDS: list[tuple[int, str, str, list[str], int, list[int], int]] = [
    (
        100056,
        "Multiple Login Failures for the Same User",
        "containing Failure Audit: An account failed to log on",
        ["User Login Failure", "General Authentication Failed"],
        3,
        [0, 1],
        4,
    ),
    (
        100211,
        "Excessive Firewall Denies Between Hosts",
        "containing Deny TCP traffic",
        ["Firewall Deny", "Access Denied"],
        0,
        [2, 1],
        3,
    ),
    (
        100119,
        "Potential Scan Detected",
        "containing Port scan from a single host",
        ["Host Port Scan", "Network Sweep"],
        0,
        [2, 1],
        2,
    ),
    (
        100307,
        "Local Malware Events Followed by Communication to a Remote Host",
        "containing Virus Detected: Trojan quarantined",
        ["Virus Detected", "Misc Malware", "Suspicious Activity"],
        0,
        [0, 2, 1],
        2,
    ),
    (
        100412,
        "Communication with a Known Malicious Host",
        "containing Outbound connection to a threat intelligence listed address",
        ["Botnet Address", "Remote Access Trojan"],
        1,
        [2, 1],
        2,
    ),
    (
        100523,
        "User Account Created and Deleted in a Short Period",
        "containing Success Audit: A user account was deleted",
        ["User Account Added", "User Account Removed"],
        3,
        [0, 1],
        1,
    ),
    (
        100405,
        "Session Closed",
        "",
        ["Session Closed"],
        0,
        [0],
        3,
    ),
]
STATUSES = ["OPEN", "HIDDEN", "CLOSED"]
STATUS_WEIGHTS = [6, 1, 3]
ANALYSTS = ["jsmith", "admin", "mchen", "soc_tier2"]

# (qid, event name, category id, category name, high-level category id, log source index,
#  payload template)
EVENT_KINDS: list[tuple[int, str, int, str, int, int, str]] = [
    (
        5000830,
        "Failure Audit: An account failed to log on",
        3003,
        "User Login Failure",
        3000,
        0,
        "<13>Microsoft-Windows-Security-Auditing 4625 An account failed to log on. "
        "Account Name: {user} Source Network Address: {src}",
    ),
    (
        5000829,
        "Success Audit: An account was successfully logged on",
        3014,
        "User Login Success",
        3000,
        0,
        "<13>Microsoft-Windows-Security-Auditing 4624 An account was successfully logged on. "
        "Account Name: {user} Source Network Address: {src}",
    ),
    (
        20020,
        "Deny TCP traffic",
        4015,
        "Firewall Deny",
        4000,
        2,
        "TRAFFIC,deny,{src},{dst},tcp,{sport},{dport},allow-list-miss",
    ),
    (
        20017,
        "Permit TCP traffic",
        4012,
        "Firewall Permit",
        4000,
        2,
        "TRAFFIC,allow,{src},{dst},tcp,{sport},{dport},default",
    ),
    (
        1002250,
        "Virus Detected: Trojan quarantined",
        2001,
        "Virus Detected",
        2000,
        0,
        "Microsoft Defender Antivirus quarantined Trojan:Win32/Wacatac on host of {user}",
    ),
    (
        44250,
        "sshd: Accepted publickey",
        3014,
        "User Login Success",
        3000,
        3,
        "sshd[2211]: Accepted publickey for {user} from {src} port {sport} ssh2",
    ),
    (
        44251,
        "sshd: Failed password",
        3003,
        "User Login Failure",
        3000,
        3,
        "sshd[2212]: Failed password for {user} from {src} port {sport} ssh2",
    ),
]


def record_gen(seed: int, kind: str, index: int, now: datetime) -> DataGen:
    """A generator for one record: the same record in every sandbox with this seed."""
    digest = hashlib.sha256(f"{seed}:{kind}:{index}".encode()).digest()
    return DataGen(int.from_bytes(digest[:8], "big"), now=now)


def ms(moment: datetime) -> int:
    """Epoch milliseconds."""
    return int(moment.timestamp() * 1000)


def offense(seed: int, index: int, now: datetime) -> dict[str, Any]:
    """Offense number ``index + 1``."""
    gen = record_gen(seed, "offense", index, now)
    kinds = OFFENSE_KINDS
    rule_id, title, detail, categories, offense_type, sources, _ = gen.weighted(
        kinds, [k[6] for k in kinds]
    )
    updated = ms(now - WINDOW) + index * STEP_MS + gen.integer(0, STEP_MS - 1_000)
    started = updated - gen.integer(60, 3 * 86_400) * 1000 - gen.integer(0, 999)
    status = gen.weighted(STATUSES, STATUS_WEIGHTS)
    user = gen.username()
    source = {0: gen.private_ip(), 1: gen.public_ip(), 3: user}[offense_type]
    event_count = gen.integer(1, 40) if title == "Session Closed" else gen.integer(3, 5000)
    magnitude = 1 if title == "Session Closed" else gen.integer(2, 10)
    assigned = gen.choice(ANALYSTS) if status != "OPEN" or gen.chance(0.4) else None
    closed = status == "CLOSED"
    reason = gen.choice([1, 2, 3, 4]) if closed else None
    log_sources = [LOG_SOURCES[i] for i in sources]
    description = f"{title}\n {detail}\n" if detail else f"{title}\n"
    return {
        "username_count": 1 if offense_type == 3 else gen.integer(0, 3),
        "description": description,
        "rules": [{"id": rule_id, "type": "CRE_RULE"}],
        "event_count": event_count,
        "flow_count": gen.integer(0, 200) if offense_type in (0, 1) else 0,
        "assigned_to": assigned,
        "security_category_count": len(categories),
        "follow_up": gen.chance(0.1),
        "source_address_ids": [gen.integer(1, 400)],
        "source_count": 1,
        "inactive": closed or gen.chance(0.3),
        "protected": False,
        "closing_user": gen.choice(ANALYSTS) if closed else None,
        "destination_networks": [gen.choice(["Net-10-172-192.Net_10_0_0_0", "other"])],
        "source_network": gen.choice(["Net-10-172-192.Net_10_0_0_0", "other"]),
        "category_count": len(categories),
        "close_time": updated if closed else None,
        "remote_destination_count": 1 if offense_type == 1 else 0,
        "start_time": started,
        "magnitude": magnitude,
        "last_updated_time": updated,
        "credibility": gen.integer(1, 10),
        "id": index + 1,
        "categories": list(categories),
        "severity": gen.integer(1, 10),
        "policy_category_count": 0,
        "log_sources": [dict(s) for s in log_sources],
        "closing_reason_id": reason,
        "device_count": len(log_sources),
        "offense_type": offense_type,
        "relevance": gen.integer(0, 10),
        "domain_id": gen.weighted([0, 1, 2], [8, 1, 1]),
        "offense_source": source,
        "local_destination_address_ids": [gen.integer(1, 50)],
        "local_destination_count": 1,
        "status": status,
    }


def event(seed: int, index: int, now: datetime) -> dict[str, Any]:
    """Ariel event ``index`` (0 is the newest), SELECT * columns plus ``_`` names."""
    gen = record_gen(seed, "event", index, now)
    qid, qidname, category, category_name, high, source_index, payload = gen.choice(EVENT_KINDS)
    start = ms(now) - index * 90_000 - gen.integer(0, 80_000)
    user = gen.username()
    src, dst = gen.private_ip(), gen.choice([gen.private_ip(), gen.public_ip()])
    sport, dport = gen.integer(1024, 65535), gen.choice([22, 80, 443, 445, 3389, 8080])
    log_source = LOG_SOURCES[source_index]
    return {
        "qid": qid,
        "sourceip": src,
        "sourceport": sport,
        "destinationip": dst,
        "destinationport": dport,
        "protocolid": 6,
        "username": user if category_name.startswith("User") or qid == 1002250 else None,
        "logsourceid": log_source["id"],
        "category": category,
        "highlevelcategory": high,
        "eventcount": gen.integer(1, 3),
        "magnitude": gen.integer(1, 8),
        "severity": gen.integer(0, 9),
        "credibility": gen.integer(3, 10),
        "relevance": gen.integer(1, 10),
        "starttime": start,
        "endtime": start,
        "devicetime": start - gen.integer(0, 5_000),
        "eventdirection": gen.choice(["L2L", "L2R", "R2L"]),
        "domainid": 0,
        "_qidname": qidname,
        "_logsourcename": log_source["name"],
        "_categoryname": category_name,
        "_payload": payload.format(user=user, src=src, dst=dst, sport=sport, dport=dport),
    }


@dataclass
class QRadarData:
    """One console's data; lists are live (tests change them through the sandbox state)."""

    now: datetime
    offenses: list[dict[str, Any]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    closing_reasons: list[dict[str, Any]] = field(default_factory=list)


def events_for(size: int) -> int:
    """Ariel events a sandbox of ``size`` holds (two per offense, at least 50)."""
    return max(50, 2 * size)


def generate(seed: int, size: int, now: datetime) -> QRadarData:
    """``size`` offenses, :func:`events_for` events and the closing reasons."""
    return QRadarData(
        now=now,
        offenses=[offense(seed, i, now) for i in range(size)],
        events=[event(seed, j, now) for j in range(events_for(size))],
        closing_reasons=[dict(r) for r in CLOSING_REASONS],
    )
