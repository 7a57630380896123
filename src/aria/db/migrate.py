"""Alembic, driven from code: the migrations ship inside the package so an installed copy
can run `aria db upgrade` without an alembic.ini in the working directory."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def alembic_config(engine: Engine) -> Config:
    """An Alembic config bound to ``engine`` (env.py reuses the connection we hand it)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the schema to ``revision``; a no-op when it is already there."""
    with engine.begin() as connection:
        config = alembic_config(engine)
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def head_revision(engine: Engine | None = None) -> str | None:
    """The newest revision the packaged migrations know (read once per process)."""
    return _packaged_head()


@lru_cache(maxsize=1)
def _packaged_head() -> str | None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return ScriptDirectory.from_config(config).get_current_head()


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at, or None when it was never migrated."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def is_at_head(engine: Engine) -> bool:
    return current_revision(engine) == head_revision(engine)


# Search objects that migrations create with dialect-specific DDL and the ORM does not model:
# SQLite's FTS5 table (and its shadow tables); PostgreSQL's generated tsvector column and
# its GIN index.
UNMODELLED_TABLE_PREFIX = "integration_catalog_fts"
UNMODELLED_INDEXES = frozenset({"ix_integration_catalog_search"})
UNMODELLED_COLUMNS = frozenset({("integration_catalog", "search_document")})


def is_modelled(name: str | None, type_: str = "table", table: str | None = None) -> bool:
    """False for the search objects above, which the models cannot express."""
    if name is None:
        return True
    if type_ == "table":
        return not name.startswith(UNMODELLED_TABLE_PREFIX)
    if type_ == "index":
        return name not in UNMODELLED_INDEXES
    if type_ == "column":
        return (table, name) not in UNMODELLED_COLUMNS
    return True


def include_name(name: str | None, type_: str, parent_names: Any) -> bool:
    """Alembic's ``include_name`` hook: compare (and autogenerate) modelled objects only."""
    return is_modelled(name, type_, (parent_names or {}).get("table_name"))


def schema_diff(engine: Engine) -> list[Any]:
    """Differences between the models and the migrated database (empty when they agree)."""
    from aria.db.models import Base

    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection,
            opts={
                "compare_type": True,
                "compare_server_default": False,
                "include_name": include_name,
            },
        )
        return list(compare_metadata(context, Base.metadata))
