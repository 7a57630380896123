"""Wave-1 end to end, through the platform rather than an integration alone:

* a risk opens a ticket in the Jira sandbox; the ticket is resolved there through Jira's own
  transitions endpoint; the next sync of the Jira installation closes the risk;
* a risk is forwarded to every SIEM sandbox that ingests events and found again with that
  SIEM's own query language through ``POST /api/v1/query``.
"""

from __future__ import annotations

import uuid

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from aria.asyncbridge import run_async
from aria.grc import models
from aria.grc.flows import push_risk
from aria.integrations.elasticsearch import Elasticsearch
from aria.integrations.ibm_qradar import IbmQradar
from aria.integrations.jira import Jira
from aria.integrations.microsoft_sentinel import MicrosoftSentinel
from aria.integrations.splunk import Splunk
from aria.integrations.sumo_logic import SumoLogic
from aria.sync.runner import run_job
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

FORWARDING_SIEMS = (Splunk, MicrosoftSentinel, Elasticsearch, SumoLogic)


def _risks_from_edr(client: TestClient, world: World) -> tuple[RecordingQueue, list[int]]:
    """Sync the example EDR so the default rule opens risks; pushes are recorded, not sent."""
    runtime = world.runtime
    queue = RecordingQueue()
    runtime.__dict__["tasks"] = type("Tasks", (), {"sync": queue})()
    edr = Installed(runtime, install_enabled(client, world.owner_a, AcmeEdr.key), world)
    runtime._sandboxes[AcmeEdr.key] = AcmeEdr.sandbox_app(size=20)  # type: ignore[assignment]
    assert run_job(runtime, edr.new_job("full")) == "succeeded"
    with runtime.sessions() as session:
        risk_ids = list(session.scalars(select(models.Risk.id).order_by(models.Risk.id)))
    assert risk_ids
    return queue, risk_ids


def _jira_transition(app: object, key: str, status: str) -> None:
    """Resolve the issue the way a Jira user's click does: GET transitions, POST one."""
    from aria.integrations.jira.sandbox import DEMO

    async def move() -> None:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app),  # type: ignore[arg-type]
            base_url=DEMO["base_url"],
            auth=(DEMO["email"], DEMO["api_token"]),
        ) as jira:
            listed = (await jira.get(f"/rest/api/3/issue/{key}/transitions")).json()
            chosen = next(t for t in listed["transitions"] if t["to"]["name"] == status)
            moved = await jira.post(
                f"/rest/api/3/issue/{key}/transitions", json={"transition": {"id": chosen["id"]}}
            )
            assert moved.status_code == 204, moved.text

    run_async(move)


def test_risk_opens_a_jira_ticket_and_resolving_it_closes_the_risk(
    client: TestClient, world: World
) -> None:
    runtime = world.runtime
    use_integrations(runtime, AcmeEdr, Jira)
    jira_id = install_enabled(client, world.owner_a, Jira.key)
    queue, risk_ids = _risks_from_edr(client, world)
    first = risk_ids[0]
    assert (jira_id, first, "open") in queue.pushes  # the queue would deliver it

    pushed = push_risk(runtime, jira_id, first, "open")
    assert pushed.ok, pushed.message
    (link,) = load_risk(runtime, first).tickets
    key = link.external_id
    assert link.integration_key == "jira" and link.url.endswith(f"/browse/{key}")
    sandbox = runtime.sandbox_app("jira")
    issue = sandbox.state.jira.issue(key)
    assert issue is not None
    assert f"aria-risk-{first}" in issue["fields"]["labels"]
    assert issue["fields"]["status"]["name"] == "To Do"

    _jira_transition(sandbox, key, "Done")
    assert load_risk(runtime, first).status == "open"  # nothing moves until the next sync
    sync = Installed(runtime, jira_id, world)
    assert run_job(runtime, sync.new_job("incremental")) == "succeeded"
    risk = load_risk(runtime, first)
    assert risk.status == "closed" and risk.closed_at is not None
    assert risk.status_reason == f"Closed because ticket {key} is 'Done' in jira"
    assert (risk.tickets[0].state, risk.tickets[0].risk_status) == ("Done", "closed")
    # Demo tickets in the sandbox name risk ids too, but predate these risks: none was moved.
    assert all(load_risk(runtime, r).status == "open" for r in risk_ids[1:])

    answer = client.get(f"/api/v1/risks/{first}", headers=bearer(world.owner_a))
    assert answer.status_code == 200
    assert answer.json()["tickets"][0]["external_id"] == key


@pytest.mark.parametrize("siem", FORWARDING_SIEMS, ids=lambda c: c.key)
def test_forwarded_risk_is_found_with_the_siems_own_query(
    client: TestClient, world: World, siem: type
) -> None:
    runtime = world.runtime
    use_integrations(runtime, AcmeEdr, siem, IbmQradar)
    siem_id = install_enabled(client, world.owner_a, siem.key)
    qradar_id = install_enabled(client, world.owner_a, IbmQradar.key)
    _, risk_ids = _risks_from_edr(client, world)
    risk_id = risk_ids[-1]

    forwarded = push_risk(runtime, siem_id, risk_id, "open")
    assert forwarded.ok, forwarded.message
    assert load_risk(runtime, risk_id).tickets == []  # an event is not a ticket
    refused = push_risk(runtime, qradar_id, risk_id, "open")
    assert not refused.ok and "forward" in refused.message.lower()

    headers = bearer(world.owner_a)
    common = {"filters": [{"field": "risk_id", "value": str(risk_id)}]}
    body = client.post("/api/v1/query", json={"common": common}, headers=headers).json()
    by_key = {r["integration_key"]: r for r in body["results"]}
    assert siem.key in by_key, body
    result = by_key[siem.key]
    assert result["query"], "the translated query is shown in the SIEM's own language"
    assert [str(h["fields"].get("risk_id")) for h in result["hits"]][:1] == [str(risk_id)], result
    # QRadar was asked too (nothing was forwarded there), beside the other SIEM's results.
    assert IbmQradar.key in by_key or IbmQradar.key in {
        e["integration_key"] for e in body["errors"]
    }

    native = client.post(
        "/api/v1/query", json={"native": {str(siem_id): result["query"]}}, headers=headers
    ).json()
    assert native["errors"] == [], native
    (again,) = native["results"]
    assert any(str(h["fields"].get("risk_id")) == str(risk_id) for h in again["hits"]), again
    assert uuid.UUID(again["installation_id"]) == siem_id
