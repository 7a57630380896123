"""Deterministic data behind the Splunk sandbox: ES notables and a little of index=main.

Notables are stored as correlation searches write them to ``index=notable`` (sourcetype
``stash``, shaped like the real sample in the corpus): rule, severity, destination and its
asset priority, source, user, ATT&CK annotations. Their review state (status, owner) lives
apart, as in ES's Incident Review, and the sandbox's `` `notable` `` macro joins it in along
with ``event_id`` and ``urgency``.

Record ``i`` is built from its own generator and stamped ``START + i * GAP``, so a larger
sandbox adds newer records and keeps the earlier ones identical.
"""

from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from aria.sdk.sandbox import DataGen

NOW = datetime(2025, 6, 2, 12, 0, tzinfo=UTC)
START = NOW - timedelta(days=30)
GAP = timedelta(minutes=3)  # 14,400 records fit in the 30 days before NOW
SEARCH_HEAD = "sh-es-01"
NOTABLE_GUID = "66D21DF4-F4FD-4886-A986-82E72ADCBFE9"

# (correlation search, security domain, severity, ATT&CK techniques, title template)
RULES: list[tuple[str, str, str, list[str], str]] = [
    (
        "Endpoint - Recurring Malware Infection - Rule",
        "endpoint",
        "high",
        ["T1204.002"],
        "Recurring malware infection on {dest}",
    ),
    (
        "Access - Brute Force Access Behavior Detected - Rule",
        "access",
        "medium",
        ["T1110.001"],
        "Brute force access behavior detected from {src}",
    ),
    (
        "Access - Excessive Failed Logins - Rule",
        "access",
        "low",
        ["T1110"],
        "Excessive failed logins for {user}",
    ),
    (
        "Network - Unroutable Host Activity - Rule",
        "network",
        "low",
        [],
        "Unroutable host activity from {src}",
    ),
    (
        "Threat - Threat Activity Detected - Rule",
        "threat",
        "high",
        ["T1071.001"],
        "Threat activity ({signature}) detected on {dest}",
    ),
    (
        "ESCU - Credential Dumping via LSASS Access - Rule",
        "endpoint",
        "critical",
        ["T1003.001"],
        "Credential dumping via LSASS access on {dest}",
    ),
    (
        "Identity - Activity from Expired User Identity - Rule",
        "identity",
        "medium",
        ["T1078"],
        "Activity from expired user identity {user}",
    ),
    (
        "Audit - Anomalous Audit Trail Activity Detected - Rule",
        "audit",
        "informational",
        ["T1070.001"],
        "Audit trail cleared on {dest}",
    ),
]
SIGNATURES = ["Trojan.Gen.2", "W32.Qakbot", "Emotet C2 beacon", "Cobalt Strike beacon"]
PRIORITIES = ["low", "medium", "medium", "high", "critical"]
BUNITS = ["americas", "emea", "apac"]
CATEGORIES = [["cardholder", "pci"], ["server"], ["workstation"], ["domain_controller"]]
# ES urgency from asset priority and rule severity (Configure > Incident Management).
URGENCY: dict[tuple[str, str], str] = {}
_LEVELS = ["informational", "low", "medium", "high", "critical"]
for _p, _priority in enumerate(["unknown", "low", "medium", "high", "critical"]):
    for _s, _severity in enumerate(_LEVELS):
        _level = max(0, min(4, _s + (_p - 2 if _p else -1)))
        URGENCY[(_priority, _severity)] = _LEVELS[_level]
# ES default review statuses: (id, label, description, ends the review)
STATUSES = [
    ("1", "New", "Event has not been reviewed.", False),
    ("2", "In Progress", "Investigation or response is in progress.", False),
    ("3", "Pending", "An action is pending.", False),
    ("4", "Resolved", "Action has been taken; awaiting verification.", True),
    ("5", "Closed", "No further action required.", True),
]
STATUS_WEIGHTS = [5, 3, 1, 2, 2]
ANALYSTS = ["unassigned", "unassigned", "amensah", "kchen", "lrossi"]


def record_gen(seed: int, collection: int, index: int) -> DataGen:
    """One generator per record: record ``index`` is the same whatever the sandbox size."""
    return DataGen((seed * 1_000_003 + collection) * 10_000_019 + index, now=NOW)


def moment(index: int, gen: DataGen) -> datetime:
    """Record ``index``'s time: later records are newer."""
    return START + GAP * index + timedelta(seconds=round(gen.rng.uniform(0, 170), 3))


def epoch(value: datetime) -> float:
    """Epoch seconds."""
    return round(value.timestamp(), 3)


@dataclass
class Review:
    """A notable's Incident Review state."""

    status: str
    owner: str
    comment: str | None = None


def event_id(record: dict[str, Any]) -> str:
    """The notable's event id, as the `notable` macro reports it."""
    bucket = str(record.get("_bkt") or "")
    guid = bucket.rsplit("~", 1)[-1] if bucket else "notable"
    digest = hashlib.md5(
        f"{record.get('_time')}{record.get('_raw')}".encode(), usedforsecurity=False
    ).hexdigest()
    return f"{guid}@@{record.get('index', 'notable')}@@{digest}"


@functools.lru_cache(maxsize=16384)
def _notable(seed: int, index: int) -> tuple[dict[str, Any], Review]:
    gen = record_gen(seed, 1, index)
    rule, domain, severity, techniques, template = gen.choice(RULES)
    at = moment(index, gen)
    dest = gen.hostname()
    dest_ip = gen.private_ip()
    src = gen.public_ip() if domain in ("access", "network", "threat") else gen.private_ip()
    user = gen.username()
    signature = gen.choice(SIGNATURES)
    priority = gen.choice(PRIORITIES)
    stamp = _iso(at)
    serial = str(index)
    raw = (
        f"{int(epoch(at))}, search_name='{rule}', count='{gen.integer(1, 40)}', "
        f"dest='{dest}', src='{src}', user='{user}', signature='{signature}', "
        f"info_min_time='{epoch(at) - 3600:.3f}', info_max_time='{epoch(at):.3f}'"
    )
    record: dict[str, Any] = {
        "_bkt": f"notable~{700 + index // 500}~{NOTABLE_GUID}",
        "_cd": f"{700 + index // 500}:{17000 + index}",
        "_indextime": str(int(epoch(at)) + gen.integer(1, 30)),
        "_raw": raw,
        "_serial": serial,
        "_si": [SEARCH_HEAD, "notable"],
        "_sourcetype": "stash",
        "_time": stamp,
        "dest": dest,
        "dest_ip": dest_ip,
        "dest_nt_host": dest.upper(),
        "dest_priority": priority,
        "dest_bunit": gen.choice(BUNITS),
        "dest_category": gen.choice(CATEGORIES),
        "src": src,
        "user": user,
        "signature": signature,
        "host": SEARCH_HEAD,
        "index": "notable",
        "linecount": "1",
        "orig_sid": f"scheduler__admin__SA-AccessProtection__RMD5{gen.hex_id(16)}_at_"
        f"{int(epoch(at))}_{gen.integer(100, 9999)}",
        "rule_name": rule,
        "rule_title": template.format(dest=dest, src=src, user=user, signature=signature),
        "rule_description": f"{rule.split(' - ')[1]} reported by the {domain} correlation search.",
        "search_name": rule,
        "security_domain": domain,
        "severity": severity,
        "source": rule,
        "sourcetype": "stash",
        "splunk_server": SEARCH_HEAD,
    }
    if techniques:
        record["annotations.mitre_attack"] = list(techniques)
    status = gen.weighted([s[0] for s in STATUSES], STATUS_WEIGHTS)
    owner = "unassigned" if status == "1" else gen.choice(ANALYSTS[2:])
    return record, Review(status=status, owner=owner)


def notables(seed: int, size: int) -> tuple[list[dict[str, Any]], dict[str, Review]]:
    """``size`` notables (fresh copies) and their review state by event id."""
    records: list[dict[str, Any]] = []
    reviews: dict[str, Review] = {}
    for index in range(size):
        record, review = _notable(seed, index)
        copy = dict(record)
        records.append(copy)
        reviews[event_id(copy)] = Review(review.status, review.owner)
    return records, reviews


@functools.lru_cache(maxsize=16384)
def _auth_event(seed: int, index: int) -> dict[str, Any]:
    gen = record_gen(seed, 2, index)
    at = moment(index, gen)
    host = gen.hostname()
    user = gen.username()
    src = gen.public_ip()
    failed = gen.chance(0.4)
    port = gen.integer(1024, 65535)
    pid = gen.integer(1000, 40000)
    verb = "Failed password" if failed else "Accepted password"
    raw = (
        f"{at.strftime('%b %d %H:%M:%S')} {host} sshd[{pid}]: {verb} for {user} from {src} "
        f"port {port} ssh2"
    )
    return {
        "_bkt": f"main~{300 + index // 1000}~0A1B2C3D-4E5F-4071-8293-A4B5C6D7E8F9",
        "_cd": f"{300 + index // 1000}:{index}",
        "_indextime": str(int(epoch(at)) + 2),
        "_raw": raw,
        "_serial": str(index),
        "_si": ["idx-01", "main"],
        "_sourcetype": "linux_secure",
        "_time": _iso(at),
        "host": host,
        "index": "main",
        "linecount": "1",
        "source": "/var/log/secure",
        "sourcetype": "linux_secure",
        "splunk_server": "idx-01",
        "app": "sshd",
        "action": "failure" if failed else "success",
        "user": user,
        "src": src,
        "src_port": str(port),
        "dest": host,
    }


def main_events(seed: int, size: int) -> list[dict[str, Any]]:
    """Authentication events in index=main, for queries (half the sandbox size)."""
    return [dict(_auth_event(seed, i)) for i in range(max(10, size // 2))]


def _iso(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + (
        f"{value.microsecond // 1000:03d}+00:00"
    )
