"""Reads the pages need that no service offers yet, written here so views stay thin.

Why this module touches the session: each function is a small, tenant-scoped read (every
query filters by organization) that only a page needs — the organization switcher's list,
per-card record counts and running jobs in one query each instead of one per card, and the
links between findings and risks. If another caller ever needs one, it moves to its domain's
``service.py``.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from aria.accounts.models import Membership, Organization, UserSession
from aria.asyncbridge import run_async
from aria.grc import models as grc
from aria.installs import flows
from aria.runtime import Runtime
from aria.sdk import QueryRequest
from aria.sync.models import SyncJob
from aria.sync.service import ACTIVE

COUNTED = (
    ("findings", grc.Finding),
    ("assets", grc.AssetSource),
    ("incidents", grc.Incident),
    ("indicators", grc.Indicator),
    ("identities", grc.Identity),
)


@dataclass(frozen=True)
class OrgChoice:
    id: uuid.UUID
    name: str
    role: str


def organizations_of(session: Session, *, user_id: uuid.UUID) -> list[OrgChoice]:
    """The organizations a user belongs to (the switcher), by name."""
    rows = session.execute(
        select(Organization.id, Organization.name, Membership.role)
        .join(Membership, Membership.organization_id == Organization.id)
        .where(Membership.user_id == user_id)
        .order_by(Organization.name)
    )
    return [OrgChoice(r.id, r.name, r.role) for r in rows]


def record_counts(
    session: Session, *, organization_id: uuid.UUID
) -> dict[uuid.UUID, dict[str, int]]:
    """Synced records per installation and entity, one grouped query per entity."""
    counts: dict[uuid.UUID, dict[str, int]] = defaultdict(dict)
    for name, table in COUNTED:
        rows = session.execute(
            select(table.installation_id, func.count())
            .where(table.organization_id == organization_id, table.installation_id.is_not(None))
            .group_by(table.installation_id)
        )
        for installation_id, n in rows:
            counts[installation_id][name] = n
    return counts


def active_jobs(session: Session, *, organization_id: uuid.UUID) -> dict[uuid.UUID, SyncJob]:
    """The queued or running sync of each installation (for live progress on the cards)."""
    jobs = session.scalars(
        select(SyncJob)
        .where(SyncJob.organization_id == organization_id, SyncJob.status.in_(ACTIVE))
        .order_by(SyncJob.created_at)
    )
    found: dict[uuid.UUID, SyncJob] = {}
    for job in jobs:
        found.setdefault(job.installation_id, job)
    return found


def risks_of_finding(
    session: Session, *, organization_id: uuid.UUID, finding_id: int
) -> list[grc.Risk]:
    return list(
        session.scalars(
            select(grc.Risk)
            .join(grc.RiskFinding, grc.RiskFinding.risk_id == grc.Risk.id)
            .where(
                grc.RiskFinding.finding_id == finding_id,
                grc.Risk.organization_id == organization_id,
            )
            .order_by(grc.Risk.id.desc())
        )
    )


def findings_by_ids(
    session: Session, *, organization_id: uuid.UUID, ids: list[int], limit: int = 100
) -> list[grc.Finding]:
    if not ids:
        return []
    return list(
        session.scalars(
            select(grc.Finding)
            .where(grc.Finding.organization_id == organization_id, grc.Finding.id.in_(ids[:limit]))
            .order_by(grc.Finding.id.desc())
        )
    )


def register_totals(session: Session, *, organization_id: uuid.UUID) -> dict[str, int]:
    """How many of each thing the register holds (the tabs' counts)."""
    totals = {}
    for name, table in (
        ("risks", grc.Risk),
        ("findings", grc.Finding),
        ("assets", grc.Asset),
        ("incidents", grc.Incident),
        ("indicators", grc.Indicator),
    ):
        totals[name] = (
            session.scalar(
                select(func.count())
                .select_from(table)
                .where(table.organization_id == organization_id)
            )
            or 0
        )
    return totals


@dataclass
class QueryOutcome:
    records: list[dict[str, Any]]
    raw: list[dict[str, Any]]
    truncated: bool
    error: str | None = None


def run_query(
    session: Session,
    runtime: Runtime,
    installed: flows.Installed,
    *,
    stream: str,
    limit: int,
) -> QueryOutcome:
    """Ask the vendor (or the sandbox) for a few records of one stream, right now.

    Used by "Test Query" and for the mapping step's sample records. Reads the stored
    configuration through ``flows``; writes nothing. Vendor failures come back as ``error``.
    """
    cls = flows.integration_class(runtime, installed.entry)
    values = flows.current_config(session, runtime, installed)

    async def run() -> Any:
        async with flows.build(runtime, cls, installed.installation.mode, values) as integration:
            return await integration.query(QueryRequest(type=stream, limit=limit))

    try:
        result = run_async(run)
    except Exception as error:  # the SDK's errors are redacted; show why it failed
        return QueryOutcome([], [], False, error=str(error) or type(error).__name__)
    records = [
        r.model_dump(mode="json", exclude={"raw"}) if hasattr(r, "model_dump") else r
        for r in result.records
    ]
    return QueryOutcome(records=records, raw=list(result.raw), truncated=result.truncated)


def organization(session: Session, *, organization_id: uuid.UUID) -> Organization:
    """The caller's own organization row (adding a member needs it)."""
    found = session.get(Organization, organization_id)
    assert found is not None  # the session's membership guarantees it
    return found


def session_record(session: Session, *, record_id: uuid.UUID) -> UserSession | None:
    """The browser session behind the caller's principal (logout, organization switch)."""
    return session.get(UserSession, record_id)
