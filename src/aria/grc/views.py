"""Risk-register API: findings, incidents, identities, indicators, assets and risks, with
OCSF export for records and STIX 2.1 for indicators."""

import json
import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import JSONResponse

from aria.accounts.deps import DbSession, require
from aria.accounts.permissions import Permission
from aria.accounts.principal import Principal
from aria.errors import AppError
from aria.grc import service
from aria.grc.schemas import (
    AssetDetail,
    AssetPage,
    AssetRead,
    RecordDetail,
    RecordPage,
    RecordRead,
    RiskDetail,
    RiskPage,
    RiskRead,
)

router = APIRouter(tags=["risk register"])
Browse = Annotated[Principal, Depends(require(Permission.browse))]
Limit = Annotated[int, Query(ge=1, le=500)]
Cursor = Annotated[str | None, Query(max_length=20)]


def _aware(value: datetime | None, name: str) -> datetime | None:
    if value is not None and value.tzinfo is None:
        raise AppError(f"{name} needs a time zone (e.g. 2026-01-31T00:00:00Z)")
    return value


def _records_endpoint(entity: str) -> Any:
    def list_endpoint(
        session: DbSession,
        principal: Browse,
        limit: Limit = 50,
        cursor: Cursor = None,
        min_severity: Annotated[int | None, Query(ge=0, le=6)] = None,
        status: Annotated[str | None, Query(max_length=10)] = None,
        installation_id: uuid.UUID | None = None,
        asset_id: Annotated[int | None, Query(ge=1)] = None,
        kind: Literal["detection", "vulnerability", "compliance"] | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> RecordPage:
        filters = service.Filters(
            min_severity=min_severity,
            status=status,
            installation_id=installation_id,
            asset_id=asset_id,
            kind=kind,
            since=_aware(since, "since"),
            until=_aware(until, "until"),
        )
        rows, next_cursor = service.list_records(
            session,
            entity=entity,
            organization_id=principal.organization_id,
            filters=filters,
            limit=limit,
            cursor=cursor,
        )
        return RecordPage(
            items=[RecordRead.model_validate(row) for row in rows], next_cursor=next_cursor
        )

    list_endpoint.__doc__ = f"The organization's {entity}, newest first (cursor-paginated)."
    return list_endpoint


def _record_endpoint(entity: str, formats: tuple[str, ...]) -> Any:
    def get_endpoint(
        record_id: int,
        session: DbSession,
        principal: Browse,
        format: Annotated[str, Query(pattern="^(" + "|".join(formats) + ")$")] = "json",
    ) -> Any:
        row = service.get_record(
            session, entity=entity, organization_id=principal.organization_id, record_id=record_id
        )
        if format == "json":
            return RecordDetail.model_validate(row)
        record = service.as_canonical(entity, row)
        if format == "ocsf":
            return JSONResponse(record.to_ocsf(include_raw=True))
        return JSONResponse(json.loads(record.to_stix_json()))  # type: ignore[attr-defined]

    get_endpoint.__doc__ = f"One of the {entity}; `format` = " + ", ".join(formats) + "."
    return get_endpoint


for _entity, _formats in (
    ("findings", ("json", "ocsf")),
    ("incidents", ("json", "ocsf")),
    ("identities", ("json", "ocsf")),
    ("indicators", ("json", "ocsf", "stix")),
):
    router.add_api_route(
        f"/{_entity}",
        _records_endpoint(_entity),
        methods=["GET"],
        response_model=RecordPage,
        name=f"list_{_entity}",
    )
    router.add_api_route(
        f"/{_entity}/{{record_id}}",
        _record_endpoint(_entity, _formats),
        methods=["GET"],
        name=f"get_{_entity}",
        responses={200: {"model": RecordDetail}},
    )


@router.get("/assets", response_model=AssetPage)
def list_assets(
    session: DbSession,
    principal: Browse,
    limit: Limit = 50,
    cursor: Cursor = None,
    hostname: Annotated[str | None, Query(max_length=255)] = None,
) -> AssetPage:
    """Merged devices (one per physical device, whatever tools reported it)."""
    rows, next_cursor = service.list_assets(
        session,
        organization_id=principal.organization_id,
        limit=limit,
        cursor=cursor,
        hostname=hostname,
    )
    return AssetPage(items=[AssetRead.model_validate(r) for r in rows], next_cursor=next_cursor)


@router.get("/assets/{asset_id}", response_model=AssetDetail)
def get_asset(asset_id: int, session: DbSession, principal: Browse) -> AssetDetail:
    asset = service.get_asset(session, organization_id=principal.organization_id, asset_id=asset_id)
    return AssetDetail(
        **AssetRead.model_validate(asset).model_dump(),
        identifiers=service.asset_identifiers(session, asset_id=asset.id),
    )


@router.get("/risks", response_model=RiskPage)
def list_risks(
    session: DbSession,
    principal: Browse,
    limit: Limit = 50,
    cursor: Cursor = None,
    status: Literal["open", "in_progress", "closed"] | None = None,
    min_score: Annotated[int | None, Query(ge=1, le=25)] = None,
) -> RiskPage:
    rows, next_cursor = service.list_risks(
        session,
        organization_id=principal.organization_id,
        status=status,
        min_score=min_score,
        limit=limit,
        cursor=cursor,
    )
    return RiskPage(items=[RiskRead.model_validate(r) for r in rows], next_cursor=next_cursor)


@router.get("/risks/{risk_id}", response_model=RiskDetail)
def get_risk(risk_id: int, session: DbSession, principal: Browse) -> RiskDetail:
    risk = service.get_risk(session, organization_id=principal.organization_id, risk_id=risk_id)
    return RiskDetail(
        **RiskRead.model_validate(risk).model_dump(),
        finding_ids=service.risk_finding_ids(session, risk_id=risk.id),
    )
