"""Every API route that takes an id, called by another organization's owner with this
organization's ids, answers 404 and changes nothing.

Marketplace data is the exception, by design: the catalog and its reviews are shared by every
organization (anyone may read them and vote on a review); only a review's author may change
or delete it. Those routes are listed in SHARED with the status another organization gets.

The route list is read from the OpenAPI spec, so a new route with an id parameter is covered
automatically; one whose parameter this test cannot fill fails until it is taught here."""

from __future__ import annotations

import re
import uuid

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
    installation_id = installation.json()["id"]
    headers = bearer(world.owner_a)
    mapping = client.post(
        f"/api/v1/installations/{installation_id}/mappings",
        json={"source_type": "alerts", "name": "a"},
        headers=headers,
    )
    assert mapping.status_code == 201, mapping.text
    review = client.post(
        "/api/v1/catalog/acme-edr/reviews", json={"rating": 4, "title": "Solid"}, headers=headers
    )
    assert review.status_code == 201, review.text
    assert client.post(
        f"/api/v1/installations/{installation_id}/enable", headers=headers
    ).is_success
    runtime = world.runtime
    runtime._sandboxes["acme-edr"] = runtime.registry.get("acme-edr").sandbox_app(size=10)
    from aria.db.engine import transaction
    from aria.installs.models import Installation
    from aria.sync import service
    from aria.sync.runner import run_job

    with transaction(runtime.sessions) as session:
        installed = session.get(Installation, uuid.UUID(installation_id))
        done = service.create(session, installation=installed, job_type="full", triggered_by="t")
    assert run_job(runtime, done.id) == "succeeded"
    with transaction(runtime.sessions) as session:
        installed = session.get(Installation, uuid.UUID(installation_id))
        pending = service.create(session, installation=installed, job_type="full", triggered_by="t")
    hook = client.post(f"/api/v1/installations/{installation_id}/webhooks", headers=headers)
    assert hook.status_code == 201, hook.text
    subscription = client.post(
        "/api/v1/webhook-subscriptions",
        json={
            "name": "s",
            "url": "https://siem.example.com/in",
            "event_types": ["finding.created"],
        },
        headers=headers,
    )
    assert subscription.status_code == 201, subscription.text
    from aria.webhooks.models import DeadLetter

    with transaction(runtime.sessions) as session:
        letter = DeadLetter(organization_id=world.org_a.id, kind="inbound", reason="t", attempts=1)
        session.add(letter)
        session.flush()
        dead_letter_id = str(letter.id)
    finding = client.get("/api/v1/findings", headers=headers).json()["items"][0]
    asset = client.get("/api/v1/assets", headers=headers).json()["items"][0]
    risk = client.get("/api/v1/risks", headers=headers).json()["items"][0]
    return {
        "token_id": token.json()["id"],
        "user_id": str(analyst.user.id),
        "installation_id": installation_id,
        "field_name": "client_secret",
        "mapping_id": mapping.json()["id"],
        "key": "acme-edr",
        "review_id": review.json()["id"],
        "job_id": str(pending.id),
        "record_id": str(finding["id"]),
        "asset_id": str(asset["id"]),
        "risk_id": str(risk["id"]),
        "webhook_id": hook.json()["id"],
        "subscription_id": subscription.json()["id"],
        "dead_letter_id": dead_letter_id,
    }


# Shared marketplace data: what another organization's owner gets, and why.
SHARED = {
    ("get", "/api/v1/catalog/{key}"): 200,  # the catalog is public to every tenant
    ("get", "/api/v1/catalog/{key}/reviews"): 200,  # so are reviews
    ("get", "/api/v1/catalog/{key}/reviews/{review_id}"): 200,
    ("post", "/api/v1/catalog/{key}/reviews"): 201,  # and anyone may write their own
    ("post", "/api/v1/catalog/{key}/reviews/{review_id}/votes"): 200,  # or vote on one
    ("delete", "/api/v1/catalog/{key}/reviews/{review_id}/votes"): 200,  # (their own vote)
    # A public review exists for everyone, so 403 (not 404) reveals nothing: only its author
    # may change or delete it.
    ("patch", "/api/v1/catalog/{key}/reviews/{review_id}"): 403,
    ("delete", "/api/v1/catalog/{key}/reviews/{review_id}"): 403,
}


# A valid body per route, so a 404 comes from scoping rather than from validation.
BODIES = {
    ("patch", "/api/v1/members/{user_id}"): {"role": "viewer"},
    ("patch", "/api/v1/installations/{installation_id}"): {"sync_frequency": "weekly"},
    ("patch", "/api/v1/installations/{installation_id}/credentials/{field_name}"): {
        "rotation_frequency_days": 1
    },
    ("post", "/api/v1/installations/{installation_id}/mappings"): {
        "source_type": "alerts",
        "name": "b",
    },
    ("patch", "/api/v1/installations/{installation_id}/mappings/{mapping_id}"): {"priority": 1},
    ("post", "/api/v1/installations/{installation_id}/mappings/preview"): {
        "source_type": "alerts",
        "samples": [{"id": "x", "name": "n", "severity": "low", "updated_at": "2024-05-01"}],
    },
    ("post", "/api/v1/catalog/{key}/reviews"): {"rating": 2, "title": "From org B"},
    ("patch", "/api/v1/catalog/{key}/reviews/{review_id}"): {"title": "Hijacked"},
    ("post", "/api/v1/catalog/{key}/reviews/{review_id}/votes"): {"helpful": False},
    ("patch", "/api/v1/installations/{installation_id}/webhooks/{webhook_id}"): {
        "is_active": False
    },
    ("patch", "/api/v1/webhook-subscriptions/{subscription_id}"): {"name": "x"},
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
            expected = SHARED.get((method, template), 404)
            assert response.status_code == expected, (method, template, response.text)
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
    assert (installation["status"], installation["sync_frequency"]) == ("enabled", "daily")
    assert installation["config_version"] == 1
    review = client.get(
        f"/api/v1/catalog/acme-edr/reviews/{ids['review_id']}", headers=bearer(world.owner_a)
    ).json()
    assert review["title"] == "Solid"
    job = client.get(f"/api/v1/jobs/{ids['job_id']}", headers=bearer(world.owner_a)).json()
    assert job["status"] == "pending"
