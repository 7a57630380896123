"""`aria catalog sync`: one row per registered integration, idempotent, never deleted."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from aria.catalog.models import CatalogEntry, Collection, CollectionItem
from aria.catalog.service import sync_catalog
from aria.sdk.registry import LoadError, Registry
from tests.sdk.example_integration import AcmeEdr
from tests.support import example_registry


def test_sync_creates_then_is_idempotent(session: Session) -> None:
    first = sync_catalog(session, registry=example_registry())
    assert first.created == ["acme-edr"]
    session.commit()
    second = sync_catalog(session, registry=example_registry())
    assert (second.created, second.updated, second.unchanged) == ([], [], 1)
    entry = session.scalar(select(CatalogEntry))
    assert entry is not None
    assert entry.name == "Acme EDR" and entry.category == "edr"
    assert entry.config_schema["properties"]["client_secret"]["x-secret"] is True
    assert entry.logo_svg and entry.logo_svg.startswith("<svg")
    assert entry.auth_methods == AcmeEdr.metadata().auth_methods != []


def test_new_version_updates_the_row_and_keeps_marketplace_figures(session: Session) -> None:
    sync_catalog(session, registry=example_registry())
    entry = session.scalar(select(CatalogEntry))
    assert entry is not None
    entry.total_installs = 7
    session.commit()

    class AcmeEdrNext(AcmeEdr):
        version = "1.3.0"

    report = sync_catalog(session, registry=Registry(integrations={"acme-edr": AcmeEdrNext}))
    assert report.updated == ["acme-edr"]
    session.refresh(entry)
    assert (entry.version, entry.total_installs) == ("1.3.0", 7)


def test_vanished_integration_is_deprecated_not_deleted(session: Session) -> None:
    sync_catalog(session, registry=example_registry())
    report = sync_catalog(
        session,
        registry=Registry(errors=[LoadError("broken = pkg:Cls", "import failed: boom")]),
    )
    assert report.deprecated == ["acme-edr"]
    assert report.load_errors == ["broken = pkg:Cls: import failed: boom"]
    entry = session.scalar(select(CatalogEntry))
    assert entry is not None and entry.status == "deprecated" and entry.deprecated_at
    back = sync_catalog(session, registry=example_registry())
    assert back.updated == ["acme-edr"]
    assert entry.status == AcmeEdr.metadata().status and entry.deprecated_at is None


def test_featured_collections_are_seeded_with_members(session: Session) -> None:
    sync_catalog(session, registry=example_registry())
    sync_catalog(session, registry=example_registry())
    collections = session.scalars(select(Collection).order_by(Collection.display_order)).all()
    assert [c.name for c in collections] == ["EDR Suite", "Vulnerability Management", "SIEM"]
    items = session.scalars(select(CollectionItem)).all()
    assert len(items) == 1 and items[0].collection_id == collections[0].id
