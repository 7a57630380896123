"""Every API route that takes an id, called by another organization's owner with this
organization's ids, answers 404 and changes nothing.

The route list is read from the OpenAPI spec, so a new route with an id parameter is covered
automatically; one whose parameter this test cannot fill fails until it is taught here."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from tests.support import World, bearer

PARAM = re.compile(r"{(\w+)}")


def _ids_of_org_a(client: TestClient, world: World) -> dict[str, str]:
    token = client.post("/api/v1/tokens", json={"name": "a"}, headers=bearer(world.owner_a))
    analyst = world.member("analyst-a@example.com", world.org_a, "analyst")
    installation = client.post(
        "/api/v1/installations",
        json={"integration_key": "acme-edr", "mode": "sandbox"},
        headers=bearer(world.owner_a),
    )
    assert installation.status_code == 201, installation.text
    return {
        "token_id": token.json()["id"],
        "user_id": str(analyst.user.id),
        "installation_id": installation.json()["id"],
        "field_name": "client_secret",
    }


# A valid body per route, so a 404 comes from scoping rather than from validation.
BODIES = {
    ("patch", "/api/v1/members/{user_id}"): {"role": "viewer"},
    ("patch", "/api/v1/installations/{installation_id}"): {"sync_frequency": "weekly"},
    ("patch", "/api/v1/installations/{installation_id}/credentials/{field_name}"): {
        "rotation_frequency_days": 1
    },
}


def test_other_organizations_ids_are_not_found(client: TestClient, world: World) -> None:
    ids = _ids_of_org_a(client, world)
    spec = client.app.openapi()  # type: ignore[attr-defined]
    routes = {path: ops for path, ops in spec["paths"].items() if PARAM.search(path)}
    assert routes, "expected API routes with ids"
    checked = 0
    for template, operations in routes.items():
        names = PARAM.findall(template)
        missing = [name for name in names if name not in ids]
        assert not missing, f"teach this test an id for {missing} ({template})"
        path = PARAM.sub(lambda m: ids[m.group(1)], template)
        for method in operations:
            response = client.request(
                method.upper(),
                path,
                headers=bearer(world.owner_b),
                json=BODIES.get((method, template)),
            )
            assert response.status_code == 404, (method, template, response.text)
            checked += 1
    assert checked >= 3
    # ...and the objects are untouched for their own organization.
    me = client.get("/api/v1/me", headers=bearer(world.owner_a))
    assert me.status_code == 200
    members = client.get("/api/v1/members", headers=bearer(world.owner_a)).json()
    assert {m["email"]: m["role"] for m in members}["analyst-a@example.com"] == "analyst"
    tokens = client.get("/api/v1/tokens", headers=bearer(world.owner_a)).json()
    assert next(t for t in tokens if t["id"] == ids["token_id"])["revoked_at"] is None
    installation = client.get(
        f"/api/v1/installations/{ids['installation_id']}", headers=bearer(world.owner_a)
    ).json()
    assert (installation["status"], installation["sync_frequency"]) == ("configuring", "daily")
    assert installation["config_version"] == 1
