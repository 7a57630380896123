"""`GET /installations/{id}/analytics`: series, totals, today rolled up on demand, bad
ranges refused with the error shape, and other organizations get 404."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from aria.analytics import service as analytics
from aria.catalog.models import CatalogEntry
from aria.db.engine import transaction
from aria.installs.models import ActivityLog, Installation
from tests.support import World, bearer


def _install(client: TestClient, world: World) -> str:
    created = client.post(
        "/api/v1/installations",
        json={"integration_key": "acme-edr", "mode": "sandbox"},
        headers=bearer(world.owner_a),
    )
    assert created.status_code == 201, created.text
    return str(created.json()["id"])


def _log(world: World, installation_id: str, at: datetime, **fields: Any) -> None:
    with transaction(world.runtime.sessions) as session:
        installation = session.get(Installation, uuid.UUID(installation_id))
        assert installation is not None
        session.add(
            ActivityLog(
                organization_id=installation.organization_id,
                installation_id=installation.id,
                integration_id=installation.integration_id,
                created_at=at,
                activity_type=fields.pop("activity_type", "sync"),
                status=fields.pop("status", "success"),
                **fields,
            )
        )


def test_series_and_totals(client: TestClient, world: World) -> None:
    installation_id = _install(client, world)
    with transaction(world.runtime.sessions) as session:
        session.execute(update(CatalogEntry).values(price_per_call=Decimal("0.01")))
    today = datetime.now(UTC).date()
    first, second = today - timedelta(days=10), today - timedelta(days=9)

    def at(day: date) -> datetime:
        return datetime.combine(day, time(9), tzinfo=UTC)

    _log(
        world,
        installation_id,
        at(first),
        api_calls=30,
        execution_time_ms=100,
        bytes_transferred=2 * 1048576,
        records_processed=40,
    )
    _log(
        world,
        installation_id,
        at(first),
        activity_type="health_check",
        api_calls=0,
        status="failure",
        execution_time_ms=300,
    )
    _log(
        world,
        installation_id,
        at(second),
        api_calls=10,
        status="failure",
        execution_time_ms=500,
        triggered_by_user_id=world.owner_a.user.id,
    )
    with transaction(world.runtime.sessions) as session:
        for day in (first, second):
            analytics.rollup_day(session, day=day)
    response = client.get(
        f"/api/v1/installations/{installation_id}/analytics",
        params={"start": first.isoformat(), "end": second.isoformat()},
        headers=bearer(world.owner_a),
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["start"], body["end"]) == (first.isoformat(), second.isoformat())
    assert body["integration_key"] == "acme-edr"
    days = body["days"]
    assert [d["day"] for d in days] == [first.isoformat(), second.isoformat()]
    assert days[0] == {
        "day": first.isoformat(),
        "api_calls": 30,
        "successful_calls": 30,
        "failed_calls": 0,
        "avg_response_time_ms": 200.0,
        "max_response_time_ms": 300,
        "data_transferred_mb": 2.0,
        "records_synced": 40,
        "unique_users": 0,
        "uptime_percentage": 0.0,
        "error_rate": 0.0,
        "estimated_cost": 0.3,
    }
    assert (days[1]["failed_calls"], days[1]["error_rate"], days[1]["unique_users"]) == (
        10,
        100.0,
        1,
    )
    assert days[1]["uptime_percentage"] == 100.0
    assert body["totals"] == {
        "days": 2,
        "api_calls": 40,
        "successful_calls": 30,
        "failed_calls": 10,
        "avg_response_time_ms": 275.0,  # (200 * 30 + 500 * 10) / 40
        "max_response_time_ms": 500,
        "data_transferred_mb": 2.0,
        "records_synced": 40,
        "unique_users": 1,
        "uptime_percentage": 50.0,
        "error_rate": 25.0,
        "estimated_cost": 0.4,
    }


def test_today_is_rolled_up_on_demand(client: TestClient, world: World) -> None:
    installation_id = _install(client, world)
    headers = bearer(world.owner_a)
    assert client.post(f"/api/v1/installations/{installation_id}/test", headers=headers).json()[
        "ok"
    ]
    body = client.get(f"/api/v1/installations/{installation_id}/analytics", headers=headers).json()
    today = datetime.now(UTC).date()
    assert body["end"] == today.isoformat()
    assert body["start"] == (today - timedelta(days=29)).isoformat()
    (day,) = body["days"]
    assert day["day"] == today.isoformat()
    assert day["api_calls"] >= 2 and day["unique_users"] == 1
    before = day["api_calls"]
    assert client.post(f"/api/v1/installations/{installation_id}/test", headers=headers).json()[
        "ok"
    ]
    fresh = client.get(f"/api/v1/installations/{installation_id}/analytics", headers=headers)
    assert fresh.json()["days"][0]["api_calls"] > before


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"start": "2024-05-10", "end": "2024-05-01"}, "invalid_range"),
        ({"start": "2023-01-01", "end": "2024-01-02"}, "invalid_range"),
        ({"start": "2024-13-01"}, "validation_error"),
        ({"end": "yesterday"}, "validation_error"),
    ],
)
def test_bad_ranges_are_refused(
    client: TestClient, world: World, params: dict[str, str], code: str
) -> None:
    installation_id = _install(client, world)
    response = client.get(
        f"/api/v1/installations/{installation_id}/analytics",
        params=params,
        headers=bearer(world.owner_a),
    )
    assert response.status_code == 422
    assert response.json()["error"]["code"] == code
    assert response.json()["error"]["message"]


def test_a_full_year_is_allowed(client: TestClient, world: World) -> None:
    installation_id = _install(client, world)
    response = client.get(
        f"/api/v1/installations/{installation_id}/analytics",
        params={"start": "2024-01-01", "end": "2024-12-31"},  # 366 days (leap year)
        headers=bearer(world.owner_a),
    )
    assert response.status_code == 200, response.text
    assert response.json()["days"] == []


def test_other_organizations_get_404(client: TestClient, world: World) -> None:
    installation_id = _install(client, world)
    response = client.get(
        f"/api/v1/installations/{installation_id}/analytics", headers=bearer(world.owner_b)
    )
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    viewer = world.member("viewer@example.com", world.org_a, "viewer")
    allowed = client.get(
        f"/api/v1/installations/{installation_id}/analytics", headers=bearer(viewer)
    )
    assert allowed.status_code == 200
