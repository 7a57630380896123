"""Synthetic Linear workspace for the sandbox, shaped like the GraphQL API's objects.

A workspace ``acme-demo`` with two teams (SEC, OPS), Linear's default workflow per team
(Triage, Backlog, Todo, In Progress, In Review, Done, Canceled, Duplicate), users (ARIA's API
user, analysts) and the workspace label ``aria-risk``. Issue *j* is the same in every sandbox
with the seed and its times grow with *j* (so a bigger sandbox serves the same issues plus newer
ones); four in five are ARIA's (label ``aria-risk``, title ``[ARIA risk N] ...``, created by
ARIA's user), the rest ordinary team issues the stream must not return.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from aria.sdk.sandbox import DataGen

ORG = {"id": "5c1b0f6e-2a3d-4e5f-8a9b-0c1d2e3f4a5b", "name": "Acme Demo", "urlKey": "acme-demo"}
STEP = timedelta(minutes=30)
WINDOW = timedelta(days=30)
STATE_TEMPLATE = (
    ("Triage", "triage"),
    ("Backlog", "backlog"),
    ("Todo", "unstarted"),
    ("In Progress", "started"),
    ("In Review", "started"),
    ("Done", "completed"),
    ("Canceled", "canceled"),
    ("Duplicate", "canceled"),
)
STATE_WEIGHTS = (1, 2, 4, 4, 2, 3, 1, 1)
PRIORITY_LABELS = {0: "No priority", 1: "Urgent", 2: "High", 3: "Medium", 4: "Low"}
RISK_TITLES = (
    "Ransomware behaviour on a finance workstation",
    "Exposed RDP on an internet-facing server",
    "Credential dumping from LSASS",
    "Unpatched critical CVE on the VPN gateway",
    "Suspicious OAuth consent to an unknown app",
    "Public S3 bucket with customer exports",
    "Impossible travel sign-in for an admin",
    "Malware beaconing to a known C2 domain",
)
TEAM_TITLES = (
    "Rotate the staging database credentials",
    "Document the on-call escalation path",
    "Upgrade the log shipper on the build agents",
    "Review firewall rules for the new office",
)
NOTES = (
    "Host isolated; reimage scheduled for tonight.",
    "Waiting on the service owner for a maintenance window.",
    "Patch rolled out to 80% of the fleet.",
    "False positive confirmed with the user; closing after review.",
)


def uid(seed: int, *parts: object) -> str:
    """A stable UUID for a named object."""
    return str(
        uuid.uuid5(uuid.NAMESPACE_URL, f"linear-sandbox/{seed}/" + "/".join(map(str, parts)))
    )


def stamp(moment: datetime) -> str:
    """Linear's time format: ``2025-05-03T10:00:00.000Z``."""
    return (
        moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
    )


def is_aria_index(index: int) -> bool:
    """Issue ``index`` (0-based) is ARIA's; every fifth is an ordinary team issue."""
    return index % 5 != 4


def total_issues(size: int) -> int:
    """Issues in a sandbox of ``size``, so that ``size`` of them are ARIA's."""
    total = aria = 0
    while aria < size:
        aria += is_aria_index(total)
        total += 1
    return total


def priority_for(score: int) -> int:
    """The Linear priority ARIA gives a risk score (as the integration does)."""
    return 1 if score >= 20 else 2 if score >= 12 else 3 if score >= 6 else 4


@dataclass
class LinearData:
    """The workspace behind one sandbox."""

    seed: int
    now: datetime
    users: dict[str, dict[str, Any]]
    teams: list[dict[str, Any]]
    states: list[dict[str, Any]]
    labels: list[dict[str, Any]]
    issues: list[dict[str, Any]] = field(default_factory=list)
    comments: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    counters: dict[str, int] = field(default_factory=dict)

    def team(self, team_id: str) -> dict[str, Any] | None:
        """The team with this id."""
        return next((t for t in self.teams if t["id"] == team_id), None)

    def state(self, state_id: str) -> dict[str, Any] | None:
        """The workflow state with this id."""
        return next((s for s in self.states if s["id"] == state_id), None)

    def label(self, label_id: str) -> dict[str, Any] | None:
        """The label with this id."""
        return next((lb for lb in self.labels if lb["id"] == label_id), None)

    def aria_count(self) -> int:
        """Issues the tickets stream serves."""
        return sum(1 for i in self.issues if "aria-risk" in [lb["name"] for lb in i["labels"]])


def _user(seed: int, key: str, name: str, email: str) -> dict[str, Any]:
    return {"id": uid(seed, "user", key), "name": name, "email": email, "active": True}


def generate(seed: int, size: int, now: datetime, *, aria_label: bool = True) -> LinearData:
    """A workspace whose tickets stream serves ``size`` ARIA issues."""
    users = {
        "aria": _user(seed, "aria", "ARIA Integration", "aria@acme.example"),
        "reader": _user(seed, "reader", "Audit Reader", "audit@acme.example"),
    }
    for index in range(4):
        gen = DataGen(seed * 31 + index, now=now)
        first, last = gen.first_last()
        name = f"{first} {last}".title()
        users[f"analyst{index}"] = _user(seed, f"analyst{index}", name, gen.email())
    teams = [
        {"id": uid(seed, "team", "SEC"), "key": "SEC", "name": "Security"},
        {"id": uid(seed, "team", "OPS"), "key": "OPS", "name": "Operations"},
    ]
    states = [
        {
            "id": uid(seed, "state", team["key"], name),
            "name": name,
            "type": kind,
            "position": float(position),
            "team": {"id": team["id"]},
        }
        for team in teams
        for position, (name, kind) in enumerate(STATE_TEMPLATE)
    ]
    labels = [
        {"id": uid(seed, "label", "security"), "name": "security", "team": None},
        {"id": uid(seed, "label", "chore"), "name": "chore", "team": None},
    ]
    if aria_label:
        labels.insert(0, {"id": uid(seed, "label", "aria-risk"), "name": "aria-risk", "team": None})
    data = LinearData(seed, now, users, teams, states, labels)
    data.counters = {team["id"]: 0 for team in teams}
    for index in range(total_issues(size)):
        _issue(data, index)
    return data


def _issue(data: LinearData, index: int) -> None:
    seed, now = data.seed, data.now
    gen = DataGen(seed * 1_000_003 + index, now=now)
    created = now - WINDOW + index * STEP + timedelta(milliseconds=gen.integer(0, 600_000))
    updated = created + timedelta(milliseconds=gen.integer(60_000, 900_000))
    team = data.teams[0]
    data.counters[team["id"]] += 1
    number = data.counters[team["id"]]
    team_states = [s for s in data.states if s["team"]["id"] == team["id"]]
    state = gen.weighted(team_states, STATE_WEIGHTS)
    aria = is_aria_index(index)
    analysts = [u for k, u in data.users.items() if k.startswith("analyst")]
    assignee = gen.choice(analysts) if state["type"] != "triage" else None
    by_name = {lb["name"]: lb for lb in data.labels}
    if aria:
        risk_id = 100 + index
        score = gen.integer(1, 25)
        title = f"[ARIA risk {risk_id}] {gen.choice(RISK_TITLES)}"
        host = gen.hostname()
        description = "\n".join(
            [
                f"Detected on `{host}`.",
                "",
                f"**Risk score:** {score}",
                f"[Open in ARIA](https://aria.acme.example/risks/{risk_id})",
                "",
                f"ARIA risk id: {risk_id}",
            ]
        )
        labels = [by_name[n] for n in ("aria-risk", "security") if n in by_name]
        creator = data.users["aria"]
        priority = priority_for(score)
    else:
        title = gen.choice(TEAM_TITLES)
        description = "Chore for the team backlog."
        labels = [by_name["chore"]]
        creator = gen.choice(analysts)
        priority = gen.choice([0, 3, 4])
    issue_id = uid(seed, "issue", index)
    identifier = f"{team['key']}-{number}"
    issue = {
        "id": issue_id,
        "identifier": identifier,
        "number": number,
        "title": title,
        "description": description,
        "priority": priority,
        "priorityLabel": PRIORITY_LABELS[priority],
        "url": issue_url(identifier, title),
        "createdAt": stamp(created),
        "updatedAt": stamp(updated),
        "completedAt": stamp(updated) if state["type"] == "completed" else None,
        "canceledAt": stamp(updated) if state["type"] == "canceled" else None,
        "archivedAt": None,
        "stateId": state["id"],
        "teamId": team["id"],
        "labels": [{"id": lb["id"], "name": lb["name"]} for lb in labels],
        "assigneeId": assignee["id"] if assignee else None,
        "creatorId": creator["id"],
    }
    data.issues.append(issue)
    comments = []
    if assignee and gen.chance(0.7):
        comments.append(
            comment(
                uid(seed, "comment", index, 1),
                issue,
                assignee["id"],
                gen.choice(NOTES),
                updated,
            )
        )
    data.comments[issue_id] = comments


def issue_url(identifier: str, title: str) -> str:
    """``https://linear.app/<workspace>/issue/<identifier>/<slug>``."""
    words = "".join(c if c.isalnum() else " " for c in title.lower()).split()[:8]
    return f"https://linear.app/{ORG['urlKey']}/issue/{identifier.lower()}/{'-'.join(words)}"


def comment(
    comment_id: str, issue: dict[str, Any], user_id: str, body: str, at: datetime
) -> dict[str, Any]:
    """A stored comment."""
    return {
        "id": comment_id,
        "body": body,
        "issueId": issue["id"],
        "userId": user_id,
        "createdAt": stamp(at),
        "updatedAt": stamp(at),
        "url": f"{issue['url']}#comment-{comment_id[:8]}",
    }
