"""Writing the activity log: one row per thing an installation did, secrets scrubbed."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.orm import Session

from aria.installs.models import ActivityLog, Installation
from aria.logs import redact, request_id_var


def record(
    session: Session,
    *,
    installation: Installation,
    activity_type: str,
    status: str,
    direction: str = "internal",
    message: str | None = None,
    triggered_by: str = "user",
    user_id: uuid.UUID | None = None,
    error_code: str | None = None,
    error_message: str | None = None,
    execution_time_ms: int | None = None,
    api_calls: int = 0,
    bytes_transferred: int = 0,
    records_processed: int = 0,
    records_failed: int = 0,
    details: dict[str, Any] | None = None,
) -> ActivityLog:
    """Append one activity row in the caller's transaction."""
    entry = ActivityLog(
        organization_id=installation.organization_id,
        installation_id=installation.id,
        integration_id=installation.integration_id,
        activity_type=activity_type,
        direction=direction,
        status=status,
        message=redact(message) if message else None,
        error_code=error_code,
        error_message=redact(error_message) if error_message else None,
        execution_time_ms=execution_time_ms,
        api_calls=api_calls,
        bytes_transferred=bytes_transferred,
        records_processed=records_processed,
        records_failed=records_failed,
        request_id=request_id_var.get(),
        triggered_by=triggered_by,
        triggered_by_user_id=user_id,
        details=details or {},
    )
    session.add(entry)
    session.flush()
    return entry
