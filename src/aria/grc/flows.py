"""Push-out: risks that were created, reopened or closed go to every enabled installation in
the organization whose integration accepts pushes, through the queue with retries.

Ticketing systems get ``kind="ticket"``: the vendor's ticket is stored as a ``RiskTicket`` so
later pushes move that ticket instead of opening another, and its state flows back on sync
(``aria.grc.tickets``). SIEMs get ``kind="event"``: the change is forwarded as an event.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from aria.asyncbridge import run_async
from aria.catalog.models import CatalogEntry
from aria.db.engine import transaction
from aria.db.types import utcnow
from aria.grc import models
from aria.grc.risks import Outcome
from aria.installs import activity, flows
from aria.installs.models import Installation
from aria.runtime import Runtime
from aria.sdk import PushRequest, PushResult, TransientError

log = logging.getLogger(__name__)

EnqueuePush = Callable[[uuid.UUID, int, str], None]
ACTIONS = {"created": "open", "reopened": "reopen", "closed": "close"}


def push_targets(session: Session, organization_id: uuid.UUID) -> list[uuid.UUID]:
    """Enabled installations of the organization whose integration has the push capability."""
    rows = session.execute(
        select(Installation.id, CatalogEntry.capabilities)
        .join(CatalogEntry, CatalogEntry.id == Installation.integration_id)
        .where(Installation.organization_id == organization_id, Installation.status == "enabled")
    ).all()
    return [installation_id for installation_id, capabilities in rows if "push" in capabilities]


def dispatch(
    session: Session, *, organization_id: uuid.UUID, outcome: Outcome, enqueue: EnqueuePush
) -> int:
    """Enqueue one push per (target installation, changed risk); call after commit."""
    changed = [(risk_id, ACTIONS[kind]) for kind, ids in outcome.changed.items() for risk_id in ids]
    if not changed:
        return 0
    targets = push_targets(session, organization_id)
    for installation_id in targets:
        for risk_id, action in changed:
            enqueue(installation_id, risk_id, action)
    return len(targets) * len(changed)


def risk_findings(session: Session, risk_id: int) -> list[dict[str, Any]]:
    """The findings behind a risk, as vendor ids an integration can act on (e.g. resolve the
    alert in the EDR that raised it)."""
    rows = session.execute(
        select(models.Finding.uid, models.Finding.integration_key, models.Finding.installation_id)
        .join(models.RiskFinding, models.RiskFinding.finding_id == models.Finding.id)
        .where(models.RiskFinding.risk_id == risk_id)
    ).all()
    return [
        {
            "source_uid": uid,
            "integration_key": key,
            "installation_id": str(installation) if installation else None,
        }
        for uid, key, installation in rows
    ]


def push_kind(category: str) -> str:
    """SIEMs take events; everything else that accepts pushes takes tickets."""
    return "event" if category == "siem" else "ticket"


def ticket_ref(ticket: models.RiskTicket | None) -> dict[str, Any] | None:
    """The linked ticket as the integration sees it in a push payload."""
    if ticket is None:
        return None
    return {"external_id": ticket.external_id, "url": ticket.url, "state": ticket.state}


def risk_payload(
    risk: models.Risk,
    action: str,
    ticket: dict[str, Any] | None,
    findings: list[dict[str, Any]] | None = None,
    link: str | None = None,
) -> dict[str, Any]:
    """What a ticketing or SIEM integration receives: the risk, a link back to it in ARIA and
    its findings' vendor ids, never raw vendor records."""
    return {
        "action": action,
        "link": link,
        "risk_id": risk.id,
        "title": risk.title,
        "description": risk.description,
        "status": risk.status,
        "status_reason": risk.status_reason,
        "likelihood": risk.likelihood,
        "impact": risk.impact,
        "score": risk.score,
        "technique_id": risk.technique_id,
        "created_at": risk.created_at.isoformat(),
        "ticket": ticket,
        "findings": findings or [],
    }


def push_risk(
    runtime: Runtime, installation_id: uuid.UUID, risk_id: int, action: str
) -> PushResult:
    """Deliver one risk change; raises TransientError so the queue retries with backoff."""
    started = time.perf_counter()
    with runtime.sessions() as session:
        installation = session.get(Installation, installation_id)
        risk = session.get(models.Risk, risk_id)
        if (
            installation is None
            or risk is None
            or installation.organization_id != risk.organization_id
        ):
            return PushResult(ok=False, message="installation or risk no longer exists")
        entry = session.get(CatalogEntry, installation.integration_id)
        assert entry is not None
        installed = flows.Installed(installation, entry)
        values = flows.current_config(session, runtime, installed)
        cls = flows.integration_class(runtime, entry)
        ticket = next((t for t in risk.tickets if t.installation_id == installation_id), None)
        link = f"{runtime.settings.base_url.rstrip('/')}/register/risks/{risk.id}"
        payload = risk_payload(
            risk, action, ticket_ref(ticket), risk_findings(session, risk_id), link
        )
        mode = installation.mode
        kind = push_kind(entry.category)

    async def send() -> tuple[PushResult, dict[str, Any]]:
        async with flows.build(runtime, cls, mode, values) as integration:
            result = await integration.push(PushRequest(kind=kind, payload=payload))
            return result, integration.metrics.as_dict()

    try:
        result, metrics = run_async(send)
    except TransientError:
        raise
    except Exception as error:  # permanent: log it on the installation, do not retry
        result, metrics = PushResult(ok=False, message=f"{type(error).__name__}: {error}"), {}
    with transaction(runtime.sessions) as session:
        installation = session.get(Installation, installation_id)
        risk = session.get(models.Risk, risk_id)
        if installation is None or risk is None:
            return result
        if result.ok and result.external_id and kind == "ticket":
            link_ticket(session, risk, installation, entry.key, result)
        activity.record(
            session,
            installation=installation,
            activity_type="push",
            direction="outbound",
            status="success" if result.ok else "failure",
            message=f"risk {risk_id} ({action}): "
            + (result.message or ("ok" if result.ok else "failed")),
            triggered_by="system",
            execution_time_ms=int((time.perf_counter() - started) * 1000),
            api_calls=int(metrics.get("api_calls", 0)),
            details={"risk_id": risk_id, "action": action, "external_id": result.external_id},
        )
    return result


def link_ticket(
    session: Session,
    risk: models.Risk,
    installation: Installation,
    integration_key: str,
    result: PushResult,
) -> None:
    """Record (or refresh) the ticket a push opened or moved for ``risk``."""
    assert result.external_id is not None
    ticket = next((t for t in risk.tickets if t.installation_id == installation.id), None)
    if ticket is None:
        ticket = models.RiskTicket(
            organization_id=risk.organization_id,
            installation_id=installation.id,
            integration_key=integration_key,
            comments=[],
        )
        risk.tickets.append(ticket)
    ticket.external_id = result.external_id
    ticket.url = result.details.get("url") or ticket.url
    ticket.state = result.details.get("status") or ticket.state
    ticket.pushed_at = utcnow()
