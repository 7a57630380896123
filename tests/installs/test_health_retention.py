"""Activity-log retention deletes only rows older than the window, in batches."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from aria.db.engine import transaction
from aria.installs import retention
from aria.installs.models import ActivityLog, Installation
from aria.runtime import Runtime
from tests.installs.test_health_runner import make_installations

NOW = datetime(2024, 8, 1, 12, tzinfo=UTC)


def _seed(runtime: Runtime, ages_days: list[float]) -> None:
    (installation_id,) = make_installations(runtime, 1)
    with transaction(runtime.sessions) as session:
        installation = session.get(Installation, installation_id)
        assert installation is not None
        for age in ages_days:
            session.add(
                ActivityLog(
                    organization_id=installation.organization_id,
                    installation_id=installation.id,
                    integration_id=installation.integration_id,
                    activity_type="sync",
                    status="success",
                    message=f"age {age}",
                    created_at=NOW - timedelta(days=age),
                )
            )


def _left(runtime: Runtime) -> list[str]:
    with runtime.sessions() as session:
        return list(session.scalars(select(ActivityLog.message).order_by(ActivityLog.id)))


def test_only_rows_older_than_the_window_go(app_runtime: Runtime) -> None:
    ages = [0, 1, 89, 89.99, 90.01, 91, 200, 365, 400, 1000, 3000]
    _seed(app_runtime, ages)
    result = retention.purge_activity(
        app_runtime.sessions, retention_days=90, batch_size=2, clock=lambda: NOW
    )
    assert result.deleted == 7
    assert result.batches == 4  # 2 + 2 + 2 + 1
    assert result.cutoff == NOW - timedelta(days=90)
    assert _left(app_runtime) == ["age 0", "age 1", "age 89", "age 89.99"]
    again = retention.purge_activity(app_runtime.sessions, retention_days=90, clock=lambda: NOW)
    assert again.deleted == 0 and again.batches == 0


def test_retention_window_is_honoured(app_runtime: Runtime) -> None:
    _seed(app_runtime, [5, 10, 20])
    result = retention.purge_activity(app_runtime.sessions, retention_days=7, clock=lambda: NOW)
    assert result.deleted == 2
    assert _left(app_runtime) == ["age 5"]


def test_a_zero_day_window_is_refused(app_runtime: Runtime) -> None:
    with pytest.raises(ValueError, match="at least 1"):
        retention.purge_activity(app_runtime.sessions, retention_days=0)
