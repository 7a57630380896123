"""Synthetic Elastic Security detection alerts for the sandbox, shaped like real ones.

Alert documents carry ``kibana.alert.*`` as flat dotted keys and the ECS fields of the source
event as nested objects, as the alerts-as-data index stores them; ids are 64-hex digests, the
rules are Elastic prebuilt rules with their ATT&CK mapping. Every alert has its own seeded
generator and its ``@timestamp`` grows with its index, so a bigger sandbox with the same seed
holds the same alerts plus newer ones. Every tenth alert (index 9, 19, ...) is a building
block, which the integration leaves out unless asked.
"""

from __future__ import annotations

import functools
from datetime import UTC, datetime, timedelta
from typing import Any

from aria.sdk.sandbox import DataGen

WINDOW = timedelta(days=30)
KIBANA_VERSION = "8.15.3"
SPACE = "default"
ALERTS_ALIAS = ".alerts-security.alerts-default"
ALERTS_BACKING = ".internal.alerts-security.alerts-default-000001"

Threat = dict[str, Any]


def _threat(
    tactic: tuple[str, str], *techniques: tuple[str, str, tuple[str, str] | None]
) -> Threat:
    """One entry of a rule's ``threat`` mapping (framework, tactic, techniques)."""
    base = "https://attack.mitre.org"
    out: Threat = {
        "framework": "MITRE ATT&CK",
        "tactic": {"id": tactic[0], "name": tactic[1], "reference": f"{base}/tactics/{tactic[0]}/"},
        "technique": [],
    }
    for tid, name, sub in techniques:
        technique: dict[str, Any] = {
            "id": tid,
            "name": name,
            "reference": f"{base}/techniques/{tid}/",
        }
        if sub:
            technique["subtechnique"] = [
                {
                    "id": sub[0],
                    "name": sub[1],
                    "reference": f"{base}/techniques/{sub[0].replace('.', '/')}/",
                }
            ]
        out["technique"].append(technique)
    return out


# (name, rule type, severity, risk score, threat mapping, process, reason verb)
RULES: list[tuple[str, str, str, int, list[Threat], str]] = [
    (
        "Potential Credential Access via LSASS Memory Dump",
        "eql",
        "high",
        73,
        [
            _threat(
                ("TA0006", "Credential Access"),
                ("T1003", "OS Credential Dumping", ("T1003.001", "LSASS Memory")),
            )
        ],
        "rundll32.exe",
    ),
    (
        "PowerShell Suspicious Payload Encoded and Compressed",
        "query",
        "medium",
        47,
        [
            _threat(
                ("TA0002", "Execution"),
                ("T1059", "Command and Scripting Interpreter", ("T1059.001", "PowerShell")),
            ),
            _threat(
                ("TA0005", "Defense Evasion"), ("T1027", "Obfuscated Files or Information", None)
            ),
        ],
        "powershell.exe",
    ),
    (
        "Volume Shadow Copy Deletion via WMIC",
        "eql",
        "high",
        73,
        [_threat(("TA0040", "Impact"), ("T1490", "Inhibit System Recovery", None))],
        "WMIC.exe",
    ),
    (
        "Scheduled Task Created by a Windows Script",
        "eql",
        "medium",
        47,
        [
            _threat(
                ("TA0003", "Persistence"),
                ("T1053", "Scheduled Task/Job", ("T1053.005", "Scheduled Task")),
            )
        ],
        "schtasks.exe",
    ),
    (
        "Microsoft Build Engine Started by an Office Application",
        "query",
        "high",
        73,
        [
            _threat(
                ("TA0005", "Defense Evasion"),
                ("T1127", "Trusted Developer Utilities Proxy Execution", ("T1127.001", "MSBuild")),
            )
        ],
        "MSBuild.exe",
    ),
    (
        "Enumeration of Administrator Accounts",
        "query",
        "low",
        21,
        [
            _threat(
                ("TA0007", "Discovery"),
                ("T1087", "Account Discovery", ("T1087.002", "Domain Account")),
            )
        ],
        "net.exe",
    ),
    (
        "Multiple Logon Failure Followed by Logon Success",
        "eql",
        "medium",
        47,
        [_threat(("TA0006", "Credential Access"), ("T1110", "Brute Force", None))],
        "lsass.exe",
    ),
    (
        "Unusual Network Connection via RunDLL32",
        "eql",
        "high",
        73,
        [
            _threat(
                ("TA0005", "Defense Evasion"),
                ("T1218", "System Binary Proxy Execution", ("T1218.011", "Rundll32")),
            )
        ],
        "rundll32.exe",
    ),
    ("Endpoint Security (Elastic Defend)", "query", "critical", 99, [], "svch0st.exe"),
    (
        "Potential Lateral Tool Transfer via SMB Share",
        "eql",
        "medium",
        47,
        [_threat(("TA0008", "Lateral Movement"), ("T1570", "Lateral Tool Transfer", None))],
        "System",
    ),
]
CATEGORIES = {"query": "Custom Query Rule", "eql": "Event Correlation Rule"}
RULE_TYPE_IDS = {"query": "siem.queryRule", "eql": "siem.eqlRule"}
COMMANDS = {
    "rundll32.exe": "rundll32.exe C:\\Windows\\System32\\comsvcs.dll, MiniDump 624 C:\\l.dmp full",
    "powershell.exe": "powershell.exe -nop -w hidden -enc SQBFAFgAKABOAGUAdwAtAE8AYgBqAGUAYwB0AA==",
    "WMIC.exe": "wmic.exe shadowcopy delete /nointeractive",
    "schtasks.exe": "schtasks.exe /create /tn Updater /tr C:\\Users\\Public\\u.vbs /sc minute",
    "MSBuild.exe": "MSBuild.exe C:\\Users\\Public\\build.xml",
    "net.exe": 'net.exe group "Domain Admins" /domain',
    "lsass.exe": "C:\\Windows\\system32\\lsass.exe",
    "svch0st.exe": "C:\\Users\\Public\\svch0st.exe --encrypt C:\\",
    "System": "System",
}
STATUSES = ["open", "open", "open", "acknowledged", "closed"]
ANALYSTS = ["soc.analyst1", "soc.analyst2", "ir.lead"]


def record_gen(seed: int, collection: int, index: int, now: datetime) -> DataGen:
    """One generator per record: record ``index`` is the same whatever the sandbox size."""
    return DataGen((seed * 1_000_003 + collection) * 10_000_019 + index, now=now)


def at(now: datetime, index: int, gen: DataGen, per_window: int = 200) -> datetime:
    """Record ``index``'s moment: ``per_window`` records span 30 days, time grows with index."""
    gap = WINDOW / per_window
    return now - WINDOW + gap * index + gap * gen.rng.uniform(0.0, 0.9)


def iso_ms(moment: datetime) -> str:
    """Elasticsearch's usual date rendering: millisecond precision, ``Z``."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


@functools.lru_cache(maxsize=1024)
def host(seed: int, index: int, now: datetime) -> dict[str, Any]:
    """Endpoint ``index`` (ECS ``host`` object plus its Elastic Agent id)."""
    gen = record_gen(seed, 1, index, now)
    name = gen.hostname()
    windows = not name.startswith(("web", "db"))
    os = (
        {"name": "Windows", "family": "windows", "version": "10.0", "platform": "windows"}
        if windows
        else {"name": "Ubuntu", "family": "debian", "version": "22.04.4", "platform": "ubuntu"}
    )
    return {
        "host": {
            "name": name,
            "hostname": name,
            "id": gen.uuid(),
            "ip": [gen.private_ip()],
            "mac": [gen.mac().replace(":", "-")],
            "os": {**os, "type": os["platform"] if not windows else "windows"},
            "architecture": "x86_64",
        },
        "agent_id": gen.uuid(),
        "user": gen.username(),
    }


def is_building_block(index: int) -> bool:
    """Building-block alerts: every tenth (index 9, 19, ...), whatever the seed."""
    return index % 10 == 9


def count_visible(size: int) -> int:
    """Alerts the integration reads by default from a sandbox of ``size`` (no building
    blocks)."""
    return size - size // 10


@functools.lru_cache(maxsize=4096)
def alert(seed: int, index: int, now: datetime) -> dict[str, Any]:
    """Detection alert ``index``: ``_id`` and ``_source`` as the alerts index stores them."""
    gen = record_gen(seed, 2, index, now)
    name, rule_type, severity, risk, threats, process = gen.choice(RULES)
    machine = host(seed, gen.rng.randrange(index // 3 + 1), now)
    created = at(now, index, gen)
    original = created - timedelta(seconds=gen.rng.uniform(5, 300))
    status = gen.choice(STATUSES)
    uid = gen.hex_id(64)
    rule_uuid = gen.uuid()
    host_name = machine["host"]["name"]
    user_name = machine["user"] if process not in ("System", "lsass.exe") else "SYSTEM"
    source: dict[str, Any] = {
        "@timestamp": iso_ms(created),
        "event.kind": "signal",
        "kibana.alert.uuid": uid,
        "kibana.alert.start": iso_ms(created),
        "kibana.alert.last_detected": iso_ms(created),
        "kibana.alert.original_time": iso_ms(original),
        "kibana.alert.status": "active",
        "kibana.alert.workflow_status": status,
        "kibana.alert.depth": 1,
        "kibana.alert.severity": severity,
        "kibana.alert.risk_score": risk,
        "kibana.alert.reason": f"process event with process {process}, by {user_name} on "
        f"{host_name} created {severity} alert {name}.",
        "kibana.alert.rule.name": name,
        "kibana.alert.rule.uuid": rule_uuid,
        "kibana.alert.rule.rule_id": gen.uuid(),
        "kibana.alert.rule.type": rule_type,
        "kibana.alert.rule.rule_type_id": RULE_TYPE_IDS[rule_type],
        "kibana.alert.rule.category": CATEGORIES[rule_type],
        "kibana.alert.rule.consumer": "siem",
        "kibana.alert.rule.producer": "siem",
        "kibana.alert.rule.description": f"Identifies activity matching the rule {name}.",
        "kibana.alert.rule.severity": severity,
        "kibana.alert.rule.risk_score": risk,
        "kibana.alert.rule.threat": threats,
        "kibana.alert.rule.tags": ["Domain: Endpoint", "OS: Windows", "Use Case: Threat Detection"],
        "kibana.alert.ancestors": [
            {
                "id": gen.hex_id(20),
                "type": "event",
                "index": ".ds-logs-endpoint.events.process-default-2025.05.01-000001",
                "depth": 0,
            }
        ],
        "kibana.alert.original_event.kind": "event",
        "kibana.alert.original_event.category": ["process"],
        "kibana.alert.original_event.type": ["start"],
        "kibana.alert.original_event.action": "start",
        "kibana.alert.workflow_tags": [],
        "kibana.alert.workflow_assignee_ids": [],
        "kibana.space_ids": [SPACE],
        "kibana.version": KIBANA_VERSION,
        "host": machine["host"],
        "agent": {"id": machine["agent_id"], "type": "endpoint", "version": KIBANA_VERSION},
        "user": {"name": user_name, "domain": "CORP" if user_name != "SYSTEM" else "NT AUTHORITY"},
        "process": {
            "name": process,
            "pid": gen.integer(400, 9000),
            "command_line": COMMANDS[process],
            "executable": f"C:\\Windows\\System32\\{process}",
            "hash": {"sha256": gen.sha256()},
        },
        "event": {"kind": "signal", "category": ["process"], "type": ["start"]},
        "ecs": {"version": "8.11.0"},
    }
    if status != "open":
        changed = created + timedelta(minutes=gen.rng.uniform(5, 360))
        source["kibana.alert.workflow_status_updated_at"] = iso_ms(changed)
        source["kibana.alert.workflow_user"] = gen.choice(ANALYSTS)
        if status == "closed" and gen.chance(0.4):
            source["kibana.alert.workflow_tags"] = ["False Positive"]
    if is_building_block(index):
        source["kibana.alert.building_block_type"] = "default"
    return {"_id": uid, "_source": source}


def alerts(seed: int, size: int, now: datetime) -> list[dict[str, Any]]:
    """The first ``size`` alerts. They are shared between sandboxes: read them, never change
    them in place (the sandbox replaces a changed document with a new one)."""
    return [alert(seed, i, now) for i in range(size)]
