"""Marketplace pages: browse and search (`/integrations`), detail, reviews."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response

from aria.accounts.permissions import Permission
from aria.catalog import reviews, search
from aria.catalog import service as catalog
from aria.sdk import FatalError
from aria.sdk.metadata import CATEGORIES
from aria.web.context import CurrentPage, Form, Page, PageRoute, form_str, redirect

router = APIRouter(route_class=PageRoute, include_in_schema=False)

PAGE_SIZE = 24
REVIEW_TEXT = ("title", "review_text", "pros", "cons")


def _results(page: Page, q: str, category: str, cursor: str | None) -> search.SearchPage:
    return search.search(
        page.session,
        organization_id=page.organization_id,
        q=q or None,
        category=category or None,
        limit=PAGE_SIZE,
        cursor=cursor,
    )


def _clean_category(category: str | None) -> str:
    return category if category in CATEGORIES else ""


@router.get("/integrations")
def marketplace_home(
    page: CurrentPage,
    q: str = "",
    category: str = "",
    cursor: str | None = None,
) -> HTMLResponse:
    """Search, featured collections, top rated and categories with counts."""
    q = q.strip()[:200]
    category = _clean_category(category)
    results = _results(page, q, category, cursor)
    browsing = not q and not category and not cursor
    return page.render(
        "marketplace/home.html",
        q=q,
        category=category,
        results=results,
        collections=(
            search.featured_collections(page.session, organization_id=page.organization_id)
            if browsing
            else []
        ),
        top_rated=(
            search.top_rated(page.session, organization_id=page.organization_id, limit=5)
            if browsing
            else []
        ),
        total=catalog.count(page.session),
        categories=CATEGORIES,
    )


@router.get("/integrations/results")
def marketplace_results(
    page: CurrentPage, q: str = "", category: str = "", cursor: str | None = None
) -> HTMLResponse:
    """Just the result grid: what search-as-you-type swaps in."""
    q = q.strip()[:200]
    category = _clean_category(category)
    return page.render(
        "marketplace/_results.html",
        q=q,
        category=category,
        results=_results(page, q, category, cursor),
        categories=CATEGORIES,
    )


def _has_sandbox(page: Page, key: str) -> bool:
    try:
        return page.runtime.registry.get(key).sandbox is not None
    except FatalError:
        return False


def _detail(
    page: Page,
    key: str,
    *,
    review_errors: dict[str, str] | None = None,
    review_values: dict[str, Any] | None = None,
    review_sort: str = "newest",
    status_code: int = 200,
) -> HTMLResponse:
    entry = catalog.get_by_key_or_raise(page.session, key=key)
    installation_id = search.installed_for(
        page.session, organization_id=page.organization_id, entry=entry
    )
    listing = reviews.list_(
        page.session,
        entry=entry,
        user_id=page.principal.user_id,
        organization_id=page.organization_id,
        sort=review_sort,
        limit=20,
    )
    own = next((v for v in listing.items if v.is_own), None)
    return page.render(
        "marketplace/detail.html",
        status_code=status_code,
        entry=entry,
        installation_id=installation_id,
        summary=reviews.summary(page.session, entry=entry),
        reviews=listing.items,
        review_sort=review_sort,
        own_review=own,
        has_sandbox=_has_sandbox(page, entry.key),
        review_errors=review_errors or {},
        review_values=review_values or {},
    )


@router.get("/integrations/{key}")
def integration_detail(page: CurrentPage, key: str, review_sort: str = "newest") -> HTMLResponse:
    """Everything about one listing, its reviews, and the install buttons the role allows."""
    return _detail(page, key, review_sort=review_sort if review_sort in reviews.SORTS else "newest")


def _review_values(form: Any) -> tuple[dict[str, Any], dict[str, str]]:
    values: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for name in reviews.RATING_FIELDS:
        text = form_str(form, name)
        if not text:
            if name == "rating":
                errors[name] = "Choose a rating from 1 to 5."
            continue
        if not text.isdigit() or not 1 <= int(text) <= 5:
            errors[name] = "Choose a rating from 1 to 5."
            continue
        values[name] = int(text)
    for name in REVIEW_TEXT:
        text = form_str(form, name)
        limit = reviews.TEXT_LIMITS[name]
        if len(text) > limit:
            errors[name] = f"At most {limit} characters."
        if text or name in ("title", "review_text"):
            values[name] = text
    if not values.get("title"):
        errors["title"] = "Give your review a title."
    recommend = form_str(form, "would_recommend")
    if recommend in ("yes", "no"):
        values["would_recommend"] = recommend == "yes"
    return values, errors


@router.post("/integrations/{key}/reviews")
def write_review(page: CurrentPage, key: str, form: Form) -> Response:
    """Write (or, with ``review_id``, edit) the caller's review."""
    page.require(Permission.review)
    entry = catalog.get_by_key_or_raise(page.session, key=key)
    values, errors = _review_values(form)
    if errors:
        return _detail(page, key, review_errors=errors, review_values=values, status_code=422)
    review_id = form_str(form, "review_id")
    try:
        if review_id:
            reviews.update_(
                page.session,
                entry=entry,
                review_id=uuid.UUID(review_id),
                user_id=page.principal.user_id,
                organization_id=page.organization_id,
                changes=values,
            )
        else:
            reviews.create(
                page.session,
                entry=entry,
                user_id=page.principal.user_id,
                organization_id=page.organization_id,
                **values,
            )
    except reviews.InvalidReview as error:
        page.session.rollback()
        problems = {d["field"]: d["message"] for d in (error.details or []) if isinstance(d, dict)}
        return _detail(
            page,
            key,
            review_errors=problems or {"title": error.message},
            review_values=values,
            status_code=422,
        )
    except ValueError:
        return _detail(page, key, review_errors={"title": "Unknown review."}, status_code=422)
    return redirect(f"/integrations/{entry.key}?done=review_saved#reviews")


@router.post("/integrations/{key}/reviews/{review_id}/delete")
def delete_review(page: CurrentPage, key: str, review_id: uuid.UUID) -> Response:
    page.require(Permission.review)
    entry = catalog.get_by_key_or_raise(page.session, key=key)
    reviews.delete(
        page.session,
        entry=entry,
        review_id=review_id,
        user_id=page.principal.user_id,
        organization_id=page.organization_id,
    )
    return redirect(f"/integrations/{entry.key}?done=review_deleted#reviews")


@router.post("/integrations/{key}/reviews/{review_id}/vote")
def vote_review(page: CurrentPage, key: str, review_id: uuid.UUID, form: Form) -> Response:
    """Helpful / not helpful; the same vote again withdraws it."""
    page.require(Permission.review)
    entry = catalog.get_by_key_or_raise(page.session, key=key)
    helpful = form_str(form, "helpful") == "yes"
    if form_str(form, "withdraw") == "yes":
        reviews.unvote(
            page.session, entry=entry, review_id=review_id, user_id=page.principal.user_id
        )
    else:
        reviews.vote(
            page.session,
            entry=entry,
            review_id=review_id,
            user_id=page.principal.user_id,
            organization_id=page.organization_id,
            helpful=helpful,
        )
    return redirect(f"/integrations/{entry.key}?done=vote_saved#review-{review_id}")
