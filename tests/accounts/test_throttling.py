"""Repeated login failures slow down, then lock; the audit log records each step."""

from __future__ import annotations

import itertools
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select

from aria.accounts.login import FREE_ATTEMPTS, LOCK_AFTER, LOCK_FOR, backoff, login
from aria.audit.models import AuditEntry
from aria.db.types import utcnow
from tests.support import PASSWORD, World


def test_backoff_grows_then_locks() -> None:
    delays = [backoff(n) for n in range(LOCK_AFTER + 1)]
    assert delays[:FREE_ATTEMPTS] == [timedelta(0)] * FREE_ATTEMPTS
    assert delays[FREE_ATTEMPTS] == timedelta(seconds=1)
    assert delays[FREE_ATTEMPTS + 1] == timedelta(seconds=2)
    assert all(a <= b for a, b in itertools.pairwise(delays))
    assert delays[LOCK_AFTER] == LOCK_FOR


def test_failures_throttle_then_lock_even_the_right_password(world: World) -> None:
    key = world.runtime.audit_key
    email = "owner-a@example.com"
    now = utcnow()
    with world.runtime.sessions() as session:
        for _ in range(FREE_ATTEMPTS):
            assert login(session, email=email, password="bad", audit_key=key, now=now).error == (
                "invalid"
            )
        throttled = login(session, email=email, password=PASSWORD, audit_key=key, now=now)
        assert throttled.error == "throttled" and throttled.retry_after == 2
        later = now + timedelta(seconds=2)
        assert login(session, email=email, password=PASSWORD, audit_key=key, now=later).user
        # Success resets the counter; now fail until locked.
        for attempt in range(LOCK_AFTER):
            at = later + timedelta(minutes=attempt)
            result = login(session, email=email, password="bad", audit_key=key, now=at)
            assert result.error == "invalid"
        locked_at = later + timedelta(minutes=LOCK_AFTER - 1)
        locked = login(session, email=email, password=PASSWORD, audit_key=key, now=locked_at)
        assert locked.error == "locked"
        assert locked.retry_after is not None and locked.retry_after > 14 * 60
        after_lock = locked_at + LOCK_FOR + timedelta(seconds=1)
        assert login(session, email=email, password=PASSWORD, audit_key=key, now=after_lock).user
        session.commit()
        actions = session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()
    assert actions.count("login.failed") == FREE_ATTEMPTS + LOCK_AFTER - 1
    assert actions.count("login.locked") == 1
    assert actions.count("login.throttled") == 2
    assert actions.count("login.succeeded") == 2


def test_api_answers_429_with_retry_after_detail(client: TestClient, world: World) -> None:
    for _ in range(FREE_ATTEMPTS):
        client.post("/auth/login", json={"email": "owner-a@example.com", "password": "bad"})
    response = client.post(
        "/auth/login", json={"email": "owner-a@example.com", "password": PASSWORD}
    )
    assert response.status_code == 429
    assert response.json()["error"]["details"]["retry_after"] >= 1
    assert (
        int(response.headers["retry-after"]) == response.json()["error"]["details"]["retry_after"]
    )
