"""Synthetic Zendesk Support data for the sandbox, shaped like the real API.

Tickets carry the fields of the real ``GET /api/v2/tickets/{id}.json`` and incremental export
samples in ``../shared/corpus/vendor-api/zendesk`` (``via``, ``custom_fields``/``fields``,
``follower_ids``, ``generated_timestamp``...). Four in five tickets are ones ARIA opened
(subject ``[ARIA risk N] ...``, tags ``aria-risk`` and ``aria-risk-N``, external id
``aria-risk-N``, submitted through the API by ARIA's agent); the rest are ordinary customer
tickets the tickets stream must skip. Ticket *j* is the same in every sandbox with the seed,
and its times grow with *j*, so a bigger sandbox serves the same tickets plus newer ones.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from aria.sdk.sandbox import DataGen

HOST = "https://aria-demo.zendesk.com"
START_ID = 1001
STEP = timedelta(minutes=30)
WINDOW = timedelta(days=30)
ACCOUNT_ID = 18273645
BRAND_ID = 4678483693579
TICKET_FORM_ID = 5589325233878
CUSTOM_FIELD_IDS = (5589268790389, 5589315926334, 5589325233835)
GROUPS = {4678483739819: "Security Operations", 4678483739820: "IT Support"}
SECOPS_GROUP = 4678483739819

ARIA_USER_ID = 9001
ANALYST_ID = 9002
AGENT_IDS = (9003, 9004, 9005)

RISK_TITLES = (
    "Ransomware behaviour on a finance workstation",
    "Exposed RDP on an internet-facing server",
    "Credential dumping from LSASS",
    "Unpatched critical CVE on the VPN gateway",
    "Suspicious OAuth consent to an unknown app",
    "Public S3 bucket with customer exports",
    "Impossible travel sign-in for an admin",
    "Outdated TLS on the payment API",
    "Malware beaconing to a known C2 domain",
    "Domain admin added outside change window",
)
CUSTOMER_SUBJECTS = (
    "Printer on the third floor is offline",
    "Cannot log in to the expenses portal",
    "Request for a second monitor",
    "VPN disconnects every few minutes",
    "Shared mailbox access for the sales team",
)
AGENT_NOTES = (
    "Isolated the host and opened a change to reimage it.",
    "Waiting for the server owner to confirm the maintenance window.",
    "Patch scheduled for the next maintenance window.",
    "Confirmed with the user; credentials reset and MFA re-enrolled.",
    "Firewall rule tightened; monitoring for a week before closing.",
)
STATUS_WEIGHTS = {"new": 2, "open": 4, "pending": 2, "hold": 1, "solved": 2, "closed": 1}


def is_aria_index(index: int) -> bool:
    """Ticket ``index`` (0-based) is one ARIA opened; every fifth is a customer ticket."""
    return index % 5 != 4


def total_tickets(size: int) -> int:
    """How many tickets a sandbox of ``size`` holds, so that ``size`` of them are ARIA's."""
    total = 0
    aria = 0
    while aria < size:
        aria += is_aria_index(total)
        total += 1
    return total


def stamp(moment: datetime) -> str:
    """Zendesk's time format: ``2022-08-25T20:36:36Z``."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def priority_for(score: int) -> str:
    """The priority ARIA gives a risk score (as the integration does)."""
    if score >= 20:
        return "urgent"
    if score >= 12:
        return "high"
    if score >= 6:
        return "normal"
    return "low"


@dataclass
class ZendeskData:
    """The account behind one sandbox: users, tickets and their comments."""

    now: datetime
    users: dict[int, dict[str, Any]]
    tickets: list[dict[str, Any]] = field(default_factory=list)
    comments: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    next_comment_id: int = 40_000_000_000
    next_audit_id: int = 50_000_000_000

    def aria_count(self) -> int:
        """Tickets the tickets stream serves (the ones tagged aria-risk)."""
        return sum(1 for t in self.tickets if "aria-risk" in t["tags"])

    def comment_id(self) -> int:
        """A fresh comment id."""
        self.next_comment_id += 1
        return self.next_comment_id

    def audit_id(self) -> int:
        """A fresh audit id."""
        self.next_audit_id += 1
        return self.next_audit_id


def _user(uid: int, name: str, email: str, role: str, now: datetime) -> dict[str, Any]:
    return {
        "id": uid,
        "url": f"{HOST}/api/v2/users/{uid}.json",
        "name": name,
        "email": email,
        "created_at": stamp(now - timedelta(days=400)),
        "updated_at": stamp(now - timedelta(days=3)),
        "time_zone": "UTC",
        "iana_time_zone": "Etc/UTC",
        "locale": "en-US",
        "locale_id": 1,
        "organization_id": None,
        "role": role,
        "role_type": None,
        "custom_role_id": None,
        "moderator": role == "admin",
        "ticket_restriction": None if role != "end-user" else "requested",
        "only_private_comments": False,
        "restricted_agent": role == "agent",
        "suspended": False,
        "default_group_id": SECOPS_GROUP if role != "end-user" else None,
        "active": True,
        "verified": True,
        "shared": False,
        "two_factor_auth_enabled": role != "end-user",
    }


def users(now: datetime) -> dict[int, dict[str, Any]]:
    """ARIA's admin agent, an analyst agent, more agents and the customers' end users."""
    out = {
        ARIA_USER_ID: _user(ARIA_USER_ID, "ARIA Integration", "aria@acme.example", "admin", now),
        ANALYST_ID: _user(ANALYST_ID, "Priya Patel", "ppatel@acme.example", "agent", now),
    }
    for uid in AGENT_IDS:
        gen = DataGen(uid, now=now)
        first, last = gen.first_last()
        out[uid] = _user(uid, f"{first} {last}".title(), gen.email(), "agent", now)
    for uid in range(9100, 9110):
        gen = DataGen(uid, now=now)
        first, last = gen.first_last()
        out[uid] = _user(uid, f"{first} {last}".title(), gen.email(), "end-user", now)
    return out


def _ticket(seed: int, index: int, now: datetime) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    gen = DataGen(seed * 1_000_003 + index, now=now)
    created = now - WINDOW + index * STEP + timedelta(seconds=gen.integer(0, 600))
    updated = created + timedelta(seconds=gen.integer(60, 900))
    ticket_id = START_ID + index
    aria = is_aria_index(index)
    statuses = list(STATUS_WEIGHTS)
    status = gen.weighted(statuses, [STATUS_WEIGHTS[s] for s in statuses])
    assignee = gen.choice(AGENT_IDS) if status != "new" else None
    if aria:
        risk_id = 100 + index
        score = gen.integer(1, 25)
        title = gen.choice(RISK_TITLES)
        host = gen.hostname()
        subject = f"[ARIA risk {risk_id}] {title}"
        description = "\n".join(
            [
                f"{title} on {host}.",
                "",
                f"Risk score: {score} (likelihood {min(5, 1 + score // 5)}, impact "
                f"{max(1, min(5, score // 4))})",
                f"Open in ARIA: https://aria.acme.example/risks/{risk_id}",
                f"ARIA risk id: {risk_id}",
            ]
        )
        requester = submitter = ARIA_USER_ID
        tags = ["aria-risk", f"aria-risk-{risk_id}", "security"]
        external_id: str | None = f"aria-risk-{risk_id}"
        priority: str | None = priority_for(score)
        via = {"channel": "api", "source": {"from": {}, "to": {}, "rel": None}}
        group = SECOPS_GROUP
        kind: str | None = "task"
    else:
        subject = gen.choice(CUSTOMER_SUBJECTS)
        description = f"{subject}. Can someone help? Thanks."
        requester = submitter = 9100 + gen.integer(0, 9)
        tags = ["it_request"]
        external_id = None
        priority = gen.choice(["low", "normal", None])
        via = {"channel": "web", "source": {"from": {}, "to": {}, "rel": None}}
        group = 4678483739820
        kind = None
    fields = [{"id": fid, "value": None} for fid in CUSTOM_FIELD_IDS]
    ticket: dict[str, Any] = {
        "url": f"{HOST}/api/v2/tickets/{ticket_id}.json",
        "id": ticket_id,
        "external_id": external_id,
        "via": via,
        "created_at": stamp(created),
        "updated_at": stamp(updated),
        "type": kind,
        "subject": subject,
        "raw_subject": subject,
        "description": description,
        "priority": priority,
        "status": status,
        "recipient": None,
        "requester_id": requester,
        "submitter_id": submitter,
        "assignee_id": assignee,
        "organization_id": None,
        "group_id": group,
        "collaborator_ids": [],
        "follower_ids": [assignee] if assignee else [],
        "email_cc_ids": [],
        "forum_topic_id": None,
        "problem_id": None,
        "has_incidents": False,
        "is_public": True,
        "due_at": None,
        "tags": tags,
        "custom_fields": [dict(f) for f in fields],
        "satisfaction_rating": None,
        "sharing_agreement_ids": [],
        "fields": fields,
        "followup_ids": [],
        "ticket_form_id": TICKET_FORM_ID,
        "brand_id": BRAND_ID,
        "allow_channelback": False,
        "allow_attachments": True,
        "from_messaging_channel": False,
    }
    comments = [
        comment(
            ticket_id * 100 + 1,
            submitter,
            description,
            public=True,
            channel=via["channel"],
            at=created,
        )
    ]
    if assignee and gen.chance(0.6):
        comments.append(
            comment(
                ticket_id * 100 + 2,
                assignee,
                gen.choice(AGENT_NOTES),
                public=False,
                channel="web",
                at=updated,
            )
        )
    return ticket, comments


def comment(
    cid: int, author: int, body: str, *, public: bool, channel: str, at: datetime
) -> dict[str, Any]:
    """A ticket comment as ``GET /api/v2/tickets/{id}/comments.json`` lists it."""
    return {
        "id": cid,
        "type": "Comment",
        "author_id": author,
        "body": body,
        "html_body": "".join(f"<p>{line}</p>" for line in body.splitlines() if line),
        "plain_body": body,
        "public": public,
        "attachments": [],
        "audit_id": cid + 7,
        "via": {"channel": channel, "source": {"from": {}, "to": {}, "rel": None}},
        "created_at": stamp(at),
        "metadata": {"system": {"client": "ARIA" if channel == "api" else "Mozilla/5.0"}},
    }


def generate(seed: int, size: int, now: datetime) -> ZendeskData:
    """An account whose tickets stream serves ``size`` ARIA tickets (plus customer tickets)."""
    data = ZendeskData(now=now, users=users(now))
    for index in range(total_tickets(size)):
        ticket, comments = _ticket(seed, index, now)
        data.tickets.append(ticket)
        data.comments[ticket["id"]] = comments
    return data


__all__ = [
    "ARIA_USER_ID",
    "HOST",
    "ZendeskData",
    "comment",
    "generate",
    "stamp",
    "total_tickets",
]
