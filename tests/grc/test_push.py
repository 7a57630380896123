"""Risks go out to ticketing installations through the queue; the ticket is linked on the
risk and later changes update the same ticket."""

from __future__ import annotations

import uuid

from fastapi.testclient import TestClient
from sqlalchemy import select

from aria.catalog.service import sync_catalog
from aria.db.engine import transaction
from aria.grc import models
from aria.grc.flows import push_risk
from aria.sdk.registry import Registry
from aria.sync.runner import run_job
from tests.grc.ticketing_integration import AcmeTickets
from tests.sdk.example_integration import AcmeEdr
from tests.support import World, bearer
from tests.sync.conftest import Installed


class RecordingQueue:
    def __init__(self) -> None:
        self.pushes: list[tuple[uuid.UUID, int, str]] = []

    def enqueue_push(self, installation_id: uuid.UUID, risk_id: int, action: str) -> None:
        self.pushes.append((installation_id, risk_id, action))


def _install(client: TestClient, world: World, key: str) -> str:
    headers = bearer(world.owner_a)
    created = client.post(
        "/api/v1/installations", json={"integration_key": key, "mode": "sandbox"}, headers=headers
    )
    assert created.status_code == 201, created.text
    enabled = client.post(f"/api/v1/installations/{created.json()['id']}/enable", headers=headers)
    assert enabled.status_code == 200, enabled.text
    return created.json()["id"]


def test_new_risks_open_tickets_and_closing_updates_them(client: TestClient, world: World) -> None:
    runtime = world.runtime
    runtime.__dict__["registry"] = Registry(
        integrations={AcmeEdr.key: AcmeEdr, AcmeTickets.key: AcmeTickets}
    )
    with transaction(runtime.sessions) as session:
        sync_catalog(session, registry=runtime.registry)
    edr = Installed(runtime, uuid.UUID(_install(client, world, "acme-edr")), world)
    tickets_id = uuid.UUID(_install(client, world, "acme-tickets"))
    queue = RecordingQueue()
    runtime.__dict__["tasks"] = type("Tasks", (), {"sync": queue})()
    edr.sandbox(size=30)
    assert run_job(runtime, edr.new_job("full")) == "succeeded"
    with runtime.sessions() as session:
        open_risks = session.scalars(select(models.Risk.id)).all()
    assert open_risks
    assert sorted(queue.pushes) == sorted((tickets_id, r, "open") for r in open_risks)
    first = open_risks[0]
    assert push_risk(runtime, tickets_id, first, "open").ok
    with runtime.sessions() as session:
        risk = session.get(models.Risk, first)
        assert risk is not None
        (ticket,) = risk.tickets
    assert ticket["integration"] == "acme-tickets" and ticket["external_id"].startswith("TCK-")
    sandbox = runtime.sandbox_app("acme-tickets")
    assert sandbox.state.tickets[ticket["external_id"]]["status"] == "open"
    from aria.grc.flows import risk_findings

    with runtime.sessions() as session:
        behind = risk_findings(session, first)
    assert behind and all(f["integration_key"] == "acme-edr" and f["source_uid"] for f in behind)
    assert push_risk(runtime, tickets_id, first, "close").ok
    assert sandbox.state.tickets[ticket["external_id"]]["status"] == "resolved"
    assert len(sandbox.state.tickets) == 1  # the same ticket was updated, not a new one
    activity = client.get(
        f"/api/v1/installations/{tickets_id}/activity",
        params={"activity_type": "push"},
        headers=bearer(world.owner_a),
    ).json()["items"]
    assert [a["status"] for a in activity] == ["success", "success"]
