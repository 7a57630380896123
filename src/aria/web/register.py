"""Risk register pages: risks, findings, assets, incidents, indicators (lists with filters,
details with the raw vendor record, the OCSF view, linked items and lifecycle)."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from aria.grc import service as grc
from aria.grc.models import RISK_STATUSES
from aria.installs import service as installs
from aria.web import queries
from aria.web.context import CurrentPage, Page, PageRoute

router = APIRouter(route_class=PageRoute, include_in_schema=False)

PAGE_SIZE = 50
RECORDS = ("findings", "incidents", "indicators")
KINDS = ("detection", "vulnerability", "compliance")


def _int(value: str | None, low: int, high: int) -> int | None:
    if value and value.isdigit() and low <= int(value) <= high:
        return int(value)
    return None


def _uuid(value: str | None) -> uuid.UUID | None:
    try:
        return uuid.UUID(value) if value else None
    except ValueError:
        return None


def _common(page: Page, tab: str) -> dict[str, Any]:
    return {
        "tab": tab,
        "totals": queries.register_totals(page.session, organization_id=page.organization_id),
        "installations": installs.list_(page.session, organization_id=page.organization_id),
    }


@router.get("/register")
def register_home(page: CurrentPage) -> HTMLResponse:
    return risks(page)


@router.get("/register/risks")
def risks(
    page: CurrentPage,
    status: str = "",
    min_score: str = "",
    cursor: str | None = None,
) -> HTMLResponse:
    rows, next_cursor = grc.list_risks(
        page.session,
        organization_id=page.organization_id,
        status=status if status in RISK_STATUSES else None,
        min_score=_int(min_score, 1, 25),
        limit=PAGE_SIZE,
        cursor=cursor if cursor and cursor.isdigit() else None,
    )
    return page.render(
        "register/risks.html",
        rows=rows,
        next_cursor=next_cursor,
        status=status,
        min_score=min_score,
        statuses=RISK_STATUSES,
        **_common(page, "risks"),
    )


@router.get("/register/risks/{risk_id}")
def risk_detail(page: CurrentPage, risk_id: int) -> HTMLResponse:
    risk = grc.get_risk(page.session, organization_id=page.organization_id, risk_id=risk_id)
    finding_ids = grc.risk_finding_ids(page.session, risk_id=risk.id)
    asset = (
        grc.get_asset(page.session, organization_id=page.organization_id, asset_id=risk.asset_id)
        if risk.asset_id
        else None
    )
    return page.render(
        "register/risk_detail.html",
        risk=risk,
        asset=asset,
        findings=queries.findings_by_ids(
            page.session, organization_id=page.organization_id, ids=finding_ids
        ),
        finding_total=len(finding_ids),
        tab="risks",
    )


def _records(
    page: Page,
    entity: str,
    *,
    min_severity: str,
    status: str,
    installation: str,
    kind: str,
    cursor: str | None,
) -> HTMLResponse:
    filters = grc.Filters(
        min_severity=_int(min_severity, 0, 6),
        status=status if status in ("open", "resolved") else None,
        installation_id=_uuid(installation),
        kind=kind if entity == "findings" and kind in KINDS else None,
    )
    rows, next_cursor = grc.list_records(
        page.session,
        entity=entity,
        organization_id=page.organization_id,
        filters=filters,
        limit=PAGE_SIZE,
        cursor=cursor if cursor and cursor.isdigit() else None,
    )
    return page.render(
        "register/records.html",
        entity=entity,
        rows=rows,
        next_cursor=next_cursor,
        min_severity=min_severity,
        status=status,
        installation=installation,
        kind=kind,
        kinds=KINDS,
        **_common(page, entity),
    )


def _list_route(entity: str) -> Any:
    def endpoint(
        page: CurrentPage,
        min_severity: str = "",
        status: str = "",
        installation: str = "",
        kind: str = "",
        cursor: str | None = None,
    ) -> HTMLResponse:
        return _records(
            page,
            entity,
            min_severity=min_severity,
            status=status,
            installation=installation,
            kind=kind,
            cursor=cursor,
        )

    endpoint.__name__ = f"list_{entity}"
    return endpoint


def _detail_route(entity: str) -> Any:
    def endpoint(page: CurrentPage, record_id: int) -> HTMLResponse:
        row = grc.get_record(
            page.session, entity=entity, organization_id=page.organization_id, record_id=record_id
        )
        try:
            ocsf: Any = grc.as_canonical(entity, row).to_ocsf(include_raw=False)
            ocsf_error = None
        except Exception as error:  # an old row the model no longer accepts: say so
            ocsf, ocsf_error = None, str(error).splitlines()[0]
        asset = None
        linked_risks: list[Any] = []
        if entity == "findings":
            if row.asset_id:
                asset = grc.get_asset(
                    page.session, organization_id=page.organization_id, asset_id=row.asset_id
                )
            linked_risks = queries.risks_of_finding(
                page.session, organization_id=page.organization_id, finding_id=row.id
            )
        return page.render(
            "register/record_detail.html",
            entity=entity,
            row=row,
            ocsf=ocsf,
            ocsf_error=ocsf_error,
            asset=asset,
            linked_risks=linked_risks,
            tab=entity,
        )

    endpoint.__name__ = f"get_{entity[:-1]}"
    return endpoint


for _entity in RECORDS:
    router.add_api_route(f"/register/{_entity}", _list_route(_entity), methods=["GET"])
    router.add_api_route(
        f"/register/{_entity}/{{record_id}}", _detail_route(_entity), methods=["GET"]
    )


@router.get("/register/assets")
def assets(page: CurrentPage, hostname: str = "", cursor: str | None = None) -> HTMLResponse:
    rows, next_cursor = grc.list_assets(
        page.session,
        organization_id=page.organization_id,
        limit=PAGE_SIZE,
        cursor=cursor if cursor and cursor.isdigit() else None,
        hostname=hostname.strip()[:255] or None,
    )
    return page.render(
        "register/assets.html",
        rows=rows,
        next_cursor=next_cursor,
        hostname=hostname,
        **_common(page, "assets"),
    )


@router.get("/register/assets/{asset_id}")
def asset_detail(page: CurrentPage, asset_id: int) -> HTMLResponse:
    asset = grc.get_asset(page.session, organization_id=page.organization_id, asset_id=asset_id)
    findings, more = grc.list_records(
        page.session,
        entity="findings",
        organization_id=page.organization_id,
        filters=grc.Filters(asset_id=asset.id),
        limit=PAGE_SIZE,
        cursor=None,
    )
    return page.render(
        "register/asset_detail.html",
        asset=asset,
        identifiers=grc.asset_identifiers(page.session, asset_id=asset.id),
        findings=findings,
        more_findings=more is not None,
        tab="assets",
    )
