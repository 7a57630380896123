"""An enabled sandbox installation of the example integration (Acme EDR) with helpers to
create endpoints, send signed deliveries and drain the webhook queue synchronously."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import func, select

from aria.db.types import utcnow
from aria.grc import models as grc
from aria.runtime import Runtime
from aria.sdk.auth import hmac_sign
from aria.webhooks import processing
from aria.webhooks.models import InboundEvent
from tests.support import World, bearer


def alert(uid: str, severity: str = "high") -> dict[str, Any]:
    return {
        "alert": {
            "id": uid,
            "name": "Credential dumping",
            "severity": severity,
            "updated_at": "2024-05-01T11:00:00Z",
        }
    }


@dataclass
class Hooks:
    client: TestClient
    world: World
    runtime: Runtime
    installation_id: uuid.UUID

    @property
    def headers(self) -> dict[str, str]:
        return bearer(self.world.owner_a)

    def create(self, **body: Any) -> dict[str, Any]:
        response = self.client.post(
            f"/api/v1/installations/{self.installation_id}/webhooks",
            json=body or None,
            headers=self.headers,
        )
        assert response.status_code == 201, response.text
        return response.json()

    def path(self, created: dict[str, Any]) -> str:
        return "/hooks/" + created["url"].rsplit("/hooks/", 1)[1]

    def send(
        self,
        created: dict[str, Any],
        payload: Any,
        *,
        secret: str | None = None,
        headers: dict[str, str] | None = None,
        raw: bytes | None = None,
    ) -> Response:
        """POST an Acme-signed delivery (``X-Acme-Signature: sha256=<hex>``)."""
        body = raw if raw is not None else json.dumps(payload).encode()
        signature = "sha256=" + hmac_sign(secret or created["secret"], body)
        sent = {"Content-Type": "application/json", "X-Acme-Signature": signature}
        sent.update(headers or {})
        return self.client.post(self.path(created), content=body, headers=sent)

    def drain(self, *, now: datetime | None = None) -> processing.Outcome:
        """Process everything the queue owes, synchronously (what the worker would do)."""
        total = processing.Outcome()
        for _ in range(10):
            found = processing.sweep(
                self.runtime, now=now or utcnow(), stale_received=timedelta(0), purge=False
            )
            if not found.events:
                break
            outcome = processing.process(self.runtime, found.events, now=lambda: now or utcnow())
            total.processed += outcome.processed
            total.retrying += outcome.retrying
            total.dead += outcome.dead
            total.errors += outcome.errors
            if not outcome.processed and not outcome.dead:
                break
        return total

    def events(self) -> list[InboundEvent]:
        with self.runtime.sessions() as session:
            return list(session.scalars(select(InboundEvent).order_by(InboundEvent.received_at)))

    def findings(self) -> int:
        with self.runtime.sessions() as session:
            return session.scalar(select(func.count()).select_from(grc.Finding)) or 0


@pytest.fixture
def hooks(client: TestClient, world: World) -> Hooks:
    headers = bearer(world.owner_a)
    created = client.post(
        "/api/v1/installations",
        json={"integration_key": "acme-edr", "mode": "sandbox"},
        headers=headers,
    )
    assert created.status_code == 201, created.text
    enabled = client.post(f"/api/v1/installations/{created.json()['id']}/enable", headers=headers)
    assert enabled.status_code == 200, enabled.text
    return Hooks(client, world, world.runtime, uuid.UUID(created.json()["id"]))
