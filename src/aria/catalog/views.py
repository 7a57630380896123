"""`/api/v1/catalog`, `/api/v1/collections`: browse, search, detail and reviews.

Reads need `browse`; writing a review or voting needs `review`. Reviews are readable by every
organization; changing one is for its author only (403 for anyone else: the review is public,
so a 404 would hide nothing). The vendor response has no route on purpose (see
`reviews.respond_as_vendor`).
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Response, status

from aria.accounts.deps import DbSession, require
from aria.accounts.permissions import Permission
from aria.accounts.principal import Principal
from aria.catalog import reviews, search, service
from aria.catalog.models import CatalogEntry
from aria.catalog.schemas import (
    CatalogDetail,
    CatalogItem,
    CatalogPage,
    CollectionRead,
    ReviewCreate,
    ReviewPage,
    ReviewRead,
    ReviewSort,
    ReviewUpdate,
    Sort,
    VoteCreate,
)
from aria.errors import NotFound
from aria.sdk.metadata import SLUG, Capability, Category, PricingModel, Status

router = APIRouter(tags=["catalog"])

Browse = Annotated[Principal, Depends(require(Permission.browse))]
Reviewer = Annotated[Principal, Depends(require(Permission.review))]
Key = Annotated[str, Path(min_length=1, max_length=100)]
DataType = Annotated[str | None, Query(max_length=50, pattern=r"^[a-z][a-z0-9_]*$")]
AuthMethod = Annotated[str | None, Query(max_length=50, pattern=r"^[A-Za-z0-9_.:-]+$")]
Limit = Annotated[int, Query(ge=1, le=search.MAX_LIMIT)]
Cursor = Annotated[str | None, Query(max_length=1000)]


def _entry(session: DbSession, key: str) -> CatalogEntry:
    """The listing, or 404 — also for keys no listing could have (never a database error)."""
    if not SLUG.match(key):
        raise NotFound(f"no integration {key!r} in the catalog")
    return service.get_by_key_or_raise(session, key=key)


def _item(hit: search.CatalogHit) -> CatalogItem:
    entry = hit.entry
    return CatalogItem(
        key=entry.key,
        name=entry.name,
        vendor=entry.vendor,
        product=entry.product,
        category=entry.category,
        description=entry.description,
        avg_rating=float(entry.avg_rating),
        total_reviews=entry.total_reviews,
        total_installs=entry.total_installs,
        logo_svg=entry.logo_svg,
        installed=hit.installed,
        capabilities=entry.capabilities,
        data_types=entry.data_types,
        auth_methods=entry.auth_methods,
        pricing_model=entry.pricing_model,
        status=entry.status,
        version=entry.version,
        is_featured=entry.is_featured,
        updated_at=entry.updated_at,
    )


def _review(view: reviews.ReviewView, entry: CatalogEntry) -> ReviewRead:
    review = view.review
    return ReviewRead(
        id=review.id,
        integration_key=entry.key,
        rating=review.rating,
        ease_of_use_rating=review.ease_of_use_rating,
        documentation_rating=review.documentation_rating,
        support_rating=review.support_rating,
        value_rating=review.value_rating,
        title=review.title,
        review_text=review.review_text,
        pros=review.pros,
        cons=review.cons,
        would_recommend=review.would_recommend,
        is_verified_purchase=review.is_verified_purchase,
        helpful_count=review.helpful_count,
        not_helpful_count=review.not_helpful_count,
        vendor_response=review.vendor_response,
        vendor_response_at=review.vendor_response_at,
        is_own=view.is_own,
        my_vote=view.my_vote,
        created_at=review.created_at,
        updated_at=review.updated_at,
    )


def _review_read(
    session: DbSession, principal: Principal, entry: CatalogEntry, review: reviews.Review
) -> ReviewRead:
    shown = reviews.view(
        session,
        review=review,
        user_id=principal.user_id,
        organization_id=principal.organization_id,
    )
    return _review(shown, entry)


@router.get("/catalog", response_model=CatalogPage)
def browse_catalog(
    session: DbSession,
    principal: Browse,
    q: Annotated[str | None, Query(max_length=200, description="Words; each is a prefix.")] = None,
    category: Category | None = None,
    capability: Capability | None = None,
    data_type: DataType = None,
    auth_method: AuthMethod = None,
    pricing_model: PricingModel | None = None,
    listing_status: Annotated[
        Status | None, Query(alias="status", description="Deprecated is hidden unless asked.")
    ] = None,
    installed: Annotated[
        bool | None, Query(description="Only listings your organization has (not) installed.")
    ] = None,
    sort: Annotated[Sort | None, Query(description="Default: relevance with q, else name.")] = None,
    limit: Limit = search.DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> CatalogPage:
    """Search and browse the catalog, with per-category counts for the current filters."""
    page = search.search(
        session,
        organization_id=principal.organization_id,
        q=q,
        category=category,
        capability=capability,
        data_type=data_type,
        auth_method=auth_method,
        pricing_model=pricing_model,
        status=listing_status,
        installed=installed,
        sort=sort,
        limit=limit,
        cursor=cursor,
    )
    return CatalogPage(
        items=[_item(hit) for hit in page.items],
        next_cursor=page.next_cursor,
        sort=page.sort,  # type: ignore[arg-type]
        category_counts=page.category_counts,
    )


@router.get("/catalog/{key}", response_model=CatalogDetail)
def catalog_detail(key: Key, session: DbSession, principal: Browse) -> CatalogDetail:
    """One listing in full, with its rating breakdown and the caller's install state."""
    entry = _entry(session, key)
    installation_id = search.installed_for(
        session, organization_id=principal.organization_id, entry=entry
    )
    summary = reviews.summary(session, entry=entry)
    base = _item(search.CatalogHit(entry, installation_id is not None))
    return CatalogDetail(
        **base.model_dump(),
        features=entry.features,
        what_you_get=entry.what_you_get,
        config_requirements=entry.config_requirements,
        config_schema=entry.config_schema,
        documentation_url=entry.documentation_url,
        support_url=entry.support_url,
        min_platform_version=entry.min_platform_version,
        webhook_support=entry.webhook_support,
        rate_limits=entry.rate_limits,
        installation_complexity=entry.installation_complexity,
        price_per_call=float(entry.price_per_call),
        deprecated_at=entry.deprecated_at,
        created_at=entry.created_at,
        installation_id=installation_id,
        rating_breakdown={str(stars): n for stars, n in summary.breakdown.items()},
        sub_ratings=summary.sub_ratings,
        would_recommend_percent=summary.would_recommend_percent,
    )


@router.get("/collections", response_model=list[CollectionRead])
def featured_collections(session: DbSession, principal: Browse) -> list[CollectionRead]:
    """Featured collections in display order, each with its integrations in order."""
    return [
        CollectionRead(
            slug=found.collection.slug,
            name=found.collection.name,
            description=found.collection.description,
            display_order=found.collection.display_order,
            items=[_item(hit) for hit in found.items],
        )
        for found in search.featured_collections(session, organization_id=principal.organization_id)
    ]


@router.get("/catalog/{key}/reviews", response_model=ReviewPage)
def list_reviews(
    key: Key,
    session: DbSession,
    principal: Browse,
    sort: ReviewSort = "newest",
    rating: Annotated[int | None, Query(ge=1, le=5)] = None,
    limit: Limit = 20,
    cursor: Cursor = None,
) -> ReviewPage:
    """Every organization's reviews of this integration, newest or most helpful first."""
    entry = _entry(session, key)
    page = reviews.list_(
        session,
        entry=entry,
        user_id=principal.user_id,
        organization_id=principal.organization_id,
        sort=sort,
        rating=rating,
        limit=limit,
        cursor=cursor,
    )
    return ReviewPage(
        items=[_review(view, entry) for view in page.items], next_cursor=page.next_cursor
    )


@router.post("/catalog/{key}/reviews", response_model=ReviewRead, status_code=201)
def create_review(
    key: Key, body: ReviewCreate, session: DbSession, principal: Reviewer
) -> ReviewRead:
    """Review an integration for your organization: one per user and organization (409)."""
    entry = _entry(session, key)
    review = reviews.create(
        session,
        entry=entry,
        user_id=principal.user_id,
        organization_id=principal.organization_id,
        **body.model_dump(),
    )
    return _review_read(session, principal, entry, review)


@router.get("/catalog/{key}/reviews/{review_id}", response_model=ReviewRead)
def get_review(key: Key, review_id: uuid.UUID, session: DbSession, principal: Browse) -> ReviewRead:
    entry = _entry(session, key)
    review = reviews.get_or_raise(session, entry=entry, review_id=review_id)
    return _review_read(session, principal, entry, review)


@router.patch("/catalog/{key}/reviews/{review_id}", response_model=ReviewRead)
def update_review(
    key: Key, review_id: uuid.UUID, body: ReviewUpdate, session: DbSession, principal: Reviewer
) -> ReviewRead:
    """Edit your own review (403 for anyone else's); only the fields sent change."""
    entry = _entry(session, key)
    review = reviews.update_(
        session,
        entry=entry,
        review_id=review_id,
        user_id=principal.user_id,
        organization_id=principal.organization_id,
        changes=body.model_dump(exclude_unset=True),
    )
    return _review_read(session, principal, entry, review)


@router.delete("/catalog/{key}/reviews/{review_id}", status_code=204)
def delete_review(
    key: Key, review_id: uuid.UUID, session: DbSession, principal: Reviewer
) -> Response:
    """Delete your own review (403 for anyone else's)."""
    entry = _entry(session, key)
    reviews.delete(
        session,
        entry=entry,
        review_id=review_id,
        user_id=principal.user_id,
        organization_id=principal.organization_id,
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/catalog/{key}/reviews/{review_id}/votes", response_model=ReviewRead)
def vote_on_review(
    key: Key, review_id: uuid.UUID, body: VoteCreate, session: DbSession, principal: Reviewer
) -> ReviewRead:
    """Mark a review helpful or not: one vote per user; sending again changes it."""
    entry = _entry(session, key)
    review = reviews.vote(
        session,
        entry=entry,
        review_id=review_id,
        user_id=principal.user_id,
        organization_id=principal.organization_id,
        helpful=body.helpful,
    )
    return _review_read(session, principal, entry, review)


@router.delete("/catalog/{key}/reviews/{review_id}/votes", response_model=ReviewRead)
def withdraw_vote(
    key: Key, review_id: uuid.UUID, session: DbSession, principal: Reviewer
) -> ReviewRead:
    """Withdraw your vote on a review."""
    entry = _entry(session, key)
    review = reviews.unvote(session, entry=entry, review_id=review_id, user_id=principal.user_id)
    return _review_read(session, principal, entry, review)
