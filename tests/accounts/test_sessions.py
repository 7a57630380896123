"""Browser sessions: cookie attributes, CSRF on state changes, logout, organization switch."""

from __future__ import annotations

from fastapi.testclient import TestClient

from aria.accounts import sessions
from tests.support import PASSWORD, World


def _login(client: TestClient, email: str, password: str = PASSWORD) -> str:
    response = client.post("/auth/login", json={"email": email, "password": password})
    assert response.status_code == 200, response.text
    return response.json()["csrf_token"]


def test_login_sets_a_hardened_cookie(client: TestClient, world: World) -> None:
    response = client.post(
        "/auth/login", json={"email": "owner-a@example.com", "password": PASSWORD}
    )
    assert response.status_code == 200
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(f"{sessions.COOKIE_NAME}=")
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie
    assert "Path=/" in cookie
    assert PASSWORD not in response.text


def test_wrong_password_is_401_with_one_message(client: TestClient, world: World) -> None:
    wrong = client.post(
        "/auth/login", json={"email": "owner-a@example.com", "password": "nope nope nope"}
    )
    unknown = client.post("/auth/login", json={"email": "ghost@example.com", "password": "x"})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json()
    assert sessions.COOKIE_NAME not in client.cookies


def test_state_changes_need_the_csrf_token(client: TestClient, world: World) -> None:
    csrf = _login(client, "owner-a@example.com")
    assert client.get("/api/v1/me").json()["csrf_token"] == csrf
    refused = client.post("/api/v1/tokens", json={"name": "x"})
    assert refused.status_code == 403
    assert "CSRF" in refused.json()["error"]["message"]
    forged = client.post("/api/v1/tokens", json={"name": "x"}, headers={"X-CSRF-Token": "0" * 64})
    assert forged.status_code == 403
    accepted = client.post("/api/v1/tokens", json={"name": "x"}, headers={"X-CSRF-Token": csrf})
    assert accepted.status_code == 201


def test_form_posts_carry_csrf_in_a_field(client: TestClient, world: World) -> None:
    csrf = _login(client, "owner-a@example.com")
    without = client.post("/auth/logout", data={"other": "1"})
    assert without.status_code == 403
    with_field = client.post("/auth/logout", data={"csrf_token": csrf})
    assert with_field.status_code == 204


def test_logout_ends_the_session_server_side(client: TestClient, world: World) -> None:
    csrf = _login(client, "owner-a@example.com")
    stolen = client.cookies.get(sessions.COOKIE_NAME)
    assert client.post("/auth/logout", headers={"X-CSRF-Token": csrf}).status_code == 204
    client.cookies.set(sessions.COOKIE_NAME, stolen)  # replaying the old cookie
    assert client.get("/api/v1/me").status_code == 401


def test_switching_organizations(client: TestClient, world: World) -> None:
    world.member("owner-a@example.com", world.org_b, "viewer")
    csrf = _login(client, "owner-a@example.com")
    assert client.get("/api/v1/me").json()["organization_name"] == "Org A"
    switched = client.post(
        "/auth/organization",
        json={"organization_id": str(world.org_b.id)},
        headers={"X-CSRF-Token": csrf},
    )
    assert switched.status_code == 200, switched.text
    me = client.get("/api/v1/me").json()
    assert (me["organization_name"], me["role"]) == ("Org B", "viewer")
    assert {o["name"] for o in me["organizations"]} == {"Org A", "Org B"}
    assert client.get("/api/v1/audit").status_code == 403


def test_cannot_switch_into_a_foreign_organization(client: TestClient, world: World) -> None:
    csrf = _login(client, "owner-a@example.com")
    response = client.post(
        "/auth/organization",
        json={"organization_id": str(world.org_b.id)},
        headers={"X-CSRF-Token": csrf},
    )
    assert response.status_code == 404
    assert client.get("/api/v1/me").json()["organization_name"] == "Org A"
