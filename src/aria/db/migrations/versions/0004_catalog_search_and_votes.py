"""catalog search and votes

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26 11:46:49.130131

Besides the modelled review votes, this adds full-text search over the catalog, per dialect:
SQLite gets an FTS5 table kept equal to ``integration_catalog`` by triggers, PostgreSQL a
stored generated ``tsvector`` column with a GIN index (stored, so ranking reads the vector
instead of re-parsing every row's text per query). The ORM models neither;
``aria.db.migrate.schema_diff`` leaves them out.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import aria.db.types

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SQLITE_SEARCH = [
    # `id` is stored but not indexed; it joins back to the catalog row (same text as its id).
    "CREATE VIRTUAL TABLE integration_catalog_fts USING fts5("
    "id UNINDEXED, name, vendor, product, description, features, tokenize = 'unicode61')",
    "INSERT INTO integration_catalog_fts (id, name, vendor, product, description, features) "
    "SELECT id, name, vendor, product, description, features FROM integration_catalog",
    "CREATE TRIGGER integration_catalog_fts_insert AFTER INSERT ON integration_catalog BEGIN "
    "INSERT INTO integration_catalog_fts (id, name, vendor, product, description, features) "
    "VALUES (new.id, new.name, new.vendor, new.product, new.description, new.features); END",
    "CREATE TRIGGER integration_catalog_fts_update "
    "AFTER UPDATE OF name, vendor, product, description, features "
    "ON integration_catalog BEGIN "
    "DELETE FROM integration_catalog_fts WHERE id = old.id; "
    "INSERT INTO integration_catalog_fts (id, name, vendor, product, description, features) "
    "VALUES (new.id, new.name, new.vendor, new.product, new.description, new.features); END",
    "CREATE TRIGGER integration_catalog_fts_delete AFTER DELETE ON integration_catalog BEGIN "
    "DELETE FROM integration_catalog_fts WHERE id = old.id; END",
]
SQLITE_SEARCH_DOWN = [
    "DROP TRIGGER IF EXISTS integration_catalog_fts_delete",
    "DROP TRIGGER IF EXISTS integration_catalog_fts_update",
    "DROP TRIGGER IF EXISTS integration_catalog_fts_insert",
    "DROP TABLE IF EXISTS integration_catalog_fts",
]
# ASCII punctuation becomes a space first, so "Tenable.io" or "real-time" index as separate
# words, the way FTS5's unicode61 tokenizer (and the query side) splits them.
PG_WORDS = "regexp_replace({}, '[!-/:-@[-`{{-~]+', ' ', 'g')"
PG_DOCUMENT = " || ".join(
    f"setweight(to_tsvector('simple'::regconfig, {PG_WORDS.format(text)}), '{weight}')"
    for text, weight in (
        ("coalesce(name, '')", "A"),
        ("coalesce(vendor, '') || ' ' || coalesce(product, '')", "B"),
        ("coalesce(description, '')", "C"),
        ("coalesce(features::text, '')", "D"),
    )
)
PG_SEARCH = [
    "ALTER TABLE integration_catalog ADD COLUMN search_document tsvector "
    f"GENERATED ALWAYS AS ({PG_DOCUMENT}) STORED",
    "CREATE INDEX ix_integration_catalog_search ON integration_catalog USING gin (search_document)",
]
PG_SEARCH_DOWN = [
    "DROP INDEX IF EXISTS ix_integration_catalog_search",
    "ALTER TABLE integration_catalog DROP COLUMN IF EXISTS search_document",
]


def _run(statements_by_dialect: dict[str, list[str]]) -> None:
    for statement in statements_by_dialect.get(op.get_bind().dialect.name, []):
        op.execute(statement)


def upgrade() -> None:
    op.create_table(
        "integration_review_votes",
        sa.Column("review_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("helpful", sa.Boolean(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", aria.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", aria.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_integration_review_votes_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["review_id"],
            ["integration_reviews.id"],
            name=op.f("fk_integration_review_votes_review_id_integration_reviews"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_integration_review_votes_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_integration_review_votes")),
        sa.UniqueConstraint(
            "review_id", "user_id", name=op.f("uq_integration_review_votes_review_id_user_id")
        ),
    )
    with op.batch_alter_table("integration_review_votes", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_integration_review_votes_organization_id"),
            ["organization_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_integration_review_votes_user_id"), ["user_id"], unique=False
        )

    with op.batch_alter_table("integration_reviews", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_integration_reviews_integration_id_helpful_count"),
            ["integration_id", "helpful_count"],
            unique=False,
        )

    _run({"sqlite": SQLITE_SEARCH, "postgresql": PG_SEARCH})


def downgrade() -> None:
    _run({"sqlite": SQLITE_SEARCH_DOWN, "postgresql": PG_SEARCH_DOWN})

    with op.batch_alter_table("integration_reviews", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_integration_reviews_integration_id_helpful_count"))

    with op.batch_alter_table("integration_review_votes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_integration_review_votes_user_id"))
        batch_op.drop_index(batch_op.f("ix_integration_review_votes_organization_id"))

    op.drop_table("integration_review_votes")
