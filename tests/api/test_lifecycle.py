"""The whole life of an integration through the public API, as an outside automation would
drive it: browse → install (sandbox) → test → enable → health → activity → review → sync →
disable → uninstall."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.support import World, bearer


def test_browse_install_run_review_and_uninstall(client: TestClient, world: World) -> None:
    headers = bearer(world.owner_a)
    catalog = client.get("/api/v1/catalog", params={"q": "acme"}, headers=headers).json()
    assert [item["key"] for item in catalog["items"]] == ["acme-edr"]
    assert catalog["items"][0]["installed"] is False
    detail = client.get("/api/v1/catalog/acme-edr", headers=headers).json()
    assert detail["config_schema"]["properties"]["client_secret"]["x-secret"] is True

    installed = client.post(
        "/api/v1/installations",
        json={"integration_key": "acme-edr", "mode": "sandbox", "sync_frequency": "hourly"},
        headers=headers,
    )
    assert installed.status_code == 201, installed.text
    path = f"/api/v1/installations/{installed.json()['id']}"
    assert client.post(f"{path}/test", headers=headers).json()["ok"] is True
    assert client.post(f"{path}/enable", headers=headers).json()["status"] == "enabled"

    checked = client.post(f"{path}/health", headers=headers)
    assert checked.status_code == 200, checked.text
    health = client.get(f"{path}/health", headers=headers).json()
    assert health["health_status"] == "healthy"

    review = client.post(
        "/api/v1/catalog/acme-edr/reviews",
        json={"rating": 5, "title": "Works in minutes", "review_text": "Sandbox first, then live."},
        headers=headers,
    )
    assert review.status_code == 201, review.text
    assert review.json()["is_verified_purchase"] is True
    after = client.get("/api/v1/catalog/acme-edr", headers=headers).json()
    assert (after["avg_rating"], after["total_reviews"], after["total_installs"]) == (5.0, 1, 1)

    analytics = client.get(f"{path}/analytics", headers=headers)
    assert analytics.status_code == 200, analytics.text

    activity = client.get(f"{path}/activity", headers=headers).json()["items"]
    kinds = {a["activity_type"] for a in activity}
    assert {"install", "test_connection", "state_change", "health_check"} <= kinds

    assert client.post(f"{path}/disable", headers=headers).json()["status"] == "disabled"
    assert client.delete(path, headers=headers).status_code == 204
    assert client.get(path, headers=headers).status_code == 404
    final = client.get("/api/v1/catalog/acme-edr", headers=headers).json()
    assert final["total_installs"] == 0 and final["installed"] is False
