"""`/api/v1/installations/{id}/mappings` on every database: CRUD, validation, preview, tenancy."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from aria.audit.models import AuditEntry
from aria.mapping import service
from aria.mapping.models import DataMapping
from aria.sdk.records import Severity
from tests.mapping.support import alert, finding
from tests.support import Member, World, bearer

SEVERITY_TABLE: dict[str, Any] = {
    "source": "raw.severity",
    "target": "severity",
    "transforms": [
        "lowercase",
        {
            "type": "value_map",
            "map": {"low": 1, "medium": 2, "high": 3, "critical": 5},
            "default": 0,
        },
    ],
}
HOSTNAME: dict[str, Any] = {
    "source": "raw.hostname",
    "target": "asset.hostname",
    "transforms": ["lowercase"],
}
IP: dict[str, Any] = {"source": "raw.local_ip", "target": "asset.ip"}
DROP_LOW: dict[str, Any] = {"not": {"field": "raw.severity", "op": "eq", "value": "low"}}


def install(client: TestClient, member: Member) -> str:
    response = client.post(
        "/api/v1/installations",
        json={"integration_key": "acme-edr", "mode": "sandbox"},
        headers=bearer(member),
    )
    assert response.status_code == 201, response.text
    return response.json()["id"]


def url(installation_id: str, suffix: str = "") -> str:
    return f"/api/v1/installations/{installation_id}/mappings{suffix}"


def new_mapping(**overrides: Any) -> dict[str, Any]:
    return {
        "source_type": "alerts",
        "name": "Severity table",
        "field_mappings": [SEVERITY_TABLE, HOSTNAME],
        "filter_rules": DROP_LOW,
        "priority": 10,
        **overrides,
    }


def test_crud(client: TestClient, world: World) -> None:
    installation = install(client, world.owner_a)
    headers = bearer(world.owner_a)
    created = client.post(url(installation), json=new_mapping(), headers=headers)
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["installation_id"] == installation and body["priority"] == 10
    assert body["field_mappings"][1] == {**HOSTNAME, "transforms": [{"type": "lowercase"}]}
    assert body["field_mappings"][0]["transforms"][0] == {"type": "lowercase"}  # normalized
    mapping_id = body["id"]

    duplicate = client.post(url(installation), json=new_mapping(), headers=headers)
    assert duplicate.status_code == 409
    second = client.post(
        url(installation), json=new_mapping(name="Early", priority=1), headers=headers
    )
    assert second.status_code == 201

    listed = client.get(url(installation), headers=headers).json()
    assert [m["name"] for m in listed] == ["Early", "Severity table"]  # application order
    assert client.get(url(installation, "?source_type=devices"), headers=headers).json() == []
    assert (
        client.get(url(installation, f"/{mapping_id}"), headers=headers).json()["name"]
        == "Severity table"
    )

    patched = client.patch(
        url(installation, f"/{mapping_id}"),
        json={"is_active": False, "transformations": [{"field": "title", "transforms": ["strip"]}]},
        headers=headers,
    )
    assert patched.status_code == 200, patched.text
    assert patched.json()["is_active"] is False
    assert patched.json()["transformations"] == [
        {"field": "title", "transforms": [{"type": "strip", "chars": None}]}
    ]
    assert patched.json()["field_mappings"] == body["field_mappings"]  # untouched fields kept
    renamed = client.patch(
        url(installation, f"/{mapping_id}"), json={"name": "Early"}, headers=headers
    )
    assert renamed.status_code == 409

    assert client.delete(url(installation, f"/{mapping_id}"), headers=headers).status_code == 204
    assert client.get(url(installation, f"/{mapping_id}"), headers=headers).status_code == 404
    with world.runtime.sessions() as session:
        assert session.scalar(select(func.count()).select_from(DataMapping)) == 1
        actions = set(
            session.scalars(select(AuditEntry.action).where(AuditEntry.action.like("mapping.%")))
        )
        assert actions == {"mapping.created", "mapping.updated", "mapping.deleted"}


def test_bad_specs_are_422_with_exact_locations(client: TestClient, world: World) -> None:
    installation = install(client, world.owner_a)
    headers = bearer(world.owner_a)
    bad = new_mapping(
        field_mappings=[
            HOSTNAME,
            {"source": "raw.x", "target": "asset.hostnme"},
            {
                "source": "raw.severity",
                "target": "severity",
                "transforms": [{"type": "value_map", "map": 7}],
            },
        ],
        filter_rules={"any": [{"field": "raw.severity", "op": "between", "value": 1}]},
    )
    response = client.post(url(installation), json=bad, headers=headers)
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    fields = {d["field"] for d in error["details"]}
    assert fields == {"field_mappings[2].transforms[0].map", "filter_rules.any[0].op"}

    paths = client.post(
        url(installation),
        json=new_mapping(field_mappings=[{"source": "raw.x", "target": "asset.hostnme"}]),
        headers=headers,
    )
    assert paths.status_code == 422
    assert paths.json()["error"]["details"][0]["field"] == "field_mappings[0].target"

    # devices produce assets: a finding-only target is refused for them
    asset = client.post(
        url(installation),
        json=new_mapping(
            source_type="devices", field_mappings=[{"source": "raw.hostname", "target": "hostname"}]
        ),
        headers=headers,
    )
    assert asset.status_code == 201
    wrong_type = client.post(
        url(installation),
        json=new_mapping(
            source_type="devices",
            name="x",
            field_mappings=[{"source": "raw.a", "target": "detection_info.url"}],
        ),
        headers=headers,
    )
    assert wrong_type.status_code == 422
    stream = client.post(
        url(installation), json=new_mapping(source_type="tickets"), headers=headers
    )
    assert stream.status_code == 422
    assert stream.json()["error"]["details"][0]["field"] == "source_type"
    assert "streams: alerts, devices" in stream.json()["error"]["details"][0]["message"]

    created = client.post(url(installation), json=new_mapping(), headers=headers).json()
    patch = client.patch(
        url(installation, f"/{created['id']}"),
        json={"transformations": [{"field": "title", "transforms": ["eval"]}]},
        headers=headers,
    )
    assert patch.status_code == 422
    assert patch.json()["error"]["details"][0]["field"] == "transformations[0].transforms[0]"
    with world.runtime.sessions() as session:
        assert session.scalar(select(func.count()).select_from(DataMapping)) == 2


def test_preview_with_acme_alert_samples(client: TestClient, world: World) -> None:
    installation = install(client, world.owner_a)
    headers = bearer(world.owner_a)
    samples = [
        alert(severity="Critical", hostname="WS-0042.corp.example"),
        alert(id="a-low", severity="low"),
        alert(id="a-odd", severity="high", local_ip="999.1.1.1"),
        {"id": "broken"},  # the normalizer itself cannot read this one
    ]
    response = client.post(
        url(installation, "/preview"),
        json={
            "source_type": "alerts",
            "field_mappings": [SEVERITY_TABLE, HOSTNAME, IP],
            "filter_rules": DROP_LOW,
            "samples": samples,
        },
        headers=headers,
    )
    assert response.status_code == 200, response.text
    body = response.json()
    first, low, odd, broken = body["samples"]
    assert first["before"]["severity"] == Severity.CRITICAL and first["before"]["asset"] is None
    assert first["after"]["severity"] == Severity.CRITICAL
    assert first["after"]["asset"]["hostname"] == "ws-0042.corp.example"
    assert "asset.hostname" in first["changes"] and "raw" not in first["after"]
    assert low["after"] is None and low["dropped_by"] == "preview"
    assert odd["after"] is None and odd["errors"] and "asset.ip: not an IP" in odd["errors"][0]
    assert broken["before"] is None and "normalizer" in broken["errors"][0]
    assert body["stats"]["dropped_by"] == {"preview": 1} and body["stats"]["errors"] == 1
    with world.runtime.sessions() as session:  # nothing saved
        assert session.scalar(select(func.count()).select_from(DataMapping)) == 0

    # with the saved mappings: the stored one runs first (priority 1), then the preview
    saved = new_mapping(
        name="Upper title",
        priority=1,
        field_mappings=[],
        filter_rules={},
        transformations=[{"field": "title", "transforms": ["uppercase"]}],
    )
    assert client.post(url(installation), json=saved, headers=headers).status_code == 201
    combined = client.post(
        url(installation, "/preview"),
        json={
            "source_type": "alerts",
            "field_mappings": [HOSTNAME],
            "samples": samples[:1],
            "include_saved": True,
        },
        headers=headers,
    ).json()
    assert combined["mappings"] == ["Upper title", "preview"]
    assert combined["samples"][0]["after"]["title"] == "CREDENTIAL DUMPING"

    invalid = client.post(
        url(installation, "/preview"),
        json={
            "source_type": "alerts",
            "field_mappings": [{"source": "raw.a", "target": "nope"}],
            "samples": samples,
        },
        headers=headers,
    )
    assert invalid.status_code == 422
    assert invalid.json()["error"]["details"][0]["field"] == "field_mappings[0].target"


def test_other_organizations_get_404(client: TestClient, world: World) -> None:
    mine = install(client, world.owner_a)
    theirs = install(client, world.owner_b)
    created = client.post(url(mine), json=new_mapping(), headers=bearer(world.owner_a)).json()
    b = bearer(world.owner_b)
    for method, path, body in (
        ("GET", url(mine), None),
        ("POST", url(mine), new_mapping(name="sneaky")),
        ("GET", url(mine, f"/{created['id']}"), None),
        ("PATCH", url(mine, f"/{created['id']}"), {"priority": 1}),
        ("DELETE", url(mine, f"/{created['id']}"), None),
        ("POST", url(mine, "/preview"), {"source_type": "alerts", "samples": [alert()]}),
        # B's own installation does not unlock A's mapping id
        ("GET", url(theirs, f"/{created['id']}"), None),
        ("DELETE", url(theirs, f"/{created['id']}"), None),
        ("GET", url(mine, f"/{uuid.uuid4()}"), None),
    ):
        response = client.request(method, path, json=body, headers=b)
        assert response.status_code == 404, (method, path, response.text)
    a_view = client.get(url(mine, f"/{created['id']}"), headers=bearer(world.owner_a)).json()
    assert a_view["priority"] == 10 and a_view["name"] == "Severity table"


def test_permissions(client: TestClient, world: World) -> None:
    installation = install(client, world.owner_a)
    viewer = world.member("viewer@example.com", world.org_a, "viewer")
    manager = world.member("manager@example.com", world.org_a, "integration_manager")
    assert client.get(url(installation), headers=bearer(viewer)).status_code == 200
    assert (
        client.post(url(installation), json=new_mapping(), headers=bearer(viewer)).status_code
        == 403
    )
    preview = {"source_type": "alerts", "samples": [alert()]}
    assert (
        client.post(url(installation, "/preview"), json=preview, headers=bearer(viewer)).status_code
        == 403
    )
    assert (
        client.post(url(installation), json=new_mapping(), headers=bearer(manager)).status_code
        == 201
    )
    assert client.get(url(installation)).status_code == 401


def test_plan_for_the_sync_engine(client: TestClient, world: World) -> None:
    installation = install(client, world.owner_a)
    headers = bearer(world.owner_a)
    client.post(url(installation), json=new_mapping(), headers=headers)
    client.post(
        url(installation),
        json=new_mapping(
            name="off",
            is_active=False,
            filter_rules={"field": "raw.id", "op": "exists", "value": False},
        ),
        headers=headers,
    )
    with world.runtime.sessions() as session:
        plan = service.plan_for(
            session, installation_id=uuid.UUID(installation), source_type="alerts"
        )
    assert [m.name for m in plan.mappings] == ["Severity table"]
    out = plan.apply(finding(severity="medium"))
    assert out is not None and out.severity == 2
    assert plan.apply(finding(severity="low")) is None
    assert plan.stats.as_dict()["messages"] == ["1 dropped by mapping Severity table"]


@pytest.mark.parametrize("bad_body", [{"samples": []}, {"samples": [alert()] * 51}])
def test_preview_needs_samples(client: TestClient, world: World, bad_body: dict[str, Any]) -> None:
    installation = install(client, world.owner_a)
    response = client.post(
        url(installation, "/preview"),
        json={"source_type": "alerts", **bad_body},
        headers=bearer(world.owner_a),
    )
    assert response.status_code == 422
