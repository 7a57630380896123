"""Daily usage rollups: exact figures from hand-made activity rows, idempotent re-runs,
and rollups that outlive the activity log's retention; on every database."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from aria.accounts import service as accounts
from aria.accounts.models import Organization, User
from aria.analytics import service as analytics
from aria.analytics.models import UsageDaily
from aria.catalog import service as catalog
from aria.catalog.models import CatalogEntry
from aria.db.engine import transaction
from aria.installs import retention
from aria.installs.models import ActivityLog, Installation
from aria.runtime import Runtime

DAY = date(2024, 5, 1)
NOON = datetime(2024, 5, 1, 12, tzinfo=UTC)


class Tenant:
    """An organization with an installation of acme-edr and two users."""

    def __init__(self, session: Session, name: str) -> None:
        self.org: Organization = accounts.create_organization(session, name=name)
        self.entry: CatalogEntry = catalog.get_by_key_or_raise(session, key="acme-edr")
        self.installation = Installation(
            organization_id=self.org.id, integration_id=self.entry.id, status="enabled"
        )
        session.add(self.installation)
        self.users: list[User] = [
            accounts.create_user(
                session, email=f"{n}-{uuid.uuid4().hex[:6]}@example.com", password="x" * 16
            )
            for n in ("ana", "bo")
        ]
        session.flush()

    def log(self, session: Session, at: datetime, **fields: Any) -> None:
        fields.setdefault("status", "success")
        fields.setdefault("activity_type", "sync")
        session.add(
            ActivityLog(
                organization_id=self.org.id,
                installation_id=self.installation.id,
                integration_id=self.entry.id,
                created_at=at,
                **fields,
            )
        )


def _fixture(runtime: Runtime) -> tuple[Tenant, Tenant]:
    with transaction(runtime.sessions) as session:
        a, b = Tenant(session, "Rollup A"), Tenant(session, "Rollup B")
        a.entry.price_per_call = Decimal("0.0025")
        ana, bo = (u.id for u in a.users)
        a.log(
            session,
            NOON,
            api_calls=10,
            execution_time_ms=1000,
            bytes_transferred=1048576,
            records_processed=50,
            triggered_by_user_id=ana,
        )
        a.log(
            session,
            NOON,
            status="failure",
            api_calls=2,
            execution_time_ms=500,
            bytes_transferred=524288,
        )
        a.log(session, NOON, activity_type="health_check", api_calls=2, execution_time_ms=100)
        a.log(
            session,
            NOON,
            activity_type="health_check",
            status="failure",
            api_calls=1,
            execution_time_ms=300,
        )
        a.log(
            session,
            NOON,
            activity_type="query",
            status="partial",
            api_calls=5,
            execution_time_ms=200,
            records_processed=7,
            triggered_by_user_id=ana,
        )
        a.log(session, NOON, activity_type="config_change", triggered_by_user_id=bo)
        # The edges of the day belong to the neighbours.
        a.log(session, datetime(2024, 5, 2, tzinfo=UTC), api_calls=1000)
        a.log(session, datetime(2024, 4, 30, 23, 59, 59, tzinfo=UTC), api_calls=1000)
        b.log(session, NOON, api_calls=7, execution_time_ms=70)
    return a, b


def _row(session: Session, tenant: Tenant, day: date = DAY) -> UsageDaily:
    row = session.scalar(
        select(UsageDaily)
        .where(UsageDaily.organization_id == tenant.org.id, UsageDaily.day == day)
        .execution_options(populate_existing=True)
    )
    assert row is not None
    return row


EXPECTED_A = {
    "api_calls": 20,
    "successful_calls": 17,
    "failed_calls": 3,
    "avg_response_time_ms": Decimal("420.00"),
    "max_response_time_ms": 1000,
    "data_transferred_mb": Decimal("1.500"),
    "records_synced": 50,
    "unique_users": 2,
    "uptime_percentage": Decimal("50.00"),
    "error_rate": Decimal("15.00"),
    "estimated_cost": Decimal("0.0500"),
}


def _figures(row: UsageDaily) -> dict[str, Any]:
    return {name: getattr(row, name) for name in analytics.METRICS}


def _as_decimal(figures: dict[str, Any]) -> dict[str, Any]:
    """SQLite hands Numeric back as Decimal with float noise trimmed by the column scale."""
    return {k: Decimal(str(v)) if isinstance(v, Decimal | float) else v for k, v in figures.items()}


def test_rollup_figures_are_exact(app_runtime: Runtime) -> None:
    a, b = _fixture(app_runtime)
    with transaction(app_runtime.sessions) as session:
        assert analytics.rollup_day(session, day=DAY) == 2
    with app_runtime.sessions() as session:
        row = _row(session, a)
        assert row.installation_id == a.installation.id
        assert row.integration_id == a.entry.id
        assert _as_decimal(_figures(row)) == _as_decimal(EXPECTED_A)
        other = _row(session, b)
        assert (other.api_calls, other.successful_calls, other.failed_calls) == (7, 7, 0)
        assert other.uptime_percentage == Decimal(100)  # no health checks that day
        assert other.estimated_cost == Decimal("0.0175")  # the same catalog price applies


def test_rollup_is_idempotent_and_recomputes_a_day(app_runtime: Runtime) -> None:
    a, _ = _fixture(app_runtime)
    for _ in range(2):
        with transaction(app_runtime.sessions) as session:
            analytics.rollup_day(session, day=DAY, organization_id=a.org.id)
    with app_runtime.sessions() as session:
        count = session.scalar(
            select(func.count()).select_from(UsageDaily).where(UsageDaily.day == DAY)
        )
        assert count == 1  # scoped to A; B untouched
        first = _row(session, a)
        assert _as_decimal(_figures(first)) == _as_decimal(EXPECTED_A)
        row_id = first.id
    with transaction(app_runtime.sessions) as session:
        a.log(session, NOON, activity_type="health_check", status="failure", api_calls=0)
    with transaction(app_runtime.sessions) as session:
        analytics.rollup_day(session, day=DAY)
    with app_runtime.sessions() as session:
        again = _row(session, a)
        assert again.id == row_id
        assert again.uptime_percentage == Decimal("33.33")
        assert again.api_calls == 20 and again.failed_calls == 3


def test_rollups_outlive_the_activity_log(app_runtime: Runtime) -> None:
    a, _ = _fixture(app_runtime)
    with transaction(app_runtime.sessions) as session:
        analytics.rollup_day(session, day=DAY)
    purged = retention.purge_activity(
        app_runtime.sessions, retention_days=30, clock=lambda: NOON + timedelta(days=60)
    )
    assert purged.deleted == 9
    assert analytics.rollup_days(app_runtime.sessions, days=[DAY]) == 0
    with app_runtime.sessions() as session:
        assert _as_decimal(_figures(_row(session, a))) == _as_decimal(EXPECTED_A)


def test_a_day_without_activity_writes_nothing(app_runtime: Runtime) -> None:
    _fixture(app_runtime)
    with transaction(app_runtime.sessions) as session:
        assert analytics.rollup_day(session, day=date(2020, 1, 1)) == 0
    with app_runtime.sessions() as session:
        assert session.scalar(select(func.count()).select_from(UsageDaily)) == 0
