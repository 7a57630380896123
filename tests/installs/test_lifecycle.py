"""The whole life of an installation through the public API, on every database."""

from __future__ import annotations

import uuid

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from aria.catalog.models import CatalogEntry
from aria.installs.models import ActivityLog, Configuration, Credential, Installation
from aria.vault import service as vault
from aria.vault.errors import DataKeyMissing
from tests.sdk.example_integration import DEMO
from tests.support import World, bearer

SECRET = DEMO["client_secret"]


def _install(client: TestClient, world: World, **body: object) -> dict:
    payload = {"integration_key": "acme-edr", "mode": "sandbox", **body}
    response = client.post("/api/v1/installations", json=payload, headers=bearer(world.owner_a))
    assert response.status_code == 201, response.text
    return response.json()


def _installs_count(world: World) -> int:
    with world.runtime.sessions() as session:
        return session.scalar(select(CatalogEntry.total_installs)) or 0


def test_sandbox_install_stores_secrets_encrypted_and_returns_them_masked(
    client: TestClient, world: World
) -> None:
    body = _install(client, world)
    assert body["status"] == "configuring" and body["config_version"] == 1
    assert body["config"]["client_id"] == DEMO["client_id"]
    secret = body["config"]["client_secret"]
    assert secret["set"] is True and secret["last_rotated"]
    assert SECRET not in str(body)
    assert _installs_count(world) == 1
    viewer = world.member("viewer@example.com", world.org_a, "viewer")
    seen = client.get(f"/api/v1/installations/{body['id']}", headers=bearer(viewer)).json()
    assert seen["config"]["client_secret"] == {"set": True}
    with world.runtime.sessions() as session:
        credential = session.scalar(
            select(Credential).where(Credential.field_name == "client_secret")
        )
        assert credential is not None and SECRET.encode() not in credential.ciphertext
        settings = session.scalar(select(Configuration.settings))
        assert "client_secret" not in settings and SECRET not in str(settings)


def test_bad_installs_change_nothing(client: TestClient, world: World) -> None:
    headers = bearer(world.owner_a)
    unknown = client.post(
        "/api/v1/installations", json={"integration_key": "nope"}, headers=headers
    )
    assert unknown.status_code == 404
    invalid = client.post(
        "/api/v1/installations",
        json={"integration_key": "acme-edr", "mode": "live", "config": {"client_id": 5}},
        headers=headers,
    )
    assert invalid.status_code == 422
    fields = invalid.json()["error"]["details"]["fields"]
    assert set(fields) >= {"client_id", "client_secret"}
    wrong_type = client.post(
        "/api/v1/installations",
        json={"integration_key": "acme-edr", "mode": "orbit"},
        headers=headers,
    )
    assert wrong_type.status_code == 422
    with world.runtime.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Installation)) == 0
        assert session.scalar(select(func.count()).select_from(Credential)) == 0
    assert _installs_count(world) == 0
    _install(client, world)
    duplicate = client.post(
        "/api/v1/installations",
        json={"integration_key": "acme-edr", "mode": "sandbox"},
        headers=headers,
    )
    assert duplicate.status_code == 409
    assert _installs_count(world) == 1


def test_analyst_cannot_install(client: TestClient, world: World) -> None:
    analyst = world.member("analyst@example.com", world.org_a, "analyst")
    response = client.post(
        "/api/v1/installations",
        json={"integration_key": "acme-edr", "mode": "sandbox"},
        headers=bearer(analyst),
    )
    assert response.status_code == 403


def test_connection_tests_saved_unsaved_and_failing(client: TestClient, world: World) -> None:
    headers = bearer(world.owner_a)
    unsaved = client.post(
        "/api/v1/connection-tests",
        json={"integration_key": "acme-edr", "mode": "sandbox"},
        headers=headers,
    )
    assert unsaved.status_code == 200 and unsaved.json()["ok"] is True
    body = _install(client, world)
    saved = client.post(f"/api/v1/installations/{body['id']}/test", headers=headers)
    assert saved.json()["ok"] is True
    bad = client.post(
        f"/api/v1/installations/{body['id']}/test",
        json={"config": {"client_secret": "wrong-secret-value-xyz"}},
        headers=headers,
    )
    assert bad.status_code == 200
    assert bad.json()["ok"] is False
    assert "wrong-secret-value-xyz" not in bad.text
    # the unsaved change was not saved
    assert (
        client.get(f"/api/v1/installations/{body['id']}", headers=headers).json()["config_version"]
        == 1
    )
    activity = client.get(
        f"/api/v1/installations/{body['id']}/activity",
        params={"activity_type": "test_connection"},
        headers=headers,
    ).json()["items"]
    assert [a["status"] for a in activity] == ["failure", "success"]
    assert "wrong-secret-value-xyz" not in str(activity)


def test_enable_requires_a_passing_test(client: TestClient, world: World) -> None:
    headers = bearer(world.owner_a)
    body = _install(client, world)
    changed = client.patch(
        f"/api/v1/installations/{body['id']}",
        json={"config": {"client_secret": "not-the-demo-secret"}},
        headers=headers,
    )
    assert changed.status_code == 200 and changed.json()["config_version"] == 2
    refused = client.post(f"/api/v1/installations/{body['id']}/enable", headers=headers)
    assert refused.status_code == 409
    assert "connection test failed" in refused.json()["error"]["message"]
    assert (
        client.get(f"/api/v1/installations/{body['id']}", headers=headers).json()["status"]
        == "configuring"
    )
    client.patch(
        f"/api/v1/installations/{body['id']}",
        json={"config": {"client_secret": SECRET}},
        headers=headers,
    )
    enabled = client.post(f"/api/v1/installations/{body['id']}/enable", headers=headers)
    assert enabled.status_code == 200, enabled.text
    assert enabled.json()["status"] == "enabled"


def test_update_without_secret_keeps_it_and_history_names_fields_only(
    client: TestClient, world: World
) -> None:
    headers = bearer(world.owner_a)
    body = _install(client, world)
    updated = client.patch(
        f"/api/v1/installations/{body['id']}",
        json={"config": {"webhook_secret": "whsec-new-value-789"}, "sync_frequency": "hourly"},
        headers=headers,
    )
    assert updated.status_code == 200, updated.text
    assert updated.json()["sync_frequency"] == "hourly"
    assert updated.json()["config"]["client_secret"]["set"] is True
    # Round-tripping the masked form keeps the secret too.
    same = client.patch(
        f"/api/v1/installations/{body['id']}",
        json={"config": {"client_secret": {"set": True}}},
        headers=headers,
    )
    assert same.json()["config_version"] == 2
    history = client.get(
        f"/api/v1/installations/{body['id']}/config-history", headers=headers
    ).json()
    assert [(h["version"], h["changed_fields"]) for h in history] == [
        (2, ["webhook_secret"]),
        (1, ["base_url", "client_id", "client_secret", "webhook_secret"]),
    ]
    assert "whsec-new-value-789" not in str(history)
    assert client.post(f"/api/v1/installations/{body['id']}/test", headers=headers).json()["ok"]


def test_enabled_installation_rejects_a_failing_configuration(
    client: TestClient, world: World
) -> None:
    headers = bearer(world.owner_a)
    body = _install(client, world)
    client.post(f"/api/v1/installations/{body['id']}/enable", headers=headers)
    response = client.patch(
        f"/api/v1/installations/{body['id']}",
        json={"config": {"client_secret": "broken-secret-000"}},
        headers=headers,
    )
    assert response.status_code == 409
    after = client.get(f"/api/v1/installations/{body['id']}", headers=headers).json()
    assert (after["config_version"], after["status"]) == (1, "enabled")


def test_uninstall_shreds_credentials_and_keeps_the_log(client: TestClient, world: World) -> None:
    headers = bearer(world.owner_a)
    body = _install(client, world)
    with world.runtime.sessions() as session:
        installation = session.get(Installation, uuid.UUID(body["id"]))
        credential = session.scalar(
            select(Credential).where(Credential.field_name == "client_secret")
        )
        assert installation is not None and credential is not None
        kept = (credential.ciphertext, credential.nonce)
    assert client.delete(f"/api/v1/installations/{body['id']}", headers=headers).status_code == 204
    assert client.get(f"/api/v1/installations/{body['id']}", headers=headers).status_code == 404
    assert _installs_count(world) == 0
    with world.runtime.sessions() as session:
        with pytest.raises(DataKeyMissing):
            vault.decrypt_field(
                session,
                master_key=world.runtime.master_key,
                installation=installation,
                field_name="client_secret",
                ciphertext=kept[0],
                nonce=kept[1],
            )
        logs = session.scalars(select(ActivityLog).order_by(ActivityLog.id)).all()
        assert [log.activity_type for log in logs] == ["install", "uninstall"]
        assert all(log.installation_id is None for log in logs)
        assert all(log.organization_id == world.org_a.id for log in logs)
    again = _install(client, world)
    assert again["id"] != body["id"]
    assert client.post(f"/api/v1/installations/{again['id']}/test", headers=headers).json()["ok"]


def test_credential_metadata_is_visible_only_to_roles_allowed_it(
    client: TestClient, world: World
) -> None:
    headers = bearer(world.owner_a)
    body = _install(client, world)
    path = f"/api/v1/installations/{body['id']}/credentials"
    updated = client.patch(
        f"{path}/client_secret",
        json={"expires_at": "2030-01-31T00:00:00Z", "rotation_frequency_days": 90},
        headers=headers,
    )
    assert updated.status_code == 200, updated.text
    assert updated.json()["rotation_frequency_days"] == 90
    assert client.patch(f"{path}/nope", json={}, headers=headers).status_code == 404
    naive = client.patch(
        f"{path}/client_secret", json={"expires_at": "2030-01-31T00:00:00"}, headers=headers
    )
    assert naive.status_code == 400
    shown = client.get(f"/api/v1/installations/{body['id']}", headers=headers).json()
    assert shown["config"]["client_secret"]["expires_at"].startswith("2030-01-31")
    analyst = world.member("analyst@example.com", world.org_a, "analyst")
    hidden = client.get(f"/api/v1/installations/{body['id']}", headers=bearer(analyst)).json()
    assert hidden["config"]["client_secret"] == {"set": True}
    assert (
        client.patch(f"{path}/client_secret", json={}, headers=bearer(analyst)).status_code == 403
    )
