"""Installations: tenant-scoped reads (every query filters by organization)."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from aria.catalog.models import CatalogEntry
from aria.errors import NotFound
from aria.installs.models import ActivityLog, Installation


def get(
    session: Session, *, organization_id: uuid.UUID, installation_id: uuid.UUID
) -> Installation | None:
    return session.scalar(
        select(Installation).where(
            Installation.id == installation_id, Installation.organization_id == organization_id
        )
    )


def get_or_raise(
    session: Session, *, organization_id: uuid.UUID, installation_id: uuid.UUID
) -> Installation:
    """The installation, or 404 — also when it belongs to another organization."""
    installation = get(session, organization_id=organization_id, installation_id=installation_id)
    if installation is None:
        raise NotFound("installation not found")
    return installation


def get_by_integration(
    session: Session, *, organization_id: uuid.UUID, integration_id: uuid.UUID
) -> Installation | None:
    return session.scalar(
        select(Installation).where(
            Installation.organization_id == organization_id,
            Installation.integration_id == integration_id,
        )
    )


def list_(
    session: Session, *, organization_id: uuid.UUID, status: str | None = None
) -> list[tuple[Installation, CatalogEntry]]:
    query = (
        select(Installation, CatalogEntry)
        .join(CatalogEntry, CatalogEntry.id == Installation.integration_id)
        .where(Installation.organization_id == organization_id)
        .order_by(CatalogEntry.name)
    )
    if status is not None:
        query = query.where(Installation.status == status)
    return [(i, e) for i, e in session.execute(query)]


def activity(
    session: Session,
    *,
    organization_id: uuid.UUID,
    installation_id: uuid.UUID,
    limit: int = 50,
    before_id: int | None = None,
    activity_type: str | None = None,
    status: str | None = None,
) -> list[ActivityLog]:
    query = select(ActivityLog).where(
        ActivityLog.organization_id == organization_id,
        ActivityLog.installation_id == installation_id,
    )
    if before_id is not None:
        query = query.where(ActivityLog.id < before_id)
    if activity_type:
        query = query.where(ActivityLog.activity_type == activity_type)
    if status:
        query = query.where(ActivityLog.status == status)
    return list(session.scalars(query.order_by(ActivityLog.id.desc()).limit(limit)))
