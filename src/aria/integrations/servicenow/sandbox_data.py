"""Synthetic ServiceNow data for the sandbox: incidents ARIA opened, a few it did not, the
users and groups they reference, and their journal (work notes and additional comments).

Records carry the Table API's plain values (``sysparm_display_value=false``): 32-hex
``sys_id``s, ``INC`` numbers, integer choices as strings, UTC ``yyyy-MM-dd HH:mm:ss`` times,
and the task fields of the real record in ``../shared/corpus`` (``correlation_id``,
``close_code``, ``sys_mod_count``...). Each record has its own seeded generator and its update
time grows with its index, so a bigger sandbox with the same seed serves the same incidents
plus newer ones.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from aria.sdk.sandbox import DataGen

WINDOW = timedelta(days=30)
STEP = timedelta(minutes=10)  # incident i is updated within [i*STEP + 5 min, (i+1)*STEP)
SN_TIME = "%Y-%m-%d %H:%M:%S"
GROUP_ID = "8a5055c9c61122780043563ef53438e3"

# (sys_id, user_name, display name)
USERS: list[tuple[str, str, str]] = [
    ("5137153cc611227c000bbd1bd8cd2005", "aria.integration", "ARIA Integration"),
    ("46d44a23a9fe19810012d100cca80666", "beth.anglin", "Beth Anglin"),
    ("5137153cc611227c000bbd1bd8cd2007", "david.loo", "David Loo"),
    ("9ee1b13dc6112271007f9d0efdb69cd0", "fred.luddy", "Fred Luddy"),
    ("62826bf03710200044e0bfc8bcbe5df1", "abel.tuter", "Abel Tuter"),
]
GROUPS: list[tuple[str, str]] = [
    (GROUP_ID, "Security Operations"),
    ("d625dccec0a8016700a222a0f7900d06", "Service Desk"),
]
ANALYSTS = USERS[1:]
STATES = ["1", "2", "2", "3", "6", "6", "7", "8"]
CLOSE_CODES = ["Solution provided", "Workaround provided", "Resolved by change", "Duplicate"]
# Priority lookup (out of the box): urgency x impact -> priority.
PRIORITY = {
    ("1", "1"): "1",
    ("1", "2"): "2",
    ("2", "1"): "2",
    ("1", "3"): "3",
    ("2", "2"): "3",
    ("3", "1"): "3",
    ("2", "3"): "4",
    ("3", "2"): "4",
    ("3", "3"): "5",
}
RISKS = [
    ("Exposed RDP on internet-facing server", "T1133"),
    ("Unpatched Log4Shell (CVE-2021-44228) on application servers", "T1190"),
    ("Credential dumping from LSASS on finance workstations", "T1003.001"),
    ("Ransomware precursor activity on file server", "T1486"),
    ("Phishing campaign targeting payroll", "T1566.001"),
    ("Stale admin accounts with no MFA", "T1078"),
    ("Outdated OpenSSL on edge proxies", "T1190"),
    ("Suspicious scheduled tasks on domain controllers", "T1053.005"),
    ("Data exfiltration over DNS from engineering subnet", "T1048"),
    ("Disabled EDR sensor on critical servers", "T1562.001"),
]
OTHER_INCIDENTS = [
    "Printer on 3rd floor not working",
    "Unable to connect to VPN",
    "Email delivery delayed",
    "Request for new laptop",
    "SAP login error",
]
ANALYST_NOTES = [
    ("work_notes", "Investigating with the server team."),
    ("work_notes", "Patch scheduled for the next maintenance window."),
    ("comments", "Owner informed; waiting for confirmation."),
    ("work_notes", "Compensating control in place: blocked at the firewall."),
    ("comments", "Can you confirm which hosts are affected?"),
]


def stamp(moment: datetime) -> str:
    """ServiceNow's internal date-time: UTC, ``yyyy-MM-dd HH:mm:ss``."""
    return moment.strftime(SN_TIME)


def user_id(name: str) -> str:
    """sys_id of a sandbox user by user_name (or display name)."""
    for sys_id, user_name, display in USERS:
        if name in (user_name, display, sys_id):
            return sys_id
    raise KeyError(name)


def user_name(sys_id: str) -> str:
    """user_name of a sandbox user by sys_id."""
    return next(u for s, u, _ in USERS if s == sys_id)


def _gen(seed: int, kind: int, index: int, now: datetime) -> DataGen:
    return DataGen(seed * 1_000_003 + kind * 100_003 + index, now=now)


@dataclass
class ServiceNowData:
    """The instance behind one sandbox."""

    now: datetime
    incidents: list[dict[str, Any]] = field(default_factory=list)
    journal: list[dict[str, Any]] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        """What a full read of the tickets stream returns: the incidents ARIA opened."""
        return {
            "tickets": sum(
                1 for r in self.incidents if str(r["correlation_id"]).startswith("aria-risk-")
            )
        }


def counts_for(size: int) -> dict[str, int]:
    """Records per stream in a sandbox of ``size``."""
    return {"tickets": size}


def _incident(gen: DataGen, moment: datetime, number: str) -> dict[str, Any]:
    """The task fields every incident has, with plain values."""
    created = moment - timedelta(minutes=gen.integer(10, 3 * 24 * 60))
    urgency, impact = str(gen.integer(1, 3)), str(gen.integer(1, 3))
    caller = gen.choice(ANALYSTS)[0]
    return {
        "sys_id": gen.hex_id(32),
        "number": number,
        "sys_class_name": "incident",
        "short_description": "",
        "description": "",
        "state": "1",
        "incident_state": "1",
        "urgency": urgency,
        "impact": impact,
        "priority": PRIORITY[(urgency, impact)],
        "active": "true",
        "category": "inquiry",
        "contact_type": "",
        "correlation_id": "",
        "correlation_display": "",
        "caller_id": caller,
        "opened_by": caller,
        "assigned_to": "",
        "assignment_group": "",
        "close_code": "",
        "close_notes": "",
        "opened_at": stamp(created),
        "resolved_at": "",
        "resolved_by": "",
        "closed_at": "",
        "closed_by": "",
        "reopen_count": "0",
        "sys_created_on": stamp(created),
        "sys_created_by": user_name(caller),
        "sys_updated_on": stamp(moment),
        "sys_updated_by": user_name(caller),
        "sys_mod_count": str(gen.integer(0, 9)),
        "sys_domain": "global",
        "work_notes": "",
        "comments": "",
    }


def _journal(
    gen: DataGen, incident: dict[str, Any], element: str, value: str, who: str, at: str
) -> dict[str, Any]:
    return {
        "sys_id": gen.hex_id(32),
        "name": "incident",
        "element_id": incident["sys_id"],
        "element": element,
        "value": value,
        "sys_created_on": at,
        "sys_created_by": who,
    }


def aria_incident(seed: int, index: int, now: datetime) -> tuple[dict[str, Any], list[Any]]:
    """Incident ``index`` that ARIA opened for risk ``1000 + index``, and its journal."""
    base = now - WINDOW
    gen = _gen(seed, 1, index, now)
    moment = base + STEP * index + timedelta(seconds=300 + gen.integer(0, 299))
    record = _incident(gen, moment, f"INC{20000 + index:07d}")
    risk_id = 1000 + index
    title, technique = RISKS[index % len(RISKS)]
    likelihood, impact = gen.integer(1, 5), gen.integer(1, 5)
    state = gen.choice(STATES)
    integration = USERS[0]
    record.update(
        short_description=f"[ARIA risk {risk_id}] {title}",
        description=(
            f"{title}\n\nRisk score: {likelihood * impact} (likelihood {likelihood}, impact "
            f"{impact})\nMITRE ATT&CK technique: {technique}\nARIA risk id: {risk_id}"
        ),
        correlation_id=f"aria-risk-{risk_id}",
        correlation_display="ARIA",
        caller_id=integration[0],
        opened_by=integration[0],
        sys_created_by=integration[1],
        assignment_group=GROUP_ID,
        state=state,
        incident_state=state,
    )
    analyst = gen.choice(ANALYSTS)
    if state != "1":
        record.update(assigned_to=analyst[0], sys_updated_by=analyst[1])
    if state in ("6", "7"):
        record.update(
            close_code=gen.choice(CLOSE_CODES),
            close_notes="Remediated and verified.",
            resolved_at=record["sys_updated_on"],
            resolved_by=analyst[0],
            active="false" if state == "7" else "true",
        )
    if state == "7":
        record.update(closed_at=record["sys_updated_on"], closed_by=analyst[0])
    if state == "8":
        record.update(active="false")
    entries = [
        _journal(
            gen,
            record,
            "work_notes",
            f"[ARIA] Opened by ARIA for risk {risk_id} (score {likelihood * impact}).",
            integration[1],
            record["sys_created_on"],
        )
    ]
    opened = datetime.strptime(record["sys_created_on"], SN_TIME).replace(tzinfo=now.tzinfo)
    span = max(1, int((moment - opened).total_seconds()))
    for _ in range(gen.integer(0, 3) if state != "1" else 0):
        element, value = gen.choice(ANALYST_NOTES)
        at = opened + timedelta(seconds=gen.integer(1, span))
        entries.append(_journal(gen, record, element, value, analyst[1], stamp(at)))
    return record, entries


def other_incident(seed: int, index: int, now: datetime) -> dict[str, Any]:
    """An incident a person raised (no correlation id): the tickets stream must skip it."""
    base = now - WINDOW
    gen = _gen(seed, 2, index, now)
    moment = base + STEP * 4 * index + timedelta(seconds=gen.integer(0, 599))
    record = _incident(gen, moment, f"INC{10000 + index:07d}")
    record.update(
        short_description=gen.choice(OTHER_INCIDENTS),
        description="Raised through the service portal.",
        contact_type="self-service",
        assignment_group=GROUPS[1][0],
        state=(state := gen.choice(["1", "2", "6"])),
        incident_state=state,
    )
    if state == "6":
        record.update(close_code="Solution provided", close_notes="Fixed.")
    return record


def generate(seed: int, size: int, now: datetime) -> ServiceNowData:
    """``size`` incidents ARIA opened and ``size // 4`` other incidents, with journals."""
    data = ServiceNowData(now=now)
    for index in range(size):
        record, entries = aria_incident(seed, index, now)
        data.incidents.append(record)
        data.journal.extend(entries)
    data.incidents.extend(other_incident(seed, index, now) for index in range(size // 4))
    return data
