"""`POST /api/v1/query`: one search across SIEMs, translated or native, errors beside results;
and risks forwarded to a SIEM as events are found again by that SIEM's search."""

from __future__ import annotations

import uuid

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from aria.grc import models
from aria.grc.flows import push_risk
from aria.installs.models import ActivityLog
from aria.sync.runner import run_job
from tests.grc.ticketing_integration import AcmeTickets
from tests.sdk.example_integration import AcmeEdr
from tests.siemquery.siem_integration import AcmeSiem
from tests.support import RecordingQueue, World, bearer, install_enabled, use_integrations
from tests.sync.conftest import Installed


class OtherSiem(AcmeSiem):
    key = "other-siem"
    name = "Other SIEM"


@pytest.fixture
def siems(client: TestClient, world: World) -> dict[str, uuid.UUID]:
    use_integrations(world.runtime, AcmeEdr, AcmeTickets, AcmeSiem, OtherSiem)
    return {
        key: install_enabled(client, world.owner_a, key)
        for key in ("acme-edr", "acme-siem", "other-siem", "acme-tickets")
    }


def _forward_first_risk(world: World, siems: dict[str, uuid.UUID]) -> int:
    runtime = world.runtime
    runtime.__dict__["tasks"] = type("Tasks", (), {"sync": RecordingQueue()})()
    runtime._sandboxes[AcmeEdr.key] = AcmeEdr.sandbox_app(size=20)  # type: ignore[assignment]
    edr = Installed(runtime, siems["acme-edr"], world)
    assert run_job(runtime, edr.new_job("full")) == "succeeded"
    with runtime.sessions() as session:
        risk_id = session.scalars(select(models.Risk.id).order_by(models.Risk.id)).first()
    assert risk_id is not None
    result = push_risk(runtime, siems["acme-siem"], risk_id, "open")
    assert result.ok and result.details == {"accepted": 1}
    return risk_id


def test_forwarded_risk_is_found_with_a_common_query(
    client: TestClient, world: World, siems: dict[str, uuid.UUID]
) -> None:
    risk_id = _forward_first_risk(world, siems)
    events = world.runtime.sandbox_app("acme-siem").state.events
    stored = [e for e in events if e.get("source") == "aria"]
    assert len(events) > len(stored)  # the sandbox's own events are there too
    assert [e["risk_id"] for e in stored] == [risk_id]
    assert stored[0]["aria_event"] == "risk.open" and stored[0]["source"] == "aria"
    assert "findings" not in stored[0] and "ticket" not in stored[0]

    answer = client.post(
        "/api/v1/query",
        json={"common": {"filters": [{"field": "risk_id", "value": str(risk_id)}]}},
        headers=bearer(world.owner_a),
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    by_key = {r["integration_key"]: r for r in body["results"]}
    # Every enabled SIEM of the organization is asked; the ticketing system is not.
    assert sorted(by_key) == ["acme-siem", "other-siem"] and body["errors"] == []
    assert by_key["acme-siem"]["query"] == f"risk_id={risk_id}"
    assert [h["fields"]["risk_id"] for h in by_key["acme-siem"]["hits"]] == [risk_id]
    assert by_key["other-siem"]["hits"] == []  # nothing was forwarded there


def test_native_queries_report_errors_beside_results(
    client: TestClient, world: World, siems: dict[str, uuid.UUID]
) -> None:
    risk_id = _forward_first_risk(world, siems)
    answer = client.post(
        "/api/v1/query",
        json={
            "native": {
                str(siems["acme-siem"]): f"risk_id={risk_id} AND title~{''}",
                str(siems["other-siem"]): "(broken",
                str(siems["acme-tickets"]): "anything",
            }
        },
        headers=bearer(world.owner_a),
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    (result,) = body["results"]
    assert result["integration_key"] == "acme-siem" and len(result["hits"]) == 1
    errors = {e["integration_key"]: e for e in body["errors"]}
    assert errors["other-siem"]["code"] == "FatalError"
    assert "syntax error" in errors["other-siem"]["error"]
    assert errors["acme-tickets"]["code"] == "unsupported"
    with world.runtime.sessions() as session:
        logged = session.scalars(
            select(ActivityLog.installation_id, ActivityLog.status).where(
                ActivityLog.activity_type == "query"
            )
        ).all()
    assert len(logged) == 2  # the two SIEMs that were asked; the unsupported one was not


def test_a_disabled_siem_is_reported_not_asked(
    client: TestClient, world: World, siems: dict[str, uuid.UUID]
) -> None:
    headers = bearer(world.owner_a)
    disabled = client.post(f"/api/v1/installations/{siems['other-siem']}/disable", headers=headers)
    assert disabled.status_code == 200, disabled.text
    body = client.post(
        "/api/v1/query",
        json={
            "installation_ids": [str(siems["other-siem"])],
            "common": {"filters": [{"field": "host", "value": "h1"}]},
        },
        headers=headers,
    ).json()
    assert body["results"] == []
    assert [(e["integration_key"], e["code"]) for e in body["errors"]] == [
        ("other-siem", "not_enabled")
    ]


@pytest.mark.parametrize(
    "payload",
    [
        {},
        {"common": {"filters": []}, "native": {}},
        {"native": {}},
        {"common": {"filters": [{"field": "x) OR (1", "value": "a"}]}},
        {"common": {"filters": [], "limit": 0}},
    ],
)
def test_malformed_requests_are_422(
    client: TestClient, world: World, siems: dict[str, uuid.UUID], payload: dict
) -> None:
    answer = client.post("/api/v1/query", json=payload, headers=bearer(world.owner_a))
    assert answer.status_code == 422, answer.text


def test_other_organizations_installations_are_404_and_viewers_may_not_search(
    client: TestClient, world: World, siems: dict[str, uuid.UUID]
) -> None:
    answer = client.post(
        "/api/v1/query",
        json={"native": {str(siems["acme-siem"]): "host=h1"}},
        headers=bearer(world.owner_b),
    )
    assert answer.status_code == 404
    viewer = world.member("viewer-a@example.com", world.org_a, "viewer")
    answer = client.post("/api/v1/query", json={"common": {"filters": []}}, headers=bearer(viewer))
    assert answer.status_code == 403
