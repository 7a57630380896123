"""`GET /catalog`, `GET /catalog/{key}`, `GET /collections` through the public API."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from aria.catalog.models import CatalogEntry
from aria.sdk.metadata import CATEGORIES
from tests.catalog.test_search import NASTY
from tests.sdk.example_integration import DEMO
from tests.support import World, bearer

ITEM_FIELDS = {
    "key",
    "name",
    "vendor",
    "category",
    "description",
    "avg_rating",
    "total_reviews",
    "total_installs",
    "logo_svg",
    "installed",
    "capabilities",
    "data_types",
    "pricing_model",
    "status",
}


def add_listings(world: World) -> None:
    with world.runtime.sessions() as session:
        for i, (name, category) in enumerate(
            [("Splunk Enterprise", "siem"), ("Tenable Vulnerability", "vuln_mgmt")]
        ):
            session.add(
                CatalogEntry(
                    key=name.split()[0].lower(),
                    name=name,
                    vendor=name.split()[0],
                    category=category,
                    description=f"{name} integration.",
                    version="1.0.0",
                    capabilities=["push"] if i == 0 else ["ingest"],
                    total_installs=i,
                )
            )
        session.commit()


def browse(client: TestClient, world: World, **params: Any) -> Any:
    return client.get("/api/v1/catalog", params=params, headers=bearer(world.owner_a))


def test_browse_shape_and_installed_per_organization(client: TestClient, world: World) -> None:
    add_listings(world)
    installed = client.post(
        "/api/v1/installations",
        json={"integration_key": "acme-edr", "mode": "sandbox"},
        headers=bearer(world.owner_b),
    )
    assert installed.status_code == 201
    body = browse(client, world).json()
    assert set(body) == {"items", "next_cursor", "category_counts", "sort"}
    assert [i["key"] for i in body["items"]] == ["acme-edr", "splunk", "tenable"]
    assert set(body["items"][0]) >= ITEM_FIELDS
    assert body["items"][0]["logo_svg"].startswith("<svg")
    assert body["category_counts"] == {
        c: int(c in ("edr", "siem", "vuln_mgmt")) for c in CATEGORIES
    }
    assert [i["installed"] for i in body["items"]] == [False, False, False]  # org B's, not A's
    as_b = client.get(
        "/api/v1/catalog", params={"installed": "true"}, headers=bearer(world.owner_b)
    )
    assert [(i["key"], i["installed"]) for i in as_b.json()["items"]] == [("acme-edr", True)]
    assert [i["key"] for i in browse(client, world, installed="true").json()["items"]] == []
    assert DEMO["client_secret"] not in as_b.text


def test_query_filters_sort_and_cursor(client: TestClient, world: World) -> None:
    add_listings(world)
    assert [i["key"] for i in browse(client, world, q="acm").json()["items"]] == ["acme-edr"]
    found = browse(client, world, q="splunk", category="siem").json()
    assert [i["key"] for i in found["items"]] == ["splunk"] and found["sort"] == "relevance"
    assert [i["key"] for i in browse(client, world, capability="push").json()["items"]] == [
        "splunk"
    ]
    by_installs = browse(client, world, sort="installs").json()["items"]
    assert [i["key"] for i in by_installs] == ["tenable", "acme-edr", "splunk"]
    first = browse(client, world, limit=2).json()
    second = browse(client, world, limit=2, cursor=first["next_cursor"]).json()
    assert [i["key"] for i in first["items"] + second["items"]] == ["acme-edr", "splunk", "tenable"]
    assert second["next_cursor"] is None


def test_bad_parameters_are_4xx_with_the_error_shape(client: TestClient, world: World) -> None:
    for params, code in [
        ({"category": "nope"}, 422),
        ({"sort": "random"}, 422),
        ({"status": "secret"}, 422),
        ({"capability": "x"}, 422),
        ({"pricing_model": "cheap"}, 422),
        ({"installed": "perhaps"}, 422),
        ({"limit": 0}, 422),
        ({"limit": 101}, 422),
        ({"limit": "ten"}, 422),
        ({"q": "x" * 201}, 422),
        ({"data_type": "alerts\x00"}, 422),
        ({"auth_method": "\x00"}, 422),
        ({"auth_method": "a b"}, 422),
        ({"cursor": "not-a-cursor"}, 400),
        ({"cursor": "eyJzIjoieCIsImsiOltdfQ"}, 400),  # well-formed, from no query of ours
    ]:
        response = browse(client, world, **params)
        assert response.status_code == code, (params, response.text)
        assert set(response.json()["error"]) == {"code", "message", "details"}
    for q, _expected in NASTY:
        assert browse(client, world, q=q).status_code == 200, q
    assert client.get("/api/v1/catalog").status_code == 401


def test_detail_and_unknown_key(client: TestClient, world: World) -> None:
    detail = client.get("/api/v1/catalog/acme-edr", headers=bearer(world.owner_a))
    assert detail.status_code == 200
    body = detail.json()
    for field in (
        "features",
        "what_you_get",
        "config_requirements",
        "config_schema",
        "rate_limits",
        "documentation_url",
        "support_url",
        "auth_methods",
        "rating_breakdown",
    ):
        assert field in body, field
    assert body["rating_breakdown"] == {str(n): 0 for n in range(1, 6)}
    assert body["installed"] is False and body["installation_id"] is None
    assert body["config_schema"]["properties"]["client_secret"]["x-secret"] is True
    missing = client.get("/api/v1/catalog/nope", headers=bearer(world.owner_a))
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"
    for odd in ("ACME-EDR", "acme%00edr", "a" * 100, "acme-edr%27--"):
        response = client.get(f"/api/v1/catalog/{odd}", headers=bearer(world.owner_a))
        assert response.status_code == 404, odd


def test_collections_in_order(client: TestClient, world: World) -> None:
    viewer = world.member("viewer@example.com", world.org_a, "viewer")
    response = client.get("/api/v1/collections", headers=bearer(viewer))
    assert response.status_code == 200
    body = response.json()
    assert [c["slug"] for c in body] == ["edr-suite", "vulnerability-management", "siem"]
    assert [i["key"] for i in body[0]["items"]] == ["acme-edr"]
    assert set(body[0]["items"][0]) >= ITEM_FIELDS
