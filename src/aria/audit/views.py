"""`GET /api/v1/audit`: an organization's audit entries, newest first."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from aria.accounts.deps import DbSession, Principal, require
from aria.accounts.permissions import Permission
from aria.audit import service
from aria.audit.schemas import AuditEntryRead, AuditPage
from aria.errors import AppError

router = APIRouter(tags=["audit"])


@router.get("/audit", response_model=AuditPage)
def list_audit(
    session: DbSession,
    principal: Annotated[Principal, Depends(require(Permission.read_audit))],
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(description="next_cursor of the previous page")] = None,
    action: Annotated[str | None, Query(max_length=100)] = None,
) -> AuditPage:
    before_id = None
    if cursor is not None:
        if not cursor.isdigit():
            raise AppError("cursor is invalid")
        before_id = int(cursor)
    entries = service.list_(
        session,
        organization_id=principal.organization_id,
        limit=limit + 1,
        before_id=before_id,
        action=action,
    )
    page = entries[:limit]
    return AuditPage(
        items=[AuditEntryRead.model_validate(entry) for entry in page],
        next_cursor=str(page[-1].id) if len(entries) > limit else None,
    )
