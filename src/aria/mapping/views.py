"""`/api/v1/installations/{id}/mappings`: per-installation data mappings and their preview."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response, status

from aria.accounts.deps import AppRuntime, DbSession, require
from aria.accounts.permissions import Permission
from aria.accounts.principal import Principal
from aria.installs import flows
from aria.mapping import service
from aria.mapping.models import DataMapping
from aria.mapping.schemas import (
    MappingCreate,
    MappingRead,
    MappingUpdate,
    PreviewRead,
    PreviewRequest,
)
from aria.runtime import Runtime

router = APIRouter(tags=["mappings"])

Browse = Annotated[Principal, Depends(require(Permission.browse))]
Configure = Annotated[Principal, Depends(require(Permission.configure))]

BASE = "/installations/{installation_id}/mappings"


def _audit(
    session: DbSession, runtime: Runtime, principal: Principal, action: str, mapping: DataMapping
) -> None:
    flows.audit_action(
        session,
        runtime,
        principal,
        action=f"mapping.{action}",
        target_type="data_mapping",
        target_id=str(mapping.id),
        details={
            "installation": str(mapping.installation_id),
            "source_type": mapping.source_type,
            "name": mapping.name,
        },
    )


@router.get(BASE, response_model=list[MappingRead])
def list_mappings(
    installation_id: uuid.UUID,
    session: DbSession,
    principal: Browse,
    source_type: Annotated[str | None, Query(max_length=50)] = None,
) -> list[MappingRead]:
    """The installation's mappings in the order they run (source type, priority, name)."""
    rows = service.list_(
        session,
        organization_id=principal.organization_id,
        installation_id=installation_id,
        source_type=source_type,
    )
    return [MappingRead.model_validate(row) for row in rows]


@router.post(BASE, response_model=MappingRead, status_code=201)
def create_mapping(
    installation_id: uuid.UUID,
    body: MappingCreate,
    session: DbSession,
    runtime: AppRuntime,
    principal: Configure,
) -> MappingRead:
    """Save a mapping; every rule is validated (422 names the exact location)."""
    mapping = service.create(
        session,
        organization_id=principal.organization_id,
        installation_id=installation_id,
        registry=runtime.registry,
        data=body,
    )
    _audit(session, runtime, principal, "created", mapping)
    return MappingRead.model_validate(mapping)


@router.post(f"{BASE}/preview", response_model=PreviewRead)
def preview_mapping(
    installation_id: uuid.UUID,
    body: PreviewRequest,
    session: DbSession,
    runtime: AppRuntime,
    principal: Configure,
) -> PreviewRead:
    """Run an unsaved mapping on raw sample records: before, after (or dropped), errors."""
    return service.preview(
        session,
        organization_id=principal.organization_id,
        installation_id=installation_id,
        registry=runtime.registry,
        master_key=runtime.master_key,
        data=body,
    )


@router.get(f"{BASE}/{{mapping_id}}", response_model=MappingRead)
def get_mapping(
    installation_id: uuid.UUID, mapping_id: uuid.UUID, session: DbSession, principal: Browse
) -> MappingRead:
    mapping = service.get_or_raise(
        session,
        organization_id=principal.organization_id,
        installation_id=installation_id,
        mapping_id=mapping_id,
    )
    return MappingRead.model_validate(mapping)


@router.patch(f"{BASE}/{{mapping_id}}", response_model=MappingRead)
def update_mapping(
    installation_id: uuid.UUID,
    mapping_id: uuid.UUID,
    body: MappingUpdate,
    session: DbSession,
    runtime: AppRuntime,
    principal: Configure,
) -> MappingRead:
    """Change fields; the whole mapping is validated again."""
    mapping = service.update(
        session,
        organization_id=principal.organization_id,
        installation_id=installation_id,
        mapping_id=mapping_id,
        registry=runtime.registry,
        data=body,
    )
    _audit(session, runtime, principal, "updated", mapping)
    return MappingRead.model_validate(mapping)


@router.delete(f"{BASE}/{{mapping_id}}", status_code=204)
def delete_mapping(
    installation_id: uuid.UUID,
    mapping_id: uuid.UUID,
    session: DbSession,
    runtime: AppRuntime,
    principal: Configure,
) -> Response:
    mapping = service.get_or_raise(
        session,
        organization_id=principal.organization_id,
        installation_id=installation_id,
        mapping_id=mapping_id,
    )
    _audit(session, runtime, principal, "deleted", mapping)
    service.delete(session, mapping=mapping)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
