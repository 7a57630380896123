"""`/api/v1/installations`: install, configure, test, enable/disable, uninstall, activity."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Response, status

from aria.accounts.deps import AppRuntime, DbSession, require
from aria.accounts.permissions import Permission
from aria.accounts.principal import Principal
from aria.catalog.models import CatalogEntry
from aria.errors import AppError, NotFound
from aria.installs import config_store, flows, service
from aria.installs.schemas import (
    ActivityPage,
    ActivityRead,
    ConfigVersionRead,
    ConnectionTestRead,
    ConnectionTestRequest,
    CredentialMetadataRead,
    CredentialMetadataUpdate,
    InstallationCreate,
    InstallationRead,
    InstallationUpdate,
    StateChange,
    UnsavedChanges,
)
from aria.runtime import Runtime
from aria.sdk import ConnectionResult

router = APIRouter(tags=["installations"])

Browse = Annotated[Principal, Depends(require(Permission.browse))]
Install = Annotated[Principal, Depends(require(Permission.install))]
Configure = Annotated[Principal, Depends(require(Permission.configure))]
Sync = Annotated[Principal, Depends(require(Permission.sync))]


def _installed(
    session: DbSession, principal: Principal, installation_id: uuid.UUID
) -> flows.Installed:
    installation = service.get_or_raise(
        session, organization_id=principal.organization_id, installation_id=installation_id
    )
    entry = session.get(CatalogEntry, installation.integration_id)
    assert entry is not None
    return flows.Installed(installation, entry)


def _read(
    session: DbSession, runtime: Runtime, principal: Principal, installed: flows.Installed
) -> InstallationRead:
    installation, entry = installed.installation, installed.entry
    try:
        model = runtime.registry.get(entry.key).config_class()
        config = config_store.masked(
            session,
            installation=installation,
            model=model,
            with_metadata=principal.can(Permission.credentials_metadata),
        )
    except Exception:  # a missing package must not hide the installation from its owners
        config = {}
    return InstallationRead(
        id=installation.id,
        integration_key=entry.key,
        integration_name=entry.name,
        status=installation.status,
        status_reason=installation.status_reason,
        mode=installation.mode,
        sync_frequency=installation.sync_frequency,
        config_version=installation.config_version,
        config=config,
        health_status=installation.health_status,
        last_health_check_at=installation.last_health_check_at,
        error_count=installation.error_count,
        last_error=installation.last_error,
        last_error_at=installation.last_error_at,
        next_sync_at=installation.next_sync_at,
        last_sync_at=installation.last_sync_at,
        created_at=installation.created_at,
        updated_at=installation.updated_at,
    )


def _test_read(result: ConnectionResult) -> ConnectionTestRead:
    return ConnectionTestRead(**result.model_dump())


@router.post("/installations", response_model=InstallationRead, status_code=201)
def create_installation(
    body: InstallationCreate, session: DbSession, runtime: AppRuntime, principal: Install
) -> InstallationRead:
    """Install an integration for the caller's organization (state `configuring`)."""
    installed = flows.install(
        session,
        runtime,
        principal,
        integration_key=body.integration_key,
        config=body.config,
        mode=body.mode,
        sync_frequency=body.sync_frequency,
    )
    return _read(session, runtime, principal, installed)


@router.get("/installations", response_model=list[InstallationRead])
def list_installations(
    session: DbSession,
    runtime: AppRuntime,
    principal: Browse,
    status_filter: Annotated[str | None, Query(alias="status", max_length=20)] = None,
) -> list[InstallationRead]:
    return [
        _read(session, runtime, principal, flows.Installed(installation, entry))
        for installation, entry in service.list_(
            session, organization_id=principal.organization_id, status=status_filter
        )
    ]


@router.post("/connection-tests", response_model=ConnectionTestRead)
def test_unsaved_configuration(
    body: ConnectionTestRequest, session: DbSession, runtime: AppRuntime, principal: Install
) -> ConnectionTestRead:
    """Test a configuration that is not saved anywhere (nothing is written)."""
    return _test_read(
        flows.test_unsaved(
            session,
            runtime,
            integration_key=body.integration_key,
            config=body.config,
            mode=body.mode,
        )
    )


@router.get("/installations/{installation_id}", response_model=InstallationRead)
def get_installation(
    installation_id: uuid.UUID, session: DbSession, runtime: AppRuntime, principal: Browse
) -> InstallationRead:
    return _read(session, runtime, principal, _installed(session, principal, installation_id))


@router.patch("/installations/{installation_id}", response_model=InstallationRead)
def update_installation(
    installation_id: uuid.UUID,
    body: InstallationUpdate,
    session: DbSession,
    runtime: AppRuntime,
    principal: Configure,
) -> InstallationRead:
    """Change configuration (omitted secrets are kept) and/or the sync schedule."""
    installed = _installed(session, principal, installation_id)
    if body.config is None and body.sync_frequency is None:
        raise AppError("nothing to change: send config and/or sync_frequency")
    if body.config is not None:
        flows.reconfigure(session, runtime, principal, installed, config=body.config)
    if body.sync_frequency is not None:
        installed.installation.sync_frequency = body.sync_frequency
        session.flush()
    return _read(session, runtime, principal, installed)


@router.delete("/installations/{installation_id}", status_code=204)
def uninstall(
    installation_id: uuid.UUID, session: DbSession, runtime: AppRuntime, principal: Install
) -> Response:
    """Uninstall: credentials are crypto-shredded; the activity log is kept."""
    flows.uninstall(session, runtime, principal, _installed(session, principal, installation_id))
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/installations/{installation_id}/test", response_model=ConnectionTestRead)
def test_installation(
    installation_id: uuid.UUID,
    session: DbSession,
    runtime: AppRuntime,
    principal: Sync,
    body: UnsavedChanges | None = None,
) -> ConnectionTestRead:
    """Test the saved configuration, or the saved one with unsaved `config` changes over it."""
    installed = _installed(session, principal, installation_id)
    override = body.config if body else None
    return _test_read(
        flows.test_connection(session, runtime, principal, installed, override=override)
    )


def _transition(target: str):  # type: ignore[no-untyped-def]
    def endpoint(
        installation_id: uuid.UUID,
        session: DbSession,
        runtime: AppRuntime,
        principal: Configure,
        body: StateChange | None = None,
    ) -> InstallationRead:
        installed = _installed(session, principal, installation_id)
        flows.transition(
            session,
            runtime,
            principal,
            installed,
            target=target,
            reason=body.reason if body else None,
        )
        return _read(session, runtime, principal, installed)

    endpoint.__doc__ = f"Move the installation to `{target}` (409 with a reason if illegal)."
    return endpoint


for _target, _verb in (("enabled", "enable"), ("disabled", "disable"), ("suspended", "suspend")):
    router.add_api_route(
        f"/installations/{{installation_id}}/{_verb}",
        _transition(_target),
        methods=["POST"],
        response_model=InstallationRead,
        name=f"{_verb}_installation",
        summary=f"{_verb.capitalize()} an installation",
    )


@router.get(
    "/installations/{installation_id}/config-history", response_model=list[ConfigVersionRead]
)
def config_history(
    installation_id: uuid.UUID, session: DbSession, principal: Browse
) -> list[ConfigVersionRead]:
    """Which fields changed in each version (never the values)."""
    installed = _installed(session, principal, installation_id)
    return [
        ConfigVersionRead.model_validate(row)
        for row in config_store.history(session, installation=installed.installation)
    ]


@router.get("/installations/{installation_id}/activity", response_model=ActivityPage)
def installation_activity(
    installation_id: uuid.UUID,
    session: DbSession,
    principal: Browse,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=20)] = None,
    activity_type: Annotated[str | None, Query(max_length=30)] = None,
    status_filter: Annotated[str | None, Query(alias="status", max_length=10)] = None,
) -> ActivityPage:
    installed = _installed(session, principal, installation_id)
    if cursor is not None and not cursor.isdigit():
        raise AppError("cursor is invalid")
    rows = service.activity(
        session,
        organization_id=principal.organization_id,
        installation_id=installed.installation.id,
        limit=limit + 1,
        before_id=int(cursor) if cursor else None,
        activity_type=activity_type,
        status=status_filter,
    )
    page = rows[:limit]
    return ActivityPage(
        items=[ActivityRead.model_validate(row) for row in page],
        next_cursor=str(page[-1].id) if len(rows) > limit else None,
    )


@router.patch(
    "/installations/{installation_id}/credentials/{field_name}",
    response_model=CredentialMetadataRead,
)
def update_credential_metadata(
    installation_id: uuid.UUID,
    field_name: Annotated[str, Path(max_length=100)],
    body: CredentialMetadataUpdate,
    session: DbSession,
    runtime: AppRuntime,
    principal: Configure,
) -> CredentialMetadataRead:
    """Set a stored secret's expiry and rotation policy (drives expiry health warnings)."""
    installed = _installed(session, principal, installation_id)
    if body.expires_at is not None and body.expires_at.tzinfo is None:
        raise AppError("expires_at needs a time zone (e.g. 2027-01-31T00:00:00Z)")
    row = config_store.set_credential_metadata(
        session,
        installation=installed.installation,
        field_name=field_name,
        expires_at=body.expires_at,
        rotation_frequency_days=body.rotation_frequency_days,
        auto_rotate=body.auto_rotate,
    )
    if row is None:
        raise NotFound(f"no stored secret named {field_name!r}")
    flows.audit_action(
        session,
        runtime,
        principal,
        action="credential.metadata_changed",
        target_type="installation",
        target_id=str(installed.installation.id),
        details={"field": field_name, "expires_at": str(body.expires_at)},
    )
    return CredentialMetadataRead(
        field_name=row.field_name,
        set=True,
        last_rotated=row.last_rotated,
        expires_at=row.expires_at,
        rotation_frequency_days=row.rotation_frequency_days,
        auto_rotate=row.auto_rotate,
    )
