"""Inbound webhook endpoints of installations."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Integer, LargeBinary, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from aria.db.base import Base, Timestamps, UuidPrimaryKey, one_of
from aria.db.types import JSONType, UTCDateTime

VERIFICATION_METHODS = ("hmac", "signature", "ip_whitelist", "bearer_token")


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
