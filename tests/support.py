"""Shared test helpers: two tenants with owners and tokens, and the example integration."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from fastapi.testclient import TestClient

from aria.accounts import service, tokens
from aria.accounts.models import Organization, User
from aria.catalog.service import sync_catalog
from aria.db.engine import transaction
from aria.runtime import Runtime
from aria.sdk import Integration
from aria.sdk.registry import Registry

PASSWORD = "correct horse battery staple"


@dataclass
class Member:
    user: User
    organization: Organization
    role: str
    token: str


class World:
    """Two tenants and a way to add people to them."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        with transaction(runtime.sessions) as session:
            self.org_a = service.create_organization(session, name="Org A")
            self.org_b = service.create_organization(session, name="Org B")
        self.owner_a = self.member("owner-a@example.com", self.org_a, "owner")
        self.owner_b = self.member("owner-b@example.com", self.org_b, "owner")

    def member(self, email: str, organization: Organization, role: str) -> Member:
        with transaction(self.runtime.sessions) as session:
            user = service.get_user_by_email(session, email=email) or service.create_user(
                session, email=email, password=PASSWORD
            )
            org = session.get(Organization, organization.id)
            assert org is not None
            service.add_membership(session, organization=org, user=user, role=role)
            issued = tokens.create(
                session, organization_id=org.id, user_id=user.id, name=f"{role} token"
            )
        return Member(user=user, organization=organization, role=role, token=issued.plaintext)


def bearer(member: Member) -> dict[str, str]:
    return {"Authorization": f"Bearer {member.token}"}


def example_registry() -> Registry:
    """A registry holding only the SDK's example integration (Acme EDR, with its sandbox)."""
    from tests.sdk.example_integration import AcmeEdr

    return Registry(integrations={AcmeEdr.key: AcmeEdr})


def use_integrations(runtime: Runtime, *classes: type[Integration]) -> None:
    """Make ``classes`` the runtime's registry and catalog (tests with their own vendors)."""
    runtime.__dict__["registry"] = Registry(integrations={c.key: c for c in classes})
    with transaction(runtime.sessions) as session:
        sync_catalog(session, registry=runtime.registry)


def install_enabled(
    client: TestClient, member: Member, key: str, config: dict[str, Any] | None = None
) -> uuid.UUID:
    """Install ``key`` in sandbox mode for ``member``'s organization and enable it."""
    headers = bearer(member)
    created = client.post(
        "/api/v1/installations",
        json={"integration_key": key, "mode": "sandbox", "config": config or {}},
        headers=headers,
    )
    assert created.status_code == 201, created.text
    enabled = client.post(f"/api/v1/installations/{created.json()['id']}/enable", headers=headers)
    assert enabled.status_code == 200, enabled.text
    return uuid.UUID(created.json()["id"])


class RecordingQueue:
    """Stands in for the queue's push task: remembers what would have been pushed."""

    def __init__(self) -> None:
        self.pushes: list[tuple[uuid.UUID, int, str]] = []

    def enqueue_push(self, installation_id: uuid.UUID, risk_id: int, action: str) -> None:
        self.pushes.append((installation_id, risk_id, action))


def load_risk(runtime: Runtime, risk_id: int) -> Any:
    """The risk as stored now (detached, with its tickets loaded), for assertions."""
    from aria.grc import models

    with runtime.sessions() as session:
        risk = session.get(models.Risk, risk_id)
        assert risk is not None
        session.expunge(risk)
        return risk
