"""Per-installation declarative data mappings (field maps, transforms, filters)."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from aria.db.base import Base, Timestamps, UuidPrimaryKey
from aria.db.types import JSONType


class DataMapping(UuidPrimaryKey, Timestamps, Base):
    """Rules applied after the integration's normalizer for one source type."""

    __tablename__ = "integration_data_mappings"
    __table_args__ = (
        UniqueConstraint("installation_id", "source_type", "name"),
        Index(None, "installation_id", "source_type", "priority"),
    )

    installation_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("integration_installations.id", ondelete="CASCADE"), nullable=False
    )
    source_type: Mapped[str] = mapped_column(String(50), nullable=False)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    field_mappings: Mapped[list[dict[str, Any]]] = mapped_column(
        JSONType, nullable=False, default=list
    )
    transformations: Mapped[list[dict[str, Any]]] = mapped_column(
        JSONType, nullable=False, default=list
    )
    filter_rules: Mapped[dict[str, Any]] = mapped_column(JSONType, nullable=False, default=dict)
    priority: Mapped[int] = mapped_column(Integer, nullable=False, default=100)
    is_active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
