"""Risks go out to ticketing installations through the queue; the ticket is linked on the
risk and later changes update the same ticket."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import cast

from fastapi.testclient import TestClient
from sqlalchemy import select

from aria.db.engine import transaction
from aria.db.types import utcnow
from aria.grc import events, models, tickets
from aria.grc.events import LifecycleEvent
from aria.grc.flows import push_risk
from aria.grc.store import Source
from aria.runtime import Runtime
from aria.sdk import Ticket
from aria.sync.runner import run_job
from tests.grc.ticketing_integration import AcmeTickets
from tests.sdk.example_integration import AcmeEdr
from tests.support import (
    RecordingQueue,
    World,
    bearer,
    install_enabled,
    load_risk,
    use_integrations,
)
from tests.sync.conftest import Installed


def _setup(client: TestClient, world: World) -> tuple[Installed, uuid.UUID]:
    runtime = world.runtime
    use_integrations(runtime, AcmeEdr, AcmeTickets)
    edr = Installed(runtime, install_enabled(client, world.owner_a, "acme-edr"), world)
    tickets_id = install_enabled(client, world.owner_a, "acme-tickets")
    return edr, tickets_id


def test_new_risks_open_tickets_and_closing_updates_them(client: TestClient, world: World) -> None:
    runtime = world.runtime
    edr, tickets_id = _setup(client, world)
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
    assert ticket.integration_key == "acme-tickets" and ticket.external_id.startswith("TCK-")
    assert ticket.url == f"https://tickets.acme.example/{ticket.external_id}"
    sandbox = runtime.sandbox_app("acme-tickets")
    created = sandbox.state.tickets[ticket.external_id]
    assert created["status"] == "open"
    assert created["link"].endswith(f"/register/risks/{first}")
    from aria.grc.flows import risk_findings

    with runtime.sessions() as session:
        behind = risk_findings(session, first)
    assert behind and all(f["integration_key"] == "acme-edr" and f["source_uid"] for f in behind)
    assert push_risk(runtime, tickets_id, first, "close").ok
    assert sandbox.state.tickets[ticket.external_id]["status"] == "resolved"
    assert len(sandbox.state.tickets) == 1  # the same ticket was updated, not a new one
    activity = client.get(
        f"/api/v1/installations/{tickets_id}/activity",
        params={"activity_type": "push"},
        headers=bearer(world.owner_a),
    ).json()["items"]
    assert [a["status"] for a in activity] == ["success", "success"]


def _sync(runtime: Runtime, installation_id: uuid.UUID) -> None:
    tickets = Installed(runtime, installation_id, cast(World, None))
    assert run_job(runtime, tickets.new_job("full")) == "succeeded"


def test_ticket_state_flows_back_to_the_risk(client: TestClient, world: World) -> None:
    """Resolving the ticket in the ticketing system closes the risk on the next sync, saying
    why; reopening it reopens the risk; a state the mapping does not know changes nothing."""
    runtime = world.runtime
    edr, tickets_id = _setup(client, world)
    runtime.__dict__["tasks"] = type("Tasks", (), {"sync": RecordingQueue()})()
    edr.sandbox(size=30)
    assert run_job(runtime, edr.new_job("full")) == "succeeded"
    with runtime.sessions() as session:
        first = session.scalars(select(models.Risk.id).order_by(models.Risk.id)).first()
    assert first is not None
    assert push_risk(runtime, tickets_id, first, "open").ok
    vendor = runtime.sandbox_app("acme-tickets").state.tickets
    (number,) = vendor
    published: list[LifecycleEvent] = []
    events.subscribe(published.extend)
    try:
        vendor[number]["status"] = "done"
        vendor[number]["comments"] = ["patched on all hosts"]
        _sync(runtime, tickets_id)
        risk = load_risk(runtime, first)
        assert risk.status == "closed" and risk.closed_at is not None
        assert risk.status_reason == f"Closed because ticket {number} is 'done' in acme-tickets"
        (link,) = risk.tickets
        assert (link.state, link.risk_status) == ("done", "closed")
        assert link.comments == [{"body": "patched on all hosts", "from_aria": False}]
        assert [(e.entity, e.kind, e.record_id) for e in published if e.entity == "risk"] == [
            ("risk", "resolved", first)
        ]

        vendor[number]["status"] = "blocked"  # not in the mapping: the risk stays as it is
        _sync(runtime, tickets_id)
        assert load_risk(runtime, first).status == "closed"

        vendor[number]["status"] = "working"
        _sync(runtime, tickets_id)
        risk = load_risk(runtime, first)
        assert risk.status == "in_progress" and risk.closed_at is None
        assert risk.status_reason.startswith("Reopened because ticket")
    finally:
        events.unsubscribe(published.extend)


def test_ticket_naming_a_risk_links_only_within_its_organization(
    client: TestClient, world: World
) -> None:
    """A ticket whose label names a risk is linked on first sight (recovering a push that
    crashed before its commit), but never to another organization's risk."""
    runtime = world.runtime
    _, installation = _setup(client, world)
    with transaction(runtime.sessions) as session:
        risk = models.Risk(
            organization_id=world.org_b.id,
            group_key="k",
            title="B's risk",
            likelihood=3,
            impact=3,
            score=9,
        )
        session.add(risk)
        session.flush()
        other_org_risk = risk.id
        mine = models.Risk(
            organization_id=world.org_a.id,
            group_key="k",
            title="A's",
            likelihood=2,
            impact=2,
            score=4,
        )
        session.add(mine)
        session.flush()
        my_risk = mine.id
    source = Source(world.org_a.id, installation, "acme-tickets")
    now = utcnow()
    with transaction(runtime.sessions) as session:
        moved = tickets.apply(
            session,
            source=source,
            tickets=[
                Ticket(
                    uid="T-1",
                    risk_id=other_org_risk,
                    state="done",
                    risk_status="closed",
                    created_at=now,
                ),
                Ticket(
                    uid="T-0",
                    risk_id=my_risk,
                    state="done",
                    risk_status="closed",
                    created_at=now - timedelta(days=30),  # older than the risk: not its ticket
                ),
                Ticket(
                    uid="T-2", risk_id=my_risk, state="done", risk_status="closed", created_at=now
                ),
            ],
            now=now,
        )
    assert [e.record_id for e in moved] == [my_risk]
    assert load_risk(runtime, other_org_risk).status == "open"
    assert [t.external_id for t in load_risk(runtime, my_risk).tickets] == ["T-2"]


def test_comment_lists_merge_and_never_shrink() -> None:
    """A sync carries every comment, a webhook only the new one: merged by vendor id (or body
    and time without one), the stored list only grows and an edited comment is replaced."""
    stored = [{"uid": "1", "body": "first"}, {"body": "no id", "created_at": "2026-01-01"}]
    merged = tickets.merge_comments(
        stored,
        [{"uid": "2", "body": "second"}, {"uid": "1", "body": "first, edited"}],
    )
    assert merged == [
        {"uid": "1", "body": "first, edited"},
        {"body": "no id", "created_at": "2026-01-01"},
        {"uid": "2", "body": "second"},
    ]
    assert tickets.merge_comments(merged, [{"body": "no id", "created_at": "2026-01-01"}]) == merged


def test_a_data_mapping_on_the_tickets_stream_overrides_the_state_mapping(
    client: TestClient, world: World
) -> None:
    """Per installation, a data mapping can say what a vendor state means for the risk: here
    the team's "blocked" state closes risks (the integration's defaults do not know it)."""
    runtime = world.runtime
    edr, tickets_id = _setup(client, world)
    runtime.__dict__["tasks"] = type("Tasks", (), {"sync": RecordingQueue()})()
    edr.sandbox(size=30)
    assert run_job(runtime, edr.new_job("full")) == "succeeded"
    with runtime.sessions() as session:
        first = session.scalars(select(models.Risk.id).order_by(models.Risk.id)).first()
    assert first is not None and push_risk(runtime, tickets_id, first, "open").ok
    mapping = client.post(
        f"/api/v1/installations/{tickets_id}/mappings",
        json={
            "source_type": "tickets",
            "name": "Our workflow",
            "field_mappings": [
                {
                    "source": "state",
                    "target": "risk_status",
                    "transforms": [
                        {
                            "type": "value_map",
                            "map": {"blocked": "closed", "open": "open"},
                            "case_insensitive": True,
                        }
                    ],
                }
            ],
        },
        headers=bearer(world.owner_a),
    )
    assert mapping.status_code == 201, mapping.text
    vendor = runtime.sandbox_app("acme-tickets").state.tickets
    (number,) = vendor
    vendor[number]["status"] = "Blocked"
    _sync(runtime, tickets_id)
    risk = load_risk(runtime, first)
    assert risk.status == "closed"
    assert risk.status_reason == f"Closed because ticket {number} is 'Blocked' in acme-tickets"
