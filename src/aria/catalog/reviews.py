"""Reviews, helpful votes and the rating figures on catalog rows.

Reviews are public inside the marketplace (any organization reads any integration's reviews);
only their author — the same user acting for the same organization — changes them. Every
change recomputes the figures it affects with one SQL UPDATE over aggregates, in the caller's
transaction, after locking the catalog (or review) row: concurrent writers queue on that lock,
so each recomputation sees the others' committed rows and no update is lost.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from aria.catalog import pagination
from aria.catalog.models import CatalogEntry, Review, ReviewVote
from aria.catalog.pagination import SortKey
from aria.db.types import utcnow
from aria.errors import AppError, Conflict, Forbidden, NotFound
from aria.installs.models import Installation

SORTS = ("newest", "helpful")
RATING_FIELDS = (
    "rating",
    "ease_of_use_rating",
    "documentation_rating",
    "support_rating",
    "value_rating",
)
SUB_RATINGS = {
    "ease_of_use": "ease_of_use_rating",
    "documentation": "documentation_rating",
    "support": "support_rating",
    "value": "value_rating",
}
TEXT_LIMITS = {"title": 200, "review_text": 10_000, "pros": 5_000, "cons": 5_000}
VENDOR_RESPONSE_LIMIT = 10_000
EDITABLE = frozenset({*RATING_FIELDS, *TEXT_LIMITS, "would_recommend"})
REQUIRED = frozenset({"rating", "title"})
MAX_LIMIT = 100


class InvalidReview(AppError):
    status_code = 422
    code = "validation_error"


@dataclass(frozen=True)
class ReviewView:
    """A review as one caller sees it: is it theirs, and how did they vote on it."""

    review: Review
    is_own: bool
    my_vote: bool | None


@dataclass(frozen=True)
class ReviewPage:
    items: list[ReviewView]
    next_cursor: str | None


@dataclass(frozen=True)
class RatingSummary:
    breakdown: dict[int, int]
    sub_ratings: dict[str, float | None]
    would_recommend_percent: float | None


def _validate(values: dict[str, Any]) -> None:
    """The same rules the API schema states, for callers that are not the API."""
    problems = []
    for name in RATING_FIELDS:
        value = values.get(name)
        if value is None:
            continue
        if type(value) is not int or not 1 <= value <= 5:
            problems.append({"field": name, "message": "must be a whole number from 1 to 5"})
    for name, limit in TEXT_LIMITS.items():
        value = values.get(name)
        if value is not None and (
            not isinstance(value, str) or len(value) > limit or "\x00" in value
        ):
            problems.append(
                {"field": name, "message": f"must be text of at most {limit} chars, no NUL"}
            )
    title = values.get("title")
    if "title" in values and (not isinstance(title, str) or not title.strip()):
        problems.append({"field": "title", "message": "must not be empty"})
    for name in REQUIRED & values.keys():
        if values[name] is None:
            problems.append({"field": name, "message": "must not be null"})
    if problems:
        raise InvalidReview("review is invalid", details=problems)


def _lock_entry(session: Session, entry: CatalogEntry) -> None:
    session.execute(
        select(CatalogEntry.id).where(CatalogEntry.id == entry.id).with_for_update()
    ).one()


def refresh_aggregates(session: Session, *, entry: CatalogEntry) -> None:
    """Recompute ``avg_rating`` and ``total_reviews`` from the reviews, in SQL.

    ``updated_at`` is left alone: "recently updated" means the listing changed, not a review.
    """
    of_entry = Review.integration_id == entry.id
    average = select(func.round(func.avg(Review.rating), 2)).where(of_entry).scalar_subquery()
    total = select(func.count()).select_from(Review).where(of_entry).scalar_subquery()
    session.execute(
        update(CatalogEntry)
        .where(CatalogEntry.id == entry.id)
        .values(
            avg_rating=func.coalesce(average, 0),
            total_reviews=total,
            updated_at=CatalogEntry.updated_at,
        )
        .execution_options(synchronize_session=False)
    )
    session.refresh(entry, ["avg_rating", "total_reviews", "updated_at"])


def _refresh_votes(session: Session, review: Review) -> None:
    def tally(helpful: bool) -> Any:
        return (
            select(func.count())
            .select_from(ReviewVote)
            .where(ReviewVote.review_id == review.id, ReviewVote.helpful.is_(helpful))
            .scalar_subquery()
        )

    session.execute(
        update(Review)
        .where(Review.id == review.id)
        .values(
            helpful_count=tally(True),
            not_helpful_count=tally(False),
            updated_at=Review.updated_at,
        )
        .execution_options(synchronize_session=False)
    )
    session.refresh(review, ["helpful_count", "not_helpful_count", "updated_at"])


def _verified(session: Session, *, entry: CatalogEntry, organization_id: uuid.UUID) -> bool:
    found = session.scalar(
        select(Installation.id).where(
            Installation.organization_id == organization_id,
            Installation.integration_id == entry.id,
        )
    )
    return found is not None


def get_or_raise(
    session: Session, *, entry: CatalogEntry, review_id: uuid.UUID, lock: bool = False
) -> Review:
    """The review, or 404 — also when it exists but belongs to another integration."""
    query = select(Review).where(Review.id == review_id, Review.integration_id == entry.id)
    review = session.scalar(query.with_for_update() if lock else query)
    if review is None:
        raise NotFound("review not found")
    return review


def _own_or_raise(review: Review, *, user_id: uuid.UUID, organization_id: uuid.UUID) -> None:
    """403, not 404: the review is public, so hiding that it exists would protect nothing."""
    if review.user_id != user_id or review.organization_id != organization_id:
        raise Forbidden("only the author of a review may change it")


def view(
    session: Session, *, review: Review, user_id: uuid.UUID, organization_id: uuid.UUID
) -> ReviewView:
    my_vote = session.scalar(
        select(ReviewVote.helpful).where(
            ReviewVote.review_id == review.id, ReviewVote.user_id == user_id
        )
    )
    return ReviewView(
        review=review,
        is_own=review.user_id == user_id and review.organization_id == organization_id,
        my_vote=my_vote,
    )


def create(
    session: Session,
    *,
    entry: CatalogEntry,
    user_id: uuid.UUID,
    organization_id: uuid.UUID,
    **values: Any,
) -> Review:
    """Write the one review a (user, organization) may leave on ``entry``; 409 for a second.

    ``is_verified_purchase`` is true when the organization has the integration installed.
    """
    unknown = values.keys() - EDITABLE
    if unknown:
        raise InvalidReview(f"unknown review fields: {sorted(unknown)}")
    _validate({"title": values.get("title"), "rating": values.get("rating"), **values})
    _lock_entry(session, entry)
    existing = session.scalar(
        select(Review.id).where(
            Review.integration_id == entry.id,
            Review.user_id == user_id,
            Review.organization_id == organization_id,
        )
    )
    if existing is not None:
        raise Conflict(
            "you have already reviewed this integration; edit your review instead",
            details={"review_id": str(existing)},
        )
    values["title"] = values["title"].strip()
    review = Review(
        integration_id=entry.id,
        user_id=user_id,
        organization_id=organization_id,
        is_verified_purchase=_verified(session, entry=entry, organization_id=organization_id),
        **values,
    )
    session.add(review)
    try:
        session.flush()
    except IntegrityError:  # a concurrent twin won the race; the transaction is spent
        session.rollback()
        raise Conflict("you have already reviewed this integration") from None
    refresh_aggregates(session, entry=entry)
    return review


def update_(
    session: Session,
    *,
    entry: CatalogEntry,
    review_id: uuid.UUID,
    user_id: uuid.UUID,
    organization_id: uuid.UUID,
    changes: dict[str, Any],
) -> Review:
    """Change the author's review; aggregates follow when the rating changed."""
    unknown = changes.keys() - EDITABLE
    if unknown:
        raise InvalidReview(f"unknown review fields: {sorted(unknown)}")
    if not changes:
        raise InvalidReview("nothing to change")
    _validate(changes)
    _lock_entry(session, entry)
    review = get_or_raise(session, entry=entry, review_id=review_id, lock=True)
    _own_or_raise(review, user_id=user_id, organization_id=organization_id)
    if "title" in changes:
        changes["title"] = changes["title"].strip()
    for name, value in changes.items():
        setattr(review, name, value)
    review.is_verified_purchase = _verified(session, entry=entry, organization_id=organization_id)
    session.flush()
    if "rating" in changes:
        refresh_aggregates(session, entry=entry)
    return review


def delete(
    session: Session,
    *,
    entry: CatalogEntry,
    review_id: uuid.UUID,
    user_id: uuid.UUID,
    organization_id: uuid.UUID,
) -> None:
    """Remove the author's review (its votes go with it) and recompute the aggregates."""
    _lock_entry(session, entry)
    review = get_or_raise(session, entry=entry, review_id=review_id, lock=True)
    _own_or_raise(review, user_id=user_id, organization_id=organization_id)
    session.delete(review)
    session.flush()
    refresh_aggregates(session, entry=entry)


def vote(
    session: Session,
    *,
    entry: CatalogEntry,
    review_id: uuid.UUID,
    user_id: uuid.UUID,
    organization_id: uuid.UUID,
    helpful: bool,
) -> Review:
    """Record the user's one vote (a second call changes it); counts are recounted in SQL."""
    review = get_or_raise(session, entry=entry, review_id=review_id, lock=True)
    if review.user_id == user_id:
        raise Forbidden("you cannot vote on your own review")
    existing = session.scalar(
        select(ReviewVote).where(ReviewVote.review_id == review.id, ReviewVote.user_id == user_id)
    )
    if existing is None:
        session.add(
            ReviewVote(
                review_id=review.id,
                user_id=user_id,
                organization_id=organization_id,
                helpful=helpful,
            )
        )
    elif existing.helpful != helpful:
        existing.helpful = helpful
    try:
        session.flush()
    except IntegrityError:  # a concurrent twin vote won the race; the transaction is spent
        session.rollback()
        raise Conflict("your vote was already recorded; send it again to change it") from None
    _refresh_votes(session, review)
    return review


def unvote(
    session: Session, *, entry: CatalogEntry, review_id: uuid.UUID, user_id: uuid.UUID
) -> Review:
    """Withdraw the user's vote (a no-op when there is none)."""
    review = get_or_raise(session, entry=entry, review_id=review_id, lock=True)
    existing = session.scalar(
        select(ReviewVote).where(ReviewVote.review_id == review.id, ReviewVote.user_id == user_id)
    )
    if existing is not None:
        session.delete(existing)
        session.flush()
        _refresh_votes(session, review)
    return review


def respond_as_vendor(
    session: Session, *, entry: CatalogEntry, review_id: uuid.UUID, response: str | None
) -> Review:
    """Set (or clear, with None) the vendor's public answer to a review.

    Service-level only, deliberately: the platform has no notion of "this user speaks for the
    vendor" yet, and a tenant's owner or admin is not the vendor. An operator tool (or a future
    vendor-account feature) calls this; no API route exposes it.
    """
    if response is not None and (
        not response.strip() or len(response) > VENDOR_RESPONSE_LIMIT or "\x00" in response
    ):
        raise InvalidReview(
            f"vendor response must be non-empty text of at most {VENDOR_RESPONSE_LIMIT} chars"
        )
    review = get_or_raise(session, entry=entry, review_id=review_id, lock=True)
    review.vendor_response = response.strip() if response is not None else None
    review.vendor_response_at = utcnow() if response is not None else None
    session.flush()
    return review


def list_(
    session: Session,
    *,
    entry: CatalogEntry,
    user_id: uuid.UUID,
    organization_id: uuid.UUID,
    sort: str = "newest",
    rating: int | None = None,
    limit: int = 20,
    cursor: str | None = None,
) -> ReviewPage:
    """One page of ``entry``'s reviews, newest first or most helpful first."""
    sort = sort if sort in SORTS else "newest"
    limit = max(1, min(limit, MAX_LIMIT))
    keys = [
        SortKey(Review.created_at, True, "datetime"),
        SortKey(Review.id, True, "uuid"),
    ]
    if sort == "helpful":
        keys.insert(0, SortKey(Review.helpful_count, True, "int"))
    scope = pagination.fingerprint("reviews", str(entry.id), sort, rating)
    query = (
        select(Review, ReviewVote.helpful)
        .outerjoin(
            ReviewVote, and_(ReviewVote.review_id == Review.id, ReviewVote.user_id == user_id)
        )
        .where(Review.integration_id == entry.id)
    )
    if rating is not None:
        query = query.where(Review.rating == rating)
    if cursor:
        query = query.where(pagination.after(keys, pagination.decode(cursor, scope, keys)))
    rows = session.execute(query.order_by(*(k.ordering() for k in keys)).limit(limit + 1)).all()
    more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = None
    if more and rows:
        last: Review = rows[-1].Review
        values: list[Any] = [last.created_at, last.id]
        if sort == "helpful":
            values.insert(0, last.helpful_count)
        next_cursor = pagination.encode(scope, keys, values)
    items = [
        ReviewView(
            review=row.Review,
            is_own=row.Review.user_id == user_id and row.Review.organization_id == organization_id,
            my_vote=row.helpful,
        )
        for row in rows
    ]
    return ReviewPage(items=items, next_cursor=next_cursor)


def summary(session: Session, *, entry: CatalogEntry) -> RatingSummary:
    """Counts per star (1..5, zeros included), sub-rating averages and would-recommend %."""
    breakdown = dict.fromkeys(range(1, 6), 0)
    for stars, n in session.execute(
        select(Review.rating, func.count())
        .where(Review.integration_id == entry.id)
        .group_by(Review.rating)
    ):
        breakdown[stars] = n
    columns: list[ColumnElement[Any]] = [
        func.avg(getattr(Review, column)) for column in SUB_RATINGS.values()
    ]
    recommend = func.avg(case((Review.would_recommend.is_(True), 100.0), else_=0.0))
    answered = func.count(Review.would_recommend)
    row = session.execute(
        select(*columns, recommend.filter(Review.would_recommend.is_not(None)), answered).where(
            Review.integration_id == entry.id
        )
    ).one()
    sub = {
        name: round(float(value), 2) if value is not None else None
        for name, value in zip(SUB_RATINGS, row[: len(SUB_RATINGS)], strict=True)
    }
    percent = row[len(SUB_RATINGS)]
    return RatingSummary(
        breakdown=breakdown,
        sub_ratings=sub,
        would_recommend_percent=round(float(percent), 1) if row[-1] else None,
    )
