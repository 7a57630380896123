"""Migrations bring an empty database to head, and the models agree with them."""

from __future__ import annotations

from sqlalchemy import inspect

from aria.db import migrate
from aria.db.engine import make_engine
from aria.db.models import Base

PLAN_TABLES = {
    "integration_catalog",
    "integration_installations",
    "integration_configurations",
    "integration_credentials",
    "integration_activity_logs",
    "integration_data_mappings",
    "integration_sync_jobs",
    "integration_webhooks",
    "integration_reviews",
    "integration_usage_analytics",
    "integration_collections",
    "integration_collection_items",
    "organizations",
    "users",
    "memberships",
    "api_tokens",
    "audit_log",
}


def test_empty_database_upgrades_to_head_without_autogenerate_diff(
    empty_database_url: str,
) -> None:
    engine = make_engine(empty_database_url)
    try:
        assert migrate.current_revision(engine) is None
        assert not migrate.is_at_head(engine)
        migrate.upgrade(engine)
        assert migrate.current_revision(engine) == migrate.head_revision(engine)
        assert migrate.schema_diff(engine) == []
        # SQLite's FTS5 search table (and its shadow tables) is migration-only, not modelled.
        tables = {t for t in inspect(engine).get_table_names() if migrate.is_modelled(t)}
        assert tables >= PLAN_TABLES
        assert tables - {"alembic_version"} == set(Base.metadata.tables)
    finally:
        engine.dispose()


def test_upgrade_twice_is_a_no_op(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        before = migrate.current_revision(engine)
        migrate.upgrade(engine)
        assert migrate.current_revision(engine) == before
        assert migrate.schema_diff(engine) == []
    finally:
        engine.dispose()


def test_schema_diff_notices_a_model_the_migrations_lack(database_url: str) -> None:
    """`aria db check` is only useful if a real disagreement shows up."""
    from sqlalchemy import Column, Integer, Table

    extra = Table("not_migrated", Base.metadata, Column("id", Integer, primary_key=True))
    engine = make_engine(database_url)
    try:
        diff = migrate.schema_diff(engine)
        assert any(item[0] == "add_table" and item[1].name == "not_migrated" for item in diff)
    finally:
        Base.metadata.remove(extra)
        engine.dispose()


def test_migrations_are_packaged_inside_aria() -> None:
    assert (migrate.MIGRATIONS_DIR / "env.py").is_file()
    assert list((migrate.MIGRATIONS_DIR / "versions").glob("0001_*.py"))
