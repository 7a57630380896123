"""Which installations are due a sync, and which jobs lost their worker.

`sync_frequency`: realtime (webhooks, plus a 15-minute safety poll), hourly, daily, weekly,
manual (never scheduled). Each next run gets up to 10% jitter so a fleet of installations
installed together does not hit vendor APIs in the same second.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from aria.db.engine import transaction
from aria.db.types import utcnow
from aria.errors import Conflict
from aria.installs.models import Installation
from aria.runtime import Runtime
from aria.sync import service
from aria.sync.models import SyncJob

INTERVALS = {
    "realtime": timedelta(minutes=15),
    "hourly": timedelta(hours=1),
    "daily": timedelta(days=1),
    "weekly": timedelta(weeks=1),
}

Enqueue = Callable[[uuid.UUID, float], None]


def next_run(frequency: str, now: datetime, rng: random.Random | None = None) -> datetime | None:
    interval = INTERVALS.get(frequency)
    if interval is None:
        return None
    jitter = (rng or random).uniform(0, interval.total_seconds() * 0.1)
    return now + interval + timedelta(seconds=jitter)


def due(session: Session, now: datetime, limit: int = 500) -> list[Installation]:
    return list(
        session.scalars(
            select(Installation)
            .where(
                Installation.status == "enabled",
                Installation.sync_frequency != "manual",
                or_(Installation.next_sync_at.is_(None), Installation.next_sync_at <= now),
            )
            .order_by(Installation.next_sync_at)
            .limit(limit)
        )
    )


def schedule_due(runtime: Runtime, enqueue: Enqueue, now: datetime | None = None) -> int:
    """Create an incremental job for every due installation and enqueue it."""
    now = now or utcnow()
    created: list[uuid.UUID] = []
    with transaction(runtime.sessions) as session:
        for installation in due(session, now):
            installation.next_sync_at = next_run(installation.sync_frequency, now)
            try:
                job = service.create(
                    session,
                    installation=installation,
                    job_type="incremental",
                    triggered_by="schedule",
                )
            except Conflict:
                continue  # a sync is already queued or running
            created.append(job.id)
    for job_id in created:
        enqueue(job_id, 0)
    return len(created)


def reap_stale(runtime: Runtime, enqueue: Enqueue, now: datetime | None = None) -> int:
    """Re-enqueue jobs whose worker died (running, lease expired) or whose retry was lost."""
    now = now or utcnow()
    with runtime.sessions() as session:
        rows = session.execute(
            select(SyncJob.id)
            .join(Installation, Installation.id == SyncJob.installation_id)
            .where(
                or_(
                    (SyncJob.status == "running") & (Installation.sync_lease_expires_at < now),
                    (SyncJob.status == "retrying")
                    & (SyncJob.next_retry_at < now - timedelta(minutes=5)),
                )
            )
        ).all()
    for (job_id,) in rows:
        enqueue(job_id, 0)
    return len(rows)
