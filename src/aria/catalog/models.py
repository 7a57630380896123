"""The integration catalog, featured collections and reviews."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    Boolean,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.orm import Mapped, mapped_column

from aria.db.base import Base, Timestamps, UuidPrimaryKey, between, one_of
from aria.db.types import JSONType, UTCDateTime
from aria.sdk.metadata import CATEGORIES, COMPLEXITIES, LISTING_STATUSES, PRICING_MODELS


class CatalogEntry(UuidPrimaryKey, Timestamps, Base):
    """One integration as the marketplace shows it; rows are never deleted, only deprecated."""

    __tablename__ = "integration_catalog"
    __table_args__ = (
        one_of("category", CATEGORIES),
        one_of("pricing_model", PRICING_MODELS),
        one_of("status", LISTING_STATUSES),
        one_of("installation_complexity", COMPLEXITIES),
        between("avg_rating", 0, 5),
        Index(None, "category", "status"),
        Index(None, "avg_rating"),
        Index(None, "total_installs"),
    )

    key: Mapped[str] = mapped_column(String(100), nullable=False, unique=True)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    vendor: Mapped[str] = mapped_column(String(200), nullable=False)
    product: Mapped[str | None] = mapped_column(String(200))
    category: Mapped[str] = mapped_column(String(32), nullable=False)
    description: Mapped[str] = mapped_column(Text, nullable=False, default="")
    features: Mapped[list[str]] = mapped_column(JSONType, nullable=False, default=list)
    what_you_get: Mapped[list[str]] = mapped_column(JSONType, nullable=False, default=list)
    config_requirements: Mapped[list[dict[str, Any]]] = mapped_column(
        JSONType, nullable=False, default=list
    )
    documentation_url: Mapped[str | None] = mapped_column(String(500))
    support_url: Mapped[str | None] = mapped_column(String(500))
    version: Mapped[str] = mapped_column(String(50), nullable=False)
    pricing_model: Mapped[str] = mapped_column(String(20), nullable=False, default="free")
    status: Mapped[str] = mapped_column(String(20), nullable=False, default="official")
    min_platform_version: Mapped[str | None] = mapped_column(String(50))
    capabilities: Mapped[list[str]] = mapped_column(JSONType, nullable=False, default=list)
    data_types: Mapped[list[str]] = mapped_column(JSONType, nullable=False, default=list)
    auth_methods: Mapped[list[str]] = mapped_column(JSONType, nullable=False, default=list)
    config_schema: Mapped[dict[str, Any]] = mapped_column(JSONType, nullable=False, default=dict)
    webhook_support: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    rate_limits: Mapped[dict[str, Any]] = mapped_column(JSONType, nullable=False, default=dict)
    installation_complexity: Mapped[str] = mapped_column(String(20), nullable=False, default="easy")
    logo_svg: Mapped[str | None] = mapped_column(Text)
    price_per_call: Mapped[Decimal] = mapped_column(
        Numeric(12, 6), nullable=False, default=Decimal("0")
    )
    avg_rating: Mapped[Decimal] = mapped_column(Numeric(3, 2), nullable=False, default=Decimal(0))
    total_reviews: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    total_installs: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    is_featured: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    deprecated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Collection(UuidPrimaryKey, Timestamps, Base):
    """A curated, ordered group of integrations such as "EDR Suite"."""

    __tablename__ = "integration_collections"

    slug: Mapped[str] = mapped_column(String(100), nullable=False, unique=True)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    description: Mapped[str] = mapped_column(Text, nullable=False, default="")
    display_order: Mapped[int] = mapped_column(Integer, nullable=False, default=0, index=True)
    is_featured: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)


class CollectionItem(UuidPrimaryKey, Base):
    """An integration's place in a collection."""

    __tablename__ = "integration_collection_items"
    __table_args__ = (UniqueConstraint("collection_id", "integration_id"),)

    collection_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("integration_collections.id", ondelete="CASCADE"), nullable=False
    )
    integration_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("integration_catalog.id", ondelete="CASCADE"), nullable=False, index=True
    )
    display_order: Mapped[int] = mapped_column(Integer, nullable=False, default=0)


class Review(UuidPrimaryKey, Timestamps, Base):
    """One user's review of an integration on behalf of their organization."""

    __tablename__ = "integration_reviews"
    __table_args__ = (
        UniqueConstraint("integration_id", "user_id", "organization_id"),
        between("rating", 1, 5),
        between("ease_of_use_rating", 1, 5, nullable=True),
        between("documentation_rating", 1, 5, nullable=True),
        between("support_rating", 1, 5, nullable=True),
        between("value_rating", 1, 5, nullable=True),
        Index(None, "integration_id", "created_at"),
        Index(None, "integration_id", "helpful_count"),
    )

    integration_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("integration_catalog.id", ondelete="CASCADE"), nullable=False
    )
    organization_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("organizations.id", ondelete="CASCADE"), nullable=False, index=True
    )
    user_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True
    )
    rating: Mapped[int] = mapped_column(Integer, nullable=False)
    ease_of_use_rating: Mapped[int | None] = mapped_column(Integer)
    documentation_rating: Mapped[int | None] = mapped_column(Integer)
    support_rating: Mapped[int | None] = mapped_column(Integer)
    value_rating: Mapped[int | None] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    review_text: Mapped[str] = mapped_column(Text, nullable=False, default="")
    pros: Mapped[str | None] = mapped_column(Text)
    cons: Mapped[str | None] = mapped_column(Text)
    would_recommend: Mapped[bool | None] = mapped_column(Boolean)
    is_verified_purchase: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    helpful_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    not_helpful_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    vendor_response: Mapped[str | None] = mapped_column(Text)
    vendor_response_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ReviewVote(UuidPrimaryKey, Timestamps, Base):
    """One user's helpful / not-helpful vote on a review; the counts on the review follow it."""

    __tablename__ = "integration_review_votes"
    __table_args__ = (UniqueConstraint("review_id", "user_id"),)

    review_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("integration_reviews.id", ondelete="CASCADE"), nullable=False
    )
    user_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True
    )
    organization_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("organizations.id", ondelete="CASCADE"), nullable=False, index=True
    )
    helpful: Mapped[bool] = mapped_column(Boolean, nullable=False)
