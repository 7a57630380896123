"""Alembic environment: runs on the connection `aria.db.migrate` hands over."""

from __future__ import annotations

from alembic import context

from aria.db import migrate
from aria.db.models import Base

config = context.config
connection = config.attributes.get("connection")
if connection is None:  # pragma: no cover - only via the alembic command line
    raise RuntimeError("run migrations through `aria db upgrade`")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    compare_type=True,
    render_as_batch=connection.dialect.name == "sqlite",
    # The SQLite FTS5 search table (migration 0004) is not an ORM model: leave it alone.
    include_name=migrate.include_name,
)
with context.begin_transaction():
    context.run_migrations()
