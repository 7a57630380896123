"""Vault tables: the key ring (``vault_keys``) and per-installation data keys.

Both hold only WRAPPED keys: a KEK is sealed under a subkey of the master key, a data key
under a KEK. Reading these tables without the master key yields nothing usable.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, LargeBinary, String, Uuid, text
from sqlalchemy.orm import Mapped, mapped_column

from aria.db.base import Base, one_of
from aria.db.types import UTCDateTime, utcnow

KEY_STATUSES = ("active", "retired")


class VaultKey(Base):
    """A key-encryption key. Never deleted: an old backup may still need it to open."""

    __tablename__ = "vault_keys"
    __table_args__ = (
        one_of("status", KEY_STATUSES),
        # At most one active KEK, enforced by the database (two racing rotations cannot
        # both win): a partial unique index, supported by SQLite and PostgreSQL alike.
        Index(
            "uq_vault_keys_one_active",
            "status",
            unique=True,
            sqlite_where=text("status = 'active'"),
            postgresql_where=text("status = 'active'"),
        ),
    )

    key_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    wrapped_key: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
    nonce: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
    status: Mapped[str] = mapped_column(String(10), nullable=False, default="active")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class DataKey(Base):
    """An installation's data key, wrapped by one KEK. Deleting the row crypto-shreds."""

    __tablename__ = "vault_data_keys"

    # Explicit types: the referenced tables may not be imported in every process (the CLI),
    # and an untyped foreign-key column would then bind and read raw values.
    installation_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("integration_installations.id", ondelete="CASCADE"), primary_key=True
    )
    # RESTRICT: the database itself refuses to drop a KEK that still wraps a data key.
    kek_id: Mapped[str] = mapped_column(
        String(32),
        ForeignKey("vault_keys.key_id", ondelete="RESTRICT"),
        nullable=False,
        index=True,
    )
    wrapped_key: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
    nonce: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    rewrapped_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
