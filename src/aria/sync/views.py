"""Sync API: start a job for an installation, read it, cancel it."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends

from aria.accounts.deps import AppRuntime, DbSession, require
from aria.accounts.permissions import Permission
from aria.accounts.principal import Principal
from aria.installs import service as installs
from aria.sync import service
from aria.sync.schemas import JobRead, SyncRequest

router = APIRouter(tags=["sync"])

Browse = Annotated[Principal, Depends(require(Permission.browse))]
Sync = Annotated[Principal, Depends(require(Permission.sync))]


@router.post("/installations/{installation_id}/sync", response_model=JobRead, status_code=202)
def start_sync(
    installation_id: uuid.UUID,
    session: DbSession,
    runtime: AppRuntime,
    principal: Sync,
    body: SyncRequest | None = None,
) -> JobRead:
    """Queue a `full` or `incremental` sync now; 409 while one is queued or running."""
    installation = installs.get_or_raise(
        session, organization_id=principal.organization_id, installation_id=installation_id
    )
    job = service.create(
        session,
        installation=installation,
        job_type=body.type if body else "incremental",
        triggered_by="user",
        user_id=principal.user_id,
    )
    session.commit()  # the worker must see the job before it runs
    runtime.sync_tasks.enqueue(job.id)
    return JobRead.model_validate(job)


@router.get("/installations/{installation_id}/jobs", response_model=list[JobRead])
def list_jobs(installation_id: uuid.UUID, session: DbSession, principal: Browse) -> list[JobRead]:
    installation = installs.get_or_raise(
        session, organization_id=principal.organization_id, installation_id=installation_id
    )
    return [
        JobRead.model_validate(job)
        for job in service.list_(
            session, organization_id=principal.organization_id, installation_id=installation.id
        )
    ]


@router.get("/jobs/{job_id}", response_model=JobRead)
def get_job(job_id: uuid.UUID, session: DbSession, principal: Browse) -> JobRead:
    return JobRead.model_validate(
        service.get_or_raise(session, organization_id=principal.organization_id, job_id=job_id)
    )


@router.post("/jobs/{job_id}/cancel", response_model=JobRead)
def cancel_job(job_id: uuid.UUID, session: DbSession, principal: Sync) -> JobRead:
    """Cancel: a queued job stops now, a running one after its current page."""
    job = service.get_or_raise(session, organization_id=principal.organization_id, job_id=job_id)
    return JobRead.model_validate(service.cancel(session, job=job))
