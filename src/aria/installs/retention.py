"""Activity-log retention: rows older than ``retention_days`` are deleted, in batches.

Why batches, each in its own transaction: one DELETE over months of logs would hold a long
write lock (SQLite locks the whole database) and bloat PostgreSQL's WAL in one go; small
batches let the web app keep writing between them, and an interrupted purge simply
continues on its next run. Daily usage rollups are separate rows and are kept.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session, sessionmaker

from aria.db.engine import transaction
from aria.db.types import utcnow
from aria.installs.models import ActivityLog

log = logging.getLogger(__name__)

DEFAULT_BATCH = 5000


@dataclass(frozen=True)
class PurgeResult:
    """How many rows went, and the cutoff they were older than."""

    deleted: int
    cutoff: datetime
    batches: int


def purge_activity(
    sessions: sessionmaker[Session],
    *,
    retention_days: int,
    batch_size: int = DEFAULT_BATCH,
    clock: Callable[[], datetime] = utcnow,
) -> PurgeResult:
    """Delete activity rows created before ``now - retention_days``, ``batch_size`` at a time."""
    if retention_days < 1:
        raise ValueError("retention_days must be at least 1")
    cutoff = clock() - timedelta(days=retention_days)
    deleted = batches = 0
    while True:
        with transaction(sessions) as session:
            ids = list(
                session.scalars(
                    select(ActivityLog.id)
                    .where(ActivityLog.created_at < cutoff)
                    .order_by(ActivityLog.id)
                    .limit(batch_size)
                )
            )
            if not ids:
                break
            session.execute(
                delete(ActivityLog)
                .where(ActivityLog.id.in_(ids))
                .execution_options(synchronize_session=False)
            )
        deleted += len(ids)
        batches += 1
        if len(ids) < batch_size:
            break
    if deleted:
        log.info("activity retention: deleted %d rows older than %s", deleted, cutoff.isoformat())
    return PurgeResult(deleted=deleted, cutoff=cutoff, batches=batches)
