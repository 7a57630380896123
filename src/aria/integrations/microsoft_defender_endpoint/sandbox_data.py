"""Synthetic Defender data for the sandbox, shaped like the real API (field names, ids, enums).

Alerts carry the fields of the real ``/api/alerts`` sample in ``../shared/corpus`` (``id`` as
``da<ticks>_<n>``, ``incidentId``, ``alertUser``, ``alertFiles``...) plus today's additions
(``computerDnsName``, ``mitreTechniques``, ``evidence``). Every record has its own seeded
generator and its time grows with its index (from ``now - 30 days``), so a bigger sandbox with
the same seed serves the same records plus newer ones, as a live tenant does between syncs.
Everything happens on the same machines, so alerts, vulnerabilities and incidents join up.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from aria.sdk.sandbox import DataGen

TENANT_ID = "8c6d2f4e-1b3a-4c5d-9e7f-0a1b2c3d4e5f"
WINDOW = timedelta(days=30)

# (category, title, description, techniques, detection source, threat family)
ALERT_KINDS: list[tuple[str, str, str, list[str], str, str | None]] = [
    (
        "Execution",
        "Suspicious PowerShell command line",
        "A PowerShell process ran an encoded command typical of download cradles.",
        ["T1059.001", "T1027"],
        "WindowsDefenderAtp",
        None,
    ),
    (
        "CredentialAccess",
        "Suspicious access to LSASS service",
        "A process read the memory of lsass.exe, a sign of credential theft.",
        ["T1003.001"],
        "WindowsDefenderAtp",
        None,
    ),
    (
        "DefenseEvasion",
        "Attempt to turn off Microsoft Defender Antivirus protection",
        "A process tried to stop or tamper with antivirus protection.",
        ["T1562.001"],
        "WindowsDefenderAtp",
        None,
    ),
    (
        "Ransomware",
        "Ransomware behavior detected in the file system",
        "Many files were renamed and rewritten in a pattern typical of ransomware.",
        ["T1486", "T1490"],
        "WindowsDefenderAv",
        "Ransom:Win32/LockBit",
    ),
    (
        "Persistence",
        "Suspicious scheduled task",
        "A scheduled task was registered to run a binary from a user-writable folder.",
        ["T1053.005"],
        "WindowsDefenderAtp",
        None,
    ),
    (
        "LateralMovement",
        "Suspicious remote service installation",
        "A service was installed remotely through an administrative share.",
        ["T1021.002", "T1569.002"],
        "WindowsDefenderAtp",
        None,
    ),
    (
        "CommandAndControl",
        "Connection to a custom network indicator",
        "The device connected to an address listed in your custom indicators.",
        ["T1071.001"],
        "CustomerTI",
        None,
    ),
    (
        "Malware",
        "'Emotet' malware was detected",
        "Microsoft Defender Antivirus detected and quarantined a malicious file.",
        [],
        "WindowsDefenderAv",
        "Emotet",
    ),
    (
        "InitialAccess",
        "Office application spawned a suspicious process",
        "An Office document started a command interpreter, a common phishing payload.",
        ["T1566.001", "T1204.002"],
        "WindowsDefenderAtp",
        None,
    ),
    (
        "Discovery",
        "Suspicious account discovery",
        "net.exe enumerated domain admin group membership.",
        ["T1087.002"],
        "AutomatedInvestigation",
        None,
    ),
]
PROCESSES = [
    ("powershell.exe", "C:\\Windows\\System32\\WindowsPowerShell\\v1.0", "powershell -nop -enc "),
    ("rundll32.exe", "C:\\Windows\\System32", "rundll32 comsvcs.dll, MiniDump 612 l.dmp full"),
    ("sc.exe", "C:\\Windows\\System32", "sc stop WinDefend"),
    ("svch0st.exe", "C:\\Users\\Public", "svch0st.exe --encrypt C:\\"),
    ("schtasks.exe", "C:\\Windows\\System32", "schtasks /create /tn Updater /sc minute"),
    ("net.exe", "C:\\Windows\\System32", 'net group "Domain Admins" /domain'),
]
SEVERITIES = ["Informational", "Low", "Medium", "High"]
SEVERITY_WEIGHTS = [1, 3, 4, 3]
ALERT_STATUSES = ["New", "New", "InProgress", "Resolved"]
CLASSIFICATIONS = [
    ("TruePositive", "Malware"),
    ("TruePositive", "MultiStagedAttack"),
    ("InformationalExpectedActivity", "SecurityTesting"),
    ("FalsePositive", "NotMalicious"),
]
# (osPlatform, version, osBuild, osProcessor)
PLATFORMS = [
    ("Windows11", "23H2", 22631, "x64"),
    ("Windows10", "22H2", 19045, "x64"),
    ("WindowsServer2022", "21H2", 20348, "x64"),
    ("WindowsServer2019", "1809", 17763, "x64"),
    ("macOS", "14.5", None, "arm64"),
    ("Linux", "Ubuntu 22.04", None, "x64"),
]
HEALTH = ["Active", "Active", "Active", "Inactive", "ImpairedCommunication", "NoSensorData"]
LEVELS = ["None", "Low", "Medium", "High"]
RBAC_GROUPS = ["Workstations", "Servers", "Finance", "Engineering"]
# (cveId, productVendor, productName, productVersion, severity, fixingKbId)
CVES: list[tuple[str, str, str, str, str, str | None]] = [
    ("CVE-2024-21412", "microsoft", "windows_11", "10.0.22631.3007", "High", "5034765"),
    ("CVE-2023-4863", "google", "chrome", "116.0.5845.180", "High", None),
    ("CVE-2021-44228", "apache", "log4j", "2.14.1", "Critical", None),
    ("CVE-2023-23397", "microsoft", "outlook", "16.0.16130.20218", "Critical", "5002254"),
    ("CVE-2023-28252", "microsoft", "windows_server_2022", "10.0.20348.1607", "High", "5025230"),
    ("CVE-2023-2650", "openssl", "openssl", "3.0.8", "Medium", None),
    ("CVE-2024-0519", "google", "chrome", "120.0.6099.216", "High", None),
    ("CVE-2023-45853", "zlib", "zlib", "1.2.13", "Critical", None),
    ("CVE-2023-36884", "microsoft", "office", "16.0.16529.20154", "High", "5002414"),
    ("CVE-2023-44487", "microsoft", "windows_10", "10.0.19045.3570", "High", "5031356"),
    ("CVE-2024-3094", "tukaani", "xz", "5.6.0", "Critical", None),
    ("CVE-2023-5217", "mozilla", "firefox", "117.0.1", "High", None),
]
# Configuration recommendations: (scid, name, sub category, severity score)
CONFIG_RECS = [
    (2000, "Turn on Microsoft Defender Antivirus", "Antivirus", 9.0),
    (2010, "Turn on real-time protection", "Antivirus", 8.5),
    (91, "Set 'Minimum password length' to '14 or more characters'", "Accounts", 6.0),
    (88, "Disable 'Autoplay' for all drives", "OS", 4.5),
    (
        2020,
        "Enable 'Microsoft network client: Digitally sign communications (always)'",
        "Network",
        5.0,
    ),
    (64, "Enable 'Local Security Authority (LSA) protection'", "OS", 7.0),
    (
        2030,
        "Block credential stealing from the Windows local security authority subsystem",
        "Attack Surface Reduction",
        8.0,
    ),
    (92, "Disable SMBv1 client driver", "Network", 7.5),
]
# Software recommendations: (vendor, product, name, recommended version, weaknesses)
SOFTWARE_RECS = [
    ("google", "chrome", "Update Google Chrome", "124.0.6367.91", 42),
    ("microsoft", "windows_11", "Update Microsoft Windows 11", "10.0.22631.3447", 17),
    ("mozilla", "firefox", "Update Mozilla Firefox", "125.0.3", 12),
    ("apache", "log4j", "Update Apache Log4j", "2.17.1", 4),
    ("oracle", "jre", "Update Oracle Java Runtime", "8u411", 31),
    ("7-zip", "7-zip", "Update 7-Zip", "23.01", 2),
    ("adobe", "acrobat_reader_dc", "Update Adobe Acrobat Reader DC", "24.002.20736", 9),
    ("notepad++", "notepad++", "Uninstall Notepad++ 7.x (end of support)", "", 3),
]
# (indicatorType, action, severity, title)
INDICATOR_KINDS = [
    ("IpAddress", "Block", "High", "Known command-and-control server"),
    ("DomainName", "Warn", "Medium", "Newly registered phishing domain"),
    ("Url", "Block", "High", "Credential harvesting page"),
    ("FileSha256", "BlockAndRemediate", "High", "Ransomware loader"),
    ("FileSha1", "Audit", "Low", "Dual-use administration tool"),
    ("FileMd5", "Alert", "Medium", "Commodity infostealer sample"),
]


def ticks(moment: datetime) -> int:
    """.NET ticks (100 ns since 0001-01-01), the digits after ``da`` in alert ids."""
    epoch = datetime(1, 1, 1, tzinfo=moment.tzinfo)
    return int((moment - epoch).total_seconds() * 10**7)


def stamp(moment: datetime, gen: DataGen) -> str:
    """Defender's timestamps: seven fractional digits (``2019-09-01T13:31:08.0252869Z``)."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%f") + f"{gen.integer(0, 9)}Z"


@dataclass
class DefenderData:
    """Everything one sandbox serves, keyed by collection."""

    tenant_id: str
    now: datetime
    machines: list[dict[str, Any]] = field(default_factory=list)
    alerts: list[dict[str, Any]] = field(default_factory=list)
    vulnerabilities: list[dict[str, Any]] = field(default_factory=list)
    recommendations: list[dict[str, Any]] = field(default_factory=list)
    incidents: list[dict[str, Any]] = field(default_factory=list)
    indicators: list[dict[str, Any]] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        """Records per stream (what a full read returns)."""
        return {
            "alerts": len(self.alerts),
            "machines": len(self.machines),
            "vulnerabilities": len(self.vulnerabilities),
            "recommendations": len(self.recommendations),
            "incidents": len(self.incidents),
            "indicators": len(self.indicators),
        }


def counts_for(size: int) -> dict[str, int]:
    """Records per collection in a sandbox of ``size``."""
    return {
        "alerts": size,
        "machines": size,
        "vulnerabilities": size * 3 // 2,
        "recommendations": max(1, size // 2),
        "incidents": max(1, size // 3),
        "indicators": max(1, size // 2),
    }


def record_gen(seed: int, collection: int, index: int, now: datetime) -> DataGen:
    """One generator per record: record ``index`` is the same whatever the sandbox size."""
    return DataGen((seed * 1_000_003 + collection) * 10_000_019 + index, now=now)


def at(now: datetime, index: int, per_window: int, gen: DataGen) -> datetime:
    """Record ``index``'s moment: ``per_window`` records span 30 days, time grows with index."""
    gap = WINDOW / per_window
    return now - WINDOW + gap * index + gap * gen.rng.uniform(0.0, 0.9)


def generate(seed: int, size: int, now: datetime) -> DefenderData:
    """A tenant of its own for one sandbox app (lists copied: tests mutate them)."""
    base = _generate(seed, size, now)
    return DefenderData(
        tenant_id=base.tenant_id,
        now=base.now,
        machines=list(base.machines),
        alerts=list(base.alerts),
        vulnerabilities=list(base.vulnerabilities),
        recommendations=list(base.recommendations),
        incidents=list(base.incidents),
        indicators=list(base.indicators),
    )


@functools.lru_cache(maxsize=8)
def _generate(seed: int, size: int, now: datetime) -> DefenderData:
    """Build the tenant, machines first, then what happens on them (prefix-stable)."""
    counts = counts_for(size)
    data = DefenderData(tenant_id=TENANT_ID, now=now)
    data.machines = [_machine(seed, i, now) for i in range(counts["machines"])]
    data.alerts = [_alert(seed, i, now) for i in range(counts["alerts"])]
    data.vulnerabilities = [_vulnerability(seed, i, now) for i in range(counts["vulnerabilities"])]
    data.recommendations = [_recommendation(seed, j, now) for j in range(counts["recommendations"])]
    data.incidents = [_incident(seed, k, now) for k in range(counts["incidents"])]
    data.indicators = [_indicator(seed, i, now) for i in range(counts["indicators"])]
    return data


@functools.lru_cache(maxsize=4096)
def _machine(seed: int, index: int, now: datetime) -> dict[str, Any]:
    gen = record_gen(seed, 1, index, now)
    platform, version, build, processor = gen.choice(PLATFORMS)
    last_seen = at(now, index, 200, gen)
    first_seen = last_seen - timedelta(days=gen.rng.uniform(30, 400))
    hostname = gen.hostname()
    server = "Server" in platform
    azure = server and gen.chance(0.5)
    interfaces = []
    for n in range(gen.integer(1, 2)):
        interfaces.append(
            {
                "ipAddress": gen.private_ip(),
                "macAddress": gen.mac().replace(":", "").upper(),
                "type": "Ethernet" if n == 0 else "Wireless80211",
                "operationalStatus": "Up",
            }
        )
    subscription = gen.uuid()
    return {
        "id": gen.hex_id(40),
        "computerDnsName": f"{hostname}.{gen.domain}",
        "firstSeen": stamp(first_seen, gen),
        "lastSeen": stamp(last_seen, gen),
        "osPlatform": platform,
        "osVersion": None,
        "osProcessor": processor,
        "version": version,
        "lastIpAddress": interfaces[0]["ipAddress"],
        "lastExternalIpAddress": gen.public_ip(),
        "agentVersion": f"10.{gen.integer(8000, 8900)}.{build or 0}.{gen.integer(1000, 9999)}",
        "osBuild": build,
        "healthStatus": gen.choice(HEALTH),
        "deviceValue": gen.weighted(["Normal", "Low", "High"], [8, 1, 2]),
        "rbacGroupId": RBAC_GROUPS.index(rbac := gen.choice(RBAC_GROUPS)) + 1,
        "rbacGroupName": rbac,
        "riskScore": gen.weighted(LEVELS, [3, 3, 2, 1]),
        "exposureLevel": gen.weighted(LEVELS, [1, 3, 3, 2]),
        "isAadJoined": not server,
        "aadDeviceId": None if server else gen.uuid(),
        "machineTags": [gen.choice(["VIP", "PCI", "Kiosk", "Test"])] if gen.chance(0.3) else [],
        "defenderAvStatus": gen.choice(["Updated", "Updated", "NotUpdated"]),
        "onboardingStatus": "Onboarded",
        "osArchitecture": "64-bit",
        "managedBy": "Intune" if not server else "MicrosoftDefenderForEndpoint",
        "managedByStatus": "Success",
        "ipAddresses": interfaces,
        "vmMetadata": (
            {
                "vmId": gen.uuid(),
                "cloudProvider": "Azure",
                "resourceId": f"/subscriptions/{subscription}/resourceGroups/rg-{hostname}"
                f"/providers/Microsoft.Compute/virtualMachines/{hostname}",
                "subscriptionId": subscription,
            }
            if azure
            else None
        ),
    }


def _machine_for(seed: int, index: int, gen: DataGen, now: datetime) -> dict[str, Any]:
    """A machine that exists in every sandbox holding record ``index`` (prefix-stable)."""
    return _machine(seed, gen.rng.randrange(index // 2 + 1), now)


@functools.lru_cache(maxsize=4096)
def _alert(seed: int, index: int, now: datetime) -> dict[str, Any]:
    gen = record_gen(seed, 2, index, now)
    machine = _machine_for(seed, index, gen, now)
    category, title, description, techniques, source, family = gen.choice(ALERT_KINDS)
    updated = at(now, index, 200, gen)
    created = updated - timedelta(hours=gen.rng.uniform(0, 36))
    first_event = created - timedelta(minutes=gen.rng.uniform(1, 120))
    last_event = created - timedelta(minutes=gen.rng.uniform(0, 1))
    status = gen.choice(ALERT_STATUSES)
    classification, determination = (
        gen.choice(CLASSIFICATIONS) if status == "Resolved" else (None, None)
    )
    process, folder, command = gen.choice(PROCESSES)
    user = gen.username()
    sha1, sha256 = gen.hex_id(40), gen.sha256()
    remote_ip = gen.public_ip()
    return {
        "id": f"da{ticks(created)}_{gen.integer(-(2**31), 2**31 - 1)}",
        "incidentId": 1000 + index // 3,
        "investigationId": gen.integer(100, 9999) if source != "CustomerTI" else None,
        "assignedTo": f"{gen.username()}@{gen.domain}" if status != "New" else None,
        "severity": gen.weighted(SEVERITIES, SEVERITY_WEIGHTS),
        "status": status,
        "classification": classification,
        "determination": determination,
        "investigationState": gen.choice(
            ["Running", "SuccessfullyRemediated", "Benign", "UnsupportedAlertType"]
        ),
        "detectionSource": source,
        "detectorId": gen.uuid(),
        "category": category,
        "threatFamilyName": family,
        "threatName": family,
        "title": title,
        "description": description,
        "alertCreationTime": stamp(created, gen),
        "firstEventTime": stamp(first_event, gen),
        "lastEventTime": stamp(last_event, gen),
        "lastUpdateTime": stamp(updated, gen),
        "resolvedTime": stamp(updated, gen) if status == "Resolved" else None,
        "machineId": machine["id"],
        "computerDnsName": machine["computerDnsName"],
        "rbacGroupName": machine["rbacGroupName"],
        "aadTenantId": TENANT_ID,
        "mitreTechniques": list(techniques),
        "relatedUser": {"userName": user, "domainName": gen.domain.split(".")[0].upper()},
        "loggedOnUsers": [{"accountName": user, "domainName": "ACME"}],
        "alertUser": None,
        "comments": [],
        "alertFiles": [],
        "alertDomains": [],
        "alertIps": [],
        "evidence": [
            {
                "entityType": "Process",
                "evidenceCreationTime": stamp(created, gen),
                "sha1": sha1,
                "sha256": sha256,
                "fileName": process,
                "filePath": folder,
                "processId": gen.integer(1000, 30000),
                "processCommandLine": command,
                "processCreationTime": stamp(first_event, gen),
                "parentProcessId": gen.integer(500, 9000),
                "parentProcessFileName": "explorer.exe",
                "parentProcessFilePath": "C:\\Windows",
                "ipAddress": None,
                "url": None,
                "accountName": user,
                "domainName": "ACME",
                "userSid": f"S-1-5-21-{gen.integer(10**9, 4 * 10**9)}-{gen.integer(1000, 9999)}",
                "aadUserId": gen.uuid(),
                "userPrincipalName": f"{user}@{gen.domain}",
                "detectionStatus": gen.choice(["Detected", "Blocked", "Prevented"]),
            },
            {
                "entityType": "Ip",
                "evidenceCreationTime": stamp(created, gen),
                "ipAddress": remote_ip,
                "detectionStatus": None,
            },
        ],
    }


@functools.lru_cache(maxsize=8192)
def _vulnerability(seed: int, index: int, now: datetime) -> dict[str, Any]:
    gen = record_gen(seed, 3, index, now)
    # Each (machine, CVE, product) once: the index picks the pair without collisions.
    machine = _machine(seed, index // len(CVES), now)
    cve, vendor, product, version, severity, kb = CVES[(index + seed) % len(CVES)]
    if gen.chance(0.3):  # another installed version of the same product
        version = f"{version}.{gen.integer(1, 9)}"
    return {
        "id": f"{machine['id']}-_-{cve}-_-{vendor}-_-{product}-_-{version}-_-{kb or ''}",
        "cveId": cve,
        "machineId": machine["id"],
        "fixingKbId": kb,
        "productName": product,
        "productVendor": vendor,
        "productVersion": version,
        "severity": severity,
    }


@functools.lru_cache(maxsize=4096)
def _recommendation(seed: int, index: int, now: datetime) -> dict[str, Any]:
    gen = record_gen(seed, 4, index, now)
    total = gen.integer(20, 400)
    exposed = gen.integer(0, total) if gen.chance(0.85) else 0
    common = {
        "publicExploit": gen.chance(0.3),
        "activeAlert": gen.chance(0.15),
        "associatedThreats": ["Emotet"] if gen.chance(0.1) else [],
        "status": "Exception" if gen.chance(0.1) else "Active",
        "configScoreImpact": 0.0,
        "exposureImpact": round(gen.rng.uniform(0.01, 2.5), 2),
        "totalMachineCount": total,
        "exposedMachinesCount": exposed,
        "nonProductivityImpactedAssets": 0,
        "hasUnpatchableCve": False,
    }
    if index % 2 == 0:
        k = index // 2
        scid, name, sub, score = CONFIG_RECS[k % len(CONFIG_RECS)]
        scid += 1000 * (k // len(CONFIG_RECS))
        return {
            "id": f"sca-_-scid-{scid}",
            "productName": None,
            "recommendationName": name,
            "weaknesses": 0,
            "vendor": None,
            "recommendedVersion": "",
            "recommendedProgram": None,
            "recommendedVendor": None,
            "recommendationCategory": "SecurityControls" if sub != "Accounts" else "Accounts",
            "subCategory": sub,
            "severityScore": score,
            "remediationType": "ConfigurationChange",
            "relatedComponent": sub,
            **common,
            "configScoreImpact": round(gen.rng.uniform(0.5, 10.0), 2),
            "exposureImpact": 0.0,
        }
    k = index // 2
    vendor, product, name, recommended, weaknesses = SOFTWARE_RECS[k % len(SOFTWARE_RECS)]
    if k >= len(SOFTWARE_RECS):
        product = f"{product}_{k // len(SOFTWARE_RECS) + 1}"
    return {
        "id": f"va-_-{vendor}-_-{product}",
        "productName": product,
        "recommendationName": name,
        "weaknesses": weaknesses,
        "vendor": vendor,
        "recommendedVersion": recommended,
        "recommendedProgram": None,
        "recommendedVendor": None,
        "recommendationCategory": "Application",
        "subCategory": "",
        "severityScore": round(gen.rng.uniform(3.0, 9.8), 1),
        "remediationType": "Uninstall" if name.startswith("Uninstall") else "Update",
        "relatedComponent": product.replace("_", " ").title(),
        **common,
    }


def _incident_alert(alert: dict[str, Any], machine: dict[str, Any]) -> dict[str, Any]:
    """An alert as the XDR incidents API embeds it (its own field names)."""
    return {
        "alertId": alert["id"],
        "incidentId": alert["incidentId"],
        "serviceSource": "MicrosoftDefenderForEndpoint",
        "creationTime": alert["alertCreationTime"],
        "lastUpdatedTime": alert["lastUpdateTime"],
        "resolvedTime": alert["resolvedTime"],
        "firstActivity": alert["firstEventTime"],
        "lastActivity": alert["lastEventTime"],
        "title": alert["title"],
        "description": alert["description"],
        "category": alert["category"],
        "status": alert["status"],
        "severity": alert["severity"],
        "investigationId": alert["investigationId"],
        "investigationState": alert["investigationState"],
        "classification": alert["classification"] or "Unknown",
        "determination": alert["determination"] or "NotAvailable",
        "detectionSource": alert["detectionSource"],
        "detectorId": alert["detectorId"],
        "assignedTo": alert["assignedTo"],
        "actorName": None,
        "threatFamilyName": alert["threatFamilyName"],
        "mitreTechniques": alert["mitreTechniques"],
        "devices": [
            {
                "mdatpDeviceId": machine["id"],
                "aadDeviceId": machine["aadDeviceId"],
                "deviceDnsName": machine["computerDnsName"],
                "osPlatform": machine["osPlatform"],
                "version": machine["version"],
                "osProcessor": machine["osProcessor"],
                "osBuild": machine["osBuild"],
                "healthStatus": machine["healthStatus"],
                "riskScore": machine["riskScore"],
                "rbacGroupName": machine["rbacGroupName"],
                "firstSeen": machine["firstSeen"],
                "tags": machine["machineTags"],
                "defenderAvStatus": machine["defenderAvStatus"],
                "onboardingStatus": machine["onboardingStatus"],
                "vmMetadata": machine["vmMetadata"],
                "loggedOnUsers": alert["loggedOnUsers"],
            }
        ],
        "entities": [
            {
                "entityType": "Process",
                "sha1": alert["evidence"][0]["sha1"],
                "fileName": alert["evidence"][0]["fileName"],
                "filePath": alert["evidence"][0]["filePath"],
                "processCommandLine": alert["evidence"][0]["processCommandLine"],
                "evidenceCreationTime": alert["evidence"][0]["evidenceCreationTime"],
            }
        ],
    }


@functools.lru_cache(maxsize=4096)
def _incident(seed: int, index: int, now: datetime) -> dict[str, Any]:
    """Incident ``index`` groups alerts ``3 * index`` .. ``3 * index + 2`` (their incidentId)."""
    gen = record_gen(seed, 5, index, now)
    alerts = [_alert(seed, 3 * index + n, now) for n in range(3)]
    machines = {a["machineId"]: _machine_for_alert(seed, a, now) for a in alerts}
    incident_id = 1000 + index
    order = SEVERITIES.index
    worst = max((a["severity"] for a in alerts), key=order)
    statuses = {a["status"] for a in alerts}
    status = "Resolved" if statuses == {"Resolved"} else gen.choice(["Active", "InProgress"])
    updated_alert = max(alerts, key=lambda a: a["lastUpdateTime"])
    created = min(a["alertCreationTime"] for a in alerts)
    updated = datetime.fromisoformat(updated_alert["lastUpdateTime"][:26]).replace(
        tzinfo=now.tzinfo
    ) + timedelta(minutes=gen.rng.uniform(0, 30))
    first = alerts[0]
    return {
        "incidentId": incident_id,
        "incidentUri": f"https://security.microsoft.com/incidents/{incident_id}?tid={TENANT_ID}",
        "redirectIncidentId": None,
        "incidentName": f"Multi-stage incident involving {first['category']} on "
        f"{len(machines)} endpoint{'s' if len(machines) > 1 else ''}",
        "createdTime": created,
        "lastUpdateTime": stamp(updated, gen),
        "assignedTo": first["assignedTo"],
        "classification": first["classification"] or "Unknown",
        "determination": first["determination"] or "NotAvailable",
        "status": status,
        "severity": worst,
        "tags": [gen.choice(["Ransomware", "Phishing", "Lateral movement", "Credential theft"])],
        "comments": [],
        "alerts": [_incident_alert(a, machines[a["machineId"]]) for a in alerts],
    }


def _machine_for_alert(seed: int, alert: dict[str, Any], now: datetime) -> dict[str, Any]:
    index = int(alert["incidentId"]) - 1000  # not the machine index: look the id up instead
    for candidate in range(0, 3 * index + 3):
        machine = _machine(seed, candidate, now)
        if machine["id"] == alert["machineId"]:
            return machine
    raise LookupError(alert["machineId"])  # pragma: no cover - alerts pick earlier machines


@functools.lru_cache(maxsize=4096)
def _indicator(seed: int, index: int, now: datetime) -> dict[str, Any]:
    gen = record_gen(seed, 6, index, now)
    kind, action, severity, title = INDICATOR_KINDS[index % len(INDICATOR_KINDS)]
    updated = at(now, index, 100, gen)
    created = updated - timedelta(days=gen.rng.uniform(0, 10))
    value = {
        "IpAddress": gen.public_ip(),
        "DomainName": f"{gen.hex_id(8)}-login.example",
        "Url": f"https://{gen.hex_id(6)}.example/signin/{gen.hex_id(10)}",
        "FileSha256": gen.sha256(),
        "FileSha1": gen.hex_id(40),
        "FileMd5": gen.md5(),
    }[kind]
    app_id = gen.uuid()
    return {
        "id": str(5000 + index),
        "indicatorValue": value,
        "indicatorType": kind,
        "action": action,
        "application": "ARIA threat intel" if gen.chance(0.5) else None,
        "source": "ARIA",
        "sourceType": gen.choice(["User", "AadApp"]),
        "createdBy": app_id,
        "createdByDisplayName": "ARIA Integration",
        "createdBySource": gen.choice(["PublicApi", "Portal"]),
        "severity": severity,
        "category": gen.integer(1, 10),
        "title": title,
        "description": f"{title} reported by the threat-intelligence team.",
        "recommendedActions": "Isolate the device and collect an investigation package.",
        "creationTimeDateTimeUtc": stamp(created, gen),
        "expirationTime": stamp(updated + timedelta(days=gen.integer(30, 365)), gen),
        "lastUpdateTime": stamp(updated, gen),
        "lastUpdatedBy": app_id,
        "rbacGroupNames": [],
        "rbacGroupIds": [],
        "generateAlert": action in ("Alert", "Audit", "Block", "BlockAndRemediate"),
        "mitreTechniques": [],
        "historicalDetection": False,
        "lookBackPeriod": None,
        "educateUrl": None,
        "notificationId": None,
        "notificationBody": None,
        "version": None,
        "externalId": None,
    }
