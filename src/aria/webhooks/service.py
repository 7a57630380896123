"""Inbound endpoints (create, rotate, list, resolve a token), their delivery log, and the
dead-letter list of both directions. Plain functions, ``session`` first, keyword-only.

Tokens: 32 random bytes (URL-safe); only their SHA-256 is stored, so a database leak gives
nobody a working URL. The signing secret is sealed by the vault under the installation's data
key; both are shown exactly once, in the create/rotate response.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pydantic import SecretStr
from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from aria.db.types import utcnow
from aria.errors import AppError, Conflict, NotFound
from aria.installs.models import Installation
from aria.logs import register_secret
from aria.runtime import Runtime
from aria.sdk import Integration
from aria.vault import service as vault
from aria.webhooks import verify
from aria.webhooks.models import DeadLetter, Delivery, InboundEvent, Webhook

MAX_ENDPOINTS_PER_INSTALLATION = 20
RECEIVING_STATUSES = ("enabled", "error")


class InvalidWebhook(AppError):
    status_code = 422
    code = "invalid_webhook"


def new_token() -> str:
    return secrets.token_urlsafe(32)


def new_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def hook_url(base_url: str, token: str) -> str:
    return f"{base_url.rstrip('/')}/hooks/{token}"


@dataclass
class Issued:
    """A created or rotated endpoint with the plaintext token and secret (shown once)."""

    webhook: Webhook
    token: str
    secret: str | None


def _overrides_verify(cls: type[Integration]) -> bool:
    return cls.webhook_support and cls.verify_webhook is not Integration.verify_webhook


def choose_method(
    cls: type[Integration], *, preset: str | None, method: str | None, config: dict[str, Any] | None
) -> tuple[str | None, str, dict[str, Any]]:
    """(preset, method, normalized config): an explicit method wins; otherwise the named
    preset, the integration's own preset, its own verifier, or plain HMAC-SHA256."""
    if method is None:
        chosen = preset or (cls.key if cls.key in verify.PRESETS else None)
        if chosen is not None:
            if chosen not in verify.PRESETS:
                raise InvalidWebhook(
                    f"unknown preset {chosen!r}",
                    details={"fields": {"preset": f"one of {', '.join(verify.PRESETS)}"}},
                )
            found = verify.PRESETS[chosen]
            method, config = found.method, {**found.config, **(config or {})}
            preset = chosen
        else:
            method = "integration" if _overrides_verify(cls) else "hmac"
    if method == "integration" and not _overrides_verify(cls):
        raise InvalidWebhook(
            f"{cls.key} has no webhook verifier of its own; choose another method",
            details={"fields": {"verification_method": "not supported by this integration"}},
        )
    try:
        return preset, method, verify.normalize(method, config)
    except verify.InvalidVerification as error:
        raise InvalidWebhook(str(error), details={"fields": error.fields}) from None


def _seal(
    session: Session,
    runtime: Runtime,
    installation: Installation,
    webhook_id: uuid.UUID,
    secret: str,
) -> vault.Sealed:
    return vault.seal_webhook_secret(
        session,
        master_key=runtime.master_key,
        installation=installation,
        webhook_id=webhook_id,
        secret=secret,
    )


def create(
    session: Session,
    runtime: Runtime,
    *,
    installation: Installation,
    integration_cls: type[Integration],
    name: str | None = None,
    preset: str | None = None,
    method: str | None = None,
    config: dict[str, Any] | None = None,
    secret: SecretStr | None = None,
    stream: str = "webhook",
    event_types: list[str] | None = None,
    rate_limit_per_minute: int = 6000,
    max_body_bytes: int = 1_048_576,
) -> Issued:
    """A new endpoint for ``installation``; the caller commits."""
    if not integration_cls.webhook_support:
        raise Conflict(f"{integration_cls.key} does not support webhooks")
    count = session.scalar(
        select(func.count()).select_from(Webhook).where(Webhook.installation_id == installation.id)
    )
    if (count or 0) >= MAX_ENDPOINTS_PER_INSTALLATION:
        raise Conflict(f"an installation has at most {MAX_ENDPOINTS_PER_INSTALLATION} endpoints")
    preset, method, normalized = choose_method(
        integration_cls, preset=preset, method=method, config=config
    )
    plaintext = secret.get_secret_value() if secret is not None else None
    # The integration's own verifier reads ``webhook_secret``: give the endpoint its own one
    # (it takes the configuration's place at verification) unless the caller brought one.
    wants_secret = method in verify.SECRET_METHODS or (
        method == "integration" and "webhook_secret" in integration_cls.config_class().model_fields
    )
    if plaintext is None and wants_secret:
        plaintext = new_secret()
    token = new_token()
    webhook = Webhook(
        id=uuid.uuid4(),
        organization_id=installation.organization_id,
        installation_id=installation.id,
        name=name,
        preset=preset,
        token_hash=token_hash(token),
        token_prefix=token[:6],
        verification_method=method,
        verification_config=normalized,
        event_types=list(event_types or []),
        stream=stream,
        rate_limit_per_minute=rate_limit_per_minute,
        max_body_bytes=max_body_bytes,
        is_active=True,
    )
    if plaintext is not None:
        register_secret(plaintext)
        webhook.secret_ciphertext, webhook.secret_nonce = _seal(
            session, runtime, installation, webhook.id, plaintext
        )
    session.add(webhook)
    session.flush()
    return Issued(webhook, token, plaintext)


def list_(
    session: Session, *, organization_id: uuid.UUID, installation_id: uuid.UUID
) -> list[Webhook]:
    return list(
        session.scalars(
            select(Webhook)
            .where(
                Webhook.organization_id == organization_id,
                Webhook.installation_id == installation_id,
            )
            .order_by(Webhook.created_at, Webhook.id)
        )
    )


def get_or_raise(
    session: Session,
    *,
    organization_id: uuid.UUID,
    installation_id: uuid.UUID,
    webhook_id: uuid.UUID,
) -> Webhook:
    """The endpoint, or 404 — also when it belongs to another installation or organization."""
    webhook = session.scalar(
        select(Webhook).where(
            Webhook.id == webhook_id,
            Webhook.organization_id == organization_id,
            Webhook.installation_id == installation_id,
        )
    )
    if webhook is None:
        raise NotFound("webhook not found")
    return webhook


def rotate(
    session: Session,
    runtime: Runtime,
    *,
    webhook: Webhook,
    installation: Installation,
    overlap: timedelta,
    rotate_secret: bool = False,
    secret: SecretStr | None = None,
    now: datetime | None = None,
) -> Issued:
    """A new token (and, if asked, a new secret); the old ones keep working for ``overlap``."""
    now = now or utcnow()
    token = new_token()
    expires = now + overlap if overlap.total_seconds() > 0 else None
    webhook.previous_token_hash = webhook.token_hash if expires else None
    webhook.previous_token_expires_at = expires
    # Flush the move first: token_hash and previous_token_hash are both unique.
    session.flush()
    webhook.token_hash = token_hash(token)
    webhook.token_prefix = token[:6]
    plaintext: str | None = None
    if rotate_secret or secret is not None:
        if webhook.verification_method not in verify.SECRET_METHODS | {"integration"}:
            raise InvalidWebhook(f"method {webhook.verification_method!r} has no secret")
        plaintext = secret.get_secret_value() if secret is not None else new_secret()
        register_secret(plaintext)
        if expires and webhook.secret_ciphertext is not None:
            webhook.previous_secret_ciphertext = webhook.secret_ciphertext
            webhook.previous_secret_nonce = webhook.secret_nonce
            webhook.previous_secret_expires_at = expires
        else:
            webhook.previous_secret_ciphertext = webhook.previous_secret_nonce = None
            webhook.previous_secret_expires_at = None
        webhook.secret_ciphertext, webhook.secret_nonce = _seal(
            session, runtime, installation, webhook.id, plaintext
        )
    webhook.updated_at = now
    session.flush()
    return Issued(webhook, token, plaintext)


def update_(session: Session, *, webhook: Webhook, changes: dict[str, Any]) -> Webhook:
    for key in ("name", "is_active", "rate_limit_per_minute", "max_body_bytes", "event_types"):
        if key in changes and changes[key] is not None:
            setattr(webhook, key, changes[key])
    webhook.updated_at = utcnow()
    session.flush()
    return webhook


def delete(session: Session, *, webhook: Webhook) -> None:
    session.delete(webhook)
    session.flush()


def open_secrets(
    session: Session,
    runtime: Runtime,
    *,
    webhook: Webhook,
    installation: Installation,
    now: datetime,
) -> list[str]:
    """The current secret and, inside the overlap window, the previous one."""
    found: list[str] = []
    pairs = [(webhook.secret_ciphertext, webhook.secret_nonce)]
    if webhook.previous_secret_expires_at and webhook.previous_secret_expires_at > now:
        pairs.append((webhook.previous_secret_ciphertext, webhook.previous_secret_nonce))
    for ciphertext, nonce in pairs:
        if ciphertext is None or nonce is None:
            continue
        plaintext = vault.open_webhook_secret(
            session,
            master_key=runtime.master_key,
            installation=installation,
            webhook_id=webhook.id,
            ciphertext=ciphertext,
            nonce=nonce,
        )
        register_secret(plaintext)
        found.append(plaintext)
    return found


def find_by_token(
    session: Session, *, digest: str, now: datetime
) -> tuple[Webhook, Installation] | None:
    """The active endpoint for a token hash (current, or previous inside its overlap window)
    whose installation is receiving; None for anything else, whatever the reason."""
    row = session.execute(
        select(Webhook, Installation)
        .join(Installation, Installation.id == Webhook.installation_id)
        .where(
            or_(
                Webhook.token_hash == digest,
                (Webhook.previous_token_hash == digest) & (Webhook.previous_token_expires_at > now),
            )
        )
    ).one_or_none()
    return (row[0], row[1]) if row is not None else None


def is_receiving(webhook: Webhook, installation: Installation) -> bool:
    return webhook.is_active and installation.status in RECEIVING_STATUSES


# Delivery log -----------------------------------------------------------------------------


def deliveries(
    session: Session, *, webhook: Webhook, status: str | None, limit: int, offset: int
) -> tuple[list[InboundEvent], int]:
    query = select(InboundEvent).where(InboundEvent.webhook_id == webhook.id)
    if status:
        query = query.where(InboundEvent.status == status)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(
        query.order_by(InboundEvent.received_at.desc(), InboundEvent.id).limit(limit).offset(offset)
    )
    return list(rows), total


# Dead letters -------------------------------------------------------------------------------


def dead_letters(
    session: Session,
    *,
    organization_id: uuid.UUID,
    kind: str | None,
    status: str | None,
    installation_id: uuid.UUID | None,
    limit: int,
    offset: int,
) -> tuple[list[DeadLetter], int]:
    query = select(DeadLetter).where(DeadLetter.organization_id == organization_id)
    if kind:
        query = query.where(DeadLetter.kind == kind)
    if status:
        query = query.where(DeadLetter.status == status)
    if installation_id:
        query = query.where(DeadLetter.installation_id == installation_id)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(
        query.order_by(DeadLetter.created_at.desc(), DeadLetter.id).limit(limit).offset(offset)
    )
    return list(rows), total


def get_dead_letter_or_raise(
    session: Session, *, organization_id: uuid.UUID, dead_letter_id: uuid.UUID
) -> DeadLetter:
    found = session.scalar(
        select(DeadLetter).where(
            DeadLetter.id == dead_letter_id, DeadLetter.organization_id == organization_id
        )
    )
    if found is None:
        raise NotFound("dead letter not found")
    return found


def replay(session: Session, *, dead_letter: DeadLetter, now: datetime | None = None) -> uuid.UUID:
    """Put the event (or delivery) back on the line with fresh attempts; returns its id for
    the caller to enqueue after commit."""
    now = now or utcnow()
    if dead_letter.status == "replayed":
        raise Conflict("this dead letter was already replayed; it reappears if it fails again")
    if dead_letter.kind == "inbound":
        assert dead_letter.event_id is not None
        target = dead_letter.event_id
        changed = session.execute(
            update(InboundEvent)
            .where(InboundEvent.id == target, InboundEvent.status == "dead")
            .values(status="received", attempts=0, next_attempt_at=None, lease_until=None)
        ).rowcount  # type: ignore[attr-defined]
    else:
        assert dead_letter.delivery_id is not None
        target = dead_letter.delivery_id
        changed = session.execute(
            update(Delivery)
            .where(Delivery.id == target, Delivery.status == "failed")
            .values(status="pending", attempts=0, next_attempt_at=None, lease_until=None)
        ).rowcount  # type: ignore[attr-defined]
    if not changed:
        raise Conflict("the dead-lettered item is no longer failed")
    dead_letter.status = "replayed"
    dead_letter.replayed_at = now
    dead_letter.replay_count += 1
    session.flush()
    return target


def record_dead_letter(
    session: Session,
    *,
    organization_id: uuid.UUID,
    kind: str,
    reason: str,
    error: str | None,
    attempts: int,
    installation_id: uuid.UUID | None = None,
    event_id: uuid.UUID | None = None,
    delivery_id: uuid.UUID | None = None,
    now: datetime | None = None,
) -> DeadLetter:
    """Open (or re-open, after a failed replay) the dead letter of an event or delivery."""
    now = now or utcnow()
    column = DeadLetter.event_id if event_id is not None else DeadLetter.delivery_id
    existing = session.scalar(select(DeadLetter).where(column == (event_id or delivery_id)))
    if existing is None:
        existing = DeadLetter(
            organization_id=organization_id,
            kind=kind,
            installation_id=installation_id,
            event_id=event_id,
            delivery_id=delivery_id,
            replay_count=0,
        )
        session.add(existing)
    existing.status = "open"
    existing.reason = reason[:60]
    existing.error_message = error
    existing.attempts = attempts
    existing.created_at = now
    session.flush()
    return existing
