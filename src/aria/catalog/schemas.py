"""API shapes for the catalog, collections and reviews.

Reviews never name their author (user or organization): they are read across tenants, so a
reader learns only whether a review is their own (``is_own``) and how they voted on it.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

Sort = Literal["relevance", "rating", "installs", "name", "updated"]
ReviewSort = Literal["newest", "helpful"]
Stars = Annotated[int, Field(ge=1, le=5, strict=True)]
# No NUL characters: PostgreSQL text cannot store them (422 rather than a database error).
NO_NUL = r"^[^\x00]*$"
Title = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200, pattern=NO_NUL)
]
ReviewText = Annotated[str, Field(max_length=10_000, pattern=NO_NUL)]
ProsCons = Annotated[str, Field(max_length=5_000, pattern=NO_NUL)]


class CatalogItem(BaseModel):
    """A listing as browse and search show it."""

    key: str
    name: str
    vendor: str
    product: str | None
    category: str
    description: str
    avg_rating: float
    total_reviews: int
    total_installs: int
    logo_svg: str | None
    installed: bool = Field(description="Installed in the caller's organization.")
    capabilities: list[str]
    data_types: list[str]
    auth_methods: list[str]
    pricing_model: str
    status: str
    version: str
    is_featured: bool
    updated_at: datetime


class CatalogPage(BaseModel):
    items: list[CatalogItem]
    next_cursor: str | None
    sort: Sort
    category_counts: dict[str, int] = Field(
        description="Matches per category under every other filter (all categories listed)."
    )


class CatalogDetail(CatalogItem):
    """Everything the detail page and the install wizard need about one listing."""

    features: list[str]
    what_you_get: list[str]
    config_requirements: list[dict[str, Any]]
    config_schema: dict[str, Any]
    documentation_url: str | None
    support_url: str | None
    min_platform_version: str | None
    webhook_support: bool
    rate_limits: dict[str, Any]
    installation_complexity: str
    price_per_call: float
    deprecated_at: datetime | None
    created_at: datetime
    installation_id: uuid.UUID | None = Field(
        description="The caller's organization's installation, if any."
    )
    rating_breakdown: dict[str, int] = Field(description="Reviews per star, keys '1'..'5'.")
    sub_ratings: dict[str, float | None]
    would_recommend_percent: float | None


class CollectionRead(BaseModel):
    slug: str
    name: str
    description: str
    display_order: int
    items: list[CatalogItem]


class ReviewCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    rating: Stars
    title: Title
    review_text: ReviewText = ""
    pros: ProsCons | None = None
    cons: ProsCons | None = None
    would_recommend: bool | None = None
    ease_of_use_rating: Stars | None = None
    documentation_rating: Stars | None = None
    support_rating: Stars | None = None
    value_rating: Stars | None = None


class ReviewUpdate(BaseModel):
    """Only the fields sent change; ``rating`` and ``title`` cannot be cleared."""

    model_config = ConfigDict(extra="forbid")

    rating: Stars | None = None
    title: Title | None = None
    review_text: ReviewText | None = None
    pros: ProsCons | None = None
    cons: ProsCons | None = None
    would_recommend: bool | None = None
    ease_of_use_rating: Stars | None = None
    documentation_rating: Stars | None = None
    support_rating: Stars | None = None
    value_rating: Stars | None = None


class VoteCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    helpful: bool = Field(strict=True)


class ReviewRead(BaseModel):
    id: uuid.UUID
    integration_key: str
    rating: int
    ease_of_use_rating: int | None
    documentation_rating: int | None
    support_rating: int | None
    value_rating: int | None
    title: str
    review_text: str
    pros: str | None
    cons: str | None
    would_recommend: bool | None
    is_verified_purchase: bool
    helpful_count: int
    not_helpful_count: int
    vendor_response: str | None
    vendor_response_at: datetime | None
    is_own: bool
    my_vote: bool | None = Field(description="The caller's vote: helpful, not helpful or none.")
    created_at: datetime
    updated_at: datetime


class ReviewPage(BaseModel):
    items: list[ReviewRead]
    next_cursor: str | None
