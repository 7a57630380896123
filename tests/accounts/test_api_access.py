"""API tokens and roles: who may do what, and nothing crosses organizations."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select

from aria.accounts.models import ApiToken
from aria.audit.models import AuditEntry
from tests.support import PASSWORD, World, bearer


def test_me_requires_a_valid_token(client: TestClient, world: World) -> None:
    assert client.get("/api/v1/me").status_code == 401
    assert client.get("/api/v1/me", headers={"Authorization": "Bearer nope"}).status_code == 401
    assert client.get("/api/v1/me", headers={"Authorization": "Basic abc"}).status_code == 401
    response = client.get("/api/v1/me", headers=bearer(world.owner_a))
    assert response.status_code == 200
    body = response.json()
    assert body["email"] == "owner-a@example.com"
    assert body["organization_name"] == "Org A"
    assert body["role"] == "owner"
    assert "manage_users" in body["permissions"]
    assert body["csrf_token"] is None


def test_tokens_are_stored_hashed_and_recognisable(client: TestClient, world: World) -> None:
    assert world.owner_a.token.startswith("aria_")
    with world.runtime.sessions() as session:
        stored = session.scalars(select(ApiToken)).all()
        assert all(world.owner_a.token not in (t.token_hash, t.prefix) for t in stored)
        assert any(world.owner_a.token.startswith(t.prefix) for t in stored)


def test_token_lifecycle_through_the_api(client: TestClient, world: World) -> None:
    created = client.post(
        "/api/v1/tokens", json={"name": "ci", "expires_in_days": 30}, headers=bearer(world.owner_a)
    )
    assert created.status_code == 201, created.text
    token = created.json()["token"]
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    listed = client.get("/api/v1/tokens", headers=headers).json()
    assert all("token" not in row for row in listed)
    mine = next(row for row in listed if row["id"] == created.json()["id"])
    assert mine["last_used_at"] is not None
    revoked = client.delete(f"/api/v1/tokens/{mine['id']}", headers=bearer(world.owner_a))
    assert revoked.status_code == 204
    assert client.get("/api/v1/me", headers=headers).status_code == 401
    with world.runtime.sessions() as session:
        actions = session.scalars(select(AuditEntry.action)).all()
    assert "token.created" in actions and "token.revoked" in actions


def test_viewer_cannot_manage_users_or_read_audit(client: TestClient, world: World) -> None:
    viewer = world.member("viewer@example.com", world.org_a, "viewer")
    add = client.post(
        "/api/v1/members",
        json={"email": "new@example.com", "role": "viewer", "password": PASSWORD},
        headers=bearer(viewer),
    )
    assert add.status_code == 403
    assert add.json()["error"]["code"] == "forbidden"
    assert client.get("/api/v1/audit", headers=bearer(viewer)).status_code == 403
    assert client.get("/api/v1/members", headers=bearer(viewer)).status_code == 200


def test_admin_manages_members_but_not_owners(client: TestClient, world: World) -> None:
    admin = world.member("admin@example.com", world.org_a, "admin")
    added = client.post(
        "/api/v1/members",
        json={"email": "analyst@example.com", "role": "analyst", "password": PASSWORD},
        headers=bearer(admin),
    )
    assert added.status_code == 201, added.text
    user_id = added.json()["user_id"]
    promoted = client.patch(
        f"/api/v1/members/{user_id}",
        json={"role": "integration_manager"},
        headers=bearer(admin),
    )
    assert promoted.status_code == 200
    assert promoted.json()["role"] == "integration_manager"
    to_owner = client.patch(
        f"/api/v1/members/{user_id}", json={"role": "owner"}, headers=bearer(admin)
    )
    assert to_owner.status_code == 403
    owner_id = str(world.owner_a.user.id)
    assert client.delete(f"/api/v1/members/{owner_id}", headers=bearer(admin)).status_code == 403
    with world.runtime.sessions() as session:
        change = session.scalar(
            select(AuditEntry).where(AuditEntry.action == "member.role_changed")
        )
    assert change is not None
    assert change.details == {"from": "analyst", "to": "integration_manager"}


def test_last_owner_cannot_be_demoted(client: TestClient, world: World) -> None:
    owner = world.owner_a
    response = client.patch(
        f"/api/v1/members/{owner.user.id}", json={"role": "admin"}, headers=bearer(owner)
    )
    assert response.status_code == 400
    assert "at least one owner" in response.json()["error"]["message"]


def test_role_change_takes_effect_on_the_next_request(client: TestClient, world: World) -> None:
    member = world.member("mover@example.com", world.org_a, "admin")
    assert client.get("/api/v1/audit", headers=bearer(member)).status_code == 200
    client.patch(
        f"/api/v1/members/{member.user.id}", json={"role": "viewer"}, headers=bearer(world.owner_a)
    )
    assert client.get("/api/v1/audit", headers=bearer(member)).status_code == 403
    client.delete(f"/api/v1/members/{member.user.id}", headers=bearer(world.owner_a))
    assert client.get("/api/v1/me", headers=bearer(member)).status_code == 401


def test_bad_member_input_changes_nothing(client: TestClient, world: World) -> None:
    headers = bearer(world.owner_a)
    cases = [
        ({"email": "x@example.com", "role": "emperor", "password": PASSWORD}, 422),
        ({"email": "x@example.com", "role": "viewer"}, 400),
        ({"email": "not-an-email", "role": "viewer", "password": PASSWORD}, 400),
        ({"email": "x@example.com", "role": "viewer", "password": "short"}, 422),
        ({"email": "x@example.com", "role": "viewer", "password": PASSWORD, "extra": 1}, 422),
    ]
    for body, expected in cases:
        response = client.post("/api/v1/members", json=body, headers=headers)
        assert response.status_code == expected, (body, response.text)
        assert set(response.json()) == {"error"}
    members = client.get("/api/v1/members", headers=headers).json()
    assert [m["email"] for m in members] == ["owner-a@example.com"]


def test_audit_is_scoped_to_the_organization(client: TestClient, world: World) -> None:
    client.post("/api/v1/tokens", json={"name": "a-only"}, headers=bearer(world.owner_a))
    entries_b = client.get("/api/v1/audit", headers=bearer(world.owner_b)).json()["items"]
    assert all(entry["details"].get("name") != "a-only" for entry in entries_b)
    entries_a = client.get("/api/v1/audit", headers=bearer(world.owner_a)).json()["items"]
    assert any(entry["details"].get("name") == "a-only" for entry in entries_a)
