"""An organization with one installation to upsert records for."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy.orm import Session

from aria.accounts.models import Organization
from aria.catalog.models import CatalogEntry
from aria.grc.store import Source
from aria.installs.models import Installation


def make_source(session: Session, key: str = "acme-edr", org: Organization | None = None) -> Source:
    if org is None:
        org = Organization(name=f"Org {uuid.uuid4().hex[:6]}", slug=uuid.uuid4().hex[:10])
        session.add(org)
        session.flush()
    entry = session.query(CatalogEntry).filter_by(key=key).one_or_none()
    if entry is None:
        entry = CatalogEntry(key=key, name=key, vendor="v", category="edr", version="1.0.0")
        session.add(entry)
        session.flush()
    installation = Installation(organization_id=org.id, integration_id=entry.id)
    session.add(installation)
    session.flush()
    return Source(
        organization_id=org.id,
        installation_id=installation.id,
        integration_key=key,
        job_id=uuid.uuid4(),
    )


@pytest.fixture
def source(session: Session) -> Source:
    return make_source(session)
