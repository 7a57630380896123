"""Reading the risk register: tenant-scoped, filtered, keyset-paginated (newest first)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from aria.errors import AppError, NotFound
from aria.grc import models
from aria.sdk import records as canonical

RECORD_TABLES: dict[str, Any] = {
    "findings": models.Finding,
    "incidents": models.Incident,
    "identities": models.Identity,
    "indicators": models.Indicator,
}
CANONICAL: dict[str, type[canonical.CanonicalRecord]] = {
    "findings": canonical.Finding,
    "incidents": canonical.Incident,
    "identities": canonical.Identity,
    "indicators": canonical.Indicator,
}
STATUS_GROUPS = {"open": (0, 1, 2, 3, 99), "resolved": (4, 5)}


@dataclass
class Filters:
    min_severity: int | None = None
    status: str | None = None
    installation_id: uuid.UUID | None = None
    asset_id: int | None = None
    kind: str | None = None
    since: datetime | None = None
    until: datetime | None = None


def decode_cursor(cursor: str | None) -> int | None:
    if cursor is None:
        return None
    if not cursor.isdigit():
        raise AppError("cursor is invalid")
    return int(cursor)


def keyset_page(
    session: Session, query: Any, column: Any, *, limit: int, cursor: str | None
) -> tuple[list[Any], str | None]:
    """Newest first by ``column`` (an increasing id); the cursor is the last id of a page."""
    before = decode_cursor(cursor)
    if before is not None:
        query = query.where(column < before)
    rows = list(session.scalars(query.order_by(column.desc()).limit(limit + 1)))
    page = rows[:limit]
    return page, (str(page[-1].id) if len(rows) > limit else None)


def list_records(
    session: Session,
    *,
    entity: str,
    organization_id: uuid.UUID,
    filters: Filters,
    limit: int,
    cursor: str | None,
) -> tuple[list[Any], str | None]:
    table = RECORD_TABLES[entity]
    query = select(table).where(table.organization_id == organization_id)
    if filters.min_severity is not None:
        query = query.where(table.severity_id >= filters.min_severity)
    if filters.status is not None:
        if filters.status in STATUS_GROUPS:
            query = query.where(table.status_id.in_(STATUS_GROUPS[filters.status]))
        elif filters.status.isdigit():
            query = query.where(table.status_id == int(filters.status))
        else:
            raise AppError("status must be open, resolved or an OCSF status id")
    if filters.installation_id is not None:
        query = query.where(table.installation_id == filters.installation_id)
    if filters.since is not None:
        query = query.where(table.updated_at >= filters.since)
    if filters.until is not None:
        query = query.where(table.updated_at < filters.until)
    if entity == "findings":
        if filters.asset_id is not None:
            query = query.where(table.asset_id == filters.asset_id)
        if filters.kind is not None:
            query = query.where(table.kind == filters.kind)
    return keyset_page(session, query, table.id, limit=limit, cursor=cursor)


def get_record(session: Session, *, entity: str, organization_id: uuid.UUID, record_id: int) -> Any:
    table = RECORD_TABLES[entity]
    row = session.scalar(
        select(table).where(table.id == record_id, table.organization_id == organization_id)
    )
    if row is None:
        raise NotFound(f"{entity[:-1]} not found")
    return row


def as_canonical(entity: str, row: Any) -> canonical.CanonicalRecord:
    """Rebuild the canonical record from what was stored (for OCSF / STIX export)."""
    data = {k: v for k, v in row.data.items() if k != "raw"}
    if "status" in data:  # the row's status is authoritative (resolved-by-absence updates it)
        data["status"] = row.status_id
    return CANONICAL[entity].model_validate({**data, "raw": row.raw})


def list_assets(
    session: Session,
    *,
    organization_id: uuid.UUID,
    limit: int,
    cursor: str | None,
    hostname: str | None,
) -> tuple[list[models.Asset], str | None]:
    query = select(models.Asset).where(models.Asset.organization_id == organization_id)
    if hostname:
        query = query.where(models.Asset.hostname == hostname.lower())
    return keyset_page(session, query, models.Asset.id, limit=limit, cursor=cursor)


def get_asset(session: Session, *, organization_id: uuid.UUID, asset_id: int) -> models.Asset:
    asset = session.scalar(
        select(models.Asset).where(
            models.Asset.id == asset_id, models.Asset.organization_id == organization_id
        )
    )
    if asset is None:
        raise NotFound("asset not found")
    return asset


def asset_identifiers(session: Session, *, asset_id: int) -> list[tuple[str, str]]:
    return [
        (kind, value)
        for kind, value in session.execute(
            select(models.AssetIdentifier.kind, models.AssetIdentifier.value)
            .where(models.AssetIdentifier.asset_id == asset_id)
            .order_by(models.AssetIdentifier.kind)
        )
    ]


def list_risks(
    session: Session,
    *,
    organization_id: uuid.UUID,
    status: str | None,
    min_score: int | None,
    limit: int,
    cursor: str | None,
) -> tuple[list[models.Risk], str | None]:
    query = select(models.Risk).where(models.Risk.organization_id == organization_id)
    if status is not None:
        query = query.where(models.Risk.status == status)
    if min_score is not None:
        query = query.where(models.Risk.score >= min_score)
    return keyset_page(session, query, models.Risk.id, limit=limit, cursor=cursor)


def get_risk(session: Session, *, organization_id: uuid.UUID, risk_id: int) -> models.Risk:
    risk = session.scalar(
        select(models.Risk).where(
            models.Risk.id == risk_id, models.Risk.organization_id == organization_id
        )
    )
    if risk is None:
        raise NotFound("risk not found")
    return risk


def risk_finding_ids(session: Session, *, risk_id: int) -> list[int]:
    return list(
        session.scalars(
            select(models.RiskFinding.finding_id).where(models.RiskFinding.risk_id == risk_id)
        )
    )
