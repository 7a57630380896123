"""API shapes for webhooks in and out. Secrets appear only in the ``*Issued`` responses."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr

Method = Literal["hmac", "signature", "ip_whitelist", "bearer_token", "integration"]


class WebhookCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, max_length=200)
    preset: str | None = Field(default=None, max_length=50, description="e.g. acme-edr")
    verification_method: Method | None = None
    verification_config: dict[str, Any] | None = None
    secret: SecretStr | None = Field(
        default=None,
        min_length=8,
        max_length=500,
        description="Use this secret (e.g. one the vendor generated) instead of a new one.",
    )
    stream: str = Field(default="webhook", pattern=r"^[a-z0-9_.-]{1,100}$")
    event_types: list[str] = Field(default_factory=list, max_length=100)
    rate_limit_per_minute: int = Field(default=6000, ge=1, le=1_000_000)
    max_body_bytes: int = Field(default=1_048_576, ge=1024, le=10 * 1_048_576)


class WebhookUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, max_length=200)
    is_active: bool | None = None
    event_types: list[str] | None = Field(default=None, max_length=100)
    rate_limit_per_minute: int | None = Field(default=None, ge=1, le=1_000_000)
    max_body_bytes: int | None = Field(default=None, ge=1024, le=10 * 1_048_576)


class WebhookRotate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    overlap_minutes: int = Field(
        default=60, ge=0, le=10_080, description="How long the old token (and secret) still work."
    )
    rotate_secret: bool = False
    secret: SecretStr | None = Field(default=None, min_length=8, max_length=500)


class WebhookRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    installation_id: uuid.UUID
    name: str | None
    preset: str | None
    verification_method: str
    verification_config: dict[str, Any]
    url_hint: str = Field(
        description="The URL with the token shortened; the full URL is shown once."
    )
    has_secret: bool
    stream: str
    event_types: list[str]
    is_active: bool
    rate_limit_per_minute: int
    max_body_bytes: int
    previous_token_expires_at: datetime | None
    previous_secret_expires_at: datetime | None
    last_received_at: datetime | None
    total_received: int
    total_failed: int
    total_rejected: int
    created_at: datetime
    updated_at: datetime


class WebhookIssued(WebhookRead):
    """Shown once: the full URL (with its token) and the signing secret."""

    url: str
    secret: str | None


class InboundEventRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    webhook_id: uuid.UUID
    received_at: datetime
    status: str
    attempts: int
    content_type: str | None
    body_size: int
    source_ip: str | None
    next_attempt_at: datetime | None
    processed_at: datetime | None
    records_processed: int
    last_error: str | None


class InboundEventPage(BaseModel):
    items: list[InboundEventRead]
    total: int
    limit: int
    offset: int


class DeadLetterRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    kind: str
    installation_id: uuid.UUID | None
    event_id: uuid.UUID | None
    delivery_id: uuid.UUID | None
    status: str
    reason: str
    error_message: str | None
    attempts: int
    created_at: datetime
    replayed_at: datetime | None
    replay_count: int


class DeadLetterPage(BaseModel):
    items: list[DeadLetterRead]
    total: int
    limit: int
    offset: int


class SubscriptionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    url: str = Field(min_length=8, max_length=2000)
    method: Literal["POST", "PUT", "PATCH"] = "POST"
    event_types: list[str] = Field(min_length=1, max_length=50)
    payload_template: str | None = Field(default=None, max_length=20_000)
    headers: dict[str, str] = Field(default_factory=dict, max_length=20)
    max_attempts: int = Field(default=5, ge=1, le=20)
    backoff_base_s: int = Field(default=10, ge=1, le=3600)
    backoff_max_s: int = Field(default=3600, ge=1, le=86_400)
    timeout_s: int = Field(default=10, ge=1, le=30)
    failure_threshold: int = Field(default=10, ge=1, le=1000)


class SubscriptionUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, min_length=1, max_length=200)
    url: str | None = Field(default=None, min_length=8, max_length=2000)
    method: Literal["POST", "PUT", "PATCH"] | None = None
    event_types: list[str] | None = Field(default=None, min_length=1, max_length=50)
    payload_template: str | None = Field(default=None, max_length=20_000)
    headers: dict[str, str] | None = Field(default=None, max_length=20)
    is_active: bool | None = None
    max_attempts: int | None = Field(default=None, ge=1, le=20)
    backoff_base_s: int | None = Field(default=None, ge=1, le=3600)
    backoff_max_s: int | None = Field(default=None, ge=1, le=86_400)
    timeout_s: int | None = Field(default=None, ge=1, le=30)
    failure_threshold: int | None = Field(default=None, ge=1, le=1000)


class SubscriptionRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    url: str
    method: str
    event_types: list[str]
    payload_template: str | None
    header_names: list[str] = Field(description="Custom header values are never shown.")
    is_active: bool
    max_attempts: int
    backoff_base_s: int
    backoff_max_s: int
    timeout_s: int
    failure_threshold: int
    consecutive_failures: int
    total_triggers: int
    total_failures: int
    last_triggered_at: datetime | None
    last_success_at: datetime | None
    last_failure_at: datetime | None
    disabled_at: datetime | None
    disabled_reason: str | None
    created_at: datetime
    updated_at: datetime


class SubscriptionIssued(SubscriptionRead):
    """Shown once: the signing secret (HMAC-SHA256 over ``<timestamp>.<body>``)."""

    secret: str


class DeliveryRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    subscription_id: uuid.UUID
    event_type: str
    status: str
    attempts: int
    response_status: int | None
    response_time_ms: int | None
    last_error: str | None
    next_attempt_at: datetime | None
    created_at: datetime
    delivered_at: datetime | None


class DeliveryPage(BaseModel):
    items: list[DeliveryRead]
    total: int
    limit: int
    offset: int


class PresetRead(BaseModel):
    key: str
    verification_method: str
    verification_config: dict[str, Any]
    description: str


class Queued(BaseModel):
    id: uuid.UUID
    status: str
