"""`/api/v1/installations/{id}/health`: run a health check now, or read the last known one.

The response shapes live here rather than in ``installs/schemas.py`` only to keep this router
self-contained; they describe nothing but health.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel

from aria.accounts.deps import AppRuntime, DbSession, require
from aria.accounts.permissions import Permission
from aria.accounts.principal import Principal
from aria.installs import health
from aria.installs.models import ActivityLog, Installation

router = APIRouter(tags=["installations"])

Browse = Annotated[Principal, Depends(require(Permission.browse))]
Sync = Annotated[Principal, Depends(require(Permission.sync))]


class CheckRead(BaseModel):
    """One health check as it ran (messages are redacted; no secret ever appears)."""

    status: str
    message: str | None
    checked_at: datetime
    execution_time_ms: int | None
    api_calls: int
    warnings: list[str]
    details: dict[str, Any]


class HealthRead(BaseModel):
    """An installation's health: stored fields, warnings computed now, the last check."""

    installation_id: uuid.UUID
    status: str
    status_reason: str | None
    health_status: str
    last_health_check_at: datetime | None
    error_count: int
    last_error: str | None
    last_error_at: datetime | None
    warnings: list[str]
    last_check: CheckRead | None


class HealthCheckRead(HealthRead):
    """``POST``: the check just run (``result``), the state move it caused, and the health."""

    result: CheckRead
    moved_to: str | None


def _check_from_log(row: ActivityLog) -> CheckRead:
    details = dict(row.details or {})
    return CheckRead(
        status=str(details.pop("health", row.status)),
        message=row.message,
        checked_at=row.created_at,
        execution_time_ms=row.execution_time_ms,
        api_calls=row.api_calls,
        warnings=list(details.pop("warnings", [])),
        details=details,
    )


def _health(installation: Installation, known: health.LastKnown) -> dict[str, Any]:
    return {
        "installation_id": installation.id,
        "status": installation.status,
        "status_reason": installation.status_reason,
        "health_status": installation.health_status,
        "last_health_check_at": installation.last_health_check_at,
        "error_count": installation.error_count,
        "last_error": installation.last_error,
        "last_error_at": installation.last_error_at,
        "warnings": known.warnings,
        "last_check": _check_from_log(known.last_check) if known.last_check else None,
    }


@router.get("/installations/{installation_id}/health", response_model=HealthRead)
def installation_health(
    installation_id: uuid.UUID, session: DbSession, runtime: AppRuntime, principal: Browse
) -> HealthRead:
    """The last known health; credential expiry warnings are computed at request time."""
    installed = health.installed_or_raise(session, principal, installation_id)
    known = health.last_known(
        session,
        installed.installation,
        policy=health.HealthPolicy.from_settings(runtime.settings),
    )
    return HealthRead(**_health(installed.installation, known))


@router.post("/installations/{installation_id}/health", response_model=HealthCheckRead)
def check_installation_health(
    installation_id: uuid.UUID, session: DbSession, runtime: AppRuntime, principal: Sync
) -> HealthCheckRead:
    """Run a health check now (bounded by the per-check timeout) and record it."""
    installed = health.installed_or_raise(session, principal, installation_id)
    applied = health.check_now(session, runtime, principal, installed)
    known = health.last_known(
        session,
        installed.installation,
        policy=health.HealthPolicy.from_settings(runtime.settings),
    )
    outcome = applied.outcome
    return HealthCheckRead(
        **_health(installed.installation, known),
        result=CheckRead(
            status=outcome.status,
            message=outcome.message,
            checked_at=outcome.checked_at,
            execution_time_ms=outcome.execution_time_ms,
            api_calls=outcome.api_calls,
            warnings=outcome.warnings,
            details=outcome.details,
        ),
        moved_to=applied.moved_to,
    )
