"""`/api/v1/installations/{id}/analytics`: an installation's daily usage series and totals."""

from __future__ import annotations

import uuid
from dataclasses import asdict
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from aria.accounts.deps import DbSession, require
from aria.accounts.permissions import Permission
from aria.accounts.principal import Principal
from aria.analytics import service
from aria.analytics.schemas import UsageDayRead, UsageSeriesRead, UsageTotalsRead
from aria.db.types import utcnow
from aria.installs import service as installs

router = APIRouter(tags=["analytics"])

Browse = Annotated[Principal, Depends(require(Permission.browse))]


@router.get("/installations/{installation_id}/analytics", response_model=UsageSeriesRead)
def installation_analytics(
    installation_id: uuid.UUID,
    session: DbSession,
    principal: Browse,
    start: Annotated[date | None, Query(description="First day (UTC), YYYY-MM-DD.")] = None,
    end: Annotated[date | None, Query(description="Last day (UTC), YYYY-MM-DD.")] = None,
) -> UsageSeriesRead:
    """Daily usage (calls, latency, volume, uptime, error rate, cost) for up to 366 days;
    today is rolled up on the spot. Defaults to the last 30 days."""
    installation = installs.get_or_raise(
        session, organization_id=principal.organization_id, installation_id=installation_id
    )
    today = utcnow().date()
    first, last = service.check_range(start, end, today=today)
    usage = service.usage(session, installation=installation, start=first, end=last, today=today)
    return UsageSeriesRead(
        installation_id=installation.id,
        integration_key=usage.integration_key,
        start=usage.start,
        end=usage.end,
        days=[UsageDayRead.model_validate(row) for row in usage.days],
        totals=UsageTotalsRead(**asdict(usage.totals)),
    )
