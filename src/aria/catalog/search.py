"""Browse and search the catalog: one service function for every list the marketplace shows.

Full text per dialect, same behaviour:

* SQLite: an FTS5 table (migration 0004, kept equal to the catalog by triggers), ranked with
  ``bm25`` weighting name over vendor/product over features over description.
* PostgreSQL: ``to_tsvector('simple', …)`` over the same columns with the same weights, kept
  in a stored generated column with a GIN index (migration 0004), ranked with ``ts_rank``.

Both use no stemming, so every query word works as a prefix ("crowd" finds CrowdStrike) the
same way on both. User text never reaches either query language: it is split into word
tokens, and each token is quoted by us, so ``"``, ``*``, ``NEAR``, ``-`` or ``:`` are inert.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Double,
    Float,
    Select,
    cast,
    exists,
    func,
    literal,
    literal_column,
    select,
    type_coerce,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Session
from sqlalchemy.sql import column, table

from aria.catalog import pagination
from aria.catalog.models import CatalogEntry, Collection, CollectionItem
from aria.catalog.pagination import SortKey
from aria.installs.models import Installation
from aria.sdk.metadata import CATEGORIES

SORTS = ("relevance", "rating", "installs", "name", "updated")
DEFAULT_LIMIT = 20
MAX_LIMIT = 100
MAX_TERMS = 12
MAX_TERM_LENGTH = 64

# Letters and digits only: what both FTS5's unicode61 tokenizer and PostgreSQL's parser keep.
_WORD = re.compile(r"[^\W_]+")

_FTS = table("integration_catalog_fts", column("id", CatalogEntry.id.type))
# Column weights: id (unindexed), name, vendor, product, description, features.
_BM25 = literal_column("bm25(integration_catalog_fts, 0.0, 10.0, 5.0, 5.0, 1.0, 2.0)", Float)
_FTS_MATCH = literal_column("integration_catalog_fts")

# PostgreSQL: a stored generated tsvector column (migration 0004) with a GIN index on it.
_PG_DOCUMENT = literal_column("integration_catalog.search_document")


@dataclass(frozen=True)
class CatalogHit:
    """A catalog row as the caller's organization sees it."""

    entry: CatalogEntry
    installed: bool


@dataclass(frozen=True)
class SearchPage:
    items: list[CatalogHit]
    next_cursor: str | None
    category_counts: dict[str, int]
    sort: str


@dataclass(frozen=True)
class FeaturedCollection:
    collection: Collection
    items: list[CatalogHit]


def terms(q: str | None) -> list[str]:
    """The words of ``q``, lowercased; punctuation and operators are dropped, not escaped."""
    if not q:
        return []
    return [word.lower()[:MAX_TERM_LENGTH] for word in _WORD.findall(q)][:MAX_TERMS]


def fts5_query(words: Sequence[str]) -> str:
    """Every word as a quoted prefix term, all required: ``"crowd"* "edr"*``."""
    return " ".join(f'"{word}"*' for word in words)


def tsquery(words: Sequence[str]) -> str:
    """The PostgreSQL twin of :func:`fts5_query`: ``'crowd':* & 'edr':*``."""
    return " & ".join(f"'{word}':*" for word in words)


def installed_expression(organization_id: uuid.UUID) -> ColumnElement[bool]:
    """Whether the caller's organization has this row installed (any installation state)."""
    return exists().where(
        Installation.integration_id == CatalogEntry.id,
        Installation.organization_id == organization_id,
    )


def _json_contains(session: Session, json_column: Any, value: str) -> ColumnElement[bool]:
    if session.get_bind().dialect.name == "postgresql":
        return type_coerce(json_column, JSONB).contains([value])
    items = func.json_each(json_column).table_valued("value")
    return exists(select(literal(1)).select_from(items).where(items.c.value == value))


def _text_match(
    session: Session, query: Select[Any], words: list[str]
) -> tuple[Select[Any], ColumnElement[float]]:
    """Restrict ``query`` to rows matching every word; return it with a lower-is-better rank."""
    if session.get_bind().dialect.name == "postgresql":
        ts = func.to_tsquery(literal_column("'simple'::regconfig"), tsquery(words))
        rank = cast(-func.ts_rank(_PG_DOCUMENT, ts), Double)
        return query.where(_PG_DOCUMENT.op("@@")(ts)), rank
    hits = (
        select(_FTS.c.id.label("id"), _BM25.label("rank"))
        .where(_FTS_MATCH.op("MATCH")(fts5_query(words)))
        .subquery("hits")
    )
    return query.join(hits, hits.c.id == CatalogEntry.id), hits.c.rank


def _sort_keys(sort: str, rank: ColumnElement[float] | None) -> list[SortKey]:
    name = SortKey(func.lower(CatalogEntry.name), False, "str")
    key = SortKey(CatalogEntry.id, False, "uuid")
    if sort == "relevance" and rank is not None:
        return [SortKey(rank, False, "float"), name, key]
    if sort == "rating":
        return [
            SortKey(CatalogEntry.avg_rating, True, "decimal"),
            SortKey(CatalogEntry.total_reviews, True, "int"),
            name,
            key,
        ]
    if sort == "installs":
        return [SortKey(CatalogEntry.total_installs, True, "int"), name, key]
    if sort == "updated":
        return [SortKey(CatalogEntry.updated_at, True, "datetime"), key]
    return [name, key]


def search(
    session: Session,
    *,
    organization_id: uuid.UUID,
    q: str | None = None,
    category: str | None = None,
    capability: str | None = None,
    data_type: str | None = None,
    auth_method: str | None = None,
    pricing_model: str | None = None,
    status: str | None = None,
    installed: bool | None = None,
    sort: str | None = None,
    limit: int = DEFAULT_LIMIT,
    cursor: str | None = None,
) -> SearchPage:
    """One page of the catalog for ``organization_id``, plus per-category counts.

    Deprecated listings are hidden unless ``status="deprecated"`` is asked for. ``sort``
    defaults to relevance when ``q`` has words and to name otherwise; relevance without
    words falls back to name. Category counts apply every filter except the category, so the
    browse page can show how many results each category tab would give.
    """
    words = terms(q)
    sort = sort if sort in SORTS else None
    if sort is None or (sort == "relevance" and not words):
        sort = "relevance" if words else "name"
    limit = max(1, min(limit, MAX_LIMIT))

    installed_now = installed_expression(organization_id)
    conditions: list[ColumnElement[bool]] = [
        CatalogEntry.status == status if status else CatalogEntry.status != "deprecated"
    ]
    if capability:
        conditions.append(_json_contains(session, CatalogEntry.capabilities, capability))
    if data_type:
        conditions.append(_json_contains(session, CatalogEntry.data_types, data_type))
    if auth_method:
        conditions.append(_json_contains(session, CatalogEntry.auth_methods, auth_method))
    if pricing_model:
        conditions.append(CatalogEntry.pricing_model == pricing_model)
    if installed is not None:
        conditions.append(installed_now if installed else ~installed_now)

    rank: ColumnElement[float] | None = None
    page_query = select(CatalogEntry, installed_now.label("installed"))
    counts_query = select(CatalogEntry.category, func.count()).select_from(CatalogEntry)
    if words:
        page_query, rank = _text_match(session, page_query, words)
        counts_query, _ = _text_match(session, counts_query, words)
    page_query = page_query.where(*conditions)
    counts_query = counts_query.where(*conditions).group_by(CatalogEntry.category)
    if category:
        page_query = page_query.where(CatalogEntry.category == category)

    keys = _sort_keys(sort, rank)
    scope = pagination.fingerprint(
        "catalog",
        sort,
        words,
        category,
        capability,
        data_type,
        auth_method,
        pricing_model,
        status,
        installed,
    )
    if cursor:
        position = pagination.decode(cursor, scope, keys)
        page_query = page_query.where(pagination.after(keys, position))
    if rank is not None:
        page_query = page_query.add_columns(rank.label("rank"))
    page_query = page_query.order_by(*(k.ordering() for k in keys)).limit(limit + 1)

    rows = session.execute(page_query).all()
    more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = None
    if more and rows:
        last = rows[-1]
        values = _key_values(sort, last.CatalogEntry, last.rank if rank is not None else None)
        next_cursor = pagination.encode(scope, keys, values)

    counts = dict.fromkeys(CATEGORIES, 0)
    for row_category, n in session.execute(counts_query):
        counts[row_category] = n
    return SearchPage(
        items=[CatalogHit(row.CatalogEntry, bool(row.installed)) for row in rows],
        next_cursor=next_cursor,
        category_counts=counts,
        sort=sort,
    )


def _key_values(sort: str, entry: CatalogEntry, rank: float | None) -> list[Any]:
    name, key = entry.name.lower(), entry.id
    if sort == "relevance" and rank is not None:
        return [rank, name, key]
    if sort == "rating":
        return [entry.avg_rating, entry.total_reviews, name, key]
    if sort == "installs":
        return [entry.total_installs, name, key]
    if sort == "updated":
        return [entry.updated_at, key]
    return [name, key]


def top_rated(session: Session, *, organization_id: uuid.UUID, limit: int = 5) -> list[CatalogHit]:
    """The best-rated listings that have reviews at all (the browse page's "Top rated")."""
    page = search(session, organization_id=organization_id, sort="rating", limit=limit)
    return [hit for hit in page.items if hit.entry.total_reviews > 0]


def featured_collections(
    session: Session, *, organization_id: uuid.UUID
) -> list[FeaturedCollection]:
    """Featured collections in display order, each with its non-deprecated members in order."""
    collections = list(
        session.scalars(
            select(Collection)
            .where(Collection.is_featured.is_(True))
            .order_by(Collection.display_order, Collection.name)
        )
    )
    rows = session.execute(
        select(
            CollectionItem.collection_id,
            CatalogEntry,
            installed_expression(organization_id).label("installed"),
        )
        .join(CatalogEntry, CatalogEntry.id == CollectionItem.integration_id)
        .where(
            CollectionItem.collection_id.in_([c.id for c in collections]),
            CatalogEntry.status != "deprecated",
        )
        .order_by(CollectionItem.display_order, func.lower(CatalogEntry.name))
    ).all()
    members: dict[uuid.UUID, list[CatalogHit]] = {c.id: [] for c in collections}
    for row in rows:
        members[row.collection_id].append(CatalogHit(row.CatalogEntry, bool(row.installed)))
    return [FeaturedCollection(c, members[c.id]) for c in collections]


def installed_for(
    session: Session, *, organization_id: uuid.UUID, entry: CatalogEntry
) -> uuid.UUID | None:
    """The caller's installation of ``entry``, if any (its id; never another org's)."""
    return session.scalar(
        select(Installation.id).where(
            Installation.organization_id == organization_id,
            Installation.integration_id == entry.id,
        )
    )
