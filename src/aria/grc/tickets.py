"""Ticket state flowing back: a synced (or webhooked) ``Ticket`` moves the risk it was opened
for. "Done" in Jira closes the risk and says why; reopening the ticket reopens the risk.

Tickets are matched to risks by (installation, vendor key or id) through ``risk_tickets``;
a ticket that names its risk (``risk_id``, e.g. from an ``aria-risk-<id>`` label) but was never
linked (a crash between the vendor's create and our commit) is linked on first sight, unless
the ticket is older than the risk (then it was not opened for it: demo data, another ARIA).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from aria.grc import models
from aria.grc.events import LifecycleEvent
from aria.grc.store import Source
from aria.sdk.records import Ticket

MAX_COMMENTS = 50
CLOCK_SKEW = timedelta(minutes=5)  # between the vendor's clock and ours


def apply(
    session: Session, *, source: Source, tickets: Sequence[Ticket], now: datetime
) -> list[LifecycleEvent]:
    """Store each ticket's state on its link and move the linked risk; returns risk events."""
    events: list[LifecycleEvent] = []
    for ticket in tickets:
        link = _link_for(session, source, ticket)
        if link is None:
            continue
        link.state = ticket.state or link.state
        link.risk_status = ticket.risk_status
        link.synced_at = now
        if ticket.comments:
            link.comments = merge_comments(
                link.comments,
                [c.model_dump(mode="json", exclude_none=True) for c in ticket.comments],
            )
        risk = session.get(models.Risk, link.risk_id)
        if risk is None or ticket.risk_status is None or ticket.risk_status == risk.status:
            continue
        kind = _move(risk, ticket, link, source.integration_key, now)
        events.append(
            LifecycleEvent(
                kind=kind,
                entity="risk",
                record_id=risk.id,
                organization_id=source.organization_id,
                installation_id=source.installation_id,
                severity_id=0,
                status_id=4 if risk.status == "closed" else 1,
            )
        )
    session.flush()
    return events


def merge_comments(
    stored: list[dict[str, Any]], incoming: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Stored comments plus new ones, by vendor id (or body and time when a vendor gives none):
    a sync carries every comment, a webhook only the new one, and neither may shrink the list."""

    def key(comment: dict[str, Any]) -> tuple[Any, ...]:
        uid = comment.get("uid")
        return ("uid", uid) if uid else ("text", comment.get("body"), comment.get("created_at"))

    merged = {key(c): c for c in stored}
    for comment in incoming:
        merged[key(comment)] = comment
    return list(merged.values())[-MAX_COMMENTS:]


def _link_for(session: Session, source: Source, ticket: Ticket) -> models.RiskTicket | None:
    ids = [i for i in (ticket.key, ticket.source_uid) if i]
    if not ids:
        return None
    link = session.scalars(
        select(models.RiskTicket).where(
            models.RiskTicket.installation_id == source.installation_id,
            or_(*(models.RiskTicket.external_id == i for i in ids)),
        )
    ).first()
    if link is not None or ticket.risk_id is None:
        return link
    risk = session.get(models.Risk, ticket.risk_id)
    if risk is None or risk.organization_id != source.organization_id:
        return None  # a label naming another organization's risk links nothing
    if any(t.installation_id == source.installation_id for t in risk.tickets):
        return None  # the risk already has another ticket here; keep that one
    if ticket.created_at is None or ticket.created_at < risk.created_at - CLOCK_SKEW:
        return None  # a ticket older than the risk was not opened for it (e.g. demo data)
    link = models.RiskTicket(
        organization_id=source.organization_id,
        risk_id=risk.id,
        installation_id=source.installation_id,
        integration_key=source.integration_key,
        external_id=ids[0],
        url=ticket.url,
        comments=[],
    )
    risk.tickets.append(link)
    return link


def _move(
    risk: models.Risk,
    ticket: Ticket,
    link: models.RiskTicket,
    integration_key: str,
    now: datetime,
) -> str:
    """Apply the ticket's risk status; the lifecycle kind of the change."""
    previous = risk.status
    risk.status = ticket.risk_status or previous
    risk.updated_at = now
    where = f"ticket {link.external_id} is {ticket.state!r} in {integration_key}"
    if risk.status == "closed":
        risk.closed_at = now
        risk.status_reason = f"Closed because {where}"
        return "resolved"
    risk.closed_at = None
    risk.status_reason = f"{'Reopened' if previous == 'closed' else 'Updated'} because {where}"
    return "reopened" if previous == "closed" else "updated"
