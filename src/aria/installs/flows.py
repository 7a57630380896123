"""Installation lifecycle across catalog, vault, audit and the integration itself:
install → (test) → enable / disable / suspend → reconfigure → uninstall."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import httpx
from sqlalchemy.orm import Session

from aria.accounts.principal import Principal
from aria.asyncbridge import run_async
from aria.audit import service as audit
from aria.catalog import service as catalog
from aria.catalog.models import CatalogEntry
from aria.db.types import utcnow
from aria.errors import AppError, Conflict
from aria.grc import store
from aria.installs import activity, config_store, service
from aria.installs.models import Installation
from aria.installs.state import NEEDS_PASSING_TEST, check_transition
from aria.runtime import Runtime
from aria.sdk import Config, ConfigError, ConnectionResult, FatalError, Integration
from aria.vault import service as vault


class InvalidConfig(AppError):
    """The configuration does not match the integration's schema; details name each field."""

    status_code = 422
    code = "invalid_config"


def integration_class(runtime: Runtime, entry: CatalogEntry) -> type[Integration]:
    try:
        return runtime.registry.get(entry.key)
    except FatalError:
        raise Conflict(
            f"integration {entry.key!r} is not installed on this server (its package is missing)"
        ) from None


def validated(model: type[Config], stored: Config | None, incoming: dict[str, Any]) -> Config:
    try:
        return config_store.merge(model, stored, incoming)
    except ConfigError as error:
        raise InvalidConfig(
            "configuration is invalid", details={"fields": error.fields or {}}
        ) from None


def build(
    runtime: Runtime, cls: type[Integration], mode: str, values: Config, **options: Any
) -> Integration:
    """An integration instance; sandbox mode talks to the in-process sandbox, never the net.
    ``options`` go to the constructor (tests inject ``sleep``/``clock``)."""
    transport = httpx.ASGITransport(app=runtime.sandbox_app(cls.key)) if mode == "sandbox" else None
    return cls(values, transport=transport, mode=mode, **options)  # type: ignore[arg-type]


def probe(runtime: Runtime, cls: type[Integration], mode: str, values: Config) -> ConnectionResult:
    """`test_connection` against the vendor (or sandbox); never raises for vendor failures."""

    async def run() -> ConnectionResult:
        async with build(runtime, cls, mode, values) as integration:
            return await integration.test_connection()

    return run_async(run)


@dataclass
class Installed:
    installation: Installation
    entry: CatalogEntry


def audit_action(session: Session, runtime: Runtime, principal: Principal, **kwargs: Any) -> None:
    """An audit entry for ``principal`` in their organization, keyed by this runtime."""
    audit.record_action(session, key=runtime.audit_key, principal=principal, **kwargs)


def install(
    session: Session,
    runtime: Runtime,
    principal: Principal,
    *,
    integration_key: str,
    config: dict[str, Any],
    mode: str,
    sync_frequency: str,
) -> Installed:
    """Create the organization's installation (state `configuring`) with its first config."""
    entry = catalog.get_by_key_or_raise(session, key=integration_key)
    if entry.deprecated_at is not None:
        raise Conflict(f"{entry.name} is deprecated and cannot be installed")
    if service.get_by_integration(
        session, organization_id=principal.organization_id, integration_id=entry.id
    ):
        raise Conflict(f"{entry.name} is already installed in this organization")
    cls = integration_class(runtime, entry)
    model = cls.config_class()
    incoming = {**cls.sandbox_config, **config} if mode == "sandbox" else config
    values = validated(model, None, incoming)
    installation = Installation(
        organization_id=principal.organization_id,
        integration_id=entry.id,
        installed_by=principal.user_id,
        status="configuring",
        mode=mode,
        sync_frequency=sync_frequency,
    )
    session.add(installation)
    session.flush()
    config_store.save(
        session,
        installation=installation,
        model=model,
        values=values,
        previous=None,
        master_key=runtime.master_key,
        user_id=principal.user_id,
    )
    catalog.adjust_installs(session, entry=entry, delta=1)
    activity.record(
        session,
        installation=installation,
        activity_type="install",
        status="success",
        message=f"installed {entry.name} ({mode})",
        user_id=principal.user_id,
    )
    audit_action(
        session,
        runtime,
        principal,
        action="installation.created",
        target_type="installation",
        target_id=str(installation.id),
        details={"integration": entry.key, "mode": mode, "fields": sorted(model.model_fields)},
    )
    return Installed(installation, entry)


def current_config(session: Session, runtime: Runtime, installed: Installed) -> Config:
    cls = integration_class(runtime, installed.entry)
    values = config_store.load(
        session,
        installation=installed.installation,
        model=cls.config_class(),
        master_key=runtime.master_key,
    )
    if values is None:
        raise Conflict("installation has no configuration yet")
    return values


def test_connection(
    session: Session,
    runtime: Runtime,
    principal: Principal,
    installed: Installed,
    *,
    override: dict[str, Any] | None = None,
) -> ConnectionResult:
    """Test the saved configuration, or (wizard) the saved one with unsaved changes over it."""
    cls = integration_class(runtime, installed.entry)
    values = current_config(session, runtime, installed)
    if override:
        values = validated(cls.config_class(), values, override)
    started = time.perf_counter()
    result = probe(runtime, cls, installed.installation.mode, values)
    activity.record(
        session,
        installation=installed.installation,
        activity_type="test_connection",
        direction="outbound",
        status="success" if result.ok else "failure",
        message=result.message,
        user_id=principal.user_id,
        error_code=None if result.ok else str(result.details.get("error") or "failed"),
        execution_time_ms=int((time.perf_counter() - started) * 1000),
        api_calls=int(result.details.get("api_calls") or 0),
        details={"unsaved_changes": sorted(override or {})},
    )
    return result


def test_unsaved(
    session: Session,
    runtime: Runtime,
    *,
    integration_key: str,
    config: dict[str, Any],
    mode: str,
) -> ConnectionResult:
    """The wizard's "Test connection" before anything is saved: nothing is written."""
    entry = catalog.get_by_key_or_raise(session, key=integration_key)
    cls = integration_class(runtime, entry)
    incoming = {**cls.sandbox_config, **config} if mode == "sandbox" else config
    values = validated(cls.config_class(), None, incoming)
    return probe(runtime, cls, mode, values)


def transition(
    session: Session,
    runtime: Runtime,
    principal: Principal,
    installed: Installed,
    *,
    target: str,
    reason: str | None = None,
) -> Installation:
    """Move to ``target`` if legal; entering `enabled` needs a passing connection test."""
    installation = installed.installation
    check_transition(installation.status, target)
    if target in NEEDS_PASSING_TEST:
        result = test_connection(session, runtime, principal, installed)
        if not result.ok:
            session.commit()  # keep the failed test in the activity log
            raise Conflict(
                f"cannot enable: connection test failed: {result.message}",
                details={"test": result.model_dump()},
            )
    previous = installation.status
    installation.status = target
    installation.status_reason = reason
    if target == "enabled":
        installation.error_count = 0
    session.flush()
    activity.record(
        session,
        installation=installation,
        activity_type="state_change",
        status="success",
        message=f"{previous} → {target}" + (f": {reason}" if reason else ""),
        user_id=principal.user_id,
    )
    audit_action(
        session,
        runtime,
        principal,
        action=f"installation.{target}",
        target_type="installation",
        target_id=str(installation.id),
        details={"from": previous, "to": target},
    )
    return installation


def reconfigure(
    session: Session,
    runtime: Runtime,
    principal: Principal,
    installed: Installed,
    *,
    config: dict[str, Any],
) -> list[str]:
    """Save a new configuration version (omitted secrets are kept); returns changed field
    names. An enabled installation only takes a configuration that passes a connection test."""
    installation = installed.installation
    if installation.status == "suspended":
        raise Conflict("a suspended installation cannot be reconfigured; disable it first")
    cls = integration_class(runtime, installed.entry)
    model = cls.config_class()
    stored = current_config(session, runtime, installed)
    values = validated(model, stored, config)
    if installation.status == "enabled" and values != stored:
        result = probe(runtime, cls, installation.mode, values)
        if not result.ok:
            raise Conflict(
                f"new configuration failed its connection test: {result.message}",
                details={"test": result.model_dump()},
            )
    saved = config_store.save(
        session,
        installation=installation,
        model=model,
        values=values,
        previous=stored,
        master_key=runtime.master_key,
        user_id=principal.user_id,
    )
    if saved is None:
        return []
    activity.record(
        session,
        installation=installation,
        activity_type="config_change",
        status="success",
        message=f"configuration v{saved.version}: {', '.join(saved.changed_fields)}",
        user_id=principal.user_id,
        details={"changed_fields": saved.changed_fields, "version": saved.version},
    )
    audit_action(
        session,
        runtime,
        principal,
        action="installation.configured",
        target_type="installation",
        target_id=str(installation.id),
        details={"changed_fields": saved.changed_fields, "version": saved.version},
    )
    return saved.changed_fields


def uninstall(
    session: Session, runtime: Runtime, principal: Principal, installed: Installed
) -> None:
    """Shred the credentials (the data key dies first), keep the activity log, drop the row."""
    installation = installed.installation
    activity.record(
        session,
        installation=installation,
        activity_type="uninstall",
        status="success",
        message=f"uninstalled {installed.entry.name}; credentials shredded",
        user_id=principal.user_id,
    )
    vault.shred(session, installation_id=installation.id)
    kept = store.mark_source_removed(session, installation_id=installation.id)
    catalog.adjust_installs(session, entry=installed.entry, delta=-1)
    audit_action(
        session,
        runtime,
        principal,
        action="installation.uninstalled",
        target_type="installation",
        target_id=str(installation.id),
        details={
            "integration": installed.entry.key,
            "shredded_at": utcnow().isoformat(),
            "records_kept": kept,
        },
    )
    session.delete(installation)
    session.flush()
