"""Synthetic Jira Cloud data for the sandbox, shaped like REST API v3 issues.

A site with two projects: ``SEC`` (Security Risks), where ARIA files its tickets, and ``OPS``.
For a sandbox of ``size``:

* ``size`` issues in SEC labelled ``aria-risk`` and ``aria-risk-<id>`` (the tickets stream
  reads exactly these), keys SEC-1, SEC-3, SEC-5...;
* ``size // 4`` SEC issues without the label (keys SEC-2, SEC-4...), which the label filter
  must leave out;
* ``size // 10`` OPS issues that do carry ``aria-risk`` (another project's tickets), which the
  project filter must leave out.

Every issue is generated from its own seeded generator and its ``updated`` time grows with its
index, so a larger sandbox serves the same issues plus newer ones. Timestamps use Jira's
``2025-06-01T10:00:00.000+0000`` form; descriptions and comment bodies are ADF.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from aria.integrations.jira import adf
from aria.integrations.jira.normalize import ARIA_FOOTER
from aria.sdk import ticketing
from aria.sdk.sandbox import DataGen

SITE = "https://aria-demo.atlassian.net"
NOW = datetime(2025, 6, 2, 12, 0, tzinfo=UTC)
EPOCH = NOW - timedelta(days=45)  # the oldest issue's last update
STEP = timedelta(minutes=7)  # updated time of issue i is EPOCH + i * STEP (+ < STEP)
FIRST_RISK_ID = 1000

ACCOUNT = {
    "accountId": "712020:5f0c1a2b-aria-4d7e-9c1f-000000000001",
    "displayName": "ARIA Integration",
    "emailAddress": "aria-bot@acme.example",
}
CATEGORIES: dict[str, dict[str, Any]] = {
    "new": {"id": 2, "key": "new", "colorName": "blue-gray", "name": "To Do"},
    "indeterminate": {
        "id": 4,
        "key": "indeterminate",
        "colorName": "yellow",
        "name": "In Progress",
    },
    "done": {"id": 3, "key": "done", "colorName": "green", "name": "Done"},
}
# (status id, name, category key, description)
STATUSES: tuple[tuple[str, str, str, str], ...] = (
    ("10000", "To Do", "new", "Work that has not been started."),
    ("3", "In Progress", "indeterminate", "This issue is being actively worked on."),
    ("10002", "In Review", "indeterminate", "Waiting for a second pair of eyes."),
    ("10001", "Done", "done", "Work that is finished."),
    ("10003", "Won't Do", "done", "Accepted or not going to be fixed."),
)
# The project workflow: every status is reachable from every other (global transitions).
# Transition names differ from status names on purpose, as they do in real workflows.
TRANSITIONS: tuple[tuple[str, str, str], ...] = (
    ("11", "Back to to do", "To Do"),
    ("21", "Start progress", "In Progress"),
    ("41", "Request review", "In Review"),
    ("31", "Resolve", "Done"),
    ("51", "Won't fix", "Won't Do"),
)
PRIORITIES: tuple[tuple[str, str], ...] = (
    ("1", "Highest"),
    ("2", "High"),
    ("3", "Medium"),
    ("4", "Low"),
    ("5", "Lowest"),
)
ISSUE_TYPES: tuple[tuple[str, str, str], ...] = (
    ("10001", "Task", "A small, distinct piece of work."),
    ("10002", "Bug", "A problem or error."),
    ("10003", "Story", "A requirement expressed from the perspective of the user."),
)
PROJECTS: tuple[tuple[str, str, str], ...] = (
    ("10000", "SEC", "Security Risks"),
    ("10010", "OPS", "IT Operations"),
)
RISKS = (
    "Unpatched {cve} on {host}",
    "Internet-exposed RDP on {host}",
    "Credential stuffing against {user}",
    "Ransomware precursor activity on {host}",
    "Stale privileged account {user}",
    "Malware beaconing from {host}",
    "Weak TLS configuration on {host}",
    "Suspicious OAuth consent by {user}",
)
OTHER_WORK = (
    "Rotate backup encryption keys",
    "Phishing simulation for {user}",
    "Review firewall change request for {host}",
    "Decommission {host}",
)


def jira_time(moment: datetime) -> str:
    """Jira's timestamp form: ``2025-06-01T10:00:00.000+0000``."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + (
        f"{moment.microsecond // 1000:03d}+0000"
    )


def generator(seed: int, kind: str, index: int) -> DataGen:
    """The generator of one record: the same record in every sandbox with this seed."""
    digest = hashlib.sha256(f"{seed}:{kind}:{index}".encode()).digest()
    return DataGen(int.from_bytes(digest[:8], "big"), now=NOW)


def status(name: str) -> dict[str, Any]:
    """A status object as issues carry it (with its category)."""
    sid, label, category, description = next(s for s in STATUSES if s[1] == name)
    cat = CATEGORIES[category]
    return {
        "self": f"{SITE}/rest/api/3/status/{sid}",
        "description": description,
        "iconUrl": f"{SITE}/images/icons/statuses/generic.png",
        "name": label,
        "id": sid,
        "statusCategory": {"self": f"{SITE}/rest/api/3/statuscategory/{cat['id']}", **cat},
    }


def priority(name: str) -> dict[str, Any]:
    """A priority object."""
    pid = next(p for p, label in PRIORITIES if label == name)
    return {
        "self": f"{SITE}/rest/api/3/priority/{pid}",
        "iconUrl": f"{SITE}/images/icons/priorities/{name.lower()}.svg",
        "name": name,
        "id": pid,
    }


def issue_type(name: str) -> dict[str, Any] | None:
    """An issue type object, or None when the site has no such type."""
    for tid, label, description in ISSUE_TYPES:
        if label.casefold() == name.casefold():
            return {
                "self": f"{SITE}/rest/api/3/issuetype/{tid}",
                "id": tid,
                "description": description,
                "iconUrl": f"{SITE}/images/icons/issuetypes/{label.lower()}.svg",
                "name": label,
                "subtask": False,
                "hierarchyLevel": 0,
            }
    return None


def project(key: str) -> dict[str, Any] | None:
    """A project reference as issues carry it."""
    for pid, pkey, name in PROJECTS:
        if pkey == key.upper() or pid == key:
            return {
                "self": f"{SITE}/rest/api/3/project/{pid}",
                "id": pid,
                "key": pkey,
                "name": name,
                "projectTypeKey": "software",
                "simplified": False,
            }
    return None


def user(gen: DataGen) -> dict[str, Any]:
    """A person (an analyst) as issues and comments carry them."""
    first, last = gen.first_last()
    return {
        "self": f"{SITE}/rest/api/3/user?accountId=712020:{gen.uuid()}",
        "accountId": f"712020:{gen.uuid()}",
        "emailAddress": f"{first}.{last}@acme.example",
        "displayName": f"{first.title()} {last.title()}",
        "active": True,
        "timeZone": "UTC",
        "accountType": "atlassian",
    }


def aria_user() -> dict[str, Any]:
    """The demo integration account (the one the sandbox credentials sign in as)."""
    return {
        "self": f"{SITE}/rest/api/3/user?accountId={ACCOUNT['accountId']}",
        **ACCOUNT,
        "active": True,
        "timeZone": "UTC",
        "accountType": "atlassian",
    }


def comment(
    issue_id: str,
    comment_id: str,
    body: dict[str, Any],
    author: dict[str, Any],
    moment: datetime,
) -> dict[str, Any]:
    """A comment as ``fields.comment.comments`` lists it."""
    return {
        "self": f"{SITE}/rest/api/3/issue/{issue_id}/comment/{comment_id}",
        "id": comment_id,
        "author": author,
        "body": body,
        "updateAuthor": author,
        "created": jira_time(moment),
        "updated": jira_time(moment),
        "jsdPublic": True,
    }


def comment_page(issue_id: str, comments: list[dict[str, Any]]) -> dict[str, Any]:
    """``fields.comment``: the comments and their paging."""
    return {
        "comments": comments,
        "self": f"{SITE}/rest/api/3/issue/{issue_id}/comment",
        "maxResults": len(comments),
        "total": len(comments),
        "startAt": 0,
    }


def issue(
    *,
    issue_id: str,
    key: str,
    project_key: str,
    summary: str,
    description: dict[str, Any] | None,
    status_name: str,
    priority_name: str | None,
    type_name: str,
    labels: list[str],
    created: datetime,
    updated: datetime,
    reporter: dict[str, Any],
    assignee: dict[str, Any] | None,
    comments: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """One issue in REST v3 shape (the navigable fields ARIA and the demo use)."""
    state = status(status_name)
    done = state["statusCategory"]["key"] == "done"
    return {
        "expand": "renderedFields,names,schema,operations,editmeta,changelog,"
        "versionedRepresentations",
        "id": issue_id,
        "self": f"{SITE}/rest/api/3/issue/{issue_id}",
        "key": key,
        "fields": {
            "summary": summary,
            "description": description,
            "status": state,
            "priority": priority(priority_name) if priority_name else None,
            "issuetype": issue_type(type_name),
            "project": project(project_key),
            "labels": list(labels),
            "created": jira_time(created),
            "updated": jira_time(updated),
            "statuscategorychangedate": jira_time(updated),
            "resolution": {"id": "10000", "name": "Done"} if done else None,
            "resolutiondate": jira_time(updated) if done else None,
            "reporter": reporter,
            "creator": reporter,
            "assignee": assignee,
            "comment": comment_page(issue_id, list(comments or [])),
        },
    }


@dataclass
class JiraData:
    """The site behind one sandbox: its issues (mutable) and the fixed clock."""

    issues: list[dict[str, Any]] = field(default_factory=list)
    now: datetime = NOW


def counts_for(size: int) -> dict[str, int]:
    """Records each stream serves in a sandbox of ``size``."""
    return {"tickets": size}


def generate(seed: int, size: int) -> JiraData:
    """The issues of a sandbox of ``size``, sorted by id."""
    issues = [aria_issue(seed, i) for i in range(size)]
    issues += [unlabelled_issue(seed, j) for j in range(size // 4)]
    issues += [other_project_issue(seed, j) for j in range(size // 10)]
    issues.sort(key=lambda i: int(i["id"]))
    return JiraData(issues=issues)


def _updated(gen: DataGen, index: int) -> datetime:
    jitter = timedelta(seconds=gen.integer(0, int(STEP.total_seconds()) - 1))
    return EPOCH + index * STEP + jitter + timedelta(milliseconds=gen.integer(0, 999))


def _title(gen: DataGen, templates: tuple[str, ...]) -> str:
    return gen.choice(templates).format(cve=gen.cve(), host=gen.hostname(), user=gen.username())


def aria_issue(seed: int, index: int) -> dict[str, Any]:
    """Issue ``index`` of the ones ARIA opened: key SEC-(2*index+1), risk 1000+index."""
    gen = generator(seed, "aria", index)
    risk_id = FIRST_RISK_ID + index
    number = 2 * index + 1
    issue_id = str(10000 + number)
    updated = _updated(gen, index)
    created = updated - timedelta(minutes=gen.integer(30, 20 * 24 * 60))
    score = gen.integer(1, 25)
    title = _title(gen, RISKS)
    payload = {"risk_id": risk_id, "title": title, "score": score, "description": title}
    payload.update(likelihood=gen.integer(1, 5), impact=gen.integer(1, 5))
    name = gen.weighted([s[1] for s in STATUSES], [0.3, 0.25, 0.1, 0.3, 0.05])
    analyst = user(gen)
    notes = []
    if gen.chance(0.6):
        moment = created + (updated - created) / 3
        body = adf.document("Risk raised in ARIA; triage requested.", footer=ARIA_FOOTER)
        notes.append(comment(issue_id, str(20000 + 10 * index), body, aria_user(), moment))
    if gen.chance(0.5):
        moment = created + 2 * (updated - created) / 3
        text = gen.choice(
            [
                "Patch scheduled for the next maintenance window.",
                "Confirmed with the asset owner, working on it.",
                "Accepted as a known exception until the migration.",
            ]
        )
        notes.append(
            comment(issue_id, str(20000 + 10 * index + 1), adf.document(text), analyst, moment)
        )
    return issue(
        issue_id=issue_id,
        key=f"SEC-{number}",
        project_key="SEC",
        summary=ticketing.ticket_title(payload),
        description=adf.document(ticketing.ticket_description(payload)),
        status_name=name,
        priority_name=gen.choice([p[1] for p in PRIORITIES[:4]]),
        type_name="Task",
        labels=[ticketing.ARIA_LABEL, f"{ticketing.ARIA_LABEL}-{risk_id}"],
        created=created,
        updated=updated,
        reporter=aria_user(),
        assignee=analyst if name != "To Do" else None,
        comments=notes,
    )


def unlabelled_issue(seed: int, index: int) -> dict[str, Any]:
    """SEC work ARIA did not open: key SEC-(2*index+2), no aria-risk label."""
    gen = generator(seed, "sec-other", index)
    number = 2 * index + 2
    updated = _updated(gen, 4 * index)
    reporter = user(gen)
    return issue(
        issue_id=str(10000 + number),
        key=f"SEC-{number}",
        project_key="SEC",
        summary=_title(gen, OTHER_WORK),
        description=adf.document("Raised by the security team."),
        status_name=gen.choice([s[1] for s in STATUSES]),
        priority_name=gen.choice([p[1] for p in PRIORITIES]),
        type_name=gen.choice(["Task", "Story"]),
        labels=[gen.choice(["phishing", "hardening", "audit"])],
        created=updated - timedelta(days=gen.integer(1, 10)),
        updated=updated,
        reporter=reporter,
        assignee=reporter if gen.chance(0.5) else None,
    )


def other_project_issue(seed: int, index: int) -> dict[str, Any]:
    """An OPS issue that carries aria-risk labels (another installation's project)."""
    gen = generator(seed, "ops", index)
    risk_id = 900_000 + index
    updated = _updated(gen, 10 * index)
    reporter = user(gen)
    return issue(
        issue_id=str(50000 + index),
        key=f"OPS-{index + 1}",
        project_key="OPS",
        summary=ticketing.ticket_title({"risk_id": risk_id, "title": _title(gen, RISKS)}),
        description=None,
        status_name=gen.choice(["To Do", "In Progress", "Done"]),
        priority_name="Medium",
        type_name="Task",
        labels=[ticketing.ARIA_LABEL, f"{ticketing.ARIA_LABEL}-{risk_id}"],
        created=updated - timedelta(days=1),
        updated=updated,
        reporter=reporter,
        assignee=None,
    )
