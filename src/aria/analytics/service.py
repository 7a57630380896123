"""Usage analytics: daily rollups of the activity log, and the series the API shows.

A rollup aggregates one UTC day of activity rows per (organization, integration) into one
`integration_usage_analytics` row, by an INSERT … ON CONFLICT DO UPDATE, so re-running a day
recomputes it and two concurrent rollups cannot both insert. Definitions (one place):

- ``api_calls``: sum of the rows' ``api_calls``; ``successful_calls`` / ``failed_calls``: the
  same sum over rows whose status is success/partial vs failure/rejected.
- ``avg_response_time_ms`` / ``max_response_time_ms``: over rows' ``execution_time_ms``.
- ``data_transferred_mb``: sum of ``bytes_transferred`` / 2**20.
- ``records_synced``: sum of ``records_processed`` over sync rows.
- ``unique_users``: distinct ``triggered_by_user_id``.
- ``uptime_percentage``: share of that day's health checks that were not down (100 if none).
- ``error_rate``: failed_calls / api_calls * 100 (0 without calls).
- ``estimated_cost``: api_calls * the catalog entry's ``price_per_call``.

Rollups outlive the activity rows they came from (retention deletes logs, not rollups), and a
day whose logs are gone is never overwritten with zeros: only days with activity are written.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import Insert, and_, case, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, sessionmaker

from aria.analytics.models import UsageDaily
from aria.catalog.models import CatalogEntry
from aria.db.engine import transaction
from aria.db.types import utcnow
from aria.errors import AppError
from aria.installs.models import ActivityLog, Installation

MAX_RANGE_DAYS = 366
DEFAULT_RANGE_DAYS = 30
MEBIBYTE = Decimal(1024 * 1024)
PASSED = ("success", "partial")
FAILED = ("failure", "rejected")
_CENT = Decimal("0.01")

#: The columns a rollup computes (everything but keys and stamps).
METRICS = (
    "api_calls",
    "successful_calls",
    "failed_calls",
    "avg_response_time_ms",
    "max_response_time_ms",
    "data_transferred_mb",
    "records_synced",
    "unique_users",
    "uptime_percentage",
    "error_rate",
    "estimated_cost",
)


class InvalidRange(AppError):
    """The requested date range is reversed or too long."""

    status_code = 422
    code = "invalid_range"


def _q(value: Decimal, places: str) -> Decimal:
    return value.quantize(Decimal(places), rounding=ROUND_HALF_UP)


def _percent(part: int, whole: int, *, empty: Decimal) -> Decimal:
    return _q(Decimal(100) * part / whole, "0.01") if whole else empty


def day_bounds(day: date) -> tuple[datetime, datetime]:
    """The UTC instants [start, end) of ``day``."""
    start = datetime.combine(day, time.min, tzinfo=UTC)
    return start, start + timedelta(days=1)


def _upsert(session: Session) -> Insert:
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    return dialect.insert(UsageDaily)


def rollup_day(
    session: Session,
    *,
    day: date,
    organization_id: uuid.UUID | None = None,
    integration_id: uuid.UUID | None = None,
) -> int:
    """(Re)compute ``day`` for every (organization, integration) with activity that day, or
    only the one given; returns how many rollup rows were written."""
    start, end = day_bounds(day)
    passed = ActivityLog.status.in_(PASSED)
    failed = ActivityLog.status.in_(FAILED)
    health = ActivityLog.activity_type == "health_check"
    query = (
        select(
            ActivityLog.organization_id,
            ActivityLog.integration_id,
            func.coalesce(func.sum(ActivityLog.api_calls), 0).label("api_calls"),
            func.coalesce(func.sum(case((passed, ActivityLog.api_calls), else_=0)), 0).label(
                "successful_calls"
            ),
            func.coalesce(func.sum(case((failed, ActivityLog.api_calls), else_=0)), 0).label(
                "failed_calls"
            ),
            func.avg(ActivityLog.execution_time_ms).label("avg_ms"),
            func.max(ActivityLog.execution_time_ms).label("max_ms"),
            func.coalesce(func.sum(ActivityLog.bytes_transferred), 0).label("bytes"),
            func.coalesce(
                func.sum(
                    case(
                        (ActivityLog.activity_type == "sync", ActivityLog.records_processed),
                        else_=0,
                    )
                ),
                0,
            ).label("records_synced"),
            func.count(func.distinct(ActivityLog.triggered_by_user_id)).label("unique_users"),
            func.coalesce(func.sum(case((health, 1), else_=0)), 0).label("checks"),
            func.coalesce(func.sum(case((and_(health, failed), 1), else_=0)), 0).label("down"),
        )
        .where(ActivityLog.created_at >= start, ActivityLog.created_at < end)
        .group_by(ActivityLog.organization_id, ActivityLog.integration_id)
    )
    if organization_id is not None:
        query = query.where(ActivityLog.organization_id == organization_id)
    if integration_id is not None:
        query = query.where(ActivityLog.integration_id == integration_id)
    groups = list(session.execute(query))
    if not groups:
        return 0
    integration_ids = {g.integration_id for g in groups}
    prices = {
        entry_id: price
        for entry_id, price in session.execute(
            select(CatalogEntry.id, CatalogEntry.price_per_call).where(
                CatalogEntry.id.in_(integration_ids)
            )
        )
    }
    owners = select(
        Installation.id, Installation.organization_id, Installation.integration_id
    ).where(Installation.integration_id.in_(integration_ids))
    if organization_id is not None:
        owners = owners.where(Installation.organization_id == organization_id)
    current = {(org, integ): inst for inst, org, integ in session.execute(owners)}
    now = utcnow()
    for g in groups:
        api_calls = int(g.api_calls)
        figures: dict[str, Any] = {
            "api_calls": api_calls,
            "successful_calls": int(g.successful_calls),
            "failed_calls": int(g.failed_calls),
            "avg_response_time_ms": _q(Decimal(str(g.avg_ms or 0)), "0.01"),
            "max_response_time_ms": int(g.max_ms or 0),
            "data_transferred_mb": _q(Decimal(int(g.bytes)) / MEBIBYTE, "0.001"),
            "records_synced": int(g.records_synced),
            "unique_users": int(g.unique_users),
            "uptime_percentage": _percent(
                int(g.checks) - int(g.down), int(g.checks), empty=Decimal(100)
            ),
            "error_rate": _percent(int(g.failed_calls), api_calls, empty=Decimal(0)),
            "estimated_cost": _q(
                Decimal(api_calls) * Decimal(str(prices.get(g.integration_id) or 0)), "0.0001"
            ),
        }
        installation_id = current.get((g.organization_id, g.integration_id))
        statement = _upsert(session).values(
            id=uuid.uuid4(),
            organization_id=g.organization_id,
            integration_id=g.integration_id,
            installation_id=installation_id,
            day=day,
            created_at=now,
            updated_at=now,
            **figures,
        )
        session.execute(
            statement.on_conflict_do_update(
                index_elements=["organization_id", "integration_id", "day"],
                set_={**figures, "installation_id": installation_id, "updated_at": now},
            )
        )
    return len(groups)


def rollup_days(sessions: sessionmaker[Session], *, days: Iterable[date]) -> int:
    """Roll up each day in its own transaction (the scheduled job); returns rows written."""
    written = 0
    for day in days:
        with transaction(sessions) as session:
            written += rollup_day(session, day=day)
    return written


def check_range(start: date | None, end: date | None, *, today: date) -> tuple[date, date]:
    """The requested range with defaults (the last 30 days), or 422 when it makes no sense."""
    end = end or today
    start = start or end - timedelta(days=DEFAULT_RANGE_DAYS - 1)
    if end < start:
        raise InvalidRange(
            "end must not be before start",
            details={"start": start.isoformat(), "end": end.isoformat()},
        )
    if (end - start).days + 1 > MAX_RANGE_DAYS:
        raise InvalidRange(
            f"the range may span at most {MAX_RANGE_DAYS} days",
            details={"days": (end - start).days + 1, "max_days": MAX_RANGE_DAYS},
        )
    return start, end


@dataclass
class Totals:
    """The range as a whole. Averages of averages are weighted by calls (uptime by day),
    so they are estimates; ``unique_users`` is exact while the activity log still holds the
    range (it cannot be summed from daily counts)."""

    days: int
    api_calls: int
    successful_calls: int
    failed_calls: int
    avg_response_time_ms: Decimal
    max_response_time_ms: int
    data_transferred_mb: Decimal
    records_synced: int
    unique_users: int
    uptime_percentage: Decimal
    error_rate: Decimal
    estimated_cost: Decimal


@dataclass
class Usage:
    """A daily series (only days with activity) and its totals."""

    integration_key: str
    start: date
    end: date
    days: list[UsageDaily]
    totals: Totals


def _totals(rows: list[UsageDaily], unique_users: int) -> Totals:
    calls = sum(r.api_calls for r in rows)
    failed = sum(r.failed_calls for r in rows)
    if calls:
        avg = sum((Decimal(r.avg_response_time_ms) * r.api_calls for r in rows), Decimal(0)) / calls
    else:
        timed = [Decimal(r.avg_response_time_ms) for r in rows if r.avg_response_time_ms]
        avg = sum(timed, Decimal(0)) / len(timed) if timed else Decimal(0)
    uptime = (
        sum((Decimal(r.uptime_percentage) for r in rows), Decimal(0)) / len(rows)
        if rows
        else Decimal(100)
    )
    return Totals(
        days=len(rows),
        api_calls=calls,
        successful_calls=sum(r.successful_calls for r in rows),
        failed_calls=failed,
        avg_response_time_ms=_q(avg, "0.01"),
        max_response_time_ms=max((r.max_response_time_ms for r in rows), default=0),
        data_transferred_mb=_q(
            sum((Decimal(r.data_transferred_mb) for r in rows), Decimal(0)), "0.001"
        ),
        records_synced=sum(r.records_synced for r in rows),
        unique_users=unique_users,
        uptime_percentage=_q(uptime, "0.01"),
        error_rate=_percent(failed, calls, empty=Decimal(0)),
        estimated_cost=_q(sum((Decimal(r.estimated_cost) for r in rows), Decimal(0)), "0.0001"),
    )


def usage(
    session: Session,
    *,
    installation: Installation,
    start: date,
    end: date,
    today: date,
) -> Usage:
    """The installation's daily series for [start, end], with today rolled up first so the
    numbers are fresh (scoped to the installation's own organization)."""
    if start <= today <= end:
        rollup_day(
            session,
            day=today,
            organization_id=installation.organization_id,
            integration_id=installation.integration_id,
        )
    rows = list(
        session.scalars(
            select(UsageDaily)
            .where(
                UsageDaily.organization_id == installation.organization_id,
                UsageDaily.installation_id == installation.id,
                UsageDaily.day >= start,
                UsageDaily.day <= end,
            )
            .order_by(UsageDaily.day)
            .execution_options(populate_existing=True)
        )
    )
    range_start, _ = day_bounds(start)
    _, range_end = day_bounds(end)
    unique_users = (
        session.scalar(
            select(func.count(func.distinct(ActivityLog.triggered_by_user_id))).where(
                ActivityLog.organization_id == installation.organization_id,
                ActivityLog.installation_id == installation.id,
                ActivityLog.created_at >= range_start,
                ActivityLog.created_at < range_end,
            )
        )
        or 0
    )
    entry = session.get(CatalogEntry, installation.integration_id)
    return Usage(
        integration_key=entry.key if entry else "",
        start=start,
        end=end,
        days=rows,
        totals=_totals(rows, int(unique_users)),
    )
