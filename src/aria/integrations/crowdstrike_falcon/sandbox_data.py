"""Synthetic Falcon data for the sandbox, shaped like the real API (field names, nesting, ids).

Deterministic for a (seed, size): ``size`` alerts, ``size`` hosts, ``size // 3`` incidents
and ``1.5 * size`` Spotlight vulnerabilities, all on the same hosts so findings, assets and
incidents join up as they would in a real tenant. Each record has its own seeded generator and
its time grows with its index (from ``now - 30 days``; size 200 spans the 30 days), so a bigger
sandbox with the same seed serves the same records plus newer ones, which is what incremental
reads see in a live tenant. Alerts carry nanosecond timestamps like Falcon's.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from aria.integrations.crowdstrike_falcon.fql import parse_time
from aria.sdk.sandbox import DataGen

# (tactic_id, tactic, technique_id, technique, objective, name, display_name, scenario)
TECHNIQUES: list[tuple[str, ...]] = [
    (
        "TA0002",
        "Execution",
        "T1059.001",
        "Command and Scripting Interpreter: PowerShell",
        "Follow Through",
        "SuspiciousPowerShellCommand",
        "Suspicious encoded PowerShell command line",
        "suspicious_activity",
    ),
    (
        "TA0006",
        "Credential Access",
        "T1003.001",
        "OS Credential Dumping: LSASS Memory",
        "Gain Access",
        "CredentialDumpingLsass",
        "LSASS memory read by an unsigned process",
        "credential_theft",
    ),
    (
        "TA0005",
        "Defense Evasion",
        "T1562.001",
        "Impair Defenses: Disable or Modify Tools",
        "Keep Access",
        "SecurityToolTampering",
        "Attempt to stop a security service",
        "defense_evasion",
    ),
    (
        "TA0040",
        "Impact",
        "T1486",
        "Data Encrypted for Impact",
        "Follow Through",
        "RansomwareFileEncryption",
        "Mass file encryption consistent with ransomware",
        "ransomware",
    ),
    (
        "TA0003",
        "Persistence",
        "T1053.005",
        "Scheduled Task/Job: Scheduled Task",
        "Keep Access",
        "SuspiciousScheduledTask",
        "Scheduled task created from a temp folder",
        "suspicious_activity",
    ),
    (
        "TA0008",
        "Lateral Movement",
        "T1021.002",
        "Remote Services: SMB/Windows Admin Shares",
        "Explore",
        "LateralMovementAdminShare",
        "Remote execution over an admin share",
        "lateral_movement",
    ),
    (
        "TA0011",
        "Command and Control",
        "T1071.001",
        "Application Layer Protocol: Web Protocols",
        "Contact Controlled Systems",
        "BeaconingToRareDomain",
        "Periodic connections to a newly registered domain",
        "suspicious_activity",
    ),
    (
        "TA0004",
        "Privilege Escalation",
        "T1134",
        "Access Token Manipulation",
        "Gain Access",
        "UserTokenImpersonation",
        "Token impersonation by a service process",
        "privilege_escalation",
    ),
    (
        "TA0007",
        "Discovery",
        "T1087.002",
        "Account Discovery: Domain Account",
        "Explore",
        "DomainAccountEnumeration",
        "Domain account enumeration with net.exe",
        "suspicious_activity",
    ),
    (
        "TA0001",
        "Initial Access",
        "T1566.001",
        "Phishing: Spearphishing Attachment",
        "Gain Access",
        "OfficeSpawnedShell",
        "Office document spawned a command shell",
        "malicious_document",
    ),
]
PROCESSES = [
    (
        "powershell.exe",
        "\\Device\\HarddiskVolume3\\Windows\\System32\\WindowsPowerShell\\v1.0\\",
        "powershell.exe -nop -w hidden -enc SQBFAFgAIAAoAE4AZQB3AC0ATwBiAGoAZQBjAHQA",
    ),
    (
        "rundll32.exe",
        "\\Device\\HarddiskVolume3\\Windows\\System32\\",
        "rundll32.exe C:\\Windows\\System32\\comsvcs.dll, MiniDump 612 C:\\Temp\\l.dmp full",
    ),
    ("sc.exe", "\\Device\\HarddiskVolume3\\Windows\\System32\\", "sc.exe stop WinDefend"),
    ("svch0st.exe", "\\Device\\HarddiskVolume3\\Users\\Public\\", "svch0st.exe --encrypt C:\\"),
    (
        "schtasks.exe",
        "\\Device\\HarddiskVolume3\\Windows\\System32\\",
        "schtasks /create /tn Updater /tr C:\\Users\\Public\\upd.exe /sc minute",
    ),
    ("net.exe", "\\Device\\HarddiskVolume3\\Windows\\System32\\", 'net group "Domain Admins"'),
    (
        "WINWORD.EXE",
        "\\Device\\HarddiskVolume3\\Program Files\\Microsoft Office\\root\\Office16\\",
        '"WINWORD.EXE" /n "C:\\Users\\j\\Downloads\\invoice.docm"',
    ),
]
SEVERITIES = [(10, "Informational"), (30, "Low"), (50, "Medium"), (70, "High"), (90, "Critical")]
ALERT_STATUSES = ["new", "in_progress", "closed", "reopened"]
OSES = [
    ("Windows", "Windows 11", "22631", "Workstation", "Laptop"),
    ("Windows", "Windows 10", "19045", "Workstation", "Desktop"),
    ("Windows", "Windows Server 2022", "20348", "Server", "Other"),
    ("Windows", "Windows Server 2019", "17763", "Domain Controller", "Other"),
    ("Mac", "macOS Sonoma (14)", "23F79", "Workstation", "Laptop"),
    ("Linux", "Ubuntu 22.04", "", "Server", "Other"),
    ("Linux", "RHEL 9.3", "", "Server", "Other"),
    ("Linux", "Amazon Linux 2023", "", "Server", "Other"),
]
MANUFACTURERS = [
    ("Dell Inc.", "Latitude 7440"),
    ("LENOVO", "ThinkPad T14 Gen 4"),
    ("HP", "EliteBook 840 G10"),
    ("VMware, Inc.", "VMware7,1"),
    ("Apple Inc.", "MacBookPro18,3"),
]
# (cve, base_score, severity, vector, product, normalized, fixed action, exploit, kev)
CVES: list[tuple[Any, ...]] = [
    (
        "CVE-2023-4863",
        8.8,
        "HIGH",
        "CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:U/C:H/I:H/A:H",
        "Google Chrome 116.0.5845.180",
        "Chrome",
        "Update Google Chrome to 116.0.5845.187",
        90,
        True,
    ),
    (
        "CVE-2021-44228",
        10.0,
        "CRITICAL",
        "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H",
        "Apache Log4j 2.14.1",
        "Log4j",
        "Update Apache Log4j to 2.17.1",
        90,
        True,
    ),
    (
        "CVE-2023-23397",
        9.8,
        "CRITICAL",
        "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
        "Microsoft Outlook 16.0.16130.20218",
        "Outlook",
        "Install the March 2023 Office update",
        90,
        True,
    ),
    (
        "CVE-2022-30190",
        7.8,
        "HIGH",
        "CVSS:3.1/AV:L/AC:L/PR:N/UI:R/S:U/C:H/I:H/A:H",
        "Microsoft Windows 10 19045",
        "Windows",
        "Install KB5014699",
        90,
        True,
    ),
    (
        "CVE-2023-38545",
        9.8,
        "CRITICAL",
        "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
        "curl 8.3.0",
        "curl",
        "Update curl to 8.4.0",
        30,
        False,
    ),
    (
        "CVE-2024-6387",
        8.1,
        "HIGH",
        "CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:H/A:H",
        "OpenSSH 8.9p1",
        "OpenSSH",
        "Update OpenSSH to 9.8p1",
        30,
        False,
    ),
    (
        "CVE-2021-34527",
        8.8,
        "HIGH",
        "CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H",
        "Microsoft Windows Server 2019 17763",
        "Windows",
        "Install KB5004947",
        90,
        True,
    ),
    (
        "CVE-2024-1086",
        7.8,
        "HIGH",
        "CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H",
        "Linux Kernel 5.15.0",
        "Linux Kernel",
        "Update the kernel to 5.15.0-101",
        60,
        True,
    ),
    (
        "CVE-2023-4911",
        7.8,
        "HIGH",
        "CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H",
        "glibc 2.35",
        "glibc",
        "Update glibc to 2.35-0ubuntu3.4",
        60,
        True,
    ),
    (
        "CVE-2023-44487",
        7.5,
        "HIGH",
        "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H",
        "nginx 1.24.0",
        "nginx",
        "Update nginx to 1.25.3",
        60,
        True,
    ),
    (
        "CVE-2023-5217",
        8.8,
        "HIGH",
        "CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:U/C:H/I:H/A:H",
        "Mozilla Firefox 117.0.1",
        "Firefox",
        "Update Mozilla Firefox to 118.0.1",
        90,
        True,
    ),
    (
        "CVE-2023-36884",
        8.8,
        "HIGH",
        "CVSS:3.1/AV:N/AC:H/PR:N/UI:R/S:C/C:H/I:H/A:H",
        "Microsoft Office 16.0.16529.20182",
        "Office",
        "Install the August 2023 Office update",
        90,
        True,
    ),
    (
        "CVE-2023-32233",
        7.8,
        "HIGH",
        "CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H",
        "Linux Kernel 6.2.0",
        "Linux Kernel",
        "Update the kernel to 6.2.0-26",
        30,
        False,
    ),
    (
        "CVE-2024-21412",
        8.1,
        "HIGH",
        "CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:U/C:H/I:H/A:H",
        "Microsoft Windows 11 22631",
        "Windows",
        "Install KB5034765",
        90,
        True,
    ),
    (
        "CVE-2023-2650",
        6.5,
        "MEDIUM",
        "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H",
        "OpenSSL 3.0.8",
        "OpenSSL",
        "Update OpenSSL to 3.0.9",
        0,
        False,
    ),
    (
        "CVE-2023-28252",
        7.8,
        "HIGH",
        "CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H",
        "Microsoft Windows Server 2022 20348",
        "Windows",
        "Install KB5025230",
        90,
        True,
    ),
    (
        "CVE-2022-48565",
        9.8,
        "CRITICAL",
        "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
        "Python 3.8.10",
        "Python",
        "Update Python to 3.8.17",
        0,
        False,
    ),
    (
        "CVE-2023-45853",
        9.8,
        "CRITICAL",
        "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
        "zlib 1.2.13",
        "zlib",
        "Update zlib to 1.3.1",
        0,
        False,
    ),
    (
        "CVE-2024-0519",
        8.8,
        "HIGH",
        "CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:U/C:H/I:H/A:H",
        "Google Chrome 120.0.6099.216",
        "Chrome",
        "Update Google Chrome to 120.0.6099.224",
        90,
        True,
    ),
    (
        "CVE-2023-20198",
        10.0,
        "CRITICAL",
        "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H",
        "Zoom 5.15.5",
        "Zoom",
        "Update Zoom to 5.16.0",
        0,
        False,
    ),
]
VULN_STATUSES = ["open", "open", "open", "closed", "reopen", "expired"]
INCIDENT_STATES = [(20, "open"), (25, "open"), (30, "open"), (40, "closed")]
# Record i happens ``i`` gaps after ``now - WINDOW``: a sandbox of size 200 spans the window.
WINDOW = timedelta(days=30)
ALERT_GAP = WINDOW / 200
DEVICE_GAP = WINDOW / 200
INCIDENT_GAP = WINDOW / 66
VULN_GAP = WINDOW / 300


def _nanos(gen: DataGen, moment: datetime) -> str:
    """Falcon alert timestamps: ``2026-04-20T22:49:16.583865066Z`` (nanoseconds)."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%f") + f"{gen.integer(0, 999):03d}Z"


def _millis(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


@dataclass
class FalconData:
    """Every record the sandbox serves, keyed by collection."""

    cid: str
    now: datetime
    devices: list[dict[str, Any]] = field(default_factory=list)
    alerts: list[dict[str, Any]] = field(default_factory=list)
    incidents: list[dict[str, Any]] = field(default_factory=list)
    vulnerabilities: list[dict[str, Any]] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        """Records per stream (what a full read must return)."""
        return {
            "alerts": len(self.alerts),
            "devices": len(self.devices),
            "incidents": len(self.incidents),
            "vulnerabilities": len(self.vulnerabilities),
        }

    def latest(self) -> datetime:
        """The newest modification time in the tenant (``touch`` moves records past it)."""
        stamps = [r["updated_timestamp"] for r in self.alerts + self.vulnerabilities]
        stamps += [r["modified_timestamp"] for r in self.devices + self.incidents]
        moments = [m for m in map(parse_time, stamps) if m is not None]
        return max([self.now, *moments])


def record_gen(seed: int, collection: int, index: int, now: datetime) -> DataGen:
    """One generator per record: record ``index`` is the same whatever the sandbox size."""
    return DataGen((seed * 1_000_003 + collection) * 10_000_019 + index, now=now)


def at(now: datetime, gap: timedelta, index: int, gen: DataGen) -> datetime:
    """The moment of record ``index``: one per ``gap`` from ``now - 30 days``, jittered.

    Time grows with the index, so a bigger sandbox (same seed) only adds newer records.
    """
    return now - WINDOW + gap * index + gap * gen.rng.uniform(0.0, 0.9)


def counts_for(size: int) -> dict[str, int]:
    """Records per collection in a sandbox of ``size``."""
    return {
        "alerts": size,
        "devices": size,
        "incidents": max(1, size // 3),
        "vulnerabilities": size * 3 // 2,
    }


def generate(seed: int, size: int, now: datetime) -> FalconData:
    """A tenant of its own for one sandbox app (lists copied; records are replaced, never
    mutated, when the sandbox simulates activity)."""
    base = _generate(seed, size, now)
    return FalconData(
        cid=base.cid,
        now=base.now,
        devices=list(base.devices),
        alerts=list(base.alerts),
        incidents=list(base.incidents),
        vulnerabilities=list(base.vulnerabilities),
    )


@functools.lru_cache(maxsize=8)
def _generate(seed: int, size: int, now: datetime) -> FalconData:
    """Build the tenant: hosts first, then what happens on them (prefix-stable per size).

    Cached: tests and demos build many apps with the same seed and size."""
    counts = counts_for(size)
    data = FalconData(cid=DataGen(seed, now=now).hex_id(), now=now)
    data.devices = [
        _device(record_gen(seed, 1, i, now), data.cid, i) for i in range(counts["devices"])
    ]
    for i in range(counts["alerts"]):
        gen = record_gen(seed, 2, i, now)
        data.alerts.append(_alert(gen, data.cid, data.devices[gen.rng.randrange(i // 2 + 1)], i))
    for k in range(counts["incidents"]):
        gen = record_gen(seed, 3, k, now)
        data.incidents.append(_incident(gen, data.cid, data.devices[: 2 * k + 1], k))
    taken: set[tuple[str, str]] = set()  # Spotlight has one record per host, CVE and app
    for i in range(counts["vulnerabilities"]):
        gen = record_gen(seed, 4, i, now)
        while True:
            device = data.devices[gen.rng.randrange(i // 2 + 1)]
            entry = gen.choice(CVES)
            if (device["device_id"], entry[0]) not in taken:
                break
        taken.add((device["device_id"], entry[0]))
        data.vulnerabilities.append(_vulnerability(gen, data.cid, device, i, entry))
    return data


def _device(gen: DataGen, cid: str, index: int) -> dict[str, Any]:
    platform, os_version, build, product_type, chassis = gen.choice(OSES)
    cloud = platform == "Linux" or gen.chance(0.15)
    manufacturer, model = ("Amazon EC2", "t3.large") if cloud else gen.choice(MANUFACTURERS)
    modified = at(gen.now, DEVICE_GAP, index, gen)
    first_seen = modified - timedelta(days=gen.rng.uniform(1, 400))
    last_seen = modified - timedelta(seconds=gen.integer(0, 600))
    hostname = gen.hostname().upper() if platform == "Windows" else gen.hostname()
    mac = gen.mac().replace(":", "-")
    local_ip = gen.private_ip()
    device: dict[str, Any] = {
        "device_id": gen.hex_id(),
        "cid": cid,
        "agent_load_flags": "0",
        "agent_local_time": _millis(last_seen),
        "agent_version": gen.choice(["7.10.17706.0", "7.11.18110.0", "7.13.18607.0"]),
        "bios_manufacturer": manufacturer,
        "bios_version": f"{gen.integer(1, 2)}.{gen.integer(0, 30)}.{gen.integer(0, 9)}",
        "config_id_base": "65994763",
        "config_id_build": build or "18607",
        "config_id_platform": {"Windows": "3", "Mac": "4", "Linux": "8"}[platform],
        "external_ip": gen.public_ip(),
        "mac_address": mac,
        "connection_mac_address": mac,
        "hostname": hostname,
        "first_seen": gen.iso(first_seen),
        "last_seen": gen.iso(last_seen),
        "local_ip": local_ip,
        "connection_ip": local_ip,
        "default_gateway_ip": local_ip.rsplit(".", 1)[0] + ".1",
        "machine_domain": "acme.example" if platform == "Windows" else "",
        "major_version": "10" if platform == "Windows" else "6",
        "minor_version": "0",
        "os_version": os_version,
        "os_build": build,
        "platform_id": {"Windows": "0", "Mac": "1", "Linux": "3"}[platform],
        "platform_name": platform,
        "product_type": {"Workstation": "1", "Domain Controller": "2", "Server": "3"}[product_type],
        "product_type_desc": product_type,
        "chassis_type_desc": chassis,
        "provision_status": "Provisioned",
        "reduced_functionality_mode": "no",
        "serial_number": "" if cloud else gen.hex_id(10).upper(),
        "status": gen.weighted(["normal", "contained"], [0.97, 0.03]),
        "system_manufacturer": manufacturer,
        "system_product_name": model,
        "modified_timestamp": gen.iso(modified),
        "last_login_user": gen.username(),
        "site_name": gen.choice(["HQ", "Branch-01", "AWS-us-east-1"]),
        "ou": ["Workstations"] if product_type == "Workstation" else ["Servers"],
        "tags": ["SensorGroupingTags/production"] if gen.chance(0.5) else [],
        "groups": [gen.hex_id()],
        "policies": [{"policy_type": "prevention", "policy_id": gen.hex_id(), "applied": True}],
        "meta": {"version": str(gen.integer(100, 9000)), "version_string": "1:2"},
    }
    if platform == "Linux":
        device["kernel_version"] = f"5.15.0-{gen.integer(50, 120)}-generic"
    if cloud:
        device["instance_id"] = f"i-0{gen.hex_id(16)}"
        device["service_provider"] = "AWS_EC2_V2"
        device["service_provider_account_id"] = f"{gen.integer(10**11, 10**12 - 1)}"
        device["zone_group"] = "us-east-1a"
    return device


def _alert_device(device: dict[str, Any]) -> dict[str, Any]:
    """The host summary Falcon embeds in an alert's ``device`` object."""
    keys = (
        "device_id",
        "cid",
        "agent_version",
        "bios_manufacturer",
        "config_id_base",
        "external_ip",
        "first_seen",
        "hostname",
        "last_seen",
        "local_ip",
        "mac_address",
        "machine_domain",
        "major_version",
        "minor_version",
        "os_version",
        "platform_id",
        "platform_name",
        "product_type",
        "product_type_desc",
        "status",
        "system_manufacturer",
        "system_product_name",
        "modified_timestamp",
        "instance_id",
        "service_provider",
        "service_provider_account_id",
    )
    return {k: device[k] for k in keys if k in device}


def _alert(gen: DataGen, cid: str, device: dict[str, Any], index: int) -> dict[str, Any]:
    tactic_id, tactic, technique_id, technique, objective, name, display, scenario = gen.choice(
        TECHNIQUES
    )
    filename, path, cmdline = gen.choice(PROCESSES)
    score, severity_name = gen.weighted(SEVERITIES, [0.1, 0.25, 0.3, 0.25, 0.1])
    created = at(gen.now, ALERT_GAP, index, gen)
    updated = created + timedelta(seconds=gen.integer(0, 3600))
    status = gen.weighted(ALERT_STATUSES, [0.55, 0.2, 0.2, 0.05])
    aid = device["device_id"]
    pattern_id = gen.integer(10100, 51000)
    detection_id = f"{gen.integer(10**9, 10**10 - 1)}-{pattern_id}-{gen.integer(1000, 99999)}"
    composite_id = f"{cid}:ind:{aid}:{detection_id}"
    sha256 = gen.sha256()
    user = gen.username()
    alert: dict[str, Any] = {
        "agent_id": aid,
        "aggregate_id": f"aggind:{aid}:{gen.integer(10**9, 10**10 - 1)}",
        "cid": cid,
        "composite_id": composite_id,
        "id": f"ind:{aid}:{detection_id}",
        "type": "ldt",
        "product": "epp",
        "platform": device["platform_name"],
        "data_domains": ["Endpoint"],
        "source_products": ["Falcon Insight"],
        "source_vendors": ["CrowdStrike"],
        "created_timestamp": _nanos(gen, created),
        "crawled_timestamp": _nanos(gen, updated),
        "updated_timestamp": _nanos(gen, updated),
        "timestamp": _millis(created),
        "first_timestamp": gen.iso(created),
        "last_timestamp": gen.iso(created),
        "name": name,
        "display_name": display,
        "description": f"{display} on {device['hostname']}. {objective}: {technique}.",
        "scenario": scenario,
        "severity": score,
        "severity_name": severity_name,
        "confidence": gen.choice([10, 30, 50, 80, 100]),
        "objective": objective,
        "tactic": tactic,
        "tactic_id": tactic_id,
        "technique": technique,
        "technique_id": technique_id,
        "pattern_id": pattern_id,
        "pattern_disposition": gen.choice([0, 2048, 16]),
        "mitre_attack": [
            {
                "pattern_id": pattern_id,
                "tactic_id": tactic_id,
                "tactic": tactic,
                "technique_id": technique_id,
                "technique": technique,
            }
        ],
        "status": status,
        "show_in_ui": True,
        "falcon_host_link": (
            f"https://falcon.crowdstrike.com/activity-v2/detections/{composite_id}?_cid={cid}"
        ),
        "device": _alert_device(device),
        "filename": filename,
        "filepath": path + filename,
        "cmdline": cmdline,
        "sha256": sha256,
        "md5": gen.md5(),
        "user_name": user,
        "user_id": f"S-1-5-21-{gen.integer(10**9, 4 * 10**9)}-{gen.integer(1000, 9999)}",
        "parent_details": {
            "filename": "explorer.exe",
            "filepath": "\\Device\\HarddiskVolume3\\Windows\\explorer.exe",
            "cmdline": "C:\\Windows\\Explorer.EXE",
            "sha256": gen.sha256(),
        },
        "tags": [],
    }
    if status in ("in_progress", "closed"):
        alert["assigned_to_name"] = gen.first_last()[0].title() + " Analyst"
        alert["assigned_to_uid"] = gen.email()
    if status == "closed":
        alert["seconds_to_resolved"] = gen.integer(600, 86400)
    return alert


def _incident(gen: DataGen, cid: str, devices: list[dict[str, Any]], index: int) -> dict[str, Any]:
    hosts = [gen.choice(devices) for _ in range(gen.integer(1, 3))]
    unique = list({h["device_id"]: h for h in hosts}.values())
    picked = [gen.choice(TECHNIQUES) for _ in range(gen.integer(1, 3))]
    start = at(gen.now, INCIDENT_GAP, index, gen) - timedelta(hours=6)
    end = start + timedelta(seconds=gen.integer(60, 6 * 3600))
    modified = end + timedelta(seconds=gen.integer(0, 3600))
    status, state = gen.weighted(INCIDENT_STATES, [0.4, 0.1, 0.3, 0.2])
    incident: dict[str, Any] = {
        "incident_id": f"inc:{unique[0]['device_id']}:{gen.hex_id()}",
        "incident_type": 1,
        "cid": cid,
        "host_ids": [h["device_id"] for h in unique],
        "hosts": [_alert_device(h) for h in unique],
        "created": gen.iso(start),
        "start": gen.iso(start),
        "end": gen.iso(end),
        "state": state,
        "status": status,
        "name": f"Incident on {unique[0]['hostname']} at {gen.iso(start)}",
        "description": "Objectives in this incident: "
        + ", ".join(sorted({p[4] for p in picked}))
        + ".",
        "tags": [],
        "fine_score": gen.integer(10, 100),
        "lm_host_ids": [h["device_id"] for h in unique[1:]],
        "lm_hosts_capped": False,
        "objectives": sorted({p[4] for p in picked}),
        "tactics": sorted({p[1] for p in picked}),
        "techniques": sorted({p[3] for p in picked}),
        "users": [f"ACME\\{gen.username()}"],
        "visibility": 1,
        "modified_timestamp": _millis(modified),
    }
    if status in (30, 40):
        incident["assigned_to"] = gen.uuid()
        incident["assigned_to_name"] = gen.email()
    return incident


def _vulnerability(
    gen: DataGen, cid: str, device: dict[str, Any], index: int, entry: tuple[Any, ...]
) -> dict[str, Any]:
    cve, score, severity, vector, product, normalized, action, exploit, kev = entry
    updated = at(gen.now, VULN_GAP, index, gen)
    created = updated - timedelta(days=gen.rng.uniform(0, 20))
    status = gen.choice(VULN_STATUSES)
    remediation_id = gen.hex_id()
    aid = device["device_id"]
    record: dict[str, Any] = {
        "id": f"{aid}_{gen.hex_id()}",
        "cid": cid,
        "aid": aid,
        "vulnerability_id": cve,
        "created_timestamp": _millis(created),
        "updated_timestamp": _millis(updated),
        "status": status,
        "confidence": "confirmed",
        "data_providers": [{"provider": "Falcon sensor"}],
        "apps": [
            {
                "product_name_version": product,
                "product_name_normalized": normalized,
                "sub_status": "closed" if status == "closed" else "open",
                "remediation": {"ids": [remediation_id]},
                "evaluation_logic": {"id": gen.hex_id()},
            }
        ],
        "suppression_info": {"is_suppressed": False},
        "cve": {
            "id": cve,
            "base_score": score,
            "severity": severity,
            "vector": vector,
            "exploit_status": exploit,
            "exprt_rating": gen.choice(["LOW", "MEDIUM", "HIGH", "CRITICAL"]),
            "remediation_level": "O",
            "cisa_info": {
                "is_cisa_kev": kev,
                **({"due_date": "2024-01-01T00:00:00Z"} if kev else {}),
            },
            "description": f"{normalized}: a {severity.lower()} severity flaw ({cve}).",
            "published_date": "2023-09-12T15:15:00Z",
            "spotlight_published_date": "2023-09-13T08:00:00Z",
            "references": [f"https://nvd.nist.gov/vuln/detail/{cve}"],
        },
        "host_info": {
            "hostname": device["hostname"],
            "local_ip": device["local_ip"],
            "machine_domain": device["machine_domain"],
            "os_version": device["os_version"],
            "platform": device["platform_name"],
            "product_type_desc": device["product_type_desc"],
            "system_manufacturer": device["system_manufacturer"],
            "site_name": device["site_name"],
            "ou": device["ou"],
            "tags": device["tags"],
            "instance_id": device.get("instance_id", ""),
            "service_provider": device.get("service_provider", ""),
            "service_provider_account_id": device.get("service_provider_account_id", ""),
            "asset_criticality": gen.choice(["Unassigned", "Low", "Medium", "High", "Critical"]),
            "internet_exposure": gen.choice(["Yes", "No", "Pending"]),
        },
        "remediation": {
            "entities": [
                {
                    "id": remediation_id,
                    "reference": f"{normalized} update",
                    "title": action,
                    "action": action,
                    "link": f"https://nvd.nist.gov/vuln/detail/{cve}",
                }
            ]
        },
    }
    if status == "closed":
        record["closed_timestamp"] = _millis(updated)
    return record
