"""Per-organization installations, their versioned configuration, credentials and activity."""

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
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.orm import Mapped, mapped_column

from aria.audit.models import BigId
from aria.db.base import Base, Timestamps, UuidPrimaryKey, one_of
from aria.db.types import JSONType, UTCDateTime, utcnow

INSTALL_STATUSES = ("disabled", "configuring", "enabled", "error", "suspended")
INSTALL_MODES = ("live", "sandbox")
SYNC_FREQUENCIES = ("realtime", "hourly", "daily", "weekly", "manual")
HEALTH_STATUSES = ("healthy", "degraded", "down", "unknown")
ACTIVITY_TYPES = (
    "install",
    "uninstall",
    "config_change",
    "test_connection",
    "health_check",
    "sync",
    "query",
    "push",
    "webhook",
    "error",
    "state_change",
)
ACTIVITY_DIRECTIONS = ("inbound", "outbound", "internal")
ACTIVITY_STATUSES = ("success", "failure", "partial", "rejected")


class Installation(UuidPrimaryKey, Timestamps, Base):
    """An organization's copy of one integration: its state, schedule and health."""

    __tablename__ = "integration_installations"
    __table_args__ = (
        UniqueConstraint("organization_id", "integration_id"),
        one_of("status", INSTALL_STATUSES),
        one_of("mode", INSTALL_MODES),
        one_of("sync_frequency", SYNC_FREQUENCIES),
        one_of("health_status", HEALTH_STATUSES),
        Index(None, "status", "next_sync_at"),
        Index(None, "integration_id"),
    )

    organization_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("organizations.id", ondelete="CASCADE"), nullable=False
    )
    integration_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("integration_catalog.id", ondelete="RESTRICT"), nullable=False
    )
    installed_by: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("users.id", ondelete="SET NULL")
    )
    status: Mapped[str] = mapped_column(String(20), nullable=False, default="configuring")
    status_reason: Mapped[str | None] = mapped_column(Text)
    mode: Mapped[str] = mapped_column(String(10), nullable=False, default="live")
    config_version: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    sync_frequency: Mapped[str] = mapped_column(String(20), nullable=False, default="daily")
    next_sync_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_sync_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_sync_status: Mapped[str | None] = mapped_column(String(20))
    health_status: Mapped[str] = mapped_column(String(20), nullable=False, default="unknown")
    last_health_check_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    error_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    last_error_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Per-stream incremental state (cursor, boundary ids, pagination) saved after every page.
    sync_state: Mapped[dict[str, Any]] = mapped_column(JSONType, nullable=False, default=dict)
    # A lease, so only one sync per installation runs at a time across all workers; it
    # expires, so a worker killed mid-sync does not block the installation forever.
    sync_lease_job_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    sync_lease_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Configuration(UuidPrimaryKey, Base):
    """One version of an installation's non-secret settings; secrets live in credentials."""

    __tablename__ = "integration_configurations"
    __table_args__ = (UniqueConstraint("installation_id", "version"),)

    installation_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("integration_installations.id", ondelete="CASCADE"), nullable=False
    )
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    settings: Mapped[dict[str, Any]] = mapped_column(JSONType, nullable=False, default=dict)
    changed_fields: Mapped[list[str]] = mapped_column(JSONType, nullable=False, default=list)
    config_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    is_current: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    created_by: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)


class Credential(UuidPrimaryKey, Timestamps, Base):
    """One encrypted secret field of an installation; plaintext never touches this table."""

    __tablename__ = "integration_credentials"
    __table_args__ = (UniqueConstraint("installation_id", "field_name"),)

    installation_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("integration_installations.id", ondelete="CASCADE"), nullable=False
    )
    field_name: Mapped[str] = mapped_column(String(100), nullable=False)
    credential_type: Mapped[str] = mapped_column(String(50), nullable=False, default="secret")
    ciphertext: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
    nonce: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_rotated: Mapped[datetime | None] = mapped_column(UTCDateTime)
    rotation_frequency_days: Mapped[int | None] = mapped_column(Integer)
    auto_rotate: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)


class ActivityLog(Base):
    """What an installation did: kept after uninstall, so the link is SET NULL, not CASCADE."""

    __tablename__ = "integration_activity_logs"
    __table_args__ = (
        one_of("activity_type", ACTIVITY_TYPES),
        one_of("direction", ACTIVITY_DIRECTIONS),
        one_of("status", ACTIVITY_STATUSES),
        Index(None, "installation_id", "created_at"),
        Index(None, "organization_id", "created_at"),
        Index(None, "created_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    organization_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("organizations.id", ondelete="CASCADE"), nullable=False
    )
    installation_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("integration_installations.id", ondelete="SET NULL")
    )
    integration_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("integration_catalog.id", ondelete="CASCADE"), nullable=False
    )
    activity_type: Mapped[str] = mapped_column(String(30), nullable=False)
    direction: Mapped[str] = mapped_column(String(10), nullable=False, default="internal")
    status: Mapped[str] = mapped_column(String(10), nullable=False)
    message: Mapped[str | None] = mapped_column(Text)
    records_processed: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    records_failed: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    execution_time_ms: Mapped[int | None] = mapped_column(Integer)
    api_calls: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    bytes_transferred: Mapped[int] = mapped_column(BigId, nullable=False, default=0)
    error_code: Mapped[str | None] = mapped_column(String(100))
    error_message: Mapped[str | None] = mapped_column(Text)
    request_id: Mapped[str | None] = mapped_column(String(64))
    triggered_by: Mapped[str] = mapped_column(String(20), nullable=False, default="system")
    triggered_by_user_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("users.id", ondelete="SET NULL")
    )
    details: Mapped[dict[str, Any]] = mapped_column(JSONType, nullable=False, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
