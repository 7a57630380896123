"""An enabled sandbox installation of the example integration, ready to sync."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient

from aria.db.engine import transaction
from aria.installs.models import Installation
from aria.runtime import Runtime
from aria.sync import service
from aria.sync.models import SyncJob
from tests.sdk.example_integration import AcmeEdr
from tests.support import World, bearer


@dataclass
class Installed:
    runtime: Runtime
    installation_id: uuid.UUID
    world: World

    def sandbox(self, **kwargs: object) -> None:
        """Replace the in-process sandbox (size, faults) for this runtime."""
        self.runtime._sandboxes[AcmeEdr.key] = AcmeEdr.sandbox_app(**kwargs)  # type: ignore[arg-type]

    def new_job(self, job_type: str = "full") -> uuid.UUID:
        with transaction(self.runtime.sessions) as session:
            installation = session.get(Installation, self.installation_id)
            assert installation is not None
            return service.create(
                session, installation=installation, job_type=job_type, triggered_by="user"
            ).id

    def job(self, job_id: uuid.UUID) -> SyncJob:
        with self.runtime.sessions() as session:
            job = session.get(SyncJob, job_id)
            assert job is not None
            return job


@pytest.fixture
def installed(client: TestClient, world: World) -> Installed:
    headers = bearer(world.owner_a)
    created = client.post(
        "/api/v1/installations",
        json={"integration_key": "acme-edr", "mode": "sandbox"},
        headers=headers,
    )
    assert created.status_code == 201, created.text
    enabled = client.post(f"/api/v1/installations/{created.json()['id']}/enable", headers=headers)
    assert enabled.status_code == 200, enabled.text
    return Installed(world.runtime, uuid.UUID(created.json()["id"]), world)
