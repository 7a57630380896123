"""Append to and verify the audit log, an HMAC hash chain keyed from the master key.

Each entry's hash covers its content and the previous entry's hash, so editing, deleting or
reordering any entry breaks verification from that point on; without the master key nobody
can recompute a consistent chain.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from aria.accounts.principal import Principal
from aria.audit.models import AuditEntry
from aria.db.types import utcnow
from aria.logs import redact

GENESIS = "0" * 64
# Any constant works: it only has to be the same for every writer of this database.
_PG_AUDIT_LOCK = 0x41524941


def _canonical(entry: AuditEntry) -> bytes:
    fields = [
        entry.prev_hash,
        str(entry.organization_id or ""),
        str(entry.actor_user_id or ""),
        entry.actor,
        entry.action,
        entry.target_type or "",
        entry.target_id or "",
        entry.details,
        entry.ip_address or "",
        entry.created_at.isoformat(timespec="microseconds"),
    ]
    return json.dumps(fields, sort_keys=True, separators=(",", ":"), default=str).encode()


def _digest(key: bytes, entry: AuditEntry) -> str:
    return hmac.new(key, _canonical(entry), hashlib.sha256).hexdigest()


def _scrub(value: Any) -> Any:
    """Details are names and counts by contract; strings still pass the redactor."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {str(k): _scrub(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_scrub(v) for v in value]
    return value


def append(
    session: Session,
    *,
    key: bytes,
    action: str,
    actor: str,
    organization_id: uuid.UUID | None = None,
    actor_user_id: uuid.UUID | None = None,
    target_type: str | None = None,
    target_id: str | None = None,
    details: dict[str, Any] | None = None,
    ip_address: str | None = None,
) -> AuditEntry:
    """Add one entry at the end of the chain (inside the caller's transaction)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_AUDIT_LOCK})
    previous = session.scalar(select(AuditEntry.entry_hash).order_by(AuditEntry.id.desc()))
    entry = AuditEntry(
        organization_id=organization_id,
        actor_user_id=actor_user_id,
        actor=actor,
        action=action,
        target_type=target_type,
        target_id=target_id,
        details=_scrub(details or {}),
        ip_address=ip_address,
        created_at=utcnow(),
        prev_hash=previous or GENESIS,
    )
    entry.entry_hash = _digest(key, entry)
    session.add(entry)
    session.flush()
    return entry


def record_action(
    session: Session, *, key: bytes, principal: Principal, action: str, **fields: Any
) -> AuditEntry:
    """An entry for what ``principal`` did, in the organization they acted in."""
    return append(
        session,
        key=key,
        action=action,
        actor=principal.email,
        actor_user_id=principal.user_id,
        organization_id=principal.organization_id,
        **fields,
    )


@dataclass
class Verification:
    """The outcome of walking the chain."""

    ok: bool
    checked: int
    broken_at: int | None = None
    reason: str | None = None


def verify(session: Session, *, key: bytes, batch: int = 1000) -> Verification:
    """Walk every entry in order, recomputing each hash and link."""
    expected_prev = GENESIS
    checked = 0
    query = select(AuditEntry).order_by(AuditEntry.id).execution_options(yield_per=batch)
    for entry in session.scalars(query):
        if entry.prev_hash != expected_prev:
            return Verification(False, checked, entry.id, "link to the previous entry is broken")
        if not hmac.compare_digest(entry.entry_hash, _digest(key, entry)):
            return Verification(False, checked, entry.id, "entry content does not match its hash")
        expected_prev = entry.entry_hash
        checked += 1
    return Verification(True, checked)


def list_(
    session: Session,
    *,
    organization_id: uuid.UUID,
    limit: int = 50,
    before_id: int | None = None,
    action: str | None = None,
) -> list[AuditEntry]:
    """An organization's entries, newest first, keyset-paginated by id."""
    query = select(AuditEntry).where(AuditEntry.organization_id == organization_id)
    if before_id is not None:
        query = query.where(AuditEntry.id < before_id)
    if action:
        query = query.where(AuditEntry.action == action)
    return list(session.scalars(query.order_by(AuditEntry.id.desc()).limit(limit)))
