"""Catalog service: keep `integration_catalog` equal to the installed integrations, and read it."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from aria.catalog.collections import SEEDS
from aria.catalog.models import CatalogEntry, Collection, CollectionItem
from aria.db.types import utcnow
from aria.errors import NotFound
from aria.sdk.metadata import IntegrationMetadata
from aria.sdk.registry import Registry

# Columns the integration's own metadata owns (every metadata field but the key, which is how
# rows are found); the marketplace figures are ours and never reset by a sync.
METADATA_COLUMNS = tuple(name for name in IntegrationMetadata.model_fields if name != "key")


@dataclass
class CatalogSyncReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    deprecated: list[str] = field(default_factory=list)
    unchanged: int = 0
    load_errors: list[str] = field(default_factory=list)


def _row_values(metadata: dict[str, Any]) -> dict[str, Any]:
    values = {column: metadata.get(column) for column in METADATA_COLUMNS}
    values["price_per_call"] = Decimal(str(metadata.get("price_per_call") or 0))
    values["product"] = values["product"] or None
    return values


def sync_catalog(session: Session, *, registry: Registry) -> CatalogSyncReport:
    """Upsert one row per registered integration; deprecate rows whose integration vanished.

    Idempotent: a second run with the same registry changes nothing.
    """
    report = CatalogSyncReport(
        load_errors=[f"{e.entry_point}: {e.error_message}" for e in registry.errors]
    )
    existing = {row.key: row for row in session.scalars(select(CatalogEntry))}
    for key, cls in sorted(registry.integrations.items()):
        values = _row_values(cls.metadata().model_dump(mode="json"))
        row = existing.get(key)
        if row is None:
            session.add(CatalogEntry(key=key, **values))
            report.created.append(key)
            continue
        changed = {k: v for k, v in values.items() if getattr(row, k) != v}
        if row.deprecated_at is not None and values["status"] != "deprecated":
            row.deprecated_at = None
            changed.setdefault("status", values["status"])
        if changed:
            for column, value in changed.items():
                setattr(row, column, value)
            report.updated.append(key)
        else:
            report.unchanged += 1
    for key, row in existing.items():
        if key not in registry.integrations and row.deprecated_at is None:
            row.status = "deprecated"
            row.deprecated_at = utcnow()
            report.deprecated.append(key)
    session.flush()
    seed_collections(session)
    return report


def seed_collections(session: Session) -> None:
    """Create the featured collections once and add any member integrations now available."""
    entries = list(
        session.scalars(select(CatalogEntry).where(CatalogEntry.deprecated_at.is_(None)))
    )
    for seed in SEEDS:
        collection = session.scalar(select(Collection).where(Collection.slug == seed.slug))
        if collection is None:
            collection = Collection(
                slug=seed.slug,
                name=seed.name,
                description=seed.description,
                display_order=seed.display_order,
            )
            session.add(collection)
            session.flush()
        present = set(
            session.scalars(
                select(CollectionItem.integration_id).where(
                    CollectionItem.collection_id == collection.id
                )
            )
        )
        rank = {key: i for i, key in enumerate(seed.keys)}
        members = sorted(
            (e for e in entries if e.key in rank or e.category in seed.categories),
            key=lambda e: (rank.get(e.key, len(rank)), e.name.lower()),
        )
        next_order = len(present)
        for entry in members:
            if entry.id not in present:
                session.add(
                    CollectionItem(
                        collection_id=collection.id,
                        integration_id=entry.id,
                        display_order=next_order,
                    )
                )
                next_order += 1
    session.flush()


def get_by_key(session: Session, *, key: str) -> CatalogEntry | None:
    return session.scalar(select(CatalogEntry).where(CatalogEntry.key == key))


def get_by_key_or_raise(session: Session, *, key: str) -> CatalogEntry:
    entry = get_by_key(session, key=key)
    if entry is None:
        raise NotFound(f"no integration {key!r} in the catalog")
    return entry


def adjust_installs(session: Session, *, entry: CatalogEntry, delta: int) -> None:
    """Keep `total_installs` true inside the caller's transaction (atomic SQL increment)."""
    entry.total_installs = CatalogEntry.total_installs + delta  # type: ignore[assignment]
    session.flush()
    session.refresh(entry, ["total_installs"])


def count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(CatalogEntry)) or 0
