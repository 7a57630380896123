"""Declarative base with a naming convention, so migrations name constraints predictably."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, MetaData, Uuid
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from aria.db.types import UTCDateTime, utcnow

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Every table of every domain hangs off this metadata."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UuidPrimaryKey:
    """A random UUID id: safe to show in URLs, never guessable across organizations."""

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)


class Timestamps:
    """Created/updated stamps in UTC."""

    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=utcnow, onupdate=utcnow, nullable=False
    )


def one_of(column: str, values: tuple[str, ...], *, name: str | None = None) -> CheckConstraint:
    """A CHECK that ``column`` holds one of ``values``: enums both databases enforce."""
    quoted = ", ".join("'" + value.replace("'", "''") + "'" for value in values)
    return CheckConstraint(f"{column} IN ({quoted})", name=name or f"{column}_valid")


def between(column: str, low: float, high: float, *, nullable: bool = False) -> CheckConstraint:
    """A CHECK that ``column`` lies in [low, high] (NULL allowed when ``nullable``)."""
    condition = f"{column} >= {low} AND {column} <= {high}"
    if nullable:
        condition = f"{column} IS NULL OR ({condition})"
    return CheckConstraint(condition, name=f"{column}_range")
