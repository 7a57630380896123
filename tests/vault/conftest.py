"""Vault fixtures: a master key and a factory of real installations (org + catalog entry)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from aria.accounts.models import Organization
from aria.catalog.models import CatalogEntry
from aria.db.engine import make_session_factory
from aria.installs.models import Installation

MakeInstallation = Callable[..., Installation]


@pytest.fixture
def master_key() -> bytes:
    return os.urandom(32)


@pytest.fixture
def sessions(engine: Engine) -> sessionmaker[Session]:
    return make_session_factory(engine)


def _organization(session: Session) -> Organization:
    tag = uuid.uuid4().hex[:10]
    org = Organization(name=f"Org {tag}", slug=f"org-{tag}")
    session.add(org)
    return org


def _entry(session: Session) -> CatalogEntry:
    tag = uuid.uuid4().hex[:10]
    entry = CatalogEntry(
        key=f"int-{tag}", name=f"Integration {tag}", vendor="Vendor", category="edr", version="1.0"
    )
    session.add(entry)
    return entry


@pytest.fixture
def make_installation(session: Session) -> Iterator[MakeInstallation]:
    """Create (and flush) an installation, in a new organization unless one is given."""

    def make(organization: Organization | None = None) -> Installation:
        org = organization or _organization(session)
        entry = _entry(session)
        session.flush()
        installation = Installation(organization_id=org.id, integration_id=entry.id)
        session.add(installation)
        session.flush()
        return installation

    yield make


@pytest.fixture
def new_organization(session: Session) -> Callable[[], Organization]:
    def make() -> Organization:
        org = _organization(session)
        session.flush()
        return org

    return make
