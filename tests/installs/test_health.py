"""Health checks through the public API, on every database: healthy, failing, the move to
`error` after N failures and back, timeouts, credential warnings, tenants and roles."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import anyio
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from aria.audit.models import AuditEntry
from aria.installs import health
from aria.installs.models import ActivityLog, Credential, Installation
from aria.runtime import Runtime
from aria.sdk.sandbox import Faults
from tests.sdk.example_integration import DEMO
from tests.support import World, bearer

SECRET = DEMO["client_secret"]


def _install(client: TestClient, world: World, *, enable: bool = True, **config: Any) -> str:
    headers = bearer(world.owner_a)
    created = client.post(
        "/api/v1/installations",
        json={"integration_key": "acme-edr", "mode": "sandbox", "config": config},
        headers=headers,
    )
    assert created.status_code == 201, created.text
    installation_id = created.json()["id"]
    if enable:
        enabled = client.post(f"/api/v1/installations/{installation_id}/enable", headers=headers)
        assert enabled.status_code == 200, enabled.text
    return str(installation_id)


def _sandbox_faults(runtime: Runtime, faults: Faults) -> None:
    """The in-process sandbox every sandbox installation of acme-edr talks to."""
    runtime.sandbox_app("acme-edr").state.sandbox.faults = faults


def _check(client: TestClient, world: World, installation_id: str) -> dict[str, Any]:
    response = client.post(
        f"/api/v1/installations/{installation_id}/health", headers=bearer(world.owner_a)
    )
    assert response.status_code == 200, response.text
    return dict(response.json())


def _health_logs(world: World, installation_id: str) -> list[ActivityLog]:
    with world.runtime.sessions() as session:
        return list(
            session.scalars(
                select(ActivityLog)
                .where(
                    ActivityLog.installation_id == uuid.UUID(installation_id),
                    ActivityLog.activity_type == "health_check",
                )
                .order_by(ActivityLog.id)
            )
        )


def test_never_checked_installation_is_unknown(client: TestClient, world: World) -> None:
    installation_id = _install(client, world, enable=False)
    shown = client.get(
        f"/api/v1/installations/{installation_id}/health", headers=bearer(world.owner_a)
    ).json()
    assert shown["health_status"] == "unknown"
    assert shown["last_check"] is None and shown["last_health_check_at"] is None
    assert shown["warnings"] == []


def test_healthy_check_updates_the_installation_and_logs_activity(
    client: TestClient, world: World
) -> None:
    installation_id = _install(client, world)
    body = _check(client, world, installation_id)
    assert body["result"]["status"] == "healthy"
    assert body["result"]["message"] == "connected"
    assert body["result"]["api_calls"] >= 2  # token + first page
    assert body["health_status"] == "healthy"
    assert body["error_count"] == 0 and body["last_error"] is None
    assert body["last_health_check_at"] is not None
    assert body["status"] == "enabled" and body["moved_to"] is None
    assert SECRET not in str(body)
    (log,) = _health_logs(world, installation_id)
    assert (log.status, log.direction, log.triggered_by) == ("success", "outbound", "user")
    assert log.execution_time_ms is not None and log.api_calls == body["result"]["api_calls"]
    assert log.bytes_transferred > 0
    assert log.details["health"] == "healthy"
    assert log.triggered_by_user_id == world.owner_a.user.id
    shown = client.get(
        f"/api/v1/installations/{installation_id}/health", headers=bearer(world.owner_a)
    ).json()
    assert shown["health_status"] == "healthy"
    assert shown["last_check"]["status"] == "healthy"
    assert shown["last_check"]["api_calls"] == body["result"]["api_calls"]


def test_consecutive_failures_move_to_error_and_a_passing_check_recovers(
    client: TestClient, world: World
) -> None:
    installation_id = _install(client, world)
    _sandbox_faults(world.runtime, Faults(error_rate=1.0, error_status=403))
    first = _check(client, world, installation_id)
    assert first["result"]["status"] == "down"
    assert "403" in first["result"]["message"]
    assert (first["error_count"], first["status"]) == (1, "enabled")
    assert first["last_error"] == first["result"]["message"]
    assert first["last_error_at"] is not None
    second = _check(client, world, installation_id)
    assert (second["error_count"], second["status"]) == (2, "enabled")
    third = _check(client, world, installation_id)
    assert (third["error_count"], third["status"], third["moved_to"]) == (3, "error", "error")
    assert third["status_reason"].startswith("3 consecutive health checks failed; last: ")
    assert "403" in third["status_reason"]
    fourth = _check(client, world, installation_id)  # already in error: stays there
    assert (fourth["error_count"], fourth["status"], fourth["moved_to"]) == (4, "error", None)

    _sandbox_faults(world.runtime, Faults())
    recovered = _check(client, world, installation_id)
    assert recovered["result"]["status"] == "healthy"
    assert recovered["moved_to"] == "enabled"
    assert (recovered["status"], recovered["status_reason"], recovered["error_count"]) == (
        "enabled",
        None,
        0,
    )
    assert recovered["last_error"] == fourth["last_error"]  # kept as history
    assert [log.status for log in _health_logs(world, installation_id)] == [
        "failure",
        "failure",
        "failure",
        "failure",
        "success",
    ]
    with world.runtime.sessions() as session:
        moves = session.scalars(
            select(ActivityLog.message)
            .where(
                ActivityLog.activity_type == "state_change", ActivityLog.triggered_by == "system"
            )
            .order_by(ActivityLog.id)
        ).all()
        assert moves[0].startswith("enabled → error: 3 consecutive health checks failed")
        assert moves[1] == "error → enabled: health check passed again"
        audited = session.scalars(
            select(AuditEntry.action).where(AuditEntry.actor == health.SYSTEM_ACTOR)
        ).all()
        assert audited == ["installation.error", "installation.enabled"]


def test_threshold_comes_from_settings(client: TestClient, world: World) -> None:
    world.runtime.settings.health_failure_threshold = 1
    installation_id = _install(client, world)
    _sandbox_faults(world.runtime, Faults(error_rate=1.0, error_status=403))
    body = _check(client, world, installation_id)
    assert (body["status"], body["error_count"]) == ("error", 1)
    assert body["status_reason"].startswith("1 consecutive health checks failed")


def test_a_disabled_installation_counts_failures_but_does_not_change_state(
    client: TestClient, world: World
) -> None:
    installation_id = _install(client, world, enable=False)  # configuring
    _sandbox_faults(world.runtime, Faults(error_rate=1.0, error_status=403))
    for expected in (1, 2, 3, 4):
        body = _check(client, world, installation_id)
        assert (body["status"], body["error_count"]) == ("configuring", expected)


def test_rejected_credentials_are_down_and_never_echoed(client: TestClient, world: World) -> None:
    wrong = "wrong-secret-value-4711"
    installation_id = _install(client, world, enable=False, client_secret=wrong)
    body = _check(client, world, installation_id)
    assert body["result"]["status"] == "down"
    assert body["health_status"] == "down" and body["error_count"] == 1
    assert wrong not in str(body) and SECRET not in str(body)
    (log,) = _health_logs(world, installation_id)
    assert log.status == "failure" and log.error_code
    for text in (log.message, log.error_message, str(log.details)):
        assert wrong not in str(text)


def test_expiring_and_overdue_credentials_degrade_a_passing_check(
    client: TestClient, world: World
) -> None:
    installation_id = _install(client, world)
    now = datetime.now(UTC)
    with world.runtime.sessions() as session, session.begin():
        credential = session.scalar(
            select(Credential).where(
                Credential.installation_id == uuid.UUID(installation_id),
                Credential.field_name == "client_secret",
            )
        )
        assert credential is not None
        credential.expires_at = now + timedelta(days=5, hours=1)
        credential.rotation_frequency_days = 30
        credential.last_rotated = now - timedelta(days=45)
    body = _check(client, world, installation_id)
    assert body["result"]["status"] == "degraded"
    assert body["health_status"] == "degraded"
    warnings = body["result"]["warnings"]
    assert len(warnings) == 2
    assert warnings[0].startswith("credential 'client_secret' expires on ")
    assert "(in 5 days)" in warnings[0]
    assert warnings[1].startswith("credential 'client_secret' is overdue for rotation (every 30")
    assert body["warnings"] == warnings
    assert body["error_count"] == 0  # degraded is not a failure
    assert SECRET not in str(body)
    (log,) = _health_logs(world, installation_id)
    assert log.status == "partial" and log.details["warnings"] == warnings
    shown = client.get(
        f"/api/v1/installations/{installation_id}/health", headers=bearer(world.owner_a)
    ).json()
    assert shown["warnings"] == warnings
    assert shown["last_check"]["status"] == "degraded"


def test_credential_warnings_are_computed_against_the_given_clock() -> None:
    now = datetime(2024, 5, 1, 12, tzinfo=UTC)
    window = timedelta(days=14)

    def credential(**fields: Any) -> Credential:
        return Credential(field_name=fields.pop("name", "api_key"), **fields)

    assert health.credential_warnings([credential()], now=now, window=window) == []
    far = credential(expires_at=now + timedelta(days=15))
    assert health.credential_warnings([far], now=now, window=window) == []
    soon = credential(expires_at=now + timedelta(days=1, hours=2))
    assert health.credential_warnings([soon], now=now, window=window) == [
        "credential 'api_key' expires on 2024-05-02 (in 1 day)"
    ]
    gone = credential(expires_at=now - timedelta(hours=1))
    assert health.credential_warnings([gone], now=now, window=window) == [
        "credential 'api_key' expired on 2024-05-01"
    ]
    fresh = credential(last_rotated=now - timedelta(days=29), rotation_frequency_days=30)
    assert health.credential_warnings([fresh], now=now, window=window) == []
    due = credential(last_rotated=now - timedelta(days=30), rotation_frequency_days=30)
    assert health.credential_warnings([due], now=now, window=window) == [
        "credential 'api_key' is overdue for rotation (every 30 days; last rotated 2024-04-01)"
    ]


def test_a_check_that_never_answers_times_out_as_down(
    client: TestClient, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    installation_id = _install(client, world)
    sandbox = world.runtime.sandbox_app("acme-edr").state.sandbox

    async def hang(_seconds: float) -> None:
        await anyio.sleep_forever()

    sandbox.sleep = hang
    sandbox.faults = Faults(latency_ms=1)
    policy = health.HealthPolicy(timeout_s=0.2)
    monkeypatch.setattr(health.HealthPolicy, "from_settings", classmethod(lambda cls, s: policy))
    body = _check(client, world, installation_id)
    assert body["result"]["status"] == "down"
    assert body["result"]["message"] == "health check timed out after 0.2 s without an answer"
    assert body["result"]["details"]["error"] == "timeout"
    assert body["last_error"] == body["result"]["message"]
    (log,) = _health_logs(world, installation_id)
    assert log.error_code == "timeout" and log.status == "failure"


def test_unreadable_credentials_are_a_down_check_naming_the_installation(
    client: TestClient, world: World
) -> None:
    installation_id = _install(client, world)
    with world.runtime.sessions() as session, session.begin():
        credential = session.scalar(
            select(Credential).where(Credential.installation_id == uuid.UUID(installation_id))
        )
        assert credential is not None
        credential.ciphertext = credential.ciphertext[:-1] + bytes([credential.ciphertext[-1] ^ 1])
    body = _check(client, world, installation_id)
    assert body["result"]["status"] == "down"
    assert body["result"]["message"].startswith("credentials cannot be read:")
    assert installation_id in body["result"]["message"]


def test_other_organizations_get_404_and_roles_are_enforced(
    client: TestClient, world: World
) -> None:
    installation_id = _install(client, world)
    path = f"/api/v1/installations/{installation_id}/health"
    for method in ("get", "post"):
        response = getattr(client, method)(path, headers=bearer(world.owner_b))
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "not_found"
    missing = client.get(
        f"/api/v1/installations/{uuid.uuid4()}/health", headers=bearer(world.owner_a)
    )
    assert missing.status_code == 404
    viewer = world.member("viewer@example.com", world.org_a, "viewer")
    assert client.get(path, headers=bearer(viewer)).status_code == 200
    refused = client.post(path, headers=bearer(viewer))
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "forbidden"
    analyst = world.member("analyst@example.com", world.org_a, "analyst")
    assert client.post(path, headers=bearer(analyst)).status_code == 200
    assert client.get(path, headers=bearer(world.owner_a)).json()["health_status"] == "healthy"
    with world.runtime.sessions() as session:
        installation = session.get(Installation, uuid.UUID(installation_id))
        assert installation is not None and installation.organization_id == world.org_a.id


@pytest.mark.parametrize(
    ("change", "status", "code"),
    [("uninstall", 404, "not_found"), ("reconfigure", 409, "conflict")],
)
def test_a_change_during_the_check_is_not_overwritten(
    client: TestClient,
    world: World,
    monkeypatch: pytest.MonkeyPatch,
    change: str,
    status: int,
    code: str,
) -> None:
    installation_id = _install(client, world)
    real_check = health.check

    async def check_then_change(*args: Any, **kwargs: Any) -> health.Outcome:
        outcome = await real_check(*args, **kwargs)
        # Meanwhile, someone else (nothing is locked while the vendor is called):
        with world.runtime.sessions() as session, session.begin():
            installation = session.get(Installation, uuid.UUID(installation_id))
            assert installation is not None
            if change == "uninstall":
                session.delete(installation)
            else:
                installation.config_version += 1
        return outcome

    monkeypatch.setattr(health, "check", check_then_change)
    response = client.post(
        f"/api/v1/installations/{installation_id}/health", headers=bearer(world.owner_a)
    )
    assert response.status_code == status, response.text
    assert response.json()["error"]["code"] == code
    assert _health_logs(world, installation_id) == []
