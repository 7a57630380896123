"""Shared by the benchmarks: an empty PostgreSQL schema to run against."""

from __future__ import annotations

from sqlalchemy import create_engine, text


def reset_postgres(url: str) -> None:
    """Drop everything in the public schema of ``url`` (a database kept for benchmarks)."""
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public;"))
    engine.dispose()
