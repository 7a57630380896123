"""Webhook tables: inbound endpoints and their durable event log, the replay (seen-id) store,
outbound subscriptions with their delivery log, and the dead-letter list of both directions."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    Uuid,
)
from sqlalchemy.orm import Mapped, mapped_column

from aria.db.base import Base, Timestamps, UuidPrimaryKey, one_of
from aria.db.types import JSONType, UTCDateTime, utcnow

VERIFICATION_METHODS = ("hmac", "signature", "ip_whitelist", "bearer_token", "integration")
EVENT_STATUSES = ("received", "processing", "processed", "retrying", "dead")
DELIVERY_STATUSES = ("pending", "delivering", "succeeded", "retrying", "failed", "cancelled")
HTTP_METHODS = ("POST", "PUT", "PATCH")
DEAD_LETTER_KINDS = ("inbound", "outbound")
DEAD_LETTER_STATUSES = ("open", "replayed")


class Webhook(UuidPrimaryKey, Timestamps, Base):
    """An endpoint ``/hooks/{token}``: only token hashes are stored; the secret is encrypted."""

    __tablename__ = "integration_webhooks"
    __table_args__ = (one_of("verification_method", VERIFICATION_METHODS),)

    organization_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("organizations.id", ondelete="CASCADE"), nullable=False, index=True
    )
    installation_id: Mapped[uuid.UUID] = mapped_column(
        Uuid,
        ForeignKey("integration_installations.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    )
    token_hash: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    previous_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    previous_token_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    verification_method: Mapped[str] = mapped_column(String(20), nullable=False)
    verification_config: Mapped[dict[str, Any]] = mapped_column(
        JSONType, nullable=False, default=dict
    )
    secret_ciphertext: Mapped[bytes | None] = mapped_column(LargeBinary)
    secret_nonce: Mapped[bytes | None] = mapped_column(LargeBinary)
    event_types: Mapped[list[str]] = mapped_column(JSONType, nullable=False, default=list)
    is_active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    last_received_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    total_received: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    total_failed: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    # Added by 0006 -------------------------------------------------------------------------
    name: Mapped[str | None] = mapped_column(String(200))
    preset: Mapped[str | None] = mapped_column(String(50))
    token_prefix: Mapped[str | None] = mapped_column(String(12))  # shown in lists, not secret
    stream: Mapped[str] = mapped_column(
        String(100), nullable=False, default="webhook", server_default="webhook"
    )
    rate_limit_per_minute: Mapped[int] = mapped_column(
        Integer, nullable=False, default=6000, server_default="6000"
    )
    max_body_bytes: Mapped[int] = mapped_column(
        Integer, nullable=False, default=1_048_576, server_default="1048576"
    )
    previous_secret_ciphertext: Mapped[bytes | None] = mapped_column(LargeBinary)
    previous_secret_nonce: Mapped[bytes | None] = mapped_column(LargeBinary)
    previous_secret_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    total_rejected: Mapped[int] = mapped_column(
        Integer, nullable=False, default=0, server_default="0"
    )


class InboundEvent(Base):
    """One accepted delivery, committed before the 202: the unit of exactly-once processing.

    ``status`` moves received → processing (claimed, with a lease) → processed, or to
    retrying (with ``next_attempt_at``) and finally dead (a dead letter points at it).
    """

    __tablename__ = "webhook_inbound_events"
    __table_args__ = (
        one_of("status", EVENT_STATUSES),
        Index(None, "webhook_id", "received_at"),
        Index(None, "status", "next_attempt_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    organization_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("organizations.id", ondelete="CASCADE"), nullable=False, index=True
    )
    installation_id: Mapped[uuid.UUID] = mapped_column(
        Uuid,
        ForeignKey("integration_installations.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    )
    webhook_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("integration_webhooks.id", ondelete="CASCADE"), nullable=False
    )
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    content_type: Mapped[str | None] = mapped_column(String(200))
    headers: Mapped[dict[str, str]] = mapped_column(JSONType, nullable=False, default=dict)
    body: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
    body_size: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    source_ip: Mapped[str | None] = mapped_column(String(45))
    delivery_key: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(12), nullable=False, default="received")
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    records_processed: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)


class SeenDelivery(Base):
    """Replay protection: a delivery id (or signature digest) seen on an endpoint, until expiry."""

    __tablename__ = "webhook_seen_ids"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    webhook_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("integration_webhooks.id", ondelete="CASCADE"), nullable=False, index=True
    )
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, index=True)


class Subscription(UuidPrimaryKey, Timestamps, Base):
    """An organization's outbound webhook: lifecycle events → signed HTTP requests."""

    __tablename__ = "webhook_subscriptions"
    __table_args__ = (one_of("method", HTTP_METHODS),)

    organization_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("organizations.id", ondelete="CASCADE"), nullable=False, index=True
    )
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    url: Mapped[str] = mapped_column(Text, nullable=False)
    method: Mapped[str] = mapped_column(String(10), nullable=False, default="POST")
    event_types: Mapped[list[str]] = mapped_column(JSONType, nullable=False, default=list)
    payload_template: Mapped[str | None] = mapped_column(Text)
    header_names: Mapped[list[str]] = mapped_column(JSONType, nullable=False, default=list)
    headers_ciphertext: Mapped[bytes | None] = mapped_column(LargeBinary)
    headers_nonce: Mapped[bytes | None] = mapped_column(LargeBinary)
    secret_ciphertext: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
    secret_nonce: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
    is_active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    max_attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=5)
    backoff_base_s: Mapped[int] = mapped_column(Integer, nullable=False, default=10)
    backoff_max_s: Mapped[int] = mapped_column(Integer, nullable=False, default=3600)
    timeout_s: Mapped[int] = mapped_column(Integer, nullable=False, default=10)
    failure_threshold: Mapped[int] = mapped_column(Integer, nullable=False, default=10)
    consecutive_failures: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    total_triggers: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    total_failures: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    last_triggered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_success_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_failure_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    disabled_reason: Mapped[str | None] = mapped_column(Text)


class Delivery(Base):
    """One outbound request (with its retries): the delivery log."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        one_of("status", DELIVERY_STATUSES),
        Index(None, "subscription_id", "created_at"),
        Index(None, "status", "next_attempt_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    organization_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("organizations.id", ondelete="CASCADE"), nullable=False, index=True
    )
    subscription_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("webhook_subscriptions.id", ondelete="CASCADE"), nullable=False
    )
    event_type: Mapped[str] = mapped_column(String(60), nullable=False)
    body: Mapped[str] = mapped_column(Text, nullable=False)
    status: Mapped[str] = mapped_column(String(12), nullable=False, default="pending")
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    response_status: Mapped[int | None] = mapped_column(Integer)
    response_time_ms: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class DeadLetter(UuidPrimaryKey, Base):
    """An inbound event or outbound delivery that exhausted its retries; replayable."""

    __tablename__ = "webhook_dead_letters"
    __table_args__ = (
        one_of("kind", DEAD_LETTER_KINDS),
        one_of("status", DEAD_LETTER_STATUSES),
        Index(None, "organization_id", "created_at"),
    )

    organization_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("organizations.id", ondelete="CASCADE"), nullable=False
    )
    kind: Mapped[str] = mapped_column(String(10), nullable=False)
    installation_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("integration_installations.id", ondelete="CASCADE"), index=True
    )
    event_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("webhook_inbound_events.id", ondelete="CASCADE"), unique=True
    )
    delivery_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("webhook_deliveries.id", ondelete="CASCADE"), unique=True
    )
    status: Mapped[str] = mapped_column(String(10), nullable=False, default="open")
    reason: Mapped[str] = mapped_column(String(60), nullable=False)
    error_message: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    replayed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    replay_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
