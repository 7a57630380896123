"""Data mappings: CRUD scoped to an installation of the caller's organization, preview, and
the plan the sync engine runs (:func:`plan_for`).

Every read goes through the installation, filtered by organization, so another organization's
installation or mapping id is a 404, never a leak. Specs are validated by the engine on save,
against the record type the installation's stream produces.
"""

from __future__ import annotations

import typing
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from aria.catalog.models import CatalogEntry
from aria.errors import AppError, Conflict, NotFound
from aria.installs import config_store
from aria.installs import service as installs
from aria.installs.models import Installation
from aria.mapping.models import DataMapping
from aria.mapping.rules import (
    RECORD_CLASSES,
    MappingRules,
    Plan,
    SpecError,
    compile_mappings,
    compile_rules,
    validate_rules,
)
from aria.mapping.schemas import (
    MappingCreate,
    MappingUpdate,
    PreviewRead,
    PreviewRequest,
    PreviewSample,
)
from aria.sdk import Config, FatalError, Integration, Stream
from aria.sdk.records import CanonicalRecord
from aria.sdk.registry import Registry


class InvalidMapping(AppError):
    """422 with ``details`` = ``[{"field": location, "message": why}]`` (the request shape)."""

    status_code = 422
    code = "validation_error"


def _invalid(errors: list[dict[str, str]]) -> InvalidMapping:
    return InvalidMapping("mapping is invalid", details=errors)


# -- which records a source type produces --------------------------------------------------


def _stream(cls: type[Integration], source_type: str) -> type[Stream]:
    for stream in cls.streams:
        if stream.name == source_type:
            return stream
    names = ", ".join(s.name for s in cls.streams) or "none"
    raise _invalid(
        [
            {
                "field": "source_type",
                "message": f"{cls.name} has no stream {source_type!r}; streams: {names}",
            }
        ]
    )


def record_classes(stream: type[Stream]) -> tuple[type[CanonicalRecord], ...]:
    """The canonical class(es) a stream's ``normalize`` is annotated to return; every
    canonical type when the annotation does not say (targets must then exist on one)."""
    try:
        hint = typing.get_type_hints(stream.normalize).get("return")
    except Exception:  # an unresolvable annotation only loosens the check
        return RECORD_CLASSES
    candidates = typing.get_args(hint) if typing.get_args(hint) else (hint,)
    found = tuple(c for c in candidates if isinstance(c, type) and issubclass(c, CanonicalRecord))
    if not found or any(c is CanonicalRecord for c in found):
        return RECORD_CLASSES
    return found


@dataclass(frozen=True)
class Scope:
    """An installation of the caller's organization and its integration class."""

    installation: Installation
    integration: type[Integration]


def scope(
    session: Session, *, organization_id: uuid.UUID, installation_id: uuid.UUID, registry: Registry
) -> Scope:
    """The installation (404 across organizations) and its integration class (409 when the
    package is missing on this server)."""
    installation = installs.get_or_raise(
        session, organization_id=organization_id, installation_id=installation_id
    )
    entry = session.get(CatalogEntry, installation.integration_id)
    assert entry is not None
    try:
        integration = registry.get(entry.key)
    except FatalError:
        raise Conflict(
            f"integration {entry.key!r} is not installed on this server (its package is missing)"
        ) from None
    return Scope(installation, integration)


def _validated(integration: type[Integration], source_type: str, rules: dict[str, Any]) -> Any:
    classes = record_classes(_stream(integration, source_type))
    try:
        return validate_rules(rules, record_classes=classes)
    except SpecError as error:
        raise _invalid(error.errors) from None


# -- CRUD ----------------------------------------------------------------------------------


def list_(
    session: Session,
    *,
    organization_id: uuid.UUID,
    installation_id: uuid.UUID,
    source_type: str | None = None,
) -> list[DataMapping]:
    """Mappings of one installation in application order (source type, priority, name)."""
    installs.get_or_raise(session, organization_id=organization_id, installation_id=installation_id)
    query = select(DataMapping).where(DataMapping.installation_id == installation_id)
    if source_type is not None:
        query = query.where(DataMapping.source_type == source_type)
    order = (DataMapping.source_type, DataMapping.priority, DataMapping.name)
    return list(session.scalars(query.order_by(*order)))


def get(
    session: Session,
    *,
    organization_id: uuid.UUID,
    installation_id: uuid.UUID,
    mapping_id: uuid.UUID,
) -> DataMapping | None:
    return session.scalar(
        select(DataMapping)
        .join(Installation, Installation.id == DataMapping.installation_id)
        .where(
            DataMapping.id == mapping_id,
            DataMapping.installation_id == installation_id,
            Installation.organization_id == organization_id,
        )
    )


def get_or_raise(
    session: Session,
    *,
    organization_id: uuid.UUID,
    installation_id: uuid.UUID,
    mapping_id: uuid.UUID,
) -> DataMapping:
    """The mapping, or 404 — also when it belongs to another organization or installation."""
    mapping = get(
        session,
        organization_id=organization_id,
        installation_id=installation_id,
        mapping_id=mapping_id,
    )
    if mapping is None:
        raise NotFound("mapping not found")
    return mapping


def _name_taken(
    session: Session, installation_id: uuid.UUID, source_type: str, name: str
) -> uuid.UUID | None:
    return session.scalar(
        select(DataMapping.id).where(
            DataMapping.installation_id == installation_id,
            DataMapping.source_type == source_type,
            DataMapping.name == name,
        )
    )


def _flush_unique(session: Session, name: str) -> None:
    """Two concurrent saves of one name: the unique constraint decides, reported as 409."""
    try:
        session.flush()
    except IntegrityError:
        raise Conflict(f"a mapping named {name!r} already exists for this source type") from None


def create(
    session: Session,
    *,
    organization_id: uuid.UUID,
    installation_id: uuid.UUID,
    registry: Registry,
    data: MappingCreate,
) -> DataMapping:
    """Validate every rule against the stream's record type, then store the mapping."""
    found = scope(
        session,
        organization_id=organization_id,
        installation_id=installation_id,
        registry=registry,
    )
    rules = _validated(found.integration, data.source_type, data.rules())
    if _name_taken(session, installation_id, data.source_type, data.name):
        raise Conflict(f"a mapping named {data.name!r} already exists for this source type")
    mapping = DataMapping(
        installation_id=installation_id,
        source_type=data.source_type,
        name=data.name,
        priority=data.priority,
        is_active=data.is_active,
        **rules.stored(),
    )
    session.add(mapping)
    _flush_unique(session, data.name)
    return mapping


def update(
    session: Session,
    *,
    organization_id: uuid.UUID,
    installation_id: uuid.UUID,
    mapping_id: uuid.UUID,
    registry: Registry,
    data: MappingUpdate,
) -> DataMapping:
    """Apply the changed fields and validate the whole mapping again."""
    found = scope(
        session,
        organization_id=organization_id,
        installation_id=installation_id,
        registry=registry,
    )
    mapping = get_or_raise(
        session,
        organization_id=organization_id,
        installation_id=installation_id,
        mapping_id=mapping_id,
    )
    changes = data.model_dump(exclude_unset=True)
    if not changes:
        raise AppError("nothing to change")
    if any(value is None for value in changes.values()):
        nulls = [
            {"field": k, "message": "may not be null"} for k, v in changes.items() if v is None
        ]
        raise _invalid(nulls)
    source_type = changes.get("source_type", mapping.source_type)
    name = changes.get("name", mapping.name)
    rules = _validated(
        found.integration,
        source_type,
        {
            "field_mappings": changes.get("field_mappings", mapping.field_mappings),
            "transformations": changes.get("transformations", mapping.transformations),
            "filter_rules": changes.get("filter_rules", mapping.filter_rules),
        },
    )
    taken = _name_taken(session, installation_id, source_type, name)
    if taken is not None and taken != mapping.id:
        raise Conflict(f"a mapping named {name!r} already exists for this source type")
    for key, value in rules.stored().items():
        setattr(mapping, key, value)
    mapping.source_type = source_type
    mapping.name = name
    if "priority" in changes:
        mapping.priority = changes["priority"]
    if "is_active" in changes:
        mapping.is_active = changes["is_active"]
    _flush_unique(session, name)
    return mapping


def delete(session: Session, *, mapping: DataMapping) -> None:
    session.delete(mapping)
    session.flush()


# -- for the sync engine -------------------------------------------------------------------


def plan_for(
    session: Session,
    *,
    installation_id: uuid.UUID,
    source_type: str,
    record_classes: Sequence[type[CanonicalRecord]] | None = None,
) -> Plan:
    """The compiled plan for one (installation, source type): active mappings by priority.

    The caller (the sync engine) already holds a trusted installation id, so this does not
    scope by organization. An empty plan passes records through unchanged.
    """
    rows = session.scalars(
        select(DataMapping).where(
            DataMapping.installation_id == installation_id,
            DataMapping.source_type == source_type,
            DataMapping.is_active.is_(True),
        )
    )
    return compile_mappings(list(rows), record_classes=record_classes)


# -- preview -------------------------------------------------------------------------------


def _flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    """``{"asset": {"hostname": x}}`` → ``{"asset.hostname": x}`` (lists by index)."""
    if isinstance(value, dict) and value:
        out: dict[str, Any] = {}
        for key, item in value.items():
            out.update(_flatten(item, f"{prefix}{key}."))
        return out
    if isinstance(value, list) and value:
        out = {}
        for index, item in enumerate(value):
            out.update(_flatten(item, f"{prefix}{index}."))
        return out
    return {prefix.rstrip("."): value}


def _changes(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    flat_before, flat_after = _flatten(before), _flatten(after)
    keys = flat_before.keys() | flat_after.keys()
    return sorted(k for k in keys if flat_before.get(k) != flat_after.get(k))


def _shown(record: CanonicalRecord) -> dict[str, Any]:
    return record.model_dump(mode="json", exclude={"raw"})


def _config(session: Session, found: Scope, master_key: bytes | None) -> Config | None:
    """The installation's configuration for the normalizer, when it can be loaded; few
    normalizers need it, so a preview never fails for want of it."""
    if master_key is None:
        return None
    try:
        return config_store.load(
            session,
            installation=found.installation,
            model=found.integration.config_class(),
            master_key=master_key,
        )
    except Exception:  # e.g. crypto-shredded credentials
        return None


def preview(
    session: Session,
    *,
    organization_id: uuid.UUID,
    installation_id: uuid.UUID,
    registry: Registry,
    data: PreviewRequest,
    master_key: bytes | None = None,
) -> PreviewRead:
    """Normalize each raw sample with the installation's stream, run the unsaved mapping
    (and, if asked, the saved ones) and show before/after per record. Nothing is written."""
    found = scope(
        session,
        organization_id=organization_id,
        installation_id=installation_id,
        registry=registry,
    )
    stream_cls = _stream(found.integration, data.source_type)
    rules: MappingRules = _validated(found.integration, data.source_type, data.rules())
    plan = Plan([compile_rules(data.name, rules, priority=data.priority)])
    if data.include_saved:
        saved = [
            m
            for m in list_(
                session,
                organization_id=organization_id,
                installation_id=installation_id,
                source_type=data.source_type,
            )
            if m.name != data.name
        ]
        try:
            others = compile_mappings(saved, record_classes=record_classes(stream_cls))
        except SpecError as error:
            raise _invalid(error.errors) from None
        ordered = sorted([*others.mappings, *plan.mappings], key=lambda m: (m.priority, m.name))
        plan = Plan(ordered)
    stream = stream_cls(_config(session, found, master_key))
    results: list[PreviewSample] = []
    for index, raw in enumerate(data.samples):
        try:
            normalized = stream.normalize(raw)
        except Exception as error:  # a sample that breaks the normalizer is shown
            message = f"the integration's normalizer rejected this sample: {error}"
            results.append(PreviewSample(index=index, before=None, after=None, errors=[message]))
            continue
        items = normalized if isinstance(normalized, list) else [normalized]
        records = [item for item in items if isinstance(item, CanonicalRecord)]
        if not records:
            message = "the integration's normalizer skipped this sample"
            results.append(PreviewSample(index=index, before=None, after=None, errors=[message]))
            continue
        for record in records:
            before = _shown(record)
            outcome = plan.outcome(record)
            after = _shown(outcome.record) if outcome.record is not None else None
            results.append(
                PreviewSample(
                    index=index,
                    before=before,
                    after=after,
                    dropped_by=outcome.dropped_by,
                    changes=_changes(before, after) if after is not None else [],
                    errors=[outcome.error.message] if outcome.error else [],
                )
            )
    return PreviewRead(
        source_type=data.source_type,
        mappings=[m.name for m in plan.mappings],
        samples=results,
        stats=plan.stats.as_dict(),
    )
