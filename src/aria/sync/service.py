"""Sync jobs: create, read, cancel — tenant-scoped, one active job per installation."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from aria.db.types import utcnow
from aria.errors import Conflict, NotFound
from aria.installs.models import Installation
from aria.sync.models import SyncJob

ACTIVE = ("pending", "running", "retrying")
FINISHED = ("succeeded", "failed", "cancelled")


def active_job(session: Session, *, installation_id: uuid.UUID) -> SyncJob | None:
    return session.scalar(
        select(SyncJob)
        .where(SyncJob.installation_id == installation_id, SyncJob.status.in_(ACTIVE))
        .order_by(SyncJob.created_at)
        .limit(1)
    )


def create(
    session: Session,
    *,
    installation: Installation,
    job_type: str,
    triggered_by: str,
    user_id: uuid.UUID | None = None,
    max_retries: int = 3,
) -> SyncJob:
    """A pending job; refuses a second one while the installation already has one active."""
    if installation.status not in ("enabled", "error"):
        raise Conflict(f"installation is {installation.status}; enable it before syncing")
    existing = active_job(session, installation_id=installation.id)
    if existing is not None:
        raise Conflict(
            "a sync of this installation is already queued or running",
            details={"job_id": str(existing.id), "status": existing.status},
        )
    job = SyncJob(
        organization_id=installation.organization_id,
        installation_id=installation.id,
        job_type=job_type,
        status="pending",
        triggered_by=triggered_by,
        triggered_by_user_id=user_id,
        max_retries=max_retries,
        checkpoint={},
    )
    session.add(job)
    session.flush()
    return job


def get_or_raise(session: Session, *, organization_id: uuid.UUID, job_id: uuid.UUID) -> SyncJob:
    job = session.scalar(
        select(SyncJob).where(SyncJob.id == job_id, SyncJob.organization_id == organization_id)
    )
    if job is None:
        raise NotFound("job not found")
    return job


def list_(
    session: Session, *, organization_id: uuid.UUID, installation_id: uuid.UUID, limit: int = 20
) -> list[SyncJob]:
    return list(
        session.scalars(
            select(SyncJob)
            .where(
                SyncJob.organization_id == organization_id,
                SyncJob.installation_id == installation_id,
            )
            .order_by(SyncJob.created_at.desc())
            .limit(limit)
        )
    )


def cancel(session: Session, *, job: SyncJob) -> SyncJob:
    """Pending/retrying jobs stop now; a running job stops after its current page."""
    if job.status in FINISHED:
        raise Conflict(f"job already {job.status}")
    job.cancel_requested_at = utcnow()
    if job.status in ("pending", "retrying"):
        job.status = "cancelled"
        job.completed_at = job.cancel_requested_at
    session.flush()
    return job
