"""Synthetic Freshdesk data for the sandbox: tickets ARIA opened (tagged ``aria-risk`` and
``aria-risk-<id>``), tickets customers raised, the agents and contacts they reference, and
each ticket's conversations.

Tickets have the fields of the real list-tickets response in ``../shared/corpus`` (``id``,
``status``, ``priority``, ``source``, ``tags``, ``custom_fields``, ``fr_due_by``...). Each
ticket has its own seeded generator, and its update time grows with its index, so a bigger
sandbox with the same seed serves the same tickets plus newer ones. Ticket ids are sequential
as in Freshdesk: ARIA's tickets take even ids, the others odd ones.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from aria.sdk.sandbox import DataGen

WINDOW = timedelta(days=30)
STEP = timedelta(minutes=10)
FD_TIME = "%Y-%m-%dT%H:%M:%SZ"
ARIA_AGENT = 43000000101
REQUESTER = 43000000901
GROUP = 43000000501

# (id, name, email)
AGENTS: list[tuple[int, str, str]] = [
    (ARIA_AGENT, "ARIA Integration", "aria@acme.example"),
    (43000000102, "Priya Patel", "priya.patel@acme.example"),
    (43000000103, "Jonas Muller", "jonas.muller@acme.example"),
    (43000000104, "Amara Mensah", "amara.mensah@acme.example"),
]
ANALYSTS = AGENTS[1:]
STATUSES = [2, 2, 3, 3, 4, 4, 5]
RISKS = [
    ("Exposed RDP on internet-facing server", "T1133"),
    ("Unpatched Log4Shell (CVE-2021-44228) on application servers", "T1190"),
    ("Credential dumping from LSASS on finance workstations", "T1003.001"),
    ("Ransomware precursor activity on file server", "T1486"),
    ("Phishing campaign targeting payroll", "T1566.001"),
    ("Stale admin accounts with no MFA", "T1078"),
    ("Outdated OpenSSL on edge proxies", "T1190"),
    ("Disabled EDR sensor on critical servers", "T1562.001"),
]
CUSTOMER_SUBJECTS = [
    "Cannot log in to the portal",
    "Invoice shows the wrong amount",
    "How do I export my data?",
    "Feature request: dark mode",
    "Password reset e-mail not received",
]
NOTES = [
    (True, "Investigating with the infrastructure team."),
    (True, "Patch scheduled for Saturday's maintenance window."),
    (False, "Could you confirm which servers are affected?"),
    (True, "Blocked at the firewall as a compensating control."),
]


def stamp(moment: datetime) -> str:
    """Freshdesk's times: UTC ISO 8601 with ``Z``, second precision."""
    return moment.strftime(FD_TIME)


def _gen(seed: int, kind: int, index: int, now: datetime) -> DataGen:
    return DataGen(seed * 1_000_003 + kind * 100_003 + index, now=now)


@dataclass
class FreshdeskData:
    """The helpdesk behind one sandbox."""

    now: datetime
    tickets: list[dict[str, Any]] = field(default_factory=list)
    conversations: list[dict[str, Any]] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        """Tickets the list API serves (the tickets stream reads them all, keeps ARIA's)."""
        return {"tickets": len(self.tickets)}


def counts_for(size: int) -> dict[str, int]:
    """Records per stream in a sandbox of ``size``: ``size`` ARIA tickets and ``size // 4``
    customer tickets, all of which the list API returns."""
    return {"tickets": size + size // 4}


def _ticket(ticket_id: int, created: datetime, updated: datetime) -> dict[str, Any]:
    """Every field the list API returns, with Freshdesk's defaults."""
    return {
        "cc_emails": [],
        "fwd_emails": [],
        "reply_cc_emails": [],
        "ticket_cc_emails": [],
        "fr_escalated": False,
        "spam": False,
        "email_config_id": None,
        "group_id": None,
        "priority": 1,
        "requester_id": REQUESTER,
        "responder_id": None,
        "source": 2,
        "company_id": None,
        "status": 2,
        "subject": "",
        "association_type": None,
        "support_email": None,
        "to_emails": None,
        "product_id": None,
        "id": ticket_id,
        "type": None,
        "due_by": stamp(created + timedelta(days=3)),
        "fr_due_by": stamp(created + timedelta(days=1)),
        "is_escalated": False,
        "custom_fields": {},
        "created_at": stamp(created),
        "updated_at": stamp(updated),
        "associated_tickets_count": None,
        "tags": [],
        "nr_due_by": None,
        "nr_escalated": False,
        # Returned only with include=description (see the sandbox).
        "description": "",
        "description_text": "",
    }


def conversation(
    conv_id: int, ticket_id: int, body: str, *, agent: int, private: bool, at: str
) -> dict[str, Any]:
    """A note (private) or a public reply, as GET /tickets/{id}/conversations returns it."""
    return {
        "body": f"<div>{body}</div>",
        "body_text": body,
        "id": conv_id,
        "incoming": False,
        "private": private,
        "user_id": agent,
        "support_email": None if private else "support@acme.example",
        "source": 2 if private else 0,
        "category": 2 if private else 3,
        "ticket_id": ticket_id,
        "to_emails": [] if private else ["security-alerts@acme.example"],
        "from_email": None if private else "support@acme.example",
        "cc_emails": [],
        "bcc_emails": None,
        "attachments": [],
        "created_at": at,
        "updated_at": at,
        "last_edited_at": None,
        "last_edited_user_id": None,
        "auto_response": False,
        "source_additional_info": None,
    }


def aria_ticket(seed: int, index: int, now: datetime) -> tuple[dict[str, Any], list[Any]]:
    """Ticket ``index`` that ARIA opened for risk ``2000 + index``, and its conversations."""
    gen = _gen(seed, 1, index, now)
    updated = now - WINDOW + STEP * index + timedelta(seconds=300 + gen.integer(0, 299))
    created = updated - timedelta(minutes=gen.integer(5, 3 * 24 * 60))
    ticket_id = 1000 + 2 * index
    record = _ticket(ticket_id, created, updated)
    risk = 2000 + index
    title, technique = RISKS[index % len(RISKS)]
    likelihood, impact = gen.integer(1, 5), gen.integer(1, 5)
    score = likelihood * impact
    text = (
        f"{title}\n\nRisk score: {score} (likelihood {likelihood}, impact {impact})\n"
        f"MITRE ATT&CK technique: {technique}\nARIA risk id: {risk}"
    )
    status = gen.choice(STATUSES)
    analyst = gen.choice(ANALYSTS)
    record.update(
        subject=f"[ARIA risk {risk}] {title}",
        description="<div>" + text.replace("\n", "<br>") + "</div>",
        description_text=text,
        priority=4 if score >= 20 else 3 if score >= 12 else 2 if score >= 6 else 1,
        status=status,
        group_id=GROUP,
        responder_id=analyst[0] if status != 2 else None,
        tags=["aria-risk", f"aria-risk-{risk}"],
    )
    entries = []
    span = max(1, int((updated - created).total_seconds()))
    for number in range(gen.integer(0, 3) if status != 2 else 0):
        private, body = gen.choice(NOTES)
        at = created + timedelta(seconds=gen.integer(1, span))
        conv_id = 43_000_000_000 + ticket_id * 10 + number
        entries.append(
            conversation(conv_id, ticket_id, body, agent=analyst[0], private=private, at=stamp(at))
        )
    return record, entries


def customer_ticket(seed: int, index: int, now: datetime) -> dict[str, Any]:
    """A ticket a customer raised (no ARIA tags): the tickets stream reads and drops it."""
    gen = _gen(seed, 2, index, now)
    updated = now - WINDOW + STEP * 4 * index + timedelta(seconds=gen.integer(0, 599))
    created = updated - timedelta(minutes=gen.integer(5, 600))
    record = _ticket(1001 + 8 * index, created, updated)
    subject = gen.choice(CUSTOMER_SUBJECTS)
    record.update(
        subject=subject,
        description=f"<div>{subject}</div>",
        description_text=subject,
        source=gen.choice([1, 2, 3, 7]),
        status=gen.choice([2, 3, 4]),
        requester_id=REQUESTER + 1 + index,
        tags=gen.choice([[], ["billing"], ["login", "portal"]]),
    )
    return record


def generate(seed: int, size: int, now: datetime) -> FreshdeskData:
    """``size`` ARIA tickets and ``size // 4`` customer tickets, with conversations."""
    data = FreshdeskData(now=now)
    for index in range(size):
        record, entries = aria_ticket(seed, index, now)
        data.tickets.append(record)
        data.conversations.extend(entries)
    data.tickets.extend(customer_ticket(seed, index, now) for index in range(size // 4))
    return data
