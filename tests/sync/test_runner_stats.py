"""When a sync job asks PostgreSQL to refresh the register's statistics."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from aria.grc.store import refresh_statistics
from aria.sync.runner import _crosses_growth_mark


@pytest.mark.parametrize(
    ("before", "after", "expected"),
    [
        (0, 999, False),
        (9_000, 10_000, True),
        (10_000, 10_500, False),
        (19_500, 20_500, True),
        (20_500, 39_999, False),
        (39_999, 40_000, True),
        (0, 50_000, True),
    ],
)
def test_statistics_refresh_at_ten_thousand_then_every_doubling(
    before: int, after: int, expected: bool
) -> None:
    assert _crosses_growth_mark(before, after) is expected


def test_refresh_statistics_runs_on_every_database(session: Session) -> None:
    """ANALYZE on PostgreSQL (the planner then knows the table's size), nothing on SQLite."""
    refresh_statistics(session)
    if session.get_bind().dialect.name == "postgresql":
        analyzed = session.execute(
            text(
                "SELECT count(*) FROM pg_stat_user_tables "
                "WHERE relname = 'findings' AND last_analyze IS NOT NULL"
            )
        ).scalar_one()
        assert analyzed == 1
